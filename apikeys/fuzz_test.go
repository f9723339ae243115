package apikeys_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/apikeys"
	"github.com/ibkit/auth/authtest"
)

// FuzzAPIKeyJSON feeds arbitrary bodies to the decoder: it must not panic,
// and a decoded key must marshal without its secret.
func FuzzAPIKeyJSON(f *testing.F) {
	f.Add(`{"id":"1","apiKeySecret":"s3cr3t-value","name":"n","validFrom":"2024-09-01T10:00:00","validTo":"2025-09-01T10:00:00.000+0000","enabled":true,"permissions":["PUBLIC_API"],"platform":[{"key":"k","applicationId":"a","action":"FILL"}],"scopeGuids":["sms:message:send"]}`)
	f.Add(`{"validFrom":null,"allowedIPs":null}`)
	f.Add(`{"validTo":"2024-02-30T25:61:61"}`)
	f.Add(`{"apiKeySecret":12}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		var k apikeys.Key
		if json.Unmarshal([]byte(body), &k) != nil {
			return
		}
		b, err := json.Marshal(k)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		if strings.Contains(string(b), "apiKeySecret") {
			t.Fatalf("marshalled key holds apiKeySecret: %s", b)
		}
		var back apikeys.Key
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("a marshalled key does not read back: %v\n%s", err, b)
		}
	})
}

// FuzzCreateValidation checks that input the client lets through is input
// the fake server accepts, and that refused input sends nothing.
func FuzzCreateValidation(f *testing.F) {
	srv := authtest.NewServer()
	f.Cleanup(srv.Close)
	srv.SetAPIKeyDailyLimit(0)
	basic, err := auth.NewBasic(authtest.Username, authtest.Password)
	if err != nil {
		f.Fatal(err)
	}
	keys, err := apikeys.New(srv.URL, basic, srv.Client())
	if err != nil {
		f.Fatal(err)
	}
	f.Add("name", "10.0.0.1", "sms:message:send")
	f.Add(" ", "::1", "")
	f.Add("tab\there", "10.0.0.0/8", "a:b")
	f.Add("ünïcödé ✓", "fe80::1%eth0", " ")
	f.Add("a\u2028b", "::ffff:10.0.0.1", "x")
	f.Add("\xff", "1.2.3.4/33", "y\x00")
	f.Fuzz(func(t *testing.T, name, ip, scope string) {
		before := srv.Count(authtest.RouteCreateAPIKey)
		k, err := keys.Create(context.Background(), apikeys.CreateRequest{
			Name: name, AllowedIPs: []string{ip}, ScopeGUIDs: []string{scope},
		})
		sent := srv.Count(authtest.RouteCreateAPIKey) - before
		var ae *auth.Error
		switch {
		case err == nil:
			if k.Name != name {
				t.Fatalf("name %q came back as %q", name, k.Name)
			}
		case errors.As(err, &ae):
			if ae.StatusCode == http.StatusBadRequest {
				t.Fatalf("the client let through what the server refuses: %v", err)
			}
		default:
			if sent != 0 {
				t.Fatalf("refused locally (%v) yet %d requests were sent", err, sent)
			}
		}
	})
}
