package auth

// How IBSSO, Session and Bearer send their own requests to the session and
// token endpoints: through which client, within what time, and how long a
// failure pauses them.

import (
	"errors"
	"net/http"
	"time"
)

// noRedirects returns a copy of c (of http.DefaultClient when c is nil)
// that never follows redirects: requests carrying passwords or tokens go to
// the configured host or nowhere.
func noRedirects(c *http.Client) *http.Client {
	if c == nil {
		c = http.DefaultClient
	}
	cp := *c
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

// defaultFetchTimeout bounds one session or token request when the config
// leaves FetchTimeout zero.
const defaultFetchTimeout = 30 * time.Second

// fetchTimeout reads a config's FetchTimeout: d, or defaultFetchTimeout
// when d is not positive.
func fetchTimeout(d time.Duration) time.Duration {
	if d <= 0 {
		return defaultFetchTimeout
	}
	return d
}
