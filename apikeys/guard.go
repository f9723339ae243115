package apikeys

// The App-key guard: Infobip refuses App keys on these endpoints, so none is
// ever sent there.

import (
	"errors"
	"net/http"
	"strings"
)

// ErrAppKey is returned when an App key would authenticate a call to the
// API key management endpoints, which Infobip refuses: by [New] for an
// [auth.APIKey], and by any request whose authenticator yields an App
// header.
var ErrAppKey = errors.New("apikeys: an App API key cannot manage API keys (Infobip refuses it there); use Basic, IBSSO or OAuth 2.0 credentials")

// appGuard sends requests with base, except one whose Authorization is an
// App key: it sits under the auth.Transport, so it sees the header whatever
// authenticator set it, and the Transport still deals with the
// authenticator itself (renewals, a Session's expiry, its logger).
type appGuard struct{ base http.RoundTripper }

func (g appGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if scheme, _, _ := strings.Cut(req.Header.Get("Authorization"), " "); strings.EqualFold(scheme, "App") {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, ErrAppKey
	}
	return g.base.RoundTrip(req)
}

// CloseIdleConnections closes the idle connections of base, if it can.
func (g appGuard) CloseIdleConnections() {
	if c, ok := g.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
