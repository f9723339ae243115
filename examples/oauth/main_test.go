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
	require.Contains(t, out.String(), "call 1 200 OK\ncall 2 200 OK\ncall 3 200 OK\ntoken requests: 1\n")
}

func TestLive(t *testing.T) {
	for name, vars := range map[string]map[string]string{
		"client credentials":    {"IB_CLIENT_ID": authtest.ClientID, "IB_CLIENT_SECRET": authtest.ClientSecret},
		"username and password": {"IB_AUTH": "oauth", "IB_USERNAME": authtest.Username, "IB_PASSWORD": authtest.Password},
	} {
		t.Run(name, func(t *testing.T) {
			srv := authtest.NewServer()
			defer srv.Close()
			srv.AddClient(authtest.Username, authtest.Password)
			vars["IB_BASE_URL"] = srv.URL + "/"
			env(t, vars)
			var out bytes.Buffer
			require.NoError(t, run(&out), out.String())
			require.Equal(t, 1, srv.Count(authtest.RouteToken))
			for _, r := range srv.Requests(authtest.RouteBalance) {
				require.Equal(t, "/account/1/balance", r.Path)
				require.True(t, strings.HasPrefix(r.Header.Get("Authorization"), "Bearer "))
			}
		})
	}
}

func TestLiveWrongSecret(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	env(t, map[string]string{"IB_BASE_URL": srv.URL, "IB_CLIENT_ID": authtest.ClientID, "IB_CLIENT_SECRET": "wrong-secret"})
	err := run(&bytes.Buffer{})
	var ae *auth.Error
	require.True(t, errors.As(err, &ae), "%v", err)
	require.Equal(t, http.StatusUnauthorized, ae.StatusCode)
	require.NotContains(t, err.Error(), "wrong-secret")
	require.Zero(t, srv.Count(authtest.RouteBalance))
}

func TestLiveServerError(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	srv.Fail(authtest.RouteBalance, authtest.Fault{Status: http.StatusTooManyRequests,
		Body: `{"errorCode":"E429","description":"Too many requests"}`})
	env(t, map[string]string{"IB_BASE_URL": srv.URL, "IB_CLIENT_ID": authtest.ClientID, "IB_CLIENT_SECRET": authtest.ClientSecret})
	err := run(&bytes.Buffer{})
	require.ErrorContains(t, err, "GET /account/1/balance: ")
	require.ErrorContains(t, err, "Too many requests")
}

func TestLiveOtherScheme(t *testing.T) {
	env(t, map[string]string{"IB_BASE_URL": "https://api.infobip.com", "IB_USERNAME": authtest.Username, "IB_PASSWORD": authtest.Password})
	err := run(&bytes.Buffer{})
	require.EqualError(t, err, "the environment selects *auth.Basic credentials; this example needs IB_CLIENT_ID and IB_CLIENT_SECRET, or IB_AUTH=oauth with IB_USERNAME and IB_PASSWORD")
}
