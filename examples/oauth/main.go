// Oauth calls the Infobip API with OAuth 2.0 client-credentials tokens,
// refreshed in the background before they expire.
//
//	go run ./examples/oauth                       # offline, against authtest
//	IB_BASE_URL=https://xxxxx.api.infobip.com IB_CLIENT_ID=... IB_CLIENT_SECRET=... go run ./examples/oauth
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

func main() {
	baseURL, id, secret := os.Getenv("IB_BASE_URL"), os.Getenv("IB_CLIENT_ID"), os.Getenv("IB_CLIENT_SECRET")
	if baseURL == "" {
		srv := authtest.NewServer()
		defer srv.Close()
		baseURL, id, secret = srv.URL, authtest.ClientID, authtest.ClientSecret
	}

	bearer, err := auth.NewOAuth(auth.OAuthConfig{
		BaseURL:      baseURL,
		ClientID:     id,
		ClientSecret: secret,
		OnRefresh: func(ev auth.RefreshEvent) {
			log.Printf("OAuth token %s: expires %v, error %v", ev.Reason, ev.Expiry.Format("15:04:05"), ev.Err)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	t, err := auth.NewTransport(baseURL, bearer, nil)
	if err != nil {
		log.Fatal(err)
	}
	client := &http.Client{Transport: t}
	for i := range 3 { // one token, three calls
		resp, err := client.Get(baseURL + "/account/1/balance")
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println("call", i+1, resp.Status)
	}
}
