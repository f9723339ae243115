package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/apikeys"
	"github.com/ibkit/auth/authtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// anySecret matches an App key as authtest makes them.
var anySecret = regexp.MustCompile(`[0-9a-f]{32}-[0-9a-f]{8}-`)

// env sets the IB_* variables for one test, clearing the others.
func env(t *testing.T, vars map[string]string) {
	for _, name := range []string{"IB_BASE_URL", "IB_API_KEY", "IB_USERNAME", "IB_PASSWORD",
		"IB_CLIENT_ID", "IB_CLIENT_SECRET", "IB_AUTH"} {
		t.Setenv(name, vars[name])
	}
}

// TestOffline runs the example's default, offline mode in-process.
func TestOffline(t *testing.T) {
	env(t, nil)
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
	env(t, nil)
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
	env(t, nil)
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, options{list: true}))
	require.Contains(t, out.String(), authtest.APIKeyID+`  enabled  "default"`)
	require.NotContains(t, out.String(), authtest.APIKey)
}

// liveServer is a fake Infobip that the live mode reaches through IB_*.
func liveServer(t *testing.T, vars map[string]string) *authtest.Server {
	t.Helper()
	srv := authtest.NewServer()
	t.Cleanup(srv.Close)
	vars["IB_BASE_URL"] = srv.URL
	env(t, vars)
	return srv
}

func appStatus(t *testing.T, srv *authtest.Server, key string) int {
	t.Helper()
	a, err := auth.NewAPIKey(key)
	require.NoError(t, err)
	tr, err := auth.NewTransport(srv.URL, a, srv.Client().Transport)
	require.NoError(t, err)
	resp, err := (&http.Client{Transport: tr}).Get(srv.URL + checkPath)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func TestLiveRefusesAppKey(t *testing.T) {
	srv := liveServer(t, map[string]string{"IB_API_KEY": authtest.APIKey})
	var out bytes.Buffer
	err := run(context.Background(), &out, options{})
	require.ErrorIs(t, err, apikeys.ErrAppKey)
	require.ErrorContains(t, err, "set IB_USERNAME and IB_PASSWORD")
	require.NotContains(t, err.Error(), authtest.APIKey)
	require.Zero(t, srv.Count(authtest.RouteCreateAPIKey))
	require.Zero(t, srv.Count(authtest.RouteListAPIKeys))
}

func TestLiveDryRun(t *testing.T) {
	srv := liveServer(t, map[string]string{"IB_USERNAME": authtest.Username, "IB_PASSWORD": authtest.Password})
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, options{name: "dry"}), out.String())
	require.Contains(t, out.String(), "with *auth.Basic credentials")
	require.Contains(t, out.String(), "the new key calls GET /account/1/balance: 200 OK")
	require.Contains(t, out.String(), "dry run (no -secret-file): revoked the new key")
	require.NotRegexp(t, anySecret, out.String())

	// The account is as it was, but for one revoked key.
	require.Equal(t, 1, srv.Count(authtest.RouteCreateAPIKey))
	require.Equal(t, 1, srv.Count(authtest.RouteUpdateAPIKey))
	require.JSONEq(t, `{"enabled":false}`, string(srv.Requests(authtest.RouteUpdateAPIKey)[0].Body))
	require.NotEqual(t, "/settings/2/api-keys/"+authtest.APIKeyID, srv.Requests(authtest.RouteUpdateAPIKey)[0].Path)
	require.Equal(t, http.StatusOK, appStatus(t, srv, authtest.APIKey))
}

func TestLiveRotate(t *testing.T) {
	srv := liveServer(t, map[string]string{
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
	srv := liveServer(t, map[string]string{"IB_USERNAME": authtest.Username, "IB_PASSWORD": authtest.Password})
	err := run(context.Background(), &bytes.Buffer{}, options{revokeID: authtest.APIKeyID})
	require.ErrorContains(t, err, "-revoke needs -secret-file")
	require.Zero(t, srv.Count(authtest.RouteCreateAPIKey))
	require.Zero(t, srv.Count(authtest.RouteUpdateAPIKey))
}

func TestLiveNewKeyFailsCheck(t *testing.T) {
	srv := liveServer(t, map[string]string{"IB_USERNAME": authtest.Username, "IB_PASSWORD": authtest.Password})
	srv.Fail(authtest.RouteBalance, authtest.Fault{Status: http.StatusForbidden,
		Body: `{"errorCode":"E403","description":"Insufficient permissions"}`, Times: 1})
	path := filepath.Join(t.TempDir(), "new.key")
	var out bytes.Buffer
	err := run(context.Background(), &out, options{secretFile: path, revokeID: authtest.APIKeyID})
	require.ErrorContains(t, err, "the new key does not work: GET /account/1/balance answered 403 Forbidden")
	require.ErrorContains(t, err, "was revoked again and the old key left as it is")

	// The old key was not touched, the new one is revoked, no secret saved.
	require.Equal(t, http.StatusOK, appStatus(t, srv, authtest.APIKey))
	puts := srv.Requests(authtest.RouteUpdateAPIKey)
	require.Len(t, puts, 1)
	require.NotEqual(t, "/settings/2/api-keys/"+authtest.APIKeyID, puts[0].Path)
	_, err = os.Stat(path)
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestLiveList(t *testing.T) {
	liveServer(t, map[string]string{"IB_USERNAME": authtest.Username, "IB_PASSWORD": authtest.Password, "IB_AUTH": "ibsso"})
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, options{list: true}))
	require.Equal(t, authtest.APIKeyID+`  enabled  "default"`+"\n", out.String())
}
