package apikeys

// The App-key guard: Infobip refuses App keys on these endpoints, so none is
// ever sent there.

import (
	"context"
	"errors"
	"strings"

	"github.com/ibkit/auth"
)

// ErrAppKey is returned when an App key would authenticate a call to the
// API key management endpoints, which Infobip refuses: by [New] for an
// [auth.APIKey], and by any request whose authenticator yields an App
// header.
var ErrAppKey = errors.New("apikeys: an App API key cannot manage API keys (Infobip refuses it there); use Basic, IBSSO or OAuth 2.0 credentials")

// guard wraps a so that it never authenticates a request with an App key,
// keeping its ability to renew.
func guard(a auth.Authenticator) auth.Authenticator {
	g := appGuard{a}
	if r, ok := a.(auth.Renewer); ok {
		return renewGuard{g, r}
	}
	return g
}

type appGuard struct{ a auth.Authenticator }

func (g appGuard) Authorization(ctx context.Context) (string, error) {
	h, err := g.a.Authorization(ctx)
	if err != nil {
		return "", err
	}
	if scheme, _, _ := strings.Cut(h, " "); strings.EqualFold(scheme, "App") {
		return "", ErrAppKey
	}
	return h, nil
}

type renewGuard struct {
	appGuard
	r auth.Renewer
}

func (g renewGuard) Renew(ctx context.Context, rejected string) error {
	return g.r.Renew(ctx, rejected)
}
