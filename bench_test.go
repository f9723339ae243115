package auth_test

// Benchmarks that compare this package with golang.org/x/oauth2, side by
// side in one run, and, after them, those of end users' sessions.
// BENCHMARKS.md has the commands, the machine and the results, and says what
// each number means.
//
//	BenchmarkOverhead            per-request cost over a no-op base RoundTripper
//	BenchmarkOverheadParallel    the same from many goroutines (run with -cpu 1,2,4)
//	BenchmarkCredentialParallel  the credential lookup alone, from many goroutines
//	BenchmarkRefreshStorm        1,000 goroutines meet an expired token
//	BenchmarkExpiryUnderLoad     steady traffic across a token's expiry, 100 ms fetches
//	BenchmarkLoopback            end to end over a real http.Transport on loopback
//
// Every benchmark stops what it starts: servers, idle connections and
// background fetches end before it returns (TestMain runs goleak).

import (
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

// benchSmoke reports whether this is a smoke run (-benchtime=1x, as CI
// runs every benchmark, or -short): the scenarios that take seconds then
// run a short version that exercises the same code.
func benchSmoke() bool {
	if testing.Short() {
		return true
	}
	f := flag.Lookup("test.benchtime")
	return f != nil && f.Value.String() == "1x"
}

// benchCanned is a no-op base RoundTripper: it closes the request body, as
// a RoundTripper must, and returns one canned response. It costs nothing
// and allocates nothing, so what a benchmark measures over it is the
// wrapper's own cost.
type benchCanned struct{ resp *http.Response }

func newBenchCanned() *benchCanned {
	return &benchCanned{resp: &http.Response{
		Status:     "200 OK",
		StatusCode: http.StatusOK,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     http.Header{},
		Body:       http.NoBody,
	}}
}

func (c *benchCanned) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	return c.resp, nil
}

// benchClone is the floor for any RoundTripper that adds a header: the
// RoundTripper contract forbids modifying the caller's request, so it sends
// a shallow copy with its own header map carrying a constant Authorization
// value. That is three allocations: the request (with the value's one-
// element backing array in the same block), the map and the map's first
// group of slots. It is what auth.Transport does minus the origin check
// and the credential lookup.
type benchClone struct {
	base   http.RoundTripper
	header string
}

func (c *benchClone) RoundTrip(req *http.Request) (*http.Response, error) {
	r := &struct {
		req   http.Request
		value [1]string
	}{req: *req}
	r.value[0] = c.header
	h := make(http.Header, len(req.Header)+1)
	for k, v := range req.Header {
		h[k] = v
	}
	h["Authorization"] = r.value[:]
	r.req.Header = h
	return c.base.RoundTrip(&r.req)
}

// benchSource is an oauth2.TokenSource that returns a copy of a long-lived
// token: the token source behind x/oauth2's ReuseTokenSource when the
// cached token never expires during the benchmark.
type benchSource struct {
	mu    sync.Mutex
	tok   oauth2.Token
	calls int
}

func (s *benchSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	t := s.tok
	return &t, nil
}

func (s *benchSource) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

type benchCase struct {
	name string
	rt   http.RoundTripper
	// lookup gets the credential alone, as the RoundTripper does: an
	// Authenticator's Authorization or a TokenSource's Token. Nil for the
	// floors.
	lookup func() error
}

// overheadCases returns the per-request contenders, every one wrapping the
// same no-op base and ready with a cached credential, and the request they
// all send: a GET for the base URL with two typical headers.
func overheadCases(b *testing.B) ([]benchCase, *http.Request) {
	b.Helper()
	srv := setup(b)
	ctx := context.Background()
	base := newBenchCanned()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/account/1/balance", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "ibkit-bench/1")

	ours := func(a auth.Authenticator) http.RoundTripper {
		t, err := auth.NewTransport(srv.URL, a, base)
		if err != nil {
			b.Fatal(err)
		}
		return t
	}
	key, err := auth.NewAPIKey(authtest.APIKey)
	if err != nil {
		b.Fatal(err)
	}
	basic, err := auth.NewBasic(authtest.Username, authtest.Password)
	if err != nil {
		b.Fatal(err)
	}
	// IBSSO and Bearer with the real clock (time.Now, the default), as in
	// production; the session and token are fetched here, before the
	// timer starts, and stay valid for the whole run.
	sso, err := auth.NewIBSSO(auth.IBSSOConfig{BaseURL: srv.URL, Username: authtest.Username,
		Password: authtest.Password, HTTPClient: srv.Client()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sso.Close(ctx) })
	if _, err := sso.Authorization(ctx); err != nil {
		b.Fatal(err)
	}
	bearer, err := auth.NewOAuth(auth.OAuthConfig{BaseURL: srv.URL, ClientID: authtest.ClientID,
		ClientSecret: authtest.ClientSecret, HTTPClient: srv.Client()})
	if err != nil {
		b.Fatal(err)
	}
	header, err := bearer.Authorization(ctx)
	if err != nil {
		b.Fatal(err)
	}
	raw := header[len("Bearer "):]

	// x/oauth2 with the same token: a StaticTokenSource (no expiry, no
	// lock), and a ReuseTokenSource over a source of long-lived tokens
	// (what clientcredentials.Config.Client uses), primed before the timer.
	static := &oauth2.Transport{Base: base, Source: oauth2.StaticTokenSource(
		&oauth2.Token{AccessToken: raw, TokenType: "Bearer"})}
	src := &benchSource{tok: oauth2.Token{AccessToken: raw, TokenType: "Bearer",
		Expiry: time.Now().Add(24 * time.Hour)}}
	reuse := &oauth2.Transport{Base: base, Source: oauth2.ReuseTokenSource(nil, src)}
	if _, err := reuse.Source.Token(); err != nil {
		b.Fatal(err)
	}

	authz := func(a auth.Authenticator) func() error {
		return func() error { _, err := a.Authorization(ctx); return err }
	}
	token := func(ts oauth2.TokenSource) func() error {
		return func() error { _, err := ts.Token(); return err }
	}
	return []benchCase{
		{"floor-direct", base, nil},
		{"floor-clone", &benchClone{base: base, header: header}, nil},
		{"App", ours(key), authz(key)},
		{"Basic", ours(basic), authz(basic)},
		{"IBSSO", ours(sso), authz(sso)},
		{"Bearer", ours(bearer), authz(bearer)},
		{"oauth2-Static", static, token(static.Source)},
		{"oauth2-Reuse", reuse, token(reuse.Source)},
	}, req
}

// BenchmarkOverhead measures what authenticating one request costs over a
// base RoundTripper that does nothing: ns/op, B/op and allocs/op.
func BenchmarkOverhead(b *testing.B) {
	cases, req := overheadCases(b)
	for _, c := range cases {
		b.Run("impl="+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.rt.RoundTrip(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOverheadParallel is BenchmarkOverhead from GOMAXPROCS goroutines
// at once; run it with -cpu 1,2,4. A cached credential that scales keeps
// ns/op from growing with the goroutines beyond what the cores allow.
func BenchmarkOverheadParallel(b *testing.B) {
	cases, req := overheadCases(b)
	for _, c := range cases {
		b.Run("impl="+c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := c.rt.RoundTrip(req); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkCredentialParallel isolates the credential lookup inside the
// RoundTripper, from GOMAXPROCS goroutines and without the request copy
// whose allocations dominate BenchmarkOverheadParallel: our Authorization
// (an atomic load and a clock read for IBSSO and Bearer) against x/oauth2's
// TokenSource.Token (ReuseTokenSource: a mutex and a clock read).
func BenchmarkCredentialParallel(b *testing.B) {
	cases, _ := overheadCases(b)
	for _, c := range cases {
		if c.lookup == nil {
			continue
		}
		b.Run("impl="+c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := c.lookup(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// stormTimer measures a storm from the first caller's start to the last
// caller's return.
type stormTimer struct{ first, last atomic.Int64 }

func (s *stormTimer) reset() {
	s.first.Store(1<<63 - 1)
	s.last.Store(0)
}

// wrap times get. A failing endpoint is part of some scenarios, so an error
// is counted as the result "error", not as a failure of the benchmark.
func (s *stormTimer) wrap(get func() (string, error)) func() (string, error) {
	return func() (string, error) {
		storeMin(&s.first, time.Now().UnixNano())
		h, err := get()
		storeMax(&s.last, time.Now().UnixNano())
		if err != nil {
			return "error", nil
		}
		return h, nil
	}
}

func (s *stormTimer) elapsed() time.Duration { return time.Duration(s.last.Load() - s.first.Load()) }

func storeMin(a *atomic.Int64, v int64) {
	for old := a.Load(); v < old; old = a.Load() {
		if a.CompareAndSwap(old, v) {
			return
		}
	}
}

func storeMax(a *atomic.Int64, v int64) {
	for old := a.Load(); v > old; old = a.Load() {
		if a.CompareAndSwap(old, v) {
			return
		}
	}
}

// BenchmarkRefreshStorm releases 1,000 goroutines (the storm helper of
// helpers_test.go) at a token that has just expired, and reports the token
// requests they made (fetches/op) and the time from the first caller's
// start until the last had its token or error (ns-until-all/op). ns/op adds
// starting the 1,000 goroutines.
//
//   - endpoint=authtest: the token endpoint is the fake Infobip server on
//     loopback. Ours: NewOAuth. x/oauth2: ReuseTokenSource over
//     clientcredentials.Config.TokenSource, primed with an expired token.
//   - endpoint=source: no HTTP, a counting TokenSource, to isolate the
//     synchronisation. Ours: NewBearer over it.
//   - endpoint=failing: the token endpoint answers 500. Ours shares the one
//     failed fetch among all callers; x/oauth2's mutex shares only a
//     success, so each caller in turn makes its own request.
func BenchmarkRefreshStorm(b *testing.B) {
	const n = 1000
	ctx := context.Background()
	e500 := authtest.Fault{Status: http.StatusInternalServerError,
		Body: `{"errorCode":"E500","description":"Internal server error"}`}

	// run does b.N storms. prepare readies one (untimed) and returns the
	// call every goroutine makes; fetches counts token requests so far.
	run := func(b *testing.B, prepare func() func() (string, error), fetches func() int) {
		b.ReportAllocs()
		var (
			st    stormTimer
			total time.Duration
			made  int
		)
		for range b.N {
			b.StopTimer()
			get := prepare()
			before := fetches()
			st.reset()
			b.StartTimer()
			results := storm(b, n, st.wrap(get))
			b.StopTimer()
			total += st.elapsed()
			made += fetches() - before
			if len(results) != 1 {
				b.Fatalf("callers got %d different results, want 1: %v", len(results), results)
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(made)/float64(b.N), "fetches/op")
		b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns-until-all/op")
	}
	expired := func() *oauth2.Token {
		return &oauth2.Token{AccessToken: "expired", TokenType: "Bearer", Expiry: time.Now().Add(-time.Hour)}
	}
	reuseGet := func(ts oauth2.TokenSource) func() (string, error) {
		return func() (string, error) {
			t, err := ts.Token()
			if err != nil {
				return "", err
			}
			return t.AccessToken, nil
		}
	}
	// primed returns a Bearer's Authorization after fetching its first
	// token and moving clock past its expiry, so that every caller of the
	// storm finds it expired.
	primed := func(b *testing.B, a *auth.Bearer, advance func(time.Duration)) func() (string, error) {
		if _, err := a.Authorization(ctx); err != nil {
			b.Fatal(err)
		}
		advance(3 * time.Hour)
		return func() (string, error) { return a.Authorization(ctx) }
	}

	for _, failing := range []bool{false, true} {
		name := "endpoint=authtest"
		if failing {
			name = "endpoint=failing"
		}
		b.Run(name+"/impl=Bearer", func(b *testing.B) {
			srv := setup(b)
			run(b, func() func() (string, error) {
				srv.ClearFaults()
				a, err := auth.NewOAuth(auth.OAuthConfig{BaseURL: srv.URL, ClientID: authtest.ClientID,
					ClientSecret: authtest.ClientSecret, HTTPClient: srv.Client(), Now: srv.Now})
				if err != nil {
					b.Fatal(err)
				}
				get := primed(b, a, srv.Advance)
				if failing {
					srv.Fail(authtest.RouteToken, e500)
				}
				return get
			}, func() int { return srv.Count(authtest.RouteToken) })
		})
		b.Run(name+"/impl=oauth2-Reuse", func(b *testing.B) {
			srv := setup(b)
			if failing {
				srv.Fail(authtest.RouteToken, e500)
			}
			cc := &clientcredentials.Config{ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret,
				TokenURL: srv.URL + "/auth/1/oauth2/token", AuthStyle: oauth2.AuthStyleInParams}
			src := cc.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, srv.Client()))
			run(b, func() func() (string, error) {
				// ReuseTokenSource unwraps src (itself a ReuseTokenSource)
				// and keeps the expired token in front of its fetcher.
				return reuseGet(oauth2.ReuseTokenSource(expired(), src))
			}, func() int { return srv.Count(authtest.RouteToken) })
		})
	}

	b.Run("endpoint=source/impl=Bearer", func(b *testing.B) {
		srv := setup(b) // only for its clock
		src := &countingSource{tok: (&oauth2.Token{AccessToken: "from-source", TokenType: "Bearer"}).
			WithExtra(map[string]any{"expires_in": float64(7200)})}
		run(b, func() func() (string, error) {
			a, err := auth.NewBearer(src, auth.BearerOptions{Now: srv.Now})
			if err != nil {
				b.Fatal(err)
			}
			return primed(b, a, srv.Advance)
		}, src.calls)
	})
	b.Run("endpoint=source/impl=oauth2-Reuse", func(b *testing.B) {
		src := &benchSource{tok: oauth2.Token{AccessToken: "from-source", TokenType: "Bearer",
			Expiry: time.Now().Add(24 * time.Hour)}}
		run(b, func() func() (string, error) {
			return reuseGet(oauth2.ReuseTokenSource(expired(), src))
		}, src.count)
	})
}

// BenchmarkExpiryUnderLoad sends steady traffic (2,000 requests/s, each in
// its own goroutine, as a server handles incoming work) through a transport
// while its token expires, with a token endpoint that takes 100 ms. It
// reports the latency of those requests (p50-ns, p99-ns, max-ns), how many
// waited for a fetch (latency over 50 ms: "waited"), how many were sent
// ("requests") and the token requests made during the load ("fetches").
//
// Both sides use the real clock and tokens with expires_in 12 s. x/oauth2
// treats a token as expired 10 s early, so its token is good for about 2 s;
// then the caller that finds it expired fetches while holding the
// ReuseTokenSource mutex and every request arriving meanwhile waits. Ours
// refreshes in the background inside its window while requests keep the
// current token. RefreshBefore is set to 9 s, which the cache caps at half
// the token's usable life (the refresh starts 5.4 s after the fetch), only so
// that the run takes seconds; the default window (a quarter of the lifetime)
// works the same way, later. The load stops 400 ms after the second token
// request.
//
// Each iteration is one such run (2.5 to 6 s). In a smoke run it is 100 ms
// of load, with no expiry.
func BenchmarkExpiryUnderLoad(b *testing.B) {
	const (
		lifetime   = 12 * time.Second
		fetchDelay = 100 * time.Millisecond
		interval   = 500 * time.Microsecond // 2,000 requests/s
		waitedOver = 50 * time.Millisecond
		maxLoad    = 8 * time.Second
	)
	ctx := context.Background()
	smoke := benchSmoke()

	run := func(b *testing.B, newRT func(srv *authtest.Server) http.RoundTripper) {
		var lat []time.Duration
		var fetches, nreq int
		for range b.N {
			b.StopTimer()
			srv := authtest.NewServer()
			b.Cleanup(srv.Close) // if the benchmark fails before the Close below
			srv.SetTokenLifetime(lifetime)
			srv.Fail(authtest.RouteToken, authtest.Fault{Delay: fetchDelay})
			rt := newRT(srv)
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/account/1/balance", nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := rt.RoundTrip(req); err != nil { // the first token
				b.Fatal(err)
			}
			b.StartTimer()
			l, f := expiryLoad(b, rt, req, interval, maxLoad, smoke, func() int { return srv.Count(authtest.RouteToken) - 1 })
			b.StopTimer()
			srv.Close() // ends a background fetch, if one is in flight
			lat = append(lat, l...)
			fetches += f
			nreq += len(l)
			if !smoke && f < 1 {
				b.Errorf("no token request during %v of load", maxLoad)
			}
		}
		slices.Sort(lat)
		below, _ := slices.BinarySearch(lat, waitedOver)
		waited := len(lat) - below
		b.ReportMetric(float64(lat[len(lat)/2]), "p50-ns")
		b.ReportMetric(float64(lat[len(lat)*99/100]), "p99-ns")
		b.ReportMetric(float64(lat[len(lat)-1]), "max-ns")
		b.ReportMetric(float64(waited)/float64(b.N), "waited")
		b.ReportMetric(float64(nreq)/float64(b.N), "requests")
		b.ReportMetric(float64(fetches)/float64(b.N), "fetches")
	}

	b.Run("impl=Bearer", func(b *testing.B) {
		run(b, func(srv *authtest.Server) http.RoundTripper {
			refresh := 9 * time.Second
			if smoke {
				refresh = 0
			}
			a, err := auth.NewOAuth(auth.OAuthConfig{BaseURL: srv.URL, ClientID: authtest.ClientID,
				ClientSecret: authtest.ClientSecret, HTTPClient: srv.Client(), RefreshBefore: refresh})
			if err != nil {
				b.Fatal(err)
			}
			t, err := auth.NewTransport(srv.URL, a, newBenchCanned())
			if err != nil {
				b.Fatal(err)
			}
			return t
		})
	})
	b.Run("impl=oauth2-Reuse", func(b *testing.B) {
		run(b, func(srv *authtest.Server) http.RoundTripper {
			cc := &clientcredentials.Config{ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret,
				TokenURL: srv.URL + "/auth/1/oauth2/token", AuthStyle: oauth2.AuthStyleInParams}
			return &oauth2.Transport{Base: newBenchCanned(),
				Source: cc.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, srv.Client()))}
		})
	})
}

// expiryLoad starts one request every interval, each in a new goroutine,
// until 400 ms after the second token request (fetches() >= 1), or maxLoad,
// or 100 ms in a smoke run. It waits for every request and returns their
// latencies and the token requests made.
func expiryLoad(b *testing.B, rt http.RoundTripper, req *http.Request, interval, maxLoad time.Duration,
	smoke bool, fetches func() int) ([]time.Duration, int) {
	capacity := int(maxLoad/interval) + 1
	lat := make([]time.Duration, capacity)
	var (
		wg     sync.WaitGroup
		failed atomic.Int32
	)
	start := time.Now()
	stopAt := start.Add(maxLoad)
	if smoke {
		stopAt = start.Add(100 * time.Millisecond)
	}
	n := 0
	for ; n < capacity; n++ {
		next := start.Add(time.Duration(n) * interval)
		if !next.Before(stopAt) {
			break
		}
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		if !smoke && n%20 == 0 && fetches() >= 1 && time.Until(stopAt) > 400*time.Millisecond {
			stopAt = time.Now().Add(400 * time.Millisecond)
		}
		i := n
		wg.Go(func() {
			t0 := time.Now()
			if _, err := rt.RoundTrip(req); err != nil {
				failed.Add(1)
			}
			lat[i] = time.Since(t0)
		})
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		b.Errorf("%d requests failed", f)
	}
	return lat[:n], fetches()
}

// BenchmarkLoopback sends real requests over loopback to an httptest
// server through an http.Transport, bare and wrapped, from GOMAXPROCS
// goroutines. ns/op is the inverse of throughput; the wrapped rows should
// be within noise of the bare one.
func BenchmarkLoopback(b *testing.B) {
	ctx := context.Background()
	body := []byte(`{"balance":42.5,"currency":"EUR"}`)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	b.Cleanup(api.Close)
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = 64
	b.Cleanup(base.CloseIdleConnections)

	tokens := setup(b)
	oauth, err := auth.NewOAuth(auth.OAuthConfig{BaseURL: tokens.URL, ClientID: authtest.ClientID,
		ClientSecret: authtest.ClientSecret, HTTPClient: tokens.Client()})
	if err != nil {
		b.Fatal(err)
	}
	// The API is another server than the token endpoint: a Bearer over the
	// OAuth one's tokens, with no base URL of its own, may serve it.
	bearer, err := auth.NewBearer(oauth.TokenSource(), auth.BearerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := bearer.Authorization(ctx); err != nil {
		b.Fatal(err)
	}
	key, err := auth.NewAPIKey(authtest.APIKey)
	if err != nil {
		b.Fatal(err)
	}
	ours := func(a auth.Authenticator) http.RoundTripper {
		t, err := auth.NewTransport(api.URL, a, base)
		if err != nil {
			b.Fatal(err)
		}
		return t
	}
	reuse := &oauth2.Transport{Base: base, Source: oauth2.ReuseTokenSource(nil, &benchSource{
		tok: oauth2.Token{AccessToken: "loopback-token", TokenType: "Bearer", Expiry: time.Now().Add(24 * time.Hour)}})}

	for _, c := range []benchCase{
		{"bare", base, nil},
		{"App", ours(key), nil},
		{"Bearer", ours(bearer), nil},
		{"oauth2-Reuse", reuse, nil},
	} {
		b.Run("impl="+c.name, func(b *testing.B) {
			b.ReportAllocs()
			client := &http.Client{Transport: c.rt}
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, err := http.NewRequestWithContext(ctx, http.MethodGet, api.URL+"/account/1/balance", nil)
					if err != nil {
						b.Error(err)
						return
					}
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					if _, err := io.Copy(io.Discard, resp.Body); err != nil {
						b.Error(err)
					}
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Error(errors.New(resp.Status))
						return
					}
				}
			})
		})
	}
}

// Benchmarks of end users' sessions (Login, ResumeSession, Session): what
// a live session costs in memory, what its Authorization costs, and 1,000
// users sharing one client against one client per user. BENCHMARKS.md,
// section "End-user sessions", has the command and the results.
//
//	BenchmarkSessionMemory         heap retained per live Session, and goroutines
//	BenchmarkSessionAuthorization  the header lookup of a live Session, serial and parallel
//	BenchmarkManyUsersOneClient    1,000 users, one client, WithAuthenticator per request
//	BenchmarkOneClientPerUser      1,000 users, one client each
//
// All four are quick under -benchtime=1x (CI's smoke run).

// BenchmarkSessionMemory measures a live Session: the heap it retains
// (live-B/session) and the goroutines it keeps (goroutines/session). An
// op is one session: ns/op, B/op and allocs/op are per session made.
// ResumeSession sends nothing; Login signs in against authtest on
// loopback, so its B/op and allocs/op include the HTTP exchange and the
// fake server's handling, but its live-B/session is the Session alone.
func BenchmarkSessionMemory(b *testing.B) {
	resumeN, loginN := 10000, 1000
	if benchSmoke() {
		resumeN, loginN = 1000, 50
	}
	b.Run("ResumeSession", func(b *testing.B) {
		cfg := auth.LoginConfig{BaseURL: "https://api.infobip.com"}
		benchSessionMemory(b, resumeN, resumeFake(cfg, resumeN))
	})
	b.Run("Login", func(b *testing.B) {
		srv := setup(b)
		cfg := auth.LoginConfig{BaseURL: srv.URL, HTTPClient: srv.Client()}
		users := make([]string, loginN)
		for i := range users {
			users[i] = "user" + strconv.Itoa(i)
			srv.AddUser(users[i], users[i]+"-password")
		}
		// One sign-in first, so that the connection (and its goroutines)
		// exists before anything is counted.
		warm, err := auth.Login(context.Background(), cfg, authtest.Username, authtest.Password)
		if err != nil {
			b.Fatal(err)
		}
		defer warm.Logout(context.Background())
		benchSessionMemory(b, loginN, func(i int) (*auth.Session, error) {
			return auth.Login(context.Background(), cfg, users[i], users[i]+"-password")
		})
	})
}

func benchSessionMemory(b *testing.B, n int, newSession func(int) (*auth.Session, error)) {
	var sum sessionCost
	runs := 0
	for b.Loop() {
		c, err := measureSessions(n, newSession)
		if err != nil {
			b.Fatal(err)
		}
		sum.live += c.live
		sum.allocated += c.allocated
		sum.allocs += c.allocs
		sum.ns += c.ns
		sum.goroutines = max(sum.goroutines, c.goroutines)
		runs++
	}
	r := float64(runs)
	b.ReportMetric(sum.ns/r, "ns/op")
	b.ReportMetric(sum.allocated/r, "B/op")
	b.ReportMetric(sum.allocs/r, "allocs/op")
	b.ReportMetric(sum.live/r, "live-B/session")
	b.ReportMetric(float64(sum.goroutines)/float64(n), "goroutines/session")
}

// BenchmarkSessionAuthorization is the cost of a live Session's header on
// every request: an atomic load and a clock read, no lock, no allocation.
// The session comes from Login against authtest and uses the real clock,
// as in production.
func BenchmarkSessionAuthorization(b *testing.B) {
	srv := setup(b)
	s, err := auth.Login(context.Background(), auth.LoginConfig{BaseURL: srv.URL, HTTPClient: srv.Client()}, authtest.Username, authtest.Password)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Logout(context.Background())
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Authorization(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Authorization(ctx); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// users is how many end users the client benchmarks serve.
const users = 1000

// benchUsers returns users resumed sessions (fake tokens: the base
// RoundTripper answers without a network) for baseURL.
func benchUsers(b *testing.B, baseURL string) []*auth.Session {
	b.Helper()
	sessions := make([]*auth.Session, users)
	cfg := auth.LoginConfig{BaseURL: baseURL}
	for i := range sessions {
		s, err := auth.ResumeSession(cfg, fakeToken(i))
		if err != nil {
			b.Fatal(err)
		}
		sessions[i] = s
	}
	return sessions
}

// benchUserRequests sends requests for 1,000 users in turn through
// clientFor(i) with ctxFor(i), and reports per-request costs. Each request
// is built as a handler builds it: http.NewRequestWithContext.
func benchUserRequests(b *testing.B, url string, clientFor func(i int) *http.Client, ctxFor func(i int) context.Context) {
	b.Helper()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		u := i % users
		i++
		req, err := http.NewRequestWithContext(ctxFor(u), http.MethodGet, url, nil)
		if err != nil {
			b.Fatal(err)
		}
		resp, err := clientFor(u).Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
}

// retained returns the heap that make's result retains, per user.
func retained(make func() any) float64 {
	var before, after runtime.MemStats
	gc()
	runtime.ReadMemStats(&before)
	v := make()
	gc()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	return (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / users
}

// BenchmarkManyUsersOneClient: 1,000 users share one client
// (auth.NewClient with no authenticator); each request carries its user's
// Session (auth.WithAuthenticator). The base RoundTripper is a no-op that
// answers a canned 200, so what is measured is the client's own cost.
// client-B/user is the heap the client takes, per user.
func BenchmarkManyUsersOneClient(b *testing.B) {
	const baseURL = "https://api.infobip.com"
	sessions := benchUsers(b, baseURL)
	base := newBenchCanned()
	var c *http.Client
	perUser := retained(func() any {
		var err error
		c, err = auth.NewClient(baseURL, nil, &http.Client{Transport: base})
		if err != nil {
			b.Fatal(err)
		}
		return c
	})
	ctx := context.Background()
	benchUserRequests(b, baseURL+"/account/1/balance",
		func(int) *http.Client { return c },
		func(i int) context.Context { return auth.WithAuthenticator(ctx, sessions[i]) })
	b.ReportMetric(perUser, "client-B/user")
}

// BenchmarkOneClientPerUser: the same 1,000 users, each with a client of
// their own (auth.NewClient with the user's Session).
func BenchmarkOneClientPerUser(b *testing.B) {
	const baseURL = "https://api.infobip.com"
	sessions := benchUsers(b, baseURL)
	base := newBenchCanned()
	var clients []*http.Client
	perUser := retained(func() any {
		clients = make([]*http.Client, users)
		for i, s := range sessions {
			c, err := auth.NewClient(baseURL, s, &http.Client{Transport: base})
			if err != nil {
				b.Fatal(err)
			}
			clients[i] = c
		}
		return clients
	})
	ctx := context.Background()
	benchUserRequests(b, baseURL+"/account/1/balance",
		func(i int) *http.Client { return clients[i] },
		func(int) context.Context { return ctx })
	b.ReportMetric(perUser, "client-B/user")
}
