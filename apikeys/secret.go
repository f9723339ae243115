package apikeys

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"

	"github.com/ibkit/auth"
)

// Secret is the value of an API key: what goes after "App " in the
// Authorization header. Infobip returns it as apiKeySecret.
//
// A Secret never shows its value by accident. It prints as "[redacted]"
// with every fmt verb (%v, %+v, %#v, %s, %q, …), logs as "[redacted]"
// with log/slog, and marshals to the JSON string "[redacted]". It cannot be
// unmarshalled from JSON. Call [Secret.Reveal] to store the value, and
// [Secret.Authenticator] to use it.
//
// The zero Secret is empty.
type Secret struct {
	// The value sits behind a pointer so that even fmt's fallback printing,
	// which skips Format methods, shows an address and not the secret.
	p *string
}

func newSecret(v string) Secret {
	if v == "" {
		return Secret{}
	}
	return Secret{&v}
}

func (s Secret) value() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

const redacted = "[redacted]"

// Authenticator returns an [auth.APIKey] that authenticates with s, ready
// for [auth.NewTransport]. It fails if s is empty or could not travel in a
// header; the error never shows the secret.
func (s Secret) Authenticator() (*auth.APIKey, error) {
	if s.p == nil {
		return nil, errors.New("apikeys: the API key secret is empty (Infobip returned no apiKeySecret)")
	}
	return auth.NewAPIKey(*s.p)
}

// Reveal returns the secret itself, for example to put it in a secret
// store. Handle the result with care: it is a plain string.
func (s Secret) Reveal() string { return s.value() }

// IsZero reports whether s is empty.
func (s Secret) IsZero() bool { return s.p == nil }

// Matches reports, in constant time for strings of equal length, whether s
// is the API key key. Use it to find the [Key] of a key you hold, for
// example in [Client.All].
func (s Secret) Matches(key string) bool {
	return s.p != nil && subtle.ConstantTimeCompare([]byte(*s.p), []byte(key)) == 1
}

// String returns "[redacted]".
func (s Secret) String() string { return redacted }

// GoString returns "[redacted]".
func (s Secret) GoString() string { return redacted }

// Format prints "[redacted]" for every verb, as %s would, keeping the
// flags, width and precision: %-15s pads it, %q quotes it.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb != 'q' {
		verb = 's'
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), redacted)
}

// LogValue keeps the secret out of slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON returns the JSON string "[redacted]", never the secret.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText returns "[redacted]", for encoders that use
// encoding.TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
