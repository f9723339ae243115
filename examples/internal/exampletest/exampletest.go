// Package exampletest holds what the tests of the example programs share:
// the IB_* variables set for one test, a fake account reached through
// them, a run of main in a child process for its exit status, and the
// checks that every per-scheme example (apikey, basic, ibsso, oauth) must
// pass, in [Example.Test].
package exampletest

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

// Vars are the variables auth.FromEnv reads.
var Vars = []string{"IB_BASE_URL", "IB_API_KEY", "IB_USERNAME", "IB_PASSWORD", "IB_CLIENT_ID", "IB_CLIENT_SECRET", "IB_AUTH"}

// Env sets the IB_* variables for the test t: those in vars to their
// value, the others to "" (which auth.FromEnv takes as unset).
func Env(t testing.TB, vars map[string]string) {
	t.Helper()
	for _, name := range Vars {
		t.Setenv(name, vars[name])
	}
}

// Live starts a fake Infobip server for the test t and sets the IB_*
// variables as [Env] does, with IB_BASE_URL pointing at the server. The
// base URL ends in a slash, which auth.FromEnv drops: an example that
// builds URLs on the variable rather than on the canonical base URL fails.
func Live(t testing.TB, vars map[string]string) *authtest.Server {
	t.Helper()
	srv := authtest.NewServer()
	t.Cleanup(srv.Close)
	all := map[string]string{"IB_BASE_URL": srv.URL + "/"}
	for k, v := range vars {
		all[k] = v
	}
	Env(t, all)
	return srv
}

// childVar names the test that a child process started by [Exit] runs main
// for.
const childVar = "EXAMPLETEST_MAIN"

// Exit runs main in a child process, with the IB_* variables set to vars
// as [Env] does, and returns its exit status and standard error. The child
// is this test binary running only t's test, in which Exit calls main; so
// a test calls Exit before it sets any variable, and what it does before
// Exit must be harmless when done twice.
func Exit(t *testing.T, main func(), vars map[string]string) (code int, stderr string) {
	t.Helper()
	if os.Getenv(childVar) == t.Name() {
		main()
		t.SkipNow() // main returned: exit status 0
	}
	parts := strings.Split(t.Name(), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	cmd := exec.Command(os.Args[0], "-test.run="+strings.Join(parts, "/"), "-test.count=1")
	cmd.Env = append(os.Environ(), childVar+"="+t.Name())
	for _, name := range Vars {
		cmd.Env = append(cmd.Env, name+"="+vars[name]) // the last value wins
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running main in a child process: %v", err)
	}
	return cmd.ProcessState.ExitCode(), errOut.String()
}

// RequireRefused checks that err is the error of a call Infobip refused
// with status: an *auth.Error that errors.As finds, whose text shows none
// of secrets.
func RequireRefused(t testing.TB, err error, status int, secrets ...string) {
	t.Helper()
	var ae *auth.Error
	require.True(t, errors.As(err, &ae), "want an *auth.Error in %v", err)
	require.Equal(t, status, ae.StatusCode, "%v", err)
	for _, s := range secrets {
		require.NotContains(t, err.Error(), s)
	}
}

// Credentials that every authtest server accepts, as IB_* variables for
// [Env] and [Live]. They are shared: read them, never modify them.
var (
	AppVars   = map[string]string{"IB_API_KEY": authtest.APIKey}
	BasicVars = map[string]string{"IB_USERNAME": authtest.Username, "IB_PASSWORD": authtest.Password}
)

// wrongSecret is the wrong secret in every scheme's wrong credentials.
const wrongSecret = "wrong-secret-0123456789abcdef"

// A scheme is what [Example.Test] knows of one of Infobip's schemes.
type scheme struct {
	vars   map[string]string // credentials the fake server accepts
	header string            // how the balance calls' Authorization begins
	fetch  string            // the route that creates the session or token, if any
	// wrong are vars with wrongSecret, and wrongErr is in the error they
	// cause; with a fetch route, that fails before any balance call.
	wrong    map[string]string
	wrongErr string
	other    map[string]string // credentials of another scheme
}

var schemes = map[string]scheme{
	"app": {
		vars:     AppVars,
		header:   "App " + authtest.APIKey,
		wrong:    map[string]string{"IB_API_KEY": wrongSecret},
		wrongErr: "GET /account/1/balance: auth: 401",
		other:    BasicVars,
	},
	"basic": {
		vars:     BasicVars,
		header:   "Basic YWxhZGRpbjpvcGVuLXNlc2FtZS03", // RFC 7617 of authtest's user
		wrong:    map[string]string{"IB_USERNAME": authtest.Username, "IB_PASSWORD": wrongSecret},
		wrongErr: "GET /account/1/balance: auth: 401",
		other:    AppVars,
	},
	"ibsso": {
		vars:     map[string]string{"IB_AUTH": "ibsso", "IB_USERNAME": authtest.Username, "IB_PASSWORD": authtest.Password},
		header:   "IBSSO ",
		fetch:    authtest.RouteCreateSession,
		wrong:    map[string]string{"IB_AUTH": "ibsso", "IB_USERNAME": authtest.Username, "IB_PASSWORD": wrongSecret},
		wrongErr: "auth: create IBSSO session: 401",
		other:    BasicVars, // without IB_AUTH=ibsso, a username and password mean Basic
	},
	"oauth": {
		vars:     map[string]string{"IB_CLIENT_ID": authtest.ClientID, "IB_CLIENT_SECRET": authtest.ClientSecret},
		header:   "Bearer ",
		fetch:    authtest.RouteToken,
		wrong:    map[string]string{"IB_CLIENT_ID": authtest.ClientID, "IB_CLIENT_SECRET": wrongSecret},
		wrongErr: "auth: fetch OAuth token: 401",
		other:    BasicVars,
	},
}

// Example is a per-scheme example program, as its tests know it.
type Example struct {
	Name   string                // the program's name, which main prints before an error
	Run    func(io.Writer) error // the program, writing to w
	Main   func()                // main: run, then the exit status
	Scheme string                // "app", "basic", "ibsso" or "oauth"
	// Offline lists text that the output of an offline run contains.
	Offline []string
	// Refusal is the error of a live run with credentials for another
	// scheme.
	Refusal string
}

// Test checks what every per-scheme example does: offline, it gets
// through and prints no credential; live, through the IB_* variables, it
// calls the balance with one session or token and releases it; wrong
// credentials and a refused call are errors that wrap an *auth.Error, and
// make main exit with status 1; credentials for another scheme are
// refused with e.Refusal.
func (e Example) Test(t *testing.T) {
	s, ok := schemes[e.Scheme]
	require.True(t, ok, "unknown scheme %q", e.Scheme)

	t.Run("offline", func(t *testing.T) {
		Env(t, nil)
		var out bytes.Buffer
		require.NoError(t, e.Run(&out), out.String())
		require.Contains(t, out.String(), "No IB_BASE_URL set")
		for _, want := range e.Offline {
			require.Contains(t, out.String(), want)
		}
		for _, secret := range []string{authtest.APIKey, authtest.Password, authtest.ClientSecret} {
			require.NotContains(t, out.String(), secret)
		}
	})

	t.Run("live", func(t *testing.T) {
		srv := Live(t, s.vars)
		var out bytes.Buffer
		require.NoError(t, e.Run(&out), out.String())
		calls := srv.Requests(authtest.RouteBalance)
		require.NotEmpty(t, calls)
		for _, r := range calls {
			require.Equal(t, "/account/1/balance", r.Path)
			require.True(t, strings.HasPrefix(r.Header.Get("Authorization"), s.header), "Authorization %q, want %q…", r.Header.Get("Authorization"), s.header)
		}
		if s.fetch != "" {
			require.Equal(t, 1, srv.Count(s.fetch), "one session or token serves every call")
		}
		require.Zero(t, srv.ActiveSessions(), "Close destroys the session")
	})

	t.Run("wrong credentials", func(t *testing.T) {
		srv := Live(t, s.wrong)
		err := e.Run(&bytes.Buffer{})
		RequireRefused(t, err, http.StatusUnauthorized, wrongSecret)
		require.ErrorContains(t, err, s.wrongErr)
		if s.fetch != "" {
			require.Zero(t, srv.Count(authtest.RouteBalance))
		}
	})

	t.Run("refused call", func(t *testing.T) {
		srv := Live(t, s.vars)
		srv.Fail(authtest.RouteBalance, authtest.Fault{Status: http.StatusTooManyRequests,
			Body: `{"errorCode":"E429","description":"Too many requests"}`})
		err := e.Run(&bytes.Buffer{})
		RequireRefused(t, err, http.StatusTooManyRequests, authtest.APIKey, authtest.Password, authtest.ClientSecret)
		require.ErrorContains(t, err, "GET /account/1/balance: ")
		require.ErrorContains(t, err, "Too many requests")
		require.Zero(t, srv.ActiveSessions(), "the session is destroyed after a failure too")
	})

	t.Run("exit status", func(t *testing.T) {
		srv := authtest.NewServer()
		defer srv.Close()
		vars := map[string]string{"IB_BASE_URL": srv.URL}
		for k, v := range s.wrong {
			vars[k] = v
		}
		code, stderr := Exit(t, e.Main, vars)
		require.Equal(t, 1, code, stderr)
		// The error is the last line; a log of the failed fetch may come
		// before it.
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		require.True(t, strings.HasPrefix(lines[len(lines)-1], e.Name+": "), stderr)
		require.Contains(t, stderr, "401")
		require.NotContains(t, stderr, wrongSecret)
	})

	t.Run("other scheme", func(t *testing.T) {
		vars := map[string]string{"IB_BASE_URL": "https://api.infobip.com"}
		for k, v := range s.other {
			vars[k] = v
		}
		Env(t, vars)
		require.EqualError(t, e.Run(&bytes.Buffer{}), e.Refusal)
	})
}
