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
	"os"
	"sync"
	"time"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run is the program: live when IB_BASE_URL is set, else offline.
func run(w io.Writer) error {
	if os.Getenv("IB_BASE_URL") != "" {
		return live(w)
	}
	return offline(w)
}

// live calls the real API with credentials from the environment.
func live(w io.Writer) (err error) {
	baseURL, a, err := auth.FromEnv()
	if err != nil {
		return err
	}
	if s, ok := a.(*auth.IBSSO); ok {
		defer func() { err = errors.Join(err, s.Close(context.Background())) }()
	}
	c, err := newClient(baseURL, a)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "calling %s with %T\n", baseURL, a)
	balance, err := call(c, baseURL)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "balance:", balance)
	return nil
}

// offline shows each scheme against an in-process fake Infobip server.
func offline(w io.Writer) error {
	srv := authtest.NewServer()
	defer srv.Close()
	// The background refresh reports from its own goroutine.
	w = &lockedWriter{w: w}
	fmt.Fprintln(w, "No IB_BASE_URL set: using the built-in fake Infobip server at", srv.URL)
	proactive := make(chan struct{}, 1) // the background refresh reports here
	report := func(ev auth.RefreshEvent) {
		if ev.Reason == "proactive" {
			defer func() { proactive <- struct{}{} }()
		}
		if ev.Err != nil {
			fmt.Fprintf(w, "    [%s %s fetch failed: %v]\n", ev.Scheme, ev.Reason, ev.Err)
			return
		}
		fmt.Fprintf(w, "    [%s %s fetch: new credential]\n", ev.Scheme, ev.Reason)
	}
	// show prints label and the outcome of a balance call, or fails.
	show := func(c *http.Client, label string) error {
		balance, err := call(c, srv.URL)
		if err != nil {
			return err
		}
		fmt.Fprintln(w, label, balance)
		return nil
	}

	fmt.Fprintln(w, "\nApp API key")
	key, err := auth.NewAPIKey(authtest.APIKey)
	if err != nil {
		return err
	}
	c, err := newClient(srv.URL, key)
	if err != nil {
		return err
	}
	if err := show(c, "  balance:"); err != nil {
		return err
	}
	fmt.Fprintf(w, "  the key prints as %v\n", key)

	fmt.Fprintln(w, "\nHTTP Basic")
	basic, err := auth.NewBasic(authtest.Username, authtest.Password)
	if err != nil {
		return err
	}
	if c, err = newClient(srv.URL, basic); err != nil {
		return err
	}
	if err := show(c, "  balance:"); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nIBSSO session")
	session, err := auth.NewIBSSO(auth.IBSSOConfig{
		BaseURL: srv.URL, Username: authtest.Username, Password: authtest.Password,
		Now: srv.Now, OnRefresh: report,
	})
	if err != nil {
		return err
	}
	if c, err = newClient(srv.URL, session); err != nil {
		return err
	}
	if err := show(c, "  first call creates a session:"); err != nil {
		return err
	}
	if err := show(c, "  second call reuses it:       "); err != nil {
		return err
	}
	srv.Advance(61 * time.Minute)
	fmt.Fprintln(w, "  61 idle minutes later (Infobip ends sessions after 60), a new one:")
	if err := show(c, "                               "); err != nil {
		return err
	}
	srv.ExpireAll()
	fmt.Fprintln(w, "  the server drops it; the 401 is renewed and retried:")
	if err := show(c, "                               "); err != nil {
		return err
	}
	if err := session.Close(context.Background()); err != nil {
		return err
	}
	fmt.Fprintf(w, "  sessions created %d, destroy requests %d, alive after Close %d\n",
		srv.Count(authtest.RouteCreateSession), srv.Count(authtest.RouteDestroySession), srv.ActiveSessions())

	fmt.Fprintln(w, "\nOAuth 2.0 bearer token")
	bearer, err := auth.NewOAuth(auth.OAuthConfig{
		BaseURL: srv.URL, ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret,
		Now: srv.Now, OnRefresh: report,
	})
	if err != nil {
		return err
	}
	if c, err = newClient(srv.URL, bearer); err != nil {
		return err
	}
	if err := show(c, "  first call fetches a token:  "); err != nil {
		return err
	}
	if err := show(c, "  second call reuses it:       "); err != nil {
		return err
	}
	srv.Advance(2*time.Hour - 3*time.Minute)
	fmt.Fprintln(w, "  3 minutes before expiry, the call goes on with the current token")
	fmt.Fprintln(w, "  while a new one is fetched in the background:")
	if err := show(c, "                               "); err != nil {
		return err
	}
	select { // the refresh runs on its own goroutine; it lands in milliseconds
	case <-proactive:
	case <-time.After(30 * time.Second):
		return errors.New("the background refresh did not finish in 30 s")
	}
	fmt.Fprintf(w, "  token requests: %d\n", srv.Count(authtest.RouteToken))
	return nil
}

func newClient(baseURL string, a auth.Authenticator) (*http.Client, error) {
	t, err := auth.NewTransport(baseURL, a, nil)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: t, Timeout: 30 * time.Second}, nil
}

// call fetches the account balance and returns a one-line summary. An
// answer other than 2xx is an error. baseURL is canonical (as auth.FromEnv
// returns it), so the path is appended as it is.
func call(c *http.Client, baseURL string) (string, error) {
	resp, err := c.Get(baseURL + "/account/1/balance")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("GET /account/1/balance: %w", auth.ParseError(resp))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	if err != nil {
		return "", fmt.Errorf("GET /account/1/balance: reading the answer: %w", err)
	}
	return resp.Status + " " + string(body), nil
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
