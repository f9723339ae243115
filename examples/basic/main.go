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
		fmt.Fprintln(os.Stderr, "basic:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	var baseURL string
	var basic *auth.Basic
	if os.Getenv("IB_BASE_URL") != "" {
		u, a, err := auth.FromEnv() // names a bad variable, never its value
		if err != nil {
			return err
		}
		b, ok := a.(*auth.Basic)
		if !ok {
			return fmt.Errorf("the environment selects %T credentials; this example needs IB_USERNAME and IB_PASSWORD (and IB_AUTH=basic if other credentials are set)", a)
		}
		baseURL, basic = u, b
	} else {
		srv := authtest.NewServer()
		defer srv.Close()
		fmt.Fprintln(w, "No IB_BASE_URL set: using the built-in fake Infobip server at", srv.URL)
		b, err := auth.NewBasic(authtest.Username, authtest.Password) // the header is computed once, here
		if err != nil {
			return err
		}
		baseURL, basic = srv.URL, b
	}

	t, err := auth.NewTransport(baseURL, basic, nil)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: t, Timeout: 30 * time.Second}
	resp, err := client.Get(baseURL + "/account/1/balance")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("GET /account/1/balance: %w", auth.ParseError(resp))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("GET /account/1/balance: reading the answer: %w", err)
	}
	fmt.Fprintf(w, "balance: %s\n", body)
	return nil
}
