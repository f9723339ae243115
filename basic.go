package auth

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
)

// Basic authenticates with an Infobip username and password using HTTP Basic
// authentication (RFC 7617). The header is computed once, at construction.
// It is safe for concurrent use and prints itself redacted.
type Basic struct {
	header string
}

// Format prints "auth.Basic{[redacted]}" for every verb, %#v and %+v
// included, so that printing a password never shows a secret.
func (Basic) Format(f fmt.State, verb rune) { formatAs(f, verb, "auth.Basic{"+redacted+"}") }

// NewBasic returns a [Basic] authenticator. The username may not contain ':'
// (RFC 7617 cannot carry it); neither value may be empty or contain control
// characters. Passwords may contain spaces.
func NewBasic(username, password string) (*Basic, error) {
	if err := checkCredential("username", username, false); err != nil {
		return nil, err
	}
	if strings.Contains(username, ":") {
		return nil, fmt.Errorf("auth: username contains ':', which HTTP Basic authentication cannot carry")
	}
	if err := checkCredential("password", password, true); err != nil {
		return nil, err
	}
	return &Basic{header: "Basic " + base64.StdEncoding.EncodeToString([]byte(username+":"+password))}, nil
}

// Authorization returns "Basic base64(username:password)". It fails only
// for a Basic not made with [NewBasic].
func (b *Basic) Authorization(context.Context) (string, error) {
	if err := b.ready(); err != nil {
		return "", err
	}
	return b.header, nil
}

func (b *Basic) ready() error {
	if b == nil || b.header == "" {
		return notMade("Basic", "NewBasic")
	}
	return nil
}

// A Basic belongs to no base URL, logs nothing, and can do nothing about
// a 401: the Transport hands it back.
func (*Basic) baseURL() string       { return "" }
func (*Basic) logger() *slog.Logger  { return nil }
func (*Basic) rejected(string) error { return nil }
