package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth/authtest"
)

// TestAPIJQ: --jq filters the JSON answer as gh api does: a string prints
// as it is, any other value as JSON, compact when piped and indented on a
// terminal; numbers keep every digit.
func TestAPIJQ(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Handle("GET /big", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"id":12345678901234567890,"price":0.005,"html":"<b>&</b>"}`)
	}))
	c := call{srv: srv, env: appEnv(srv)}
	for _, tc := range []struct{ expr, want string }{
		{".currency", "EUR\n"},
		{".balance", "42.5\n"},
		{".", balanceBody + "\n"},
		{".balance, .currency", "42.5\nEUR\n"},
		{"{c: .currency, n: [.balance]}", `{"c":"EUR","n":[42.5]}` + "\n"},
		{".missing", "null\n"},
		{".currency, halt, .balance", "EUR\n"},
		{"empty", ""},
	} {
		r := c.run(t, "api", "/account/1/balance", "--jq", tc.expr)
		require.Equal(t, 0, r.code, "%s\n%s", tc.expr, r)
		require.Equal(t, tc.want, r.stdout, tc.expr)
		require.Empty(t, r.stderr, tc.expr)
	}

	r := c.run(t, "api", "/big", "--jq", ".id, .price, .html, .")
	require.Equal(t, 0, r.code, r)
	require.Equal(t, "12345678901234567890\n0.005\n<b>&</b>\n"+`{"html":"<b>&</b>","id":12345678901234567890,"price":0.005}`+"\n", r.stdout)

	tty := call{srv: srv, env: with(appEnv(srv), "IBAUTH_FORCE_TTY", "1")}
	r = tty.run(t, "api", "/account/1/balance", "--jq", "{c: .currency}, .currency")
	require.Equal(t, 0, r.code, r)
	require.Equal(t, "{\n  \"c\": \"EUR\"\n}\nEUR\n", r.stdout)

	// -i prints the head, then the filtered body.
	r = c.run(t, "api", "-i", "/account/1/balance", "--jq", ".currency")
	require.Equal(t, 0, r.code, r)
	require.True(t, strings.HasPrefix(r.stdout, "HTTP/1.1 200 OK\n"), r.stdout)
	require.True(t, strings.HasSuffix(r.stdout, "\n\nEUR\n"), r.stdout)
}

// TestAPIJQErrors: an expression that does not compile is a usage error
// naming it, before any request; one that fails on the answer, or an
// answer that is not JSON, exits 1 naming the problem.
func TestAPIJQErrors(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Handle("GET /text", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "hello")
	}))
	srv.Handle("GET /huge", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"a":"`+strings.Repeat("x", maxBuffered)+`"}`)
	}))
	c := call{srv: srv, env: appEnv(srv)}
	for _, expr := range []string{".[", "nosuchfunction(1)", "$undefined", `include "x"; .`, "input"} {
		r := c.run(t, "api", "/account/1/balance", "--jq", expr)
		require.Equal(t, 2, r.code, "%s\n%s", expr, r)
		require.Contains(t, r.stderr, fmt.Sprintf("ibauth: --jq %q: ", expr), expr)
		require.Contains(t, r.stderr, "Run 'ibauth api --help' for usage.")
	}
	require.Zero(t, srv.Count(authtest.RouteBalance))

	r := c.run(t, "api", "/account/1/balance", "--jq", ".balance | ascii_downcase")
	require.Equal(t, 1, r.code, r)
	require.Empty(t, r.stdout)
	require.Contains(t, r.stderr, `ibauth: GET /account/1/balance: --jq ".balance | ascii_downcase": `)

	r = c.run(t, "api", "/text", "--jq", ".")
	require.Equal(t, 1, r.code, r)
	require.Empty(t, r.stdout)
	require.Equal(t, "ibauth: GET /text: --jq: the answer is not JSON (Content-Type: text/plain)\n", r.stderr)

	r = c.run(t, "api", "/huge", "--jq", ".a | length")
	require.Equal(t, 1, r.code, r)
	require.Empty(t, r.stdout)
	require.Equal(t, "ibauth: GET /huge: --jq: the answer is longer than 16 MiB, more than --jq reads\n", r.stderr)

	r = c.run(t, "api", "/account/1/balance", "--jq", ".", "--silent")
	require.Equal(t, 2, r.code, r)
	require.Contains(t, r.stderr, "ibauth: --jq and --silent: use one; --silent prints no body\n")
}

// TestAPIJQReadsNothingElse: --jq sees the answer and nothing else: not
// the environment, which holds the IB_* credentials ($ENV and env are
// empty), nor files.
func TestAPIJQReadsNothingElse(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for _, env := range []map[string]string{appEnv(srv), basicEnv(srv), oauthEnv(srv)} {
		c := call{srv: srv, env: env}
		r := c.run(t, "api", "/account/1/balance", "--jq", `$ENV, env, $ENV.IB_API_KEY, env.IB_PASSWORD, $ENV.IB_CLIENT_SECRET`)
		require.Equal(t, 0, r.code, r)
		require.Equal(t, "{}\n{}\nnull\nnull\nnull\n", r.stdout)
	}
	r := call{srv: srv, env: appEnv(srv)}.run(t, "api", "/account/1/balance", "--jq", `import "x" as x; .`)
	require.Equal(t, 2, r.code, r)
}

// TestAPIJQLeavesErrorsAlone: an error answer is not filtered, as with gh:
// its body is judged and shown or withheld as without --jq, so no
// expression can turn a credential it echoes into a form that passes.
func TestAPIJQLeavesErrorsAlone(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	r := call{srv: srv, env: with(appEnv(srv), "IB_API_KEY", "wrong-key")}.run(t, "api", "/account/1/balance", "--jq", ".requestError")
	require.Equal(t, 1, r.code, r)
	require.Contains(t, r.stdout, `{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED"`)
	require.Contains(t, r.stderr, "401 E401: Invalid login details")

	echo := `{"errorCode":"E500","description":"failed","debug":"App ` + authtest.APIKey + `"}`
	srv.Fail(authtest.RouteBalance, authtest.Fault{Status: http.StatusInternalServerError, Body: echo, Times: 1})
	r = call{srv: srv, env: appEnv(srv)}.run(t, "api", "/account/1/balance", "--jq", `.debug | ltrimstr("App ") | @base64`)
	require.Equal(t, 1, r.code, r)
	requireNotShown(t, r, authtest.APIKey)
	require.Empty(t, r.stdout)
	require.Contains(t, r.stderr, "ibauth: the answer echoes a credential; its body is not shown\n")
}
