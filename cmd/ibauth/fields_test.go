package main

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth/authtest"
)

// echoServer is an authtest server with a POST /echo route that answers
// 201, for tests that read the body ibauth sent.
func echoServer(t *testing.T) *authtest.Server {
	srv := newServer(t)
	srv.Handle("POST /echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) }))
	return srv
}

// lastBody is the body of the last request srv received on route.
func lastBody(t *testing.T, srv *authtest.Server, route string) string {
	t.Helper()
	rs := srv.Requests(route)
	require.NotEmpty(t, rs, route)
	return string(rs[len(rs)-1].Body)
}

// TestAPINestedFields: keys with [sub] and [] build nested JSON as gh api
// does, by its rule for arrays of objects: k[][a] adds to the array's last
// object unless that object already has a, or has it as an array.
func TestAPINestedFields(t *testing.T) {
	t.Parallel()
	srv := echoServer(t)
	c := call{srv: srv, env: appEnv(srv)}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"objects", []string{"-f", "a[b]=1", "-F", "a[c]=2", "-f", "a[d][e]=x"}, `{"a":{"b":"1","c":2,"d":{"e":"x"}}}`},
		{"an array", []string{"-f", "k[]=x", "-F", "k[]=true", "-f", "k[]=y"}, `{"k":["x",true,"y"]}`},
		{"an empty array", []string{"-f", "k[]", "-f", "n=1"}, `{"k":[],"n":"1"}`},
		{"an empty array stays what fields add", []string{"-f", "k[]=x", "-f", "k[]"}, `{"k":["x"]}`},
		{"objects in an array: a key present starts a new one",
			[]string{"-f", "m[][x]=1", "-f", "m[][y]=2", "-f", "m[][x]=3"}, `{"m":[{"x":"1","y":"2"},{"x":"3"}]}`},
		{"an object present starts a new one",
			[]string{"-f", "m[][c][t]=1", "-f", "m[][c][u]=2"}, `{"m":[{"c":{"t":"1"}},{"c":{"u":"2"}}]}`},
		{"an array present is added to",
			[]string{"-f", "m[][d][]=1", "-f", "m[][d][]=2", "-f", "m[][e]=3"}, `{"m":[{"d":["1","2"],"e":"3"}]}`},
		{"a null present starts a new one", []string{"-F", "m[][x]=null", "-f", "m[][x]=2"}, `{"m":[{"x":null},{"x":"2"}]}`},
		{"gh's own example", []string{
			"-F", "properties[][property_name]=environment", "-F", "properties[][default_value]=production",
			"-F", "properties[][allowed_values][]=staging", "-F", "properties[][allowed_values][]=production"},
			`{"properties":[{"property_name":"environment","default_value":"production","allowed_values":["staging","production"]}]}`},
		{"-f and -F in the order given", []string{"-F", "m[][n]=1", "-f", "m[][n]=x"}, `{"m":[{"n":1},{"n":"x"}]}`},
	} {
		r := c.run(t, append([]string{"api", "/echo"}, tc.args...)...)
		require.Equal(t, 0, r.code, "%s\n%s", tc.name, r)
		require.JSONEq(t, tc.want, lastBody(t, srv, "POST /echo"), tc.name)
	}
}

// TestAPINestedFieldsSendSMS: the SMS body of Infobip's v3 API, built from
// fields, is accepted; two destinations go to one message. -F reads a
// phone number as a number, as gh does, which Infobip refuses: -f keeps it
// a string.
func TestAPINestedFieldsSendSMS(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := call{srv: srv, env: appEnv(srv)}
	r := c.run(t, "api", "/sms/3/messages",
		"-f", "messages[][destinations][][to]=41793026727", "-f", "messages[][content][text]=Hi")
	require.Equal(t, 0, r.code, r)
	require.JSONEq(t, `{"messages":[{"destinations":[{"to":"41793026727"}],"content":{"text":"Hi"}}]}`,
		lastBody(t, srv, authtest.RouteSendSMS))

	r = c.run(t, "api", "/sms/3/messages", "-f", "messages[][destinations][][to]=41793026727",
		"-f", "messages[][destinations][][to]=41793026728", "-f", "messages[][content][text]=Hi")
	require.Equal(t, 0, r.code, r)
	require.JSONEq(t, `{"messages":[{"destinations":[{"to":"41793026727"},{"to":"41793026728"}],"content":{"text":"Hi"}}]}`,
		lastBody(t, srv, authtest.RouteSendSMS))

	r = c.run(t, "api", "/sms/3/messages", "-F", "messages[][destinations][][to]=41793026727", "-f", "messages[][content][text]=Hi")
	require.Equal(t, 1, r.code, r)
	require.JSONEq(t, `{"messages":[{"destinations":[{"to":41793026727}],"content":{"text":"Hi"}}]}`,
		lastBody(t, srv, authtest.RouteSendSMS))
	require.Contains(t, r.stderr, "POST /sms/3/messages: 400")
}

// TestAPIFieldErrors: a key that does not parse, or that contradicts an
// earlier one, is a usage error naming the key, before any request; so
// are nested keys where fields become query parameters.
func TestAPIFieldErrors(t *testing.T) {
	t.Parallel()
	srv := echoServer(t)
	c := call{srv: srv, env: appEnv(srv), secrets: []string{"s3cr3t-value"}}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-f", "a=1", "-f", "a=2"}, `--raw-field "a": a is already set`},
		{[]string{"-f", "a=1", "-F", "a[b]=s3cr3t-value"}, `--field "a[b]": a is already set to a value that is not an object`},
		{[]string{"-f", "a[b]=1", "-f", "a[]=s3cr3t-value"}, `--raw-field "a[]": a is already set to a value that is not an array`},
		{[]string{"-f", "a[b]=1", "-f", "a[b][c]=2"}, `--raw-field "a[b][c]": a[b] is already set to a value that is not an object`},
		{[]string{"-f", "a[b=s3cr3t-value"}, `--raw-field "a[b": a [ without its ]`},
		{[]string{"-f", "a[b]c=s3cr3t-value"}, `--raw-field "a[b]c": write nested keys as name[key][key]`},
		{[]string{"-f", "[a]=s3cr3t-value"}, `--raw-field "[a]": a key starts with a name, as in name[key]`},
		{[]string{"-f", "a]=s3cr3t-value"}, `--raw-field "a]": write nested keys as name[key][key]`},
		{[]string{"-f", "a[][]=s3cr3t-value"}, `--raw-field "a[][]": arrays of arrays cannot be written as fields; send the body with --input`},
		{[]string{"-f", "a[b]"}, `--raw-field "a[b]": write it as key=value`},
		{[]string{"-F", "=s3cr3t-value"}, `--field "": write it as key=value`},
		{[]string{"-X", "GET", "-f", "a[b]=s3cr3t-value"}, `--raw-field "a[b]": a GET request sends fields as query parameters, which do not nest: nested keys need a body (-X POST, PUT or PATCH)`},
		{[]string{"-X", "GET", "-f", "k[]=1"}, `--raw-field "k[]": a GET request sends fields as query parameters, which do not nest: nested keys need a body (-X POST, PUT or PATCH)`},
		{[]string{"--input", "-", "-f", "a[b]=1"}, `--raw-field "a[b]": with --input, fields are query parameters, which do not nest: write the nesting in the body`},
	} {
		r := c.run(t, append([]string{"api", "/echo"}, tc.args...)...)
		require.Equal(t, 2, r.code, "%v\n%s", tc.args, r)
		require.Contains(t, r.stderr, "ibauth: "+tc.want+"\n", tc.args)
		require.Empty(t, r.stdout)
	}
	require.Zero(t, srv.Count("POST /echo"))
}

// TestAPIFieldFromStdin: -F key=@- reads the value from standard input,
// once; -F key=@FILE from a file.
func TestAPIFieldFromStdin(t *testing.T) {
	t.Parallel()
	srv := echoServer(t)
	env := appEnv(srv)
	r := call{srv: srv, env: env, stdin: "Hello from stdin\n"}.run(t, "api", "/sms/3/messages",
		"-f", "messages[][destinations][][to]=41793026727", "-F", "messages[][content][text]=@-")
	require.Equal(t, 0, r.code, r)
	require.JSONEq(t, `{"messages":[{"destinations":[{"to":"41793026727"}],"content":{"text":"Hello from stdin\n"}}]}`,
		lastBody(t, srv, authtest.RouteSendSMS))

	file := filepath.Join(t.TempDir(), "text.txt")
	require.NoError(t, os.WriteFile(file, []byte("from a file"), 0o600))
	r = call{srv: srv, env: env, stdin: "in"}.run(t, "api", "/echo", "-F", "a=@-", "-F", "b[c]=@"+file)
	require.Equal(t, 0, r.code, r)
	require.JSONEq(t, `{"a":"in","b":{"c":"from a file"}}`, lastBody(t, srv, "POST /echo"))

	// In a query too.
	r = call{srv: srv, env: env, stdin: "q v"}.run(t, "api", "-X", "GET", "/account/1/balance", "-F", "q=@-")
	require.Equal(t, 0, r.code, r)
	require.Equal(t, "q=q+v", srv.Requests(authtest.RouteBalance)[0].Query)

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-F", "a=@-", "-F", "b=@-"}, `--field "b": standard input is read once, and --field "a" reads it already`},
		{[]string{"-F", "a=@-", "--input", "-"}, `--field "a": standard input is read once, and --input - reads it already`},
		{[]string{"-F", "a=@/no/such/file"}, `--field "a": open /no/such/file: no such file or directory`},
	} {
		r := call{srv: srv, env: env, stdin: "x"}.run(t, append([]string{"api", "/echo"}, tc.args...)...)
		require.Equal(t, 2, r.code, "%v\n%s", tc.args, r)
		require.Contains(t, r.stderr, "ibauth: "+tc.want+"\n", tc.args)
	}
	require.Equal(t, 1, srv.Count("POST /echo"))
}
