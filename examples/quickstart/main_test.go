package main

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/examples/internal/exampletest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestOfflineQuickstart runs the README's first command in-process and
// checks that every scheme got through.
func TestOfflineQuickstart(t *testing.T) {
	exampletest.Env(t, nil)
	var out bytes.Buffer
	err := run(&out)
	require.NoError(t, err, out.String())
	for _, want := range []string{
		"No IB_BASE_URL set",
		"[IBSSO initial fetch", "[IBSSO idle fetch", "[IBSSO renew fetch",
		"sessions created 3, destroy requests 3, alive after Close 0",
		"[Bearer initial fetch", "[Bearer proactive fetch", "token requests: 2",
		"auth.APIKey{[redacted]}",
	} {
		require.Contains(t, out.String(), want)
	}
	require.Equal(t, 9, strings.Count(out.String(), `200 OK {"balance":42.5,"currency":"EUR"}`), out.String())
	require.NotContains(t, out.String(), "failed")
}

func TestLiveQuickstart(t *testing.T) {
	// The base URL ends in a slash, which auth.FromEnv drops.
	srv := exampletest.Live(t, map[string]string{"IB_API_KEY": authtest.APIKey})
	var out bytes.Buffer
	require.NoError(t, run(&out))
	require.Equal(t, "calling "+srv.URL+" with *auth.APIKey\n"+
		`balance: 200 OK {"balance":42.5,"currency":"EUR"}`+"\n", out.String())
	require.Equal(t, "/account/1/balance", srv.Requests(authtest.RouteBalance)[0].Path)
}

// TestLiveReleasesSession shows that live, too, the authenticator is
// released at the end: an IBSSO session is destroyed.
func TestLiveReleasesSession(t *testing.T) {
	srv := exampletest.Live(t, map[string]string{"IB_AUTH": "ibsso", "IB_USERNAME": authtest.Username, "IB_PASSWORD": authtest.Password})
	var out bytes.Buffer
	require.NoError(t, run(&out))
	require.Contains(t, out.String(), "with *auth.IBSSO\n")
	require.Equal(t, 1, srv.Count(authtest.RouteDestroySession))
	require.Zero(t, srv.ActiveSessions())
}

// TestLiveFailures shows that every way a live call can fail is an error,
// which main turns into exit status 1 (see TestExitStatus).
func TestLiveFailures(t *testing.T) {
	const wrongKey = "ffffffffffffffffffffffffffffffff-00000000-0000-0000-0000-000000000000"
	for _, tc := range []struct {
		name string
		vars map[string]string
		tls  bool
		// fault, if set, is injected on the balance route.
		fault *authtest.Fault
		want  []string
		// wantStatus, if set, is the status of the *auth.Error that
		// errors.As must find.
		wantStatus int
	}{
		{name: "wrong key", vars: map[string]string{"IB_API_KEY": wrongKey},
			want: []string{"GET /account/1/balance", "401"}, wantStatus: http.StatusUnauthorized},
		{name: "wrong Basic password", vars: map[string]string{"IB_USERNAME": authtest.Username, "IB_PASSWORD": "wrong-password"},
			want: []string{"401"}, wantStatus: http.StatusUnauthorized},
		{name: "wrong IBSSO password", vars: map[string]string{"IB_AUTH": "ibsso", "IB_USERNAME": authtest.Username, "IB_PASSWORD": "wrong-password"},
			want: []string{"IBSSO session", "401"}, wantStatus: http.StatusUnauthorized},
		{name: "wrong client secret", vars: map[string]string{"IB_CLIENT_ID": authtest.ClientID, "IB_CLIENT_SECRET": "wrong-secret"},
			want: []string{"401"}, wantStatus: http.StatusUnauthorized},
		{name: "server error", vars: map[string]string{"IB_API_KEY": authtest.APIKey},
			fault: &authtest.Fault{Status: http.StatusInternalServerError, Body: `{"errorCode":"E500","description":"General error"}`},
			want:  []string{"GET /account/1/balance", "500", "General error"}, wantStatus: http.StatusInternalServerError},
		{name: "untrusted certificate", vars: map[string]string{"IB_API_KEY": authtest.APIKey}, tls: true,
			want: []string{"certificate"}},
		{name: "no credentials", want: []string{"IB_API_KEY"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A TLS server whose certificate nobody trusts: the call fails
			// in the handshake.
			newServer := authtest.NewServer
			if tc.tls {
				newServer = authtest.NewTLSServer
			}
			srv := newServer()
			defer srv.Close()
			if tc.fault != nil {
				srv.Fail(authtest.RouteBalance, *tc.fault)
			}
			vars := map[string]string{"IB_BASE_URL": srv.URL}
			for k, v := range tc.vars {
				vars[k] = v
			}
			exampletest.Env(t, vars)
			var out bytes.Buffer
			err := run(&out)
			require.Error(t, err)
			for _, w := range tc.want {
				require.ErrorContains(t, err, w)
			}
			for _, secret := range []string{wrongKey, authtest.APIKey, "wrong-password", "wrong-secret"} {
				require.NotContains(t, err.Error(), secret)
			}
			if tc.wantStatus != 0 {
				exampletest.RequireRefused(t, err, tc.wantStatus)
			}
			require.NotContains(t, out.String(), "balance:")
		})
	}
}

// TestExitStatus runs main in a child process, live against a fake server
// that refuses the key: it must exit with status 1 and say why on stderr.
func TestExitStatus(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	code, stderr := exampletest.Exit(t, main, map[string]string{"IB_BASE_URL": srv.URL, "IB_API_KEY": "not-the-key"})
	require.Equal(t, 1, code, stderr)
	require.True(t, strings.HasPrefix(stderr, "quickstart: GET /account/1/balance: "), stderr)
	require.Contains(t, stderr, "401")
	require.NotContains(t, stderr, "not-the-key")
	require.Equal(t, 1, srv.Count(authtest.RouteBalance))
}
