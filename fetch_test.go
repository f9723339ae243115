package auth_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

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

func TestLogoutThroughAnAuthenticatedClientEndsTheSession(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	k, _ := auth.NewAPIKey(authtest.APIKey)
	appClient, err := auth.NewClient(srv.URL, k, nil)
	require.NoError(t, err)
	s, err := auth.Login(context.Background(), auth.LoginConfig{BaseURL: srv.URL, HTTPClient: appClient}, authtest.Username, authtest.Password)
	require.NoError(t, err)
	require.NoError(t, s.Logout(context.Background()))
	require.Zero(t, srv.ActiveSessions(), "Logout succeeded but the session is alive on the server")

	// Same for a service-account IBSSO configured with the app's client.
	ib, _ := auth.NewIBSSO(auth.IBSSOConfig{BaseURL: srv.URL, Username: authtest.Username, Password: authtest.Password, HTTPClient: appClient})
	c2, err := auth.NewClient(srv.URL, ib, appClient)
	require.NoError(t, err)
	resp, err := c2.Get(srv.URL + "/account/1/balance")
	require.NoError(t, err)
	resp.Body.Close()
	// The scheme alone is compared: a failure message never shows the
	// credentials that follow it.
	scheme, _, _ := strings.Cut(srv.Requests(authtest.RouteBalance)[0].Header.Get("Authorization"), " ")
	require.Equal(t, "IBSSO", scheme, "the API call goes out with the session, not the app's key")
	require.Equal(t, 1, srv.ActiveSessions())
	require.NoError(t, ib.Close(context.Background()))
	require.Zero(t, srv.ActiveSessions(), "IBSSO.Close succeeded but its session is alive on the server")
}

// Session and token requests carry the password or the client secret: they
// never follow a redirect (TestIBSSODoesNotFollowRedirectsWithThePassword
// covers the session endpoint's 307).
func TestFetchesDoNotFollowRedirects(t *testing.T) {
	for _, kind := range []string{kindIBSSO, kindBearer} {
		route, op := fetchRoute(kind)
		for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
			if kind == kindIBSSO && status == http.StatusTemporaryRedirect {
				continue
			}
			t.Run(kind+" "+http.StatusText(status), func(t *testing.T) {
				r := newRig(t, defaultCreds, nil)
				other := setup(t)
				r.srv.Fail(route, authtest.Fault{Status: status, Header: http.Header{"Location": {other.URL + route[strings.IndexByte(route, ' ')+1:]}}})
				a, _ := r.authenticator(kind, 0)
				_, err := a.Authorization(t.Context())
				var apiErr *auth.Error
				require.ErrorAs(t, err, &apiErr)
				require.Equal(t, status, apiErr.StatusCode)
				require.Equal(t, op, apiErr.Op)
				require.Equal(t, 1, r.srv.Count(route))
				require.Equal(t, 0, other.Count(route))
			})
		}
	}
}
