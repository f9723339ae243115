package auth

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ibkit/auth/internal/scrub"
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
		sent = append(sent, scrub.Credential(v)...)
	}
	if resp.Request != nil {
		for _, v := range resp.Request.Header.Values("Authorization") {
			sent = append(sent, scrub.Credential(v)...)
		}
	}
	if len(sent) > 0 {
		e.scrub(newScrubber(append(sent, tokensIn(body)...)...), body)
	}
	return e
}

// refusal parses the error answer to a request of ours that carried
// secrets, and scrubs them from every field of the result (see
// [scrubber]). now is the configured clock's reading, used for a
// Retry-After date when the answer has no Date header.
func refusal(op string, status int, header http.Header, body []byte, now time.Time, secrets ...string) *Error {
	sc := newScrubber(slices.Concat(secrets, tokensIn(body))...)
	e := parseErrorBody(status, header, body, now)
	e.scrub(sc, body)
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
	if !sc.Found(msg) {
		return wrap(op, err)
	}
	scrubbed := &scrubbedError{msg: "auth: " + op + ": " + sc.Text(msg)}
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

// scrub scrubs every text of e, parsed from body, with sc.
func (e *Error) scrub(sc *scrubber, body []byte) {
	if sc.Empty() {
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
		e.Excerpt = sc.excerpt(body, maxExcerpt)
	}
	// Last, the fields together, as the message joins them.
	if sc.Long().Found(e.Error()) {
		*e = Error{StatusCode: e.StatusCode, Code: "E" + strconv.Itoa(e.StatusCode), Description: sc.Mark(), RetryAfter: e.RetryAfter, Err: e.Err}
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
