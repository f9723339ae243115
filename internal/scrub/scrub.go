// Package scrub finds secrets a server echoed, in any encoding, and
// redacts them.
//
// A server or proxy that refuses a request may echo it, and with it the
// password, client secret or token the request carried, in any encoding:
// raw; in a URL or a form (%2F or %2f, + for a space, %uXXXX); in a JSON,
// Java or JavaScript string (\/, \", \u00e9 or \u00E9 for any character,
// \ud83d\ude00, \u{1F600}, \xHH); in HTML (&amp;, &quot;, &#39;, &#x27;,
// &eacute;); in base64 (a Basic header's user:password) or hex; or several
// of these nested (%2526, &amp;quot;). A [Scrubber] finds a secret in all
// these forms at once. It matches the secret byte by byte, each byte being
// either itself or an escape sequence that decodes to it, in the text, in
// the text decoded once, twice and three times (for nested encodings), and
// in every run of base64 or hex characters, decoded. Each occurrence is
// replaced, where it stands in the text as shown, by [Mark].
//
// A secret shorter than [MinLen] bytes cannot be cut out of a text without
// garbling it, and turns up in ordinary text by chance. Such secrets are
// not refused (a password is the user's, a session token the server's),
// but a text that holds one, in any form, is replaced whole: it then says
// less, never the secret.
package scrub

import (
	"cmp"
	"encoding/base64"
	"html"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Mark is what stands where a secret was, unless it would spell a secret
// itself (see [Scrubber.Mark]).
const Mark = "[redacted]"

const (
	// MinLen is the length under which a secret found in a text replaces
	// the whole text rather than its occurrences.
	MinLen = 4
	// maxDepth is how many decodings of a text are searched after the
	// text itself.
	maxDepth = 3
	// maxRounds bounds the rescans of a text after redaction, which can
	// join its neighbours into a new occurrence.
	maxRounds = 4
)

// Scrubber redacts a set of secrets from texts. It is safe for concurrent
// use.
type Scrubber struct {
	needles []needle
	mark    string
}

// needle is one secret.
type needle struct {
	s     string
	short bool // shorter than MinLen
}

// span is a range of bytes of a text, [start, end).
type span struct{ start, end int }

// New returns a Scrubber for the non-empty secrets.
func New(secrets ...string) *Scrubber {
	sc := &Scrubber{}
	seen := make(map[string]bool)
	for _, s := range secrets {
		if s != "" && !seen[s] {
			seen[s] = true
			sc.needles = append(sc.needles, needle{s, len(s) < MinLen})
		}
	}
	for _, mark := range []string{Mark, "[REDACTED]", "***"} {
		if !sc.Found(mark) {
			sc.mark = mark
			break
		}
	}
	return sc
}

// Credential returns what of an Authorization header value must not be
// shown: the value, its credential part, and for Basic the decoded
// "username:password" and the password.
func Credential(authorization string) []string {
	scheme, cred, ok := strings.Cut(authorization, " ")
	if !ok {
		return []string{authorization}
	}
	secrets := []string{authorization, cred}
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

// Empty reports whether sc has no secret to look for.
func (sc *Scrubber) Empty() bool { return len(sc.needles) == 0 }

// Mark returns what replaces a secret: [Mark], or when that text holds a
// secret itself, another that does not.
func (sc *Scrubber) Mark() string { return sc.mark }

// Long returns a Scrubber for the secrets of sc that are at least MinLen
// bytes long, with the same mark: the ones worth looking for in a text
// that does not come from the server, such as a message Go wrote, where a
// short one turns up by chance.
func (sc *Scrubber) Long() *Scrubber {
	long := slices.DeleteFunc(slices.Clone(sc.needles), func(n needle) bool { return n.short })
	return &Scrubber{needles: long, mark: sc.mark}
}

// Found reports whether text holds a secret in any form.
func (sc *Scrubber) Found(text string) bool {
	spans, _ := sc.find(text)
	return len(spans) > 0
}

// Text returns text with every occurrence of a secret, in any form,
// replaced by the mark, or the mark alone if it holds a short secret.
func (sc *Scrubber) Text(text string) string {
	for range maxRounds {
		spans, short := sc.find(text)
		switch {
		case len(spans) == 0:
			return text
		case short:
			return sc.mark
		}
		text = redact(text, spans, sc.mark)
	}
	if sc.Found(text) {
		return sc.mark
	}
	return text
}

// Bytes is Text for a byte slice; it returns b itself if b holds no
// secret.
func (sc *Scrubber) Bytes(b []byte) []byte {
	if text := sc.Text(string(b)); text != string(b) {
		return []byte(text)
	}
	return b
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

// find returns the spans of text that hold a secret, and whether one of
// them is short.
func (sc *Scrubber) find(text string) (spans []span, short bool) {
	needles := sc.needles
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
		if depth == maxDepth {
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
