package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/internal/baseurl"
)

var fakeCmd = &command{
	name:  "fake",
	short: "Run a fake Infobip API server for tests in any language",
	usage: "ibauth fake [--addr ADDR] [--scheme SCHEME[,SCHEME...]]",
	long: `
Run the fake Infobip API server of github.com/ibkit/auth/authtest until
interrupted (Ctrl-C, SIGINT or SIGTERM; the exit status is then 0).

Before anything else it prints export lines for a POSIX shell, followed by
an empty line, the server already listening:

  export IB_BASE_URL=http://127.0.0.1:PORT
  export IB_API_KEY=…
  export IB_AUTH=app

Pasted into a shell, or read by a test in any language from the process's
output, they make 'ibauth api /account/1/balance' reach the fake. Of
Infobip's SDKs, those that read IB_BASE_URL and IB_API_KEY find it too:
infobip-api-python-sdk (Channel.from_env) and infobip-api-rust-sdk
(Configuration::from_env_api_key). Infobip's Node SDK (@infobip-api/sdk)
reads no variable: give it the base URL and credentials in code. Values are
quoted only when they need to be. IB_AUTH always names the scheme, so credentials already in the
environment for another scheme do not get in the way; IB_SESSION_TOKEN,
which wins over all of them, must not be set.

The fake serves session creation and destruction (/auth/1/session), OAuth
tokens (/auth/1/oauth2/token; IB_USERNAME and IB_PASSWORD work as client_id
and client_secret, in the body or the query string), the balance (GET
/account/1/balance), SMS (POST /sms/3/messages, and POST
/sms/2/text/advanced, where the Node SDK sends it) and API key management
(/settings/2/api-keys), with Infobip's error bodies. Its clock is set to the time it starts and stands
there: sessions and tokens do not expire while it runs, and its Date header
keeps that time (so 'ibauth doctor' reports a growing clock skew).

--scheme picks the credentials printed: app (IB_API_KEY), basic or ibsso
(IB_USERNAME, IB_PASSWORD), oauth (IB_CLIENT_ID, IB_CLIENT_SECRET), several
separated by commas, or all; IB_AUTH names the first. The fake accepts all
of them, whatever is printed.

With --addr other than the default, requests reach the fake through a relay
listening on ADDR; the fake then sees every client at the relay's address
(IBSSO sessions are bound to it, API key allowedIPs checked against it).
ibauth and github.com/ibkit/auth send credentials over plain http only to
loopback hosts.`,
	example: `
$ ibauth fake > fake.env & sleep 1; . ./fake.env; ibauth api /account/1/balance
$ ibauth fake --scheme oauth --addr 127.0.0.1:8099`,
	setup: func(f *flagSet) runFunc {
		o := fakeOptions{addr: defaultFakeAddr, scheme: "app"}
		f.stringVar(&o.addr, "", "addr", "ADDR", "Listen on ADDR, host:port (default "+defaultFakeAddr+": a free port)")
		f.stringVar(&o.scheme, "", "scheme", "SCHEME", "app, basic, ibsso, oauth, several separated by commas, or all (default app)")
		return func(ctx context.Context, a *app, args []string) error { return a.fake(ctx, o, args) }
	},
}

const defaultFakeAddr = "127.0.0.1:0"

type fakeOptions struct {
	addr, scheme string
}

var fakeSchemes = []string{"app", "basic", "ibsso", "oauth"}

func (a *app) fake(ctx context.Context, o fakeOptions, args []string) error {
	if len(args) > 0 {
		return usageError("fake takes no arguments")
	}
	schemes, err := parseSchemes(o.scheme)
	if err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(o.addr); err != nil {
		return usageError("--addr %q: give host:port, such as 127.0.0.1:8099", o.addr)
	}
	srv := authtest.NewServer()
	defer srv.Close()
	// Its Date header follows its clock: start it at this machine's time.
	srv.Advance(time.Since(srv.Now()))
	baseURL := srv.URL
	if o.addr != defaultFakeAddr {
		ln, err := net.Listen("tcp", o.addr)
		if err != nil {
			return fmt.Errorf("listen on %s: %v", o.addr, err)
		}
		relay := &http.Server{Handler: relayTo(srv.URL), ReadHeaderTimeout: 30 * time.Second,
			ErrorLog: log.New(io.Discard, "", 0)}
		go relay.Serve(ln)
		defer relay.Close()
		baseURL = "http://" + reachable(ln.Addr().(*net.TCPAddr))
	}
	if _, err := io.WriteString(a.stdout, fakeEnv(baseURL, schemes)+"\n"); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "ibauth fake: a fake Infobip API is serving at %s (credentials for %s); Ctrl-C stops it\n",
		baseURL, strings.Join(schemes, ", "))
	// The library's own check of base URLs says whether it will send
	// credentials to the fake: baseURL is well formed, so only plain http
	// to a host other than loopback fails it.
	if _, _, err := baseurl.Parse(baseURL); err != nil {
		u, _ := url.Parse(baseURL)
		fmt.Fprintf(a.stderr, "ibauth fake: note: %s is not a loopback host: ibauth and github.com/ibkit/auth refuse plain http to it\n", u.Hostname())
	}
	<-ctx.Done()
	fmt.Fprintln(a.stderr, "ibauth fake: stopped")
	return nil
}

// parseSchemes reads --scheme.
func parseSchemes(v string) ([]string, error) {
	if strings.TrimSpace(v) == "all" {
		return fakeSchemes, nil
	}
	var out []string
	for s := range strings.SplitSeq(v, ",") {
		s = strings.ToLower(strings.TrimSpace(s))
		if !slices.Contains(fakeSchemes, s) {
			return nil, usageError("--scheme %q: give app, basic, ibsso, oauth, several separated by commas, or all", v)
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// fakeEnv returns the export lines for the fake at baseURL with the
// credentials of schemes; IB_AUTH names the first.
func fakeEnv(baseURL string, schemes []string) string {
	vars := [][2]string{{"IB_BASE_URL", baseURL}}
	add := func(name, value string) {
		if !slices.Contains(vars, [2]string{name, value}) {
			vars = append(vars, [2]string{name, value})
		}
	}
	for _, s := range schemes {
		switch s {
		case "app":
			add("IB_API_KEY", authtest.APIKey)
		case "basic", "ibsso":
			add("IB_USERNAME", authtest.Username)
			add("IB_PASSWORD", authtest.Password)
		case "oauth":
			add("IB_CLIENT_ID", authtest.ClientID)
			add("IB_CLIENT_SECRET", authtest.ClientSecret)
		}
	}
	add("IB_AUTH", schemes[0])
	var b strings.Builder
	for _, v := range vars {
		fmt.Fprintf(&b, "export %s=%s\n", v[0], shellQuote(v[1]))
	}
	return b.String()
}

// relayTo forwards every request to target, the fake, unchanged.
func relayTo(target string) http.Handler {
	u, err := url.Parse(target)
	if err != nil {
		panic(err) // the fake's own URL
	}
	return &httputil.ReverseProxy{
		Rewrite:  func(r *httputil.ProxyRequest) { r.SetURL(u); r.Out.Host = r.In.Host },
		ErrorLog: log.New(io.Discard, "", 0),
	}
}

// reachable is addr as a client on this machine can dial it: an
// unspecified address (0.0.0.0, ::) becomes 127.0.0.1.
func reachable(addr *net.TCPAddr) string {
	ip := addr.IP
	if ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1) // Go listens on both stacks
	}
	return net.JoinHostPort(ip.String(), fmt.Sprint(addr.Port))
}
