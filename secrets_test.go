package auth_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

// leakCreds are distinctive credentials, registered on the fake server, for
// the secrets tests to look for. The password holds a space, as passwords
// may.
var leakCreds = creds{
	key:      "5ec7e75ec7e75ec7e75ec7e75ec7e7aa-1eaf-4bad-9bad-c0ffee5ec7e7",
	user:     "leak-probe-user",
	password: "Pa55 w0rd-leak-probe!",
	clientID: "leak-probe-client",
	secret:   "Cl1ent-leak-probe-SECRET",
}

// Wrong credentials tried by the secrets tests; they must not show either.
const (
	wrongKey      = "badbadbadbadbadbadbadbadbadbad00-wrong-leak-probe-key"
	wrongPassword = "Wr0ng pa55-leak-probe"
	wrongSecret   = "Wr0ng-Cl1ent-leak-probe"
)

// secrets lists what must never be printed after a run on r: the
// credentials, the Basic header's encoding of them, every token a request
// carried to the server, and the hex encoding of each.
func (r *rig) secrets() []string {
	list := []string{r.creds.key, r.creds.password, r.creds.secret, wrongKey, wrongPassword, wrongSecret,
		base64.StdEncoding.EncodeToString([]byte(r.creds.user + ":" + r.creds.password))}
	for _, route := range []string{authtest.RouteBalance, authtest.RouteSendSMS, authtest.RouteDestroySession} {
		for _, req := range r.srv.Requests(route) {
			if _, cred, ok := strings.Cut(req.Header.Get("Authorization"), " "); ok && cred != "" {
				list = append(list, cred)
			}
		}
	}
	for _, s := range list[:len(list):len(list)] {
		list = append(list, hex.EncodeToString([]byte(s)))
	}
	return list
}

// check fails t if any recorded rendering holds one of the secrets.
func (l *leakScan) check(t *testing.T, secrets []string) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	require.NotEmpty(t, l.outs, "nothing was recorded")
	for _, out := range l.outs {
		for _, s := range secrets {
			if i := strings.Index(out, s); i >= 0 {
				label, _, _ := strings.Cut(out, "\n")
				t.Errorf("%s: secret %.8q… printed: …%s…", label, s, out[max(i-60, 0):min(i+len(s)+20, len(out))])
			}
		}
	}
}

// scanned runs body on a rig with leakCreds, then scans everything it
// recorded for secrets.
func scanned(t *testing.T, name string, body func(t *testing.T, r *rig)) {
	t.Run(name, func(t *testing.T) {
		scan := &leakScan{}
		r := newRig(t, leakCreds, scan)
		body(t, r)
		scan.check(t, r.secrets())
	})
}

// TestSecretsOnEveryFailurePath drives every secret-holding type through
// every fault of the matrix, and more failures, and renders every error,
// wrapped error, refresh event and value involved every way fmt and slog
// can (fmtAll), looking for the key, the passwords, the client secret and
// every token.
func TestSecretsOnEveryFailurePath(t *testing.T) {
	for _, f := range faults() {
		t.Run(f.name, func(t *testing.T) {
			scanned(t, "session endpoint", func(t *testing.T, r *rig) { runFetchFault(t, r, kindIBSSO, f, f.sessionWant()) })
			scanned(t, "token endpoint", func(t *testing.T, r *rig) { runFetchFault(t, r, kindBearer, f, f.tokenWant()) })
			for _, kind := range []string{kindApp, kindBasic, kindIBSSO, kindBearer} {
				scanned(t, "API with "+kind, func(t *testing.T, r *rig) { runAPIFault(t, r, kind, f) })
			}
			scanned(t, "session DELETE", func(t *testing.T, r *rig) { runCloseFault(t, r, f) })
		})
	}

	for _, kind := range []string{kindIBSSO, kindBearer} {
		scanned(t, "renewal after 401 fails with "+kind, func(t *testing.T, r *rig) { runRenewalFailure(t, r, kind) })
	}

	t.Run("wrong credentials", func(t *testing.T) {
		wrong := map[string]func(c *creds){
			kindApp:    func(c *creds) { c.key = wrongKey },
			kindBasic:  func(c *creds) { c.password = wrongPassword },
			kindIBSSO:  func(c *creds) { c.password = wrongPassword },
			kindBearer: func(c *creds) { c.secret = wrongSecret },
		}
		for _, kind := range []string{kindApp, kindBasic, kindIBSSO, kindBearer} {
			scanned(t, kind, func(t *testing.T, r *rig) {
				wrong[kind](&r.creds)
				a, ev := r.authenticator(kind, 0)
				c := r.client(a)
				resp, err := balance(t, t.Context(), c, r.srv)
				var apiErr *auth.Error
				if kind == kindApp || kind == kindBasic {
					require.NoError(t, err)
					require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
					apiErr = auth.ParseError(resp)
					resp.Body.Close()
				} else {
					require.ErrorAs(t, err, &apiErr)
					r.observeErr("client error", err)
					for _, e := range ev.wait(t, 1) {
						r.observe("RefreshEvent", e)
					}
				}
				require.Equal(t, "E401", apiErr.Code)
				r.observeErr("*auth.Error", apiErr)
				r.creds = leakCreds // the right ones are secret too
			})
		}
	})

	scanned(t, "bad configuration", func(t *testing.T, r *rig) {
		c := r.creds
		var errs []error
		try := func(_ any, err error) { require.Error(t, err); errs = append(errs, err) }
		try(auth.NewAPIKey(c.key + "\n"))
		try(auth.NewAPIKey(" " + c.key))
		try(auth.NewAPIKey("App " + c.key))
		try(auth.NewAPIKey(c.key[:8] + " " + c.key[8:]))
		try(auth.NewBasic(c.user, c.password+"\r\n"))
		try(auth.NewBasic(c.user+":"+c.password, c.password))
		try(auth.NewIBSSO(auth.IBSSOConfig{BaseURL: "https://" + c.user + ":" + c.password + "@api.infobip.com", Username: c.user, Password: c.password}))
		try(auth.NewIBSSO(auth.IBSSOConfig{BaseURL: r.srv.URL, Username: c.user, Password: c.password + "\x00"}))
		try(auth.NewOAuth(auth.OAuthConfig{BaseURL: r.srv.URL, ClientID: c.clientID, ClientSecret: c.secret + " x"}))
		try(auth.NewOAuth(auth.OAuthConfig{BaseURL: "https://" + c.clientID + ":" + c.secret + "@api.infobip.com", ClientID: c.clientID, ClientSecret: c.secret}))
		try(auth.NewOAuth(auth.OAuthConfig{BaseURL: "https://id:" + c.secret + "/x@api.infobip.com", ClientID: c.clientID, ClientSecret: c.secret}))
		k, err := auth.NewAPIKey(c.key)
		require.NoError(t, err)
		try(auth.NewTransport("https://u:"+c.key+"@api.infobip.com", k, nil))
		try(auth.NewTransport("https://api.infobip.com/"+c.key, k, nil))

		for _, env := range []map[string]string{
			{"IB_BASE_URL": r.srv.URL, "IB_API_KEY": c.key + " "},
			{"IB_BASE_URL": r.srv.URL, "IB_USERNAME": c.user, "IB_PASSWORD": c.password + "\n"},
			{"IB_BASE_URL": r.srv.URL, "IB_USERNAME": c.user, "IB_PASSWORD": c.password + "\t", "IB_AUTH": "ibsso"},
			{"IB_BASE_URL": r.srv.URL, "IB_CLIENT_ID": c.clientID, "IB_CLIENT_SECRET": c.secret + "\t"},
			{"IB_BASE_URL": "https://u:" + c.secret + "@api.infobip.com", "IB_API_KEY": c.key},
			{"IB_BASE_URL": r.srv.URL, "IB_API_KEY": c.key, "IB_CLIENT_ID": c.clientID, "IB_CLIENT_SECRET": c.secret},
			{"IB_BASE_URL": r.srv.URL, "IB_API_KEY": c.key, "IB_AUTH": c.secret},
		} {
			for _, name := range []string{"IB_BASE_URL", "IB_API_KEY", "IB_USERNAME", "IB_PASSWORD", "IB_CLIENT_ID", "IB_CLIENT_SECRET", "IB_AUTH"} {
				t.Setenv(name, env[name])
			}
			_, a, err := auth.FromEnv()
			require.Nil(t, a)
			try(nil, err)
		}
		for _, err := range errs {
			r.observeErr("configuration error", err)
		}
	})
}

// TestEchoedSecretsAreScrubbed: a server or proxy that echoes our request in
// its error page must not put the password, client secret or session token
// into the error we return, in any of the forms the request carried it.
func TestEchoedSecretsAreScrubbed(t *testing.T) {
	const (
		password = `Ech0ed pass/word&"x"`
		secret   = `ech0ed+client/secret`
	)
	cases := []struct {
		name  string
		route string
		body  string
		err   func(srv *authtest.Server) error
	}{
		{"token endpoint, form echo in HTML", authtest.RouteToken,
			"<html>400 Bad request: client_id=echo-client&client_secret=" + url.QueryEscape(secret) + "</html>",
			func(srv *authtest.Server) error {
				b, err := auth.NewOAuth(auth.OAuthConfig{BaseURL: srv.URL, ClientID: "echo-client", ClientSecret: secret, Now: srv.Now})
				require.NoError(t, err)
				_, err = b.Authorization(context.Background())
				return err
			}},
		{"token endpoint, raw echo in JSON", authtest.RouteToken,
			`{"errorCode":"E400","description":"bad secret ` + secret + `"}`,
			func(srv *authtest.Server) error {
				b, err := auth.NewOAuth(auth.OAuthConfig{BaseURL: srv.URL, ClientID: "echo-client", ClientSecret: secret, Now: srv.Now})
				require.NoError(t, err)
				_, err = b.Authorization(context.Background())
				return err
			}},
		{"session endpoint, JSON echo", authtest.RouteCreateSession,
			`{"requestError":{"serviceException":{"messageId":"BAD_REQUEST","text":"cannot parse password ` + strings.Trim(jsonQuote(password), `"`) + `"}}}`,
			func(srv *authtest.Server) error {
				s, err := auth.NewIBSSO(auth.IBSSOConfig{BaseURL: srv.URL, Username: "echo-user", Password: password, Now: srv.Now})
				require.NoError(t, err)
				defer s.Close(context.Background())
				_, err = s.Authorization(context.Background())
				return err
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := setup(t)
			srv.Fail(tc.route, authtest.Fault{Status: http.StatusBadRequest, Body: tc.body})
			err := tc.err(srv)
			var apiErr *auth.Error
			require.ErrorAs(t, err, &apiErr)
			require.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
			out := fmtAll(err) + fmtAll(apiErr) + fmtAll(*apiErr)
			for e := errors.Unwrap(apiErr); e != nil; e = errors.Unwrap(e) {
				out += fmtAll(e)
			}
			for _, s := range []string{password, secret, url.QueryEscape(secret), url.QueryEscape(password), jsonQuote(password)} {
				require.NotContains(t, out, s)
			}
			require.Contains(t, out, "[redacted]", "the echo is visible as such")
		})
	}
}

func jsonQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// An RFC 6749 error body echoing the secret: scrubbed from the wrapped
// *oauth2.RetrieveError too.
func TestOAuthErrorDescriptionEchoIsScrubbed(t *testing.T) {
	srv := setup(t)
	const secret = "ech0ed-client-secret"
	srv.Fail(authtest.RouteToken, authtest.Fault{Status: 400, Header: http.Header{"Content-Type": {"application/json"}},
		Body: `{"error":"invalid_client","error_description":"bad secret ` + secret + `"}`})
	b, err := auth.NewOAuth(auth.OAuthConfig{BaseURL: srv.URL, ClientID: "c", ClientSecret: secret, Now: srv.Now})
	require.NoError(t, err)
	_, err = b.Authorization(context.Background())
	require.Error(t, err)
	out := fmtAll(err)
	for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
		out += fmtAll(e)
	}
	require.NotContains(t, out, secret)
}
