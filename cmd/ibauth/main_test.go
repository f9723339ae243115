package main

// The tests run the built ibauth binary as a subprocess, against authtest
// servers in the test process or against 'ibauth fake' in another
// subprocess, and check its stdout, stderr and exit code. Every run's
// output is scanned for the test credentials and for every token the
// server handed out.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ibkit/auth/authtest"
)

// bin is the ibauth binary under test, built once by TestMain. It is
// built without the race detector even under -race: a race-enabled
// binary costs three times the CPU per run, and the library it is made of
// is race-tested by its own packages.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ibauth-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "ibauth")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building ibauth: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// runTimeout bounds one run of ibauth.
const runTimeout = 30 * time.Second

// call describes one run of ibauth.
type call struct {
	srv   *authtest.Server  // tokens it issued count as secrets
	env   map[string]string // the whole environment, with PATH added
	stdin string
	// printsSecret is set for runs that print a credential on stdout on
	// purpose (token, fake, login, --show-secret): their stdout is not
	// scanned, and the test checks it exactly. Stderr always is.
	printsSecret bool
	secrets      []string // more values that must not appear
}

type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// run runs ibauth with args as c describes, and fails the test if the
// output shows a secret. Unless c.env sets XDG_CACHE_HOME, the run has a
// credential cache of its own, as if it were the first call on the host.
func (c call) run(t *testing.T, args ...string) result {
	t.Helper()
	if _, ok := c.env["XDG_CACHE_HOME"]; !ok {
		c.env = with(c.env, "XDG_CACHE_HOME", t.TempDir())
	}
	r, err := c.exec(args...)
	if err != nil {
		t.Fatal(err)
	}
	c.check(t, r)
	return r
}

// exec runs ibauth with args as c describes; it may be called from any
// goroutine.
func (c call) exec(args ...string) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = environ(c.env)
	cmd.Stdin = strings.NewReader(c.stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		return result{}, fmt.Errorf("ibauth %s: %v", strings.Join(args, " "), err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}, nil
}

// check fails the test if r's output shows a secret.
func (c call) check(t *testing.T, r result) {
	t.Helper()
	secrets := append(append(staticSecrets(), c.secrets...), issued(c.srv)...)
	if !c.printsSecret {
		requireNoSecret(t, "stdout", r.stdout, secrets)
	}
	requireNoSecret(t, "stderr", r.stderr, secrets)
}

// environ is env with what a process needs to run, and nothing else of
// the test's environment: no IB_* variable, no proxy.
func environ(env map[string]string) []string {
	var out []string
	for _, k := range []string{"PATH", "SYSTEMROOT", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			out = append(out, k+"="+v)
		}
	}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// staticSecrets are the credentials every authtest server accepts.
func staticSecrets() []string {
	return []string{authtest.APIKey, authtest.Password, authtest.ClientSecret,
		base64.StdEncoding.EncodeToString([]byte(authtest.Username + ":" + authtest.Password))}
}

// secretShape matches the App keys authtest makes (32 hex digits, a dash
// and a UUID), such as the secret of a key created in a test.
var secretShape = regexp.MustCompile(`[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{4}-`)

func requireNoSecret(t *testing.T, name, out string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(out, s) {
			t.Fatalf("%s shows a secret (%.6s…):\n%s", name, s, out)
		}
	}
	if m := secretShape.FindString(out); m != "" {
		t.Fatalf("%s shows a secret-shaped value %.6s…:\n%s", name, m, out)
	}
}

// issued returns the credentials srv has seen in Authorization headers:
// session tokens, access tokens and API keys.
func issued(srv *authtest.Server) []string {
	if srv == nil {
		return nil
	}
	var out []string
	for _, route := range []string{authtest.RouteBalance, authtest.RouteSendSMS, authtest.RouteDestroySession,
		authtest.RouteListAPIKeys, authtest.RouteCreateAPIKey, authtest.RouteGetAPIKey, authtest.RouteUpdateAPIKey} {
		for _, r := range srv.Requests(route) {
			if _, cred, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok {
				out = append(out, cred)
			}
		}
	}
	return out
}

// newServer starts an authtest server for the test.
func newServer(t *testing.T) *authtest.Server {
	srv := authtest.NewServer()
	t.Cleanup(srv.Close)
	return srv
}

// appEnv, basicEnv, ibssoEnv and oauthEnv configure srv's account with
// one scheme.
func appEnv(srv *authtest.Server) map[string]string {
	return map[string]string{"IB_BASE_URL": srv.URL, "IB_API_KEY": authtest.APIKey}
}

func basicEnv(srv *authtest.Server) map[string]string {
	return map[string]string{"IB_BASE_URL": srv.URL, "IB_USERNAME": authtest.Username, "IB_PASSWORD": authtest.Password}
}

func ibssoEnv(srv *authtest.Server) map[string]string {
	e := basicEnv(srv)
	e["IB_AUTH"] = "ibsso"
	return e
}

func oauthEnv(srv *authtest.Server) map[string]string {
	return map[string]string{"IB_BASE_URL": srv.URL, "IB_CLIENT_ID": authtest.ClientID, "IB_CLIENT_SECRET": authtest.ClientSecret}
}

// with returns a copy of env with the given name=value pairs set.
func with(env map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(env)+len(kv)/2)
	for k, v := range env {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// balance calls srv's balance route with the Authorization value authz
// and returns the status.
func balance(t *testing.T, srv *authtest.Server, authz string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/account/1/balance", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", authz)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// fakeProc is 'ibauth fake' running in a subprocess.
type fakeProc struct {
	cmd    *exec.Cmd
	stdout io.ReadCloser
	stderr *syncBuffer
	lines  []string          // the export lines
	env    map[string]string // what they set
	done   bool
}

var exportLine = regexp.MustCompile(`^export (IB_[A-Z_]+)=(.*)$`)

// startFake starts 'ibauth fake args...' and reads its export lines.
func startFake(t *testing.T, args ...string) *fakeProc {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("stopping the fake needs SIGINT")
	}
	f := &fakeProc{cmd: exec.Command(bin, append([]string{"fake"}, args...)...), stderr: new(syncBuffer)}
	f.cmd.Env = environ(nil)
	f.cmd.Stderr = f.stderr
	var err error
	f.stdout, err = f.cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, f.cmd.Start())
	t.Cleanup(func() {
		if !f.done {
			f.cmd.Process.Kill()
			io.Copy(io.Discard, f.stdout)
			f.cmd.Wait()
		}
	})

	read := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(f.stdout)
		for sc.Scan() {
			if sc.Text() == "" {
				read <- nil
				return
			}
			f.lines = append(f.lines, sc.Text())
		}
		read <- fmt.Errorf("stdout ended before the empty line: %v", sc.Err())
	}()
	select {
	case err := <-read:
		require.NoError(t, err, "stderr: %s", f.stderr)
	case <-time.After(runTimeout):
		t.Fatalf("ibauth fake printed no empty line in %s; lines so far: %q", runTimeout, f.lines)
	}
	f.env = make(map[string]string)
	for _, l := range f.lines {
		m := exportLine.FindStringSubmatch(l)
		require.NotNil(t, m, "not an export line: %q", l)
		f.env[m[1]] = shellUnquote(t, m[2])
	}
	return f
}

// stop interrupts the fake as Ctrl-C does and checks that it exits 0,
// having printed nothing more on stdout and no secret on stderr.
func (f *fakeProc) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, f.cmd.Process.Signal(os.Interrupt))
	rest, _ := io.ReadAll(f.stdout)
	err := f.cmd.Wait()
	f.done = true
	require.NoError(t, err, "stderr: %s", f.stderr)
	require.Empty(t, string(rest), "stdout after the export lines")
	require.Contains(t, f.stderr.String(), "ibauth fake: stopped")
	requireNoSecret(t, "fake's stderr", f.stderr.String(), staticSecrets())
}

// shellUnquote reads a word as shellQuote writes it.
func shellUnquote(t *testing.T, w string) string {
	if !strings.HasPrefix(w, "'") {
		require.NotContains(t, w, " ", "an unquoted word with a space")
		return w
	}
	require.True(t, strings.HasSuffix(w, "'"), "unbalanced quote: %s", w)
	return strings.ReplaceAll(w[1:len(w)-1], `'\''`, "'")
}

// syncBuffer is a bytes.Buffer that exec's copying goroutine may write
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
