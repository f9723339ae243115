package main

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth/authtest"
)

// TestToken: 'ibauth token' prints the Authorization value of each
// scheme, fetched as the library does, and --raw the token alone.
func TestToken(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tok := func(env map[string]string, args ...string) string {
		t.Helper()
		r := call{srv: srv, env: env, printsSecret: true}.run(t, append([]string{"token"}, args...)...)
		require.Equal(t, 0, r.code, r)
		require.True(t, strings.HasSuffix(r.stdout, "\n"), r.stdout)
		return strings.TrimSuffix(r.stdout, "\n")
	}

	require.Equal(t, "App "+authtest.APIKey, tok(appEnv(srv)))
	require.Equal(t, authtest.APIKey, tok(appEnv(srv), "--raw"))
	basic := base64.StdEncoding.EncodeToString([]byte(authtest.Username + ":" + authtest.Password))
	require.Equal(t, "Basic "+basic, tok(basicEnv(srv)))

	// OAuth: a token fetched from Infobip, which works.
	bearer := tok(oauthEnv(srv))
	require.True(t, strings.HasPrefix(bearer, "Bearer "), bearer)
	require.Equal(t, 1, srv.Count(authtest.RouteToken))
	require.Equal(t, 200, balance(t, srv, bearer))
	raw := tok(oauthEnv(srv), "--raw")
	require.Equal(t, 200, balance(t, srv, "Bearer "+raw))

	// IBSSO: a new session, left open for the tools that use it.
	r := call{srv: srv, env: ibssoEnv(srv), printsSecret: true}.run(t, "token")
	require.Equal(t, 0, r.code, r)
	require.True(t, strings.HasPrefix(r.stdout, "IBSSO "), r.stdout)
	require.Contains(t, r.stderr, "created an IBSSO session")
	require.Equal(t, 1, srv.ActiveSessions())
	require.Equal(t, 200, balance(t, srv, strings.TrimSpace(r.stdout)))

	// A session from IB_SESSION_TOKEN is printed without any request.
	before := srv.Count(authtest.RouteCreateSession)
	require.Equal(t, "IBSSO abc-123", tok(with(appEnv(srv), "IB_SESSION_TOKEN", "abc-123")))
	require.Equal(t, before, srv.Count(authtest.RouteCreateSession))
}

// TestTokenFailures: refused credentials exit 1 with Infobip's error, a
// bad configuration exits 3, and neither prints a token.
func TestTokenFailures(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	r := call{srv: srv, env: with(oauthEnv(srv), "IB_CLIENT_SECRET", "wrong")}.run(t, "token")
	require.Equal(t, 1, r.code, r)
	require.Empty(t, r.stdout)
	require.Contains(t, r.stderr, "fetch OAuth token: 401 E401")

	r = call{srv: srv, env: map[string]string{"IB_BASE_URL": srv.URL}}.run(t, "token")
	require.Equal(t, 3, r.code, r)
	require.Empty(t, r.stdout)
}
