package testkit

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// EchoForm is one way a server or proxy may echo a secret it received.
type EchoForm struct {
	Name string
	Enc  func(secret string) string
}

// EchoForms are the encodings the scrubbing tests echo secrets in; the
// tests also look for each of them in what they print. Fuzz corpora
// index this list: add new forms at the end.
var EchoForms = []EchoForm{
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

// ShowsSecret returns the first form in which out shows secret: an echo
// form, or the secret in out decoded as HTML, a URL or a form. Secrets of
// at least 16 bytes must not show either half raw.
func ShowsSecret(out, secret string) (form string, ok bool) {
	views := []string{out, html.UnescapeString(out)}
	if u, err := url.QueryUnescape(out); err == nil {
		views = append(views, u)
	}
	if u, err := url.PathUnescape(out); err == nil {
		views = append(views, u)
	}
	for _, f := range EchoForms {
		if enc := f.Enc(secret); strings.Contains(out, enc) {
			return f.Name, true
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
