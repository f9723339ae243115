package auth

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/oauth2"

	"github.com/ibkit/auth/internal/scrub"
	"github.com/ibkit/auth/internal/testkit"
)

func FuzzParseErrorBody(f *testing.F) {
	f.Add(401, "", []byte(`{"errorCode":"E401","description":"Invalid login details","action":"Check your credentials"}`))
	f.Add(400, "", []byte(`{"errorCode":"E400","description":"Bad request","violations":[{"property":"to","violation":"must not be empty"}],"resources":[{"name":"docs","url":"https://www.infobip.com/docs"}]}`))
	f.Add(401, "", []byte(`{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Invalid login details"}}}`))
	f.Add(400, "", []byte(`{"requestError":{"serviceException":{"messageId":"BAD_REQUEST","text":"Bad request","validationErrors":{"username":["must not be empty"],"to":"invalid"}}}}`))
	f.Add(429, "3", []byte(`{"requestError":{"serviceException":{"messageId":"TOO_MANY_REQUESTS","text":"Too many requests"}}}`))
	f.Add(503, "Wed, 21 Oct 2015 07:28:00 GMT", []byte(nil))
	f.Add(502, "", []byte("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>502 Bad Gateway</body>\r\n</html>\r\n"))
	f.Add(500, "-1", []byte("\xff\xfe\x00\x1b[31m\u202e\xc3"))
	f.Add(-1, "99999999999999999999", []byte(`{"errorCode":"\n\t\u0000"}`))
	f.Fuzz(func(t *testing.T, status int, retryAfter string, body []byte) {
		header := http.Header{}
		header.Set("Retry-After", retryAfter)
		e := parseErrorBody(status, header, body, time.Now())
		if e == nil {
			t.Fatal("parseErrorBody returned nil")
		}
		if e.StatusCode != status {
			t.Fatalf("StatusCode = %d, want %d", e.StatusCode, status)
		}
		if e.Code == "" {
			t.Fatal("empty Code")
		}
		if e.RetryAfter < 0 {
			t.Fatalf("negative RetryAfter %v", e.RetryAfter)
		}
		if len(e.Excerpt) > maxExcerpt || !utf8.ValidString(e.Excerpt) || strings.ContainsFunc(e.Excerpt, unicode.IsControl) {
			t.Fatalf("bad excerpt %q", e.Excerpt)
		}
		if e.Excerpt != "" && (e.Description != "" || e.Action != "" || e.MessageID != "" || e.Violations != nil || e.Resources != nil) {
			t.Fatalf("excerpt %q together with parsed fields: %+v", e.Excerpt, e)
		}
		e.Op = "fuzz"
		msg := e.Error()
		if len(msg) > maxErrorText {
			t.Fatalf("Error() is %d bytes long", len(msg))
		}
		if !utf8.ValidString(msg) {
			t.Fatalf("Error() is not valid UTF-8: %q", msg)
		}
		if strings.ContainsFunc(msg, func(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' }) {
			t.Fatalf("Error() holds a control character or line break: %q", msg)
		}
		if !strings.HasPrefix(msg, "auth: fuzz: ") {
			t.Fatalf("Error() = %q", msg)
		}
	})
}

// A secret shorter than scrub.MinLen drops every field of an error that
// holds it, and the message says no more than the status.
func TestRefusalDropsFieldsHoldingAShortSecret(t *testing.T) {
	e := refusal("create IBSSO session", 400, nil,
		[]byte(`{"errorCode":"E400","description":"bad password q%21z","action":"q&#33;z","violations":[{"property":"password","violation":"q\u0021z"}]}`),
		time.Now(), "q!z")
	require(t, e.Description == redacted && e.Action == redacted && e.Violations[0].Violation == redacted,
		"fields holding a short secret kept: %#v", e)
	require(t, e.Violations[0].Property == "password", "field without the secret dropped: %#v", e)
}

// A field that shows a secret only as Error or fmt print it (cleaned,
// quoted), or fields that spell one only as Error joins them, are dropped.
func TestRefusalChecksFieldsAsShown(t *testing.T) {
	for _, tc := range []struct {
		name, secret, body string
		action             string // what is left of the action
	}{
		{"tab that Error shows as a space", "Pa55 w0rd!", `{"errorCode":"E400","description":"bad: Pa55\tw0rd!","action":"keep"}`, "keep"},
		{"spaces that Error collapses", "Pa55 w0rd!", `{"errorCode":"E400","description":"bad: Pa55 \n  w0rd!","action":"keep"}`, "keep"},
		{"tab that %q shows as \\t", `x\tyzw`, `{"errorCode":"E400","description":"bad: x\tyzw","action":"keep"}`, "keep"},
		{"description and action", "abcd; efgh", `{"errorCode":"E400","description":"x abcd","action":"efgh y"}`, ""},
		{"property and violation", "user: efgh", `{"errorCode":"E400","violations":[{"property":"user","violation":"efgh"}]}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := refusal("create IBSSO session", 400, nil, []byte(tc.body), time.Now(), tc.secret)
			for _, out := range []string{e.Error(), fmt.Sprintf("%#v", e), fmt.Sprintf("%q", e.Description)} {
				require(t, !strings.Contains(out, tc.secret), "%q shows %q", out, tc.secret)
			}
			require(t, e.StatusCode == 400 && e.Code == "E400", "status and code lost: %#v", e)
			require(t, e.Action == tc.action, "action %q, want %q", e.Action, tc.action)
		})
	}
}

// A token endpoint's error answer echoing the secret: every text of the
// error and of the x/oauth2 error it wraps is scrubbed, the header
// included, and the request (whose body could be read again) is gone.
func TestTokenErrorScrubsRetrieveError(t *testing.T) {
	const secret = `ech0ed/Secret+1`
	req, _ := http.NewRequest(http.MethodPost, "https://api.infobip.com/auth/1/oauth2/token", strings.NewReader("client_secret="+url.QueryEscape(secret)))
	echo := url.QueryEscape(secret)
	re := &oauth2.RetrieveError{
		Response: &http.Response{
			Status:     "400 " + secret,
			StatusCode: 400,
			Header:     http.Header{"X-Echo": {echo}, "X-" + secret: {"1"}},
			Request:    req,
		},
		Body:             []byte(`{"error":"` + echo + `","error_description":"` + secret + `","error_uri":"https://x/` + echo + `"}`),
		ErrorCode:        echo,
		ErrorDescription: secret,
		ErrorURI:         "https://x/" + echo,
	}
	err := tokenError(re, time.Now(), secret)
	out := fmt.Sprintf("%v %+v %#v %v %#v %s %s %s %s %s %v", err, err, err, re, re, re.Body, re.ErrorCode, re.ErrorDescription, re.ErrorURI, re.Response.Status, re.Response.Header)
	if f, ok := testkit.ShowsSecret(out, secret); ok {
		t.Fatalf("secret shows (%s): %s", f, out)
	}
	require(t, re.Response.Request == nil, "the request we sent is still reachable")
	require(t, re.Response.StatusCode == 400, "status lost")
}

// FuzzScrubError embeds a secret in a body, in one of the echo forms, and
// checks that no field of the error built from the body shows it, as
// Error, fmt or a JSON log print it.
func FuzzScrubError(f *testing.F) {
	f.Add(`Pä55 w/rd&"<x>'😀+\z`, uint8(0), []byte(`{"errorCode":"E400","description":"bad `), []byte(`"}`))
	f.Add("Cl1ent-secret", uint8(3), []byte(`<html>`), []byte(`</html>`))
	f.Add("abc", uint8(7), []byte(`{"error":"`), []byte(`"}`))
	f.Fuzz(func(t *testing.T, secret string, form uint8, before, after []byte) {
		if checkCredential("secret", secret, true) != nil {
			return
		}
		enc := testkit.EchoForms[int(form)%len(testkit.EchoForms)].Enc(secret)
		body := string(before) + enc + string(after)
		e := refusal("fuzz", 400, nil, []byte(body), time.Now(), secret)
		fields := []string{e.MessageID, e.Description, e.Action, e.Excerpt}
		if e.Code != "E400" {
			fields = append(fields, e.Code)
		}
		for _, v := range e.Violations {
			fields = append(fields, v.Property, v.Violation)
		}
		for _, r := range e.Resources {
			fields = append(fields, r.Name, r.URL)
		}
		for _, field := range fields {
			quoted := strconv.Quote(field)
			if strings.Contains(field, secret) || strings.Contains(clean(field, math.MaxInt), secret) || strings.Contains(quoted[1:len(quoted)-1], secret) {
				t.Fatalf("field %q of the error from %q shows %q", field, body, secret)
			}
		}
		// The message of an error stripped of everything from the body
		// cannot help showing a secret it holds.
		stripped := &Error{StatusCode: 400, Code: "E400", Op: "fuzz", Description: newScrubber(secret).Mark()}
		if len(secret) >= scrub.MinLen && !strings.Contains(stripped.Error(), secret) && strings.Contains(e.Error(), secret) {
			t.Fatalf("error from %q shows %q: %s", body, secret, e.Error())
		}
	})
}

// require is a minimal assertion, so that this file needs no testify.
func require(t *testing.T, ok bool, format string, args ...any) {
	t.Helper()
	if !ok {
		t.Fatalf(format, args...)
	}
}
