package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/oauth2"
)

// fuzzNow is the clock of the fuzz targets.
var fuzzNow = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// validHeaderValue reports whether v can travel as an HTTP header value
// (RFC 9110: no control characters but tab) and holds no line break.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// checkToken fails t unless tok is a usable credential: non-empty, valid
// UTF-8, without white space or control characters.
func checkToken(t *testing.T, what, tok string) {
	t.Helper()
	if tok == "" || !utf8.ValidString(tok) || strings.ContainsFunc(tok, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError
	}) {
		t.Fatalf("%s %q accepted", what, tok)
	}
}

// Ways FuzzBearerToken gives a token its raw response, as x/oauth2 does.
const (
	rawNone      = iota // no raw response: Extra is always nil
	rawJSON             // a JSON body decoded into map[string]any
	rawJSONNum          // the same with json.Number for numbers
	rawForm             // a form-encoded body (url.Values)
	rawModeCount        // the number of modes
)

// tokenWithRaw returns tok carrying body as its raw response in the given
// mode, and whether that response has an expires_in field.
func tokenWithRaw(tok *oauth2.Token, body []byte, mode uint8) (*oauth2.Token, bool) {
	switch mode % rawModeCount {
	case rawJSON, rawJSONNum:
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(body))
		if mode%rawModeCount == rawJSONNum {
			d.UseNumber()
		}
		if d.Decode(&m) != nil || m == nil {
			return tok, false
		}
		return tok.WithExtra(m), m["expires_in"] != nil
	case rawForm:
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return tok, false
		}
		return tok.WithExtra(vals), vals.Has("expires_in")
	}
	return tok, false
}

// bearerTokenTexts holds the fixed words of bearerToken's errors.
const bearerTokenTexts = "auth: fetch OAuth token: response has no access_token; access_token contains whitespace or control characters;" +
	" token_type is not Bearer; expires_in is not a number; want a positive number of seconds; seconds, more than a year;" +
	" response has no expires_in; the token source returned an expired token"

func FuzzBearerToken(f *testing.F) {
	type seed struct {
		body              string
		mode              uint8
		access, typ       string
		expiresIn, expiry int64 // Token.ExpiresIn; Token.Expiry in seconds from now, 0 for none
		strict            bool
	}
	for _, s := range []seed{
		{`{"access_token":"abc","expires_in":3600,"token_type":"Bearer"}`, rawJSON, "abc", "Bearer", 3600, 0, true},
		{`{"expires_in":3600}`, rawJSONNum, "abc", "bearer", 0, 0, true},
		{`{"expires_in":"3600"}`, rawJSON, "abc", "BEARER", 0, 0, true},
		{`{"expires_in":"soon"}`, rawJSON, "abc", "", 0, 0, true},
		{`{"expires_in":0.5}`, rawJSON, "abc", "Bearer", 0, 0, true},
		{`{"expires_in":1e-10}`, rawJSON, "abc", "Bearer", 0, 0, false},
		{`{"expires_in":-0}`, rawJSON, "abc", "Bearer", 0, 0, true},
		{`{"expires_in":1e308}`, rawJSON, "abc", "Bearer", 0, 0, true},
		{`{"expires_in":99999999999999999999}`, rawJSONNum, "abc", "Bearer", 0, 0, true},
		{`{"expires_in":null}`, rawJSON, "abc", "Bearer", 0, 0, false},
		{`{"expires_in":[1]}`, rawJSON, "abc", "Bearer", 0, 0, false},
		{`access_token=abc&expires_in=3600&token_type=bearer`, rawForm, "abc", "bearer", 0, 0, true},
		{`access_token=abc&expires_in=1.5`, rawForm, "abc", "bearer", 0, 0, true},
		{`access_token=abc&token_type=bearer`, rawForm, "abc", "bearer", 0, 3600, false},
		{`access_token=abc&expires_in=`, rawForm, "abc", "bearer", 0, 0, false},
		{``, rawNone, "abc", "Bearer", 0, -60, false},
		{``, rawNone, "abc", "Bearer", 0, 0, false},
		{``, rawNone, "abc", "Bearer", 0, 0, true},
		{``, rawNone, "abc", "Bearer", -5, 0, false},
		{``, rawNone, "abc", "mac", 60, 0, false},
		{``, rawNone, "", "Bearer", 60, 0, false},
		{``, rawNone, "a\r\nX-Evil: 1", "Bearer", 60, 0, false},
		{``, rawNone, "é\u00a0", "Bearer", 60, 0, false},
		{``, rawNone, "abc", "Bearer\n", 60, 0, false},
	} {
		f.Add([]byte(s.body), s.mode, s.access, s.typ, s.expiresIn, s.expiry, s.strict)
	}
	f.Fuzz(func(t *testing.T, body []byte, mode uint8, access, typ string, expiresIn, expiry int64, strict bool) {
		tok := &oauth2.Token{AccessToken: access, TokenType: typ, ExpiresIn: expiresIn}
		if expiry != 0 && expiry > -1e9 && expiry < 1e9 {
			tok.Expiry = time.Now().Add(time.Duration(expiry) * time.Second)
		}
		tok, hasExpiresIn := tokenWithRaw(tok, body, mode)
		got, err := bearerToken(tok, fuzzNow, strict)
		if err != nil {
			if got != nil {
				t.Fatalf("token %+v together with error %v", got, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "auth: fetch OAuth token: ") || !utf8.ValidString(msg) || !validHeaderValue(msg) {
				t.Fatalf("bad error text %q", msg)
			}
			if len(access) >= 4 && strings.Contains(msg, access) && !strings.Contains(bearerTokenTexts, access) &&
				!strings.Contains(typ, access) && !strings.Contains(string(body), access) && !strings.Contains(strconv.FormatInt(expiresIn, 10), access) {
				t.Fatalf("error %q repeats the access token", msg)
			}
			// No expires_in anywhere is not an error where the Expiry
			// (or nothing) may stand in for it.
			if !strict && !hasExpiresIn && expiresIn == 0 && (tok.Expiry.IsZero() || time.Until(tok.Expiry) > time.Minute) &&
				checkCredential("access token", access, false) == nil &&
				(typ == "" || strings.EqualFold(typ, "bearer")) {
				t.Fatalf("token without expires_in refused: %v", err)
			}
			return
		}
		checkToken(t, "access token", access)
		if got.Value != access || got.Header != "Bearer "+access || !validHeaderValue(got.Header) {
			t.Fatalf("token %+v for access token %q", got, access)
		}
		if typ != "" && !strings.EqualFold(typ, "bearer") {
			t.Fatalf("token type %q accepted", typ)
		}
		if strict && got.Expiry.IsZero() {
			t.Fatal("strict: token without expiry accepted")
		}
		if !got.Expiry.IsZero() {
			if !got.Expiry.After(fuzzNow) {
				t.Fatalf("token accepted already expired: expiry %v, now %v", got.Expiry, fuzzNow)
			}
			if hasExpiresIn && got.Expiry.Sub(fuzzNow) > maxLifetime {
				t.Fatalf("lifetime %v accepted", got.Expiry.Sub(fuzzNow))
			}
		}
	})
}

// fuzzSecret is the client secret of FuzzOAuthTokenResponse.
const fuzzSecret = "fuzz-Cl1ent-s3cret-XYZZY"

// answer is a RoundTripper that answers every request with one response.
type answer struct {
	status      int
	contentType string
	retryAfter  string
	body        []byte
}

func (a answer) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	h := http.Header{}
	h.Set("Content-Type", a.contentType)
	h.Set("Retry-After", a.retryAfter)
	return &http.Response{
		StatusCode: a.status,
		Status:     http.StatusText(a.status),
		Header:     h,
		Body:       io.NopCloser(bytes.NewReader(a.body)),
		Request:    req,
	}, nil
}

// FuzzOAuthTokenResponse drives NewOAuth's whole fetch: x/oauth2 parses the
// token endpoint's answer, then tokenError or bearerToken judge it.
func FuzzOAuthTokenResponse(f *testing.F) {
	for _, s := range []struct {
		status   int
		ct, ra   string
		body     string
		rawEmpty bool
	}{
		{200, "application/json", "", `{"access_token":"tok-1","expires_in":7200,"token_type":"Bearer"}`, false},
		{200, "application/json; charset=utf-8", "", `{"access_token":"tok-1","expires_in":"7200","token_type":"bearer"}`, false},
		{200, "application/json", "", `{"access_token":"tok-1","token_type":"Bearer"}`, false},
		{200, "application/json", "", `{"access_token":"tok-1","expires_in":0}`, false},
		{200, "application/json", "", `{"access_token":"tok-1","expires_in":1.5}`, false},
		{200, "application/json", "", `{"access_token":"tok 1","expires_in":60}`, false},
		{200, "application/json", "", `{"error":"invalid_client","error_description":"nope"}`, false},
		{200, "application/x-www-form-urlencoded", "", `access_token=tok-1&expires_in=60&token_type=bearer`, false},
		{200, "text/plain", "", `access_token=tok-1&token_type=bearer`, false},
		{200, "text/plain", "", `%zz`, false},
		{200, "text/html", "", `<html>ok</html>`, false},
		{401, "application/json", "", `{"errorCode":"E401","description":"Invalid client credentials","action":"Check your client_id and client_secret"}`, false},
		{400, "application/json", "", `{"requestError":{"serviceException":{"messageId":"BAD_REQUEST","text":"Bad request","validationErrors":{"client_id":["must not be empty"]}}}}`, false},
		{429, "application/json", "99999999999", `{"errorCode":"E429"}`, false},
		{502, "text/html", "", "<html>\r\n<body>502 Bad Gateway</body>\r\n</html>", false},
		{302, "text/html", "", ``, false},
		{500, "", "Wed, 21 Oct 2015 07:28:00 GMT", "\xff\xfe\x00", false},
	} {
		f.Add(s.status, s.ct, s.ra, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, status int, contentType, retryAfter string, body []byte) {
		if status < 100 || status > 599 {
			status = 100 + (status%500+500)%500
		}
		if !validHeaderValue(contentType) || !validHeaderValue(retryAfter) {
			return
		}
		b, err := NewOAuth(OAuthConfig{
			BaseURL:      "https://fuzz.api.infobip.com",
			ClientID:     "fuzz-client",
			ClientSecret: fuzzSecret,
			HTTPClient:   &http.Client{Transport: answer{status, contentType, retryAfter, body}},
			Now:          func() time.Time { return fuzzNow },
		})
		if err != nil {
			t.Fatal(err)
		}
		h, err := b.Authorization(context.Background())
		if err != nil {
			if h != "" {
				t.Fatalf("header %q together with error %v", h, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "auth: fetch OAuth token: ") {
				t.Fatalf("bad error text %q", msg)
			}
			if strings.Contains(msg, fuzzSecret) && !bytes.Contains(body, []byte(fuzzSecret)) {
				t.Fatalf("error %q holds the client secret", msg)
			}
			var e *Error
			if errors.As(err, &e) {
				if e.StatusCode != status || e.Op != "fetch OAuth token" || e.RetryAfter < 0 {
					t.Fatalf("error %+v for status %d", e, status)
				}
				if status >= 200 && status < 300 && e.Unwrap() == nil {
					t.Fatalf("an error for %d without the x/oauth2 cause: %v", status, e)
				}
			}
			return
		}
		if status < 200 || status > 299 {
			t.Fatalf("status %d gave header %q", status, h)
		}
		access, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			t.Fatalf("header %q", h)
		}
		checkToken(t, "access token", access)
		tok, err := b.TokenSource().Token()
		if err != nil {
			t.Fatal(err)
		}
		if !tok.Expiry.After(fuzzNow) || tok.Expiry.Sub(fuzzNow) > maxLifetime {
			t.Fatalf("expiry %v for a token fetched at %v", tok.Expiry, fuzzNow)
		}
	})
}
