package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

func TestOAuthTokenRequestIsInfobipsWireFormat(t *testing.T) {
	srv := setup(t)
	b, ev := newOAuth(t, srv)
	c := client(t, srv, b)
	for range 3 {
		require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	}
	require.Equal(t, 1, srv.Count(authtest.RouteToken), "one request per fetch: no auth-style probing")
	req := srv.Requests(authtest.RouteToken)[0]
	require.Empty(t, req.Header.Get("Authorization"), "credentials go in the form, not a Basic header")
	require.Equal(t, "application/x-www-form-urlencoded", req.Header.Get("Content-Type"))
	form, err := url.ParseQuery(string(req.Body))
	require.NoError(t, err)
	require.Equal(t, url.Values{
		"client_id":     {authtest.ClientID},
		"client_secret": {authtest.ClientSecret},
		"grant_type":    {"client_credentials"},
	}, form)

	h := lastAuthorization(t, srv, authtest.RouteBalance)
	require.True(t, strings.HasPrefix(h, "Bearer "), h)
	evs := ev.wait(t, 1)
	require.Equal(t, "Bearer", evs[0].Scheme)
	require.Equal(t, "initial", evs[0].Reason)
	require.Equal(t, srv.Now().Add(2*time.Hour), evs[0].Expiry, "expiry from expires_in on our clock")
}

// gate holds token requests until released, so a test controls exactly when
// a fetch ends without timing anything.
type gate struct {
	release chan struct{}
	entered chan struct{}
	once    sync.Once
}

func newGate() *gate { return &gate{release: make(chan struct{}), entered: make(chan struct{}, 100)} }

func (g *gate) RoundTrip(r *http.Request) (*http.Response, error) {
	g.entered <- struct{}{}
	select {
	case <-g.release:
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	return http.DefaultTransport.RoundTrip(r)
}

func (g *gate) open() { g.once.Do(func() { close(g.release) }) }

func TestOAuthRefreshesInTheBackgroundBeforeExpiry(t *testing.T) {
	srv := setup(t)
	g := newGate()
	b, ev := newOAuth(t, srv, func(c *auth.OAuthConfig) { c.HTTPClient = &http.Client{Transport: g} })
	c := client(t, srv, b)

	g.open()
	require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	old := lastAuthorization(t, srv, authtest.RouteBalance)
	ev.wait(t, 1)
	recv(t, g.entered)
	g.release, g.once = make(chan struct{}), sync.Once{}

	// Before the window (5 minutes, stretched by at most 25%): no refresh.
	srv.Advance(2*time.Hour - 7*time.Minute)
	require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	require.Equal(t, 1, srv.Count(authtest.RouteToken))
	require.Len(t, g.entered, 0)

	// Inside the window: one background fetch starts and is held at the
	// gate, while every request goes on at once with the current token.
	srv.Advance(2 * time.Minute)
	for range 20 {
		require.Equal(t, http.StatusOK, getBalance(t, c, srv))
		require.Equal(t, old, lastAuthorization(t, srv, authtest.RouteBalance))
	}
	recv(t, g.entered)
	require.Len(t, g.entered, 0, "one fetch, however many requests")
	require.Len(t, ev.reasons(), 1, "the fetch has not finished")

	g.open()
	evs := ev.wait(t, 2)
	require.Equal(t, "proactive", evs[1].Reason)
	require.NoError(t, evs[1].Err)
	require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	require.NotEqual(t, old, lastAuthorization(t, srv, authtest.RouteBalance))
	require.Equal(t, 2, srv.Count(authtest.RouteToken))
}

func TestOAuthHardExpiryWaitsForTheFetch(t *testing.T) {
	srv := setup(t)
	b, ev := newOAuth(t, srv)
	c := client(t, srv, b)
	require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	old := lastAuthorization(t, srv, authtest.RouteBalance)

	srv.Advance(2*time.Hour + time.Minute)
	require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	require.NotEqual(t, old, lastAuthorization(t, srv, authtest.RouteBalance))
	require.Equal(t, 2, srv.Count(authtest.RouteToken))
	require.Equal(t, 2, srv.Count(authtest.RouteBalance), "no request went out with the expired token")
	require.Equal(t, []string{"initial", "expired"}, ev.reasons())
}

func TestOAuthStormFetchesOneToken(t *testing.T) {
	srv := setup(t)
	b, _ := newOAuth(t, srv)
	headers := storm(t, 1000, func() (string, error) { return b.Authorization(context.Background()) })
	require.Equal(t, 1, srv.Count(authtest.RouteToken))
	require.Len(t, headers, 1)

	srv.Advance(3 * time.Hour) // every goroutine finds the token expired
	headers = storm(t, 1000, func() (string, error) { return b.Authorization(context.Background()) })
	require.Equal(t, 2, srv.Count(authtest.RouteToken))
	require.Len(t, headers, 1)
}

func TestOAuthRenewsAfter401AndReplays(t *testing.T) {
	srv := setup(t)
	b, ev := newOAuth(t, srv)
	c := client(t, srv, b)
	require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	srv.Revoke(strings.TrimPrefix(lastAuthorization(t, srv, authtest.RouteBalance), "Bearer "))

	sent := sendSMSAfterRevocation(t, c, srv)
	require.Equal(t, 2, srv.Count(authtest.RouteToken))
	require.Equal(t, []string{"initial", "renew"}, ev.reasons())

	// A stale rejection (the token was already replaced) fetches nothing.
	require.NoError(t, b.Renew(context.Background(), sent[0].Header.Get("Authorization")))
	require.Equal(t, 2, srv.Count(authtest.RouteToken))
}

func TestOAuthServesTheOldTokenWhileRefreshFails(t *testing.T) {
	faults := map[string]authtest.Fault{
		"500":          {Status: 500, Body: `{"errorCode":"E500","description":"Internal error"}`},
		"429":          {Status: 429, Header: http.Header{"Retry-After": {"30"}}, Body: `{"errorCode":"E429","description":"Too many requests"}`},
		"garbage JSON": {Status: 200, Body: `{"access_token":`},
		"HTML":         {Status: 502, Body: `<html><body>Bad gateway</body></html>`},
		"reset":        {Reset: true},
	}
	for name, fault := range faults {
		t.Run(name, func(t *testing.T) {
			srv := setup(t)
			b, ev := newOAuth(t, srv)
			c := client(t, srv, b)
			require.Equal(t, http.StatusOK, getBalance(t, c, srv))
			old := lastAuthorization(t, srv, authtest.RouteBalance)

			fault.Times = 1
			srv.Fail(authtest.RouteToken, fault)
			srv.Advance(2*time.Hour - 4*time.Minute) // inside the refresh window
			require.Equal(t, http.StatusOK, getBalance(t, c, srv))
			evs := ev.wait(t, 2)
			require.Error(t, evs[1].Err)
			require.NotContains(t, evs[1].Err.Error(), authtest.ClientSecret)

			// Still served, and no retry before the backoff.
			for range 5 {
				require.Equal(t, http.StatusOK, getBalance(t, c, srv))
				require.Equal(t, old, lastAuthorization(t, srv, authtest.RouteBalance))
			}
			require.Equal(t, 2, srv.Count(authtest.RouteToken))

			srv.Advance(time.Minute) // past the backoff (and the 30 s Retry-After)
			require.Equal(t, http.StatusOK, getBalance(t, c, srv))
			evs = ev.wait(t, 3)
			require.NoError(t, evs[2].Err)
			require.Equal(t, 3, srv.Count(authtest.RouteToken))
			require.Equal(t, http.StatusOK, getBalance(t, c, srv))
			require.NotEqual(t, old, lastAuthorization(t, srv, authtest.RouteBalance))
		})
	}
}

func TestOAuthErrorsWithoutAValidToken(t *testing.T) {
	srv := setup(t)
	srv.Fail(authtest.RouteToken, authtest.Fault{Status: 401, Body: `{"errorCode":"E401","description":"Invalid client credentials","action":"Check your client_id and client_secret"}`, Times: 1})
	b, _ := newOAuth(t, srv)
	_, err := b.Authorization(context.Background())
	var apiErr *auth.Error
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, 401, apiErr.StatusCode)
	require.Equal(t, "E401", apiErr.Code)
	require.Equal(t, "fetch OAuth token", apiErr.Op)
	require.Equal(t, "Check your client_id and client_secret", apiErr.Action)
	var re *oauth2.RetrieveError
	require.ErrorAs(t, err, &re, "the x/oauth2 error stays reachable")
	require.Same(t, re, errors.Unwrap(apiErr))
	require.NotContains(t, err.Error(), authtest.ClientSecret)

	// Not hammered: the next caller gets the same error without a request.
	_, err = b.Authorization(context.Background())
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, 1, srv.Count(authtest.RouteToken))
}

func TestOAuthWrongSecret(t *testing.T) {
	srv := setup(t)
	const wrong = "definitely-wrong-secret"
	b, _ := newOAuth(t, srv, func(c *auth.OAuthConfig) { c.ClientSecret = wrong })
	_, err := b.Authorization(context.Background())
	var apiErr *auth.Error
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, "E401", apiErr.Code)
	require.NotContains(t, err.Error(), wrong)
	require.NotContains(t, fmtAll(err), wrong)
}

// TestOAuthTokenErrorAsInfobipDocumentsIt: the token endpoint's errors come
// in the older body plus a deprecated RFC 6749 "error" field, as authtest
// answers them by default.
func TestOAuthTokenErrorAsInfobipDocumentsIt(t *testing.T) {
	srv := setup(t)
	b, _ := newOAuth(t, srv, func(c *auth.OAuthConfig) { c.ClientSecret = "wrong-secret" })
	_, err := b.Authorization(context.Background())
	var apiErr *auth.Error
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
	require.Equal(t, "E401", apiErr.Code)
	require.Equal(t, "UNAUTHORIZED", apiErr.MessageID)
	require.Equal(t, "Invalid login details", apiErr.Description)
	require.Equal(t, "fetch OAuth token", apiErr.Op)
	var re *oauth2.RetrieveError
	require.ErrorAs(t, err, &re)
	require.Equal(t, "invalid_client", re.ErrorCode, "the deprecated error field is still sent")
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

// TestOAuthTokenTypeOptional: Infobip's sample token answer has no
// token_type, its specification lists one; both work.
func TestOAuthTokenTypeOptional(t *testing.T) {
	for _, typ := range []string{"", "Bearer", "bearer"} {
		t.Run(typ, func(t *testing.T) {
			srv := setup(t)
			srv.SetTokenType(typ)
			b, _ := newOAuth(t, srv)
			c := client(t, srv, b)
			require.Equal(t, http.StatusOK, getBalance(t, c, srv))
			require.Equal(t, 1, srv.Count(authtest.RouteToken))
			authz, err := b.Authorization(context.Background())
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(authz, "Bearer "), authz)
		})
	}
}

func TestOAuthFetchTimeout(t *testing.T) {
	srv := setup(t)
	srv.Fail(authtest.RouteToken, authtest.Fault{Hang: true, Times: 1})
	b, _ := newOAuth(t, srv, func(c *auth.OAuthConfig) { c.FetchTimeout = 50 * time.Millisecond })
	_, err := b.Authorization(context.Background())
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorContains(t, err, "fetch OAuth token")
}

func TestOAuthRejectsBadTokenResponses(t *testing.T) {
	for name, tc := range map[string]struct{ body, want string }{
		"no expires_in":       {`{"access_token":"abc","token_type":"Bearer"}`, "no expires_in"},
		"zero expires_in":     {`{"access_token":"abc","token_type":"Bearer","expires_in":0}`, "positive"},
		"negative expires_in": {`{"access_token":"abc","token_type":"Bearer","expires_in":-5}`, "positive"},
		"huge expires_in":     {`{"access_token":"abc","token_type":"Bearer","expires_in":999999999}`, "more than a year"},
		"text expires_in":     {`{"access_token":"abc","token_type":"Bearer","expires_in":"soon"}`, "fetch OAuth token"},
		"mac token":           {`{"access_token":"abc","token_type":"mac","expires_in":60}`, `token_type is not Bearer`},
		"empty access_token":  {`{"access_token":"","token_type":"Bearer","expires_in":60}`, "access_token"},
		"header injection":    {`{"access_token":"abc\r\nX: y","token_type":"Bearer","expires_in":60}`, "control characters"},
		"error in a 200":      {`{"error":"invalid_client","error_description":"nope"}`, "fetch OAuth token"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := setup(t)
			srv.Fail(authtest.RouteToken, authtest.Fault{Status: 200, Body: tc.body})
			b, _ := newOAuth(t, srv)
			_, err := b.Authorization(context.Background())
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestOAuthAcceptsLowercaseTypeAndStringExpiresIn(t *testing.T) {
	srv := setup(t)
	srv.Fail(authtest.RouteToken, authtest.Fault{Status: 200, Body: `{"access_token":"tok-1","token_type":"bearer","expires_in":"3600"}`, Times: 1})
	b, ev := newOAuth(t, srv)
	h, err := b.Authorization(context.Background())
	require.NoError(t, err)
	require.Equal(t, "Bearer tok-1", h)
	require.Equal(t, srv.Now().Add(time.Hour), ev.wait(t, 1)[0].Expiry)
}

func TestNewBearerWrapsAnyTokenSource(t *testing.T) {
	srv := setup(t)
	// A token from elsewhere: the server's own, fetched once by hand.
	ts := &countingSource{tok: &oauth2.Token{AccessToken: "static-token", TokenType: "Bearer"}}
	b, err := auth.NewBearer(ts, auth.BearerOptions{Now: srv.Now})
	require.NoError(t, err)
	h, err := b.Authorization(context.Background())
	require.NoError(t, err)
	require.Equal(t, "Bearer static-token", h)
	srv.Advance(1000 * time.Hour)
	h, err = b.Authorization(context.Background())
	require.NoError(t, err)
	require.Equal(t, "Bearer static-token", h, "no expiry: used until rejected")
	require.Equal(t, 1, ts.calls())

	// Rejected, and the source has nothing new: the 401 stands, one retry
	// attempt at most.
	c := client(t, srv, b)
	require.Equal(t, http.StatusUnauthorized, getBalance(t, c, srv))
	require.Equal(t, 1, srv.Count(authtest.RouteBalance))
	require.Equal(t, 2, ts.calls())
}

func TestNewBearerExpiryFromTheSource(t *testing.T) {
	srv := setup(t)
	tok := (&oauth2.Token{AccessToken: "t", TokenType: "Bearer"}).WithExtra(map[string]any{"expires_in": float64(600)})
	ts := &countingSource{tok: tok}
	b, err := auth.NewBearer(ts, auth.BearerOptions{Now: srv.Now})
	require.NoError(t, err)
	got, err := b.TokenSource().Token()
	require.NoError(t, err)
	require.Equal(t, srv.Now().Add(10*time.Minute), got.Expiry)
	require.Equal(t, "Bearer", got.Type())

	srv.Advance(11 * time.Minute)
	_, err = b.Authorization(context.Background())
	require.NoError(t, err)
	require.Equal(t, 2, ts.calls())

	_, err = auth.NewBearer(nil, auth.BearerOptions{})
	require.ErrorContains(t, err, "nil")
}

func TestNewOAuthRejectsBadConfig(t *testing.T) {
	const secret = "s3cr3t value"
	for name, cfg := range map[string]auth.OAuthConfig{
		"no base URL":          {ClientID: "id", ClientSecret: "s"},
		"base URL with path":   {BaseURL: "https://api.infobip.com/auth", ClientID: "id", ClientSecret: "s"},
		"empty client ID":      {BaseURL: "https://api.infobip.com", ClientSecret: "s"},
		"empty secret":         {BaseURL: "https://api.infobip.com", ClientID: "id"},
		"secret with a space":  {BaseURL: "https://api.infobip.com", ClientID: "id", ClientSecret: secret},
		"client ID with a CR":  {BaseURL: "https://api.infobip.com", ClientID: "i\rd", ClientSecret: "s"},
		"plain http to remote": {BaseURL: "http://api.infobip.com", ClientID: "id", ClientSecret: "s"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := auth.NewOAuth(cfg)
			require.Error(t, err)
			require.NotContains(t, err.Error(), "s3cr3t")
		})
	}
}

func TestOAuthRefreshBeforeIsHonoured(t *testing.T) {
	srv := setup(t)
	b, ev := newOAuth(t, srv, func(c *auth.OAuthConfig) { c.RefreshBefore = 30 * time.Minute })
	_, err := b.Authorization(context.Background())
	require.NoError(t, err)
	srv.Advance(2*time.Hour - 25*time.Minute) // inside the 30-37.5 min window, outside the default 5 min
	_, err = b.Authorization(context.Background())
	require.NoError(t, err)
	evs := ev.wait(t, 2)
	require.Equal(t, "proactive", evs[1].Reason)
}

func TestOAuthNegativeRefreshBeforeWaitsForExpiry(t *testing.T) {
	srv := setup(t)
	b, ev := newOAuth(t, srv, func(c *auth.OAuthConfig) { c.RefreshBefore = -1 })
	_, err := b.Authorization(context.Background())
	require.NoError(t, err)
	srv.Advance(2*time.Hour - time.Minute) // inside any default window
	_, err = b.Authorization(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, srv.Count(authtest.RouteToken), "no refresh before expiry")
	srv.Advance(2 * time.Minute)
	_, err = b.Authorization(context.Background())
	require.NoError(t, err)
	require.Equal(t, []string{"initial", "expired"}, ev.reasons())
}

// A source whose tokens expire within a millisecond would be called by
// every request; such tokens are refused, as expires_in under a second is,
// and the failure pauses further calls.
func TestNewBearerRefusesTokensExpiringWithinASecond(t *testing.T) {
	srv := setup(t)
	ts := &countingSource{tok: &oauth2.Token{AccessToken: "t", TokenType: "Bearer", Expiry: time.Now().Add(time.Millisecond)}}
	b, err := auth.NewBearer(ts, auth.BearerOptions{Now: srv.Now})
	require.NoError(t, err)
	for range 30 {
		_, err := b.Authorization(context.Background())
		require.ErrorContains(t, err, "less than a second")
	}
	require.Equal(t, 1, ts.calls())
}

// hungSource blocks until released.
type hungSource struct{ release chan struct{} }

func (h hungSource) Token() (*oauth2.Token, error) {
	<-h.release
	return &oauth2.Token{AccessToken: "late"}, nil
}

func TestNewBearerGivesUpOnAHungSource(t *testing.T) {
	src := hungSource{release: make(chan struct{})}
	defer close(src.release)
	b, err := auth.NewBearer(src, auth.BearerOptions{FetchTimeout: 20 * time.Millisecond})
	require.NoError(t, err)
	_, err = b.Authorization(context.Background()) // no deadline of its own
	require.True(t, errors.Is(err, context.DeadlineExceeded), "got %v", err)
}

// formTokenSource fetches a token from srv's token endpoint on every call,
// as the source of NewBearer should.
type formTokenSource struct {
	cc  *clientcredentials.Config
	ctx context.Context
}

func (s formTokenSource) Token() (*oauth2.Token, error) { return s.cc.Token(s.ctx) }

// x/oauth2 decodes a form-encoded (or text/plain) token response into
// url.Values, where a missing expires_in reads as "" rather than nil.
func TestFormEncodedTokenWithoutExpiresIn(t *testing.T) {
	form := authtest.Fault{
		Status: http.StatusOK,
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		Body:   "access_token=form-token-1&token_type=bearer",
	}

	t.Run("NewBearer uses it until rejected", func(t *testing.T) {
		srv := setup(t)
		srv.Fail(authtest.RouteToken, form)
		cc := &clientcredentials.Config{ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret,
			TokenURL: srv.URL + "/auth/1/oauth2/token", AuthStyle: oauth2.AuthStyleInParams}
		b, err := auth.NewBearer(formTokenSource{cc, t.Context()}, auth.BearerOptions{Now: srv.Now})
		require.NoError(t, err)
		for range 3 {
			h, err := b.Authorization(t.Context())
			require.NoError(t, err)
			require.Equal(t, "Bearer form-token-1", h)
		}
		srv.Advance(1000 * time.Hour)
		_, err = b.Authorization(t.Context())
		require.NoError(t, err)
		require.Equal(t, 1, srv.Count(authtest.RouteToken))
	})

	t.Run("NewOAuth says expires_in is missing", func(t *testing.T) {
		srv := setup(t)
		srv.Fail(authtest.RouteToken, form)
		b, _ := newOAuth(t, srv)
		_, err := b.Authorization(t.Context())
		require.EqualError(t, err, "auth: fetch OAuth token: response has no expires_in")
	})
}

// A token that is expired on arrival would be fetched again by every
// request: it is refused, so the backoff keeps the source from being
// hammered.
func TestTokenExpiredOnArrivalIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		tok  *oauth2.Token
		want string
	}{
		{
			name: "Expiry in the past",
			tok:  &oauth2.Token{AccessToken: "stale-1", TokenType: "Bearer", Expiry: time.Now().Add(-time.Minute)},
			want: "auth: fetch OAuth token: the token source returned a token that expires in less than a second",
		},
		{
			name: "expires_in under a second",
			tok:  (&oauth2.Token{AccessToken: "brief-1", TokenType: "Bearer"}).WithExtra(map[string]any{"expires_in": 1e-10}),
			want: "auth: fetch OAuth token: expires_in is 1e-10, want a positive number of seconds (at least 1)",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := setup(t)
			ts := &countingSource{tok: tc.tok}
			b, err := auth.NewBearer(ts, auth.BearerOptions{Now: srv.Now})
			require.NoError(t, err)
			c := client(t, srv, b)
			for range 5 {
				_, err := b.Authorization(t.Context())
				require.EqualError(t, err, tc.want)
				_, err = c.Get(srv.URL + "/account/1/balance")
				require.ErrorContains(t, err, tc.want)
			}
			require.Equal(t, 1, ts.calls(), "no fetch during the backoff")
			require.Equal(t, 0, srv.Count(authtest.RouteBalance))
		})
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
