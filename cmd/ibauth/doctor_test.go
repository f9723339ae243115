package main

import (
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth/authtest"
)

// TestDoctorHealthy: against a working account, doctor reports the
// configuration, network, call, lifetime and clock as ok, and exits 0.
func TestDoctorHealthy(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.SetTokenLifetime(10 * time.Minute)
	// The fake's Date header follows its own clock, which stands still:
	// set it to this machine's time, and the skew stays within seconds.
	srv.Advance(time.Since(srv.Now()))
	for name, tc := range map[string]struct {
		env      map[string]string
		scheme   string
		lifetime string
	}{
		"app":   {appEnv(srv), "App (API key) from IB_API_KEY", "an API key does not expire by itself"},
		"basic": {basicEnv(srv), "Basic from IB_USERNAME and IB_PASSWORD", "Basic sends the username and password"},
		"ibsso": {ibssoEnv(srv), "IBSSO (a session kept in ibauth's cache) from IB_USERNAME and IB_PASSWORD", "IBSSO session created in"},
		"ibsso without the cache": {with(ibssoEnv(srv), "IB_NO_CACHE", "1"), "IBSSO (a session created for this run) from IB_USERNAME and IB_PASSWORD",
			"IBSSO session created in"},
		// The lifetime is the expires_in the server answered.
		"oauth": {oauthEnv(srv), "OAuth 2.0 (Bearer token) from IB_CLIENT_ID and IB_CLIENT_SECRET", "OAuth token valid for 10m0s (expires_in"},
	} {
		r := call{srv: srv, env: tc.env}.run(t, "doctor")
		require.Equal(t, 0, r.code, "%s: %s", name, r)
		require.Empty(t, r.stderr, name)
		for _, want := range []string{
			"ok    configuration  IB_BASE_URL", tc.scheme + ", base URL " + srv.URL,
			"ok    network        connected to 127.0.0.1:",
			"ok    call           GET /account/1/balance: 200 OK in ", "balance 42.5 EUR",
			"ok    lifetime       " + tc.lifetime,
			"ok    clock          this machine's clock ",
			"\nNo problems found.\n",
		} {
			require.Contains(t, r.stdout, want, name)
		}
	}
	require.Equal(t, 2, srv.Logins(authtest.Username))
	require.Equal(t, 1, srv.ActiveSessions(), "doctor destroys the session it created without the cache; the cache keeps the other")
}

// TestDoctorProblems: each problem is reported with advice, and the exit
// status says whether the configuration (3) or a check (1) failed;
// warnings alone exit 0.
func TestDoctorProblems(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + ln.Addr().String()
	ln.Close()

	for name, tc := range map[string]struct {
		env   map[string]string
		fault *authtest.Fault
		code  int
		want  []string
	}{
		"wrong key": {env: with(appEnv(srv), "IB_API_KEY", "bad-key-123"), code: 1, want: []string{
			"FAIL  call           auth: GET /account/1/balance: 401 E401: Invalid login details",
			"-> IB_API_KEY is wrong, revoked, outside its validity", "1 problem found."}},
		"wrong secret": {env: with(oauthEnv(srv), "IB_CLIENT_SECRET", "bad-secret-123"), code: 1, want: []string{
			"FAIL  call           GET /account/1/balance: auth: fetch OAuth token: 401 E401",
			"-> Infobip refused the OAuth client credentials: check IB_CLIENT_ID and IB_CLIENT_SECRET."}},
		"wrong password": {env: with(ibssoEnv(srv), "IB_PASSWORD", "bad-password-123"), code: 1, want: []string{
			"create IBSSO session: 401 E401", "-> Infobip refused the login: check IB_USERNAME and IB_PASSWORD"}},
		"ended session": {env: with(appEnv(srv), "IB_SESSION_TOKEN", "expired-session-token"), code: 1, want: []string{
			"IBSSO (the session in IB_SESSION_TOKEN) from IB_SESSION_TOKEN", "(IB_SESSION_TOKEN wins over IB_API_KEY)",
			"FAIL  call", "-> The session in IB_SESSION_TOKEN has ended: run 'ibauth login' again"}},
		"nothing listens": {env: with(appEnv(srv), "IB_BASE_URL", closed), code: 1, want: []string{
			"FAIL  network        connect:", "-> Nothing listens there: check the port in IB_BASE_URL",
			"skip  call           the base URL is not reachable"}},
		"no base URL": {env: map[string]string{"IB_API_KEY": authtest.APIKey}, code: 3, want: []string{
			"FAIL  configuration  IB_API_KEY set: auth: IB_BASE_URL is not set", "-> Set IB_BASE_URL to your account's base URL"}},
		"plain http": {env: with(appEnv(srv), "IB_BASE_URL", "http://example.com"), code: 3, want: []string{
			"uses http://", "-> Give IB_BASE_URL as https://host"}},
		"ambiguous": {env: with(basicEnv(srv), "IB_API_KEY", "x"), code: 3, want: []string{
			"credentials for several schemes", "-> Set IB_AUTH to app, basic, ibsso or oauth"}},
		"server error": {env: appEnv(srv), fault: &authtest.Fault{Status: 500}, code: 1, want: []string{
			"FAIL  call           auth: GET /account/1/balance: 500", "-> Infobip answered with a server error"}},
		"forbidden": {env: appEnv(srv), fault: &authtest.Fault{Status: 403}, code: 0, want: []string{
			"warn  call           GET /account/1/balance: 403 Forbidden", "-> The key's API scopes",
			"No problems found; 1 warning."}},
		"clock skew": {env: appEnv(srv), fault: &authtest.Fault{Header: http.Header{"Date": {time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)}}}, code: 0, want: []string{
			"warn  clock          this machine's clock is ", "ahead of Infobip's Date header", "-> Synchronise the clock"}},
	} {
		if tc.fault != nil {
			// One server per faulty case: faults apply to every request.
			s := newServer(t)
			s.Advance(time.Since(s.Now())) // no clock warning of its own
			s.Fail(authtest.RouteBalance, *tc.fault)
			tc.env = with(tc.env, "IB_BASE_URL", s.URL)
		}
		r := call{srv: srv, env: tc.env}.run(t, "doctor")
		require.Equal(t, tc.code, r.code, "%s: %s", name, r)
		for _, want := range tc.want {
			require.Contains(t, r.stdout, want, name)
		}
		if name == "clock skew" {
			// An hour, within the Date header's one-second resolution.
			require.Regexp(t, `clock is (59m5\d(\.\d)?s|1h0m[0-2](\.\d)?s) ahead`, r.stdout)
		}
	}
}

// TestDoctorNeverShowsAnEchoedSecret: a failed call whose answer echoes a
// secret of the IB_* variables, or the credential the call carried, is
// reported without it.
func TestDoctorNeverShowsAnEchoedSecret(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for name, tc := range map[string]struct {
		env    map[string]string
		echo   string
		secret string
	}{
		// The call carries an IBSSO session; the answer echoes the password.
		"password behind a session": {ibssoEnv(srv), authtest.Password, authtest.Password},
		"API key, percent-encoded":  {appEnv(srv), url.QueryEscape("App " + authtest.APIKey), authtest.APIKey},
	} {
		t.Run(name, func(t *testing.T) {
			srv.Fail(authtest.RouteBalance, authtest.Fault{Status: http.StatusInternalServerError, Times: 1,
				Body: `{"errorCode":"E500","description":"request with ` + tc.echo + ` failed"}`})
			r := call{srv: srv, env: tc.env}.run(t, "doctor")
			require.Equal(t, 1, r.code, r)
			requireNotShown(t, r, tc.secret)
			require.Contains(t, r.stdout, "GET /account/1/balance: 500 E500: request with [redacted] failed")
		})
	}
}
