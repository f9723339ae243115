package auth

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/oauth2"
)

// echoForm is one way a server or proxy may echo a secret it received.
type echoForm struct {
	name string
	enc  func(secret string) string
}

// echoForms are the encodings the scrubbing tests echo secrets in; the
// tests also look for each of them in what they print.
var echoForms = []echoForm{
	{"raw", func(s string) string { return s }},
	{"form", url.QueryEscape},
	{"URL path", url.PathEscape},
	{"form, lower-case hex", func(s string) string { return lowerEscapes(url.QueryEscape(s)) }},
	{"every byte percent-encoded", func(s string) string { return eachByte(s, "%%%02X") }},
	{"every byte percent-encoded, lower case", func(s string) string { return eachByte(s, "%%%02x") }},
	{"%u", func(s string) string { return eachUnit(s, "%%u%04X") }},
	{"JSON", func(s string) string { return jsonEscaped(s) }},
	{`JSON with \/`, func(s string) string { return strings.ReplaceAll(jsonEscaped(s), "/", `\/`) }},
	{`JSON \u for non-ASCII`, func(s string) string { return nonASCII(jsonEscaped(s), `\u%04x`) }},
	{`Jackson \u for non-ASCII, upper case`, func(s string) string { return nonASCII(jsonEscaped(s), `\u%04X`) }},
	{`\u for every character`, func(s string) string { return eachUnit(s, `\u%04x`) }},
	{`\u for every character, upper case`, func(s string) string { return eachUnit(s, `\u%04X`) }},
	{`\u{…}`, func(s string) string { return eachRune(s, `\u{%X}`) }},
	{`\x bytes`, func(s string) string { return eachByte(s, `\x%02x`) }},
	{"Go quoted", func(s string) string { return strconv.QuoteToASCII(s) }},
	{"HTML", html.EscapeString},
	{"HTML named", func(s string) string {
		return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;", "ä", "&auml;", "é", "&eacute;").Replace(s)
	}},
	{"HTML decimal", func(s string) string { return eachRune(s, "&#%d;") }},
	{"HTML hex", func(s string) string { return eachRune(s, "&#x%x;") }},
	{"HTML hex, upper case", func(s string) string { return eachRune(s, "&#X%X;") }},
	{"base64", func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }},
	{"base64 URL", func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }},
	{"base64 of user:secret", func(s string) string { return base64.StdEncoding.EncodeToString([]byte("echo-user:" + s)) }},
	{"base64 of u:secret", func(s string) string { return base64.StdEncoding.EncodeToString([]byte("u:" + s)) }},
	{"hex", func(s string) string { return hex.EncodeToString([]byte(s)) }},
	{"hex, upper case", func(s string) string { return strings.ToUpper(hex.EncodeToString([]byte(s))) }},
	{"form in HTML", func(s string) string { return html.EscapeString(url.QueryEscape(s)) }},
	{"form twice", func(s string) string { return url.QueryEscape(url.QueryEscape(s)) }},
	{"JSON in JSON", func(s string) string { return jsonEscaped(jsonEscaped(s)) }},
	{"HTML twice", func(s string) string { return html.EscapeString(eachRune(s, "&#%d;")) }},
	{"JSON in HTML", func(s string) string { return html.EscapeString(jsonEscaped(s)) }},
}

// jsonEscaped is s as it stands inside a JSON string.
func jsonEscaped(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

func eachByte(s, format string) string {
	var b strings.Builder
	for i := range len(s) {
		fmt.Fprintf(&b, format, s[i])
	}
	return b.String()
}

func eachRune(s, format string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, format, r)
	}
	return b.String()
}

// eachUnit writes each UTF-16 code unit of s in format.
func eachUnit(s, format string) string {
	var b strings.Builder
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, format, u)
	}
	return b.String()
}

// nonASCII writes the non-ASCII characters of s as UTF-16 units in format.
func nonASCII(s, format string) string {
	var b strings.Builder
	for _, r := range s {
		if r < utf8.RuneSelf {
			b.WriteRune(r)
			continue
		}
		b.WriteString(eachUnit(string(r), format))
	}
	return b.String()
}

// lowerEscapes lower-cases the hex digits of %XX escapes.
func lowerEscapes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			b.WriteString("%" + strings.ToLower(s[i+1:i+3]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// showsSecret returns the first form in which out shows secret: an echo
// form, or the secret in out decoded as HTML, a URL or a form. Secrets of
// at least 16 bytes must not show either half raw.
func showsSecret(out, secret string) (form string, ok bool) {
	views := []string{out, html.UnescapeString(out)}
	if u, err := url.QueryUnescape(out); err == nil {
		views = append(views, u)
	}
	if u, err := url.PathUnescape(out); err == nil {
		views = append(views, u)
	}
	for _, f := range echoForms {
		if enc := f.enc(secret); strings.Contains(out, enc) {
			return f.name, true
		}
	}
	for _, v := range views {
		if strings.Contains(v, secret) {
			return "decoded", true
		}
		if len(secret) >= 16 {
			half := len(secret) / 2
			for half > 0 && !utf8.RuneStart(secret[half]) {
				half--
			}
			if strings.Contains(v, secret[:half]) || strings.Contains(v, secret[half:]) {
				return "half", true
			}
		}
	}
	return "", false
}

// Secrets with characters every encoding treats differently: spaces,
// slashes, quotes, markup, a backslash, non-ASCII, a character outside the
// BMP and a plus.
var scrubSecrets = []string{
	`Pä55 w/rd&"<x>'😀+\z`,
	`Cl1ent/sé&cret"<x>'😀+`,
	"plain-ascii-secret-1234",
	"3a5f0c1e-5b6d-4c8e-9f00-aabbccddeeff",
}

func TestScrubberFindsEveryForm(t *testing.T) {
	contexts := []struct{ name, before, after string }{
		{"alone", "", ""},
		{"in text", "echo: ", " (end)"},
		{"in a form", "client_id=echo&client_secret=", "&grant_type=client_credentials"},
		{"glued to letters", "xyz", "xyz"},
	}
	for _, secret := range scrubSecrets {
		sc := newScrubber(secret)
		for _, form := range echoForms {
			for _, c := range contexts {
				in := c.before + form.enc(secret) + c.after
				out := sc.text(in)
				if f, ok := showsSecret(out, secret); ok {
					t.Errorf("%.10q… %s %s: %q scrubbed to %q, which shows it (%s)", secret, form.name, c.name, in, out, f)
				}
				if !strings.Contains(out, redacted) {
					t.Errorf("%.10q… %s %s: %q scrubbed to %q, with no mark", secret, form.name, c.name, in, out)
				}
				if !strings.HasPrefix(out, c.before) && c.before != "xyz" {
					t.Errorf("%.10q… %s %s: %q scrubbed to %q: text before the secret lost", secret, form.name, c.name, in, out)
				}
			}
		}
	}
}

func TestScrubberKeepsOrdinaryText(t *testing.T) {
	sc := newScrubber(scrubSecrets...)
	for _, text := range []string{
		`{"errorCode":"E401","description":"Invalid login details","action":"Check your credentials"}`,
		`{"requestError":{"serviceException":{"messageId":"BAD_REQUEST","text":"Bad request","validationErrors":{"password":["must not be empty"]}}}}`,
		"<html><body><h1>502 Bad Gateway</h1>nginx &amp; friends &#169; 2026</body></html>",
		`a=%41%2f&b=\u0041\/\x41&c=&lt;&gt;+dGVzdA==`,
		strings.Repeat("0123456789abcdef", 100),
	} {
		require(t, sc.text(text) == text, "%q scrubbed to %q", text, sc.text(text))
	}
}

func TestScrubberShortSecrets(t *testing.T) {
	for _, secret := range []string{"ab", "é", "e", "[", "a b"} {
		sc := newScrubber(secret)
		require(t, !strings.Contains(sc.mark, secret), "secret %q: mark %q holds it", secret, sc.mark)
		for _, form := range echoForms {
			in := "Invalid value " + form.enc(secret) + " given"
			require(t, sc.text(in) == sc.mark, "secret %q, %s: %q scrubbed to %q, want the whole text dropped", secret, form.name, in, sc.text(in))
		}
	}
	sc := newScrubber("q!z")
	require(t, sc.text("Invalid login details") == "Invalid login details", "text without the short secret changed")

	// Every field of an error is dropped whole, and the message says no
	// more than the status.
	e := refusal("create IBSSO session", 400, nil,
		[]byte(`{"errorCode":"E400","description":"bad password q%21z","action":"q&#33;z","violations":[{"property":"password","violation":"q\u0021z"}]}`),
		time.Now(), "q!z")
	require(t, e.Description == redacted && e.Action == redacted && e.Violations[0].Violation == redacted,
		"fields holding a short secret kept: %#v", e)
	require(t, e.Violations[0].Property == "password", "field without the secret dropped: %#v", e)
}

// A field that shows a secret only as Error or fmt print it (cleaned,
// quoted), or fields that spell one only as Error joins them, are dropped.
func TestScrubberChecksFieldsAsShown(t *testing.T) {
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

// The mark is never one that holds a secret, so redaction ends.
func TestScrubberMarkHoldsNoSecret(t *testing.T) {
	for _, secrets := range [][]string{{"dact"}, {"redacted"}, {"e", "E"}, {"e", "E", "*"}, {"[redacted]"}} {
		sc := newScrubber(secrets...)
		for _, s := range secrets {
			require(t, !strings.Contains(sc.mark, s), "%q: mark %q", secrets, sc.mark)
			for _, text := range []string{s, s + s, "x" + s + "[redac" + s + "ted]" + s} {
				out := sc.text(text)
				require(t, !strings.Contains(out, s), "%q: %q scrubbed to %q", secrets, text, out)
			}
		}
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
	if f, ok := showsSecret(out, secret); ok {
		t.Fatalf("secret shows (%s): %s", f, out)
	}
	require(t, re.Response.Request == nil, "the request we sent is still reachable")
	require(t, re.Response.StatusCode == 400, "status lost")
}

// require is a minimal assertion, so that this file needs no testify.
func require(t *testing.T, ok bool, format string, args ...any) {
	t.Helper()
	if !ok {
		t.Fatalf(format, args...)
	}
}

// FuzzScrub embeds a secret in a body, in one of the echo forms, and checks
// that the error built from the body shows it nowhere: not raw, not in any
// form the scrubber knows.
func FuzzScrub(f *testing.F) {
	f.Add(`Pä55 w/rd&"<x>'😀+\z`, uint8(0), []byte(`{"errorCode":"E400","description":"bad `), []byte(`"}`))
	f.Add("Cl1ent-secret", uint8(3), []byte(`<html>`), []byte(`</html>`))
	f.Add("abc", uint8(7), []byte(`{"error":"`), []byte(`"}`))
	f.Fuzz(func(t *testing.T, secret string, form uint8, before, after []byte) {
		if checkCredential("secret", secret, true) != nil {
			return
		}
		enc := echoForms[int(form)%len(echoForms)].enc(secret)
		body := string(before) + enc + string(after)
		sc := newScrubber(secret)
		out := sc.text(body)
		if strings.Contains(out, secret) || sc.found(out) {
			t.Fatalf("%q scrubbed of %q (%s) to %q", body, secret, echoForms[int(form)%len(echoForms)].name, out)
		}

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
		stripped := &Error{StatusCode: 400, Code: "E400", Op: "fuzz", Description: sc.mark}
		if len(secret) >= minSecret && !strings.Contains(stripped.Error(), secret) && strings.Contains(e.Error(), secret) {
			t.Fatalf("error from %q shows %q: %s", body, secret, e.Error())
		}
	})
}
