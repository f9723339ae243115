package redisstore_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/internal/testkit"
)

// Replicas as separate OS processes: the program in internal/replica,
// built by the test, run several times against one fake Infobip server and
// one Redis.

// buildReplica builds the replica program once per test binary run.
func buildReplica(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "replica")
	cmd := exec.Command("go", "build", "-o", bin, "./internal/replica")
	cmd.Env = os.Environ()
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// startReplica starts one replica; it is killed when the test ends.
func startReplica(t *testing.T, bin string, e *env, scheme string) *testkit.Proc {
	t.Helper()
	return testkit.StartProc(t, exec.Command(bin, "-base", e.srv.URL, "-redis", e.rd.Addr, "-scheme", scheme, "-lock-ttl", "1s"))
}

func TestProcessesShareOneTokenAndOneSession(t *testing.T) {
	bin := buildReplica(t)
	for _, tc := range []struct{ scheme, route string }{
		{"oauth", authtest.RouteToken},
		{"ibsso", authtest.RouteCreateSession},
	} {
		t.Run(tc.scheme, func(t *testing.T) {
			e := setup(t)
			var ps []*testkit.Proc
			for range 5 {
				ps = append(ps, startReplica(t, bin, e, tc.scheme))
			}
			seen := map[string]bool{}
			for _, p := range ps {
				require.Equal(t, "ready", p.Next(t))
				line := p.Next(t)
				require.True(t, strings.HasPrefix(line, "ok "), line)
				seen[line] = true
			}
			require.Len(t, seen, 1, "one credential for five processes")
			require.Equal(t, 1, e.srv.Count(tc.route))
		})
	}
}

// A replica killed with SIGKILL while it holds the lease, mid-fetch: the
// others wait for it, its lease expires (LockTTL 1 s), and one of them
// fetches for all.
func TestProcessKilledHoldingTheLeaseIsTakenOver(t *testing.T) {
	bin := buildReplica(t)
	e := setup(t)
	e.srv.Fail(authtest.RouteToken, authtest.Fault{Hang: true, Times: 1})
	rdb := e.rd.Client(t)

	holder := startReplica(t, bin, e, "oauth")
	require.Equal(t, "ready", holder.Next(t))
	require.Eventually(t, func() bool { return e.srv.Count(authtest.RouteToken) == 1 }, 30*time.Second, 5*time.Millisecond)
	leases, err := rdb.Keys(context.Background(), "*:lease").Result()
	require.NoError(t, err)
	require.Len(t, leases, 1, "the holder has the lease while it fetches")

	var others []*testkit.Proc
	for range 3 {
		p := startReplica(t, bin, e, "oauth")
		require.Equal(t, "ready", p.Next(t))
		others = append(others, p)
	}
	time.Sleep(300 * time.Millisecond) // they are waiting on the lease now
	require.Equal(t, 1, e.srv.Count(authtest.RouteToken), "nobody fetches while the lease is alive")

	require.NoError(t, holder.Cmd.Process.Signal(syscall.SIGKILL))
	killed := time.Now()
	seen := map[string]bool{}
	var first time.Duration
	for i, p := range others {
		line := p.Next(t)
		if i == 0 {
			first = time.Since(killed)
		}
		require.True(t, strings.HasPrefix(line, "ok "), line)
		seen[line] = true
	}
	require.Len(t, seen, 1)
	require.Equal(t, 2, e.srv.Count(authtest.RouteToken), "the hung fetch and one more")
	require.Less(t, first, time.Second+2*time.Second, "within LockTTL plus one fetch (and slack for a loaded machine)")
	t.Logf("after SIGKILL of the leaseholder, the fleet had a token in %v (LockTTL 1s)", first)
}
