package auth

import (
	"strings"
	"testing"
	"unicode"
)

// credentialFields are the fields the package checks with checkCredential.
var credentialFields = []string{"API key", "username", "password", "client ID", "client secret"}

// fixedMessages returns every message checkCredential can give for field,
// gathered by provoking each of its refusals.
func fixedMessages(field string) string {
	var all []string
	for _, v := range []string{"", "\xff", "\x00", "a b", " a"} {
		for _, inner := range []bool{false, true} {
			if err := checkCredential(field, v, inner); err != nil {
				all = append(all, err.Error())
			}
		}
	}
	return strings.Join(all, "\n")
}

func FuzzCredential(f *testing.F) {
	f.Add("0123456789abcdef0123456789abcdef-01234567-89ab-cdef-0123-456789abcdef", false)
	f.Add("open sesame", true)
	f.Add("open sesame", false)
	f.Add(" padded ", true)
	f.Add("tab\tinside", true)
	f.Add("line\r\nbreak", true)
	f.Add("nul\x00byte", false)
	f.Add("del\x7fbyte", false)
	f.Add("bad\xffutf8", true)
	f.Add("nbsp\u00a0inside", false)
	f.Add("c1\u0085control", true)
	f.Add("replacement\ufffdchar", false)
	f.Add("   ", true)
	f.Add("", false)
	fixed := make(map[string]string, len(credentialFields))
	for _, field := range credentialFields {
		fixed[field] = fixedMessages(field)
	}
	f.Fuzz(func(t *testing.T, value string, allowInnerSpace bool) {
		for _, field := range credentialFields {
			err := checkCredential(field, value, allowInnerSpace)
			if err != nil {
				msg := err.Error()
				if !strings.Contains(msg, field) {
					t.Fatalf("error %q does not name the field %q", msg, field)
				}
				if len(value) >= 4 && strings.Contains(msg, value) && !strings.Contains(fixed[field], value) {
					t.Fatalf("error %q repeats the %s value %q", msg, field, value)
				}
				continue
			}
			if strings.ContainsFunc(value, unicode.IsControl) {
				t.Fatalf("%s %q with a control character accepted", field, value)
			}
			if strings.TrimSpace(value) == "" {
				t.Fatalf("blank %s %q accepted", field, value)
			}
			if !allowInnerSpace && strings.ContainsFunc(value, unicode.IsSpace) {
				t.Fatalf("%s %q with whitespace accepted without allowInnerSpace", field, value)
			}
		}
	})
}
