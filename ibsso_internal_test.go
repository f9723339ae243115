package auth

import (
	"bytes"
	"encoding/json"
	"testing"
)

const (
	errSessionNotJSON  = "auth: create IBSSO session: response is not the expected JSON"
	errSessionBadToken = "auth: create IBSSO session: response token is empty or malformed"
)

func FuzzDecodeSession(f *testing.F) {
	for _, s := range []struct{ body, token string }{
		{`{"token":"0b9e3c4f-2a7d-4b1e-9c3f-5d6e7f8a9b0c"}`, "0b9e3c4f-2a7d-4b1e-9c3f-5d6e7f8a9b0c"},
		{`{"token":""}`, ""},
		{`{"token":null}`, "a b"},
		{`{"TOKEN":"upper"} trailing`, "x\r\ny"},
		{`{"token":"a\u0000b"}`, "\u2028"},
		{`{"token":"\ud800"}`, "\ufffd"},
		{`{"token":1}`, "tab\t"},
		{`[{"token":"x"}]`, "\xff"},
		{`null`, "ok"},
		{``, ""},
		{`<html>502</html>`, "é"},
		{`{"token":"x","token":"y"}`, "\x7f"},
	} {
		f.Add([]byte(s.body), s.token)
	}
	f.Fuzz(func(t *testing.T, body []byte, token string) {
		// Any body: one of the two fixed errors, or a clean token.
		got, err := decodeSession(bytes.NewReader(body))
		if err != nil {
			if got != "" {
				t.Fatalf("token %q together with error %v", got, err)
			}
			if msg := err.Error(); msg != errSessionNotJSON && msg != errSessionBadToken {
				t.Fatalf("unexpected error text %q", msg)
			}
		} else {
			checkToken(t, "session token", got)
			if !validHeaderValue("IBSSO " + got) {
				t.Fatalf("token %q cannot travel in a header", got)
			}
			// Decoding is stable: the token, encoded again, decodes to itself.
			again, err := json.Marshal(map[string]string{"token": got})
			if err != nil {
				t.Fatal(err)
			}
			if got2, err := decodeSession(bytes.NewReader(again)); err != nil || got2 != got {
				t.Fatalf("re-decoding %s gives %q, %v", again, got2, err)
			}
		}

		// A well-formed answer {"token":…} is accepted exactly when the
		// token is a clean credential, and gives that token.
		wire, err := json.Marshal(map[string]string{"token": token})
		if err != nil {
			t.Fatal(err)
		}
		got, err = decodeSession(bytes.NewReader(wire))
		if clean := checkCredential("session token", token, false) == nil; clean {
			if err != nil || got != token {
				t.Fatalf("%s gives %q, %v; want %q", wire, got, err, token)
			}
		} else if err == nil || err.Error() != errSessionBadToken {
			t.Fatalf("%s gives %q, %v; want the malformed-token error", wire, got, err)
		}
	})
}
