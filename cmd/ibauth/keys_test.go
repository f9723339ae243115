package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth/authtest"
)

// readSecret reads a secret file ibauth wrote, checks that only its owner
// may read it, and returns the secret.
func readSecret(t *testing.T, path string) string {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	if runtime.GOOS != "windows" {
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(string(b), "\n"))
	return strings.TrimSuffix(string(b), "\n")
}

// TestKeysList: a table on a terminal, tab-separated lines when piped,
// JSON with --json; never a secret.
func TestKeysList(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := call{srv: srv, env: basicEnv(srv)}

	r := c.run(t, "keys", "list")
	require.Equal(t, 0, r.code, r)
	require.Equal(t, authtest.APIKeyID+"\tdefault\tenabled\t\t\t\n", r.stdout)

	r = call{srv: srv, env: with(oauthEnv(srv), "IBAUTH_FORCE_TTY", "1")}.run(t, "keys", "list")
	require.Equal(t, 0, r.code, r)
	require.Regexp(t, `^ID +NAME +STATE +VALID FROM \(UTC\) +VALID TO \(UTC\) +ALLOWED IPS\n`+authtest.APIKeyID+` +default +enabled +- +- +any\n$`, r.stdout)

	r = call{srv: srv, env: ibssoEnv(srv)}.run(t, "keys", "list", "--json", "--enabled")
	require.Equal(t, 0, r.code, r)
	var keys []map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &keys))
	require.Len(t, keys, 1)
	require.Equal(t, authtest.APIKeyID, keys[0]["id"])
	require.NotContains(t, keys[0], "apiKeySecret")
	require.Equal(t, 1, srv.ActiveSessions(), "the cache keeps the session")

	r = c.run(t, "keys", "list", "--revoked")
	require.Equal(t, 0, r.code, r)
	require.Empty(t, r.stdout)
}

// TestKeysRefuseAppKey: an App key cannot manage keys: exit 3 with what
// to set instead, and no request.
func TestKeysRefuseAppKey(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	r := call{srv: srv, env: appEnv(srv)}.run(t, "keys", "list")
	require.Equal(t, 3, r.code, r)
	require.Contains(t, r.stderr, "an App API key cannot manage API keys")
	require.Contains(t, r.stderr, "set IB_USERNAME and IB_PASSWORD")
	require.Zero(t, srv.Count(authtest.RouteListAPIKeys))
}

// TestKeysCreate: the secret goes to a new 0600 file (stdout gets the
// id) or, when asked, to stdout; without either, nothing is created.
func TestKeysCreate(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	dir := t.TempDir()
	c := call{srv: srv, env: basicEnv(srv)}

	r := c.run(t, "keys", "create", "ci")
	require.Equal(t, 2, r.code, r)
	require.Contains(t, r.stderr, "the new key's secret would be lost")
	require.Zero(t, srv.Count(authtest.RouteCreateAPIKey))

	file := filepath.Join(dir, "ci.key")
	r = c.run(t, "keys", "create", "--secret-file", file, "--allowed-ip", "127.0.0.1", "--valid-to", "2026-06-30", "ci")
	require.Equal(t, 0, r.code, r)
	secret := readSecret(t, file)
	c.secrets = append(c.secrets, secret)
	requireNoSecret(t, "stdout", r.stdout, c.secrets)
	requireNoSecret(t, "stderr", r.stderr, c.secrets)
	id := strings.TrimSpace(r.stdout)
	require.Regexp(t, `^[0-9A-F]{32}$`, id)
	require.Contains(t, r.stderr, "created API key "+id+" (ci), valid 2026-01-01T00:00:00Z to 2026-06-30T00:00:00Z; its secret is in "+file+" (mode 0600)")
	require.Equal(t, 200, balance(t, srv, "App "+secret))
	var sent map[string]any
	require.NoError(t, json.Unmarshal(srv.Requests(authtest.RouteCreateAPIKey)[0].Body, &sent))
	require.Equal(t, []any{"127.0.0.1"}, sent["allowedIPs"])

	// The file must be new; nothing is created otherwise.
	r = c.run(t, "keys", "create", "--secret-file", file, "again")
	require.Equal(t, 2, r.code, r)
	require.Contains(t, r.stderr, "the file exists")
	require.Equal(t, 1, srv.Count(authtest.RouteCreateAPIKey))

	// --show-secret prints it; with --json it joins the key's JSON.
	r = call{srv: srv, env: basicEnv(srv), printsSecret: true}.run(t, "keys", "create", "--show-secret", "shown")
	require.Equal(t, 0, r.code, r)
	require.Regexp(t, `^[0-9a-f]{32}-[0-9a-f-]{36}\n$`, r.stdout)
	require.Equal(t, 200, balance(t, srv, "App "+strings.TrimSpace(r.stdout)))

	r = c.run(t, "keys", "create", "--json", "--secret-file", filepath.Join(dir, "j.key"), "json")
	require.Equal(t, 0, r.code, r)
	var k map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &k))
	require.Equal(t, "json", k["name"])
	require.NotContains(t, k, "apiKeySecret")

	r = call{srv: srv, env: basicEnv(srv), printsSecret: true}.run(t, "keys", "create", "--json", "--show-secret", "json2")
	require.Equal(t, 0, r.code, r)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &k))
	require.Equal(t, 200, balance(t, srv, "App "+k["apiKeySecret"].(string)))

	// Infobip's refusal: exit 1 and its violations; no file left behind.
	bad := filepath.Join(dir, "bad.key")
	r = c.run(t, "keys", "create", "--secret-file", bad, "--allowed-ip", "not-an-ip", "bad")
	require.Equal(t, 1, r.code, r)
	require.Contains(t, r.stderr, "allowed")
	require.NoFileExists(t, bad)
}

// TestKeysRevoke: revoked keys stop working; an unknown id exits 1 after
// the others are revoked.
func TestKeysRevoke(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	r := call{srv: srv, env: basicEnv(srv)}.run(t, "keys", "revoke", "NOPE", authtest.APIKeyID)
	require.Equal(t, 1, r.code, r)
	require.Contains(t, r.stderr, "ibauth: auth: revoke API key NOPE: 404 E404")
	require.Contains(t, r.stderr, "ibauth: revoked API key "+authtest.APIKeyID)
	require.Equal(t, 401, balance(t, srv, "App "+authtest.APIKey))

	r = call{srv: srv, env: basicEnv(srv)}.run(t, "keys", "revoke")
	require.Equal(t, 2, r.code, r)
}

// TestKeysRotate: the new key gets the old one's reach, its secret is
// saved, it is checked, and only then is the old key revoked.
func TestKeysRotate(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	dir := t.TempDir()
	c := call{srv: srv, env: oauthEnv(srv)}

	oldFile := filepath.Join(dir, "old.key")
	r := c.run(t, "keys", "create", "--secret-file", oldFile, "--allowed-ip", "127.0.0.0/8", "--scope", "sms:message:send", "svc")
	require.Equal(t, 0, r.code, r)
	oldID, oldSecret := strings.TrimSpace(r.stdout), readSecret(t, oldFile)

	newFile := filepath.Join(dir, "new.key")
	c.secrets = []string{oldSecret}
	r = c.run(t, "keys", "rotate", "--secret-file", newFile, oldID)
	require.Equal(t, 0, r.code, r)
	newID, newSecret := strings.TrimSpace(r.stdout), readSecret(t, newFile)
	require.NotEqual(t, oldID, newID)
	requireNoSecret(t, "output", r.stdout+r.stderr, []string{newSecret})
	require.Contains(t, r.stderr, "revoked the old key "+oldID)
	// The key may send SMS only: the balance answers 403, as Infobip does,
	// which the check takes for a key Infobip knows.
	require.Equal(t, 403, balance(t, srv, "App "+newSecret))
	require.Equal(t, 401, balance(t, srv, "App "+oldSecret))

	var created map[string]any
	require.NoError(t, json.Unmarshal(srv.Requests(authtest.RouteCreateAPIKey)[1].Body, &created))
	require.Equal(t, []any{"127.0.0.0/8"}, created["allowedIPs"])
	require.Equal(t, []any{"sms:message:send"}, created["scopeGuids"])
	require.True(t, strings.HasPrefix(created["name"].(string), "svc rotated "), created["name"])

	// --keep-old leaves the old key enabled.
	r = call{srv: srv, env: oauthEnv(srv), printsSecret: true}.run(t, "keys", "rotate", "--show-secret", "--keep-old", "--name", "next", newID)
	require.Equal(t, 0, r.code, r)
	require.Equal(t, 403, balance(t, srv, "App "+strings.TrimSpace(r.stdout)))
	require.Equal(t, 403, balance(t, srv, "App "+newSecret), "enabled, and still scoped to SMS")
	require.Contains(t, r.stderr, "stays enabled (--keep-old)")
}

// TestKeysRotateUndo: when the new key does not work, it is revoked
// again, its file removed, and the old key left alone; exit 1.
func TestKeysRotateUndo(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	file := filepath.Join(t.TempDir(), "new.key")
	srv.Fail(authtest.RouteBalance, authtest.Fault{Status: 401, Body: `{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Invalid login details"}}}`, Times: 1})
	r := call{srv: srv, env: basicEnv(srv)}.run(t, "keys", "rotate", "--secret-file", file, authtest.APIKeyID)
	require.Equal(t, 1, r.code, r)
	require.Empty(t, r.stdout)
	require.Contains(t, r.stderr, "check the new key: auth: GET /account/1/balance: 401 E401")
	require.Contains(t, r.stderr, "was revoked again")
	require.NoFileExists(t, file)
	require.Equal(t, 200, balance(t, srv, "App "+authtest.APIKey))
	require.Equal(t, 1, srv.Count(authtest.RouteCreateAPIKey))
	require.Equal(t, 1, srv.Count(authtest.RouteUpdateAPIKey), "only the new key was revoked")

	r = call{srv: srv, env: basicEnv(srv)}.run(t, "keys", "rotate", "--secret-file", file, "NOPE")
	require.Equal(t, 1, r.code, r)
	require.Contains(t, r.stderr, "get API key NOPE: 404")
	require.NoFileExists(t, file)
}
