package filestore_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/filestore"
	"github.com/ibkit/auth/internal/testkit"
)

// Processes sharing a directory: the test binary runs itself again as
// TestHelperProcess, several times, against one fake Infobip server in the
// parent and one directory.

const helperEnv = "FILESTORE_TEST_HELPER"

// TestHelperProcess is a process of the multi-process tests, not a test:
// it runs only when the test binary is started by one of them. It prints
// "ready" once its store is set up and, for "oauth" and "ibsso", waits
// for a line on standard input before asking for a credential, then
// prints "ok <fingerprint>" (a hash of the header, never the credential)
// or "error <message>". For "lease" it takes a lease, prints "leased" and
// holds it until killed.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		return
	}
	os.Exit(helper(mode, os.Getenv("FILESTORE_TEST_DIR"), os.Getenv("FILESTORE_TEST_BASE")))
}

func helper(mode, dir, base string) int {
	fail := func(err error) int {
		fmt.Println("error", err)
		return 1
	}
	st, err := filestore.New(dir, &filestore.Options{Key: testKey})
	if err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var a auth.Authenticator
	switch mode {
	case "lease":
		if _, err := st.Lease(ctx, "bearer:k"); err != nil {
			return fail(err)
		}
		fmt.Println("leased")
		io.Copy(io.Discard, os.Stdin) // until killed
		return 0
	case "oauth":
		a, err = auth.NewOAuth(auth.OAuthConfig{BaseURL: base, ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret, Store: st})
	case "ibsso":
		a, err = auth.NewIBSSO(auth.IBSSOConfig{BaseURL: base, Username: authtest.Username, Password: authtest.Password, Store: st})
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		return fail(err)
	}
	fmt.Println("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return fail(err)
	}
	h, err := a.Authorization(ctx)
	if err != nil {
		return fail(err)
	}
	sum := sha256.Sum256([]byte(h))
	fmt.Println("ok", hex.EncodeToString(sum[:8]))
	if s, ok := a.(*auth.IBSSO); ok {
		_ = s.Close(ctx) // leaves the shared session
	}
	return 0
}

type proc struct {
	*testkit.Proc
	stdin io.WriteCloser
}

// start runs the test binary as a helper process in mode; it is killed
// when the test ends.
func start(t *testing.T, e *env, mode string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, "FILESTORE_TEST_DIR="+e.dir, "FILESTORE_TEST_BASE="+e.srv.URL)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	return &proc{Proc: testkit.StartProc(t, cmd), stdin: stdin}
}

// proceed lets the process ask for its credential.
func (p *proc) proceed(t *testing.T) {
	t.Helper()
	_, err := io.WriteString(p.stdin, "go\n")
	require.NoError(t, err)
}

func TestProcessesShareOneTokenAndOneSession(t *testing.T) {
	for _, tc := range []struct{ mode, route string }{
		{"oauth", authtest.RouteToken},
		{"ibsso", authtest.RouteCreateSession},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			e := setup(t)
			var ps []*proc
			for range 8 {
				p := start(t, e, tc.mode)
				require.Equal(t, "ready", p.Next(t))
				ps = append(ps, p)
			}
			for _, p := range ps { // all at once
				p.proceed(t)
			}
			seen := map[string]bool{}
			for _, p := range ps {
				line := p.Next(t)
				require.True(t, strings.HasPrefix(line, "ok "), line)
				seen[line] = true
			}
			require.Len(t, seen, 1, "one credential for eight processes")
			require.Equal(t, 1, e.srv.Count(tc.route))

			late := start(t, e, tc.mode)
			require.Equal(t, "ready", late.Next(t))
			late.proceed(t)
			require.Contains(t, seen, late.Next(t), "a later process takes the stored one")
			require.Equal(t, 1, e.srv.Count(tc.route))
		})
	}
}

// The kernel ends a lease with the process that held it.
func TestLeaseOfAKilledProcessIsFreeAtOnce(t *testing.T) {
	e := setup(t)
	holder := start(t, e, "lease")
	require.Equal(t, "leased", holder.Next(t))
	st := e.store(t, nil)
	_, err := st.Lease(context.Background(), "bearer:k")
	require.ErrorIs(t, err, auth.ErrLeaseHeld)

	require.NoError(t, holder.Cmd.Process.Signal(syscall.SIGKILL))
	killed := time.Now()
	_ = holder.Cmd.Wait() // reaped: its files are closed
	l, err := st.Lease(context.Background(), "bearer:k")
	require.NoError(t, err, "free as soon as the holder is gone")
	require.NoError(t, l.Release(context.Background()))
	t.Logf("lease free %v after SIGKILL", time.Since(killed))
}

// A process killed while it holds the lease, mid-fetch: the others wait
// for it, and the moment it dies one of them fetches for all.
func TestProcessKilledHoldingTheLeaseIsTakenOver(t *testing.T) {
	e := setup(t)
	e.srv.Fail(authtest.RouteToken, authtest.Fault{Hang: true, Times: 1})

	holder := start(t, e, "oauth")
	require.Equal(t, "ready", holder.Next(t))
	holder.proceed(t)
	require.Eventually(t, func() bool { return e.srv.Count(authtest.RouteToken) == 1 }, 30*time.Second, 5*time.Millisecond)

	var others []*proc
	for range 3 {
		p := start(t, e, "oauth")
		require.Equal(t, "ready", p.Next(t))
		p.proceed(t)
		others = append(others, p)
	}
	time.Sleep(300 * time.Millisecond) // they are waiting on the lease now
	require.Equal(t, 1, e.srv.Count(authtest.RouteToken), "nobody fetches while the holder lives")

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
	require.Less(t, first, 2*time.Second, "a poll (about 50 ms) and a fetch, with slack for a loaded machine")
	t.Logf("after SIGKILL of the leaseholder, the others had a token in %v", first)
}
