// Basic calls the Infobip API with HTTP Basic authentication.
//
//	go run ./examples/basic                       # offline, against authtest
//	IB_BASE_URL=https://xxxxx.api.infobip.com IB_USERNAME=... IB_PASSWORD=... go run ./examples/basic
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
	baseURL, user, pass := os.Getenv("IB_BASE_URL"), os.Getenv("IB_USERNAME"), os.Getenv("IB_PASSWORD")
	if baseURL == "" {
		srv := authtest.NewServer()
		defer srv.Close()
		baseURL, user, pass = srv.URL, authtest.Username, authtest.Password
	}

	a, err := auth.NewBasic(user, pass) // the header is computed once, here
	if err != nil {
		log.Fatal(err)
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
	fmt.Printf("%s\n", body)
}
