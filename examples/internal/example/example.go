// Package example holds what the example programs under examples/ share,
// so that each of them shows its own scheme and nothing else: the choice
// between a live account and an offline fake server, the balance call they
// all make, and the exit handling of main.
//
// It is internal: users copy an example, not this package. What it does is
// short enough to inline in a copy.
package example

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

// Main runs an example program: run writes to standard output, and an
// error it returns is printed on standard error after the program's name,
// with exit status 1.
func Main(name string, run func(w io.Writer) error) {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// Live reports whether the examples call a real account: IB_BASE_URL is
// set. Only the mode is read here; the base URL itself is the canonical
// one auth.FromEnv returns.
func Live() bool { return os.Getenv("IB_BASE_URL") != "" }

// StartFake starts an in-process fake Infobip server and says so on w.
// The caller closes it.
func StartFake(w io.Writer) *authtest.Server {
	srv := authtest.NewServer()
	fmt.Fprintln(w, "No IB_BASE_URL set: using the built-in fake Infobip server at", srv.URL)
	return srv
}

// Account is where an example sends its calls.
type Account struct {
	// BaseURL is canonical, scheme://host[:port] without a trailing
	// slash, so paths are appended as they are.
	BaseURL string
	// Fake is the fake Infobip server offline, nil when [Live].
	Fake *authtest.Server
}

// Close stops the fake server, if any. Close the authenticator first: an
// IBSSO session is destroyed on the server.
func (acct *Account) Close() {
	if acct.Fake != nil {
		acct.Fake.Close()
	}
}

// Setup prepares an example that shows the scheme of A. When [Live], the
// base URL and the authenticator come from auth.FromEnv(opts...), and
// credentials for another scheme are refused with an error that names
// needs, the variables the example wants. Otherwise Setup starts a fake
// server with [StartFake] and makes the authenticator with offline.
func Setup[A auth.Authenticator](w io.Writer, needs string, offline func(fake *authtest.Server) (A, error), opts ...auth.EnvOption) (*Account, A, error) {
	var none A
	if !Live() {
		srv := StartFake(w)
		a, err := offline(srv)
		if err != nil {
			srv.Close()
			return nil, none, err
		}
		return &Account{BaseURL: srv.URL, Fake: srv}, a, nil
	}
	baseURL, a, err := auth.FromEnv(opts...) // names a bad variable, never its value
	if err != nil {
		return nil, none, err
	}
	picked, ok := a.(A)
	if !ok {
		if c, ok := a.(interface{ Close(context.Context) error }); ok {
			c.Close(context.Background()) // nothing was fetched: nothing to report
		}
		return nil, none, fmt.Errorf("the environment selects %T credentials; this example needs %s", a, needs)
	}
	return &Account{BaseURL: baseURL}, picked, nil
}

// BalancePath is the endpoint every example calls. Any scheme may read
// the account balance.
const BalancePath = "/account/1/balance"

// Balance gets the account balance at baseURL with c and returns the
// answer's status and body. An answer other than 2xx is an error that
// wraps the *auth.Error that auth.ParseError makes of it, so that
// errors.As finds Infobip's code and description.
func Balance(ctx context.Context, c *http.Client, baseURL string) (status, body string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+BalancePath, nil)
	if err != nil {
		return "", "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return "", "", fmt.Errorf("GET %s: %w", BalancePath, auth.ParseError(resp))
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", "", fmt.Errorf("GET %s: reading the answer: %w", BalancePath, err)
	}
	return resp.Status, string(b), nil
}
