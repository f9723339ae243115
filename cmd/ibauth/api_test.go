package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/internal/testkit"
)

const balanceBody = `{"balance":42.5,"currency":"EUR"}`

// TestAPIEveryScheme: 'ibauth api' authenticates with each scheme the
// environment selects, and writes the body as received when piped.
func TestAPIEveryScheme(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for name, env := range map[string]map[string]string{
		"app": appEnv(srv), "basic": basicEnv(srv), "ibsso": ibssoEnv(srv), "oauth": oauthEnv(srv),
	} {
		r := call{srv: srv, env: env}.run(t, "api", "/account/1/balance")
		require.Equal(t, 0, r.code, "%s: %s", name, r)
		require.Equal(t, balanceBody, r.stdout, name)
		require.Empty(t, r.stderr, name)
	}
	require.Equal(t, 4, srv.Count(authtest.RouteBalance))
	require.Equal(t, 1, srv.Logins(authtest.Username))
	require.Equal(t, 1, srv.ActiveSessions(), "the cache keeps the IBSSO session ibauth created")
}

// TestAPIPretty: on a terminal (IBAUTH_FORCE_TTY) JSON is indented.
func TestAPIPretty(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	r := call{srv: srv, env: with(appEnv(srv), "IBAUTH_FORCE_TTY", "1")}.run(t, "api", "account/1/balance")
	require.Equal(t, 0, r.code, r)
	require.Equal(t, "{\n  \"balance\": 42.5,\n  \"currency\": \"EUR\"\n}\n", r.stdout)
}

// TestAPIErrorStatus: a 4xx answer prints the body, shows Infobip's error
// on stderr, and exits 1.
func TestAPIErrorStatus(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	r := call{srv: srv, env: with(appEnv(srv), "IB_API_KEY", "wrong-key")}.run(t, "api", "/account/1/balance")
	require.Equal(t, 1, r.code, r)
	require.Contains(t, r.stdout, `"messageId":"UNAUTHORIZED"`)
	require.Equal(t, "ibauth: auth: GET /account/1/balance: 401 E401: Invalid login details\n", r.stderr)

	r = call{srv: srv, env: appEnv(srv)}.run(t, "api", "/no/such/path")
	require.Equal(t, 1, r.code, r)
	require.Contains(t, r.stderr, "ibauth: auth: GET /no/such/path: 404 E404")

	srv.Fail(authtest.RouteBalance, authtest.Fault{Status: 502, Body: "<html>Bad gateway</html>", Times: 1})
	r = call{srv: srv, env: appEnv(srv)}.run(t, "api", "/account/1/balance")
	require.Equal(t, 1, r.code, r)
	require.Equal(t, "<html>Bad gateway</html>", r.stdout)
	require.Contains(t, r.stderr, `502 E502: "<html>Bad gateway</html>"`)
}

// TestAPIRequest: method, headers, fields and --input make the request
// gh api would make.
func TestAPIRequest(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := call{srv: srv, env: appEnv(srv)}

	// GET: fields go to the query.
	r := c.run(t, "api", "-X", "GET", "/account/1/balance?x=1", "-f", "a=b c", "-F", "n=3", "-H", "X-Trace: t1")
	require.Equal(t, 0, r.code, r)
	got := srv.Requests(authtest.RouteBalance)[0]
	require.Equal(t, "x=1&a=b+c&n=3", got.Query)
	require.Equal(t, "t1", got.Header.Get("X-Trace"))
	require.Equal(t, "App "+authtest.APIKey, got.Header.Get("Authorization"))
	require.Equal(t, "application/json", got.Header.Get("Accept"))
	require.True(t, strings.HasPrefix(got.Header.Get("User-Agent"), "ibauth/"))

	// Fields without a method: POST with a JSON body.
	srv.Handle("POST /echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) }))
	r = c.run(t, "api", "/echo", "-f", "text=hi", "-F", "n=3", "-F", "ok=true", "-F", "none=null")
	require.Equal(t, 0, r.code, r)
	got = srv.Requests("POST /echo")[0]
	require.JSONEq(t, `{"text":"hi","n":3,"ok":true,"none":null}`, string(got.Body))
	require.Equal(t, "application/json", got.Header.Get("Content-Type"))

	// --input - sends stdin; a body file works as well.
	sms := `{"messages":[{"destinations":[{"to":"41793026727"}],"content":{"text":"Hi"}}]}`
	r = call{srv: srv, env: appEnv(srv), stdin: sms}.run(t, "api", "/sms/3/messages", "--input", "-")
	require.Equal(t, 0, r.code, r)
	require.Equal(t, sms, string(srv.Requests(authtest.RouteSendSMS)[0].Body))
	var sent struct{ BulkID string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sent))
	require.NotEmpty(t, sent.BulkID)

	file := filepath.Join(t.TempDir(), "body.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"name":"x"}`), 0o600))
	r = c.run(t, "api", "-X", "put", "/echo", "--input", file)
	require.Equal(t, 1, r.code, "PUT /echo is not a route: 405") // but the request went out as asked
	require.Contains(t, r.stderr, "PUT /echo: 405")

	// A full URL on the base URL's origin is a path.
	r = c.run(t, "api", srv.URL+"/account/1/balance")
	require.Equal(t, 0, r.code, r)
}

// TestAPIRefusals: what would send the credential elsewhere, or replace
// it, is refused before any request.
func TestAPIRefusals(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := call{srv: srv, env: appEnv(srv)}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"api", "https://evil.example/account/1/balance"}, "is not on IB_BASE_URL"},
		{[]string{"api", "-H", "Authorization: App x", "/account/1/balance"}, "the Authorization header comes from the IB_* variables"},
		{[]string{"api", "-H", "no colon", "/account/1/balance"}, "write it as 'Name: value'"},
		{[]string{"api", "-f", "novalue", "/account/1/balance"}, "write it as key=value"},
		{[]string{"api", "-X", "GE T", "/account/1/balance"}, "use letters only"},
		{[]string{"api", "--input", "/no/such/file", "/account/1/balance"}, "--input"},
	} {
		r := c.run(t, tc.args...)
		require.Equal(t, 2, r.code, "%v\n%s", tc.args, r)
		require.Contains(t, r.stderr, tc.want)
	}
	require.Zero(t, srv.Count(authtest.RouteBalance))
}

// TestAPIConfigErrors: missing, invalid or ambiguous variables exit 3
// with a message naming them, and never a credential.
func TestAPIConfigErrors(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"IB_API_KEY": authtest.APIKey}, "ibauth: auth: IB_BASE_URL is not set"},
		{map[string]string{"IB_BASE_URL": srv.URL}, "no Infobip credentials in the environment"},
		{with(appEnv(srv), "IB_CLIENT_ID", "a", "IB_CLIENT_SECRET", authtest.ClientSecret), "set IB_AUTH"},
		{with(appEnv(srv), "IB_BASE_URL", "http://example.com"), "uses http://"},
		{with(appEnv(srv), "IB_AUTH", "nope"), "IB_AUTH must be one of"},
		{with(appEnv(srv), "IB_API_KEY", "App "+authtest.APIKey), "IB_API_KEY"},
		{map[string]string{"IB_SESSION_TOKEN": "abc"}, "IB_BASE_URL is not set"},
		// The library's refusal, under the variable's name, not under a
		// function of the library that the user never called.
		{map[string]string{"IB_SESSION_TOKEN": "abc", "IB_BASE_URL": "http://example.com"},
			`ibauth: IB_BASE_URL: auth: base URL "http://example.com" uses http://`},
	} {
		r := call{srv: srv, env: tc.env}.run(t, "api", "/account/1/balance")
		require.Equal(t, 3, r.code, "%v\n%s", tc.env, r)
		require.Contains(t, r.stderr, tc.want)
		require.Contains(t, r.stderr, "Run 'ibauth doctor'")
		require.Empty(t, r.stdout)
	}
	require.Zero(t, srv.Count(authtest.RouteBalance))
}

// TestAPIDebug: --debug shows each request and response head on stderr,
// the Authorization value redacted but its scheme kept, for every scheme
// and for the session and token requests, whose bodies are not shown.
func TestAPIDebug(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for scheme, env := range map[string]map[string]string{
		"App": appEnv(srv), "Basic": basicEnv(srv), "IBSSO": with(ibssoEnv(srv), "IB_NO_CACHE", "1"), "Bearer": oauthEnv(srv),
	} {
		r := call{srv: srv, env: env}.run(t, "--debug", "api", "/account/1/balance?secret=hidden")
		require.Equal(t, 0, r.code, r)
		require.Equal(t, balanceBody, r.stdout)
		require.Contains(t, r.stderr, "> GET /account/1/balance?secret=[redacted] HTTP/1.1\n")
		require.Contains(t, r.stderr, "> Authorization: "+scheme+" [redacted]\n")
		require.Contains(t, r.stderr, "< HTTP/1.1 200 OK")
		require.NotContains(t, r.stderr, "hidden")
		switch scheme {
		case "IBSSO":
			require.Contains(t, r.stderr, "> POST /auth/1/session HTTP/1.1")
			require.Contains(t, r.stderr, "> DELETE /auth/1/session HTTP/1.1")
		case "Bearer":
			require.Contains(t, r.stderr, "> POST /auth/1/oauth2/token HTTP/1.1")
		}
	}
	// The flag is taken after the command too.
	r := call{srv: srv, env: appEnv(srv)}.run(t, "api", "/account/1/balance", "--debug")
	require.Contains(t, r.stderr, "> Authorization: App [redacted]")
}

// TestAPIInclude: -i prints the status line and headers first.
func TestAPIInclude(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	r := call{srv: srv, env: appEnv(srv)}.run(t, "api", "-i", "/account/1/balance")
	require.Equal(t, 0, r.code, r)
	require.True(t, strings.HasPrefix(r.stdout, "HTTP/1.1 200 OK\n"), r.stdout)
	require.Contains(t, r.stdout, "Content-Type: application/json\n")
	require.True(t, strings.HasSuffix(r.stdout, "\n\n"+balanceBody), r.stdout)
}

// TestEchoedCredentialIsScrubbed: a server or proxy that echoes the
// request into its error page gets the credential blotted out of what
// ibauth reports on stderr (api) and stdout (doctor), for every scheme.
func TestEchoedCredentialIsScrubbed(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	echo := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"you sent %s"}}}`, r.Header.Get("Authorization"))
	}
	srv.Handle("GET /echo", http.HandlerFunc(echo))
	srv.Fail(authtest.RouteBalance, authtest.Fault{Status: http.StatusUnauthorized,
		Body: `{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"you sent App ` + authtest.APIKey + `"}}}`})
	for name, env := range map[string]map[string]string{"app": appEnv(srv), "basic": basicEnv(srv), "oauth": oauthEnv(srv)} {
		c := call{srv: srv, env: env, secrets: []string{"Ym9i"}}
		r := c.run(t, "api", "/echo") // run fails the test on any secret in stderr
		require.Equal(t, 1, r.code, "%s\n%s", name, r)
		require.Contains(t, r.stderr, "you sent [redacted]", name)
	}
	c := call{srv: srv, env: appEnv(srv)}
	r := c.run(t, "doctor")
	require.NotContains(t, r.stdout, authtest.APIKey)
	require.Contains(t, r.stdout, "[redacted]")
}

// TestPathSecretsAreNotRepeated: a full URL given as PATH may carry user
// information or a key; errors name its origin at most.
func TestPathSecretsAreNotRepeated(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := call{srv: srv, env: appEnv(srv), secrets: []string{"SUPERSECRET"}}
	for _, p := range []string{"http://u:SUPERSECRET@evil.example/%zz", "http://evil.example/x?api_key=SUPERSECRET"} {
		r := c.run(t, "api", p)
		require.Equal(t, 2, r.code, r)
	}
}

// proxyPage is a proxy's error page that echoes the request it refused,
// echo standing for its Authorization header, far past the excerpt an
// auth.Error keeps of a page.
func proxyPage(echo string) string {
	return "<html><head><title>400 Bad Request</title></head><body><h1>Bad Request</h1><p>" +
		strings.Repeat("The proxy could not forward the request to the upstream server. ", 40) +
		"</p><pre>GET /account/1/balance HTTP/1.1\r\nHost: api.infobip.com\r\nAuthorization: " + echo + "\r\n</pre></body></html>"
}

// requireNotShown fails the test if r shows secret, raw or in any form a
// server may echo it in.
func requireNotShown(t *testing.T, r result, secret string) {
	t.Helper()
	for name, out := range map[string]string{"stdout": r.stdout, "stderr": r.stderr} {
		if form, ok := testkit.ShowsSecret(out, secret); ok {
			t.Fatalf("%s shows the secret %.6s… (%s):\n%s", name, secret, form, r)
		}
	}
}

// TestAPIWithholdsAnErrorBodyThatEchoesTheCredential: 'ibauth api' judges
// the whole body of a 4xx or 5xx answer, as received, and does not print
// it when it holds the credential in any form; Infobip's error is still
// reported on stderr, and the exit status is 1.
func TestAPIWithholdsAnErrorBodyThatEchoesTheCredential(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	const withheld = "ibauth: the answer echoes a credential; its body is not shown\n"
	key := authtest.APIKey
	cases := []struct{ name, body string }{
		{"past the excerpt of a proxy page", proxyPage("App " + key)},
		{"in a field the parser does not read", `{"errorCode":"E401","description":"Invalid login details","debug":{"authorization":"App ` + key + `"}}`},
		{"in resources[].url", `{"errorCode":"E401","description":"Invalid login details","resources":[{"name":"help","url":"https://example.com/help?authorization=App%20` + key + `"}]}`},
		{"in a body that says [redacted] already", `{"errorCode":"E401","description":"Authorization: [redacted]","action":"Do not send App ` + key + `"}`},
	}
	for _, form := range testkit.EchoForms {
		cases = append(cases, struct{ name, body string }{"past the excerpt, " + form.Name, proxyPage(form.Enc("App " + key))})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv.Fail(authtest.RouteBalance, authtest.Fault{Status: http.StatusBadGateway, Body: tc.body, Times: 1})
			r := call{srv: srv, env: appEnv(srv)}.run(t, "api", "/account/1/balance")
			require.Equal(t, 1, r.code, r)
			requireNotShown(t, r, key)
			require.Empty(t, r.stdout)
			require.Contains(t, r.stderr, withheld)
			require.Contains(t, r.stderr, "GET /account/1/balance: 502 ")
		})
	}

	// A body too long to judge whole is not shown either.
	srv.Fail(authtest.RouteBalance, authtest.Fault{Status: http.StatusInternalServerError, Oversize: true, Times: 1})
	r := call{srv: srv, env: appEnv(srv)}.run(t, "api", "/account/1/balance")
	require.Equal(t, 1, r.code, r)
	require.Empty(t, r.stdout)
	require.Contains(t, r.stderr, "ibauth: the answer's body is longer than 1 MiB; it is not shown\n")
	require.Contains(t, r.stderr, "GET /account/1/balance: 500 ")

	// A body that says [redacted] but holds no credential is shown.
	body := `{"errorCode":"E400","description":"Authorization: [redacted]"}`
	srv.Fail(authtest.RouteBalance, authtest.Fault{Status: http.StatusBadRequest, Body: body, Times: 1})
	r = call{srv: srv, env: appEnv(srv)}.run(t, "api", "/account/1/balance")
	require.Equal(t, 1, r.code, r)
	require.Equal(t, body, r.stdout)
	require.NotContains(t, r.stderr, withheld)
}

// TestAPIWithholdsTheCredentialItSent: the credential judged is the one
// the request carried, for every scheme: a session or a token ibauth got
// for this run, which no IB_* variable holds.
func TestAPIWithholdsTheCredentialItSent(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	var mu sync.Mutex
	var echoed []string
	srv.Handle("GET /echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		authz := r.Header.Get("Authorization")
		mu.Lock()
		echoed = append(echoed, authz)
		mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, proxyPage(authz))
	}))
	for name, env := range map[string]map[string]string{
		"app": appEnv(srv), "basic": basicEnv(srv), "ibsso": ibssoEnv(srv), "oauth": oauthEnv(srv),
	} {
		t.Run(name, func(t *testing.T) {
			r := call{srv: srv, env: env}.run(t, "api", "/echo")
			require.Equal(t, 1, r.code, r)
			mu.Lock()
			sent := echoed[len(echoed)-1]
			mu.Unlock()
			_, cred, _ := strings.Cut(sent, " ")
			requireNotShown(t, r, cred)
			require.Empty(t, r.stdout)
			require.Contains(t, r.stderr, "its body is not shown")
		})
	}
}

// TestAPIErrorNeverShowsAKnownSecret: an answer echoing a secret of the
// IB_* variables that this request did not carry (the password, while an
// IBSSO session authenticates the call) shows it neither in the body nor
// in the error on stderr.
func TestAPIErrorNeverShowsAKnownSecret(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Fail(authtest.RouteBalance, authtest.Fault{Status: http.StatusInternalServerError, Times: 1,
		Body: `{"errorCode":"E500","description":"login of ` + authtest.Username + ` with ` + authtest.Password + ` failed"}`})
	r := call{srv: srv, env: ibssoEnv(srv)}.run(t, "api", "/account/1/balance")
	require.Equal(t, 1, r.code, r)
	requireNotShown(t, r, authtest.Password)
	require.Contains(t, r.stderr, "GET /account/1/balance: 500 E500: login of "+authtest.Username+" with [redacted] failed")
}

// TestAPIIncludeRedactsHeadersByValue: -i prints response headers with any
// credential they reflect redacted, whatever the header's name.
func TestAPIIncludeRedactsHeadersByValue(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Handle("GET /reflect", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Reflected-Request", "Authorization="+r.Header.Get("Authorization"))
		w.Header().Set("X-Reflected-Escaped", url.QueryEscape(r.Header.Get("Authorization")))
		w.Header().Set("X-Request-Id", "r-42")
		io.WriteString(w, "{}")
	}))
	r := call{srv: srv, env: appEnv(srv)}.run(t, "api", "-i", "/reflect")
	require.Equal(t, 0, r.code, r)
	requireNotShown(t, r, authtest.APIKey)
	require.Contains(t, r.stdout, "X-Reflected-Request: Authorization=[redacted]\n")
	require.Contains(t, r.stdout, "X-Request-Id: r-42\n")
}

// TestDebugRedactsCredentialsByValue: --debug redacts a credential by its
// value too, in any header of the request or the response and in any
// encoding: a server reflecting the request's Authorization, a session or
// token endpoint reflecting the password or client secret it was sent, a
// header the user added.
func TestDebugRedactsCredentialsByValue(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	var mu sync.Mutex
	var reflected []string
	srv.Handle("GET /reflect", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		authz := r.Header.Get("Authorization")
		mu.Lock()
		reflected = append(reflected, authz)
		mu.Unlock()
		w.Header().Set("X-Reflected-Request", "Authorization="+authz)
		w.Header().Set("X-Reflected-Form", "authorization="+url.QueryEscape(authz))
		w.Header().Set("X-Reflected-Base64", base64.StdEncoding.EncodeToString([]byte(authz)))
		w.Header().Set("X-Request-Id", "r-42")
		io.WriteString(w, "{}")
	}))
	for name, env := range map[string]map[string]string{
		"app": appEnv(srv), "basic": basicEnv(srv), "ibsso": ibssoEnv(srv), "oauth": oauthEnv(srv),
	} {
		t.Run("response headers reflecting the request's credential, "+name, func(t *testing.T) {
			r := call{srv: srv, env: env}.run(t, "--debug", "api", "/reflect")
			require.Equal(t, 0, r.code, r)
			mu.Lock()
			authz := reflected[len(reflected)-1]
			mu.Unlock()
			_, cred, _ := strings.Cut(authz, " ")
			requireNotShown(t, r, cred)
			require.Contains(t, r.stderr, "< X-Reflected-Request: Authorization=[redacted]\n")
			require.Contains(t, r.stderr, "< X-Request-Id: r-42\n", "headers without a secret are shown as they are")
		})
	}

	for _, tc := range []struct {
		name, route, echo, secret string
		env                       map[string]string
	}{
		{"session endpoint reflecting the password", authtest.RouteCreateSession,
			"username=" + authtest.Username + "&password=" + url.QueryEscape(authtest.Password), authtest.Password, ibssoEnv(srv)},
		{"token endpoint reflecting the client secret", authtest.RouteToken,
			"client_secret=" + authtest.ClientSecret, authtest.ClientSecret, oauthEnv(srv)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.Fail(tc.route, authtest.Fault{Header: http.Header{"X-Echo": {tc.echo}}, Times: 1})
			r := call{srv: srv, env: tc.env}.run(t, "--debug", "api", "/account/1/balance")
			require.Equal(t, 0, r.code, r)
			requireNotShown(t, r, tc.secret)
			require.Contains(t, r.stderr, "< X-Echo: ")
		})
	}

	t.Run("a request header the user added", func(t *testing.T) {
		r := call{srv: srv, env: appEnv(srv)}.run(t, "--debug", "api", "-H", "X-Note: sent with App "+authtest.APIKey, "/account/1/balance")
		require.Equal(t, 0, r.code, r)
		requireNotShown(t, r, authtest.APIKey)
		require.Contains(t, r.stderr, "> X-Note: sent with [redacted]\n")
	})
}

// TestErrorsNeverShowAnotherKnownSecret: an answer echoing a secret of the
// IB_* variables that its request did not carry (the API key, while
// IB_AUTH=ibsso logs in with the password) shows it neither in the error
// ibauth reports nor in the library's --debug records.
func TestErrorsNeverShowAnotherKnownSecret(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Fail(authtest.RouteCreateSession, authtest.Fault{Status: http.StatusUnauthorized, Times: 1,
		Body: `{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"use your key ` + authtest.APIKey + ` instead"}}}`})
	env := with(ibssoEnv(srv), "IB_API_KEY", authtest.APIKey)
	r := call{srv: srv, env: env}.run(t, "--debug", "api", "/account/1/balance")
	require.Equal(t, 1, r.code, r)
	requireNotShown(t, r, authtest.APIKey)
	require.Contains(t, r.stderr, "401 E401: use your key [redacted] instead")
}

// TestShortSecretsLeaveMessagesAlone: a secret shorter than the scrubber
// can cut out of a text (here an API key "one") is looked for in what a
// server says, not in ibauth's and the library's own words, which it would
// otherwise wipe out by chance.
func TestShortSecretsLeaveMessagesAlone(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	r := call{srv: srv, env: with(appEnv(srv), "IB_API_KEY", "one", "IB_AUTH", "nope")}.run(t, "api", "/account/1/balance")
	require.Equal(t, 3, r.code, r)
	require.Contains(t, r.stderr, "ibauth: auth: IB_AUTH must be one of app, basic, ibsso, oauth\n")
}

// TestAPIStatusAbove299: a status above 299 once redirects are followed is
// a failure, as with gh: a 3xx that is not followed (no Location, 304)
// exits 1 with the status on stderr; a followed redirect to a 200 is a
// success.
func TestAPIStatusAbove299(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Handle("GET /stuck", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusFound) // no Location: nothing to follow
		io.WriteString(w, "found nowhere")
	}))
	srv.Handle("GET /unchanged", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotModified)
	}))
	srv.Handle("GET /moved", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/account/1/balance", http.StatusMovedPermanently)
	}))
	c := call{srv: srv, env: appEnv(srv)}

	r := c.run(t, "api", "/stuck")
	require.Equal(t, 1, r.code, r)
	require.Equal(t, "found nowhere", r.stdout)
	require.Contains(t, r.stderr, "ibauth: auth: GET /stuck: 302 ")

	r = c.run(t, "api", "/unchanged")
	require.Equal(t, 1, r.code, r)
	require.Empty(t, r.stdout)
	require.Contains(t, r.stderr, "ibauth: auth: GET /unchanged: 304 ")

	r = c.run(t, "api", "/moved")
	require.Equal(t, 0, r.code, r)
	require.Equal(t, balanceBody, r.stdout)
}

// TestAPISilent: --silent prints no body, on success or failure; the
// error still goes to stderr, -i headers to stdout, and the exit status
// is as without it.
func TestAPISilent(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := call{srv: srv, env: appEnv(srv)}
	r := c.run(t, "api", "--silent", "/account/1/balance")
	require.Equal(t, 0, r.code, r)
	require.Empty(t, r.stdout)
	require.Empty(t, r.stderr)

	r = call{srv: srv, env: with(appEnv(srv), "IBAUTH_FORCE_TTY", "1")}.run(t, "api", "/account/1/balance", "--silent", "-i")
	require.Equal(t, 0, r.code, r)
	require.True(t, strings.HasPrefix(r.stdout, "HTTP/1.1 200 OK\n"), r.stdout)
	require.True(t, strings.HasSuffix(r.stdout, "\n\n"), r.stdout)
	require.NotContains(t, r.stdout, "balance")

	r = call{srv: srv, env: with(appEnv(srv), "IB_API_KEY", "wrong-key")}.run(t, "api", "--silent", "/account/1/balance")
	require.Equal(t, 1, r.code, r)
	require.Empty(t, r.stdout)
	require.Equal(t, "ibauth: auth: GET /account/1/balance: 401 E401: Invalid login details\n", r.stderr)
}
