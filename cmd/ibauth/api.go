package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/internal/scrub"
)

var apiCmd = &command{
	name:  "api",
	short: "Make an authenticated request to the Infobip API",
	usage: "ibauth api [flags] PATH",
	long: `
Make an authenticated HTTP request to PATH on the account in IB_BASE_URL
and print the response body.

PATH is a path such as /account/1/balance, with a query string if needed.
A full URL is accepted only on the base URL's origin: credentials go nowhere
else.

The method is GET, or POST when fields or --input are given. Fields (-f,
-F) form a JSON object sent as the body; for a GET or HEAD request, or with
--input, they are query parameters instead. -f adds a string; -F reads
true, false, null and numbers as JSON, @FILE as the content of FILE, and @-
as standard input (once). Keys nest as with gh api: key[sub]=v sets sub in
an object, key[]=v adds v to an array, and key[][sub]=v sets sub in the
array's last object, or in a new one if the last has sub already (as
anything but an array). Fields apply in the order given. Write phone
numbers with -f: -F would send them as numbers.

--jq filters a JSON answer with a jq expression (gojq): a string prints
without quotes, any other value as JSON. The expression sees the answer
only: $ENV and env are empty. --silent prints no body.

--paginate fetches every page of a GET that Infobip pages: page 0 (or the
query's page) first, then the next, until the answer's paging.totalPages,
and prints each, through --jq if given. It stops at the first failure,
and after 1,000 pages.

On a terminal a JSON response is pretty-printed; piped, the body is written
as received. When the API answers with a status above 299 once redirects
are followed (4xx, 5xx, or a 3xx such as 304), the body (up to 1 MiB) is
still printed, never through --jq, unless it echoes a credential (the one
the request carried, or one of the IB_* variables) in any encoding;
Infobip's error is shown on stderr, and the exit status is 1. Response
headers (-i) are printed with any credential they echo redacted.`,
	example: `
$ ibauth api /account/1/balance --jq .balance
$ ibauth api /sms/3/messages -f 'messages[][destinations][][to]=41793026727' -f 'messages[][content][text]=Hi'
$ echo 'Hi from stdin' | ibauth api /sms/3/messages -f 'messages[][destinations][][to]=41793026727' -F 'messages[][content][text]=@-'
$ ibauth api --paginate '/settings/2/api-keys?size=100' --jq '.apiKeys[] | select(.enabled) | .name'
$ ibauth api -X PUT /settings/2/api-keys/ID --input key.json`,
	setup: setupAPI,
}

type apiOptions struct {
	method   string
	headers  []string
	fields   []fieldArg // -f and -F, in the order given
	input    string
	include  bool
	silent   bool
	jq       string
	paginate bool
}

func setupAPI(f *flagSet) runFunc {
	var o apiOptions
	f.stringVar(&o.method, "X", "method", "METHOD", "The HTTP method (default GET, or POST with fields or --input)")
	f.listVar(&o.headers, "H", "header", "'NAME: VALUE'", "Add a request header (repeatable)")
	f.valueVar(fieldFlag{&o.fields, false}, "f", "raw-field", "KEY=VALUE", "Add a string field (repeatable)")
	f.valueVar(fieldFlag{&o.fields, true}, "F", "field", "KEY=VALUE", "Add a typed field: true, false, null, a number, @FILE, or @- for stdin (repeatable)")
	f.stringVar(&o.input, "", "input", "FILE", `Send the content of FILE as the body ("-": stdin)`)
	f.boolVar(&o.include, "i", "include", "Print the response status line and headers before the body")
	f.stringVar(&o.jq, "q", "jq", "EXPR", "Filter the JSON answer with a jq expression; strings print without quotes")
	f.boolVar(&o.silent, "", "silent", "Do not print the response body")
	f.boolVar(&o.paginate, "", "paginate", "Fetch every page of a GET that Infobip pages (page, size), and print each")
	return func(ctx context.Context, a *app, args []string) error { return a.api(ctx, o, args) }
}

// maxBuffered bounds what api holds in memory to pretty-print a body;
// beyond, the body is copied as it comes.
const maxBuffered = 16 << 20

// maxPages bounds the pages --paginate fetches, against a server whose
// paging never ends. Infobip serves pages 0 to 100 of at most 100 results.
const maxPages = 1000

// maxErrorBody bounds the error body api judges, and shows if it echoes no
// credential; a longer one is not shown.
const maxErrorBody = 1 << 20

func (a *app) api(ctx context.Context, o apiOptions, args []string) error {
	if len(args) != 1 {
		return usageError("api takes one PATH, such as /account/1/balance; got %d arguments", len(args))
	}
	header, err := parseHeaders(o.headers)
	if err != nil {
		return err
	}
	var filter *jqFilter
	if o.jq != "" {
		if o.silent {
			return usageError("--jq and --silent: use one; --silent prints no body")
		}
		if filter, err = compileFilter(o.jq); err != nil {
			return err
		}
	}
	fields, err := parseFields(o.fields, a.stdin, o.input == "-")
	if err != nil {
		return err
	}
	method := strings.ToUpper(o.method)
	switch {
	case method == "" && (len(fields) > 0 || o.input != ""):
		method = http.MethodPost
	case method == "":
		method = http.MethodGet
	case strings.IndexFunc(method, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0:
		return usageError("--method %q: use letters only, such as GET or POST", o.method)
	}
	// Fields are query parameters of a GET or HEAD, or beside --input's
	// body; otherwise they are the body.
	var body []byte
	query := make(url.Values)
	switch {
	case o.input != "":
		err = queryOf(query, fields, "with --input, fields are query parameters, which do not nest: write the nesting in the body")
	case method == http.MethodGet || method == http.MethodHead:
		err = queryOf(query, fields, "a "+method+" request sends fields as query parameters, which do not nest: nested keys need a body (-X POST, PUT or PATCH)")
	case len(fields) > 0:
		var obj map[string]any
		if obj, err = bodyOf(fields); err == nil {
			body, err = json.Marshal(obj)
		}
	}
	if err != nil {
		return err
	}
	if o.paginate {
		switch {
		case o.input != "":
			return usageError("--paginate follows the pages of a GET request, and --input sends a body")
		case method != http.MethodGet && o.method == "":
			return usageError("--paginate follows the pages of a GET request, not a %s (fields make a POST: add -X GET to send them as query parameters)", method)
		case method != http.MethodGet:
			return usageError("--paginate follows the pages of a GET request, not a %s", method)
		}
	}
	if o.input != "" {
		if body, err = readInput(a.stdin, o.input); err != nil {
			return err
		}
	}

	acc, err := a.openAccount()
	if err != nil {
		return err
	}
	defer acc.close(a)
	target, path, err := resolvePath(acc.baseURL, args[0])
	if err != nil {
		return err
	}
	if len(query) > 0 {
		if target.RawQuery != "" {
			target.RawQuery += "&"
		}
		target.RawQuery += query.Encode()
	}
	page := 0
	if o.paginate {
		if page, err = firstPage(target.RawQuery); err != nil {
			return err
		}
	}
	r := &apiRequest{method: method, target: target, body: body, header: header, op: method + " " + path, arg: args[0]}
	for n := 1; ; n++ {
		resp, err := r.do(ctx, acc.client)
		if err != nil {
			return err
		}
		total, err := a.printResponse(ctx, resp, o, filter, r.op, page)
		resp.Body.Close()
		if err != nil || !o.paginate {
			return err
		}
		if page++; page >= total {
			return nil
		}
		if n == maxPages {
			return fmt.Errorf("%s: --paginate: stopped after %d pages, of %d by the answer's paging.totalPages; narrow the query, or raise its size", r.op, maxPages, total)
		}
		target.RawQuery = withPage(target.RawQuery, page)
	}
}

// apiRequest is the request api makes, once or for each page.
type apiRequest struct {
	method string
	target *url.URL
	body   []byte
	header http.Header
	op     string // "GET /path", for errors
	arg    string // PATH as given
}

// do sends r with c.
func (r *apiRequest) do(ctx context.Context, c *http.Client) (*http.Response, error) {
	var rd io.Reader
	if r.body != nil {
		rd = bytes.NewReader(r.body) // replayable, for a retry after 401
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.target.String(), rd)
	if err != nil {
		return nil, usageError("PATH %q: %v", r.arg, err)
	}
	req.Header.Set("Accept", "application/json")
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for name, vs := range r.header {
		if name == "Host" {
			req.Host = vs[0]
			continue
		}
		req.Header[name] = vs
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, describeError(r.op, err)
	}
	return resp, nil
}

// printResponse writes resp's body to stdout, filtered if filter is not
// nil, and Infobip's error to stderr for a status above 299, in which case
// it returns reported. An error body is never filtered, as with gh: it is
// shown as received, or not at all if it echoes a credential of the run.
// With --paginate, resp is for page, and printResponse returns the number
// of pages the answer says there are; an answer without them is not
// printed.
func (a *app) printResponse(ctx context.Context, resp *http.Response, o apiOptions, filter *jqFilter, op string, page int) (int, error) {
	// After the request: the scrubber knows the credential it carried.
	sc := a.secrets.scrubber()
	tty := isTerminal(a.stdout)
	// As gh: any status above 299 once redirects are followed (a 304, a
	// 3xx without Location) is a failure, judged and reported as a 4xx.
	if resp.StatusCode > 299 {
		a.printHead(resp, o.include, sc)
		return 0, a.printFailure(resp, o.silent, sc, op, tty)
	}
	if filter == nil && !o.paginate {
		a.printHead(resp, o.include, sc)
		if o.silent {
			return 0, nil
		}
		return 0, a.copyBody(resp, op, tty)
	}

	// --jq and --paginate read the whole answer.
	flag := "--paginate"
	if filter != nil {
		flag = "--jq"
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBuffered+1))
	if err != nil {
		return 0, fmt.Errorf("%s: reading the response: %v", op, err)
	}
	if len(body) > maxBuffered {
		return 0, fmt.Errorf("%s: %s: the answer is longer than 16 MiB, more than %s reads", op, flag, flag)
	}
	total := 0
	if o.paginate {
		if total, err = pagingOf(body, page, resp.Header.Get("Content-Type")); err != nil {
			return 0, fmt.Errorf("%s: --paginate: %w", op, err)
		}
	}
	a.printHead(resp, o.include, sc)
	switch {
	case o.silent:
	case filter != nil:
		if err := filter.run(ctx, a.stdout, body, resp.Header.Get("Content-Type"), tty); err != nil {
			return 0, fmt.Errorf("%s: %w", op, err)
		}
	default:
		err := writeBody(a.stdout, body, tty)
		if err == nil && !tty && len(body) > 0 && body[len(body)-1] != '\n' {
			_, err = io.WriteString(a.stdout, "\n") // one page a line
		}
		if err != nil {
			return 0, err
		}
	}
	return total, nil
}

// printHead writes resp's status line and headers for -i, with any
// credential they echo redacted.
func (a *app) printHead(resp *http.Response, include bool, sc *scrub.Scrubber) {
	if !include {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", resp.Proto, printable(sc.Text(resp.Status)))
	for _, name := range slices.Sorted(maps.Keys(resp.Header)) {
		for _, v := range resp.Header[name] {
			fmt.Fprintf(&b, "%s: %s\n", printable(sc.Text(name)), printable(sc.Text(v)))
		}
	}
	b.WriteString("\n")
	io.WriteString(a.stdout, b.String())
}

// copyBody writes a successful answer's body as received, or indented
// if tty and it is JSON.
func (a *app) copyBody(resp *http.Response, op string, tty bool) error {
	if !tty {
		_, err := io.Copy(a.stdout, resp.Body)
		return err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBuffered+1))
	if err != nil {
		return fmt.Errorf("%s: reading the response: %v", op, err)
	}
	if len(body) > maxBuffered {
		// Too big to format: copy it as it comes.
		if _, err := a.stdout.Write(body); err != nil {
			return err
		}
		_, err := io.Copy(a.stdout, resp.Body)
		return err
	}
	return writeBody(a.stdout, body, tty)
}

// printFailure shows the body of an answer above 299, unless silent or it
// echoes a credential of the run, and Infobip's error on stderr; it
// returns reported.
func (a *app) printFailure(resp *http.Response, silent bool, sc *scrub.Scrubber, op string, tty bool) error {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody+1))
	if err != nil {
		return fmt.Errorf("%s: reading the response: %v", op, err)
	}
	switch {
	case silent:
	case len(body) > maxErrorBody:
		fmt.Fprintln(a.stderr, "ibauth: the answer's body is longer than 1 MiB; it is not shown")
	case sc.Found(string(body)):
		// The whole body as received, against every credential of the
		// run: what the library parses of it is not enough to judge.
		fmt.Fprintln(a.stderr, "ibauth: the answer echoes a credential; its body is not shown")
	default:
		writeBody(a.stdout, body, tty)
	}
	// The response itself, not a copy: ParseError knows which credential
	// it carried, and scrubs it should the server echo it.
	resp.Body = io.NopCloser(bytes.NewReader(body))
	e := auth.ParseError(resp)
	e.Op = op
	a.printErr(e.Error())
	return reported
}

// writeBody writes body, indented if tty and it is JSON.
func writeBody(w io.Writer, body []byte, tty bool) error {
	if !tty {
		_, err := w.Write(body)
		return err
	}
	var out bytes.Buffer
	if json.Valid(body) && json.Indent(&out, body, "", "  ") == nil {
		body = out.Bytes()
	}
	if _, err := w.Write(body); err != nil {
		return err
	}
	if len(body) > 0 && body[len(body)-1] != '\n' {
		_, err := io.WriteString(w, "\n")
		return err
	}
	return nil
}

// resolvePath returns the URL for the PATH argument on baseURL, and the
// path as errors show it.
func resolvePath(baseURL, p string) (*url.URL, string, error) {
	if strings.Contains(p, "://") {
		u, err := url.Parse(p)
		if err != nil {
			// Not quoted: a full URL can carry user information or a key.
			return nil, "", usageError("PATH is a URL that does not parse; give a path such as /account/1/balance")
		}
		if !strings.EqualFold(u.Scheme+"://"+u.Host, baseURL) {
			return nil, "", usageError("PATH on %s is not on IB_BASE_URL (%s): ibauth sends credentials only there; give a path such as /account/1/balance", u.Scheme+"://"+u.Host, baseURL)
		}
		p = u.RequestURI()
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	u, err := url.Parse(baseURL + p)
	if err != nil {
		return nil, "", usageError("PATH %q: %v", p, err)
	}
	u.Fragment, u.RawFragment = "", ""
	return u, u.EscapedPath(), nil
}

// parseHeaders reads -H 'Name: value' arguments.
func parseHeaders(args []string) (http.Header, error) {
	h := make(http.Header)
	for _, arg := range args {
		name, value, ok := strings.Cut(arg, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.IndexFunc(name, func(r rune) bool {
			return r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r)
		}) >= 0 {
			return nil, usageError("--header %q: write it as 'Name: value'", arg)
		}
		value = strings.TrimSpace(value)
		if strings.IndexFunc(value, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) >= 0 {
			return nil, usageError("--header %s: the value contains control characters", name)
		}
		name = http.CanonicalHeaderKey(name)
		if name == "Authorization" {
			return nil, usageError("--header Authorization: the Authorization header comes from the IB_* variables (see 'ibauth --help')")
		}
		h.Add(name, value)
	}
	return h, nil
}

// readInput reads the --input body: a file, or stdin for "-".
func readInput(stdin io.Reader, name string) ([]byte, error) {
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(stdin)
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, usageError("--input: %v", err)
	}
	return b, nil
}
