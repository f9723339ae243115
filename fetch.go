package auth

// How IBSSO, Session and Bearer send their own requests to the session and
// token endpoints: through which client, within what time, and how long a
// failure pauses them.

import (
	"errors"
	"net/http"
	"sync"
	"time"
)

// noRedirects returns a copy of c (or of a default client) that never
// follows redirects: requests carrying passwords or tokens go to the
// configured host or nowhere.
func noRedirects(c *http.Client) *http.Client {
	var cp http.Client
	if c != nil {
		cp = *c
	}
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cp.Transport = unwrapTransport(cp.Transport)
	return &cp
}

// maxRetryAfter caps the pause a Retry-After header imposes on fetches, so
// that a broken or hostile answer ("Retry-After: 99999999999") cannot lock
// the authenticator out for centuries.
const maxRetryAfter = 5 * time.Minute

// retryAfter extracts the pause an Infobip error asks for, at most
// maxRetryAfter.
func retryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return min(e.RetryAfter, maxRetryAfter)
	}
	return 0
}

// fetchClient is the client an authenticator sends its own session or
// token requests with. One configured without HTTPClient may adopt the
// client of the first NewClient it is given, until it sends a request.
type fetchClient struct {
	mu        sync.Mutex
	client    *http.Client
	adoptable bool
}

func newFetchClient(configured *http.Client) *fetchClient {
	return &fetchClient{client: noRedirects(configured), adoptable: configured == nil}
}

// get returns the client; from then on, none is adopted.
func (f *fetchClient) get() *http.Client {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.adoptable = false
	return f.client
}

func (f *fetchClient) adopt(c *http.Client) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.adoptable {
		f.client, f.adoptable = noRedirects(c), false
	}
}

// defaultFetchTimeout bounds one session or token request when the config
// leaves FetchTimeout zero.
const defaultFetchTimeout = 30 * time.Second
