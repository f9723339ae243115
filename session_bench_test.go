package auth_test

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

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

// fakeToken returns the i-th of a run of distinct tokens shaped like
// Infobip's (a UUID). ResumeSession sends nothing, so none has to exist.
func fakeToken(i int) string {
	return fmt.Sprintf("5a0e6f4c-2b1d-4e8a-9c3f-%012d", i)
}

// sessionCost is what n sessions made by newSession cost.
type sessionCost struct {
	live       float64 // heap bytes retained per session, after GC
	allocated  float64 // bytes allocated per session, garbage included
	allocs     float64 // allocations per session
	ns         float64 // time to make one
	goroutines int     // goroutines alive with the sessions, minus before
}

// measureSessions makes n sessions and measures them. The heap they retain
// is the live heap while they are held minus the live heap once they are
// dropped, so whatever else the process keeps (a fake server's records,
// connections) cancels out.
func measureSessions(n int, newSession func(i int) (*auth.Session, error)) (sessionCost, error) {
	sessions := make([]*auth.Session, n)
	var before, made, held, dropped runtime.MemStats
	runtime.GC()
	goroutines := runtime.NumGoroutine()
	runtime.ReadMemStats(&before)
	start := time.Now()
	for i := range sessions {
		s, err := newSession(i)
		if err != nil {
			return sessionCost{}, err
		}
		sessions[i] = s
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&made)
	gc()
	runtime.ReadMemStats(&held)
	c := sessionCost{
		allocated:  float64(made.TotalAlloc-before.TotalAlloc) / float64(n),
		allocs:     float64(made.Mallocs-before.Mallocs) / float64(n),
		ns:         float64(elapsed.Nanoseconds()) / float64(n),
		goroutines: runtime.NumGoroutine() - goroutines,
	}
	runtime.KeepAlive(sessions)
	clear(sessions)
	gc()
	runtime.ReadMemStats(&dropped)
	c.live = (float64(held.HeapAlloc) - float64(dropped.HeapAlloc)) / float64(n)
	return c, nil
}

// gc collects twice: the second collection frees what the first moved to
// sync.Pool victim caches (the buffers of an HTTP exchange), which would
// otherwise count as retained.
func gc() {
	runtime.GC()
	runtime.GC()
}

// resumeFake returns a maker of n sessions resumed from fake tokens,
// formatted beforehand so that their making is not measured.
func resumeFake(cfg auth.LoginConfig, n int) func(int) (*auth.Session, error) {
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = fakeToken(i)
	}
	return func(i int) (*auth.Session, error) { return auth.ResumeSession(cfg, tokens[i]) }
}

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

// TestSessionIsCheap holds a Session to its budget: under 1 KiB of heap
// and no goroutine, however many are alive.
func TestSessionIsCheap(t *testing.T) {
	const n = 2000
	c, err := measureSessions(n, resumeFake(auth.LoginConfig{BaseURL: "https://api.infobip.com"}, n))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%.0f bytes per live session, %d goroutines for 2,000", c.live, c.goroutines)
	if c.live >= 1024 {
		t.Errorf("a live Session retains %.0f bytes, want under 1 KiB", c.live)
	}
	if c.goroutines > 0 {
		t.Errorf("2,000 sessions started %d goroutines, want none", c.goroutines)
	}
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
