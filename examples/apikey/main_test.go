package main

import (
	"bytes"
	"errors"
	"net/http"
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
	require.Contains(t, out.String(), `balance: {"balance":42.5,"currency":"EUR"}`)
	require.Contains(t, out.String(), "the key prints as auth.APIKey{[redacted]}")
	require.NotContains(t, out.String(), authtest.APIKey)
}

// TestLive reaches a fake server through IB_*; the trailing slash is
// dropped by auth.FromEnv, not by the example.
func TestLive(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	env(t, map[string]string{"IB_BASE_URL": srv.URL + "/", "IB_API_KEY": authtest.APIKey})
	var out bytes.Buffer
	require.NoError(t, run(&out), out.String())
	require.Equal(t, "/account/1/balance", srv.Requests(authtest.RouteBalance)[0].Path)
}

func TestLiveWrongKey(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	env(t, map[string]string{"IB_BASE_URL": srv.URL, "IB_API_KEY": "not-the-key"})
	err := run(&bytes.Buffer{})
	require.ErrorContains(t, err, "GET /account/1/balance: ")
	var ae *auth.Error
	require.True(t, errors.As(err, &ae), "%v", err)
	require.Equal(t, http.StatusUnauthorized, ae.StatusCode)
	require.NotContains(t, err.Error(), "not-the-key")
}

func TestLiveOtherScheme(t *testing.T) {
	env(t, map[string]string{"IB_BASE_URL": "https://api.infobip.com", "IB_USERNAME": authtest.Username, "IB_PASSWORD": authtest.Password})
	err := run(&bytes.Buffer{})
	require.EqualError(t, err, "the environment selects *auth.Basic credentials; this example needs IB_API_KEY (and IB_AUTH=app if other credentials are set)")
}
