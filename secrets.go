package auth

import (
	"encoding/json"
	"math"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
	"weak"

	"golang.org/x/oauth2"

	"github.com/ibkit/auth/internal/scrub"
)

// Secrets echoed in error answers
//
// A server or proxy that refuses a request may echo it, and with it the
// password, client secret or token the request carried, in any encoding
// (see package scrub). Every text field of an error built from such an
// answer is scrubbed after JSON decoding, then checked as it prints
// (cleaned by Error, quoted by %q, %#v or a JSON log): a field that would
// still show a secret there is replaced whole. So is a message whose
// fields together would spell one. A short secret (under scrub.MinLen
// bytes) drops every text from the answer that holds it; fixed texts (the
// operation, the status, Go's own messages) are not searched for one.

// sentCredentials maps an error response (weakly: the entry goes with the
// response) to the Authorization value its request carried, so that
// ParseError can scrub it from an echo. Not the body: http.Client with a
// Timeout, and any middleware, wrap the body on its way to the caller.
var sentCredentials sync.Map // weak.Pointer[http.Response] -> string

// rememberCredential records header as the credential the request of
// resp, an error answer, carried; the Transport calls it.
func rememberCredential(resp *http.Response, header string) {
	wp := weak.Make(resp)
	if _, loaded := sentCredentials.Swap(wp, header); !loaded {
		runtime.AddCleanup(resp, func(wp weak.Pointer[http.Response]) { sentCredentials.Delete(wp) }, wp)
	}
}

// sentCredential returns the Authorization value the request of resp
// carried, when our Transport sent it and the answer was an error.
func sentCredential(resp *http.Response) (string, bool) {
	v, ok := sentCredentials.Load(weak.Make(resp))
	if !ok {
		return "", false
	}
	return v.(string), true
}

// scrubber is a scrub.Scrubber that knows how this package shows texts.
type scrubber struct {
	*scrub.Scrubber
	longest int // bytes in the longest secret
}

// newScrubber returns a scrubber for the non-empty secrets.
func newScrubber(secrets ...string) *scrubber {
	sc := &scrubber{}
	forms := make([]string, 0, 2*len(secrets))
	for _, s := range secrets {
		// Error and Excerpt show texts cleaned, with runs of white space
		// collapsed: look for the secret in that shape too.
		for _, form := range []string{s, clean(s, math.MaxInt)} {
			forms = append(forms, form)
			sc.longest = max(sc.longest, len(form))
		}
	}
	sc.Scrubber = scrub.New(forms...)
	return sc
}

// field scrubs a text field, then checks it as fmt, slog and Error show it:
// a field that shows a secret there (a password with a tab Error turns
// into a space, one with a backslash %q adds) is replaced by the mark.
func (sc *scrubber) field(f string) string {
	if sc.Empty() || f == "" {
		return f
	}
	if f = sc.Text(f); f == sc.Mark() {
		return f
	}
	quoted, _ := json.Marshal(f)
	for _, shown := range []string{clean(f, math.MaxInt), strconv.Quote(f), strconv.QuoteToASCII(f), string(quoted)} {
		if shown != f && sc.Found(shown) {
			return sc.Mark()
		}
	}
	return f
}

// excerpt returns the excerpt of body, at most limit bytes, scrubbed before
// it is cut (it could end inside a secret), and again as clean shows it.
// Only the start of the body is searched, so that a large body costs no
// more than a small one: what clean turns into the first limit bytes, and
// room after it for a secret that begins there to end, 32 bytes per byte of
// the secret (more than any one encoding takes) and some.
func (sc *scrubber) excerpt(body []byte, limit int) string {
	window := shownBytes(body, limit) + 32*sc.longest + 256
	if window < len(body) {
		body = body[:window]
	}
	text := clean(sc.Text(clean(sc.Text(string(body)), math.MaxInt)), limit)
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
	if sc.Empty() {
		return
	}
	re.Body = sc.Bytes(re.Body)
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
	if sc.Long().Found(re.Error()) {
		re.ErrorCode, re.ErrorDescription, re.ErrorURI, re.Body = sc.Mark(), "", "", []byte(sc.Mark())
	}
}

// clean and truncate are how this package shows outside text; they live
// beside the scrubber, which must find a secret in that shape too.

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
