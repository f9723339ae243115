package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/internal/newkey"
)

var doctorCmd = &command{
	name:  "doctor",
	short: "Check the configuration, the connection and the credentials",
	usage: "ibauth doctor",
	long: `
Check the set-up step by step, and give advice for each problem found:

  configuration  which IB_* variables are set, and the scheme they select
  network        the base URL's host: DNS, TCP connection, TLS certificate
  call           one authenticated call, GET /account/1/balance
  lifetime       how long the credential lasts: an OAuth token's expires_in,
                 an IBSSO session's idle limit
  cache          where ibauth keeps the token or session between calls, and
                 whether this one came from there
  clock          the skew between this machine's clock and Infobip's Date
                 header

An IBSSO session created for the check stays in ibauth's cache for later
calls, or is destroyed at the end with --no-cache; a session in
IB_SESSION_TOKEN is left alone.

The exit status is 0 when no check failed (warnings allowed), 1 when one did,
and 3 when the configuration is unusable.`,
	example: `
$ ibauth doctor
$ IB_AUTH=oauth ibauth doctor`,
	setup: func(*flagSet) runFunc {
		return func(ctx context.Context, a *app, args []string) error { return a.doctor(ctx, args) }
	},
}

// checkTimeout bounds each network step of doctor.
const checkTimeout = 15 * time.Second

// report prints doctor's findings as aligned lines, advice below, with
// every secret of the run redacted: a finding can quote a server that
// echoed one its request did not carry, such as the password behind an
// IBSSO session.
type report struct {
	w        io.Writer
	secrets  *secrets
	failures int
	warnings int
}

func (r *report) ok(topic, format string, args ...any) {
	r.line("ok", topic, fmt.Sprintf(format, args...))
}

func (r *report) warn(topic, msg string, advice ...string) {
	r.warnings++
	r.line("warn", topic, msg, advice...)
}

func (r *report) fail(topic, msg string, advice ...string) {
	r.failures++
	r.line("FAIL", topic, msg, advice...)
}

func (r *report) skip(topic, msg string) { r.line("skip", topic, msg) }

func (r *report) line(status, topic, msg string, advice ...string) {
	fmt.Fprintf(r.w, "%-5s %-14s %s\n", status, topic, r.secrets.inWords().Text(msg))
	for _, a := range advice {
		fmt.Fprintf(r.w, "%-20s-> %s\n", "", a)
	}
}

func (a *app) doctor(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return usageError("doctor takes no arguments")
	}
	r := &report{w: a.stdout, secrets: &a.secrets}
	a.reportsCache = true
	defer func() {
		switch {
		case r.failures > 0:
			fmt.Fprintf(r.w, "\n%s found.\n", plural(r.failures, "problem"))
		case r.warnings > 0:
			fmt.Fprintf(r.w, "\nNo problems found; %s.\n", plural(r.warnings, "warning"))
		default:
			fmt.Fprintln(r.w, "\nNo problems found.")
		}
	}()

	var set []string
	for _, v := range ibVars {
		if os.Getenv(v) != "" {
			set = append(set, v)
		}
	}
	acc, err := a.openAccount()
	if err != nil {
		vars := "no IB_* variable is set"
		if len(set) > 0 {
			vars = strings.Join(set, ", ") + " set"
		}
		r.fail("configuration", vars+": "+err.Error(), configAdvice(set))
		return &exitError{code: exitConfig}
	}
	defer acc.close(a)
	msg := fmt.Sprintf("%s set: %s from %s, base URL %s", strings.Join(set, ", "), acc.scheme(), acc.source, acc.baseURL)
	if others := credentialVars(set); acc.source == "IB_SESSION_TOKEN" && len(others) > 0 {
		msg += " (IB_SESSION_TOKEN wins over " + strings.Join(others, ", ") + ")"
	}
	r.ok("configuration", "%s", msg)

	if !a.checkNetwork(ctx, r, acc.baseURL) {
		r.skip("call", "the base URL is not reachable")
		return reported
	}
	resp, rtt, ok := a.checkCall(ctx, r, acc)
	if !ok {
		return reported
	}
	checkLifetime(r, acc)
	checkCache(r, acc)
	checkClock(r, resp, rtt)
	if r.failures > 0 {
		return reported
	}
	return nil
}

// configAdvice says how to fix the configuration that openAccount
// refused, judged from the variables themselves (set are those set), not
// from the error's text.
func configAdvice(set []string) string {
	if os.Getenv("IB_BASE_URL") == "" {
		return "Set IB_BASE_URL to your account's base URL, such as https://xxxxx.api.infobip.com (shown in the Infobip web interface); https://api.infobip.com works too."
	}
	if _, err := envBaseURL(); err != nil {
		return "Give IB_BASE_URL as https://host, without a path; http:// is accepted only for loopback test servers such as 'ibauth fake'."
	}
	if os.Getenv("IB_SESSION_TOKEN") != "" {
		// With a session, nothing else was read.
		return "IB_SESSION_TOKEN holds a session from 'ibauth login': run it again, or unset IB_SESSION_TOKEN."
	}
	schemes := 0
	for _, vars := range [][]string{{"IB_API_KEY"}, {"IB_USERNAME", "IB_PASSWORD"}, {"IB_CLIENT_ID", "IB_CLIENT_SECRET"}} {
		if slices.ContainsFunc(vars, func(v string) bool { return os.Getenv(v) != "" }) {
			schemes++
		}
	}
	switch {
	case schemes > 1 && os.Getenv("IB_AUTH") == "":
		return "Set IB_AUTH to app, basic, ibsso or oauth to pick one."
	case len(credentialVars(set)) == 0:
		return "Set IB_API_KEY; or IB_USERNAME and IB_PASSWORD; or IB_CLIENT_ID and IB_CLIENT_SECRET; or run 'ibauth login'."
	}
	return "Fix the variable the message names; 'ibauth --help' lists them all."
}

// credentialVars are the credential variables among set, other than
// IB_SESSION_TOKEN.
func credentialVars(set []string) []string {
	var out []string
	for _, v := range set {
		if v != "IB_BASE_URL" && v != "IB_AUTH" && v != "IB_SESSION_TOKEN" {
			out = append(out, v)
		}
	}
	return out
}

// checkNetwork resolves, dials and (for https) shakes hands with the base
// URL's host, and reports whether it is reachable.
func (a *app) checkNetwork(ctx context.Context, r *report, baseURL string) bool {
	u, err := url.Parse(baseURL)
	if err != nil {
		r.fail("network", err.Error())
		return false
	}
	if proxy, err := http.ProxyFromEnvironment(&http.Request{URL: u}); err == nil && proxy != nil {
		r.ok("network", "through the proxy %s (HTTPS_PROXY or HTTP_PROXY): direct DNS, TCP and TLS checks skipped", proxy.Redacted())
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
	}
	var found string
	if net.ParseIP(host) == nil {
		addrs, err := net.DefaultResolver.LookupHost(ctx, host)
		if err != nil {
			r.fail("network", "DNS: "+err.Error(),
				"Check the host in IB_BASE_URL: each account has its own base URL (xxxxx.api.infobip.com, shown in the Infobip web interface); api.infobip.com works too. Behind a proxy, set HTTPS_PROXY.")
			return false
		}
		found = host + " resolves to " + strings.Join(addrs, ", ") + "; "
	}
	start := time.Now()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		advice := "A firewall or a missing proxy? Set HTTPS_PROXY if this network needs one."
		if errors.Is(err, syscall.ECONNREFUSED) {
			advice = "Nothing listens there: check the port in IB_BASE_URL (is 'ibauth fake' still running?)."
		}
		r.fail("network", "connect: "+err.Error(), advice)
		return false
	}
	defer conn.Close()
	found += fmt.Sprintf("connected to %s in %s", conn.RemoteAddr(), ms(time.Since(start)))
	if u.Scheme != "https" {
		r.ok("network", "%s; plain http, accepted for a loopback host only", found)
		return true
	}
	tc := tls.Client(conn, &tls.Config{ServerName: host})
	if err := tc.HandshakeContext(ctx); err != nil {
		r.fail("network", "TLS: "+err.Error(), tlsAdvice(err))
		return false
	}
	st := tc.ConnectionState()
	cert := st.PeerCertificates[0]
	found += fmt.Sprintf("; %s, certificate valid until %s", tls.VersionName(st.Version), cert.NotAfter.UTC().Format("2006-01-02"))
	if left := time.Until(cert.NotAfter); left < 14*24*time.Hour {
		r.warn("network", found, fmt.Sprintf("The server's certificate expires in %s: if it is not renewed, calls will fail.", left.Round(time.Hour)))
		return true
	}
	r.ok("network", "%s", found)
	return true
}

func tlsAdvice(err error) string {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknown):
		return "The certificate is not trusted here: a TLS-inspecting proxy? Add its CA certificate with SSL_CERT_FILE or to the system's store."
	case errors.As(err, &host):
		return "The certificate is for another host: check IB_BASE_URL."
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "The certificate is expired, or this machine's clock is wrong: check the date."
	}
	return "Is IB_BASE_URL's port one that speaks HTTPS? A proxy in the way?"
}

// checkPath is the endpoint doctor calls with the credentials, the one
// 'ibauth keys rotate' checks a new key on.
const checkPath = newkey.CheckPath

// checkCall makes the authenticated call and reports it. It returns the
// response (body closed) and when the request was sent and answered.
func (a *app) checkCall(ctx context.Context, r *report, acc *account) (*http.Response, [2]time.Time, bool) {
	ctx, cancel := context.WithTimeout(ctx, 2*checkTimeout)
	defer cancel()
	op := "GET " + checkPath
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, acc.baseURL+checkPath, nil)
	if err != nil {
		r.fail("call", err.Error())
		return nil, [2]time.Time{}, false
	}
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := acc.client.Do(req)
	rtt := [2]time.Time{start, time.Now()}
	if err != nil {
		r.fail("call", describeError(op, err).Error(), callAdvice(acc, err, 0))
		return nil, rtt, false
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	took := ms(rtt[1].Sub(rtt[0]))
	switch s := resp.StatusCode; {
	case s < 300:
		var bal struct {
			Balance  *float64 `json:"balance"`
			Currency string   `json:"currency"`
		}
		msg := fmt.Sprintf("%s: %s in %s", op, resp.Status, took)
		if json.Unmarshal(body, &bal) == nil && bal.Balance != nil {
			msg += fmt.Sprintf(", balance %g %s", *bal.Balance, printable(bal.Currency))
		}
		r.ok("call", "%s", msg)
		return resp, rtt, true
	case s == http.StatusForbidden:
		r.warn("call", fmt.Sprintf("%s: %s in %s: the credentials work, but may not read the balance", op, resp.Status, took),
			"The key's API scopes or the user's roles exclude this endpoint; others may work.")
		return resp, rtt, true
	case s == http.StatusTooManyRequests:
		r.warn("call", fmt.Sprintf("%s: %s: rate-limited", op, resp.Status), "Infobip limits requests per second: try again in a moment.")
		return resp, rtt, true
	}
	resp.Body = io.NopCloser(strings.NewReader(string(body))) // the response itself: ParseError scrubs what it carried
	e := auth.ParseError(resp)
	e.Op = op
	r.fail("call", e.Error(), callAdvice(acc, e, resp.StatusCode))
	return nil, rtt, false
}

// callAdvice says what to do about a failed call: err from the client, or
// status from the API.
func callAdvice(acc *account, err error, status int) string {
	if errors.Is(err, auth.ErrSessionExpired) {
		return "The session in IB_SESSION_TOKEN has ended: run 'ibauth login' again, or unset IB_SESSION_TOKEN."
	}
	if ae, ok := errors.AsType[*auth.Error](err); ok && status == 0 {
		// A session or token request was refused.
		status = ae.StatusCode
		if status == http.StatusUnauthorized || status == http.StatusBadRequest || status == http.StatusForbidden {
			if _, ok := acc.auth.(*auth.Bearer); ok {
				return "Infobip refused the OAuth client credentials: check " + acc.source + "."
			}
			return "Infobip refused the login: check IB_USERNAME and IB_PASSWORD; the account may be locked after failed attempts."
		}
	}
	switch {
	case status == http.StatusUnauthorized:
		switch acc.auth.(type) {
		case *auth.APIKey:
			return "IB_API_KEY is wrong, revoked, outside its validity, or not allowed from this IP address; 'ibauth keys list' (with Basic or OAuth credentials) shows its state."
		case *auth.Basic:
			return "IB_USERNAME or IB_PASSWORD is wrong, or the account is locked."
		case *auth.Session:
			return "The session in IB_SESSION_TOKEN was refused: it ended, or is bound to another IP address. Run 'ibauth login' again."
		}
		return "The credential was refused even after renewal: check " + acc.source + " and the account's access."
	case status >= 500:
		return "Infobip answered with a server error: try again later."
	case status != 0:
		return "Unexpected answer: run with --debug to see the exchange."
	}
	if _, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return tlsAdvice(err)
	}
	return "The connection failed during the call: run with --debug to see the exchange."
}

// checkLifetime reports how long the credential lasts.
func checkLifetime(r *report, acc *account) {
	var last auth.RefreshEvent
	for _, e := range acc.refreshes() {
		if e.Err == nil {
			last = e
		}
	}
	switch acc.auth.(type) {
	case *auth.APIKey:
		r.ok("lifetime", "an API key does not expire by itself: it works until revoked or past its validTo")
	case *auth.Basic:
		r.ok("lifetime", "Basic sends the username and password with every request: nothing to renew")
	case *auth.Bearer:
		if last.Expiry.IsZero() {
			r.warn("lifetime", "no OAuth token fetch was seen: lifetime unknown")
			return
		}
		r.ok("lifetime", "OAuth token valid for %s (expires_in; fetched in %s); the library refreshes it before it expires",
			last.Expiry.Sub(last.Start.Add(last.Duration)).Round(time.Second), ms(last.Duration))
	case *auth.IBSSO:
		switch {
		case acc.cache == nil || acc.cache.store == nil:
			r.ok("lifetime", "IBSSO session created in %s; Infobip ends it after 60 minutes without use, and the library replaces it before; this check's session is destroyed on exit",
				ms(last.Duration))
		case last.Start.IsZero():
			r.ok("lifetime", "IBSSO session from ibauth's cache; Infobip ends it after 60 minutes without use, and ibauth replaces it before; 'ibauth logout' ends it now")
		default:
			r.ok("lifetime", "IBSSO session created in %s; it stays in ibauth's cache for later calls until unused for 60 minutes, or 'ibauth logout'",
				ms(last.Duration))
		}
	case *auth.Session:
		r.ok("lifetime", "the session in IB_SESSION_TOKEN ends after 60 minutes without use, or with 'ibauth logout'")
	}
}

// checkCache reports where the cache is and what the call took from it.
func checkCache(r *report, acc *account) {
	status, msg, advice := cacheReport(acc)
	if status == "warn" {
		r.warn("cache", msg, advice...)
		return
	}
	r.ok("cache", "%s", msg)
}

// checkClock compares this machine's clock with the Date header of resp,
// sent between rtt[0] and rtt[1].
func checkClock(r *report, resp *http.Response, rtt [2]time.Time) {
	date, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		r.warn("clock", "the answer has no valid Date header: skew not measured")
		return
	}
	// Date has a resolution of one second: Infobip's clock read somewhere
	// in [date, date+1s) while the request was in flight.
	mid := rtt[0].Add(rtt[1].Sub(rtt[0]) / 2)
	skew := mid.Sub(date.Add(500 * time.Millisecond))
	margin := 500*time.Millisecond + rtt[1].Sub(rtt[0])/2
	abs := skew.Abs()
	if abs <= margin {
		r.ok("clock", "this machine's clock agrees with Infobip's Date header (within ±%s)", margin.Round(time.Millisecond))
		return
	}
	dir := "ahead of"
	if skew < 0 {
		dir = "behind"
	}
	msg := fmt.Sprintf("this machine's clock is %s %s Infobip's Date header (±%s)", abs.Round(100*time.Millisecond), dir, margin.Round(time.Millisecond))
	if abs < 30*time.Second {
		r.ok("clock", "%s", msg)
		return
	}
	r.warn("clock", msg, "Synchronise the clock (NTP; on Linux 'timedatectl set-ntp true'): TLS certificate checks and the validity times you give API keys use it. Token lifetimes do not: they count from expires_in.")
}

// ms formats a short duration for people.
func ms(d time.Duration) string {
	if d < time.Millisecond {
		return "<1ms"
	}
	return d.Round(time.Millisecond).String()
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
