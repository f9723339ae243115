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
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"time"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/examples/internal/example"
)

func main() { example.Main("oauth", run) }

// logToken reports each attempt to fetch a token, on stderr.
func logToken(ev auth.RefreshEvent) {
	log.Printf("OAuth token %s: expires %v, error %v", ev.Reason, ev.Expiry.Format("15:04:05"), ev.Err)
}

func run(w io.Writer) (err error) {
	ctx := context.Background()
	acct, bearer, err := example.Setup(w, "IB_CLIENT_ID and IB_CLIENT_SECRET, or IB_AUTH=oauth with IB_USERNAME and IB_PASSWORD",
		func(fake *authtest.Server) (*auth.Bearer, error) {
			return auth.NewOAuth(auth.OAuthConfig{
				BaseURL:      fake.URL,
				ClientID:     authtest.ClientID,
				ClientSecret: authtest.ClientSecret,
				OnRefresh:    logToken,
			})
		},
		auth.WithOnRefresh(logToken))
	if err != nil {
		return err
	}
	defer acct.Close()
	// Stop the background refresh on the way out.
	defer func() { err = errors.Join(err, bearer.Close(ctx)) }()

	client, err := auth.NewClient(acct.BaseURL, bearer, &http.Client{Timeout: 30 * time.Second})
	if err != nil {
		return err
	}
	for i := range 3 { // one token, three calls
		status, _, err := example.Balance(ctx, client, acct.BaseURL)
		if err != nil {
			return err
		}
		fmt.Fprintln(w, "call", i+1, status)
	}
	if acct.Fake != nil {
		fmt.Fprintln(w, "token requests:", acct.Fake.Count(authtest.RouteToken))
	}
	return nil
}
