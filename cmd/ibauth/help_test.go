package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHelp: 'ibauth --help' lists the commands, the variables and the
// exit codes, as gh does, on stdout with status 0; so does ibauth alone.
func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {}} {
		r := call{}.run(t, args...)
		require.Equal(t, 0, r.code, "%v\n%s", args, r)
		require.Empty(t, r.stderr)
		for _, want := range []string{"USAGE\n  ibauth <command> [flags]", "COMMANDS", "ENVIRONMENT", "EXIT CODES", "EXAMPLES",
			"IB_SESSION_TOKEN", "IBAUTH_FORCE_TTY", "3    Configuration error",
			"CREDENTIAL CACHE", "--no-cache", "IB_NO_CACHE", "encrypted with a key derived\n  from your client secret or password",
			"'ibauth logout' ends it"} {
			require.Contains(t, r.stdout, want)
		}
		for _, c := range commands {
			require.Contains(t, r.stdout, "\n  "+c.name+":")
		}
	}
	// The cache's place on this machine.
	dir := t.TempDir()
	r := call{env: map[string]string{"XDG_CACHE_HOME": dir}}.run(t, "--help")
	require.Contains(t, r.stdout, "cache directory, here:\n    "+filepath.Join(dir, "ibauth")+"\n")
}

// TestCommandHelp: every command and subcommand has --help with usage,
// flags and an example, the same as 'ibauth help CMD'.
func TestCommandHelp(t *testing.T) {
	t.Parallel()
	paths := [][]string{{"keys", "list"}, {"keys", "create"}, {"keys", "revoke"}, {"keys", "rotate"}}
	for _, c := range commands {
		paths = append(paths, []string{c.name})
	}
	for _, p := range paths {
		name := "ibauth " + strings.Join(p, " ")
		t.Run(strings.Join(p, "_"), func(t *testing.T) {
			t.Parallel()
			r := call{}.run(t, append(p, "--help")...)
			require.Equal(t, 0, r.code, r)
			require.Empty(t, r.stderr)
			require.Contains(t, r.stdout, "USAGE\n  "+name)
			_, examples, ok := strings.Cut(r.stdout, "\nEXAMPLES\n  $ ")
			require.True(t, ok, "no example")
			require.Contains(t, examples, "ibauth "+p[0])
			if p[0] != "keys" || len(p) > 1 {
				require.Contains(t, r.stdout, "--debug")
			}
			require.Equal(t, r.stdout, call{}.run(t, append([]string{"help"}, p...)...).stdout)
		})
	}
	require.Contains(t, call{}.run(t, "api", "--help").stdout, "-X, --method METHOD")
	require.Contains(t, call{}.run(t, "api", "--help").stdout, "--no-cache  Keep no OAuth token or IBSSO session between calls")
	require.Contains(t, call{}.run(t, "keys").stdout, "COMMANDS\n  list:")
}

// TestUsageErrors: unknown commands, flags and arguments exit 2 with the
// problem and where to read usage on stderr, and nothing on stdout.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"nope"}, `unknown command "nope"`},
		{[]string{"--nope"}, "unknown flag: --nope"},
		{[]string{"api", "--nope", "/x"}, "unknown flag: --nope\n"},
		{[]string{"api", "-nope", "/x"}, "unknown flag: -nope\n"},
		{[]string{"api", "--nope=1", "/x"}, "unknown flag: --nope\n"},
		{[]string{"api"}, "api takes one PATH"},
		{[]string{"api", "-X"}, "flag needs an argument: -X\n"},
		{[]string{"api", "/x", "--method"}, "flag needs an argument: --method\n"},
		{[]string{"api", "--include=maybe", "/x"}, `invalid value "maybe" for --include: use true or false`},
		{[]string{"api", "---include", "/x"}, "bad flag syntax: ---include\n"},
		{[]string{"keys", "list", "--bogus"}, "unknown flag: --bogus\n"},
		{[]string{"keys", "rotate", "--name"}, "flag needs an argument: --name\n"},
		{[]string{"token", "--raw=nope"}, `invalid value "nope" for --raw: use true or false`},
		{[]string{"fake", "--bogus"}, "unknown flag: --bogus\n"},
		{[]string{"doctor", "-bogus"}, "unknown flag: -bogus\n"},
		{[]string{"keys", "nope"}, `unknown command "nope" for "ibauth keys"`},
		{[]string{"token", "extra"}, "token takes no arguments"},
		{[]string{"help", "nope"}, `unknown help topic "nope"`},
		{[]string{"login", "--password", "x"}, "unknown flag: --password\n"},
	} {
		r := call{}.run(t, tc.args...)
		require.Equal(t, 2, r.code, "%v\n%s", tc.args, r)
		require.Empty(t, r.stdout, tc.args)
		require.Contains(t, r.stderr, "ibauth: "+tc.want, tc.args)
		require.Contains(t, r.stderr, "--help' for usage.", tc.args)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	r := call{}.run(t, "--version")
	require.Equal(t, 0, r.code, r)
	require.True(t, strings.HasPrefix(r.stdout, "ibauth version "), r)
}

// TestAPIHelp: 'ibauth api --help' shows the flags gh users reach for and
// examples of each: a nested SMS body, --jq, --paginate, a field from
// stdin.
func TestAPIHelp(t *testing.T) {
	t.Parallel()
	r := call{}.run(t, "api", "--help")
	require.Equal(t, 0, r.code, r)
	for _, want := range []string{"-q, --jq EXPR", "    --paginate", "    --silent", "@- for stdin",
		"key[sub]=v", "key[]=v", "key[][sub]=v", "paging.totalPages", "status above 299",
		"$ ibauth api /sms/3/messages -f 'messages[][destinations][][to]=41793026727' -f 'messages[][content][text]=Hi'\n",
		"-F 'messages[][content][text]=@-'", "--jq .balance\n", "$ ibauth api --paginate "} {
		require.Contains(t, r.stdout, want)
	}
}
