package scrub

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/ibkit/auth/internal/testkit"
)

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
		sc := New(secret)
		for _, form := range testkit.EchoForms {
			for _, c := range contexts {
				in := c.before + form.Enc(secret) + c.after
				require(t, sc.Found(in), "%.10q… %s %s: %q not found", secret, form.Name, c.name, in)
				out := sc.Text(in)
				if f, ok := testkit.ShowsSecret(out, secret); ok {
					t.Errorf("%.10q… %s %s: %q scrubbed to %q, which shows it (%s)", secret, form.Name, c.name, in, out, f)
				}
				if !strings.Contains(out, Mark) {
					t.Errorf("%.10q… %s %s: %q scrubbed to %q, with no mark", secret, form.Name, c.name, in, out)
				}
				if !strings.HasPrefix(out, c.before) && c.before != "xyz" {
					t.Errorf("%.10q… %s %s: %q scrubbed to %q: text before the secret lost", secret, form.Name, c.name, in, out)
				}
			}
		}
	}
}

func TestScrubberKeepsOrdinaryText(t *testing.T) {
	sc := New(scrubSecrets...)
	for _, text := range []string{
		`{"errorCode":"E401","description":"Invalid login details","action":"Check your credentials"}`,
		`{"requestError":{"serviceException":{"messageId":"BAD_REQUEST","text":"Bad request","validationErrors":{"password":["must not be empty"]}}}}`,
		"<html><body><h1>502 Bad Gateway</h1>nginx &amp; friends &#169; 2026</body></html>",
		`a=%41%2f&b=\u0041\/\x41&c=&lt;&gt;+dGVzdA==`,
		strings.Repeat("0123456789abcdef", 100),
	} {
		require(t, !sc.Found(text), "%q: a secret found", text)
		require(t, sc.Text(text) == text, "%q scrubbed to %q", text, sc.Text(text))
		b := []byte(text)
		require(t, &sc.Bytes(b)[0] == &b[0], "%q: Bytes copied a text without a secret", text)
	}
}

func TestScrubberShortSecrets(t *testing.T) {
	for _, secret := range []string{"ab", "é", "e", "[", "a b"} {
		sc := New(secret)
		require(t, !strings.Contains(sc.Mark(), secret), "secret %q: mark %q holds it", secret, sc.Mark())
		for _, form := range testkit.EchoForms {
			in := "Invalid value " + form.Enc(secret) + " given"
			require(t, sc.Text(in) == sc.Mark(), "secret %q, %s: %q scrubbed to %q, want the whole text dropped", secret, form.Name, in, sc.Text(in))
		}
		// Long leaves short secrets out, and keeps the mark.
		long := sc.Long()
		require(t, long.Empty() && !long.Found("Invalid value "+secret+" given"), "secret %q: Long still looks for it", secret)
		require(t, long.Mark() == sc.Mark(), "secret %q: Long marks with %q, not %q", secret, long.Mark(), sc.Mark())
	}
	sc := New("q!z")
	require(t, sc.Text("Invalid login details") == "Invalid login details", "text without the short secret changed")
	require(t, New("q!z", "long-secret").Long().Found("x long-secret y"), "Long lost a long secret")
}

// The mark is never one that holds a secret, so redaction ends.
func TestScrubberMarkHoldsNoSecret(t *testing.T) {
	for _, secrets := range [][]string{{"dact"}, {"redacted"}, {"e", "E"}, {"e", "E", "*"}, {"[redacted]"}} {
		sc := New(secrets...)
		for _, s := range secrets {
			require(t, !strings.Contains(sc.Mark(), s), "%q: mark %q", secrets, sc.Mark())
			for _, text := range []string{s, s + s, "x" + s + "[redac" + s + "ted]" + s} {
				out := sc.Text(text)
				require(t, !strings.Contains(out, s), "%q: %q scrubbed to %q", secrets, text, out)
			}
		}
	}
}

func TestCredential(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte("Aladdin:open sesame"))
	for _, tc := range []struct {
		header string
		want   []string
	}{
		{"App 0030abcd-key", []string{"App 0030abcd-key", "0030abcd-key"}},
		{"IBSSO 3a5f0c1e", []string{"IBSSO 3a5f0c1e", "3a5f0c1e"}},
		{"Basic " + basic, []string{"Basic " + basic, basic, "Aladdin:open sesame", "open sesame"}},
		{"basic " + basic, []string{"basic " + basic, basic, "Aladdin:open sesame", "open sesame"}},
		{"Basic not-base64!", []string{"Basic not-base64!", "not-base64!"}},
		{"schemeless", []string{"schemeless"}},
	} {
		got := Credential(tc.header)
		require(t, slices.Equal(got, tc.want), "Credential(%q) = %q, want %q", tc.header, got, tc.want)
	}
}

func TestEmpty(t *testing.T) {
	require(t, New().Empty() && New("", "").Empty(), "a scrubber without secrets is not empty")
	require(t, !New("x").Empty(), "a scrubber with a secret is empty")
	require(t, New().Text("any text") == "any text" && !New().Found(Mark), "a scrubber without secrets changed a text")
}

// require is a minimal assertion, so that this file needs no testify.
func require(t *testing.T, ok bool, format string, args ...any) {
	t.Helper()
	if !ok {
		t.Fatalf(format, args...)
	}
}

// usable reports whether secret is one the library accepts as a password,
// key or token: not blank, valid UTF-8, without control characters.
func usable(secret string) bool {
	return strings.TrimSpace(secret) != "" && utf8.ValidString(secret) &&
		!strings.ContainsFunc(secret, func(r rune) bool { return r == utf8.RuneError || unicode.IsControl(r) })
}

// FuzzScrub embeds a secret in a text, in one of the echo forms, and
// checks that the scrubbed text shows it nowhere: not raw, not in any form
// the scrubber knows.
func FuzzScrub(f *testing.F) {
	f.Add(`Pä55 w/rd&"<x>'😀+\z`, uint8(0), []byte(`{"errorCode":"E400","description":"bad `), []byte(`"}`))
	f.Add("Cl1ent-secret", uint8(3), []byte(`<html>`), []byte(`</html>`))
	f.Add("abc", uint8(7), []byte(`{"error":"`), []byte(`"}`))
	f.Fuzz(func(t *testing.T, secret string, form uint8, before, after []byte) {
		if !usable(secret) {
			return
		}
		echo := testkit.EchoForms[int(form)%len(testkit.EchoForms)]
		text := string(before) + echo.Enc(secret) + string(after)
		sc := New(secret)
		if !sc.Found(text) {
			t.Fatalf("%q not found in %q (%s)", secret, text, echo.Name)
		}
		out := sc.Text(text)
		if strings.Contains(out, secret) || sc.Found(out) {
			t.Fatalf("%q scrubbed of %q (%s) to %q", text, secret, echo.Name, out)
		}
	})
}
