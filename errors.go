package auth

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/oauth2"
)

// maxBody bounds how much of an Infobip answer is read: an error body, or
// a session answer (x/oauth2 applies the same 1 MiB to token answers).
const maxBody = 1 << 20

// drainLimit bounds how much of a body is read only to let its connection
// be reused (or kept in memory for a retry); a longer one is closed unread.
const drainLimit = 4 << 10

const (
	// maxExcerpt bounds [Error.Excerpt], in bytes.
	maxExcerpt = 120
	// maxErrorText bounds the text of [Error.Error], in bytes.
	maxErrorText = 300
)

// Error is an error answer from the Infobip API, in either of its two body
// formats:
//
//	{"errorCode":"E401","description":"…","action":"…","violations":[…],"resources":[…]}
//	{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"…","validationErrors":{…}}}}
//
// Use [errors.As] to find it inside an error returned by this package.
type Error struct {
	// StatusCode is the HTTP status of the response.
	StatusCode int
	// Code is the Infobip error code, such as "E401". For a new body it is
	// the errorCode as sent. For an old body it is the messageId mapped:
	// BAD_REQUEST E400, UNAUTHORIZED E401, FORBIDDEN E403, NOT_FOUND E404,
	// TOO_MANY_REQUESTS E429, GENERAL_ERROR E500. Without a known code it
	// is "E" followed by the HTTP status, such as "E502".
	Code string
	// MessageID is the old body's messageId as sent, "" for a new body.
	MessageID string
	// Description is the new body's description or the old body's text.
	Description string
	// Action is the new body's advice on what to do, if any.
	Action string
	// Violations lists the invalid fields of the request: the new body's
	// violations as sent, or the old body's validationErrors, one Violation
	// per message, sorted by property and then by message.
	Violations []Violation
	// Resources are the new body's links to documentation.
	Resources []Resource
	// RetryAfter is the wait the Retry-After header asks for, given in
	// seconds or as an HTTP date. A date is counted from the answer's Date
	// header, the server's own clock, or without one from the configured
	// clock (the Now of IBSSOConfig or OAuthConfig; time.Now for
	// ParseError). It is 0 when the header is absent, unparsable or in the
	// past; it is never negative.
	RetryAfter time.Duration
	// Excerpt is set when the body is not an Infobip JSON error (an HTML
	// page from a proxy, for example): the start of the body, at most 120
	// bytes of valid UTF-8, with control characters and runs of white
	// space collapsed to one space. It is "" for an Infobip error body.
	Excerpt string
	// Op says what was being done, such as "create IBSSO session". ParseError
	// leaves it empty; callers set it.
	Op string
	// Err is the underlying error, if any, such as an *oauth2.RetrieveError.
	Err error
}

// Violation is one invalid field of a rejected request.
type Violation struct {
	Property  string `json:"property"`
	Violation string `json:"violation"`
}

// Resource is a link to documentation about an error.
type Resource struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Error returns a one-line description of e, for example
//
//	auth: create IBSSO session: 401 E401: Invalid login details
//
// followed by the action and the violations, if any. The text is bounded in
// length and holds no control characters.
func (e *Error) Error() string {
	if e == nil {
		return "auth: <nil>"
	}
	var b strings.Builder
	b.WriteString("auth: ")
	if op := clean(e.Op, maxErrorText); op != "" {
		b.WriteString(op)
		b.WriteString(": ")
	}
	b.WriteString(strconv.Itoa(e.StatusCode))
	if code := clean(e.Code, maxErrorText); code != "" {
		b.WriteByte(' ')
		b.WriteString(code)
	}
	msg := clean(e.Description, maxErrorText)
	if msg == "" {
		if ex := clean(e.Excerpt, maxErrorText); ex != "" {
			msg = strconv.Quote(ex)
		} else {
			msg = http.StatusText(e.StatusCode)
		}
	}
	if msg != "" {
		b.WriteString(": ")
		b.WriteString(msg)
	}
	if action := clean(e.Action, maxErrorText); action != "" {
		b.WriteString("; ")
		b.WriteString(action)
	}
	open := false
	for _, v := range e.Violations {
		if b.Len() > maxErrorText {
			break
		}
		prop, text := clean(v.Property, maxErrorText), clean(v.Violation, maxErrorText)
		if prop == "" && text == "" {
			continue
		}
		if open {
			b.WriteString("; ")
		} else {
			b.WriteString(" (")
			open = true
		}
		b.WriteString(prop)
		if prop != "" && text != "" {
			b.WriteString(": ")
		}
		b.WriteString(text)
	}
	if open {
		b.WriteByte(')')
	}
	return truncate(b.String(), maxErrorText)
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// ParseError reads the body of resp, an error answer from the Infobip API,
// and returns it as an *Error. It reads at most 1 MiB of the body and does
// not close it. It never returns nil.
//
// A Retry-After date is measured from the response's Date header, the
// server's own clock, or from time.Now if there is none.
func ParseError(resp *http.Response) *Error {
	if resp == nil {
		return parseErrorBody(0, nil, nil, time.Now())
	}
	var body []byte
	if resp.Body != nil {
		// A read error leaves what was read, which is parsed as it is.
		body, _ = io.ReadAll(io.LimitReader(resp.Body, maxBody))
	}
	e := parseErrorBody(resp.StatusCode, resp.Header, body, time.Now())
	// An API or proxy may echo the request, Authorization included: scrub
	// the credential it carried, whether our Transport set it or the
	// caller did.
	var sent []string
	if v, ok := sentCredential(resp); ok {
		sent = append(sent, credentialSecrets(v)...)
	}
	if resp.Request != nil {
		for _, v := range resp.Request.Header.Values("Authorization") {
			sent = append(sent, credentialSecrets(v)...)
		}
	}
	if len(sent) > 0 {
		newScrubber(append(sent, tokensIn(body)...)...).scrubError(e, body)
	}
	return e
}

// credentialSecrets returns what of an Authorization value must not be
// shown: the value, its credential part, and for Basic the decoded
// "username:password" and the password.
func credentialSecrets(v string) []string {
	scheme, cred, ok := strings.Cut(v, " ")
	if !ok {
		return []string{v}
	}
	secrets := []string{v, cred}
	if strings.EqualFold(scheme, "Basic") {
		if raw, err := base64.StdEncoding.DecodeString(cred); err == nil {
			secrets = append(secrets, string(raw))
			if _, pass, ok := strings.Cut(string(raw), ":"); ok {
				secrets = append(secrets, pass)
			}
		}
	}
	return secrets
}

// refusal parses the error answer to a request of ours that carried
// secrets, and scrubs them from every field of the result (see
// [scrubber]). now is the configured clock's reading, used for a
// Retry-After date when the answer has no Date header.
func refusal(op string, status int, header http.Header, body []byte, now time.Time, secrets ...string) *Error {
	sc := newScrubber(slices.Concat(secrets, tokensIn(body))...)
	e := parseErrorBody(status, header, body, now)
	sc.scrubError(e, body)
	e.Op = op
	return e
}

// readRefusal reads at most 1 MiB of resp's body and parses it as refusal
// does.
func readRefusal(op string, resp *http.Response, now time.Time, secrets ...string) *Error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	return refusal(op, resp.StatusCode, resp.Header, body, now, secrets...)
}

// failure wraps err, the failure of a request of ours that carried secrets,
// as "auth: op: err". Go's and x/oauth2's messages can quote a few bytes of
// a malformed answer; if those hold a secret, the message is scrubbed and
// the chain cut (it would print the secret), keeping only a context error,
// which callers test for.
func failure(op string, err error, secrets ...string) error {
	sc := newScrubber(secrets...)
	msg := err.Error()
	if !sc.found(msg) {
		return wrap(op, err)
	}
	scrubbed := &scrubbedError{msg: "auth: " + op + ": " + sc.text(msg)}
	for _, ctxErr := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, ctxErr) {
			scrubbed.ctxErr = ctxErr
		}
	}
	return scrubbed
}

// scrubbedError is an error whose text had secrets scrubbed from it. It
// unwraps only to the context error the original held, if any.
type scrubbedError struct {
	msg    string
	ctxErr error
}

func (e *scrubbedError) Error() string { return e.msg }

func (e *scrubbedError) Unwrap() error { return e.ctxErr }

// oldCodes maps the messageId of old error bodies to the codes of new ones.
var oldCodes = map[string]string{
	"BAD_REQUEST":       "E400",
	"UNAUTHORIZED":      "E401",
	"FORBIDDEN":         "E403",
	"NOT_FOUND":         "E404",
	"TOO_MANY_REQUESTS": "E429",
	"GENERAL_ERROR":     "E500",
}

// parseErrorBody builds the *Error for an answer with the given status,
// header and (possibly truncated) body. It never returns nil.
//
// A Retry-After date is measured from the Date header when the answer has
// a valid one, since both come from the server's clock; otherwise from now.
func parseErrorBody(status int, header http.Header, body []byte, now time.Time) *Error {
	if date, err := http.ParseTime(header.Get("Date")); err == nil {
		now = date
	}
	e := &Error{
		StatusCode: status,
		RetryAfter: parseRetryAfter(header.Get("Retry-After"), now),
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil || !(parseNewBody(e, top) || parseOldBody(e, top)) {
		e.Excerpt = clean(string(body), maxExcerpt)
	}
	if e.Code == "" {
		e.Code = "E" + strconv.Itoa(status)
	}
	return e
}

// parseNewBody fills e from a body of the form {"errorCode":…}. It reports
// whether the body has that form.
func parseNewBody(e *Error, top map[string]json.RawMessage) bool {
	code, ok := jsonString(top["errorCode"])
	if !ok {
		return false
	}
	e.Code = code
	e.Description, _ = jsonString(top["description"])
	e.Action, _ = jsonString(top["action"])
	e.Violations = jsonList[Violation](top["violations"])
	e.Resources = jsonList[Resource](top["resources"])
	return true
}

// parseOldBody fills e from a body of the form {"requestError":…}. It
// reports whether the body has that form.
func parseOldBody(e *Error, top map[string]json.RawMessage) bool {
	var reqErr map[string]json.RawMessage
	if json.Unmarshal(top["requestError"], &reqErr) != nil {
		return false
	}
	var exc map[string]json.RawMessage
	if json.Unmarshal(reqErr["serviceException"], &exc) != nil || exc == nil {
		// Some endpoints answer with a policyException of the same shape.
		if json.Unmarshal(reqErr["policyException"], &exc) != nil || exc == nil {
			return false
		}
	}
	e.MessageID, _ = jsonString(exc["messageId"])
	e.Code = oldCodes[e.MessageID]
	e.Description, _ = jsonString(exc["text"])
	var fields map[string]json.RawMessage
	if json.Unmarshal(exc["validationErrors"], &fields) == nil {
		for prop, raw := range fields {
			var msgs []string
			if json.Unmarshal(raw, &msgs) != nil {
				msg, ok := jsonString(raw)
				if !ok {
					continue
				}
				msgs = []string{msg}
			}
			for _, msg := range msgs {
				e.Violations = append(e.Violations, Violation{Property: prop, Violation: msg})
			}
		}
		slices.SortFunc(e.Violations, func(a, b Violation) int {
			return cmp.Or(cmp.Compare(a.Property, b.Property), cmp.Compare(a.Violation, b.Violation))
		})
	}
	return true
}

// jsonString returns raw as a string if it is a JSON string.
func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// jsonList decodes raw as a JSON array of T, skipping elements that are not
// a T, so that one odd element does not lose the others.
func jsonList[T any](raw json.RawMessage) []T {
	var elems []json.RawMessage
	if json.Unmarshal(raw, &elems) != nil {
		return nil
	}
	var list []T
	for _, elem := range elems {
		var v T
		if len(elem) > 0 && elem[0] == '{' && json.Unmarshal(elem, &v) == nil {
			list = append(list, v)
		}
	}
	return list
}

// parseRetryAfter returns the wait a Retry-After header value asks for,
// relative to now: delta-seconds or an HTTP date. It returns 0 for an empty
// or unparsable value or a date in the past.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if strings.Trim(v, "0123456789") == "" {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs > math.MaxInt64/int64(time.Second) {
			return math.MaxInt64 // only too many digits get here
		}
		return time.Duration(secs) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	return max(t.Sub(now), 0)
}

// clean returns s on one line: invalid UTF-8 replaced by U+FFFD, control
// characters and runs of white space collapsed to one space, leading and
// trailing space dropped, bidirectional controls dropped, and truncated to
// at most limit bytes, marked by "…".
func clean(s string, limit int) string {
	var b strings.Builder
	space, invalid := false, false
	for i := 0; i < len(s) && b.Len() <= limit; {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case unicode.IsSpace(r) || unicode.IsControl(r):
			space = b.Len() > 0
			invalid = false
			continue
		case unicode.Is(unicode.Bidi_Control, r):
			continue
		case r == utf8.RuneError && n == 1:
			if invalid {
				continue // one U+FFFD for a run of invalid bytes
			}
			invalid = true
		default:
			invalid = false
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return truncate(b.String(), limit)
}

// truncate returns s, valid UTF-8, cut to at most limit bytes at a rune
// boundary and marked by "…" if it is longer.
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	const mark = "…"
	cut := max(limit-len(mark), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.TrimRight(s[:cut], " ") + mark
}

// Secrets echoed in error answers
//
// A server or proxy that refuses a request may echo it, and with it the
// password, client secret or token the request carried, in any encoding:
// raw; in a URL or a form (%2F or %2f, + for a space, %uXXXX); in a JSON,
// Java or JavaScript string (\/, \", \u00e9 or \u00E9 for any character,
// \ud83d\ude00, \u{1F600}, \xHH); in HTML (&amp;, &quot;, &#39;, &#x27;,
// &eacute;); in base64 (a Basic header's user:password) or hex; or several
// of these nested (%2526, &amp;quot;). A scrubber finds a secret in all
// these forms at once. It matches the secret byte by byte, each byte being
// either itself or an escape sequence that decodes to it, in the text, in
// the text decoded once, twice and three times (for nested encodings), and
// in every run of base64 or hex characters, decoded. Each occurrence is
// replaced, where it stands in the text as shown, by "[redacted]".
//
// Every text field of an error built from such an answer is scrubbed after
// JSON decoding, then checked as it prints (cleaned by Error, quoted by %q,
// %#v or a JSON log): a field that would still show a secret there is
// replaced whole. So is a message whose fields together would spell one.
//
// A secret shorter than 4 bytes cannot be cut out of a text without
// garbling it, and turns up in ordinary text by chance. Such secrets are
// not refused (a password is the user's, a session token the server's),
// but any text from the answer that holds one, in any form, is replaced
// whole: errors then say less, never the secret. Fixed texts (the
// operation, the status, Go's own messages) are not scrubbed of them.

const (
	// minSecret is the length under which a secret found in a text
	// replaces the whole text rather than its occurrences.
	minSecret = 4
	// maxScrubDepth is how many decodings of a text are searched after the
	// text itself.
	maxScrubDepth = 3
	// maxScrubRounds bounds the rescans of a text after redaction, which
	// can join its neighbours into a new occurrence.
	maxScrubRounds = 4
)

// scrubber redacts a set of secrets from texts.
type scrubber struct {
	needles []needle
	// mark replaces what is redacted: "[redacted]", unless that text
	// holds a secret itself.
	mark string
}

// needle is one secret, as given or as clean shows it.
type needle struct {
	s     string
	short bool // shorter than minSecret
}

// span is a range of bytes of a text, [start, end).
type span struct{ start, end int }

// newScrubber returns a scrubber for the non-empty secrets.
func newScrubber(secrets ...string) *scrubber {
	sc := &scrubber{}
	seen := make(map[string]bool)
	for _, s := range secrets {
		// Error and Excerpt show texts cleaned, with runs of white space
		// collapsed: look for the secret in that shape too.
		for _, form := range []string{s, clean(s, math.MaxInt)} {
			if form != "" && !seen[form] {
				seen[form] = true
				sc.needles = append(sc.needles, needle{form, len(form) < minSecret})
			}
		}
	}
	for _, mark := range []string{redacted, "[REDACTED]", "***"} {
		if !sc.found(mark) {
			sc.mark = mark
			break
		}
	}
	return sc
}

// found reports whether text holds a secret in any form.
func (sc *scrubber) found(text string) bool {
	spans, _ := sc.find(text, false)
	return len(spans) > 0
}

// text returns text with every occurrence of a secret, in any form,
// replaced by the mark, or the mark alone if it holds a short secret.
func (sc *scrubber) text(text string) string {
	for range maxScrubRounds {
		spans, short := sc.find(text, false)
		switch {
		case len(spans) == 0:
			return text
		case short:
			return sc.mark
		}
		text = redact(text, spans, sc.mark)
	}
	if sc.found(text) {
		return sc.mark
	}
	return text
}

// bytes is text for a byte slice; it returns b itself if b holds no
// secret.
func (sc *scrubber) bytes(b []byte) []byte {
	if text := sc.text(string(b)); text != string(b) {
		return []byte(text)
	}
	return b
}

// field scrubs a text field, then checks it as fmt, slog and Error show it:
// a field that shows a secret there (a password with a tab Error turns
// into a space, one with a backslash %q adds) is replaced by the mark.
func (sc *scrubber) field(f string) string {
	if len(sc.needles) == 0 || f == "" {
		return f
	}
	if f = sc.text(f); f == sc.mark {
		return f
	}
	quoted, _ := json.Marshal(f)
	for _, shown := range []string{clean(f, math.MaxInt), strconv.Quote(f), strconv.QuoteToASCII(f), string(quoted)} {
		if shown != f && sc.found(shown) {
			return sc.mark
		}
	}
	return f
}

// scrubError scrubs every text of e, parsed from body.
func (sc *scrubber) scrubError(e *Error, body []byte) {
	if len(sc.needles) == 0 {
		return
	}
	e.Code = sc.field(e.Code)
	if e.Code == "" {
		e.Code = "E" + strconv.Itoa(e.StatusCode)
	}
	e.MessageID = sc.field(e.MessageID)
	e.Description = sc.field(e.Description)
	e.Action = sc.field(e.Action)
	for i := range e.Violations {
		e.Violations[i].Property = sc.field(e.Violations[i].Property)
		e.Violations[i].Violation = sc.field(e.Violations[i].Violation)
	}
	for i := range e.Resources {
		e.Resources[i].Name = sc.field(e.Resources[i].Name)
		e.Resources[i].URL = sc.field(e.Resources[i].URL)
	}
	if e.Excerpt != "" {
		e.Excerpt = sc.excerpt(body)
	}
	// Last, the fields together, as the message joins them.
	if spans, _ := sc.find(e.Error(), true); len(spans) > 0 {
		*e = Error{StatusCode: e.StatusCode, Code: "E" + strconv.Itoa(e.StatusCode), Description: sc.mark, RetryAfter: e.RetryAfter, Err: e.Err}
	}
}

// excerpt returns the excerpt of body, scrubbed before it is cut (it could
// end inside a secret), and again as clean shows it. Only the start of the
// body is searched, so that a large body costs no more than a small one:
// what clean turns into the first maxExcerpt bytes, and room after it for
// a secret that begins there to end, 32 bytes per byte of the secret (more
// than any one encoding takes) and some.
func (sc *scrubber) excerpt(body []byte) string {
	longest := 0
	for _, n := range sc.needles {
		longest = max(longest, len(n.s))
	}
	window := shownBytes(body, maxExcerpt) + 32*longest + 256
	if window < len(body) {
		body = body[:window]
	}
	text := clean(sc.text(clean(sc.text(string(body)), math.MaxInt)), maxExcerpt)
	return sc.field(text)
}

// shownBytes returns how many bytes of body clean reads to produce limit
// bytes of text: non-space runes count, each run of space counts one.
func shownBytes(body []byte, limit int) int {
	shown, space := 0, false
	for i := 0; i < len(body); {
		r, n := utf8.DecodeRune(body[i:])
		i += n
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = true
			continue
		}
		if space {
			shown++
			space = false
		}
		if shown += utf8.RuneLen(r); shown > limit {
			return i
		}
	}
	return len(body)
}

// scrubRetrieveError scrubs every text of x/oauth2's error and replaces its
// response by a copy that keeps the status and the scrubbed header: the
// original's Request could give back the form we sent, secret included.
func (sc *scrubber) scrubRetrieveError(re *oauth2.RetrieveError) {
	if len(sc.needles) == 0 {
		return
	}
	re.Body = sc.bytes(re.Body)
	re.ErrorCode = sc.field(re.ErrorCode)
	re.ErrorDescription = sc.field(re.ErrorDescription)
	re.ErrorURI = sc.field(re.ErrorURI)
	if r := re.Response; r != nil {
		header := make(http.Header, len(r.Header))
		for k, vs := range r.Header {
			k = sc.field(k)
			for _, v := range vs {
				header[k] = append(header[k], sc.field(v))
			}
		}
		re.Response = &http.Response{
			Status:     sc.field(r.Status),
			StatusCode: r.StatusCode,
			Proto:      r.Proto,
			ProtoMajor: r.ProtoMajor,
			ProtoMinor: r.ProtoMinor,
			Header:     header,
			Body:       http.NoBody,
		}
	}
	if spans, _ := sc.find(re.Error(), true); len(spans) > 0 {
		re.ErrorCode, re.ErrorDescription, re.ErrorURI, re.Body = sc.mark, "", "", []byte(sc.mark)
	}
}

// tokensIn returns the credentials an answer carries in its top-level
// token, access_token, refresh_token or id_token fields, JSON or form: an
// error built from the answer must not show them either.
func tokensIn(body []byte) []string {
	var values []string
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) == nil {
		for _, k := range []string{"token", "access_token", "refresh_token", "id_token"} {
			if v, ok := jsonString(top[k]); ok {
				values = append(values, v)
			}
		}
	} else if form, err := url.ParseQuery(string(body)); err == nil {
		for _, k := range []string{"token", "access_token", "refresh_token", "id_token"} {
			values = append(values, form[k]...)
		}
	}
	return values
}

// redact replaces the spans of text by mark, joining overlapping ones.
func redact(text string, spans []span, mark string) string {
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	var b strings.Builder
	last := 0
	for i := 0; i < len(spans); {
		start, end := spans[i].start, spans[i].end
		for i++; i < len(spans) && spans[i].start <= end; i++ {
			end = max(end, spans[i].end)
		}
		b.WriteString(text[last:start])
		b.WriteString(mark)
		last = end
	}
	b.WriteString(text[last:])
	return b.String()
}

// find returns the spans of text that hold a secret (a long one if
// longOnly), and whether one of them is short.
func (sc *scrubber) find(text string, longOnly bool) (spans []span, short bool) {
	needles := sc.needles
	if longOnly {
		needles = slices.DeleteFunc(slices.Clone(needles), func(n needle) bool { return n.short })
	}
	if len(needles) == 0 || text == "" {
		return nil, false
	}
	l := &layer{b: []byte(text), n: len(text)}
	hit := func(s span, n needle) {
		spans = append(spans, s)
		short = short || n.short
	}
	for depth := 0; ; depth++ {
		for _, n := range needles {
			m := matcher{b: l.b, s: n.s}
			for p := 0; p < len(l.b); p++ {
				if c := l.b[p]; c != n.s[0] && !escapeStart(c, true) {
					continue
				}
				if end := m.at(p, 0); end > p {
					hit(l.span(p, end), n)
					p = end - 1
				}
			}
		}
		searchRuns(l, needles, hit)
		if depth == maxScrubDepth {
			break
		}
		next, decoded := l.decode()
		if !decoded {
			break
		}
		l = next
	}
	return spans, short
}

// layer is a text, or a decoding of it: byte b[i] comes from the unit of
// the text that starts at src[i] and ends where the next byte's unit
// starts. A nil src means b is the text.
type layer struct {
	b   []byte
	src []int
	n   int // length of the text
}

// span returns the span of the text that b[i:j] comes from.
func (l *layer) span(i, j int) span {
	if l.src == nil {
		return span{i, j}
	}
	end := l.n
	for k := j; k < len(l.src); k++ {
		if l.src[k] != l.src[j-1] {
			end = l.src[k]
			break
		}
	}
	return span{l.src[i], end}
}

// decode returns l with every escape sequence decoded once, and whether
// there was any.
func (l *layer) decode() (*layer, bool) {
	if !slices.ContainsFunc(l.b, func(c byte) bool { return escapeStart(c, false) }) {
		return l, false
	}
	next := &layer{b: make([]byte, 0, len(l.b)), src: make([]int, 0, len(l.b)), n: l.n}
	from := func(i int) int {
		if l.src == nil {
			return i
		}
		return l.src[i]
	}
	decoded := false
	for i := 0; i < len(l.b); {
		esc := unescape(l.b, i, false)
		if esc.n == 0 {
			next.b = append(next.b, l.b[i])
			next.src = append(next.src, from(i))
			i++
			continue
		}
		decoded = true
		for _, c := range esc.out[:esc.nout] {
			next.b = append(next.b, c)
			next.src = append(next.src, from(i))
		}
		i += esc.n
	}
	return next, decoded
}

// matcher finds a secret s in b, each byte of s given as itself or as an
// escape sequence.
type matcher struct {
	b    []byte
	s    string
	dead map[[2]int]bool // (p, k): s[k:] does not start at b[p]
}

// at returns the end of an occurrence of s[k:] that starts at b[p], or -1.
// Only escape sequences branch, and each branch is tried once.
func (m *matcher) at(p, k int) int {
	for k < len(m.s) {
		if p >= len(m.b) {
			return -1
		}
		c := m.b[p]
		if !escapeStart(c, true) {
			if c != m.s[k] {
				return -1
			}
			p, k = p+1, k+1
			continue
		}
		// (p, 0) is tried once, by the caller; later states can be
		// reached along several paths.
		key := [2]int{p, k}
		if k > 0 && m.dead[key] {
			return -1
		}
		if c == m.s[k] {
			if end := m.at(p+1, k+1); end >= 0 {
				return end
			}
		}
		esc := unescape(m.b, p, true)
		for _, out := range [][]byte{esc.out[:esc.nout], esc.alt[:esc.nalt]} {
			rest := m.s[k:]
			switch {
			case len(out) == 0:
			case len(out) >= len(rest) && string(out[:len(rest)]) == rest:
				return p + esc.n // the secret ends inside what the sequence stands for
			case len(out) < len(rest) && string(out) == rest[:len(out)]:
				if end := m.at(p+esc.n, k+len(out)); end >= 0 {
					return end
				}
			}
		}
		if k > 0 {
			if m.dead == nil {
				m.dead = make(map[[2]int]bool)
			}
			m.dead[key] = true
		}
		return -1
	}
	return p
}

// escapeStart reports whether c may start an escape sequence; '+' (a space
// in a form) only when lenient.
func escapeStart(c byte, lenient bool) bool {
	return c == '%' || c == '\\' || c == '&' || lenient && c == '+'
}

// escape is an escape sequence: it spans n bytes (0: there is none) and
// stands for out, or else for alt if nalt > 0.
type escape struct {
	n    int
	out  [8]byte
	nout int
	alt  [4]byte
	nalt int
}

func (e *escape) setByte(n int, c byte) {
	e.n, e.out[0], e.nout = n, c, 1
}

func (e *escape) setRune(n int, r rune) {
	if !utf8.ValidRune(r) || r == 0 {
		r = utf8.RuneError
	}
	e.n, e.nout = n, utf8.EncodeRune(e.out[:], r)
}

// unescape returns the escape sequence at b[i:], if any: URL and form
// (%HH, %uHHHH, and + if lenient), backslash (\uHHHH with surrogate pairs,
// \u{H…}, \UHHHHHHHH, \xHH, \n and the like, \ before punctuation) and
// HTML (&name;, &#D…;, &#xH…;) escapes, hex digits in either case.
func unescape(b []byte, i int, lenient bool) (e escape) {
	rest := b[i:]
	if len(rest) < 2 {
		return e
	}
	switch rest[0] {
	case '+':
		if lenient {
			e.setByte(1, ' ')
		}
	case '%':
		if v, ok := hexValue(rest[1:], 2); ok {
			e.setByte(3, byte(v))
		} else if rest[1] == 'u' || rest[1] == 'U' {
			if r, n, ok := utf16Escape(rest, 2, "%u"); ok {
				e.setRune(n, r)
			}
		}
	case '\\':
		switch c := rest[1]; c {
		case 'u':
			j := 1
			for j < len(rest) && rest[j] == 'u' { // Java allows \uuuu0041
				j++
			}
			if j < len(rest) && rest[j] == '{' {
				k := j + 1
				for k < len(rest) && k-j <= 6 && isHex(rest[k]) {
					k++
				}
				if k > j+1 && k < len(rest) && rest[k] == '}' {
					v, _ := hexValue(rest[j+1:], k-j-1)
					e.setRune(k+1, rune(v))
				}
			} else if r, n, ok := utf16Escape(rest, j, `\u`); ok {
				e.setRune(n, r)
			}
		case 'U':
			if v, ok := hexValue(rest[2:], 8); ok {
				e.setRune(10, rune(min(v, utf8.MaxRune+1)))
			}
		case 'x':
			if v, ok := hexValue(rest[2:], 2); ok {
				// A byte in C and Go, a character in JavaScript and Python.
				e.setByte(4, byte(v))
				if v >= utf8.RuneSelf {
					e.nalt = utf8.EncodeRune(e.alt[:], rune(v))
				}
			}
		default:
			if i := strings.IndexByte("nrtbfv0", c); i >= 0 {
				e.setByte(2, "\n\r\t\b\f\v\x00"[i])
			} else if c >= ' ' && c < utf8.RuneSelf && !isAlnum(c) {
				e.setByte(2, c)
			}
		}
	case '&':
		if rest[1] == '#' {
			j, base := 2, 10
			if j < len(rest) && (rest[j] == 'x' || rest[j] == 'X') {
				j, base = j+1, 16
			}
			k := j
			for k < len(rest) && k-j < 8 && (isHex(rest[k]) && base == 16 || rest[k] >= '0' && rest[k] <= '9') {
				k++
			}
			if k == j {
				return e
			}
			v, _ := strconv.ParseUint(string(rest[j:k]), base, 32)
			if k < len(rest) && rest[k] == ';' {
				k++
			}
			e.setRune(k, rune(min(v, utf8.MaxRune+1)))
			return e
		}
		k := 1
		for k < len(rest) && k <= 32 && isAlnum(rest[k]) {
			k++
		}
		if k == 1 || k >= len(rest) || rest[k] != ';' {
			return e
		}
		entity := string(rest[:k+1])
		if text := html.UnescapeString(entity); text != entity && len(text) <= len(e.out) {
			e.n, e.nout = k+1, copy(e.out[:], text)
		}
	}
	return e
}

// utf16Escape reads a UTF-16 code unit in 4 hex digits at b[j:] and, if it
// is a high surrogate followed by prefix and a low one, that too. It
// returns the character and the end of what it read.
func utf16Escape(b []byte, j int, prefix string) (rune, int, bool) {
	v, ok := hexValue(b[j:], 4)
	if !ok {
		return 0, 0, false
	}
	r, n := rune(v), j+4
	if utf16.IsSurrogate(r) {
		if rest := b[n:]; len(rest) >= len(prefix)+4 && strings.EqualFold(string(rest[:len(prefix)]), prefix) {
			if lo, ok := hexValue(rest[len(prefix):], 4); ok {
				if pair := utf16.DecodeRune(r, rune(lo)); pair != utf8.RuneError {
					return pair, n + len(prefix) + 4, true
				}
			}
		}
		r = utf8.RuneError
	}
	return r, n, true
}

// hexValue reads n hex digits at the start of b.
func hexValue(b []byte, n int) (uint64, bool) {
	if len(b) < n {
		return 0, false
	}
	var v uint64
	for _, c := range b[:n] {
		d, ok := hexDigit(c)
		if !ok {
			return 0, false
		}
		v = v<<4 | uint64(d)
	}
	return v, true
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func isHex(c byte) bool {
	_, ok := hexDigit(c)
	return ok
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// base64Value is the value of a base64 digit in the standard or the URL
// alphabet, or -1.
func base64Value(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	case c == '+' || c == '-':
		return 62
	case c == '/' || c == '_':
		return 63
	}
	return -1
}

// searchRuns decodes every run of base64 digits in l (from each of its
// first four bytes, so that a run starting mid-group still decodes) and
// every run of hex digits (from each of its first two), and reports, for
// each secret the decoding holds in any form, the span of the whole run
// with its padding.
func searchRuns(l *layer, needles []needle, hit func(span, needle)) {
	var buf []byte
	check := func(i, j int) {
		for _, n := range needles {
			if len(buf) < len(n.s) {
				continue
			}
			m := matcher{b: buf, s: n.s}
			for p := range buf {
				if (buf[p] == n.s[0] || escapeStart(buf[p], true)) && m.at(p, 0) > p {
					hit(l.span(i, j), n)
					break
				}
			}
		}
	}
	for i := 0; i < len(l.b); {
		j := i
		for j < len(l.b) && base64Value(l.b[j]) >= 0 {
			j++
		}
		if j == i {
			i++
			continue
		}
		end := j
		for end < len(l.b) && end-j < 2 && l.b[end] == '=' {
			end++
		}
		for off := 0; off < 4 && i+off+1 < j; off++ {
			buf = buf[:0]
			var acc, bits uint
			for _, c := range l.b[i+off : j] {
				acc, bits = acc<<6|uint(base64Value(c)), bits+6
				if bits >= 8 {
					bits -= 8
					buf = append(buf, byte(acc>>bits))
					acc &= 1<<bits - 1
				}
			}
			check(i, end)
		}
		i = end
	}
	for i := 0; i < len(l.b); {
		j := i
		for j < len(l.b) && isHex(l.b[j]) {
			j++
		}
		if j == i {
			i++
			continue
		}
		for off := 0; off < 2 && i+off+1 < j; off++ {
			buf = buf[:0]
			for k := i + off; k+1 < j; k += 2 {
				hi, _ := hexDigit(l.b[k])
				lo, _ := hexDigit(l.b[k+1])
				buf = append(buf, hi<<4|lo)
			}
			check(i, j)
		}
		i = j
	}
}

// opError is an error of an exported entry point: the package prefix once,
// then the operation, then the cause, whose own prefix is dropped, as in
// "auth: IB_BASE_URL: base URL is empty". errors.Is and errors.As see the
// cause.
type opError struct {
	op  string
	err error
}

// wrap returns err as the failure of op.
func wrap(op string, err error) error { return &opError{op, err} }

func (e *opError) Error() string {
	return "auth: " + e.op + ": " + strings.TrimPrefix(e.err.Error(), "auth: ")
}

func (e *opError) Unwrap() error { return e.err }
