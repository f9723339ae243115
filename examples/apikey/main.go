// Apikey calls the Infobip API with an App API key.
//
//	go run ./examples/apikey                      # offline, against authtest
//	IB_BASE_URL=https://xxxxx.api.infobip.com IB_API_KEY=... go run ./examples/apikey
//
// With IB_BASE_URL set, the base URL and the key come from auth.FromEnv,
// which adds https:// to a base URL without a scheme; credentials for
// another scheme are refused. If anything fails, a call answered with a
// non-2xx status included, it prints the error on stderr and exits with
// status 1.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/examples/internal/example"
)

func main() { example.Main("apikey", run) }

func run(w io.Writer) (err error) {
	ctx := context.Background()
	acct, key, err := example.Setup(w, "IB_API_KEY (and IB_AUTH=app if other credentials are set)",
		func(*authtest.Server) (*auth.APIKey, error) {
			return auth.NewAPIKey(authtest.APIKey) // names the problem, never the key
		})
	if err != nil {
		return err
	}
	defer acct.Close() // a key holds nothing to release: it has no Close

	client, err := auth.NewClient(acct.BaseURL, key, &http.Client{Timeout: 30 * time.Second})
	if err != nil {
		return err
	}
	_, balance, err := example.Balance(ctx, client, acct.BaseURL)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "balance: %s\n", balance)
	fmt.Fprintf(w, "the key prints as %v\n", key) // auth.APIKey{[redacted]}
	return nil
}
