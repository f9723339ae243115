package auth_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/internal/testkit"
)

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
