package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/ibkit/auth/internal/baseurl"
)

// LoginConfig configures [Login] and [ResumeSession]. Zero values mean the
// defaults given. One LoginConfig may serve every user of an application:
// the Sessions of equal LoginConfigs without a clock of their own (Now)
// share one copy of its settings, made at its first use.
type LoginConfig struct {
	// BaseURL is the account's API base URL, e.g. https://xxxxx.api.infobip.com.
	BaseURL string
	// HTTPClient sends the session requests, create ([Login]) and destroy
	// ([Session.Logout]): give the client whose TLS roots, proxy or
	// certificates reach Infobip. It (or http.DefaultClient, when nil) is
	// copied at the first use of an equal LoginConfig, and that copy serves
	// while any Session of an equal LoginConfig lives: set the client up
	// before the first Login, not after. Redirects are never followed, so
	// the password cannot travel to another host. Default:
	// http.DefaultClient.
	HTTPClient *http.Client
	// Unsafe asks Infobip for a session not bound to the client's IP
	// address.
	Unsafe bool
	// IdleTimeout is how long Infobip keeps an unused session. Default 60
	// minutes. A session unused for IdleTimeout minus a margin (2 minutes,
	// or a tenth of IdleTimeout if smaller) has expired.
	IdleTimeout time.Duration
	// FetchTimeout bounds each session request. Default 30 seconds.
	FetchTimeout time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger, if set, records each login and logout (info; warn when it
	// failed) and, through a Transport made over a Session, each request
	// sent without credentials (debug). Records never hold a password or
	// token.
	Logger *slog.Logger
}

// ErrSessionExpired is the error of a [Session] that can no longer be
// used: unused for too long, logged out, or rejected by Infobip. Test for
// it with errors.Is and send the user back to the login page.
var ErrSessionExpired = errors.New("auth: IBSSO session expired")

var (
	errSessionIdle      = fmt.Errorf("%w: unused for longer than its idle limit", ErrSessionExpired)
	errSessionRejected  = fmt.Errorf("%w: Infobip rejected it", ErrSessionExpired)
	errSessionLoggedOut = fmt.Errorf("%w: logged out", ErrSessionExpired)
)

// Session is the IBSSO session of one end user, from [Login] or
// [ResumeSession]: "Authorization: IBSSO <token>". It holds the token and
// nothing of the password, and it never logs in again. Once it has idled
// out, been logged out, or been rejected by Infobip, every call fails with
// an error that errors.Is [ErrSessionExpired].
//
// A Session is small (no goroutine, about a hundred bytes), safe for
// concurrent use, and prints itself redacted. Give it to requests with
// [WithAuthenticator], so that one client serves all users.
type Session struct {
	// The state lives behind a pointer so that Format, a value method so
	// that fmt never walks into a Session value's fields, copies no
	// atomics.
	p *sessionState
}

// Format prints "auth.Session{[redacted]}" for every verb, %#v and %+v
// included, so that printing a session never shows a secret.
func (Session) Format(f fmt.State, verb rune) { formatAs(f, verb, "auth.Session{"+redacted+"}") }

type sessionState struct {
	set    *sessionSettings
	header string       // "IBSSO <token>"
	last   atomic.Int64 // last use, ns since sessionEpoch; unknownUse if not known
	state  atomic.Int32
}

// Session states; any state but live makes the session expired.
const (
	sessionLive int32 = iota
	sessionIdle
	sessionRejected
	sessionLoggingOut // Logout sent or failed: retry possible
	sessionLoggedOut
)

// unknownUse marks a resumed session whose last use is not known: it is
// sent as it is, and learns of its expiry from the API.
const unknownUse = -1 << 63

// sessionEpoch is what a Session measures instants from: on the monotonic
// clock with time.Now, so a wall-clock step moves no idle count.
var sessionEpoch = time.Now()

// sessionSettings is what the Sessions of a LoginConfig share, made once
// and never changed, so that a Session holds little more than its token.
type sessionSettings struct {
	sessions sessionEndpoint
	base     string        // canonical base URL
	idle     time.Duration // how long a session may go unused
	logger   *slog.Logger
	unsafe   bool
}

// settingsKey is a LoginConfig without its clock, which cannot be compared:
// LoginConfigs with equal keys and no clock of their own share settings.
type settingsKey struct {
	baseURL            string
	client             *http.Client
	logger             *slog.Logger
	idle, fetchTimeout time.Duration
	unsafe             bool
}

// sharedSettings holds the settings of the LoginConfigs in use, weakly:
// settings go when their last Session does, and their entry with them.
var sharedSettings sync.Map // settingsKey -> weak.Pointer[sessionSettings]

// settingsOf returns the settings of cfg for op: those already shared by
// the Sessions of an equal LoginConfig, or new ones.
func settingsOf(op string, cfg LoginConfig) (*sessionSettings, error) {
	if cfg.Now != nil {
		return newSessionSettings(op, cfg)
	}
	key := settingsKey{cfg.BaseURL, cfg.HTTPClient, cfg.Logger, cfg.IdleTimeout, cfg.FetchTimeout, cfg.Unsafe}
	if wp, ok := sharedSettings.Load(key); ok {
		if s := wp.(weak.Pointer[sessionSettings]).Value(); s != nil {
			return s, nil
		}
	}
	s, err := newSessionSettings(op, cfg)
	if err != nil {
		return nil, err
	}
	wp := weak.Make(s)
	sharedSettings.Store(key, wp)
	runtime.AddCleanup(s, func(key settingsKey) { sharedSettings.CompareAndDelete(key, wp) }, key)
	return s, nil
}

func newSessionSettings(op string, cfg LoginConfig) (*sessionSettings, error) {
	_, base, err := baseurl.Parse(cfg.BaseURL)
	if err != nil {
		return nil, wrap(op, err)
	}
	_, idle, err := idleLimits(cfg.IdleTimeout)
	if err != nil {
		return nil, wrap(op, err)
	}
	return &sessionSettings{
		sessions: newSessionEndpoint(base, cfg.HTTPClient, cfg.FetchTimeout, cfg.Now),
		base:     base,
		idle:     idle,
		logger:   cfg.Logger,
		unsafe:   cfg.Unsafe,
	}, nil
}

// Login creates an IBSSO session for an end user who typed their Infobip
// username and password into the application (POST /auth/1/session). The
// password is sent once and kept nowhere: not in the Session, not in a
// closure; the request body is zeroed as soon as the request is done.
// Copies that the operating system or net/http's buffers hold for a while
// are out of this package's reach.
//
// A refusal (wrong password, locked account, too many requests) is an
// [*Error] whose Description a login page can show.
func Login(ctx context.Context, cfg LoginConfig, username, password string) (*Session, error) {
	set, err := settingsOf("Login", cfg)
	if err != nil {
		return nil, err
	}
	if err := checkCredential("username", username, false); err != nil {
		return nil, wrap("Login", err)
	}
	if err := checkCredential("password", password, true); err != nil {
		return nil, wrap("Login", err)
	}
	body := loginBody(username, password, set.unsafe)
	defer clear(body)
	if ctx == nil {
		ctx = context.Background()
	}
	start := time.Now()
	token, err := set.sessions.create(ctx, body, password)
	if set.logger != nil {
		logSession(set.logger, "login", time.Since(start), err)
	}
	if err != nil {
		return nil, err
	}
	return newSession(set, token, set.sessions.now()), nil
}

// ResumeSession returns the [Session] for a token that the application
// stored earlier (see [Session.Token]). It sends nothing. Its last use is
// not known, so it is sent as it is until Infobip rejects it (401 through a
// [Transport]) or, once used, it idles out.
func ResumeSession(cfg LoginConfig, token string) (*Session, error) {
	set, err := settingsOf("ResumeSession", cfg)
	if err != nil {
		return nil, err
	}
	token = strings.TrimPrefix(token, "IBSSO ")
	if err := checkCredential("session token", token, false); err != nil {
		return nil, wrap("ResumeSession", err)
	}
	return newSession(set, token, time.Time{}), nil
}

func newSession(set *sessionSettings, token string, lastUse time.Time) *Session {
	p := &sessionState{set: set, header: "IBSSO " + token}
	if lastUse.IsZero() {
		p.last.Store(unknownUse)
	} else {
		p.last.Store(int64(lastUse.Sub(sessionEpoch)))
	}
	return &Session{p: p}
}

// loginBody encodes the create-session request in a buffer of its own, so
// that it can be zeroed (encoding/json would leave a copy in its pool).
func loginBody(username, password string, unsafe bool) []byte {
	b := make([]byte, 0, 64+len(username)+len(password))
	b = append(b, `{"username":`...)
	b = appendJSONString(b, username)
	b = append(b, `,"password":`...)
	b = appendJSONString(b, password)
	if unsafe {
		b = append(b, `,"unsafe":true`...)
	}
	return append(b, '}')
}

// appendJSONString appends s, valid UTF-8, as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// Authorization returns "IBSSO <token>", or an error that errors.Is
// [ErrSessionExpired] once the session cannot be used. It takes no lock and
// allocates nothing.
func (s *Session) Authorization(context.Context) (string, error) {
	if err := s.ready(); err != nil {
		return "", err
	}
	return s.p.authorization()
}

func (s *sessionState) authorization() (string, error) {
	if err := s.expired(); err != nil {
		return "", err
	}
	n := int64(s.set.sessions.now().Sub(sessionEpoch))
	last := s.last.Load()
	if last != unknownUse && n-last >= int64(s.set.idle) {
		s.state.CompareAndSwap(sessionLive, sessionIdle)
		return "", s.expired()
	}
	// Record the use, at most once a second: a hot session's cache line
	// stays mostly read.
	if last == unknownUse || n-last >= int64(min(time.Second, s.set.idle/4)) || n < last {
		s.last.CompareAndSwap(last, n)
	}
	return s.header, nil
}

func (s *Session) baseURL() string {
	if s.ready() != nil {
		return ""
	}
	return s.p.set.base
}

func (s *Session) logger() *slog.Logger {
	if s.ready() != nil {
		return nil
	}
	return s.p.set.logger
}

func (s *Session) ready() error {
	if s == nil || s.p == nil {
		return notMade("Session", "Login or ResumeSession")
	}
	return nil
}

func (s *sessionState) expired() error {
	switch s.state.Load() {
	case sessionLive:
		return nil
	case sessionIdle:
		return errSessionIdle
	case sessionRejected:
		return errSessionRejected
	}
	return errSessionLoggedOut
}

// rejected marks the session rejected if header is its own, and returns
// its error: a Session never logs in again, so the request that got the
// 401 fails with [ErrSessionExpired] rather than being sent again.
func (s *Session) rejected(header string) error {
	if err := s.ready(); err != nil {
		return err
	}
	if header == s.p.header {
		s.p.state.CompareAndSwap(sessionLive, sessionRejected)
	}
	return s.p.expired()
}

// Token returns the session token, for the application to store (server
// side only: it is a secret, as good as the password until the session
// ends) and give to [ResumeSession] later.
func (s *Session) Token() string {
	if s.ready() != nil {
		return ""
	}
	return strings.TrimPrefix(s.p.header, "IBSSO ")
}

// Logout destroys the session (DELETE /auth/1/session), bounded by
// FetchTimeout as well as ctx. From its first call on, the session is
// expired locally. A session Infobip has already ended is not an error.
// Once a Logout has succeeded, calling it again does nothing; after a
// failed one, calling it again tries again.
func (s *Session) Logout(ctx context.Context) error {
	if err := s.ready(); err != nil {
		return err
	}
	return s.p.logout(ctx)
}

func (s *sessionState) logout(ctx context.Context) error {
	if s.state.Load() == sessionLoggedOut {
		return nil
	}
	s.state.Store(sessionLoggingOut)
	if ctx == nil {
		ctx = context.Background()
	}
	start := time.Now()
	err := s.set.sessions.destroy(ctx, s.header)
	if s.set.logger != nil {
		logSession(s.set.logger, "logout", time.Since(start), err)
	}
	if err != nil {
		return err
	}
	s.state.Store(sessionLoggedOut)
	return nil
}

func logSession(l *slog.Logger, op string, d time.Duration, err error) {
	if err != nil {
		l.LogAttrs(context.Background(), slog.LevelWarn, "auth: "+op+" failed",
			slog.String("scheme", SchemeIBSSO), slog.Duration("duration", d), slog.String("error", err.Error()))
		return
	}
	l.LogAttrs(context.Background(), slog.LevelInfo, "auth: "+op,
		slog.String("scheme", SchemeIBSSO), slog.Duration("duration", d))
}
