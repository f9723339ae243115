// Package auth authenticates requests to the Infobip API.
//
// It supports every scheme Infobip offers, each an [Authenticator]:
//
//   - [NewAPIKey]: "Authorization: App <key>".
//   - [NewBasic]: "Authorization: Basic base64(username:password)".
//   - [NewIBSSO]: "Authorization: IBSSO <token>", a session for a service
//     account that it creates, reuses, replaces and destroys by itself.
//   - [Login] and [ResumeSession]: "Authorization: IBSSO <token>", the
//     session of an end user who signed in with their own Infobip account
//     (a [Session]); it never logs in again.
//   - [NewOAuth] and [NewBearer]: "Authorization: Bearer <token>", an OAuth
//     2.0 access token it fetches and refreshes before expiry.
//
// [NewClient] puts one in front of the http.Client you already have,
// without modifying it:
//
//	a, err := auth.NewOAuth(auth.OAuthConfig{BaseURL: baseURL, ClientID: id, ClientSecret: secret})
//	defer a.Close(ctx) // stops the background refresh
//	client, err := auth.NewClient(baseURL, a, existing) // existing may be nil, or http.DefaultClient
//
// [NewTransport] gives the http.RoundTripper alone. [FromEnv] builds the
// authenticator from IB_* environment variables.
//
// The sections below are the reference for the rules that every type
// follows; each type's documentation adds only what is its own.
//
// # Where credentials go
//
// A [Transport] adds the Authorization header only to requests whose scheme,
// host and port equal those of its base URL (or of an origin added with
// [Transport.AllowOrigin]). Hosts are compared as net/http dials them: byte
// for byte after ASCII case folding, so a host that differs only by Unicode
// case folding, by full-width letters, by its IDNA form or by a trailing
// dot is another host. Every other request, including a redirect that
// http.Client follows to another host or to plain http, is passed to the
// base transport untouched; with a Logger in the authenticator's config
// each one is reported at debug level, so a 401 that looks like a wrong
// key can be traced to a base URL spelled differently (localhost against
// 127.0.0.1, or a missing scheme that became https). One exception: a
// redirect away from the base URL's origin goes without the Authorization
// header the caller set, such as an SDK's own key, which http.Client would
// copy to the same host name on another port or scheme: the Transport
// replaced it on the base URL's origin, so it was meant for Infobip.
//
// A base URL, wherever one is given, is an origin: https://host[:port],
// with an optional trailing slash. A URL without a scheme gets https://;
// plain http:// is refused except for loopback hosts (tests); a path,
// query, fragment or user information is refused, and so is a host that is
// not ASCII (give an internationalised name in its IDNA form). The
// canonical form, scheme://host[:port] with no trailing slash, is what
// [Transport.BaseURL] and [FromEnv] return and what base URLs are compared
// in.
//
// Requests that carry a password or client secret to Infobip's session and
// token endpoints never follow redirects. They go through the HTTPClient
// of the authenticator's config ([IBSSOConfig], [OAuthConfig],
// [LoginConfig]; [WithHTTPClient] with FromEnv), http.DefaultClient when it
// is nil, never through the client given to [NewClient]: set it to the
// client that holds your TLS roots, proxy or client certificates.
//
// Never install a Transport on a client that other code shares, such as
// http.DefaultClient: every request that client sends to the base URL's
// origin would carry the credential. [NewClient] makes a new client for
// this reason.
//
// # Requests, bodies and retries
//
// The caller's request is never modified: the Transport sends a shallow copy
// with its own header map, replacing any Authorization header the caller set,
// and the response's Request field is the caller's request, not the copy.
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
// A [Session] is no Renewer: it never logs in again. A 401 to a request it
// signed marks it expired, and where the request could have been sent
// again, RoundTrip returns an error that errors.Is [ErrSessionExpired]
// instead of the response.
//
// No other status is retried: 429 and 5xx answers from the API are the
// caller's to handle, with [ParseError] to read them.
//
// # Many identities, one client
//
// A request whose context carries an authenticator ([WithAuthenticator]) is
// authenticated with it instead of the Transport's own, under the same
// rules, and a renewal after a 401 goes to the authenticator that signed
// the request. An application whose end users sign in with their Infobip
// account keeps one [Session] per user (from [Login]; it stores only the
// token) and one client for all of them.
//
// Replicas of such an application keep [Session.Token] in their shared
// session store and call [ResumeSession] with it per request, which sends
// nothing. Infobip binds a session to the IP address that created it: your
// server's outgoing address, not the user's. Replicas that reach Infobip
// from different addresses need [LoginConfig.Unsafe], or one egress
// address.
//
// # Sessions and tokens
//
// IBSSO and OAuth credentials are cached. Reading a cached credential takes
// no lock and allocates nothing; however many goroutines need a new one, one
// request fetches it (single flight). Each caller waits for that fetch only
// as long as its own context allows; the fetch itself runs detached, with
// its own timeout (FetchTimeout, default 30 s, for the request to Infobip;
// with a [Store], the store's calls and the wait for another replica come
// on top), so one cancelled caller does not fail the others.
//
// An OAuth token is refreshed in the background shortly before it expires
// (see [OAuthConfig.RefreshBefore]) while requests keep using it, so under
// steady traffic no request waits for a token. An IBSSO session has no
// fixed lifetime: Infobip ends it after IdleTimeout without use, so a session
// about to reach that limit is replaced before the request that would use
// it. A session the API rejected with 401 is destroyed before its
// replacement is created, as Infobip asks.
//
// After a failed fetch, the next one waits a jittered, growing pause, at
// least what the server's Retry-After asked for (up to 5 minutes; Infobip
// documents no Retry-After, so the pause is usually the backoff). During
// that pause a renewal after a 401 fails at once with the last error.
// Meanwhile a still-valid credential keeps being served, and without one
// callers get the last error at once, so a failing endpoint is not
// hammered.
//
// The Now field of each config sets the clock every expiry decision uses;
// tests set it to [github.com/ibkit/auth/authtest.Server.Now] and move time
// instead of sleeping. With the default clock, idle limits and pauses are
// measured on the monotonic clock, so a wall-clock step moves none of them.
// OnRefresh reports every fetch as a [RefreshEvent]; Logger records it.
//
// Close what holds a session or a background refresh: [IBSSO.Close]
// destroys the session ([IBSSO.Destroy] ends one a fleet shares),
// [Bearer.Close] stops refreshing, and [Session.Logout] ends an end user's
// session. An [APIKey] or [Basic] holds nothing to release.
//
// # Fleets
//
// Replicas of a service that share credentials can share their token too:
// set [OAuthConfig.Store] or [IBSSOConfig.Store] to a [Store], the Redis
// one in github.com/ibkit/auth/redisstore for replicas on many hosts, or
// the directory of github.com/ibkit/auth/filestore for processes on one
// host. The fleet then makes one token request per expiry and keeps one
// IBSSO session per identity. [Store] says when a store is consulted and
// what its failures cost: never a request.
//
// # Errors and secrets
//
// Every error begins "auth: " once, then the operation, then the cause:
// "auth: create IBSSO session: 401 E401: Invalid login details". Infobip's
// error answers, in either of its two body formats, are parsed into an
// [*Error]; [errors.As] finds it in any error this package returns for a
// refused call.
//
// No key, password, secret or token appears in an error, a log record, or
// the output of fmt (any verb, %+v and %#v included), slog or
// encoding/json for any value of this package, given as it is or held in
// an exported field. fmt cannot ask a value in an unexported field of your
// own struct to redact itself, and prints its fields: keep the
// authenticator there, not its config. A server or proxy that echoes a
// request into its error page gets the credential blotted out, raw or
// escaped (JSON, HTML, URL, form, base64), by the fetches and by
// [ParseError].
package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
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

// ours is what a [Transport] may ask of an authenticator beyond
// Authorization. Only this package's authenticators implement it (its
// methods are unexported); the Transport treats any other Authenticator as
// offering none of it.
type ours interface {
	Authenticator
	// ready returns the error of a value not made by its constructor, or
	// nil: a Transport refuses such an authenticator before any request.
	ready() error
	// baseURL returns the canonical base URL its session or token belongs
	// to, or "" if it serves any (a key, a password, a token source): a
	// Transport for another base URL refuses it.
	baseURL() string
	// logger returns the config's Logger (nil if none): a Transport made
	// over it reports there the requests it sends without credentials.
	logger() *slog.Logger
	// rejected tells it the API answered 401 to a request that carried
	// header. It returns the error that request fails with when it could
	// be sent again, instead of a renewal (a Session, which never logs in
	// again, knows it is over), or nil.
	rejected(header string) error
}

// ErrClosed is returned by an authenticator that has been closed.
var ErrClosed = tokencache.ErrClosed

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
	if o, ok := a.(ours); ok {
		return o.ready()
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

// redactedJSON encodes text, a value's redacted form, as a JSON string: for
// the types that hold a secret in an exported field, which encoding/json
// (and slog's JSON handler, for values nested in slices and structs) would
// otherwise show.
func redactedJSON(text string) ([]byte, error) { return json.Marshal(text) }
