// Oauth calls the Infobip API with OAuth 2.0 client-credentials tokens,
// refreshed in the background before they expire.
//
//	go run ./examples/oauth                       # offline, against authtest
//	IB_BASE_URL=https://xxxxx.api.infobip.com IB_CLIENT_ID=... IB_CLIENT_SECRET=... go run ./examples/oauth
//	IB_BASE_URL=https://xxxxx.api.infobip.com IB_AUTH=oauth IB_USERNAME=... IB_PASSWORD=... go run ./examples/oauth
//
// With IB_BASE_URL set, the base URL and the credentials come from
// auth.FromEnv, which adds https:// to a base URL without a scheme. Infobip
// describes the client ID and secret as the account's username and
// password, hence the second form. If anything fails, a call answered with
// a non-2xx status included, it prints the error on stderr and exits with
// status 1.
package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "oauth:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	var baseURL string
	var bearer *auth.Bearer
	var srv *authtest.Server
	if os.Getenv("IB_BASE_URL") != "" {
		u, a, err := auth.FromEnv() // names a bad variable, never its value
		if err != nil {
			return err
		}
		b, ok := a.(*auth.Bearer)
		if !ok {
			return fmt.Errorf("the environment selects %T credentials; this example needs IB_CLIENT_ID and IB_CLIENT_SECRET, or IB_AUTH=oauth with IB_USERNAME and IB_PASSWORD", a)
		}
		baseURL, bearer = u, b
	} else {
		srv = authtest.NewServer()
		defer srv.Close()
		fmt.Fprintln(w, "No IB_BASE_URL set: using the built-in fake Infobip server at", srv.URL)
		b, err := auth.NewOAuth(auth.OAuthConfig{
			BaseURL:      srv.URL,
			ClientID:     authtest.ClientID,
			ClientSecret: authtest.ClientSecret,
			OnRefresh: func(ev auth.RefreshEvent) {
				log.Printf("OAuth token %s: expires %v, error %v", ev.Reason, ev.Expiry.Format("15:04:05"), ev.Err)
			},
		})
		if err != nil {
			return err
		}
		baseURL, bearer = srv.URL, b
	}

	t, err := auth.NewTransport(baseURL, bearer, nil)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: t, Timeout: 30 * time.Second}
	for i := range 3 { // one token, three calls
		resp, err := client.Get(baseURL + "/account/1/balance")
		if err != nil {
			return err
		}
		if resp.StatusCode/100 != 2 {
			defer resp.Body.Close()
			return fmt.Errorf("GET /account/1/balance: %w", auth.ParseError(resp))
		}
		resp.Body.Close()
		fmt.Fprintln(w, "call", i+1, resp.Status)
	}
	if srv != nil {
		fmt.Fprintln(w, "token requests:", srv.Count(authtest.RouteToken))
	}
	return nil
}
