package auth

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
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
