package auth

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/ibkit/auth/internal/baseurl"
	"github.com/ibkit/auth/internal/tokencache"
)

// SchemeIBSSO is the [RefreshEvent.Scheme] of the session fetches of an
// [IBSSO].
const SchemeIBSSO = "IBSSO"

const (
	sessionPath = "/auth/1/session"
	// defaultIdleTimeout is how long Infobip keeps an unused session.
	defaultIdleTimeout = 60 * time.Minute
)

// IBSSOConfig configures [NewIBSSO]. Zero values mean the defaults given.
type IBSSOConfig struct {
	// BaseURL is the account's API base URL, e.g.
	// https://xxxxx.api.infobip.com: session requests go to BaseURL + /auth/1/session, and a
	// [Transport] or [NewClient] given this authenticator must use the same
	// origin (the session or token belongs to that account).
	BaseURL string
	// Username and Password are the Infobip login the session is created for.
	Username, Password string
	// Unsafe asks Infobip for a session not bound to the client's IP address.
	Unsafe bool

	// HTTPClient sends the session requests (create and destroy): give the
	// client whose TLS roots, proxy or certificates reach Infobip. It is
	// copied at construction, and redirects are never followed, so the
	// password cannot travel to another host. Default: http.DefaultClient.
	HTTPClient *http.Client
	// IdleTimeout is how long Infobip keeps an unused session. Default 60
	// minutes. A session unused for IdleTimeout minus a margin (2 minutes, or
	// a tenth of IdleTimeout if smaller) is replaced before the next request.
	IdleTimeout time.Duration
	// FetchTimeout bounds one session request. Default 30 seconds.
	FetchTimeout time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// OnRefresh, if set, is called after each attempt to create a session.
	// With a Store, sessions taken from the store are not reported.
	OnRefresh func(RefreshEvent)
	// Logger, if set, records each attempt to create a session (info;
	// warn when it failed) and, through a Transport made over this IBSSO,
	// each request sent without credentials (debug). Records never hold a
	// secret.
	Logger *slog.Logger
	// Store, if set, shares the session with the other replicas of a fleet
	// that use the same username, base URL and Unsafe setting: one session
	// for the fleet. Sessions are bound to the creating replica's IP
	// address unless Unsafe is set, so share one only between replicas
	// behind one egress address, or set Unsafe. Nil: the session is this
	// process's own. See [Store].
	Store Store
}

// Format prints "auth.IBSSOConfig{[redacted]}" for every verb, %#v and %+v
// included, so that printing the config never shows a secret.
func (IBSSOConfig) Format(f fmt.State, verb rune) {
	formatAs(f, verb, "auth.IBSSOConfig{"+redacted+"}")
}

// MarshalJSON encodes the string "auth.IBSSOConfig{[redacted]}", so that
// encoding/json, and slog's JSON handler, never show the password.
func (IBSSOConfig) MarshalJSON() ([]byte, error) {
	return redactedJSON("auth.IBSSOConfig{" + redacted + "}")
}

// IBSSO authenticates with Infobip session tokens: "Authorization: IBSSO
// <token>". It creates a session on first use, reuses it, replaces it when
// it has been idle too long or the API rejects it, and destroys it on
// [IBSSO.Close]. It is a [Renewer] and safe for concurrent use.
type IBSSO struct {
	base     string // canonical base URL
	sessions sessionEndpoint
	body     []byte // the JSON create request, built once
	password string // only to scrub it from echoed error pages
	log      *slog.Logger
	idle     time.Duration // how long a session may go unused
	cache    *tokencache.Cache
}

// Format prints "auth.IBSSO{[redacted]}" for every verb, %#v and %+v
// included, so that printing an IBSSO never shows a secret.
func (IBSSO) Format(f fmt.State, verb rune) { formatAs(f, verb, "auth.IBSSO{"+redacted+"}") }

// NewIBSSO returns an [IBSSO] authenticator. It makes no request until the
// first call to Authorization.
func NewIBSSO(cfg IBSSOConfig) (*IBSSO, error) {
	o, base, err := baseurl.Parse(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if err := checkCredential("username", cfg.Username, false); err != nil {
		return nil, err
	}
	if err := checkCredential("password", cfg.Password, true); err != nil {
		return nil, err
	}
	limit, idle, err := idleLimits(cfg.IdleTimeout)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Unsafe   bool   `json:"unsafe,omitempty"`
	}{cfg.Username, cfg.Password, cfg.Unsafe})
	if err != nil {
		return nil, fmt.Errorf("auth: encoding session request: %w", err)
	}
	s := &IBSSO{
		base:     base,
		sessions: newSessionEndpoint(base, cfg.HTTPClient, cfg.FetchTimeout, cfg.Now),
		body:     body,
		password: cfg.Password,
		log:      cfg.Logger,
		idle:     idle,
	}
	s.cache = tokencache.New(tokencache.Config{
		Fetch:         s.create,
		Discard:       func(ctx context.Context, t *tokencache.Token) { s.destroy(ctx, t) },
		Now:           s.sessions.now,
		RefreshBefore: -1,
		Idle:          s.idle,
		FetchTimeout:  s.sessions.timeout,
		RetryAfter:    retryAfter,
		OnFetch:       reportTo(cfg.OnRefresh, cfg.Logger, SchemeIBSSO, "auth: session created"),
		Shared:        sharing(cfg.Store, SchemeIBSSO, o, cfg.Username, cfg.Unsafe, limit),
	})
	return s, nil
}

// Authorization returns "IBSSO <token>", creating a session when there is
// none or the current one has been idle too long.
func (s *IBSSO) Authorization(ctx context.Context) (string, error) {
	if err := s.ready(); err != nil {
		return "", err
	}
	t, err := s.cache.Get(ctx)
	if err != nil {
		return "", err
	}
	return t.Header, nil
}

// Renew replaces the session if rejected is still its header: it destroys
// the rejected session (best effort: Infobip may have ended it already)
// and creates a new one. Many calls for the same rejected session create
// one session.
func (s *IBSSO) Renew(ctx context.Context, rejected string) error {
	if err := s.ready(); err != nil {
		return err
	}
	return s.cache.Renew(ctx, rejected)
}

// Close destroys the current session (DELETE /auth/1/session) and makes
// later calls fail with [ErrClosed]. It waits for a session being created
// and destroys that one too. Each request it makes is bounded by
// FetchTimeout as well as ctx. A session Infobip has already ended (the
// DELETE answers 401) is not an error. Calling Close again does nothing.
//
// With a [Store], Close leaves a session that the store shares alive for
// the other replicas, and destroys only one this process holds alone; use
// [IBSSO.Destroy] to end the shared session for the fleet. Close also
// reports the session's last use to the store, if it was used since its
// last check-in, so the fleet keeps it alive as long as Infobip does; a
// store that fails or outlasts its call timeout (see [Store]) only
// leaves that unreported.
func (s *IBSSO) Close(ctx context.Context) error {
	if err := s.ready(); err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	t, err := s.cache.Close(ctx)
	if t != nil && !s.cache.Shares(t) {
		if derr := s.destroy(ctx, t); derr != nil {
			return derr
		}
	}
	return err
}

// Destroy destroys the session for every replica that shares it through
// [IBSSOConfig.Store] (DELETE /auth/1/session), removes it from the store,
// and closes s like [IBSSO.Close]. Replicas still running create a new
// session when they next need one. Without a store it is Close.
func (s *IBSSO) Destroy(ctx context.Context) error {
	if err := s.ready(); err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	t, err := s.cache.Close(ctx)
	shared, serr := s.cache.Unshare(ctx)
	if serr != nil {
		serr = fmt.Errorf("auth: destroy IBSSO session: store: %w", serr)
	}
	errs := []error{err, serr}
	if shared != nil {
		errs = append(errs, s.destroy(ctx, shared))
	}
	if t != nil && (shared == nil || shared.Value != t.Value) {
		errs = append(errs, s.destroy(ctx, t))
	}
	return errors.Join(errs...)
}

// TokenSource returns the session as an oauth2.TokenSource, for libraries
// that take one. Tokens have type "IBSSO". A session has no fixed expiry,
// but each token carries one a minute ahead (by the configured clock), so
// that an oauth2.ReuseTokenSource wrapped around this source asks again
// often enough: the session's idle limit is tracked from those calls, and
// a session that idled out is replaced.
func (s *IBSSO) TokenSource() oauth2.TokenSource {
	if err := s.ready(); err != nil {
		return failingTokenSource{err}
	}
	return cacheTokenSource{s.cache, "IBSSO", func() time.Time { return s.sessions.now().Add(min(time.Minute, s.idle/2)) }}
}

func (s *IBSSO) ready() error {
	if s == nil || s.cache == nil {
		return notMade("IBSSO", "NewIBSSO")
	}
	return nil
}

func (s *IBSSO) baseURL() string      { return s.base }
func (s *IBSSO) logger() *slog.Logger { return s.log }

// rejected leaves the 401 to Renew, which replaces the session.
func (s *IBSSO) rejected(string) error { return nil }

func (s *IBSSO) create(ctx context.Context, stale *tokencache.Token) (*tokencache.Token, error) {
	if stale != nil {
		// Infobip wants a live session destroyed before a new one is made.
		// Best effort, and in at most half the fetch's time: if it is
		// already gone, creating still works.
		dctx, cancel := context.WithTimeout(ctx, s.sessions.timeout/2)
		s.destroy(dctx, stale)
		cancel()
	}
	token, err := s.sessions.create(ctx, s.body, s.password)
	if err != nil {
		return nil, err
	}
	return &tokencache.Token{Value: token, Header: "IBSSO " + token}, nil
}

func (s *IBSSO) destroy(ctx context.Context, t *tokencache.Token) error {
	return s.sessions.destroy(ctx, t.Header)
}

// idleLimits reads a config's IdleTimeout. limit is how long Infobip keeps
// an unused session (60 minutes when d is zero); usable is how long one
// may go unused here: the limit less a margin, 2 minutes or a tenth of the
// limit if smaller, so that no request sets out with a session about to
// end.
func idleLimits(d time.Duration) (limit, usable time.Duration, err error) {
	if d < 0 {
		return 0, 0, errors.New("auth: IdleTimeout is negative")
	}
	limit = cmp.Or(d, defaultIdleTimeout)
	return limit, limit - min(2*time.Minute, limit/10), nil
}

// sessionEndpoint sends Infobip's session requests, create and destroy,
// for an IBSSO and for the Sessions of a LoginConfig alike.
type sessionEndpoint struct {
	url     string        // the base URL + /auth/1/session
	client  *http.Client  // follows no redirect
	timeout time.Duration // bounds each request
	now     func() time.Time
}

// newSessionEndpoint returns the endpoint of base as a config sets it up:
// its HTTPClient, FetchTimeout and Now, each defaulted when zero.
func newSessionEndpoint(base string, client *http.Client, timeout time.Duration, now func() time.Time) sessionEndpoint {
	if now == nil {
		now = time.Now
	}
	return sessionEndpoint{url: base + sessionPath, client: noRedirects(client), timeout: fetchTimeout(timeout), now: now}
}

// create sends POST /auth/1/session with body, the JSON login, and
// returns the session token. password is scrubbed from error answers.
func (e *sessionEndpoint) create(ctx context.Context, body []byte, password string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return "", failure("create IBSSO session", err, password)
	}
	defer resp.Body.Close()
	// Infobip documents 200 only; any 2xx that carries a token is taken as
	// success, so no other 2xx can put the token into an error.
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", readRefusal("create IBSSO session", resp, e.now(), password)
	}
	// Read the whole body first, so that a dropped connection or an
	// oversized answer is reported as such, not as malformed JSON.
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return "", failure("create IBSSO session: reading the response", err, password)
	}
	if len(raw) > maxBody {
		return "", errors.New("auth: create IBSSO session: response is larger than 1 MiB")
	}
	return decodeSession(bytes.NewReader(raw))
}

// decodeSession reads a session response body, {"token":"…"}.
func decodeSession(r io.Reader) (string, error) {
	var body struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(r).Decode(&body); err != nil {
		return "", errors.New("auth: create IBSSO session: response is not the expected JSON")
	}
	if checkCredential("session token", body.Token, false) != nil {
		return "", errors.New("auth: create IBSSO session: response token is empty or malformed")
	}
	return body.Token, nil
}

// destroy sends DELETE /auth/1/session for the session whose
// Authorization header is header. Infobip's current reference answers 200
// with no body, older docs 204: any 2xx is success, and so is a 401 (the
// session had ended).
func (e *sessionEndpoint) destroy(ctx context.Context, header string) error {
	token := strings.TrimPrefix(header, "IBSSO ")
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, e.url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", header)
	resp, err := e.client.Do(req)
	if err != nil {
		return failure("destroy IBSSO session", err, token)
	}
	defer resp.Body.Close()
	// A 401 means Infobip has ended the session already (idled out,
	// rejected, destroyed): what the caller wanted.
	if (resp.StatusCode < 200 || resp.StatusCode > 299) && resp.StatusCode != http.StatusUnauthorized {
		return readRefusal("destroy IBSSO session", resp, e.now(), token)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
	return nil
}
