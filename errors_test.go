package auth_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

const (
	newBody = `{
  "errorCode": "E400",
  "description": "Request cannot be processed.",
  "action": "Check the syntax, violations and adjust the request.",
  "violations": [
    {"property": "username", "violation": "must not be empty"},
    {"property": "password", "violation": "must not be empty"}
  ],
  "resources": [
    {"name": "API documentation", "url": "https://www.infobip.com/docs/api"}
  ]
}`
	oldBody = `{"requestError":{"serviceException":{"messageId":"BAD_REQUEST","text":"Bad request",` +
		`"validationErrors":{"username":["size must be between 1 and 64","must not be empty"],"password":["must not be empty"]}}}}`
	proxyHTML = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n" +
		"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
	// proxyExcerpt is proxyHTML on one line, cut to 117 bytes and marked.
	proxyExcerpt = "<html> <head><title>502 Bad Gateway</title></head> <body> " +
		"<center><h1>502 Bad Gateway</h1></center> <hr><center>nginx…"
)

func TestParseError(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   *auth.Error
	}{
		{
			name:   "new body, every field",
			status: 400,
			body:   newBody,
			want: &auth.Error{
				StatusCode:  400,
				Code:        "E400",
				Description: "Request cannot be processed.",
				Action:      "Check the syntax, violations and adjust the request.",
				Violations: []auth.Violation{
					{Property: "username", Violation: "must not be empty"},
					{Property: "password", Violation: "must not be empty"},
				},
				Resources: []auth.Resource{
					{Name: "API documentation", URL: "https://www.infobip.com/docs/api"},
				},
			},
		},
		{
			name:   "new body, code as sent even if it disagrees with the status",
			status: 400,
			body:   `{"errorCode":"E40001","description":"Invalid phone number"}`,
			want:   &auth.Error{StatusCode: 400, Code: "E40001", Description: "Invalid phone number"},
		},
		{
			name:   "new body, empty code falls back to the status",
			status: 409,
			body:   `{"errorCode":"","description":"Conflict"}`,
			want:   &auth.Error{StatusCode: 409, Code: "E409", Description: "Conflict"},
		},
		{
			name:   "new body, odd elements and fields skipped",
			status: 400,
			body: `{"errorCode":"E400","description":7,"action":null,` +
				`"violations":[5,null,{"property":1},{"property":"to","violation":"invalid"},"x"],` +
				`"resources":{"name":"not a list"}}`,
			want: &auth.Error{
				StatusCode: 400,
				Code:       "E400",
				Violations: []auth.Violation{{Property: "to", Violation: "invalid"}},
			},
		},
		{
			name:   "old body, every field, validation errors flattened and sorted",
			status: 400,
			body:   oldBody,
			want: &auth.Error{
				StatusCode:  400,
				Code:        "E400",
				MessageID:   "BAD_REQUEST",
				Description: "Bad request",
				Violations: []auth.Violation{
					{Property: "password", Violation: "must not be empty"},
					{Property: "username", Violation: "must not be empty"},
					{Property: "username", Violation: "size must be between 1 and 64"},
				},
			},
		},
		{
			name:   "old body, a validation error given as one string",
			status: 400,
			body:   `{"requestError":{"serviceException":{"messageId":"BAD_REQUEST","text":"Bad request","validationErrors":{"to":"invalid","from":7}}}}`,
			want: &auth.Error{
				StatusCode:  400,
				Code:        "E400",
				MessageID:   "BAD_REQUEST",
				Description: "Bad request",
				Violations:  []auth.Violation{{Property: "to", Violation: "invalid"}},
			},
		},
		{
			name:   "old body, unknown id",
			status: 418,
			body:   `{"requestError":{"serviceException":{"messageId":"I_AM_A_TEAPOT","text":"Short and stout"}}}`,
			want: &auth.Error{
				StatusCode:  418,
				Code:        "E418",
				MessageID:   "I_AM_A_TEAPOT",
				Description: "Short and stout",
			},
		},
		{
			name:   "old body, no id",
			status: 500,
			body:   `{"requestError":{"serviceException":{"text":"Something broke"}}}`,
			want:   &auth.Error{StatusCode: 500, Code: "E500", Description: "Something broke"},
		},
		{
			name:   "old body, policy exception",
			status: 403,
			body:   `{"requestError":{"policyException":{"messageId":"FORBIDDEN","text":"Not allowed"}}}`,
			want: &auth.Error{
				StatusCode:  403,
				Code:        "E403",
				MessageID:   "FORBIDDEN",
				Description: "Not allowed",
			},
		},
		{
			name:   "HTML from a proxy",
			status: 502,
			body:   proxyHTML,
			want:   &auth.Error{StatusCode: 502, Code: "E502", Excerpt: proxyExcerpt},
		},
		{
			name:   "short text",
			status: 504,
			body:   "  upstream\trequest\n\n timeout\n",
			want:   &auth.Error{StatusCode: 504, Code: "E504", Excerpt: "upstream request timeout"},
		},
		{
			name:   "binary garbage",
			status: 500,
			body:   "\xff\xfe\x00\x01abc\x1b[31m\u202eevil\u00a0\u2028end\xc3",
			want:   &auth.Error{StatusCode: 500, Code: "E500", Excerpt: "\ufffd abc [31mevil end\ufffd"},
		},
		{
			name:   "empty body",
			status: 503,
			body:   "",
			want:   &auth.Error{StatusCode: 503, Code: "E503"},
		},
		{
			name:   "white space only",
			status: 503,
			body:   " \r\n\t ",
			want:   &auth.Error{StatusCode: 503, Code: "E503"},
		},
		{
			name:   "malformed JSON",
			status: 400,
			body:   `{"errorCode":"E401","description":`,
			want:   &auth.Error{StatusCode: 400, Code: "E400", Excerpt: `{"errorCode":"E401","description":`},
		},
		{
			name:   "JSON object of another shape",
			status: 500,
			body:   `{"foo":1}`,
			want:   &auth.Error{StatusCode: 500, Code: "E500", Excerpt: `{"foo":1}`},
		},
		{
			name:   "JSON array",
			status: 500,
			body:   `[]`,
			want:   &auth.Error{StatusCode: 500, Code: "E500", Excerpt: `[]`},
		},
		{
			name:   "JSON null",
			status: 500,
			body:   `null`,
			want:   &auth.Error{StatusCode: 500, Code: "E500", Excerpt: `null`},
		},
		{
			name:   "JSON string",
			status: 500,
			body:   `"oops"`,
			want:   &auth.Error{StatusCode: 500, Code: "E500", Excerpt: `"oops"`},
		},
		{
			name:   "errorCode that is not a string",
			status: 401,
			body:   `{"errorCode":401}`,
			want:   &auth.Error{StatusCode: 401, Code: "E401", Excerpt: `{"errorCode":401}`},
		},
		{
			name:   "requestError without an exception",
			status: 400,
			body:   `{"requestError":{"serviceException":null}}`,
			want:   &auth.Error{StatusCode: 400, Code: "E400", Excerpt: `{"requestError":{"serviceException":null}}`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, auth.ParseError(response(tt.status, tt.body)))
		})
	}
}

func TestParseErrorOldIDs(t *testing.T) {
	for id, code := range map[string]string{
		"BAD_REQUEST":       "E400",
		"UNAUTHORIZED":      "E401",
		"FORBIDDEN":         "E403",
		"NOT_FOUND":         "E404",
		"TOO_MANY_REQUESTS": "E429",
		"GENERAL_ERROR":     "E500",
		"unauthorized":      "E418", // ids are matched exactly
		"":                  "E418",
	} {
		t.Run(id, func(t *testing.T) {
			// A status that disagrees shows that the code comes from the id.
			body := `{"requestError":{"serviceException":{"messageId":"` + id + `","text":"t"}}}`
			got := auth.ParseError(response(418, body))
			require.Equal(t, &auth.Error{StatusCode: 418, Code: code, MessageID: id, Description: "t"}, got)
		})
	}
}

func TestParseErrorNoBody(t *testing.T) {
	require.Equal(t, &auth.Error{StatusCode: 401, Code: "E401"},
		auth.ParseError(&http.Response{StatusCode: 401}))
	require.Equal(t, &auth.Error{StatusCode: 0, Code: "E0"}, auth.ParseError(nil))
}

// countingBody is an endless body of one byte that counts what was read from
// it and whether it was closed.
type countingBody struct {
	b      byte
	read   int
	closed bool
}

func (r *countingBody) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.b
	}
	r.read += len(p)
	return len(p), nil
}

func (r *countingBody) Close() error {
	r.closed = true
	return nil
}

func TestParseErrorLargeBody(t *testing.T) {
	const limit = 1 << 20
	t.Run("endless", func(t *testing.T) {
		body := &countingBody{b: 'x'}
		got := auth.ParseError(&http.Response{StatusCode: 500, Body: body})
		require.Equal(t, &auth.Error{StatusCode: 500, Code: "E500", Excerpt: strings.Repeat("x", 117) + "…"}, got)
		require.LessOrEqual(t, body.read, limit+512)
		require.GreaterOrEqual(t, body.read, limit)
		require.False(t, body.closed, "ParseError must leave the body to the caller")
	})
	t.Run("JSON cut at the limit", func(t *testing.T) {
		prefix := `{"errorCode":"E400","description":"`
		body := prefix + strings.Repeat("a", 2*limit) + `"}`
		got := auth.ParseError(response(400, body))
		want := prefix + strings.Repeat("a", 117-len(prefix)) + "…"
		require.Equal(t, &auth.Error{StatusCode: 400, Code: "E400", Excerpt: want}, got)
	})
	t.Run("JSON just under the limit", func(t *testing.T) {
		prefix := `{"errorCode":"E400","description":"`
		desc := strings.Repeat("a", limit-len(prefix)-2)
		got := auth.ParseError(response(400, prefix+desc+`"}`))
		require.Equal(t, &auth.Error{StatusCode: 400, Code: "E400", Description: desc}, got)
	})
}

func TestParseErrorRetryAfter(t *testing.T) {
	inAnHour := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	tests := []struct {
		name     string
		value    []string
		min, max time.Duration
	}{
		{name: "absent"},
		{name: "seconds", value: []string{"120"}, min: 2 * time.Minute, max: 2 * time.Minute},
		{name: "seconds with spaces", value: []string{" 7 "}, min: 7 * time.Second, max: 7 * time.Second},
		{name: "zero", value: []string{"0"}},
		{name: "first of two", value: []string{"3", "9"}, min: 3 * time.Second, max: 3 * time.Second},
		{name: "HTTP date", value: []string{inAnHour}, min: time.Hour - 5*time.Second, max: time.Hour},
		{name: "HTTP date in the past", value: []string{"Wed, 21 Oct 2015 07:28:00 GMT"}},
		{name: "RFC 850 date in the past", value: []string{"Wednesday, 21-Oct-15 07:28:00 GMT"}},
		{name: "garbage", value: []string{"soon"}},
		{name: "negative", value: []string{"-5"}},
		{name: "signed", value: []string{"+5"}},
		{name: "fraction", value: []string{"1.5"}},
		{name: "empty", value: []string{""}},
		{name: "too many digits", value: []string{"99999999999999999999"}, min: math.MaxInt64, max: math.MaxInt64},
		{name: "largest whole seconds", value: []string{"9223372036"}, min: 9223372036 * time.Second, max: 9223372036 * time.Second},
		{name: "past largest whole seconds", value: []string{"9223372037"}, min: math.MaxInt64, max: math.MaxInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var header []string
			for _, v := range tt.value {
				header = append(header, "Retry-After", v)
			}
			got := auth.ParseError(response(429, `{"errorCode":"E429","description":"Too many requests"}`, header...))
			require.GreaterOrEqual(t, got.RetryAfter, tt.min)
			require.LessOrEqual(t, got.RetryAfter, tt.max)
			require.Equal(t, "E429", got.Code)
		})
	}
}

// An API or proxy that echoes the request, Authorization included, into
// its error page: ParseError scrubs the credential the request carried,
// whether our Transport set it or the caller did.
func TestParseErrorScrubsTheEchoedAuthorization(t *testing.T) {
	srv := setup(t)
	srv.HandleFunc("GET /echo", func(w http.ResponseWriter, r *http.Request) {
		v := r.Header.Get("Authorization")
		_, cred, _ := strings.Cut(v, " ")
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "<html>bad request: Authorization: %s (%s) %q %s</html>", v, cred, v, url.QueryEscape(cred))
	})
	srv.HandleFunc("GET /echo-json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"errorCode":"E400","description":"header was %s","action":%q}`, jsonQuote(r.Header.Get("Authorization")), r.Header.Get("Authorization"))
	})
	ibsso, _ := newIBSSO(t, srv)
	bearer, _ := newOAuth(t, srv)
	basic, err := auth.NewBasic(authtest.Username, authtest.Password)
	require.NoError(t, err)
	for name, a := range map[string]auth.Authenticator{"App": apiKey(t, authtest.APIKey), "Basic": basic, "IBSSO": ibsso, "Bearer": bearer} {
		for _, path := range []string{"/echo", "/echo-json"} {
			t.Run(name+path, func(t *testing.T) {
				c := client(t, srv, a)
				c.Timeout = 10 * time.Second // http.Client then wraps the body of every response
				resp, err := c.Get(srv.URL + path)
				require.NoError(t, err)
				defer resp.Body.Close()
				e := auth.ParseError(resp)
				require.Equal(t, http.StatusBadRequest, e.StatusCode)
				header, err := a.Authorization(context.Background())
				require.NoError(t, err)
				_, cred, _ := strings.Cut(header, " ")
				out := fmtAll(e) + e.Excerpt + e.Description + e.Action
				require.NotContains(t, out, cred)
				if name == "Basic" {
					require.NotContains(t, out, authtest.Password)
				}
				require.Contains(t, out, "[redacted]", "the page is kept, the credential blotted out")
			})
		}
	}
	t.Run("caller's own header, no Transport", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/echo", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "App "+authtest.APIKey)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.NotContains(t, fmtAll(auth.ParseError(resp)), authtest.APIKey)
	})
}

// http.Client with a Timeout wraps every response body in its own type:
// ParseError scrubs the echoed credential all the same.
func TestParseErrorScrubsBehindAClientTimeout(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef-feedface-0000-1111-2222-333344445555"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"requestError":{"serviceException":{"messageId":"BAD_REQUEST","text":"bad header %s"}}}`, r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	k, _ := auth.NewAPIKey(key)
	for _, timeout := range []time.Duration{0, 10 * time.Second} {
		c, err := auth.NewClient(srv.URL, k, &http.Client{Timeout: timeout})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Get(srv.URL + "/x")
		if err != nil {
			t.Fatal(err)
		}
		e := auth.ParseError(resp)
		resp.Body.Close()
		if strings.Contains(e.Error(), key) {
			t.Errorf("Timeout %v: ParseError shows the key: %s", timeout, e.Error())
		}
	}
}

func TestErrorText(t *testing.T) {
	withOp := func(op string, e *auth.Error) *auth.Error {
		e.Op = op
		return e
	}
	tests := []struct {
		name string
		err  *auth.Error
		want string
	}{
		{
			name: "new body with action and violations",
			err:  withOp("create IBSSO session", auth.ParseError(response(400, newBody))),
			want: "auth: create IBSSO session: 400 E400: Request cannot be processed.; " +
				"Check the syntax, violations and adjust the request. " +
				"(username: must not be empty; password: must not be empty)",
		},
		{
			name: "old body",
			err: withOp("create IBSSO session", auth.ParseError(response(401,
				`{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Invalid login details"}}}`))),
			want: "auth: create IBSSO session: 401 E401: Invalid login details",
		},
		{
			name: "old body with validation errors, no operation",
			err:  auth.ParseError(response(400, oldBody)),
			want: "auth: 400 E400: Bad request (password: must not be empty; " +
				"username: must not be empty; username: size must be between 1 and 64)",
		},
		{
			name: "HTML from a proxy",
			err:  withOp("fetch OAuth token", auth.ParseError(response(502, proxyHTML))),
			want: `auth: fetch OAuth token: 502 E502: "` + proxyExcerpt + `"`,
		},
		{
			name: "excerpt with quotes",
			err:  auth.ParseError(response(500, `{"foo":"bar\\baz"}`)),
			want: `auth: 500 E500: "{\"foo\":\"bar\\\\baz\"}"`,
		},
		{
			name: "empty body",
			err:  auth.ParseError(response(503, "")),
			want: "auth: 503 E503: Service Unavailable",
		},
		{
			name: "empty body, unknown status",
			err:  auth.ParseError(response(599, "")),
			want: "auth: 599 E599",
		},
		{
			name: "control characters and white space in every field",
			err: &auth.Error{
				StatusCode:  401,
				Code:        "E401\n",
				Op:          "fetch\tOAuth token",
				Description: "Invalid\r\n\tlogin  details\x00",
				Action:      "\x1b[2JCheck your\u2028credentials\u202e",
				Violations: []auth.Violation{
					{Property: "client_id\n", Violation: "must not be\x7fempty"},
					{Property: " ", Violation: "\t"},
					{Violation: "no property"},
					{Property: "no violation"},
				},
			},
			want: "auth: fetch OAuth token: 401 E401: Invalid login details; [2JCheck your credentials " +
				"(client_id: must not be empty; no property; no violation)",
		},
		{
			name: "long description",
			err:  &auth.Error{StatusCode: 400, Code: "E400", Description: strings.Repeat("a", 1000)},
			want: "auth: 400 E400: " + strings.Repeat("a", 281) + "…",
		},
		{
			name: "description cut inside a rune",
			err:  &auth.Error{StatusCode: 400, Code: "E400", Description: "a" + strings.Repeat("é", 500)},
			// 16 bytes of prefix, "a", then 140 two-byte runes: the cut at
			// 297 bytes falls between two runes.
			want: "auth: 400 E400: a" + strings.Repeat("é", 140) + "…",
		},
		{
			name: "many violations",
			err: &auth.Error{StatusCode: 400, Code: "E400", Description: "Bad",
				Violations: func() []auth.Violation {
					v := make([]auth.Violation, 10000)
					for i := range v {
						v[i] = auth.Violation{Property: "p", Violation: "v"}
					}
					return v
				}()},
			// "auth: 400 E400: Bad (" is 21 bytes and each "p: v; " 6: the
			// cut at 297 falls after the 46th, whose space is dropped.
			want: "auth: 400 E400: Bad (" + strings.Repeat("p: v; ", 45) + "p: v;…",
		},
		{
			name: "zero value",
			err:  &auth.Error{},
			want: "auth: 0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.err.Error()
			require.Equal(t, tt.want, got)
			require.LessOrEqual(t, len(got), 300)
			require.True(t, utf8.ValidString(got))
			require.False(t, strings.ContainsFunc(got, unicode.IsControl), "control character in %q", got)
		})
	}
}

func TestErrorAs(t *testing.T) {
	cause := &oauth2.RetrieveError{ErrorCode: "invalid_client"}
	e := auth.ParseError(response(401, `{"errorCode":"E401","description":"Invalid login details"}`))
	e.Op = "fetch OAuth token"
	e.Err = cause
	wrapped := fmt.Errorf("send SMS: %w", e)

	var ae *auth.Error
	require.True(t, errors.As(wrapped, &ae))
	require.Same(t, e, ae)
	require.Equal(t, 401, ae.StatusCode)
	require.Equal(t, "E401", ae.Code)
	require.Equal(t, "send SMS: auth: fetch OAuth token: 401 E401: Invalid login details", wrapped.Error())

	var re *oauth2.RetrieveError
	require.True(t, errors.As(wrapped, &re))
	require.Same(t, cause, re)
	require.ErrorIs(t, wrapped, cause)
}

func TestErrorUnwrap(t *testing.T) {
	cause := errors.New("cause")
	require.Same(t, cause, (&auth.Error{Err: cause}).Unwrap())
	require.NoError(t, (&auth.Error{}).Unwrap())
	require.NoError(t, auth.ParseError(response(500, "")).Unwrap())
}

// A Retry-After date is measured from the answer's Date header, the
// server's clock; without one, from the configured clock, never from the
// real one: the authtest clock is far from it.
func TestRetryAfterDateUsesTheServersClock(t *testing.T) {
	fetches := []struct {
		name, route string
		fetch       func(srv *authtest.Server, now func() time.Time) error
	}{
		{"session", authtest.RouteCreateSession, func(srv *authtest.Server, now func() time.Time) error {
			s, err := auth.NewIBSSO(auth.IBSSOConfig{BaseURL: srv.URL, Username: authtest.Username, Password: authtest.Password, Now: now})
			require.NoError(t, err)
			defer s.Close(context.Background())
			_, err = s.Authorization(context.Background())
			return err
		}},
		{"token", authtest.RouteToken, func(srv *authtest.Server, now func() time.Time) error {
			b, err := auth.NewOAuth(auth.OAuthConfig{BaseURL: srv.URL, ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret, Now: now})
			require.NoError(t, err)
			_, err = b.Authorization(context.Background())
			return err
		}},
	}
	date := func(t time.Time) []string { return []string{t.UTC().Format(http.TimeFormat)} }
	for _, f := range fetches {
		t.Run(f.name, func(t *testing.T) {
			srv := setup(t)
			inAnHour := func() time.Time { return srv.Now().Add(time.Hour) }
			for _, tc := range []struct {
				name   string
				header http.Header
				now    func() time.Time
			}{
				{"Date header", http.Header{"Date": date(srv.Now()), "Retry-After": date(srv.Now().Add(30 * time.Second))}, srv.Now},
				{"Date header and another clock", http.Header{"Date": date(srv.Now()), "Retry-After": date(srv.Now().Add(30 * time.Second))}, inAnHour},
				{"no Date header", http.Header{"Date": nil, "Retry-After": date(srv.Now().Add(30 * time.Second))}, srv.Now},
				{"unparsable Date header", http.Header{"Date": {"yesterday"}, "Retry-After": date(srv.Now().Add(30 * time.Second))}, srv.Now},
			} {
				t.Run(tc.name, func(t *testing.T) {
					srv.Fail(f.route, authtest.Fault{Status: 429, Body: `{"errorCode":"E429","description":"Too many requests"}`, Header: tc.header, Times: 1})
					var e *auth.Error
					require.ErrorAs(t, f.fetch(srv, tc.now), &e)
					require.Equal(t, 429, e.StatusCode)
					require.Equal(t, 30*time.Second, e.RetryAfter)
				})
			}
		})
	}

	// ParseError has no clock but the Date header's, or else the real one.
	e := auth.ParseError(response(429, "", "Date", "Wed, 21 Oct 2015 07:28:00 GMT", "Retry-After", "Wed, 21 Oct 2015 07:28:30 GMT"))
	require.Equal(t, 30*time.Second, e.RetryAfter)
}

// Every error an exported function returns speaks with one voice: "auth: "
// once, at the front, then the operation, then the cause.
func TestErrorsSpeakWithOneVoice(t *testing.T) {
	srv := setup(t)
	ctx := context.Background()
	ibsso, _ := newIBSSO(t, srv, func(c *auth.IBSSOConfig) { c.Password = "wrong-password" })
	bearer, _ := newOAuth(t, srv, func(c *auth.OAuthConfig) { c.ClientSecret = "wrong-secret" })
	closed, _ := newOAuth(t, srv)
	require.NoError(t, closed.Close(ctx))
	anonymous, err := auth.NewClient(srv.URL, nil, nil)
	require.NoError(t, err)
	srv.Revoke(authtest.APIKey)
	session, err := auth.Login(ctx, auth.LoginConfig{BaseURL: srv.URL, Now: srv.Now}, authtest.Username, authtest.Password)
	require.NoError(t, err)
	require.NoError(t, session.Logout(ctx))

	errs := map[string]error{}
	errs["NewAPIKey"] = failed(auth.NewAPIKey(""))
	errs["NewAPIKey App"] = failed(auth.NewAPIKey("App x"))
	errs["NewBasic"] = failed(auth.NewBasic("a:b", "p"))
	errs["NewIBSSO"] = failed(auth.NewIBSSO(auth.IBSSOConfig{BaseURL: "http://example.com"}))
	errs["NewOAuth"] = failed(auth.NewOAuth(auth.OAuthConfig{BaseURL: srv.URL, ClientID: "id"}))
	errs["NewBearer"] = failed(auth.NewBearer(nil, auth.BearerOptions{}))
	errs["NewTransport"] = failed(auth.NewTransport("https://x/path", nil, nil))
	errs["NewTransport nil pointer"] = failed(auth.NewTransport(srv.URL, (*auth.APIKey)(nil), nil))
	errs["NewClient"] = failed(auth.NewClient(srv.URL, &auth.Bearer{}, nil))
	errs["IBSSO refused"] = failed(ibsso.Authorization(ctx))
	errs["Bearer refused"] = failed(bearer.Authorization(ctx))
	errs["Bearer closed"] = failed(closed.Authorization(ctx))
	errs["Login"] = failed(auth.Login(ctx, auth.LoginConfig{BaseURL: srv.URL}, authtest.Username, "wrong-password"))
	errs["Login config"] = failed(auth.Login(ctx, auth.LoginConfig{BaseURL: ""}, "u", "p"))
	errs["ResumeSession"] = failed(auth.ResumeSession(auth.LoginConfig{BaseURL: srv.URL}, ""))
	errs["Session logged out"] = failed(session.Authorization(ctx))
	errs["zero Session"] = failed((&auth.Session{}).Authorization(ctx))
	clearEnv(t, "IB_BASE_URL=ftp://x")
	_, _, err = auth.FromEnv()
	errs["FromEnv base URL"] = err
	clearEnv(t, "IB_BASE_URL="+srv.URL, "IB_API_KEY=App x")
	_, _, err = auth.FromEnv()
	errs["FromEnv key"] = err
	_, err = anonymous.Get(srv.URL + "/account/1/balance")
	errs["request without authenticator"] = errors.Unwrap(err) // the *url.Error's cause
	resp, err := client(t, srv, apiKey(t, authtest.APIKey)).Get(srv.URL + "/account/1/balance")
	require.NoError(t, err)
	errs["ParseError"] = auth.ParseError(resp)
	resp.Body.Close()

	for name, err := range errs {
		require.Error(t, err, name)
		msg := err.Error()
		require.True(t, strings.HasPrefix(msg, "auth: "), "%s: %q", name, msg)
		require.Equal(t, 1, strings.Count(msg, "auth: "), "%s: %q", name, msg)
		require.NotContains(t, msg, "infobip:", name)
	}
	require.Contains(t, errs["IBSSO refused"].Error(), "auth: create IBSSO session: 401 E401: ")
	require.Contains(t, errs["FromEnv base URL"].Error(), "auth: IB_BASE_URL: base URL")
}

// A caller's deadline that ends the wait for a fetch gives an error in the
// package's voice.
func TestCallerDeadlineErrorsKeepThePrefix(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	srv.Fail(authtest.RouteCreateSession, authtest.Fault{Hang: true})
	srv.Fail(authtest.RouteToken, authtest.Fault{Hang: true})
	ib, _ := auth.NewIBSSO(auth.IBSSOConfig{BaseURL: srv.URL, Username: authtest.Username, Password: authtest.Password, FetchTimeout: time.Second})
	be, _ := auth.NewOAuth(auth.OAuthConfig{BaseURL: srv.URL, ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret, FetchTimeout: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	for _, a := range []auth.Authenticator{ib, be} {
		_, err := a.Authorization(ctx)
		t.Logf("%T: %v", a, err)
		if err == nil || !strings.HasPrefix(err.Error(), "auth: ") {
			t.Errorf("%T.Authorization with an expiring ctx: %q", a, err)
		}
	}
	c, _ := auth.NewClient(srv.URL, ib, nil)
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/account/1/balance", nil)
	_, err := c.Transport.RoundTrip(req)
	if err == nil || !strings.HasPrefix(err.Error(), "auth: ") {
		t.Errorf("RoundTrip with an expiring ctx: %q", err)
	}
	ib.Close(context.Background())
	be.Close(context.Background())
}
