package auth

// What IBSSO and Bearer report of each session or token fetch: to the
// OnRefresh hook and to the Logger of their config.

import (
	"context"
	"log/slog"
	"time"

	"github.com/ibkit/auth/internal/tokencache"
)

// Reasons reported in [RefreshEvent.Reason].
const (
	// ReasonInitial: the first fetch, for the first request.
	ReasonInitial = tokencache.ReasonInitial
	// ReasonExpired: the token reached its expiry (less a small margin)
	// and requests wait for the new one.
	ReasonExpired = tokencache.ReasonExpired
	// ReasonIdle: the session was unused for its idle limit (less a
	// margin); it is destroyed and replaced before the request.
	ReasonIdle = tokencache.ReasonIdle
	// ReasonProactive: the token entered its refresh window; requests go
	// on with it while this fetch runs in the background.
	ReasonProactive = tokencache.ReasonProactive
	// ReasonRenew: the API answered 401 (see [Renewer]), or an earlier
	// fetch failed and there is no credential to serve.
	ReasonRenew = tokencache.ReasonRenew
)

// RefreshEvent describes one attempt to obtain a session or token, reported
// to the OnRefresh hook of [IBSSOConfig] and [OAuthConfig].
type RefreshEvent struct {
	// Scheme is [SchemeIBSSO] or [SchemeBearer].
	Scheme string
	// Reason says why the fetch ran: one of the Reason constants, such as
	// [ReasonInitial].
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

// reportTo adapts a user's OnRefresh hook and Logger to the cache's events.
// fetched is the log message of a successful fetch.
func reportTo(hook func(RefreshEvent), logger *slog.Logger, scheme, fetched string) func(tokencache.Event) {
	if hook == nil && logger == nil {
		return nil
	}
	return func(ev tokencache.Event) {
		if logger != nil {
			logFetch(logger, scheme, fetched, ev)
		}
		if hook != nil {
			hook(RefreshEvent{Scheme: scheme, Reason: ev.Reason, Start: ev.Start, Duration: ev.Duration, Expiry: ev.Expiry, Err: ev.Err})
		}
	}
}

// logFetch reports a fetch: info when it succeeded, warn when it failed.
// Records hold the scheme, the reason, times and the error text, which
// never holds a secret.
func logFetch(l *slog.Logger, scheme, fetched string, ev tokencache.Event) {
	ctx := context.Background()
	if ev.Err != nil {
		l.LogAttrs(ctx, slog.LevelWarn, "auth: fetch failed, backing off",
			slog.String("scheme", scheme), slog.String("reason", ev.Reason),
			slog.Duration("duration", ev.Duration), slog.Time("retry_after", ev.Start.Add(ev.Duration).Add(ev.Pause)),
			slog.String("error", ev.Err.Error()))
		return
	}
	attrs := []slog.Attr{slog.String("scheme", scheme), slog.String("reason", ev.Reason), slog.Duration("duration", ev.Duration)}
	if !ev.Expiry.IsZero() {
		attrs = append(attrs, slog.Time("expiry", ev.Expiry))
	}
	l.LogAttrs(ctx, slog.LevelInfo, fetched, attrs...)
}
