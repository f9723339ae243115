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
	"log/slog"
	"net/http"
	"time"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/examples/internal/example"
)

func main() { example.Main("ibsso", run) }

func run(w io.Writer) (err error) {
	ctx := context.Background()
	acct, session, err := example.Setup(w, "IB_AUTH=ibsso with IB_USERNAME and IB_PASSWORD",
		func(fake *authtest.Server) (*auth.IBSSO, error) {
			return auth.NewIBSSO(auth.IBSSOConfig{
				BaseURL:  fake.URL,
				Username: authtest.Username,
				Password: authtest.Password,
				Logger:   slog.Default(), // each session created, on stderr
			})
		},
		auth.WithLogger(slog.Default()))
	if err != nil {
		return err
	}
	defer acct.Close()
	// Destroy the session on the way out (Infobip keeps it 60 idle
	// minutes). Closing a session never created sends nothing.
	defer func() { err = errors.Join(err, session.Close(ctx)) }()

	client, err := auth.NewClient(acct.BaseURL, session, &http.Client{Timeout: 30 * time.Second})
	if err != nil {
		return err
	}
	for i := range 3 { // one session, three calls
		status, _, err := example.Balance(ctx, client, acct.BaseURL)
		if err != nil {
			return err
		}
		fmt.Fprintln(w, "call", i+1, status)
	}
	if acct.Fake != nil {
		fmt.Fprintln(w, "sessions created:", acct.Fake.Count(authtest.RouteCreateSession))
	}
	return nil
}
