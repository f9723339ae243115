package auth_test

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

const (
	stressWorkers = 50
	// stressSteps is how many requests each worker completes in each round.
	stressSteps = 6
)

// Forced expiries, in the order the stress test applies them.
const (
	expireRevoke  = "revoke"     // srv.Revoke(the current token)
	expireAll     = "expire all" // srv.ExpireAll()
	expireAdvance = "advance"    // srv.Advance past the credential's life
)

var stressRounds = []string{
	expireRevoke, expireAll, expireAdvance,
	expireAdvance, expireRevoke, expireAll,
	expireAll, expireAdvance, expireRevoke,
}

// pace lets each worker complete a given number of requests, then holds it
// until the controller allows more, so that the run is bounded in requests
// and every round ends with no request in flight.
type pace struct {
	mu      sync.Mutex
	cond    *sync.Cond
	allowed int64 // requests each worker may have completed
	stopped bool
}

func newPace() *pace {
	p := &pace{}
	p.cond = sync.NewCond(&p.mu)
	return p
}

// await blocks until a worker with n completed requests may send another;
// false means it must stop.
func (p *pace) await(n int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for n >= p.allowed && !p.stopped {
		p.cond.Wait()
	}
	return n < p.allowed
}

func (p *pace) set(f func(allowed int64) int64, stop bool) {
	p.mu.Lock()
	p.allowed = f(p.allowed)
	p.stopped = p.stopped || stop
	p.mu.Unlock()
	p.cond.Broadcast()
}

func (p *pace) limit() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.allowed
}

// stressWorker is one goroutine's account of its requests.
type stressWorker struct {
	done   atomic.Int64 // requests answered 200
	exited atomic.Bool
	closed int      // requests refused with ErrClosed (then it stops)
	lost   []string // anything else (then it stops)
}

// stressTest drives a through a Transport from stressWorkers goroutines
// while forced expiries replace its credential, then closes it (with
// closeFn) or stops. It returns the wire record and the workers' accounts.
func stressTest(t *testing.T, srv *authtest.Server, a auth.Authenticator, fetchRoute string, advance time.Duration,
	closeFn func(context.Context) error) (*wireSpy, []*stressWorker) {
	base := httpBase(t)
	base.MaxIdleConnsPerHost = stressWorkers
	spy := &wireSpy{base: base}
	c := &http.Client{Transport: newTransport(t, srv.URL, a, spy)}
	// A safety net, not a measurement: a stuck run fails instead of hanging.
	ctx, cancel := context.WithTimeout(t.Context(), 45*time.Second)
	p := newPace()
	workers := make([]*stressWorker, stressWorkers)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		p.set(func(n int64) int64 { return n }, true)
		cancel()
		wg.Wait()
	})
	for i := range workers {
		w := &stressWorker{}
		workers[i] = w
		wg.Go(func() {
			defer w.exited.Store(true)
			for p.await(w.done.Load()) {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/account/1/balance", nil)
				if err != nil {
					w.lost = append(w.lost, err.Error())
					return
				}
				req.Header.Set("X-Worker", strconv.Itoa(i))
				resp, err := c.Do(req)
				switch {
				case err == nil:
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						w.done.Add(1)
						continue
					}
					w.lost = append(w.lost, resp.Status)
				case errors.Is(err, auth.ErrClosed):
					w.closed++
				default:
					w.lost = append(w.lost, err.Error())
				}
				return
			}
		})
	}

	// settle lets every worker complete stressSteps more requests and waits
	// until they all have (or stopped).
	settle := func() {
		p.set(func(n int64) int64 { return n + stressSteps }, false)
		limit := p.limit()
		require.Eventually(t, func() bool {
			for _, w := range workers {
				if w.done.Load() < limit && !w.exited.Load() {
					return false
				}
			}
			return true
		}, 30*time.Second, time.Millisecond)
		for i, w := range workers {
			if w.exited.Load() {
				t.Fatalf("worker %d stopped: %v", i, w.lost)
			}
		}
	}

	settle()
	require.Equal(t, 1, srv.Count(fetchRoute))
	for round, kind := range stressRounds {
		current, err := a.Authorization(ctx)
		require.NoError(t, err)
		// Expire while the workers run, so requests are in flight with the
		// dying credential.
		p.set(func(n int64) int64 { return n + stressSteps }, false)
		switch kind {
		case expireRevoke:
			srv.Revoke(current[strings.IndexByte(current, ' ')+1:])
		case expireAll:
			srv.ExpireAll()
		case expireAdvance:
			srv.Advance(advance)
		}
		settle()
		for srv.Count(fetchRoute) < round+2 {
			settle() // every request finished before the expiry: send more
		}
		require.Equal(t, round+2, srv.Count(fetchRoute), "round %d (%s): one fetch per forced expiry", round+1, kind)
	}

	if closeFn != nil {
		p.set(func(n int64) int64 { return n + stressSteps }, false)
		require.NoError(t, closeFn(ctx))
		p.set(func(int64) int64 { return math.MaxInt64 }, false) // until ErrClosed
	} else {
		p.set(func(n int64) int64 { return n }, true)
	}
	wg.Wait()
	cancel()
	return spy, workers
}

// checkStressWire checks what went over the wire in a stress run: the
// server saw exactly what the workers sent, and no worker sent a request
// with a credential that had already been refused to it.
func checkStressWire(t *testing.T, srv *authtest.Server, spy *wireSpy) {
	t.Helper()
	sent := spy.records()
	seen := srv.Requests(authtest.RouteBalance)
	require.Len(t, seen, len(sent), "every request sent arrived, and nothing else")
	byWorker := map[string][]wireRecord{}
	for _, r := range sent {
		byWorker[r.Worker] = append(byWorker[r.Worker], r)
	}
	arrived := map[string][]string{}
	for _, r := range seen {
		w := r.Header.Get("X-Worker")
		arrived[w] = append(arrived[w], r.Header.Get("Authorization"))
	}
	require.Len(t, byWorker, stressWorkers)
	rejected := map[string]int{} // credential -> 401 answers
	for w, recs := range byWorker {
		var headers []string
		refused := map[string]bool{}
		for i, r := range recs {
			require.Len(t, r.Authorization, 1, "worker %s request %d", w, i)
			h := r.Authorization[0]
			headers = append(headers, h)
			require.False(t, refused[h], "worker %s sent a credential already refused to it (request %d)", w, i)
			switch r.Status {
			case http.StatusOK:
			case http.StatusUnauthorized:
				refused[h] = true
				rejected[h]++
			default:
				t.Fatalf("worker %s request %d: status %d", w, i, r.Status)
			}
		}
		require.Equal(t, arrived[w], headers, "worker %s: the server saw what was sent, in order", w)
	}
	for h, n := range rejected {
		require.LessOrEqual(t, n, stressWorkers, "credential %s refused more often than there are workers", h[:10])
	}
	// Revoke and ExpireAll rounds end only through a 401.
	require.GreaterOrEqual(t, len(rejected), 6)
}

// requireStressRun checks what every stress run must show: no worker lost a
// request, each ended on ErrClosed closedEach times, all did their steps,
// and fetchRoute saw one fetch per forced expiry plus the first, each
// reported without error. It returns the fetches counted by reason.
func requireStressRun(t *testing.T, srv *authtest.Server, workers []*stressWorker, ev *events, fetchRoute string, closedEach int) map[string]int {
	t.Helper()
	for i, w := range workers {
		require.Empty(t, w.lost, "worker %d", i)
		require.Equal(t, closedEach, w.closed, "worker %d: requests refused with ErrClosed", i)
		require.GreaterOrEqual(t, w.done.Load(), int64(stressSteps*(len(stressRounds)+1)), "worker %d", i)
	}
	fetches := len(stressRounds) + 1
	require.Equal(t, fetches, srv.Count(fetchRoute), "one fetch per forced expiry, plus the first")
	evs := ev.wait(t, fetches)
	require.Len(t, evs, fetches)
	for _, e := range evs {
		require.NoError(t, e.Err)
	}
	reasons := countReasons(evs)
	require.Equal(t, 1, reasons["initial"])
	return reasons
}

func countReasons(evs []auth.RefreshEvent) map[string]int {
	n := map[string]int{}
	for _, e := range evs {
		n[e.Reason]++
	}
	return n
}

func TestStressIBSSO(t *testing.T) {
	verifyNoLeaks(t)
	srv := setup(t)
	s, ev := newIBSSO(t, srv)
	spy, workers := stressTest(t, srv, s, authtest.RouteCreateSession, 61*time.Minute, s.Close)

	reasons := requireStressRun(t, srv, workers, ev, authtest.RouteCreateSession, 1)
	require.Equal(t, len(stressRounds)+1, reasons["initial"]+reasons["renew"]+reasons["idle"], "%v", reasons)
	// An idle or refused session is destroyed before its replacement is
	// created; Close destroys the last one.
	require.Equal(t, reasons["idle"]+reasons["renew"]+1, srv.Count(authtest.RouteDestroySession), "%v", reasons)
	require.Equal(t, 0, srv.ActiveSessions())
	checkStressWire(t, srv, spy)
}

func TestStressOAuth(t *testing.T) {
	verifyNoLeaks(t)
	srv := setup(t)
	b, ev := newOAuth(t, srv)
	spy, workers := stressTest(t, srv, b, authtest.RouteToken, 2*time.Hour+time.Minute, nil)

	reasons := requireStressRun(t, srv, workers, ev, authtest.RouteToken, 0)
	require.Equal(t, len(stressRounds)+1, reasons["initial"]+reasons["renew"]+reasons["expired"], "no proactive refresh: %v", reasons)
	checkStressWire(t, srv, spy)
}
