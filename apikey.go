package auth

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// APIKey authenticates with an Infobip API key: "Authorization: App <key>".
// It is safe for concurrent use and prints itself redacted.
type APIKey struct {
	header string
}

// Format prints "auth.APIKey{[redacted]}" for every verb, %#v and %+v
// included, so that printing a key never shows a secret.
func (APIKey) Format(f fmt.State, verb rune) { formatAs(f, verb, "auth.APIKey{"+redacted+"}") }

// NewAPIKey returns an [APIKey] for key, as shown in Infobip's web interface
// (32 hex digits, a dash and a UUID; the shape is not checked). It refuses an
// empty key, one with whitespace or control characters, and one that already
// starts with the "App " scheme.
func NewAPIKey(key string) (*APIKey, error) {
	if len(key) >= 4 && strings.EqualFold(key[:4], "App ") {
		return nil, fmt.Errorf(`auth: API key starts with "App "; pass the key alone, the scheme is added for you`)
	}
	if err := checkCredential("API key", key, false); err != nil {
		return nil, err
	}
	return &APIKey{header: "App " + key}, nil
}

// Authorization returns "App <key>". It fails only for an APIKey not made
// with [NewAPIKey].
func (k *APIKey) Authorization(context.Context) (string, error) {
	if err := k.ready(); err != nil {
		return "", err
	}
	return k.header, nil
}

func (k *APIKey) ready() error {
	if k == nil || k.header == "" {
		return notMade("APIKey", "NewAPIKey")
	}
	return nil
}

// An APIKey belongs to no base URL, logs nothing, and can do nothing about
// a 401: the Transport hands it back.
func (*APIKey) baseURL() string       { return "" }
func (*APIKey) logger() *slog.Logger  { return nil }
func (*APIKey) rejected(string) error { return nil }
