// Package auth authenticates requests to the Infobip API.
//
// It supports every scheme Infobip offers, each an [Authenticator]:
//
//   - [NewAPIKey]: "Authorization: App <key>".
//   - [NewBasic]: "Authorization: Basic base64(username:password)".
//   - [NewIBSSO]: "Authorization: IBSSO <token>", a session it creates,
//     reuses, replaces and destroys by itself.
//   - [NewOAuth] and [NewBearer]: "Authorization: Bearer <token>", an OAuth
//     2.0 access token it fetches and refreshes before expiry.
//
// Wrap one in a [Transport] and give that to an http.Client:
//
//	a, err := auth.NewOAuth(auth.OAuthConfig{BaseURL: baseURL, ClientID: id, ClientSecret: secret})
//	t, err := auth.NewTransport(baseURL, a, nil) // nil: wraps http.DefaultTransport
//	client := &http.Client{Transport: t}
//
// [FromEnv] builds the authenticator from IB_* environment variables.
//
// # Where credentials go
//
// A [Transport] adds the Authorization header only to requests whose scheme,
// host and port equal those of its base URL (or of an origin added with
// [Transport.AllowOrigin]). Every other request, including a redirect that
// http.Client follows to another host or to plain http, is passed to the base
// transport untouched. Base URLs must use https, except for loopback hosts.
// Requests that carry a password or client secret to Infobip's session and
// token endpoints never follow redirects.
//
// # Requests, bodies and retries
//
// The caller's request is never modified: the Transport sends a shallow copy
// with its own header map, replacing any Authorization header the caller set.
// The request body is closed on every path, including errors, as
// http.RoundTripper requires.
//
// A request is sent again at most once, and only when all of these hold: the
// API answered 401, the authenticator is a [Renewer] (IBSSO and OAuth are;
// App and Basic are not, since retrying the same key cannot help), and the
// body can be replayed. A body can be replayed when Body is nil or
// http.NoBody, or GetBody is set; http.NewRequest sets GetBody for
// *bytes.Buffer, *bytes.Reader and *strings.Reader bodies. Otherwise the 401
// response is returned to the caller unread. Before the retry the Transport
// calls Renew with the rejected header value; many requests rejected
// together cause one renewal. If renewal fails, RoundTrip returns its error
// (an [*Error] when Infobip refused) and no response.
//
// No other status is retried: 429 and 5xx answers from the API are the
// caller's to handle, with [ParseError] to read them.
//
// # Sessions and tokens
//
// IBSSO and OAuth credentials are cached. Reading a cached credential takes
// no lock and allocates nothing; however many goroutines need a new one, one
// request fetches it (single flight). Each caller waits for that fetch only
// as long as its own context allows; the fetch itself runs detached, with
// its own timeout (FetchTimeout, default 30 s), so one cancelled caller does
// not fail the others.
//
// An OAuth token is refreshed in the background shortly before it expires
// (see [OAuthConfig.RefreshBefore]) while requests keep using it, so under
// steady traffic no request waits for a token. An IBSSO session has no
// fixed lifetime: Infobip ends it after IdleTimeout without use, so a session
// about to reach that limit is replaced before the request that would use
// it.
//
// After a failed fetch, the next one waits a jittered, growing pause, at
// least what the server's Retry-After asked for (up to 5 minutes). During
// that pause a renewal after a 401 fails at once with the last error. Meanwhile a still-valid
// credential keeps being served, and without one callers get the last error
// at once, so a failing endpoint is not hammered.
//
// The Now field of each config sets the clock every expiry decision uses;
// tests set it to [github.com/ibkit/auth/authtest.Server.Now] and move time
// instead of sleeping. OnRefresh reports every fetch as a [RefreshEvent].
//
// # Errors and secrets
//
// Infobip's error answers, in either of its two body formats, are parsed into
// an [*Error]; [errors.As] finds it in any error this package returns for a
// refused call. No key, password, secret or token appears in an error, and
// every type that holds one prints and logs itself redacted.
package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ibkit/auth/internal/tokencache"
)

// Authenticator supplies the Authorization header value for a request to
// Infobip, for example "App 0030…" or "Bearer eyJ…".
//
// Implementations must be safe for concurrent use.
type Authenticator interface {
	Authorization(ctx context.Context) (string, error)
}

// Renewer is an [Authenticator] whose credential can be replaced.
//
// A [Transport] calls Renew after the API answered 401 to a request that
// carried the header value rejected. Renew replaces the credential only if it
// is still rejected: a credential obtained since then is kept, so many
// requests rejected together cause one renewal.
type Renewer interface {
	Authenticator
	Renew(ctx context.Context, rejected string) error
}

// ErrClosed is returned by an authenticator that has been closed.
var ErrClosed = tokencache.ErrClosed

// Schemes reported in [RefreshEvent.Scheme].
const (
	SchemeIBSSO  = "IBSSO"  // a session from [NewIBSSO]
	SchemeBearer = "Bearer" // a token from [NewOAuth] or [NewBearer]
)

// Reasons reported in [RefreshEvent.Reason].
const (
	// ReasonInitial: the first fetch, for the first request.
	ReasonInitial = tokencache.ReasonInitial
	// ReasonExpired: the token reached its expiry (less a small margin)
	// and requests wait for the new one.
	ReasonExpired = tokencache.ReasonExpired
	// ReasonIdle: the session was unused for its idle limit (less a
	// margin); it is destroyed and replaced before the request.
	ReasonIdle = tokencache.ReasonIdle
	// ReasonProactive: the token entered its refresh window; requests go
	// on with it while this fetch runs in the background.
	ReasonProactive = tokencache.ReasonProactive
	// ReasonRenew: the API answered 401 (see [Renewer]), or an earlier
	// fetch failed and there is no credential to serve.
	ReasonRenew = tokencache.ReasonRenew
)

// RefreshEvent describes one attempt to obtain a session or token, reported
// to the OnRefresh hook of [IBSSOConfig] and [OAuthConfig].
type RefreshEvent struct {
	// Scheme is [SchemeIBSSO] or [SchemeBearer].
	Scheme string
	// Reason says why the fetch ran: one of the Reason constants, such as
	// [ReasonInitial].
	Reason string
	// Start is when the fetch began, by the configured clock.
	Start time.Time
	// Duration is how long the fetch took in real time.
	Duration time.Duration
	// Expiry is when the new credential expires; zero for IBSSO sessions,
	// which expire only when unused, or when Err is set.
	Expiry time.Time
	// Err is the fetch's error, nil on success. It never holds a secret.
	Err error
}

// checkAuthenticator refuses an authenticator that would fail or panic at
// the first request: nil, a nil pointer, or one of ours not made by its
// constructor. The message is bare: callers add the prefix.
func checkAuthenticator(a Authenticator) error {
	if a == nil {
		return errors.New("authenticator is nil")
	}
	if v := reflect.ValueOf(a); v.Kind() == reflect.Pointer && v.IsNil() {
		return fmt.Errorf("authenticator is a nil %T", a)
	}
	if r, ok := a.(interface{ ready() error }); ok {
		return r.ready()
	}
	return nil
}

// notMade is the error of a zero-value authenticator of ours.
func notMade(typ, constructor string) error {
	return fmt.Errorf("auth: %s was not made with %s", typ, constructor)
}

// checkCredential refuses values that cannot travel in a header or are
// almost certainly pasted wrong. Messages name the field, never the value.
func checkCredential(field, value string, allowInnerSpace bool) error {
	if strings.TrimSpace(value) == "" {
		return fmt.Errorf("auth: %s is empty", field)
	}
	for _, r := range value {
		switch {
		case r == utf8.RuneError:
			return fmt.Errorf("auth: %s is not valid UTF-8", field)
		case unicode.IsControl(r):
			return fmt.Errorf("auth: %s contains a control character (CR, LF, tab or similar)", field)
		case unicode.IsSpace(r) && !allowInnerSpace:
			return fmt.Errorf("auth: %s contains whitespace", field)
		}
	}
	if value != strings.TrimSpace(value) && !allowInnerSpace {
		return fmt.Errorf("auth: %s has leading or trailing whitespace", field)
	}
	return nil
}

// redacted is what stands where a secret was.
const redacted = "[redacted]"

// redacts, embedded first in every type that holds a secret, makes it
// print as "auth.T{[redacted]}" with every fmt verb (%#v and %+v included)
// and in slog, value and pointer alike: fmt and slog never walk into the
// fields. One embedded type instead of four methods per type.
type redacts[T any] struct{}

func (redacts[T]) text() string { return reflect.TypeFor[T]().String() + "{" + redacted + "}" }

// String returns "auth.T{[redacted]}".
func (r redacts[T]) String() string { return r.text() }

// GoString returns "auth.T{[redacted]}".
func (r redacts[T]) GoString() string { return r.text() }

// Format prints "auth.T{[redacted]}" for every verb.
func (r redacts[T]) Format(f fmt.State, verb rune) { formatAs(f, verb, r.text()) }

// LogValue keeps the secrets out of slog output.
func (r redacts[T]) LogValue() slog.Value { return slog.StringValue(r.text()) }

// formatAs implements fmt.Formatter for types that must print as a fixed
// text: every verb, %#v and %+v included, prints text (quoted for %q), so
// fmt never walks into fields that hold secrets.
func formatAs(f fmt.State, verb rune, safe string) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", safe)
		return
	}
	io.WriteString(f, safe)
}
