package redisstore_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bsm/redislock"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/redisstore/internal/redistest"
)

// The fleet benchmarks report counts, not times: how many token or
// session requests reach Infobip (the authtest server) for N replicas,
// each with its own Store and Redis connections, with and without a store.
// Run them with -benchtime=1x: every iteration is a whole scenario.

var fleetSizes = []int{1, 10, 50, 200}

// BenchmarkFleetOAuth: token requests for a cold start and for one expiry.
func BenchmarkFleetOAuth(b *testing.B) {
	rd := redistest.Start(b)
	for _, n := range fleetSizes {
		for _, store := range []bool{false, true} {
			b.Run(fmt.Sprintf("replicas=%d/store=%s", n, storeName(store)), func(b *testing.B) {
				var cold, expiry, failed int
				for range b.N {
					e := &env{srv: authtest.NewServer(), rd: rd}
					flush(b, rd)
					fleet := oauthReplicas(b, e, n, store)
					_, errs := all(fleet)
					cold += e.srv.Count(authtest.RouteToken)
					e.srv.Advance(3 * time.Hour)
					_, errs2 := all(fleet)
					expiry += e.srv.Count(authtest.RouteToken) - cold
					failed += len(errs) + len(errs2)
					e.srv.Close()
				}
				b.ReportMetric(float64(cold)/float64(b.N), "cold-fetches")
				b.ReportMetric(float64(expiry)/float64(b.N), "fetches/expiry")
				b.ReportMetric(float64(failed)/float64(b.N), "failed")
			})
		}
	}
}

// BenchmarkFleetIBSSO: sessions created for a cold start, and session
// requests (creations and destructions) after every replica got 401 on
// the session.
func BenchmarkFleetIBSSO(b *testing.B) {
	rd := redistest.Start(b)
	for _, n := range fleetSizes {
		for _, store := range []bool{false, true} {
			b.Run(fmt.Sprintf("replicas=%d/store=%s", n, storeName(store)), func(b *testing.B) {
				var sessions, renewal, live, failed int
				for range b.N {
					e := &env{srv: authtest.NewServer(), rd: rd}
					flush(b, rd)
					fleet := ibssoReplicas(b, e, n, store)
					seen, errs := all(fleet)
					sessions += e.srv.Count(authtest.RouteCreateSession)
					before := e.srv.Count(authtest.RouteCreateSession) + e.srv.Count(authtest.RouteDestroySession)
					e.srv.ExpireAll() // every replica's next request gets 401
					done := make(chan error, n)
					for _, a := range fleet {
						go func() {
							h, _ := a.Authorization(context.Background())
							if seen[h] == 0 {
								done <- nil
								return
							}
							done <- a.(auth.Renewer).Renew(context.Background(), h)
						}()
					}
					for range n {
						if err := <-done; err != nil {
							failed++
						}
					}
					renewal += e.srv.Count(authtest.RouteCreateSession) + e.srv.Count(authtest.RouteDestroySession) - before
					live += e.srv.ActiveSessions()
					failed += len(errs)
					for _, a := range fleet {
						a.(*auth.IBSSO).Close(context.Background())
					}
					e.srv.Close()
				}
				b.ReportMetric(float64(sessions)/float64(b.N), "sessions")
				b.ReportMetric(float64(renewal)/float64(b.N), "requests/401")
				b.ReportMetric(float64(live)/float64(b.N), "live-sessions")
				b.ReportMetric(float64(failed)/float64(b.N), "failed")
			})
		}
	}
}

// BenchmarkLeaseholderDies: 50 replicas need a token while the lease is
// held by a replica that died (never renewed, never released). Reports
// how long until every replica has one, against LockTTL (1 s).
func BenchmarkLeaseholderDies(b *testing.B) {
	rd := redistest.Start(b)
	rdb := rd.Client(b)
	var total time.Duration
	for range b.N {
		e := &env{srv: authtest.NewServer(), rd: rd}
		flush(b, rd)
		fleet := oauthReplicas(b, e, 50, true)
		if _, err := fleet[0].Authorization(context.Background()); err != nil {
			b.Fatal(err)
		}
		keys := rdb.Keys(context.Background(), "*").Val()
		e.srv.Advance(3 * time.Hour)
		if _, err := redislock.Obtain(context.Background(), rdb, keys[0]+":lease", time.Second, nil); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, errs := all(fleet); len(errs) > 0 {
			b.Fatal(errs[0])
		}
		total += time.Since(start)
		if n := e.srv.Count(authtest.RouteToken); n != 2 {
			b.Fatalf("token requests = %d, want 2", n)
		}
		e.srv.Close()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "recover-ms")
	b.ReportMetric(1000, "lockttl-ms")
}

// BenchmarkRedisDown: 10 replicas across an expiry while Redis is down.
func BenchmarkRedisDown(b *testing.B) {
	rd := redistest.Start(b)
	var fetches, failed int
	var round time.Duration
	for range b.N {
		rd.Stop()
		rd.Restart()
		e := &env{srv: authtest.NewServer(), rd: rd}
		fleet := oauthReplicas(b, e, 10, true)
		_, errs := all(fleet)
		failed += len(errs)
		rd.Stop()
		before := e.srv.Count(authtest.RouteToken)
		e.srv.Advance(3 * time.Hour)
		start := time.Now()
		_, errs = all(fleet)
		round += time.Since(start)
		failed += len(errs)
		fetches += e.srv.Count(authtest.RouteToken) - before
		e.srv.Close()
	}
	b.ReportMetric(float64(fetches)/float64(b.N), "fetches/expiry")
	b.ReportMetric(float64(failed)/float64(b.N), "failed")
	b.ReportMetric(float64(round.Milliseconds())/float64(b.N), "expiry-ms")
}

// nopBase is a base RoundTripper that costs nothing: it closes the body
// and answers a canned response.
type nopBase struct{ resp http.Response }

func (n *nopBase) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return &n.resp, nil
}

// BenchmarkOverhead: the per-request cost of a Transport with a cached
// credential, with and without a store. A hit never reaches the store, so
// the two must match (ns/op within noise, same allocs/op).
func BenchmarkOverhead(b *testing.B) {
	e := setup(b)
	base := &nopBase{resp: http.Response{StatusCode: 200, Body: http.NoBody}}
	for _, bc := range []struct {
		name string
		make func(auth.Store) auth.Authenticator
	}{
		{"Bearer", func(st auth.Store) auth.Authenticator {
			a, _ := auth.NewOAuth(auth.OAuthConfig{BaseURL: e.srv.URL, ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret, Store: st})
			return a
		}},
		{"IBSSO", func(st auth.Store) auth.Authenticator {
			a, _ := auth.NewIBSSO(auth.IBSSOConfig{BaseURL: e.srv.URL, Username: authtest.Username, Password: authtest.Password, Store: st})
			b.Cleanup(func() { a.Close(context.Background()) })
			return a
		}},
	} {
		for _, store := range []bool{false, true} {
			b.Run(fmt.Sprintf("impl=%s/store=%s", bc.name, storeName(store)), func(b *testing.B) {
				var st auth.Store
				if store {
					st = e.store(b, nil)
				}
				a := bc.make(st)
				if _, err := a.Authorization(context.Background()); err != nil {
					b.Fatal(err)
				}
				tr, err := auth.NewTransport(e.srv.URL, a, base)
				if err != nil {
					b.Fatal(err)
				}
				req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/account/1/balance", nil)
				req.Header.Set("Accept", "application/json")
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					resp, err := tr.RoundTrip(req)
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
				}
			})
		}
	}
}

func storeName(store bool) string {
	if store {
		return "redis"
	}
	return "none"
}

func flush(tb testing.TB, rd *redistest.Server) {
	tb.Helper()
	c := rd.Client(tb)
	if err := c.FlushAll(context.Background()).Err(); err != nil && !strings.Contains(err.Error(), "closed") {
		tb.Fatal(err)
	}
}
