package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/internal/testkit"
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

// TestEchoingServersNeverShowSecrets: the session and token endpoints, or a
// proxy before them, answer an error that echoes the password or client
// secret, in each encoding a server might use, in each kind of body. The
// error the caller gets shows it nowhere, in no form.
func TestEchoingServersNeverShowSecrets(t *testing.T) {
	const (
		password = `Pä55 w/rd&"<x>'😀+\z`
		secret   = `Cl1ent/sé&cret"<x>'😀+`
	)
	bodies := []struct {
		name, contentType, format string
		status                    int
	}{
		{"new JSON body", "application/json", `{"errorCode":"E400","description":"bad value %[1]s","action":"retry without %[1]s","violations":[{"property":"%[1]s","violation":"is %[1]s"}],"resources":[{"name":"%[1]s","url":"https://example.com/?v=%[1]s"}]}`, 400},
		{"old JSON body", "application/json", `{"requestError":{"serviceException":{"messageId":"BAD_REQUEST","text":"cannot parse %[1]s","validationErrors":{"%[1]s":["%[1]s"]}}}}`, 400},
		{"RFC 6749 body", "application/json", `{"error":"%[1]s","error_description":"bad %[1]s","error_uri":"https://example.com/%[1]s"}`, 400},
		{"RFC 6749 body with 200", "application/json", `{"error":"invalid_client %[1]s","error_description":"bad %[1]s"}`, 200},
		{"form body", "application/x-www-form-urlencoded", `error=%[1]s&error_description=%[1]s`, 401},
		{"HTML page", "text/html", `<html><body><h1>400 Bad Request</h1><pre>POST /auth/1/ username=echo-user&password=%[1]s</pre></body></html>`, 400},
		{"plain text", "text/plain", "%[1]s", 502},
	}
	endpoints := []struct {
		name, route, secret string
		fetch               func(srv *authtest.Server) error
	}{
		{"session endpoint", authtest.RouteCreateSession, password, func(srv *authtest.Server) error {
			s, err := auth.NewIBSSO(auth.IBSSOConfig{BaseURL: srv.URL, Username: "echo-user", Password: password, Now: srv.Now})
			require.NoError(t, err)
			defer s.Close(context.Background())
			_, err = s.Authorization(context.Background())
			return err
		}},
		{"token endpoint", authtest.RouteToken, secret, func(srv *authtest.Server) error {
			b, err := auth.NewOAuth(auth.OAuthConfig{BaseURL: srv.URL, ClientID: "echo-client", ClientSecret: secret, Now: srv.Now})
			require.NoError(t, err)
			_, err = b.Authorization(context.Background())
			return err
		}},
	}
	srv := setup(t)
	for _, ep := range endpoints {
		t.Run(ep.name, func(t *testing.T) {
			for _, body := range bodies {
				if body.status == 200 && ep.route != authtest.RouteToken {
					continue
				}
				for _, form := range testkit.EchoForms {
					t.Run(body.name+"/"+form.Name, func(t *testing.T) {
						srv.Fail(ep.route, authtest.Fault{
							Status: body.status,
							Header: http.Header{"Content-Type": {body.contentType}},
							Body:   fmt.Sprintf(body.format, form.Enc(ep.secret)),
							Times:  1,
						})
						err := ep.fetch(srv)
						var ae *auth.Error
						// x/oauth2 refuses a 200 with malformed JSON itself.
						if body.status != 200 || json.Valid([]byte(fmt.Sprintf(body.format, form.Enc(ep.secret)))) {
							require.ErrorAs(t, err, &ae)
							require.Equal(t, body.status, ae.StatusCode)
						}
						requireNoSecret(t, err, ep.secret)
					})
				}
			}
		})
	}
}

// echoingTransport fails every request with an error whose text quotes the
// secret, as Go's transport quotes a malformed answer; wrapped, if set,
// is wrapped by it.
type echoingTransport struct {
	secret  string
	wrapped error
}

func (e echoingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	if e.wrapped != nil {
		return nil, fmt.Errorf("malformed answer %q: %w", url.QueryEscape(e.secret), e.wrapped)
	}
	return nil, fmt.Errorf("malformed answer %q", url.QueryEscape(e.secret))
}

// A transport error that quotes a secret the answer echoed is scrubbed; a
// context error in it stays reachable with errors.Is.
func TestTransportErrorsNeverShowSecrets(t *testing.T) {
	const secret = "Ech0ed/Secret+in+a+status+line"
	for _, wrapped := range []error{nil, context.DeadlineExceeded} {
		t.Run(fmt.Sprint(wrapped), func(t *testing.T) {
			client := &http.Client{Transport: echoingTransport{secret, wrapped}}
			s, err := auth.NewIBSSO(auth.IBSSOConfig{BaseURL: "https://api.infobip.com", Username: "u", Password: secret, HTTPClient: client})
			require.NoError(t, err)
			defer s.Close(context.Background())
			_, serr := s.Authorization(context.Background())
			b, err := auth.NewOAuth(auth.OAuthConfig{BaseURL: "https://api.infobip.com", ClientID: "c", ClientSecret: secret, HTTPClient: client})
			require.NoError(t, err)
			_, berr := b.Authorization(context.Background())
			for _, err := range []error{serr, berr} {
				requireNoSecret(t, err, secret)
				require.Contains(t, err.Error(), "[redacted]")
				if wrapped != nil {
					require.ErrorIs(t, err, wrapped)
				}
			}
		})
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	srv := setup(t)
	const (
		key      = "feedfacefeedfacefeedfacefeedface-11111111-2222-3333-4444-555555555555"
		user     = "printed-user"
		password = "Pr1nted-Passw0rd"
		secret   = "Pr1nted-Cl1ent-Secret"
	)
	srv.AddAPIKey(key)
	srv.AddUser(user, password)
	srv.AddClient("printed-client", secret)

	apiKey, err := auth.NewAPIKey(key)
	require.NoError(t, err)
	basic, err := auth.NewBasic(user, password)
	require.NoError(t, err)
	ibssoCfg := auth.IBSSOConfig{BaseURL: srv.URL, Username: user, Password: password, Now: srv.Now}
	ibsso, err := auth.NewIBSSO(ibssoCfg)
	require.NoError(t, err)
	defer ibsso.Close(context.Background())
	oauthCfg := auth.OAuthConfig{BaseURL: srv.URL, ClientID: "printed-client", ClientSecret: secret, Now: srv.Now}
	bearer, err := auth.NewOAuth(oauthCfg)
	require.NoError(t, err)

	session, err := ibsso.Authorization(context.Background())
	require.NoError(t, err)
	token, err := bearer.Authorization(context.Background())
	require.NoError(t, err)
	tr, err := auth.NewTransport(srv.URL, bearer, nil)
	require.NoError(t, err)

	secrets := []string{key, password, secret, session[len("IBSSO "):], token[len("Bearer "):],
		// Basic's header is base64 of the pair.
		basicHeader(t, basic)[len("Basic "):]}
	values := map[string]any{
		"APIKey": apiKey, "Basic": basic, "IBSSO": ibsso, "Bearer": bearer, "Transport": tr,
		"APIKey value": *apiKey, "Basic value": *basic, "IBSSO value": *ibsso, "Bearer value": *bearer,
		"IBSSOConfig": ibssoCfg, "*IBSSOConfig": &ibssoCfg, "OAuthConfig": oauthCfg, "*OAuthConfig": &oauthCfg,
		"in a struct": struct {
			A *auth.APIKey
			B auth.Authenticator
			C auth.IBSSOConfig
			D []auth.Authenticator
		}{apiKey, basic, ibssoCfg, []auth.Authenticator{ibsso, bearer}},
		"in a map": map[string]any{"k": apiKey, "c": oauthCfg},
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			out := fmtAll(v)
			for _, s := range secrets {
				require.NotContains(t, out, s)
			}
		})
	}
}

func basicHeader(t *testing.T, b *auth.Basic) string {
	t.Helper()
	h, err := b.Authorization(context.Background())
	require.NoError(t, err)
	return h
}

// slog's JSON handler marshals values nested in slices and structs with
// encoding/json, without asking LogValue: secrets stay out all the same.
func TestSecretsStayOutOfNestedSlogJSON(t *testing.T) {
	const secret = "very-secret-client-secret-123"
	cfg := auth.OAuthConfig{BaseURL: "https://api.example.com", ClientID: "id", ClientSecret: secret}
	ib := auth.IBSSOConfig{BaseURL: "https://api.example.com", Username: "u", Password: secret}
	st := auth.StoredToken{Scheme: "Bearer", Value: secret}
	var buf bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&buf, nil))
	l.Info("configs", "all", []auth.OAuthConfig{cfg}, "svc", struct{ Cfg auth.IBSSOConfig }{ib}, "tok", []auth.StoredToken{st})
	if strings.Contains(buf.String(), secret) {
		t.Errorf("slog JSON shows a secret: %s", buf.String())
	}
	if b, _ := json.Marshal(cfg); bytes.Contains(b, []byte(secret)) {
		t.Errorf("json.Marshal(OAuthConfig) = %s", b)
	}
}
