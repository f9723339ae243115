package auth

import (
	"context"
	"net/http"
)

// NewClient returns a new http.Client that authenticates requests for
// baseURL with a: a copy of *base (http.Client's zero value when base is
// nil) whose Transport is a [Transport] over base.Transport
// (http.DefaultTransport when nil). Timeout, Jar and CheckRedirect are
// kept. base itself is never modified, so wrapping http.DefaultClient is
// safe: other code that uses it keeps sending no credentials.
//
// An [IBSSO] or [Bearer] made without an HTTPClient of its own sends its
// session or token requests through the client NewClient builds on (base,
// with redirects never followed), so a private CA, a proxy or mTLS set up
// there serves those requests too. Only the first NewClient an
// authenticator is given does this; an authenticator that has already
// fetched keeps its client.
//
// The base URL rules are those of [NewTransport]. a may be nil for a client
// that serves only requests carrying their own authenticator
// ([WithAuthenticator]).
func NewClient(baseURL string, a Authenticator, base *http.Client) (*http.Client, error) {
	var c http.Client
	if base != nil {
		c = *base
	}
	if a != nil {
		if err := checkAuthenticator(a); err != nil {
			return nil, wrap("NewClient", err)
		}
	}
	t, err := NewTransport(baseURL, a, c.Transport)
	if err != nil {
		return nil, err
	}
	if f, ok := a.(fetcher); ok {
		f.adoptClient(&c) // only a client that works: c before its Transport is ours
	}
	c.Transport = t
	return &c, nil
}

// fetcher is an authenticator of ours that sends requests of its own.
type fetcher interface {
	// adoptClient makes c's transport (a copy of c) the one for the
	// authenticator's own requests, unless it was configured with one or
	// has sent a request already.
	adoptClient(c *http.Client)
}

// Close releases what a holds, if anything: it calls a's Close method when
// a has one (an [IBSSO] destroys its session, a [Bearer] stops refreshing,
// a [Session] logs out) and returns nil otherwise ([APIKey], [Basic], nil).
// It is the one way to close whatever [FromEnv] returned.
func Close(ctx context.Context, a Authenticator) error {
	switch c := a.(type) {
	case interface{ Close(context.Context) error }:
		return c.Close(ctx)
	case interface{ Logout(context.Context) error }:
		return c.Logout(ctx)
	}
	return nil
}
