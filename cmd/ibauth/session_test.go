package main

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth/authtest"
)

var loginOutput = regexp.MustCompile(`^export IB_BASE_URL=(\S+)\nexport IB_SESSION_TOKEN=([0-9a-f-]{36})\n$`)

// login runs 'ibauth login' with the password on stdin and returns the
// session token it printed.
func login(t *testing.T, srv *authtest.Server, env map[string]string, args ...string) string {
	t.Helper()
	r := call{srv: srv, env: env, stdin: authtest.Password + "\n", printsSecret: true}.run(t, append([]string{"login"}, args...)...)
	require.Equal(t, 0, r.code, r)
	m := loginOutput.FindStringSubmatch(r.stdout)
	require.NotNil(t, m, r.stdout)
	require.Equal(t, srv.URL, m[1])
	require.NotContains(t, r.stdout, authtest.Password)
	require.Contains(t, r.stderr, "logged in to "+srv.URL+" as "+authtest.Username)
	return m[2]
}

// TestLoginLogout: login prints the session as export lines; with
// IB_SESSION_TOKEN set, api uses it (no other credentials needed, and no
// new login); logout destroys it and prints the unset line.
func TestLoginLogout(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	base := map[string]string{"IB_BASE_URL": srv.URL}

	token := login(t, srv, with(base, "IB_USERNAME", authtest.Username))
	require.Equal(t, 1, srv.ActiveSessionsOf(authtest.Username))
	session := with(base, "IB_SESSION_TOKEN", token)

	// The session wins over other credentials, even wrong ones.
	r := call{srv: srv, env: with(session, "IB_API_KEY", "wrong")}.run(t, "api", "/account/1/balance")
	require.Equal(t, 0, r.code, r)
	require.Equal(t, balanceBody, r.stdout)
	require.Equal(t, "IBSSO "+token, srv.Requests(authtest.RouteBalance)[0].Header.Get("Authorization"))
	require.Equal(t, 1, srv.Logins(authtest.Username))
	require.Equal(t, 1, srv.ActiveSessions(), "api leaves the user's session open")

	// A new login ends the session in IB_SESSION_TOKEN first.
	token2 := login(t, srv, session, "--username", authtest.Username)
	require.NotEqual(t, token, token2)
	require.Equal(t, 2, srv.Logins(authtest.Username))
	require.Equal(t, 1, srv.ActiveSessions())

	r = call{srv: srv, env: with(base, "IB_SESSION_TOKEN", token2)}.run(t, "logout")
	require.Equal(t, 0, r.code, r)
	require.Equal(t, "unset IB_SESSION_TOKEN\n", r.stdout)
	require.Zero(t, srv.ActiveSessions())

	// The ended session is refused, with advice.
	r = call{srv: srv, env: with(base, "IB_SESSION_TOKEN", token2)}.run(t, "api", "/account/1/balance")
	require.Equal(t, 1, r.code, r)
	require.Contains(t, r.stderr, "run 'ibauth login' for a new one")

	// Logging out of an ended session is not an error.
	r = call{srv: srv, env: with(base, "IB_SESSION_TOKEN", token2)}.run(t, "logout")
	require.Equal(t, 0, r.code, r)
}

// TestLoginFailures: a wrong password exits 1 with Infobip's message; a
// missing username, password or base URL is a usage or configuration
// error; none shows the password.
func TestLoginFailures(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	env := map[string]string{"IB_BASE_URL": srv.URL, "IB_USERNAME": authtest.Username}

	r := call{srv: srv, env: env, stdin: "wrong-password\n", secrets: []string{"wrong-password"}}.run(t, "login")
	require.Equal(t, 1, r.code, r)
	require.Empty(t, r.stdout)
	require.Contains(t, r.stderr, "log in as aladdin: auth: create IBSSO session: 401 E401: Invalid login details")
	require.Zero(t, srv.ActiveSessions())

	for _, tc := range []struct {
		env   map[string]string
		stdin string
		code  int
		want  string
		args  []string
	}{
		{env, "", 2, "no password given on stdin", nil},
		{map[string]string{"IB_BASE_URL": srv.URL}, authtest.Password, 2, "no username", nil},
		{map[string]string{"IB_USERNAME": authtest.Username}, authtest.Password, 3, "IB_BASE_URL is not set", nil},
		{env, authtest.Password, 2, "--username contains a control character", []string{"--username", "ala\x1b[31mddin"}},
		{with(env, "IB_USERNAME", "ala\tddin"), authtest.Password, 3, "IB_USERNAME contains a control character", nil},
	} {
		r := call{srv: srv, env: tc.env, stdin: tc.stdin}.run(t, append([]string{"login"}, tc.args...)...)
		require.Equal(t, tc.code, r.code, r)
		require.Contains(t, r.stderr, tc.want)
		require.Empty(t, r.stdout)
	}
	require.Zero(t, srv.Count(authtest.RouteCreateSession)-1, "only the wrong password reached the server")

	r = call{srv: srv, env: map[string]string{"IB_BASE_URL": srv.URL}}.run(t, "logout")
	require.Equal(t, 3, r.code, r)
	require.Contains(t, r.stderr, "IB_SESSION_TOKEN is not set")
}

// TestLoginCRLF: a password piped from a Windows file keeps no \r.
func TestLoginCRLF(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	r := call{srv: srv, env: map[string]string{"IB_BASE_URL": srv.URL}, stdin: authtest.Password + "\r\nmore\n", printsSecret: true}.
		run(t, "login", "-u", authtest.Username, "--unsafe")
	require.Equal(t, 0, r.code, r)
	require.JSONEq(t, `{"username":"aladdin","password":"open-sesame-7","unsafe":true}`,
		string(srv.Requests(authtest.RouteCreateSession)[0].Body))
}
