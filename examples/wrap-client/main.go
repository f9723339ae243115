// Wrap-client adds Infobip authentication, in each of the four schemes,
// to an http.Client that already exists, keeping its own transport
// settings (TLS roots, proxy, timeout), as you would for the client inside
// Infobip's generated SDK. The existing client is left as it was: requests
// sent through it carry no credentials.
//
//	go run ./examples/wrap-client
//
// It runs offline only, against a fake Infobip server over TLS whose
// certificate only the existing client trusts, as if signed by your
// private CA. If a call does not turn out as shown, it prints the error on
// stderr and exits with status 1.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/examples/internal/example"
)

func main() {
	example.Main("wrap-client", func(w io.Writer) error {
		srv := authtest.NewTLSServer()
		defer srv.Close()
		return run(w, srv)
	})
}

func run(w io.Writer, srv *authtest.Server) (err error) {
	ctx := context.Background()
	// The client you already have: it trusts the server's certificate and
	// has its own timeout.
	existing := srv.Client()
	existing.Timeout = 10 * time.Second

	// IBSSO and OAuth send session and token requests of their own: their
	// HTTPClient is the existing client too, so those trust its roots.
	key, err1 := auth.NewAPIKey(authtest.APIKey)
	basic, err2 := auth.NewBasic(authtest.Username, authtest.Password)
	session, err3 := auth.NewIBSSO(auth.IBSSOConfig{BaseURL: srv.URL, Username: authtest.Username, Password: authtest.Password, HTTPClient: existing})
	bearer, err4 := auth.NewOAuth(auth.OAuthConfig{BaseURL: srv.URL, ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret, HTTPClient: existing})
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return err
	}
	defer func() { err = errors.Join(err, session.Close(ctx), bearer.Close(ctx)) }() // the session is destroyed
	for _, a := range []auth.Authenticator{key, basic, session, bearer} {

		// A new client over existing's transport; existing is not modified.
		client, err := auth.NewClient(srv.URL, a, existing)
		if err != nil {
			return err
		}
		status, _, err := example.Balance(ctx, client, srv.URL)
		if err != nil {
			return fmt.Errorf("%T: %w", a, err)
		}
		// The same call through the existing client carries no
		// credentials, so the server refuses it.
		resp, err := existing.Get(srv.URL + example.BalancePath)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			return fmt.Errorf("%T: the existing client got %s, want 401: it sent credentials", a, resp.Status)
		}
		fmt.Fprintf(w, "%-12T new client: %s; existing client: %s\n", a, status, resp.Status)
	}

	// A new client sends credentials only to its base URL's origin: a
	// request to another host goes out without them.
	other := authtest.NewServer()
	defer other.Close()
	client, err := auth.NewClient(srv.URL, key, existing)
	if err != nil {
		return err
	}
	resp, err := client.Get(other.URL + example.BalancePath)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		return fmt.Errorf("another host got %s, want 401: the new client sent it credentials", resp.Status)
	}
	fmt.Fprintf(w, "another host through a new client: %s\n", resp.Status)
	return nil
}
