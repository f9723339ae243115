// Package auth authenticates requests to the Infobip API.
//
// It supports every scheme Infobip offers: App API keys ([NewAPIKey]), HTTP
// Basic ([NewBasic]), IBSSO session tokens ([NewIBSSO]) and OAuth 2.0 bearer
// tokens ([NewOAuth], [NewBearer]). Each is an [Authenticator]; wrap one in a
// [Transport] and hand that to the http.Client you already use.
//
// Package documentation is completed in doc.go.
package auth

import (
	"context"
	"fmt"
	"io"
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

// RefreshEvent describes one attempt to obtain a session or token, reported
// to the OnRefresh hook of [IBSSOConfig] and [OAuthConfig].
type RefreshEvent struct {
	// Scheme is "IBSSO" or "Bearer".
	Scheme string
	// Reason says why the fetch ran: "initial", "expired", "idle",
	// "proactive" or "renew".
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

// redacted is how every secret-holding value prints itself.
const redacted = "[redacted]"

// formatRedacted implements fmt.Formatter for secret-holding types: every
// verb, %#v and %+v included, prints the same safe text.
func formatRedacted(f fmt.State, verb rune, safe string) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", safe)
		return
	}
	io.WriteString(f, safe)
}
