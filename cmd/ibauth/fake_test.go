package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth/authtest"
)

// TestFakeDrivesAPI: 'ibauth fake' in one subprocess prints export lines
// that, applied to another subprocess, make 'ibauth api
// /account/1/balance' succeed, for every scheme; it stops with status 0
// on SIGINT.
func TestFakeDrivesAPI(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scheme string
		vars   []string
	}{
		{"app", []string{"IB_BASE_URL", "IB_API_KEY", "IB_AUTH"}},
		{"basic", []string{"IB_BASE_URL", "IB_USERNAME", "IB_PASSWORD", "IB_AUTH"}},
		{"ibsso", []string{"IB_BASE_URL", "IB_USERNAME", "IB_PASSWORD", "IB_AUTH"}},
		{"oauth", []string{"IB_BASE_URL", "IB_CLIENT_ID", "IB_CLIENT_SECRET", "IB_AUTH"}},
		{"all", []string{"IB_BASE_URL", "IB_API_KEY", "IB_USERNAME", "IB_PASSWORD", "IB_CLIENT_ID", "IB_CLIENT_SECRET", "IB_AUTH"}},
	} {
		t.Run(tc.scheme, func(t *testing.T) {
			t.Parallel()
			f := startFake(t, "--scheme", tc.scheme)
			var names []string
			for _, l := range f.lines {
				names = append(names, exportLine.FindStringSubmatch(l)[1])
			}
			require.Equal(t, tc.vars, names)
			require.Regexp(t, `^http://127\.0\.0\.1:\d+$`, f.env["IB_BASE_URL"])
			want := tc.scheme
			if want == "all" {
				want = "app"
			}
			require.Equal(t, want, f.env["IB_AUTH"])

			r := call{env: f.env}.run(t, "api", "/account/1/balance")
			require.Equal(t, 0, r.code, r)
			require.Equal(t, balanceBody, r.stdout)
			f.stop(t)
			require.Contains(t, f.stderr.String(), "serving at "+f.env["IB_BASE_URL"])
		})
	}
}

// TestFakeEveryCommand: every command works offline against 'ibauth
// fake', with the credentials it prints.
func TestFakeEveryCommand(t *testing.T) {
	t.Parallel()
	f := startFake(t, "--scheme", "all")
	app := f.env
	basic := with(f.env, "IB_AUTH", "basic")

	r := call{env: app, printsSecret: true}.run(t, "token")
	require.Equal(t, 0, r.code, r)
	require.Equal(t, "App "+authtest.APIKey+"\n", r.stdout)

	r = call{env: with(f.env, "IB_AUTH", "oauth")}.run(t, "doctor")
	require.Equal(t, 0, r.code, r)
	require.Contains(t, r.stdout, "ok    lifetime       OAuth token valid for 2h0m0s")
	require.Contains(t, r.stdout, "No problems found.")

	r = call{env: basic}.run(t, "keys", "list")
	require.Equal(t, 0, r.code, r)
	require.Contains(t, r.stdout, authtest.APIKeyID)

	file := filepath.Join(t.TempDir(), "new.key")
	r = call{env: basic}.run(t, "keys", "rotate", "--secret-file", file, authtest.APIKeyID)
	require.Equal(t, 0, r.code, r)
	newID := strings.TrimSpace(r.stdout)
	secret := readSecret(t, file)
	requireNoSecret(t, "output", r.stdout+r.stderr, []string{secret})

	// The rotated-out key no longer works; the new one does.
	r = call{env: app}.run(t, "api", "/account/1/balance")
	require.Equal(t, 1, r.code, r)
	r = call{env: with(app, "IB_API_KEY", secret), secrets: []string{secret}}.run(t, "api", "/account/1/balance")
	require.Equal(t, 0, r.code, r)

	// A person logs in, works with the session, and logs out.
	r = call{env: with(f.env, "IB_AUTH", ""), stdin: authtest.Password + "\n", printsSecret: true}.run(t, "login")
	require.Equal(t, 0, r.code, r)
	m := loginOutput.FindStringSubmatch(r.stdout)
	require.NotNil(t, m, r.stdout)
	session := map[string]string{"IB_BASE_URL": m[1], "IB_SESSION_TOKEN": m[2]}
	r = call{env: session, secrets: []string{m[2]}}.run(t, "keys", "revoke", newID)
	require.Equal(t, 0, r.code, r)
	r = call{env: session, secrets: []string{m[2]}}.run(t, "logout")
	require.Equal(t, 0, r.code, r)
	r = call{env: session, secrets: []string{m[2]}}.run(t, "api", "/account/1/balance")
	require.Equal(t, 1, r.code, r)

	f.stop(t)
}

// TestFakeInShell: the export lines work as they are in a POSIX shell.
func TestFakeInShell(t *testing.T) {
	t.Parallel()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	f := startFake(t, "--scheme", "oauth")
	file := filepath.Join(t.TempDir(), "fake.env")
	require.NoError(t, os.WriteFile(file, []byte(strings.Join(f.lines, "\n")+"\n\n"), 0o600))
	cmd := exec.Command(sh, "-c", `. "$1" && exec "$2" api /account/1/balance`, "sh", file, bin)
	cmd.Env = environ(map[string]string{"XDG_CACHE_HOME": t.TempDir()})
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, balanceBody, string(out))
	f.stop(t)
}

// TestFakeAddr: with --addr, the fake listens there, through a relay, and
// an unspecified or named host is printed as loopback.
func TestFakeAddr(t *testing.T) {
	t.Parallel()
	f := startFake(t, "--addr", "localhost:0", "--scheme", "ibsso")
	require.Regexp(t, `^http://127\.0\.0\.1:\d+$`, f.env["IB_BASE_URL"])
	r := call{env: f.env}.run(t, "api", "/account/1/balance")
	require.Equal(t, 0, r.code, r)
	require.Equal(t, balanceBody, r.stdout)
	f.stop(t)

	for _, args := range [][]string{{"--scheme", "nope"}, {"--addr", "nope"}, {"extra"}} {
		r := call{}.run(t, append([]string{"fake"}, args...)...)
		require.Equal(t, 2, r.code, r)
		require.Empty(t, r.stdout)
	}
}

// TestFakeHelpSaysWhichSDKsReadTheEnvironment: the help names the SDKs
// that read IB_BASE_URL and IB_API_KEY, and says that Infobip's Node SDK
// reads no variable, rather than promising that every SDK does.
func TestFakeHelpSaysWhichSDKsReadTheEnvironment(t *testing.T) {
	t.Parallel()
	r := call{}.run(t, "fake", "--help")
	require.Equal(t, 0, r.code, r)
	help := strings.Join(strings.Fields(r.stdout), " ")
	require.NotContains(t, help, "Infobip SDKs reading IB_BASE_URL and IB_API_KEY")
	for _, want := range []string{
		"infobip-api-python-sdk (Channel.from_env)",
		"infobip-api-rust-sdk (Configuration::from_env_api_key)",
		"Infobip's Node SDK (@infobip-api/sdk) reads no variable",
		"POST /sms/2/text/advanced",
	} {
		require.Contains(t, help, want)
	}
}
