package auth_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/internal/testkit"
)

func TestNewClientLeavesTheBaseClientAlone(t *testing.T) {
	srv := setup(t)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	redirects := 0
	base := &http.Client{
		Transport:     srv.Client().Transport,
		Timeout:       7 * time.Second,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { redirects++; return nil },
	}
	before := *base
	c, err := auth.NewClient(srv.URL, apiKey(t, authtest.APIKey), base)
	require.NoError(t, err)
	require.NotSame(t, base, c)
	require.Equal(t, before.Transport, base.Transport, "base's transport is not replaced")
	require.Equal(t, 7*time.Second, c.Timeout)
	require.Same(t, jar, c.Jar)
	srv.HandleFunc("GET /moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/account/1/balance", http.StatusFound)
	})
	resp, err := c.Get(srv.URL + "/moved")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, readAll(t, resp))
	require.Equal(t, 1, redirects, "CheckRedirect is kept")
	require.Equal(t, http.StatusUnauthorized, getBalance(t, base, srv), "base sends no credentials")
}

// Infobip's own Go SDK defaults to http.DefaultClient: wrapping it must not
// make every http.Get in the process carry the key.
func TestNewClientOverDefaultClient(t *testing.T) {
	srv := setup(t)
	before := http.DefaultClient.Transport
	c, err := auth.NewClient(srv.URL, apiKey(t, authtest.APIKey), http.DefaultClient)
	require.NoError(t, err)
	require.Equal(t, before, http.DefaultClient.Transport)
	require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	require.Equal(t, http.StatusUnauthorized, getBalance(t, http.DefaultClient, srv))
	reqs := srv.Requests(authtest.RouteBalance)
	require.Empty(t, reqs[len(reqs)-1].Header.Get("Authorization"))
}

// A TLS server with its own CA: the user's client trusts it. Session and
// token requests go through the client the authenticator was configured
// with (HTTPClient, or WithHTTPClient for FromEnv), never through the one
// NewClient wraps.
func TestPrivateCAForAllSchemes(t *testing.T) {
	srv := authtest.NewTLSServer()
	t.Cleanup(srv.Close)
	t.Run("the config's HTTPClient serves the fetches", func(t *testing.T) {
		for name, a := range schemes(t, srv, srv.Client()) {
			c, err := auth.NewClient(srv.URL, a, srv.Client())
			require.NoError(t, err, name)
			require.Equal(t, http.StatusOK, getBalance(t, c, srv), name)
		}
	})
	t.Run("NewClient lends its client to no fetch", func(t *testing.T) {
		fetches := func() int { return srv.Count(authtest.RouteCreateSession) + srv.Count(authtest.RouteToken) }
		before := fetches()
		for name, a := range schemes(t, srv, nil) {
			if name == "App" || name == "Basic" {
				continue // they fetch nothing
			}
			c, err := auth.NewClient(srv.URL, a, srv.Client())
			require.NoError(t, err, name)
			_, err = c.Get(srv.URL + "/account/1/balance")
			require.ErrorContains(t, err, "certificate", name)
		}
		require.Equal(t, before, fetches(), "no session or token request got through")
	})
	t.Run("FromEnv with WithHTTPClient", func(t *testing.T) {
		for _, env := range envSchemes {
			clearEnv(t, append([]string{"IB_BASE_URL=" + srv.URL}, env...)...)
			baseURL, a, err := auth.FromEnv(auth.WithHTTPClient(srv.Client()), auth.WithClock(srv.Now))
			require.NoError(t, err)
			tr, err := auth.NewTransport(baseURL, a, srv.Client().Transport)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, getBalance(t, &http.Client{Transport: tr}, srv), env[0])
			if c, ok := a.(closer); ok {
				require.NoError(t, c.Close(context.Background()))
			}
		}
	})
}

// closer is what FromEnv's documentation tests for to close what it
// returned.
type closer interface{ Close(context.Context) error }

// What FromEnv returns closes as its documentation shows: IBSSO and OAuth
// through their Close method; App and Basic have none and hold nothing.
func TestCloseWhateverFromEnvReturns(t *testing.T) {
	srv := setup(t)
	for i, env := range envSchemes {
		clearEnv(t, append([]string{"IB_BASE_URL=" + srv.URL}, env...)...)
		baseURL, a, err := auth.FromEnv(auth.WithClock(srv.Now))
		require.NoError(t, err)
		c, err := auth.NewClient(baseURL, a, nil)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, getBalance(t, c, srv))
		before := srv.Count(authtest.RouteDestroySession)
		cl, ok := a.(closer)
		require.Equal(t, i >= 2, ok, "%T", a)
		if ok {
			require.NoError(t, cl.Close(context.Background()))
		}
		require.Equal(t, 0, srv.ActiveSessions())
		_, err = a.Authorization(context.Background())
		switch i {
		case 2: // IBSSO: the session is destroyed
			require.Equal(t, before+1, srv.Count(authtest.RouteDestroySession))
			require.ErrorIs(t, err, auth.ErrClosed)
		case 3: // OAuth: stopped
			require.ErrorIs(t, err, auth.ErrClosed)
		default: // App and Basic hold nothing
			require.NoError(t, err)
		}
	}
}

func TestBearerClose(t *testing.T) {
	srv := setup(t)
	b, ev := newOAuth(t, srv)
	h, err := b.Authorization(context.Background())
	require.NoError(t, err)
	require.NoError(t, b.Close(context.Background()))
	srv.Advance(2 * time.Hour)
	_, err = b.Authorization(context.Background())
	require.ErrorIs(t, err, auth.ErrClosed)
	require.ErrorIs(t, b.Renew(context.Background(), h), auth.ErrClosed)
	_, err = b.TokenSource().Token()
	require.ErrorIs(t, err, auth.ErrClosed)
	require.NoError(t, b.Close(context.Background()), "twice is fine")
	require.Equal(t, []string{auth.ReasonInitial}, ev.reasons())
	require.Equal(t, 1, srv.Count(authtest.RouteToken))
}

// The logger says why a request went out without credentials (an origin
// that is not the base URL's: localhost against 127.0.0.1), reports
// fetches and failures, and never a secret.
func TestLoggerExplainsWithheldCredentialsAndFetches(t *testing.T) {
	srv := setup(t)
	var buf testkit.SyncBuffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b, _ := newOAuth(t, srv, func(c *auth.OAuthConfig) { c.Logger = logger })
	c, err := auth.NewClient(srv.URL, b, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, getBalance(t, c, srv))

	localhost := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	resp, err := c.Get(localhost + "/account/1/balance?secret=in-the-query")
	require.NoError(t, err)
	readAll(t, resp)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	srv.Advance(3 * time.Hour)
	srv.Fail(authtest.RouteToken, authtest.Fault{Status: http.StatusServiceUnavailable, Times: 1})
	_, err = b.Authorization(context.Background())
	require.Error(t, err)

	out := buf.String()
	require.Contains(t, out, `"msg":"auth: token fetched"`)
	require.Contains(t, out, `"reason":"initial"`)
	require.Contains(t, out, `"msg":"auth: credentials withheld: the request's origin is not the base URL's"`)
	require.Contains(t, out, `"origin":"`+localhost+`"`)
	require.Contains(t, out, `"msg":"auth: fetch failed, backing off"`)
	require.Contains(t, out, `"level":"WARN"`)
	require.NotContains(t, out, "in-the-query")
	require.NotContains(t, out, authtest.ClientSecret)
	for _, r := range srv.Requests(authtest.RouteBalance) {
		if tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "); tok != "" {
			require.NotContains(t, out, tok)
		}
	}
}

// A Transport made over a Session logs through the LoginConfig's Logger:
// the sign-in, and why a request went out without credentials.
func TestSessionLoggerExplainsWithheldCredentials(t *testing.T) {
	srv := setup(t)
	var buf testkit.SyncBuffer
	cfg := loginConfig(srv)
	cfg.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := auth.Login(context.Background(), cfg, authtest.Username, authtest.Password)
	require.NoError(t, err)
	tr, err := auth.NewTransport(srv.URL, s, nil)
	require.NoError(t, err)
	localhost := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	resp, err := (&http.Client{Transport: tr}).Get(localhost + "/account/1/balance")
	require.NoError(t, err)
	readAll(t, resp)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	out := buf.String()
	require.Contains(t, out, `"msg":"auth: login"`)
	require.Contains(t, out, `"msg":"auth: credentials withheld: the request's origin is not the base URL's"`)
	require.Contains(t, out, `"origin":"`+localhost+`"`)
	require.NotContains(t, out, s.Token())
	require.NotContains(t, out, authtest.Password)
}

func TestTransportRefusesAnotherAccountsAuthenticator(t *testing.T) {
	srv := setup(t)
	other := setup(t)
	b, _ := newOAuth(t, srv)
	_, err := auth.NewTransport(other.URL, b, nil)
	require.ErrorContains(t, err, "auth: NewTransport: base URL "+other.URL+" is not the authenticator's ("+srv.URL+")")
	_, err = auth.NewClient(srv.URL+"/", b, nil)
	require.NoError(t, err, "the same origin, spelled with a slash")
}

// NewClient's errors name NewClient, NewTransport's NewTransport, whatever
// is refused: the base URL, the authenticator, or the two together.
func TestConstructorErrorsNameTheirOperation(t *testing.T) {
	srv := setup(t)
	other := setup(t)
	b, _ := newOAuth(t, srv)
	for _, tc := range []struct {
		name    string
		baseURL string
		a       auth.Authenticator
		want    string
	}{
		{"empty base URL", "", b, "base URL is empty"},
		{"base URL with a path", srv.URL + "/sms", b, "base URL on "},
		{"nil pointer", srv.URL, (*auth.APIKey)(nil), "authenticator is a nil *auth.APIKey"},
		{"not made", srv.URL, &auth.Bearer{}, "Bearer was not made with NewOAuth or NewBearer"},
		{"another account's", other.URL, b, "base URL " + other.URL + " is not the authenticator's (" + srv.URL + ")"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := auth.NewClient(tc.baseURL, tc.a, nil)
			require.ErrorContains(t, err, "auth: NewClient: "+tc.want)
			_, err = auth.NewTransport(tc.baseURL, tc.a, nil)
			require.ErrorContains(t, err, "auth: NewTransport: "+tc.want)
		})
	}
}

// A request's own authenticator wins over the Transport's; a Transport
// without one refuses a request that brings none, before sending it.
func TestWithAuthenticator(t *testing.T) {
	srv := setup(t)
	srv.AddUser("alice", "alice-password-1")
	alice, err := auth.NewBasic("alice", "alice-password-1")
	require.NoError(t, err)

	c, err := auth.NewClient(srv.URL, apiKey(t, authtest.APIKey), nil)
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(auth.WithAuthenticator(context.Background(), alice), http.MethodGet, srv.URL+"/account/1/balance", nil)
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	readAll(t, resp)
	h, _ := alice.Authorization(context.Background())
	require.Equal(t, h, lastAuthorization(t, srv, authtest.RouteBalance))

	anonymous, err := auth.NewClient(srv.URL, nil, nil)
	require.NoError(t, err)
	before := srv.Count(authtest.RouteBalance)
	_, err = anonymous.Get(srv.URL + "/account/1/balance")
	require.ErrorContains(t, err, "auth: request has no authenticator")
	require.Equal(t, before, srv.Count(authtest.RouteBalance), "nothing was sent")

	// Another origin gets no credential, whoever's it is.
	foreign := newRecordingServer(t, nil)
	req, err = http.NewRequestWithContext(auth.WithAuthenticator(context.Background(), alice), http.MethodGet, foreign.URL+"/x", nil)
	require.NoError(t, err)
	resp, err = anonymous.Do(req)
	require.NoError(t, err)
	readAll(t, resp)
	require.Nil(t, foreign.requests()[0].Authorization)
	require.Same(t, auth.WithAuthenticator(req.Context(), nil), req.Context())
}

// RefreshEvent values are the documented constants.
func TestRefreshEventConstants(t *testing.T) {
	srv := setup(t)
	s, ev := newIBSSO(t, srv)
	_, err := s.Authorization(context.Background())
	require.NoError(t, err)
	ev.mu.Lock()
	defer ev.mu.Unlock()
	require.Len(t, ev.all, 1)
	require.Equal(t, auth.SchemeIBSSO, ev.all[0].Scheme)
	require.Equal(t, auth.ReasonInitial, ev.all[0].Reason)
	require.False(t, errors.Is(ev.all[0].Err, auth.ErrClosed))
}

// A request's own authenticator is held to NewTransport's rules: an IBSSO
// or Bearer of another account's base URL is refused, nothing is sent.
func TestWithAuthenticatorOfAnotherAccountIsRefused(t *testing.T) {
	srv := setup(t)
	other := setup(t)
	b, _ := newOAuth(t, srv)
	c, err := auth.NewClient(other.URL, nil, nil)
	require.NoError(t, err)
	resp, err := balanceAs(t, c, other, b)
	if err == nil {
		resp.Body.Close()
	}
	require.ErrorContains(t, err, "auth: request's authenticator is for base URL "+srv.URL)
	require.Equal(t, 0, other.Count(authtest.RouteBalance))
	require.Equal(t, 0, srv.Count(authtest.RouteToken), "not even a token was fetched")

	resp, err = balanceAs(t, c, other, (*auth.APIKey)(nil))
	if err == nil {
		resp.Body.Close()
	}
	require.ErrorContains(t, err, "auth: request's authenticator: authenticator is a nil *auth.APIKey")
}

// NewClient over a client whose Transport is a Transport for the same
// authenticator: the session request must not go through that Transport,
// where it would wait on its own fetch.
func TestNewClientOverAnAuthenticatedClientDoesNotDeadlock(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	a, err := auth.NewIBSSO(auth.IBSSOConfig{BaseURL: srv.URL, Username: authtest.Username, Password: authtest.Password, FetchTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	tr, err := auth.NewTransport(srv.URL, a, nil)
	if err != nil {
		t.Fatal(err)
	}
	existing := &http.Client{Transport: tr}
	c, err := auth.NewClient(srv.URL, a, existing)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	resp, err := c.Get(srv.URL + "/account/1/balance")
	if err == nil {
		resp.Body.Close()
	}
	t.Logf("took %v, err=%v", time.Since(start), err)
	if err != nil {
		t.Errorf("request failed: %v", err)
	}
}

// NewClient(B, keyB, c1), with c1 = NewClient(B, keyA): credentials never
// stack, requests carry key B alone.
func TestNewClientOverAnAuthenticatedClientSendsItsOwnCredential(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	ka, _ := auth.NewAPIKey("key-A")
	kb, _ := auth.NewAPIKey("key-B")
	c1, err := auth.NewClient(srv.URL, ka, nil)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := auth.NewClient(srv.URL, kb, c1)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c2.Get(srv.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got.Load() != "App key-B" {
		t.Errorf("NewClient(B, keyB, c1) sent %q, want App key-B", got.Load())
	}
}

// A Session logged in at account A is refused by a Transport for origin B.
func TestPerRequestSessionOfAnotherAccountIsRefused(t *testing.T) {
	srvA := authtest.NewServer()
	defer srvA.Close()
	var got atomic.Value
	srvB := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("Authorization"))
	}))
	defer srvB.Close()
	s, err := auth.Login(context.Background(), auth.LoginConfig{BaseURL: srvA.URL}, authtest.Username, authtest.Password)
	if err != nil {
		t.Fatal(err)
	}
	c, err := auth.NewClient(srvB.URL, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(auth.WithAuthenticator(context.Background(), s), "GET", srvB.URL+"/x", nil)
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	if v, _ := got.Load().(string); strings.Contains(v, s.Token()) {
		t.Errorf("session of %s sent to %s", srvA.URL, srvB.URL)
	}
	// compare: NewTransport refuses an IBSSO for another base URL
}

// Login and Logout go through LoginConfig.HTTPClient, so a private CA
// trusted there serves them; without it they use http.DefaultClient, and
// nothing else.
func TestLoginThroughYourTLSRoots(t *testing.T) {
	srv := authtest.NewTLSServer()
	t.Cleanup(srv.Close)
	ctx := context.Background()
	_, err := auth.Login(ctx, auth.LoginConfig{BaseURL: srv.URL}, authtest.Username, authtest.Password)
	require.ErrorContains(t, err, "certificate")
	require.Zero(t, srv.Count(authtest.RouteCreateSession))

	s, err := auth.Login(ctx, auth.LoginConfig{BaseURL: srv.URL, HTTPClient: srv.Client()}, authtest.Username, authtest.Password)
	require.NoError(t, err)
	require.NoError(t, s.Logout(ctx))
	require.Zero(t, srv.ActiveSessions())

	// nil is http.DefaultClient, whatever its Transport: here one that
	// trusts the server. (A clock of its own keeps this LoginConfig's
	// settings apart from the first one's.)
	saved := http.DefaultClient.Transport
	http.DefaultClient.Transport = srv.Client().Transport
	t.Cleanup(func() { http.DefaultClient.Transport = saved })
	s, err = auth.Login(ctx, auth.LoginConfig{BaseURL: srv.URL, Now: srv.Now}, authtest.Username, authtest.Password)
	require.NoError(t, err)
	require.NoError(t, s.Logout(ctx))
	require.Zero(t, srv.ActiveSessions())
}

func TestLoginThroughTheSharedClient(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	client, err := auth.NewClient(srv.URL, nil, nil) // README: once, for every user
	if err != nil {
		t.Fatal(err)
	}
	s, err := auth.Login(context.Background(), auth.LoginConfig{BaseURL: srv.URL, HTTPClient: client}, authtest.Username, authtest.Password)
	if err != nil {
		t.Fatalf("Login with the app's client: %v", err)
	}
	if err := s.Logout(context.Background()); err != nil {
		t.Fatalf("Logout with the app's client: %v", err)
	}
}

func TestLogoutThroughAnAuthenticatedClientEndsTheSession(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	k, _ := auth.NewAPIKey(authtest.APIKey)
	appClient, err := auth.NewClient(srv.URL, k, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := auth.Login(context.Background(), auth.LoginConfig{BaseURL: srv.URL, HTTPClient: appClient}, authtest.Username, authtest.Password)
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	err = s.Logout(context.Background())
	t.Logf("Logout: %v; active sessions after: %d", err, srv.ActiveSessions())
	if err == nil && srv.ActiveSessions() != 0 {
		t.Errorf("Logout reported success but the session is alive on the server")
	}

	// Same for a service-account IBSSO configured with the app's client.
	ib, _ := auth.NewIBSSO(auth.IBSSOConfig{BaseURL: srv.URL, Username: authtest.Username, Password: authtest.Password, HTTPClient: appClient})
	c2, err := auth.NewClient(srv.URL, ib, appClient)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c2.Get(srv.URL + "/account/1/balance")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	t.Logf("identity used on the API: %q", srv.Requests(authtest.RouteBalance)[0].Header.Get("Authorization")[:6])
	before := srv.ActiveSessions()
	err = ib.Close(context.Background())
	t.Logf("IBSSO sessions before Close %d, Close err %v, after %d", before, err, srv.ActiveSessions())
	if err == nil && srv.ActiveSessions() != 0 {
		t.Errorf("IBSSO.Close reported success but its session is alive on the server")
	}
}
