package auth_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

func TestCallerAuthorizationIsReplacedHoweverSpelled(t *testing.T) {
	srv := setup(t)
	key, err := auth.NewAPIKey(authtest.APIKey)
	require.NoError(t, err)
	c := client(t, srv, key)
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/account/1/balance", nil)
	require.NoError(t, err)
	req.Header["authorization"] = []string{"Basic callers-own"}
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	sent := srv.Requests(authtest.RouteBalance)[0].Header
	require.Equal(t, []string{"App " + authtest.APIKey}, sent.Values("Authorization"))
	//lint:ignore SA1008 the non-canonical spelling is the point
	require.Equal(t, []string{"Basic callers-own"}, req.Header["authorization"], "the caller's map is untouched")
}

func TestZeroValuesDoNotPanic(t *testing.T) {
	var tr auth.Transport
	body := &closeRecorder{Reader: strings.NewReader("x")}
	req, err := http.NewRequest(http.MethodPost, "https://api.infobip.com/sms/3/messages", body)
	require.NoError(t, err)
	_, err = tr.RoundTrip(req)
	require.ErrorContains(t, err, "NewTransport")
	require.True(t, body.closed)
	require.ErrorContains(t, tr.AllowOrigin("https://api.infobip.com"), "NewTransport")

	var e *auth.Error
	require.Equal(t, "auth: <nil>", e.Error())
}

type closeRecorder struct {
	*strings.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestUnrenewable401KeepsItsBody(t *testing.T) {
	srv := setup(t)
	b, err := auth.NewBearer(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "never-issued"}), auth.BearerOptions{})
	require.NoError(t, err)
	c := client(t, srv, b)
	resp, err := c.Get(srv.URL + "/account/1/balance")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Equal(t, "E401", auth.ParseError(resp).Code, "the body read before renewing is given back")
	require.Equal(t, 1, srv.Count(authtest.RouteBalance))
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
