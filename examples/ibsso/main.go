// Ibsso calls the Infobip API with an IBSSO session that manages itself:
// created on first use, reused, replaced when idle too long or rejected,
// destroyed at the end.
//
//	go run ./examples/ibsso                       # offline, against authtest
//	IB_BASE_URL=https://xxxxx.api.infobip.com IB_AUTH=ibsso IB_USERNAME=... IB_PASSWORD=... go run ./examples/ibsso
//
// With IB_BASE_URL set, the base URL and the credentials come from
// auth.FromEnv, which adds https:// to a base URL without a scheme;
// IB_AUTH=ibsso is needed, as a username and password alone mean Basic.
// If anything fails, a call answered with a non-2xx status included, it
// prints the error on stderr and exits with status 1.
package main

import (
	"context"
	"errors"
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
		fmt.Fprintln(os.Stderr, "ibsso:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) (err error) {
	var baseURL string
	var session *auth.IBSSO
	var srv *authtest.Server
	if os.Getenv("IB_BASE_URL") != "" {
		u, a, err := auth.FromEnv() // names a bad variable, never its value
		if err != nil {
			return err
		}
		s, ok := a.(*auth.IBSSO)
		if !ok {
			return fmt.Errorf("the environment selects %T credentials; this example needs IB_AUTH=ibsso with IB_USERNAME and IB_PASSWORD", a)
		}
		baseURL, session = u, s
	} else {
		srv = authtest.NewServer()
		defer srv.Close()
		fmt.Fprintln(w, "No IB_BASE_URL set: using the built-in fake Infobip server at", srv.URL)
		s, err := auth.NewIBSSO(auth.IBSSOConfig{
			BaseURL:  srv.URL,
			Username: authtest.Username,
			Password: authtest.Password,
			OnRefresh: func(ev auth.RefreshEvent) {
				log.Printf("IBSSO session %s: took %v, error %v", ev.Reason, ev.Duration.Round(time.Millisecond), ev.Err)
			},
		})
		if err != nil {
			return err
		}
		baseURL, session = srv.URL, s
	}
	// Destroy the session on the way out (Infobip keeps it 60 idle
	// minutes). Closing a session never created sends nothing.
	defer func() {
		if cerr := session.Close(context.Background()); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()

	t, err := auth.NewTransport(baseURL, session, nil)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: t, Timeout: 30 * time.Second}
	for i := range 3 { // one session, three calls
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
		fmt.Fprintln(w, "sessions created:", srv.Count(authtest.RouteCreateSession))
	}
	return nil
}
