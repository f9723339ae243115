package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

// An authenticator that would panic or send an empty header at the first
// request is refused when the Transport is made, and fails (never panics)
// when called directly.
func TestUnmadeAuthenticatorsAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    auth.Authenticator
	}{
		{"nil *APIKey", (*auth.APIKey)(nil)},
		{"nil *Basic", (*auth.Basic)(nil)},
		{"nil *IBSSO", (*auth.IBSSO)(nil)},
		{"nil *Bearer", (*auth.Bearer)(nil)},
		{"nil pointer of the caller's type", (*failingAuthenticator)(nil)},
		{"zero APIKey", &auth.APIKey{}},
		{"zero Basic", &auth.Basic{}},
		{"zero IBSSO", &auth.IBSSO{}},
		{"zero Bearer", &auth.Bearer{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := auth.NewTransport("https://api.infobip.com", tc.a, nil)
			require.Nil(t, tr)
			require.ErrorContains(t, err, "auth: NewTransport: ")
			if _, ok := tc.a.(*failingAuthenticator); ok {
				return // the caller's own type: its methods are its business
			}
			_, err = tc.a.Authorization(context.Background())
			require.ErrorContains(t, err, "was not made with New")
			if r, ok := tc.a.(auth.Renewer); ok {
				require.ErrorContains(t, r.Renew(context.Background(), "x"), "was not made with New")
			}
			if c, ok := tc.a.(interface{ Close(context.Context) error }); ok {
				require.ErrorContains(t, c.Close(context.Background()), "was not made with New")
			}
			if d, ok := tc.a.(interface{ Destroy(context.Context) error }); ok {
				require.ErrorContains(t, d.Destroy(context.Background()), "was not made with New")
			}
			if s, ok := tc.a.(interface{ TokenSource() oauth2.TokenSource }); ok {
				_, err := s.TokenSource().Token()
				require.ErrorContains(t, err, "was not made with New")
			}
		})
	}
}

// Nil requests, contexts, Transports and authenticators give errors, never
// panics.
func TestNothingPanicsOnBadInput(t *testing.T) {
	k, _ := auth.NewAPIKey("k")
	tr, _ := auth.NewTransport("https://api.example.com", k, funcBase(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	}))
	try := func(name string, f func()) {
		t.Helper()
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("%s panicked: %v", name, r)
			}
		}()
		f()
	}
	try("RoundTrip(nil)", func() { tr.RoundTrip(nil) })
	try("RoundTrip(no URL)", func() { tr.RoundTrip(&http.Request{}) })
	try("zero Transport RoundTrip", func() { (&auth.Transport{}).RoundTrip(&http.Request{}) })
	try("zero Transport String", func() { _ = (&auth.Transport{}).String() })
	try("zero Transport AllowOrigin", func() { (&auth.Transport{}).AllowOrigin("https://x") })
	try("zero Transport CloseIdle", func() { (&auth.Transport{}).CloseIdleConnections() })
	try("nil Transport String", func() { var n *auth.Transport; _ = n.String() })
	try("nil Transport BaseURL", func() { var n *auth.Transport; _ = n.BaseURL() })
	for _, a := range []auth.Authenticator{(*auth.Session)(nil), (*auth.IBSSO)(nil), (*auth.Bearer)(nil), (*auth.APIKey)(nil), (*auth.Basic)(nil), &auth.Session{}, &auth.IBSSO{}, &auth.Bearer{}} {
		try(fmt.Sprintf("WithAuthenticator(%T)", a), func() {
			req, _ := http.NewRequestWithContext(auth.WithAuthenticator(context.Background(), a), "GET", "https://api.example.com/x", nil)
			_, err := tr.RoundTrip(req)
			if err == nil || !strings.HasPrefix(err.Error(), "auth: ") {
				t.Errorf("%T: err=%v", a, err)
			}
		})
		try(fmt.Sprintf("Close(%T)", a), func() {
			switch c := a.(type) {
			case interface{ Close(context.Context) error }:
				c.Close(context.Background())
			case interface{ Logout(context.Context) error }:
				c.Logout(context.Background())
			}
		})
		try(fmt.Sprintf("Renew(%T)", a), func() {
			if r, ok := a.(auth.Renewer); ok {
				r.Renew(context.Background(), "x")
			}
		})
	}
	srv := authtest.NewServer()
	defer srv.Close()
	ib, _ := auth.NewIBSSO(auth.IBSSOConfig{BaseURL: srv.URL, Username: authtest.Username, Password: authtest.Password})
	be, _ := auth.NewOAuth(auth.OAuthConfig{BaseURL: srv.URL, ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret})
	s, _ := auth.Login(context.Background(), auth.LoginConfig{BaseURL: srv.URL}, authtest.Username, authtest.Password)
	var nilCtx context.Context
	try("IBSSO.Authorization(nil)", func() { ib.Authorization(nilCtx) })
	try("Bearer.Authorization(nil)", func() { be.Authorization(nilCtx) })
	try("IBSSO.Renew(nil)", func() { ib.Renew(nilCtx, "IBSSO x") })
	try("Bearer.Renew(nil)", func() { be.Renew(nilCtx, "Bearer x") })
	try("Session.Logout(nil)", func() { s.Logout(nilCtx) })
	try("IBSSO.Close(nil)", func() { ib.Close(nilCtx) })
	try("Bearer.Close(nil)", func() { be.Close(nilCtx) })
	try("WithAuthenticator(nil ctx)", func() { auth.WithAuthenticator(nilCtx, s) })
	try("ParseError(resp nil body)", func() { auth.ParseError(&http.Response{}) })
}

func TestRedactedValuesStillSayWhatTheyAre(t *testing.T) {
	k, err := auth.NewAPIKey(authtest.APIKey)
	require.NoError(t, err)
	require.Equal(t, "auth.APIKey{[redacted]}", fmt.Sprint(k))
	require.Equal(t, "auth.APIKey{[redacted]}", fmt.Sprintf("%#v", k))
	require.Equal(t, `"auth.APIKey{[redacted]}"`, fmt.Sprintf("%q", k))
}
