// Apikey calls the Infobip API with an App API key.
//
//	go run ./examples/apikey                      # offline, against authtest
//	IB_BASE_URL=https://xxxxx.api.infobip.com IB_API_KEY=... go run ./examples/apikey
package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"os"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

func main() {
	baseURL, key := os.Getenv("IB_BASE_URL"), os.Getenv("IB_API_KEY")
	if baseURL == "" {
		srv := authtest.NewServer()
		defer srv.Close()
		baseURL, key = srv.URL, authtest.APIKey
	}

	a, err := auth.NewAPIKey(key)
	if err != nil {
		log.Fatal(err) // names the problem, never the key
	}
	t, err := auth.NewTransport(baseURL, a, nil)
	if err != nil {
		log.Fatal(err)
	}
	client := &http.Client{Transport: t}

	resp, err := client.Get(baseURL + "/account/1/balance")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		log.Fatal(auth.ParseError(resp))
	}
	body, _ := io.ReadAll(resp.Body)
	fmt.Printf("%s\n%s\n", body, a) // the key prints as auth.APIKey{[redacted]}
}
