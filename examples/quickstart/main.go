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
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

func main() {
	if os.Getenv("IB_BASE_URL") != "" {
		if err := live(); err != nil {
			fmt.Fprintln(os.Stderr, "quickstart:", err)
			os.Exit(1)
		}
		return
	}
	if err := offline(); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// live calls the real API with credentials from the environment.
func live() error {
	baseURL, a, err := auth.FromEnv()
	if err != nil {
		return err
	}
	if s, ok := a.(*auth.IBSSO); ok {
		defer s.Close(context.Background())
	}
	c, err := newClient(baseURL, a)
	if err != nil {
		return err
	}
	fmt.Printf("calling %s with %T\n", baseURL, a)
	fmt.Println("balance:", call(c, baseURL))
	return nil
}

// offline shows each scheme against an in-process fake Infobip server.
func offline() error {
	srv := authtest.NewServer()
	defer srv.Close()
	fmt.Println("No IB_BASE_URL set: using the built-in fake Infobip server at", srv.URL)
	proactive := make(chan struct{}, 1) // the background refresh reports here
	report := func(ev auth.RefreshEvent) {
		if ev.Reason == "proactive" {
			defer func() { proactive <- struct{}{} }()
		}
		if ev.Err != nil {
			fmt.Printf("    [%s %s fetch failed: %v]\n", ev.Scheme, ev.Reason, ev.Err)
			return
		}
		fmt.Printf("    [%s %s fetch: new credential]\n", ev.Scheme, ev.Reason)
	}

	fmt.Println("\nApp API key")
	key, err := auth.NewAPIKey(authtest.APIKey)
	if err != nil {
		return err
	}
	if err := show(srv, key, "  balance:"); err != nil {
		return err
	}
	fmt.Printf("  the key prints as %v\n", key)

	fmt.Println("\nHTTP Basic")
	basic, err := auth.NewBasic(authtest.Username, authtest.Password)
	if err != nil {
		return err
	}
	if err := show(srv, basic, "  balance:"); err != nil {
		return err
	}

	fmt.Println("\nIBSSO session")
	session, err := auth.NewIBSSO(auth.IBSSOConfig{
		BaseURL: srv.URL, Username: authtest.Username, Password: authtest.Password,
		Now: srv.Now, OnRefresh: report,
	})
	if err != nil {
		return err
	}
	c, err := newClient(srv.URL, session)
	if err != nil {
		return err
	}
	fmt.Println("  first call creates a session:", call(c, srv.URL))
	fmt.Println("  second call reuses it:       ", call(c, srv.URL))
	srv.Advance(61 * time.Minute)
	fmt.Println("  61 idle minutes later (Infobip ends sessions after 60), a new one:")
	fmt.Println("                               ", call(c, srv.URL))
	srv.ExpireAll()
	fmt.Println("  the server drops it; the 401 is renewed and retried:")
	fmt.Println("                               ", call(c, srv.URL))
	if err := session.Close(context.Background()); err != nil {
		return err
	}
	fmt.Printf("  sessions created %d, destroy requests %d, alive after Close %d\n",
		srv.Count(authtest.RouteCreateSession), srv.Count(authtest.RouteDestroySession), srv.ActiveSessions())

	fmt.Println("\nOAuth 2.0 bearer token")
	bearer, err := auth.NewOAuth(auth.OAuthConfig{
		BaseURL: srv.URL, ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret,
		Now: srv.Now, OnRefresh: report,
	})
	if err != nil {
		return err
	}
	c, err = newClient(srv.URL, bearer)
	if err != nil {
		return err
	}
	fmt.Println("  first call fetches a token:  ", call(c, srv.URL))
	fmt.Println("  second call reuses it:       ", call(c, srv.URL))
	srv.Advance(2*time.Hour - 3*time.Minute)
	fmt.Println("  3 minutes before expiry, the call goes on with the current token")
	fmt.Println("  while a new one is fetched in the background:")
	fmt.Println("                               ", call(c, srv.URL))
	select { // the refresh runs on its own goroutine; it lands in milliseconds
	case <-proactive:
	case <-time.After(30 * time.Second):
		return errors.New("the background refresh did not finish in 30 s")
	}
	fmt.Printf("  token requests: %d\n", srv.Count(authtest.RouteToken))
	return nil
}

func newClient(baseURL string, a auth.Authenticator) (*http.Client, error) {
	t, err := auth.NewTransport(baseURL, a, nil)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: t, Timeout: 30 * time.Second}, nil
}

func show(srv *authtest.Server, a auth.Authenticator, label string) error {
	c, err := newClient(srv.URL, a)
	if err != nil {
		return err
	}
	fmt.Println(label, call(c, srv.URL))
	return nil
}

// call fetches the account balance and returns a one-line summary.
func call(c *http.Client, baseURL string) string {
	resp, err := c.Get(strings.TrimSuffix(baseURL, "/") + "/account/1/balance")
	if err != nil {
		return "error: " + err.Error()
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "error: " + auth.ParseError(resp).Error()
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	return resp.Status + " " + string(body)
}
