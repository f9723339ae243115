package main

import (
	"bytes"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth/authtest"
)

// TestInterruptDuringTokenFetch: Ctrl-C while an OAuth token request is
// unanswered ends ibauth at once with status 130 and one line on stderr,
// with the cache on or off: an OAuth token has nothing to dispose of, so
// there is no fetch to wait for.
func TestInterruptDuringTokenFetch(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT on Windows")
	}
	for _, noCache := range []string{"0", "1"} {
		t.Run("IB_NO_CACHE="+noCache, func(t *testing.T) {
			srv := newServer(t)
			srv.Fail(authtest.RouteToken, authtest.Fault{Hang: true})
			cmd := exec.Command(bin, "api", "/account/1/balance")
			cmd.Env = environ(cached(with(oauthEnv(srv), "IB_NO_CACHE", noCache), t.TempDir()))
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			require.NoError(t, cmd.Start())
			require.Eventually(t, func() bool { return srv.Count(authtest.RouteToken) == 1 },
				10*time.Second, 5*time.Millisecond)
			start := time.Now()
			require.NoError(t, cmd.Process.Signal(os.Interrupt))
			_ = cmd.Wait()
			took := time.Since(start)
			r := result{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
			call{srv: srv}.check(t, r)
			require.Equal(t, exitInterrupted, r.code, r)
			require.Equal(t, "ibauth: interrupted\n", r.stderr)
			require.Empty(t, r.stdout)
			require.Less(t, took, 3*time.Second, "exit after Ctrl-C")
		})
	}
}
