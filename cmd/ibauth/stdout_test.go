package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth/authtest"
)

// TestStdoutWriteFails: when the answer cannot be written to stdout (a
// full disk, here /dev/full), ibauth says so and exits 1, whatever prints
// the answer: api as received, through --jq, page by page, with -i; keys
// list; login, which then ends the session it could not hand over.
func TestStdoutWriteFails(t *testing.T) {
	t.Parallel()
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full:", err)
	}
	defer full.Close()
	srv := newServer(t)
	for _, args := range [][]string{
		{"api", "/account/1/balance"},
		{"api", "--jq", ".balance", "/account/1/balance"},
		{"api", "-i", "/account/1/balance"},
		{"api", "--paginate", "/settings/2/api-keys?size=1"},
		{"api", "--paginate", "--jq", ".apiKeys[].name", "/settings/2/api-keys?size=1"},
		{"keys", "list"},
		{"login"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			cmd := exec.Command(bin, args...)
			cmd.Env = environ(basicEnv(srv))
			cmd.Stdin = strings.NewReader(authtest.Password + "\n")
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = full, &stderr
			_ = cmd.Run()
			r := result{stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
			call{srv: srv}.check(t, r)
			require.Equal(t, exitFailure, r.code, r)
			require.Contains(t, r.stderr, "no space left on device", r)
			require.Zero(t, srv.ActiveSessions(), "a session nobody can use")
		})
	}
}
