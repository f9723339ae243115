// Basic calls the Infobip API with HTTP Basic authentication.
//
//	go run ./examples/basic                       # offline, against authtest
//	IB_BASE_URL=https://xxxxx.api.infobip.com IB_USERNAME=... IB_PASSWORD=... go run ./examples/basic
//
// With IB_BASE_URL set, the base URL and the credentials come from
// auth.FromEnv, which adds https:// to a base URL without a scheme;
// credentials for another scheme are refused. If anything fails, a call
// answered with a non-2xx status included, it prints the error on stderr
// and exits with status 1.
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

func main() { example.Main("basic", run) }

func run(w io.Writer) (err error) {
	ctx := context.Background()
	acct, basic, err := example.Setup(w, "IB_USERNAME and IB_PASSWORD (and IB_AUTH=basic if other credentials are set)",
		func(*authtest.Server) (*auth.Basic, error) {
			return auth.NewBasic(authtest.Username, authtest.Password) // the header is computed once, here
		})
	if err != nil {
		return err
	}
	defer acct.Close() // a password holds nothing to release, as a key

	client, err := auth.NewClient(acct.BaseURL, basic, &http.Client{Timeout: 30 * time.Second})
	if err != nil {
		return err
	}
	_, balance, err := example.Balance(ctx, client, acct.BaseURL)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "balance: %s\n", balance)
	return nil
}
