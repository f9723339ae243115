package main

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// env sets the IB_* variables for one test, clearing the others.
func env(t *testing.T, vars map[string]string) {
	t.Helper()
	for _, name := range []string{"IB_BASE_URL", "IB_API_KEY", "IB_USERNAME", "IB_PASSWORD", "IB_CLIENT_ID", "IB_CLIENT_SECRET", "IB_AUTH"} {
		t.Setenv(name, vars[name])
	}
}

func TestOffline(t *testing.T) {
	env(t, nil)
	var out bytes.Buffer
	require.NoError(t, run(&out), out.String())
	require.Contains(t, out.String(), "call 1 200 OK\ncall 2 200 OK\ncall 3 200 OK\nsessions created: 1\n")
}

func TestLive(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	env(t, map[string]string{"IB_BASE_URL": srv.URL + "/", "IB_AUTH": "ibsso", "IB_USERNAME": authtest.Username, "IB_PASSWORD": authtest.Password})
	var out bytes.Buffer
	require.NoError(t, run(&out), out.String())
	require.Equal(t, 1, srv.Count(authtest.RouteCreateSession))
	require.Equal(t, 0, srv.ActiveSessions(), "the session is destroyed at the end")
	for _, r := range srv.Requests(authtest.RouteBalance) {
		require.Equal(t, "/account/1/balance", r.Path)
		require.True(t, strings.HasPrefix(r.Header.Get("Authorization"), "IBSSO "))
	}
}

func TestLiveWrongPassword(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	env(t, map[string]string{"IB_BASE_URL": srv.URL, "IB_AUTH": "ibsso", "IB_USERNAME": authtest.Username, "IB_PASSWORD": "wrong-password"})
	err := run(&bytes.Buffer{})
	var ae *auth.Error
	require.True(t, errors.As(err, &ae), "%v", err)
	require.Equal(t, http.StatusUnauthorized, ae.StatusCode)
	require.NotContains(t, err.Error(), "wrong-password")
	require.Zero(t, srv.Count(authtest.RouteBalance))
}

// A failing call after the session exists is an error too, and the
// session is still destroyed.
func TestLiveServerError(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	srv.Fail(authtest.RouteBalance, authtest.Fault{Status: http.StatusServiceUnavailable})
	env(t, map[string]string{"IB_BASE_URL": srv.URL, "IB_AUTH": "ibsso", "IB_USERNAME": authtest.Username, "IB_PASSWORD": authtest.Password})
	err := run(&bytes.Buffer{})
	require.ErrorContains(t, err, "GET /account/1/balance: ")
	require.ErrorContains(t, err, "503")
	require.Equal(t, 1, srv.Count(authtest.RouteDestroySession))
	require.Equal(t, 0, srv.ActiveSessions())
}

// A username and password without IB_AUTH=ibsso mean Basic.
func TestLiveNeedsIBAuth(t *testing.T) {
	env(t, map[string]string{"IB_BASE_URL": "https://api.infobip.com", "IB_USERNAME": authtest.Username, "IB_PASSWORD": authtest.Password})
	err := run(&bytes.Buffer{})
	require.EqualError(t, err, "the environment selects *auth.Basic credentials; this example needs IB_AUTH=ibsso with IB_USERNAME and IB_PASSWORD")
}
