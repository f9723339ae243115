package auth_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/ibkit/auth/authtest"
)

func TestIBSSOTokenSource(t *testing.T) {
	srv := setup(t)
	s, _ := newIBSSO(t, srv)
	tok, err := s.TokenSource().Token()
	require.NoError(t, err)
	require.Equal(t, "IBSSO", tok.Type())
	require.Equal(t, srv.Now().Add(time.Minute), tok.Expiry, "a minute ahead on the configured clock")

	// Any oauth2-based client can use it.
	c := &http.Client{Transport: &oauth2.Transport{Source: s.TokenSource()}}
	require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	c.CloseIdleConnections()
	require.Equal(t, "IBSSO "+tok.AccessToken, lastAuthorization(t, srv, authtest.RouteBalance))
	require.Equal(t, 1, srv.Count(authtest.RouteCreateSession))
}

// oauth2.NewClient wraps the source in a ReuseTokenSource, which keeps a
// token until its Expiry: after an hour idle the session is gone, and the
// source must be asked again.
func TestIBSSOTokenSourceUnderReuseTokenSource(t *testing.T) {
	srv := setup(t)
	s, _ := newIBSSO(t, srv)
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
	c := oauth2.NewClient(ctx, s.TokenSource())
	require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	srv.Advance(61 * time.Minute)
	require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	require.Equal(t, 2, srv.Count(authtest.RouteCreateSession))
}

func TestOAuthTokenSourceWorksWithOAuth2Transport(t *testing.T) {
	srv := setup(t)
	b, _ := newOAuth(t, srv)
	c := &http.Client{Transport: &oauth2.Transport{Source: b.TokenSource()}}
	defer c.CloseIdleConnections()
	require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	require.Equal(t, 1, srv.Count(authtest.RouteToken))
}
