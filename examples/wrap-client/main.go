// Wrap-client adds Infobip authentication to an http.Client that already
// exists, keeping its own transport settings (timeouts, proxies, TLS), as
// you would for the client inside Infobip's generated SDK.
//
//	go run ./examples/wrap-client
package main

import (
	"fmt"
	"log"
	"time"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

func main() {
	srv := authtest.NewTLSServer()
	defer srv.Close()

	// The client you already have: here one that trusts the test server's
	// certificate, with its own timeout.
	existing := srv.Client()
	existing.Timeout = 10 * time.Second

	key, err := auth.NewAPIKey(authtest.APIKey)
	if err != nil {
		log.Fatal(err)
	}
	// Keep the existing transport as the base: only the Authorization
	// header is added, and only for srv.URL's origin.
	t, err := auth.NewTransport(srv.URL, key, existing.Transport)
	if err != nil {
		log.Fatal(err)
	}
	existing.Transport = t

	resp, err := existing.Get(srv.URL + "/account/1/balance")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println("with credentials:", resp.Status)

	// A request to any other origin goes out without them.
	other := authtest.NewServer()
	defer other.Close()
	resp, err = existing.Get(other.URL + "/account/1/balance")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println("another host:    ", resp.Status)
}
