package main

import (
	"cmp"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth/authtest"
)

// pagedServer is an authtest server with GET /paged, which pages through
// total pages as Infobip does and answers the page with the given status,
// if any, with that status. Its answers say the page they are for.
func pagedServer(t *testing.T, total int, fail map[int]int) *authtest.Server {
	srv := newServer(t)
	srv.Handle("GET /paged", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if status, ok := fail[page]; ok {
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"errorCode":"E%d","description":"page %d failed"}`, status, page)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"items":["item %d"],"paging":{"page":%d,"size":1,"totalPages":%d,"totalResults":%d}}`, page, page, total, total)
	}))
	return srv
}

// queries are the query strings of the requests srv received on route.
func queries(srv *authtest.Server, route string) []string {
	var out []string
	for _, r := range srv.Requests(route) {
		out = append(out, r.Query)
	}
	return out
}

// TestAPIPaginateAPIKeys: --paginate follows Infobip's page and size
// through every page of the key list, paging.totalPages saying when to
// stop, with --jq applied to each page; it starts at the page asked for.
func TestAPIPaginateAPIKeys(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for i := range 24 {
		srv.AddAPIKey(fmt.Sprintf("paged-key-%02d", i))
	}
	c := call{srv: srv, env: basicEnv(srv)}
	all := c.run(t, "api", "/settings/2/api-keys", "--jq", ".apiKeys[].id")
	require.Equal(t, 0, all.code, all)
	require.Len(t, strings.Split(strings.TrimSpace(all.stdout), "\n"), 25)

	r := c.run(t, "api", "--paginate", "/settings/2/api-keys?size=10", "--jq", ".apiKeys[].id")
	require.Equal(t, 0, r.code, r)
	require.Equal(t, all.stdout, r.stdout)
	require.Equal(t, []string{"", "size=10", "size=10&page=1", "size=10&page=2"}, queries(srv, authtest.RouteListAPIKeys))

	// Fields with -X GET, and a first page of one's own.
	r = c.run(t, "api", "--paginate", "-X", "GET", "/settings/2/api-keys", "-F", "size=10", "-F", "page=1", "--jq", ".paging.page")
	require.Equal(t, 0, r.code, r)
	require.Equal(t, "1\n2\n", r.stdout)
	require.Equal(t, []string{"page=1&size=10", "size=10&page=2"}, queries(srv, authtest.RouteListAPIKeys)[4:])
}

// TestAPIPaginateOutput: every page is printed as received, one after the
// other, each ending in a newline; indented on a terminal; with -i, each
// after its own head; with --silent, none.
func TestAPIPaginateOutput(t *testing.T) {
	t.Parallel()
	srv := pagedServer(t, 3, nil)
	c := call{srv: srv, env: appEnv(srv)}
	page := func(n int) string {
		return fmt.Sprintf(`{"items":["item %d"],"paging":{"page":%d,"size":1,"totalPages":3,"totalResults":3}}`, n, n)
	}
	r := c.run(t, "api", "--paginate", "/paged")
	require.Equal(t, 0, r.code, r)
	require.Equal(t, page(0)+"\n"+page(1)+"\n"+page(2)+"\n", r.stdout)
	require.Equal(t, []string{"", "page=1", "page=2"}, queries(srv, "GET /paged"))

	r = call{srv: srv, env: with(appEnv(srv), "IBAUTH_FORCE_TTY", "1")}.run(t, "api", "--paginate", "/paged")
	require.Equal(t, 0, r.code, r)
	require.Equal(t, 3, strings.Count(r.stdout, "{\n  \"items\": [\n"), r.stdout)

	r = c.run(t, "api", "--paginate", "-i", "/paged")
	require.Equal(t, 0, r.code, r)
	require.Equal(t, 3, strings.Count(r.stdout, "HTTP/1.1 200 OK\n"), r.stdout)
	require.Contains(t, r.stdout, "\n\n"+page(2)+"\n")

	r = c.run(t, "api", "--paginate", "--silent", "/paged")
	require.Equal(t, 0, r.code, r)
	require.Empty(t, r.stdout)
	require.Equal(t, 12, srv.Count("GET /paged"))

	// No results: one page, totalPages 0.
	empty := pagedServer(t, 0, nil)
	r = call{srv: empty, env: appEnv(empty)}.run(t, "api", "--paginate", "/paged", "--jq", ".paging.totalPages")
	require.Equal(t, 0, r.code, r)
	require.Equal(t, "0\n", r.stdout)
	require.Equal(t, 1, empty.Count("GET /paged"))
}

// TestAPIPaginateStopsOnError: a page that fails ends the run with exit
// 1 and the error as without --paginate, after the pages before it.
func TestAPIPaginateStopsOnError(t *testing.T) {
	t.Parallel()
	srv := pagedServer(t, 5, map[int]int{2: http.StatusInternalServerError})
	r := call{srv: srv, env: appEnv(srv)}.run(t, "api", "--paginate", "/paged", "--jq", ".items[]")
	require.Equal(t, 1, r.code, r)
	require.Equal(t, "item 0\nitem 1\n"+`{"errorCode":"E500","description":"page 2 failed"}`, r.stdout)
	require.Contains(t, r.stderr, "ibauth: auth: GET /paged: 500 E500: page 2 failed\n")
	require.Equal(t, 3, srv.Count("GET /paged"))
}

// TestAPIPaginateRefusals: --paginate is for a GET that answers Infobip's
// paging: another method, --input, a bad page, an answer without paging
// or for another page than asked are refused with a clear message, and a
// server that never ends is left after a fixed number of pages.
func TestAPIPaginateRefusals(t *testing.T) {
	t.Parallel()
	srv := pagedServer(t, 3, nil)
	srv.Handle("GET /stuck", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"paging":{"page":0,"totalPages":3}}`)
	}))
	srv.Handle("GET /endless", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"paging":{"page":%s,"totalPages":1000000000}}`, cmp.Or(r.URL.Query().Get("page"), "0"))
	}))
	srv.Handle("GET /text", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "hello")
	}))
	c := call{srv: srv, env: appEnv(srv)}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-X", "POST", "/paged"}, "--paginate follows the pages of a GET request, not a POST"},
		{[]string{"/paged", "-f", "size=10"}, "--paginate follows the pages of a GET request, not a POST (fields make a POST: add -X GET to send them as query parameters)"},
		{[]string{"/paged", "--input", "-"}, "--paginate follows the pages of a GET request, and --input sends a body"},
		{[]string{"/paged?page=x"}, `--paginate: the query's page "x" is not a page number (0, 1, …)`},
		{[]string{"/paged?page=1&page=2"}, "--paginate: the query gives page twice"},
	} {
		r := c.run(t, append([]string{"api", "--paginate"}, tc.args...)...)
		require.Equal(t, 2, r.code, "%v\n%s", tc.args, r)
		require.Contains(t, r.stderr, "ibauth: "+tc.want+"\n", tc.args)
	}
	require.Zero(t, srv.Count("GET /paged"))

	r := c.run(t, "api", "--paginate", "/account/1/balance")
	require.Equal(t, 1, r.code, r)
	require.Empty(t, r.stdout)
	require.Equal(t, "ibauth: GET /account/1/balance: --paginate: the answer has no paging.totalPages; this endpoint does not page as --paginate reads\n", r.stderr)

	r = c.run(t, "api", "--paginate", "/text")
	require.Equal(t, 1, r.code, r)
	require.Empty(t, r.stdout)
	require.Equal(t, "ibauth: GET /text: --paginate: the answer is not JSON (Content-Type: text/plain)\n", r.stderr)

	r = c.run(t, "api", "--paginate", "/stuck")
	require.Equal(t, 1, r.code, r)
	require.Equal(t, `{"paging":{"page":0,"totalPages":3}}`+"\n", r.stdout)
	require.Equal(t, "ibauth: GET /stuck: --paginate: asked for page 1, the answer is page 0; this endpoint does not page with the query's page\n", r.stderr)

	r = c.run(t, "api", "--paginate", "/endless", "--silent")
	require.Equal(t, 1, r.code, r)
	require.Equal(t, fmt.Sprintf("ibauth: GET /endless: --paginate: stopped after %d pages, of 1000000000 by the answer's paging.totalPages; narrow the query, or raise its size\n", maxPages), r.stderr)
	require.Equal(t, maxPages, srv.Count("GET /endless"))
}
