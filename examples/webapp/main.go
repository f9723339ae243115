// Webapp is a small multi-user web application whose end users sign in with
// their own Infobip account. It uses net/http and html/template only: a
// sign-in form, a page that calls Infobip on the signed-in user's behalf
// (their account balance, GET /account/1/balance), and sign-out.
//
//	go run ./examples/webapp                 # self-check, offline, then exits
//	go run ./examples/webapp -serve          # serves http://127.0.0.1:8080, offline
//	go run ./examples/webapp -addr :8443     # serves on another address (implies -serve)
//	IB_BASE_URL=https://xxxxx.api.infobip.com go run ./examples/webapp -serve
//
// Without -serve or -addr it runs a self-check and exits (status 0 when
// everything worked, 1 with the error on stderr otherwise), which is how
// CI runs every example: it starts the app on a free loopback port, then,
// for each demo user, does what a browser would with an HTTP client and a
// cookie jar (sign in, read the balance page, sign out) and prints what
// happened. With -serve it serves until interrupted, then logs out the
// sessions still open.
//
// Offline (IB_BASE_URL unset) the app talks to authtest, the fake Infobip
// server built into this module, and prints the two demo accounts to sign
// in with, each with a balance of its own. With IB_BASE_URL it talks to
// that account's API: sign in with an Infobip username and password. The
// self-check then signs in as IB_USERNAME with IB_PASSWORD.
//
// What it shows:
//
//   - Sign-in calls auth.Login once with what the user typed. The app
//     keeps the user's *auth.Session, which holds the IBSSO token and
//     nothing of the password, in a server-side store keyed by a random
//     session id. The browser gets only that id, in a cookie: HttpOnly,
//     SameSite=Lax, and Secure with the __Host- prefix unless the app
//     listens on a loopback address (a browser on the same machine, over
//     plain HTTP). Behind a TLS-terminating proxy on the same host, pass
//     -secure.
//   - One http.Client serves every user: auth.NewClient without an
//     authenticator of its own, and each request to Infobip carries its
//     user's Session on its context (auth.WithAuthenticator).
//   - A session that has expired, idle for an hour or rejected by Infobip
//     (errors.Is(err, auth.ErrSessionExpired)), sends the user back to the
//     sign-in page with a message. The app never signs anyone in by itself.
//   - Sign-out destroys the session at Infobip (Session.Logout) and in the
//     store.
//   - Every POST form carries a CSRF token, compared in constant time: a
//     random token per session for sign-out, and for the sign-in form an
//     HMAC of a nonce kept in a pre-session cookie.
//
// Structure: main.go (flags, environment, start and self-check), app.go
// (the handlers), store.go (the sessions), templates/ (embedded pages).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/ibkit/auth/authtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "webapp:", err)
		os.Exit(1)
	}
}

// account is a username and password to sign in with.
type account struct {
	username, password string
	balance            float64 // offline: what the fake server answers for them
}

// demoAccounts are the offline accounts: authtest's own user and a second
// one, so that two people can try the app at once.
var demoAccounts = []account{
	{authtest.Username, authtest.Password, 1234.50},
	{"jasmine", "magic-carpet-4", 87.25},
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("webapp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	serveFlag := fs.Bool("serve", false, "serve until interrupted (default: run the self-check and exit)")
	addr := fs.String("addr", "127.0.0.1:8080", "address to serve on; implies -serve")
	secure := fs.Bool("secure", false, "mark cookies Secure (with the __Host- prefix) even on a loopback address: for the app behind a TLS-terminating proxy on the same host")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "addr" {
			*serveFlag = true
		}
	})

	cfg := config{BaseURL: getenv("IB_BASE_URL")}
	var accounts []account
	var srv *authtest.Server
	if cfg.BaseURL == "" {
		srv = authtest.NewServer()
		defer srv.Close()
		for _, u := range demoAccounts {
			srv.AddUser(u.username, u.password)
			srv.SetBalance(u.username, u.balance)
		}
		cfg.BaseURL = srv.URL
		cfg.Now = srv.Now // one clock for the app and the fake server
		accounts = demoAccounts
	} else if !*serveFlag {
		u, p := getenv("IB_USERNAME"), getenv("IB_PASSWORD")
		if u == "" || p == "" {
			return errors.New("the self-check against IB_BASE_URL signs in as IB_USERNAME with IB_PASSWORD: set both, or pass -serve")
		}
		accounts = []account{{username: u, password: p}}
	}

	level := slog.LevelWarn // the self-check reports on stdout; stderr only for trouble
	if *serveFlag {
		level = slog.LevelInfo
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	listenOn := "127.0.0.1:0"
	if *serveFlag {
		listenOn = *addr
	}
	cfg.Secure = *secure || !isLoopback(listenOn)
	a, err := newApp(cfg)
	if err != nil {
		return err
	}
	defer a.close()
	ln, err := net.Listen("tcp", listenOn)
	if err != nil {
		return err
	}
	appURL := "http://" + ln.Addr().String()
	stopServer := start(a, ln)

	if !*serveFlag {
		err := selfCheck(ctx, appURL, accounts, stdout)
		if srv != nil && err == nil {
			if n := srv.ActiveSessions(); n != 0 {
				err = fmt.Errorf("%d sessions still open on the fake server after sign-out", n)
			}
		}
		return errors.Join(err, stopServer(ctx))
	}

	if srv != nil {
		fmt.Fprintln(stdout, "No IB_BASE_URL set: the app talks to the built-in fake Infobip server at", srv.URL)
	} else {
		fmt.Fprintln(stdout, "Infobip API:", cfg.BaseURL)
	}
	fmt.Fprintf(stdout, "Open %s/ in a browser.\n", appURL)
	for _, u := range accounts {
		fmt.Fprintf(stdout, "  sign in as %s with password %s (balance %.2f EUR)\n", u.username, u.password, u.balance)
	}
	if cfg.Secure {
		fmt.Fprintln(stdout, "Cookies are Secure: put the app behind HTTPS (a TLS-terminating proxy); browsers will not send them over plain HTTP.")
	}
	fmt.Fprintln(stdout, "Press Ctrl-C to stop.")
	<-ctx.Done()
	return stopServer(ctx)
}

// isLoopback reports whether addr (host:port) listens on a loopback
// address only: the one case where browsers talk to the app without TLS,
// so cookies cannot be Secure.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// start serves a on ln and returns the function that stops it: it waits
// for requests in flight, then logs out every session still in the store,
// since they would otherwise live on at Infobip until they idle out.
func start(a *app, ln net.Listener) (stop func(context.Context) error) {
	hs := &http.Server{
		Handler:           a,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		err := hs.Shutdown(ctx)
		if serr := <-done; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		if n := a.store.logoutAll(ctx); n > 0 {
			err = errors.Join(err, fmt.Errorf("%d sessions could not be logged out at Infobip", n))
		}
		return err
	}
}

// selfCheck does, for each account, what a user does in a browser: sign
// in, look at the balance, sign out.
func selfCheck(ctx context.Context, appURL string, accounts []account, out io.Writer) error {
	fmt.Fprintln(out, "webapp self-check (pass -serve to try it in a browser); app at", appURL)
	for _, u := range accounts {
		b := newBrowser(nil)
		balance, err := b.signInAndOut(ctx, appURL, u)
		b.close()
		if err != nil {
			return fmt.Errorf("%s: %w", u.username, err)
		}
		fmt.Fprintf(out, "%s: signed in, saw balance %s, signed out\n", u.username, balance)
	}
	fmt.Fprintln(out, "self-check passed")
	return nil
}

// browser is an HTTP client that keeps cookies, as a browser does.
type browser struct {
	c *http.Client
}

// newBrowser returns a browser that sends its requests with rt, or with a
// transport of its own when rt is nil.
func newBrowser(rt http.RoundTripper) *browser {
	if rt == nil {
		rt = &http.Transport{}
	}
	jar, _ := cookiejar.New(nil) // never fails without options
	return &browser{c: &http.Client{Transport: rt, Jar: jar, Timeout: 30 * time.Second}}
}

// close closes the browser's idle connections.
func (b *browser) close() { b.c.CloseIdleConnections() }

// page is what the browser ends up showing after redirects.
type page struct {
	status int
	path   string // the final URL's path, with the query if any
	body   string
}

func (b *browser) get(ctx context.Context, u string) (page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return page{}, err
	}
	return b.do(req)
}

func (b *browser) post(ctx context.Context, u string, form url.Values) (page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return page{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) do(req *http.Request) (page, error) {
	resp, err := b.c.Do(req)
	if err != nil {
		return page{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return page{}, err
	}
	return page{status: resp.StatusCode, path: resp.Request.URL.RequestURI(), body: string(body)}, nil
}

var (
	csrfField  = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	balanceOut = regexp.MustCompile(`id="balance">([^<]*)<`)
)

// find returns the first group of re in body, or "".
func find(re *regexp.Regexp, body string) string {
	if m := re.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

// signIn fills in and sends the sign-in form.
func (b *browser) signIn(ctx context.Context, appURL, username, password string) (page, error) {
	p, err := b.get(ctx, appURL+"/login")
	if err != nil {
		return p, err
	}
	token := find(csrfField, p.body)
	if p.status != http.StatusOK || token == "" {
		return p, fmt.Errorf("GET /login: %d without a sign-in form", p.status)
	}
	return b.post(ctx, appURL+"/login", url.Values{"csrf": {token}, "username": {username}, "password": {password}})
}

// signOut presses the sign-out button of the balance page p.
func (b *browser) signOut(ctx context.Context, appURL string, p page) (page, error) {
	return b.post(ctx, appURL+"/logout", url.Values{"csrf": {find(csrfField, p.body)}})
}

func (b *browser) signInAndOut(ctx context.Context, appURL string, u account) (balance string, err error) {
	p, err := b.signIn(ctx, appURL, u.username, u.password)
	if err != nil {
		return "", err
	}
	balance = find(balanceOut, p.body)
	if p.status != http.StatusOK || p.path != "/balance" || balance == "" {
		return "", fmt.Errorf("sign-in: ended on %s with status %d, not on the balance page", p.path, p.status)
	}
	p, err = b.signOut(ctx, appURL, p)
	if err != nil {
		return "", err
	}
	if p.status != http.StatusOK || p.path != "/login?m=signedout" {
		return "", fmt.Errorf("sign-out: ended on %s with status %d, not on the sign-in page", p.path, p.status)
	}
	return balance, nil
}
