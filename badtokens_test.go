package auth_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

// Token responses that are well-formed but unusable, found by
// FuzzBearerToken, through the public API.

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
