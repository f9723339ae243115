package auth_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
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
