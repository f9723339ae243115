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
-F) become query parameters of a GET or HEAD request, or with --input;
otherwise they form a JSON object sent as the body. -f adds a string; -F
reads true, false, null and numbers as JSON, and @FILE as the content of
FILE. For nested bodies, such as an SMS message, write the JSON to a file or
stdin and pass --input.

On a terminal a JSON response is pretty-printed; piped, the body is written
as received. When the API answers with a status above 299 once redirects
are followed (4xx, 5xx, or a 3xx such as 304), the body (up to 1 MiB) is
still printed unless it echoes a credential (the one the request carried,
or one of the IB_* variables) in any encoding, Infobip's error is shown on
stderr, and the exit status is 1. Response headers (-i) are printed with
any credential they echo redacted.`,
	example: `
$ ibauth api /account/1/balance
$ ibauth api -X GET /settings/2/api-keys -f size=10 | jq '.apiKeys[].name'
$ echo '{"messages":[{"destinations":[{"to":"41793026727"}],"content":{"text":"Hi"}}]}' | ibauth api /sms/3/messages --input -
$ ibauth api -X PUT /settings/2/api-keys/ID --input key.json`,
	setup: setupAPI,
}

type apiOptions struct {
	method  string
	headers []string
	fields  []fieldArg // -f and -F, in the order given
	input   string
	include bool
	silent  bool
	jq      string
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
	return func(ctx context.Context, a *app, args []string) error { return a.api(ctx, o, args) }
}

// maxBuffered bounds what api holds in memory to pretty-print a body;
// beyond, the body is copied as it comes.
const maxBuffered = 16 << 20

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

	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body) // replayable, for a retry after 401
	}
	req, err := http.NewRequestWithContext(ctx, method, target.String(), rd)
	if err != nil {
		return usageError("PATH %q: %v", args[0], err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for name, vs := range header {
		if name == "Host" {
			req.Host = vs[0]
			continue
		}
		req.Header[name] = vs
	}
	resp, err := acc.client.Do(req)
	if err != nil {
		return describeError(method+" "+path, err)
	}
	defer resp.Body.Close()
	return a.printResponse(ctx, resp, o, filter, method+" "+path)
}

// printResponse writes resp's body to stdout, filtered if filter is not
// nil, and Infobip's error to stderr for a status above 299, in which case
// it returns reported. An error body is never filtered, as with gh: it is
// shown as received, or not at all if it echoes a credential of the run.
func (a *app) printResponse(ctx context.Context, resp *http.Response, o apiOptions, filter *jqFilter, op string) error {
	// After the request: the scrubber knows the credential it carried.
	sc := a.secrets.scrubber()
	if o.include {
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
	tty := isTerminal(a.stdout)
	// As gh: any status above 299 once redirects are followed (a 304, a
	// 3xx without Location) is a failure, judged and reported as a 4xx.
	if resp.StatusCode <= 299 {
		if o.silent {
			return nil
		}
		if filter != nil {
			body, err := io.ReadAll(io.LimitReader(resp.Body, maxBuffered+1))
			if err != nil {
				return fmt.Errorf("%s: reading the response: %v", op, err)
			}
			if len(body) > maxBuffered {
				return fmt.Errorf("%s: --jq: the answer is longer than 16 MiB, more than --jq reads", op)
			}
			if err := filter.run(ctx, a.stdout, body, resp.Header.Get("Content-Type"), tty); err != nil {
				return fmt.Errorf("%s: %w", op, err)
			}
			return nil
		}
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
			a.stdout.Write(body)
			_, err := io.Copy(a.stdout, resp.Body)
			return err
		}
		writeBody(a.stdout, body, tty)
		return nil
	}

	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody+1))
	if err != nil {
		return fmt.Errorf("%s: reading the response: %v", op, err)
	}
	switch {
	case o.silent:
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
func writeBody(w io.Writer, body []byte, tty bool) {
	if !tty {
		w.Write(body)
		return
	}
	var out bytes.Buffer
	if json.Valid(body) && json.Indent(&out, body, "", "  ") == nil {
		body = out.Bytes()
	}
	w.Write(body)
	if len(body) > 0 && body[len(body)-1] != '\n' {
		io.WriteString(w, "\n")
	}
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
