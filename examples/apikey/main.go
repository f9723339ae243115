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
		fmt.Fprintln(os.Stderr, "apikey:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	var baseURL string
	var key *auth.APIKey
	if os.Getenv("IB_BASE_URL") != "" {
		u, a, err := auth.FromEnv() // names a bad variable, never its value
		if err != nil {
			return err
		}
		k, ok := a.(*auth.APIKey)
		if !ok {
			return fmt.Errorf("the environment selects %T credentials; this example needs IB_API_KEY (and IB_AUTH=app if other credentials are set)", a)
		}
		baseURL, key = u, k
	} else {
		srv := authtest.NewServer()
		defer srv.Close()
		fmt.Fprintln(w, "No IB_BASE_URL set: using the built-in fake Infobip server at", srv.URL)
		k, err := auth.NewAPIKey(authtest.APIKey) // names the problem, never the key
		if err != nil {
			return err
		}
		baseURL, key = srv.URL, k
	}

	t, err := auth.NewTransport(baseURL, key, nil)
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
	fmt.Fprintf(w, "the key prints as %v\n", key) // auth.APIKey{[redacted]}
	return nil
}
