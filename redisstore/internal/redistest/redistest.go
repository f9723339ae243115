// Package redistest starts real Redis servers for tests: redis-server on a
// free loopback port, with persistence off, stopped when the test ends;
// alone, or as the masters of a Redis Cluster.
package redistest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a redis-server process on 127.0.0.1.
type Server struct {
	Addr string

	tb   testing.TB
	dir  string
	args []string // beyond the defaults
	mu   sync.Mutex
	cmd  *exec.Cmd
}

// Start starts a Redis server for tb, stopped by tb's cleanup. Without
// redis-server on PATH the test is skipped, or fails when CI is set (CI
// must run these tests: .ci/run installs redis-server).
func Start(tb testing.TB) *Server {
	tb.Helper()
	need(tb)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return start(tb, addr)
}

func need(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatal("redis-server is not installed, and CI must run the Redis tests (.ci/run installs it)")
		}
		tb.Skip("redis-server is not installed (apt-get install redis-server); skipping the tests against a real Redis")
	}
}

func start(tb testing.TB, addr string, args ...string) *Server {
	tb.Helper()
	s := &Server{Addr: addr, tb: tb, dir: tb.TempDir(), args: args}
	s.Restart()
	tb.Cleanup(s.Stop)
	return s
}

// Restart starts the server again on the same address (empty: persistence
// is off) after Stop. It waits until the server answers.
func (s *Server) Restart() {
	s.tb.Helper()
	_, port, _ := net.SplitHostPort(s.Addr)
	cmd := exec.Command("redis-server", append([]string{
		"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", s.dir, "--loglevel", "warning", "--maxclients", "10000"}, s.args...)...)
	log, err := os.OpenFile(filepath.Join(s.dir, "redis.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		s.tb.Fatal(err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		s.tb.Fatal(err)
	}
	s.mu.Lock()
	s.cmd = cmd
	s.mu.Unlock()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.Stop()
			s.tb.Fatalf("redis-server on %s did not answer in 10 s: %v", s.Addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server (as a crash would) and waits for it to exit.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}

// Client returns a new client for the server, closed by the test's
// cleanup. Each replica in a test gets its own, so its own connections.
func (s *Server) Client(tb testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr, ContextTimeoutEnabled: true})
	tb.Cleanup(func() { c.Close() })
	return c
}

// Cluster is a Redis Cluster of masters on 127.0.0.1, without replicas.
type Cluster struct {
	Addrs   []string
	Masters []*Server
}

// StartCluster starts n masters with cluster mode on, gives each an equal
// share of the 16384 slots, joins them, and waits until every node reports
// cluster_state:ok and knows the whole layout. The nodes are stopped by
// tb's cleanup. Skipped, or failed under CI, as [Start].
func StartCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	need(tb)
	c := &Cluster{}
	for range n {
		addr := clusterAddr(tb)
		s := start(tb, addr, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
		c.Addrs = append(c.Addrs, addr)
		c.Masters = append(c.Masters, s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var nodes []*redis.Client
	for _, a := range c.Addrs {
		r := redis.NewClient(&redis.Options{Addr: a})
		defer r.Close()
		nodes = append(nodes, r)
	}
	const slots = 16384
	for i, r := range nodes {
		var own []int
		for slot := i * slots / n; slot < (i+1)*slots/n; slot++ {
			own = append(own, slot)
		}
		if err := r.ClusterAddSlots(ctx, own...).Err(); err != nil {
			tb.Fatalf("CLUSTER ADDSLOTS on %s: %v", c.Addrs[i], err)
		}
		// Distinct epochs spare the nodes a round of conflict resolution.
		if err := r.Do(ctx, "CLUSTER", "SET-CONFIG-EPOCH", i+1).Err(); err != nil {
			tb.Fatalf("CLUSTER SET-CONFIG-EPOCH on %s: %v", c.Addrs[i], err)
		}
	}
	// Every node meets every other, rather than learning of them by
	// gossip, which takes seconds.
	for i, r := range nodes {
		for j, a := range c.Addrs {
			if i == j {
				continue
			}
			host, port, _ := net.SplitHostPort(a)
			if err := r.ClusterMeet(ctx, host, port).Err(); err != nil {
				tb.Fatalf("CLUSTER MEET %s: %v", a, err)
			}
		}
	}
	// A node reports cluster_state:ok once it sees every slot served; a
	// master that starts, 2 s after it started at the earliest (Redis's
	// rejoin delay).
	for {
		ready := 0
		var last string
		for i, r := range nodes {
			info, err := r.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d\r\n", n)) {
				ready++
				continue
			}
			last = fmt.Sprintf("%s: %v %q", c.Addrs[i], err, info)
		}
		if ready == n {
			return c
		}
		select {
		case <-ctx.Done():
			tb.Fatalf("the cluster did not form in 20 s; %s", last)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// clusterAddr picks a free loopback address whose port, plus 10000 (the
// cluster bus), is free and valid too.
func clusterAddr(tb testing.TB) string {
	tb.Helper()
	for range 100 {
		port := 20000 + rand.N(35000) // bus port = port + 10000 <= 65000
		a, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		b, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+10000)))
		a.Close()
		if err != nil {
			continue
		}
		b.Close()
		return a.Addr().String()
	}
	tb.Fatal("no free pair of loopback ports for a cluster node")
	return ""
}

// Client returns a new cluster client, cold (it has not yet asked the
// cluster for its layout), closed by the test's cleanup.
func (c *Cluster) Client(tb testing.TB) *redis.ClusterClient {
	tb.Helper()
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs, ContextTimeoutEnabled: true})
	tb.Cleanup(func() { rdb.Close() })
	return rdb
}
