package auth

import "net/http"

// NewClient returns a new http.Client that authenticates requests for
// baseURL with a: a copy of *base (http.Client's zero value when base is
// nil) whose Transport is a [Transport] over base.Transport
// (http.DefaultTransport when nil). Timeout, Jar and CheckRedirect are
// kept. base itself is never modified, so wrapping http.DefaultClient is
// safe: other code that uses it keeps sending no credentials.
//
// The session and token requests of a, and [Login]'s, do not go through
// the new client but through the HTTPClient of their config: give it the
// same base when a private CA, a proxy or mTLS is needed to reach Infobip
// ("Where credentials go" in the package documentation).
//
// baseURL and a are checked as [NewTransport] checks them. a may be nil for
// a client that serves only requests carrying their own authenticator
// ([WithAuthenticator]).
func NewClient(baseURL string, a Authenticator, base *http.Client) (*http.Client, error) {
	var c http.Client
	if base != nil {
		c = *base
	}
	t, err := newTransport("NewClient", baseURL, a, c.Transport)
	if err != nil {
		return nil, err
	}
	c.Transport = t
	return &c, nil
}
