package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/apikeys"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/examples/internal/exampletest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// anySecret matches an App key as authtest makes them.
var anySecret = regexp.MustCompile(`[0-9a-f]{32}-[0-9a-f]{8}-`)

// TestOffline runs the example's default, offline mode in-process.
func TestOffline(t *testing.T) {
	exampletest.Env(t, nil)
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, options{}), out.String())
	got := out.String()
	for _, want := range []string{
		"No IB_BASE_URL set",
		"the old key calls GET /account/1/balance: 200 OK",
		`the old key is ` + authtest.APIKeyID + ` ("default")`,
		`("rotated-20260101T000000Z"), valid 2026-01-01T00:00:00Z to 2027-01-01T00:00:00Z, secret [redacted]`,
		"the new key calls GET /account/1/balance: 200 OK",
		"revoked the old key " + authtest.APIKeyID,
		"the old key now calls GET /account/1/balance: 401 Unauthorized",
	} {
		require.Contains(t, got, want)
	}
	require.Equal(t, 2, strings.Count(got, "the new key calls GET /account/1/balance: 200 OK"))
	require.NotContains(t, got, authtest.APIKey)
	require.NotRegexp(t, anySecret, got)
}

func TestOfflineSecretFile(t *testing.T) {
	exampletest.Env(t, nil)
	path := filepath.Join(t.TempDir(), "new.key")
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, options{secretFile: path, name: "svc"}), out.String())
	require.Contains(t, out.String(), "wrote the new key's secret to "+path)
	require.Contains(t, out.String(), `("svc")`)

	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	secret := strings.TrimSuffix(string(b), "\n")
	require.Regexp(t, `^[0-9a-f]{32}-[0-9a-f-]{36}$`, secret)
	require.NotContains(t, out.String(), secret)

	// An existing file is refused before anything happens.
	out.Reset()
	err = run(context.Background(), &out, options{secretFile: path})
	require.ErrorContains(t, err, "-secret-file "+path+": the file exists")
	require.Empty(t, out.String())
}

func TestOfflineList(t *testing.T) {
	exampletest.Env(t, nil)
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, options{list: true}))
	require.Contains(t, out.String(), authtest.APIKeyID+`  enabled  "default"`)
	require.NotContains(t, out.String(), authtest.APIKey)
}

func appStatus(t *testing.T, srv *authtest.Server, key string) int {
	t.Helper()
	a, err := auth.NewAPIKey(key)
	require.NoError(t, err)
	c, err := auth.NewClient(srv.URL, a, srv.Client())
	require.NoError(t, err)
	resp, err := c.Get(srv.URL + checkPath)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func TestLiveRefusesAppKey(t *testing.T) {
	srv := exampletest.Live(t, map[string]string{"IB_API_KEY": authtest.APIKey})
	var out bytes.Buffer
	err := run(context.Background(), &out, options{})
	require.ErrorIs(t, err, apikeys.ErrAppKey)
	require.ErrorContains(t, err, "set IB_USERNAME and IB_PASSWORD")
	require.NotContains(t, err.Error(), authtest.APIKey)
	require.Zero(t, srv.Count(authtest.RouteCreateAPIKey))
	require.Zero(t, srv.Count(authtest.RouteListAPIKeys))
}

func TestLiveDryRun(t *testing.T) {
	srv := exampletest.Live(t, exampletest.BasicVars)
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, options{name: "dry"}), out.String())
	require.Contains(t, out.String(), "with *auth.Basic credentials")
	require.Contains(t, out.String(), "the new key calls GET /account/1/balance: 200 OK")
	require.Contains(t, out.String(), "dry run (no -secret-file): revoked the new key")
	require.NotRegexp(t, anySecret, out.String())

	// The account is as it was, but for one revoked key.
	require.Equal(t, 1, srv.Count(authtest.RouteCreateAPIKey))
	require.Equal(t, 1, srv.Count(authtest.RouteUpdateAPIKey))
	requireRevokeBody(t, srv.Requests(authtest.RouteUpdateAPIKey)[0].Body)
	require.NotEqual(t, "/settings/2/api-keys/"+authtest.APIKeyID, srv.Requests(authtest.RouteUpdateAPIKey)[0].Path)
	require.Equal(t, http.StatusOK, appStatus(t, srv, authtest.APIKey))
}

func TestLiveRotate(t *testing.T) {
	srv := exampletest.Live(t, map[string]string{
		"IB_CLIENT_ID": authtest.ClientID, "IB_CLIENT_SECRET": authtest.ClientSecret,
		"IB_API_KEY": authtest.APIKey, "IB_AUTH": "oauth",
	})
	path := filepath.Join(t.TempDir(), "new.key")
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, options{secretFile: path, revokeID: authtest.APIKeyID}), out.String())
	require.Contains(t, out.String(), "with *auth.Bearer credentials")
	require.Contains(t, out.String(), "revoked the old key "+authtest.APIKeyID)

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, appStatus(t, srv, strings.TrimSpace(string(b))))
	require.Equal(t, http.StatusUnauthorized, appStatus(t, srv, authtest.APIKey))
	require.True(t, strings.HasPrefix(srv.Requests(authtest.RouteCreateAPIKey)[0].Header.Get("Authorization"), "Bearer "))
}

func TestLiveRevokeNeedsSecretFile(t *testing.T) {
	srv := exampletest.Live(t, exampletest.BasicVars)
	err := run(context.Background(), &bytes.Buffer{}, options{revokeID: authtest.APIKeyID})
	require.ErrorContains(t, err, "-revoke needs -secret-file")
	require.Zero(t, srv.Count(authtest.RouteCreateAPIKey))
	require.Zero(t, srv.Count(authtest.RouteUpdateAPIKey))
}

// TestLiveNewKeyFailsCheck: a new key that Infobip does not know (401),
// or whose check tells nothing (5xx), is revoked again, the secret written
// right after Create is removed with it, and the old key is left as it is.
func TestLiveNewKeyFailsCheck(t *testing.T) {
	for _, fault := range []authtest.Fault{
		{Status: http.StatusUnauthorized, Body: `{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Invalid login details"}}}`, Times: 1},
		{Status: http.StatusServiceUnavailable, Body: `<html>down</html>`, Times: 1},
	} {
		t.Run(http.StatusText(fault.Status), func(t *testing.T) {
			srv, path, out, err := rotateLive(t, authtest.RouteBalance, fault)
			require.ErrorContains(t, err, fmt.Sprintf("the new key does not work: GET /account/1/balance answered %d %s", fault.Status, http.StatusText(fault.Status)))
			require.ErrorContains(t, err, "was revoked again; the old key is left as it is")
			require.Contains(t, out, "wrote the new key's secret to "+path)
			entries, err := os.ReadDir(filepath.Dir(path))
			require.NoError(t, err)
			require.Empty(t, entries)

			require.Equal(t, 1, srv.Count(authtest.RouteCreateAPIKey))
			puts := srv.Requests(authtest.RouteUpdateAPIKey)
			require.Len(t, puts, 1)
			require.NotEqual(t, "/settings/2/api-keys/"+authtest.APIKeyID, puts[0].Path)
			requireRevokeBody(t, puts[0].Body)
			require.Equal(t, http.StatusOK, appStatus(t, srv, authtest.APIKey))
		})
	}
}

// TestLiveNewKeyForbiddenPassesCheck: a 403 on the balance shows that
// Infobip knows the new key (its scopes exclude the balance): the
// rotation goes on and the old key is revoked.
func TestLiveNewKeyForbiddenPassesCheck(t *testing.T) {
	srv, path, out, err := rotateLive(t, authtest.RouteBalance, authtest.Fault{Status: http.StatusForbidden,
		Body: `{"requestError":{"serviceException":{"messageId":"FORBIDDEN","text":"Forbidden"}}}`, Times: 1})
	require.NoError(t, err, out)
	require.Contains(t, out, "the new key calls GET /account/1/balance: 403 Forbidden")
	require.Contains(t, out, "revoked the old key "+authtest.APIKeyID)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, appStatus(t, srv, strings.TrimSpace(string(b))))
	require.Equal(t, http.StatusUnauthorized, appStatus(t, srv, authtest.APIKey))
}

// liveWithKeys points the example at a fake with Basic credentials, and
// returns the fake and a key client that uses the same credentials.
func liveWithKeys(t *testing.T) (*authtest.Server, *apikeys.Client) {
	t.Helper()
	srv := exampletest.Live(t, exampletest.BasicVars)
	basic, err := auth.NewBasic(authtest.Username, authtest.Password)
	require.NoError(t, err)
	keys, err := apikeys.New(srv.URL, basic, srv.Client())
	require.NoError(t, err)
	return srv, keys
}

// TestLiveRotateSMSOnlyKey: a key that may only send SMS is rotated: the
// check's 403 on the balance is no failure, the new key sends SMS and
// still cannot read the balance, and the old key is revoked.
func TestLiveRotateSMSOnlyKey(t *testing.T) {
	srv, keys := liveWithKeys(t)
	ctx := context.Background()
	old, err := keys.Create(ctx, apikeys.CreateRequest{Name: "sms", ScopeGUIDs: []string{"sms:message:send"}})
	require.NoError(t, err)

	path := filepath.Join(t.TempDir(), "new.key")
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, options{secretFile: path, revokeID: old.ID}), out.String())
	require.Contains(t, out.String(), "the new key calls GET /account/1/balance: 403 Forbidden")
	require.Contains(t, out.String(), "revoked the old key "+old.ID)

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	secret := strings.TrimSpace(string(b))
	require.Equal(t, []string{"sms:message:send"}, keyBySecret(t, keys, secret).ScopeGUIDs)
	require.Equal(t, http.StatusOK, smsStatus(t, srv, secret))
	require.Equal(t, http.StatusForbidden, appStatus(t, srv, secret))
	oldSecret := old.Secret.Reveal()
	require.Equal(t, http.StatusUnauthorized, smsStatus(t, srv, oldSecret))
	require.NotContains(t, out.String(), secret)
}

// smsStatus sends an SMS with the App key key and returns the status.
func smsStatus(t *testing.T, srv *authtest.Server, key string) int {
	t.Helper()
	a, err := auth.NewAPIKey(key)
	require.NoError(t, err)
	c, err := auth.NewClient(srv.URL, a, srv.Client())
	require.NoError(t, err)
	resp, err := c.Post(srv.URL+"/sms/3/messages", "application/json",
		strings.NewReader(`{"messages":[{"destinations":[{"to":"41793026727"}],"content":{"text":"hi"}}]}`))
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// rotateLive rotates the fake account's key live with Basic credentials,
// -secret-file and -revoke, once fault is injected on route. It returns
// the server, the secret file's path, the output and the error of run.
func rotateLive(t *testing.T, route string, fault authtest.Fault) (srv *authtest.Server, path, out string, err error) {
	t.Helper()
	srv = exampletest.Live(t, exampletest.BasicVars)
	srv.Fail(route, fault)
	path = filepath.Join(t.TempDir(), "new.key")
	var buf bytes.Buffer
	err = run(context.Background(), &buf, options{secretFile: path, revokeID: authtest.APIKeyID})
	return srv, path, buf.String(), err
}

func TestLiveList(t *testing.T) {
	exampletest.Live(t, map[string]string{"IB_USERNAME": authtest.Username, "IB_PASSWORD": authtest.Password, "IB_AUTH": "ibsso"})
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, options{list: true}))
	require.Equal(t, authtest.APIKeyID+`  enabled  "default"`+"\n", out.String())
}

func TestLiveSecretFileInMissingDirectory(t *testing.T) {
	srv := exampletest.Live(t, exampletest.BasicVars)
	path := filepath.Join(t.TempDir(), "missing", "new.key")
	var out bytes.Buffer
	err := run(context.Background(), &out, options{secretFile: path, revokeID: authtest.APIKeyID})
	require.ErrorContains(t, err, "-secret-file "+path+": ")
	require.ErrorIs(t, err, os.ErrNotExist)
	require.Zero(t, srv.Count(authtest.RouteCreateAPIKey), "no key may exist whose secret nobody holds")
	require.Zero(t, srv.Count(authtest.RouteUpdateAPIKey))
	require.Empty(t, out.String())
}

func TestLiveKeepsNewKeyWhenOldRevokeFails(t *testing.T) {
	srv, path, _, err := rotateLive(t, authtest.RouteUpdateAPIKey, authtest.Fault{Status: http.StatusTooManyRequests,
		Body: `{"errorCode":"E429","description":"Too many requests sent."}`, Times: 1})
	require.ErrorContains(t, err, "revoking the old key "+authtest.APIKeyID)
	require.ErrorContains(t, err, "works and its secret is in "+path)

	// The new key was checked and saved: it stays, and so does the old one.
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, appStatus(t, srv, strings.TrimSpace(string(b))))
	require.Equal(t, http.StatusOK, appStatus(t, srv, authtest.APIKey))
	require.Equal(t, 1, srv.Count(authtest.RouteUpdateAPIKey), "only the failed revocation of the old key")
}

// requireRevokeBody asserts that an update body revokes the key: apikeys
// sends the whole key, with enabled false and without its secret.
func requireRevokeBody(t *testing.T, body []byte) {
	t.Helper()
	var sent map[string]any
	require.NoError(t, json.Unmarshal(body, &sent), string(body))
	require.Equal(t, false, sent["enabled"], string(body))
	require.NotContains(t, sent, "apiKeySecret")
}

// keyBySecret finds the key whose secret is secret.
func keyBySecret(t *testing.T, keys *apikeys.Client, secret string) apikeys.Key {
	t.Helper()
	for k, err := range keys.All(context.Background(), apikeys.Filter{}) {
		require.NoError(t, err)
		if k.Secret.Matches(secret) {
			return k
		}
	}
	t.Fatal("the new key is not listed")
	return apikeys.Key{}
}

func TestLiveRotateKeepsReach(t *testing.T) {
	srv, keys := liveWithKeys(t)
	ctx := context.Background()

	for _, tc := range []struct {
		name string
		old  apikeys.CreateRequest
	}{
		{"permissions", apikeys.CreateRequest{
			Name:        "narrow",
			AccountID:   "1B5C0DE0A11CE0000000000000000002",
			AllowedIPs:  []string{"127.0.0.1", "203.0.113.0/24"},
			ValidTo:     srv.Now().Add(30 * 24 * time.Hour),
			Permissions: []apikeys.Permission{apikeys.Permission2FAClient},
			ScopeGUIDs:  []string{"sms:message:send", "2fa:manage", "account-management:manage"},
		}},
		{"platform", apikeys.CreateRequest{
			Name:       "linked",
			AllowedIPs: []string{"127.0.0.0/8"},
			Platform:   []apikeys.Platform{{ApplicationID: "marketing", EntityID: "promo", Action: apikeys.ActionForce}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old, err := keys.Create(ctx, tc.old)
			require.NoError(t, err)
			srv.Advance(time.Hour) // the new key starts later than the old one
			path := filepath.Join(t.TempDir(), "new.key")
			var out bytes.Buffer
			require.NoError(t, run(ctx, &out, options{secretFile: path, revokeID: old.ID, now: srv.Now}), out.String())
			require.Contains(t, out.String(), "the new key gets the reach of the old key "+old.ID)

			b, err := os.ReadFile(path)
			require.NoError(t, err)
			fresh := keyBySecret(t, keys, strings.TrimSpace(string(b)))
			require.NotEqual(t, old.ID, fresh.ID)
			require.Equal(t, old.AccountID, fresh.AccountID)
			require.Equal(t, old.AllowedIPs, fresh.AllowedIPs)
			require.Equal(t, old.Permissions, fresh.Permissions)
			require.Equal(t, old.ScopeGUIDs, fresh.ScopeGUIDs)
			require.Len(t, fresh.Platform, len(old.Platform))
			for i := range old.Platform {
				p, q := old.Platform[i], fresh.Platform[i]
				p.Key, q.Key = "", ""
				require.Equal(t, p, q)
			}
			// The same length of validity, from the rotation on.
			require.True(t, fresh.ValidFrom.Equal(srv.Now()), fresh.ValidFrom)
			require.Equal(t, old.ValidTo.Sub(old.ValidFrom), fresh.ValidTo.Sub(fresh.ValidFrom))
			require.True(t, fresh.ValidTo.After(old.ValidTo))

			got, err := keys.Get(ctx, old.ID)
			require.NoError(t, err)
			require.False(t, got.Enabled, "the old key is revoked")
		})
	}
}

func TestOfflineRefusesRevoke(t *testing.T) {
	exampletest.Env(t, nil)
	path := filepath.Join(t.TempDir(), "new.key")
	var out bytes.Buffer
	err := run(context.Background(), &out, options{revokeID: "0000000000000000000000000000BEEF", secretFile: path})
	require.EqualError(t, err, "-revoke works only on a live account (set IB_BASE_URL); offline, the fake server's own key is rotated")
	require.Empty(t, out.String())
	_, err = os.Stat(path)
	require.ErrorIs(t, err, os.ErrNotExist, "nothing was created")
}

// TestLiveBaseURLWithTrailingSlash: exampletest.Live sets IB_BASE_URL with
// a trailing slash, and URLs are built on the canonical base URL.
func TestLiveBaseURLWithTrailingSlash(t *testing.T) {
	srv := exampletest.Live(t, exampletest.BasicVars)
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, options{name: "slash"}), out.String())
	require.Contains(t, out.String(), "rotating a key on "+srv.URL+" with")
	require.Contains(t, out.String(), "the new key calls GET /account/1/balance: 200 OK")
	for _, r := range srv.Requests(authtest.RouteBalance) {
		require.Equal(t, checkPath, r.Path)
	}
}
