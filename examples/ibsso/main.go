// Ibsso calls the Infobip API with an IBSSO session that manages itself:
// created on first use, reused, replaced when idle too long or rejected,
// destroyed at the end.
//
//	go run ./examples/ibsso                       # offline, against authtest
//	IB_BASE_URL=https://xxxxx.api.infobip.com IB_USERNAME=... IB_PASSWORD=... go run ./examples/ibsso
package main

import (
	"context"
	"fmt"
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

	session, err := auth.NewIBSSO(auth.IBSSOConfig{
		BaseURL:  baseURL,
		Username: user,
		Password: pass,
		OnRefresh: func(ev auth.RefreshEvent) {
			log.Printf("IBSSO session %s: took %v, error %v", ev.Reason, ev.Duration.Round(1e6), ev.Err)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	// Destroy the session on the way out (Infobip keeps it 60 idle minutes).
	defer func() {
		if err := session.Close(context.Background()); err != nil {
			log.Print(err)
		}
	}()

	t, err := auth.NewTransport(baseURL, session, nil)
	if err != nil {
		log.Fatal(err)
	}
	client := &http.Client{Transport: t}
	for i := range 3 { // one session, three calls
		resp, err := client.Get(baseURL + "/account/1/balance")
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println("call", i+1, resp.Status)
	}
}
