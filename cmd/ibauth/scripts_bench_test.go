package main

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ibkit/auth/authtest"
)

// fetchDelay is how long the fake's token and session endpoints take to
// answer in BenchmarkScripts: about a round trip to Infobip.
const fetchDelay = 50 * time.Millisecond

// BenchmarkScripts runs the built ibauth as a shell script does: calls of
// 'ibauth api /account/1/balance' one after another, or ten at once, with
// OAuth or IBSSO credentials, with and without the credential cache,
// against an authtest server whose token and session endpoints (create
// and destroy) take fetchDelay. One op is one script from a cold cache, on
// a new server; ns/op is its wall time. Metrics per op:
//
//	token-requests/run      POST /auth/1/oauth2/token
//	session-creates/run     POST /auth/1/session
//	session-destroys/run    DELETE /auth/1/session
//	ms/call                 the mean time of one ibauth process, start to exit
//
// Run it with -benchtime=1x: the counts are the same in every op. With
// -short, the 20 and 100 call scripts are skipped.
func BenchmarkScripts(b *testing.B) {
	scripts := []struct {
		name     string
		calls    int
		parallel bool
	}{
		{"1", 1, false}, {"20", 20, false}, {"100", 100, false}, {"10-parallel", 10, true},
	}
	for _, scheme := range []string{"oauth", "ibsso"} {
		for _, cache := range []string{"on", "off"} {
			for _, sc := range scripts {
				b.Run(fmt.Sprintf("scheme=%s/cache=%s/calls=%s", scheme, cache, sc.name), func(b *testing.B) {
					if testing.Short() && !sc.parallel && sc.calls > 1 {
						b.Skip("-short")
					}
					var tokens, creates, destroys, calls int
					var took time.Duration
					for b.Loop() {
						b.StopTimer()
						srv := authtest.NewServer()
						for _, route := range []string{authtest.RouteToken, authtest.RouteCreateSession, authtest.RouteDestroySession} {
							srv.Fail(route, authtest.Fault{Delay: fetchDelay})
						}
						dir, err := os.MkdirTemp("", "ibauth-bench-")
						if err != nil {
							b.Fatal(err)
						}
						env := map[string]string{"IB_BASE_URL": srv.URL, "XDG_CACHE_HOME": dir}
						if scheme == "oauth" {
							env = with(env, "IB_CLIENT_ID", authtest.ClientID, "IB_CLIENT_SECRET", authtest.ClientSecret)
						} else {
							env = with(env, "IB_AUTH", "ibsso", "IB_USERNAME", authtest.Username, "IB_PASSWORD", authtest.Password)
						}
						if cache == "off" {
							env = with(env, "IB_NO_CACHE", "1")
						}
						b.StartTimer()

						d, err := script(call{env: env}, sc.calls, sc.parallel)

						b.StopTimer()
						tokens += srv.Count(authtest.RouteToken)
						creates += srv.Count(authtest.RouteCreateSession)
						destroys += srv.Count(authtest.RouteDestroySession)
						srv.Close()
						os.RemoveAll(dir)
						if err != nil {
							b.Fatal(err)
						}
						took += d
						calls += sc.calls
						b.StartTimer()
					}
					n := float64(b.N)
					b.ReportMetric(float64(tokens)/n, "token-requests/run")
					b.ReportMetric(float64(creates)/n, "session-creates/run")
					b.ReportMetric(float64(destroys)/n, "session-destroys/run")
					b.ReportMetric(float64(took.Microseconds())/1000/float64(calls), "ms/call")
				})
			}
		}
	}
}

// script runs n balance calls with c, one after another or all at once,
// and returns the sum of their times.
func script(c call, n int, parallel bool) (time.Duration, error) {
	one := func() (time.Duration, error) {
		start := time.Now()
		r, err := c.exec("api", "/account/1/balance")
		d := time.Since(start)
		if err == nil && (r.code != 0 || r.stdout != balanceBody) {
			err = fmt.Errorf("ibauth api: %s", r)
		}
		return d, err
	}
	var total time.Duration
	if !parallel {
		for range n {
			d, err := one()
			if err != nil {
				return 0, err
			}
			total += d
		}
		return total, nil
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for range n {
		wg.Go(func() {
			d, err := one()
			mu.Lock()
			defer mu.Unlock()
			total += d
			if first == nil {
				first = err
			}
		})
	}
	wg.Wait()
	return total, first
}
