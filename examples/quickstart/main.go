// Quickstart authenticates calls to the Infobip API with every scheme.
//
// With no IB_* variables set it runs offline, against the fake Infobip
// server of package authtest:
//
//	go run ./examples/quickstart
//
// With IB_BASE_URL and credentials set (see auth.FromEnv) it calls your
// account's balance endpoint instead:
//
//	IB_BASE_URL=https://xxxxx.api.infobip.com IB_API_KEY=... go run ./examples/quickstart
//
// If anything fails, a call the API answers with a non-2xx status
// included, it prints the error on stderr and exits with status 1.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/examples/internal/example"
)

func main() { example.Main("quickstart", run) }

// run is the program: live when IB_BASE_URL is set, else offline.
func run(w io.Writer) error {
	if example.Live() {
		return live(w)
	}
	return offline(w)
}

// live calls the real API with credentials from the environment.
func live(w io.Writer) (err error) {
	ctx := context.Background()
	baseURL, a, err := auth.FromEnv()
	if err != nil {
		return err
	}
	// An IBSSO session is destroyed and an OAuth refresh stopped; a key or
	// password has no Close: it holds nothing to release.
	if c, ok := a.(interface{ Close(context.Context) error }); ok {
		defer func() { err = errors.Join(err, c.Close(ctx)) }()
	}
	client, err := auth.NewClient(baseURL, a, &http.Client{Timeout: 30 * time.Second})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "calling %s with %T\n", baseURL, a)
	status, balance, err := example.Balance(ctx, client, baseURL)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "balance:", status, balance)
	return nil
}

// offline shows each scheme against an in-process fake Infobip server.
func offline(w io.Writer) error {
	// The background refresh reports from its own goroutine.
	w = &lockedWriter{w: w}
	srv := example.StartFake(w)
	defer srv.Close()
	t := &tour{ctx: context.Background(), w: w, baseURL: srv.URL}
	proactive := make(chan struct{}, 1) // the background refresh reports here
	report := func(ev auth.RefreshEvent) {
		if ev.Reason == auth.ReasonProactive {
			defer func() { proactive <- struct{}{} }()
		}
		if ev.Err != nil {
			fmt.Fprintf(w, "    [%s %s fetch failed: %v]\n", ev.Scheme, ev.Reason, ev.Err)
			return
		}
		fmt.Fprintf(w, "    [%s %s fetch: new credential]\n", ev.Scheme, ev.Reason)
	}

	t.say("\nApp API key")
	key, err := auth.NewAPIKey(authtest.APIKey)
	t.use(key, err)
	t.show("  balance:")
	t.say("  the key prints as %v", key) // and holds nothing to release

	t.say("\nHTTP Basic")
	basic, err := auth.NewBasic(authtest.Username, authtest.Password)
	t.use(basic, err)
	t.show("  balance:")

	t.say("\nIBSSO session")
	session, err := auth.NewIBSSO(auth.IBSSOConfig{
		BaseURL: srv.URL, Username: authtest.Username, Password: authtest.Password,
		Now: srv.Now, OnRefresh: report,
	})
	t.use(session, err)
	t.show("  first call creates a session:")
	t.show("  second call reuses it:       ")
	srv.Advance(61 * time.Minute)
	t.say("  61 idle minutes later (Infobip ends sessions after 60), a new one:")
	t.show("                               ")
	srv.ExpireAll()
	t.say("  the server drops it; the 401 is renewed and retried:")
	t.show("                               ")
	t.release(session.Close) // destroys the session
	t.say("  sessions created %d, destroy requests %d, alive after Close %d",
		srv.Count(authtest.RouteCreateSession), srv.Count(authtest.RouteDestroySession), srv.ActiveSessions())

	t.say("\nOAuth 2.0 bearer token")
	bearer, err := auth.NewOAuth(auth.OAuthConfig{
		BaseURL: srv.URL, ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret,
		Now: srv.Now, OnRefresh: report,
	})
	t.use(bearer, err)
	t.show("  first call fetches a token:  ")
	t.show("  second call reuses it:       ")
	srv.Advance(2*time.Hour - 3*time.Minute)
	t.say("  3 minutes before expiry, the call goes on with the current token")
	t.say("  while a new one is fetched in the background:")
	t.show("                               ")
	t.wait(proactive)       // the refresh runs on its own goroutine; it lands in milliseconds
	t.release(bearer.Close) // stops refreshing
	t.say("  token requests: %d", srv.Count(authtest.RouteToken))
	return t.err
}

// tour takes the offline steps one after another. The first failure ends
// it: every later step does nothing, and err holds the failure.
type tour struct {
	ctx     context.Context
	w       io.Writer
	baseURL string
	client  *http.Client // the client of the authenticator in use
	err     error
}

// use makes the client for a, the authenticator its constructor returned
// with err.
func (t *tour) use(a auth.Authenticator, err error) {
	if t.err != nil {
		return
	}
	if t.err = err; err == nil {
		t.client, t.err = auth.NewClient(t.baseURL, a, &http.Client{Timeout: 30 * time.Second})
	}
}

// show calls the balance endpoint and prints label and the answer.
func (t *tour) show(label string) {
	if t.err != nil {
		return
	}
	var status, balance string
	if status, balance, t.err = example.Balance(t.ctx, t.client, t.baseURL); t.err == nil {
		t.say("%s %s %s", label, status, balance)
	}
}

// say prints a line.
func (t *tour) say(format string, args ...any) {
	if t.err == nil {
		fmt.Fprintf(t.w, format+"\n", args...)
	}
}

// release calls close, the Close method of an authenticator.
func (t *tour) release(close func(context.Context) error) {
	if t.err == nil {
		t.err = close(t.ctx)
	}
}

// wait waits until done reports the background refresh.
func (t *tour) wait(done <-chan struct{}) {
	if t.err != nil {
		return
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.err = errors.New("the background refresh did not finish in 30 s")
	}
}

// lockedWriter serialises writes from the program and from refresh
// callbacks.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
