// Wrap-client adds Infobip authentication to an http.Client that already
// exists, keeping its own transport settings (timeouts, proxies, TLS), as
// you would for the client inside Infobip's generated SDK.
//
//	go run ./examples/wrap-client
//
// It runs offline only, against two fake Infobip servers. If a call does
// not turn out as shown, it prints the error on stderr and exits with
// status 1.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "wrap-client:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	srv := authtest.NewTLSServer()
	defer srv.Close()

	// The client you already have: here one that trusts the test server's
	// certificate, with its own timeout.
	existing := srv.Client()
	existing.Timeout = 10 * time.Second

	key, err := auth.NewAPIKey(authtest.APIKey)
	if err != nil {
		return err
	}
	// Keep the existing transport as the base: only the Authorization
	// header is added, and only for srv.URL's origin.
	t, err := auth.NewTransport(srv.URL, key, existing.Transport)
	if err != nil {
		return err
	}
	existing.Transport = t

	resp, err := existing.Get(srv.URL + "/account/1/balance")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("GET /account/1/balance: %w", auth.ParseError(resp))
	}
	fmt.Fprintln(w, "with credentials:", resp.Status)

	// A request to any other origin goes out without them, so that server
	// refuses it.
	other := authtest.NewServer()
	defer other.Close()
	resp, err = existing.Get(other.URL + "/account/1/balance")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if got := other.Requests(authtest.RouteBalance)[0].Header.Get("Authorization"); got != "" {
		return fmt.Errorf("the request to another host carried an Authorization header")
	}
	if resp.StatusCode != http.StatusUnauthorized {
		return fmt.Errorf("another host answered %s to a request without credentials, want 401", resp.Status)
	}
	fmt.Fprintln(w, "another host:    ", resp.Status)
	return nil
}
