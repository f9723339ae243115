package newkey_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/apikeys"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/internal/newkey"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newKey creates a key on srv, as a program that rotates keys does, with
// the fake's Basic credentials, and returns the client and the key.
func newKey(t *testing.T, srv *authtest.Server) (*apikeys.Client, *apikeys.Key) {
	t.Helper()
	basic, err := auth.NewBasic(authtest.Username, authtest.Password)
	require.NoError(t, err)
	c, err := apikeys.New(srv.URL, basic, srv.Client())
	require.NoError(t, err)
	k, err := c.Create(context.Background(), apikeys.CreateRequest{Name: "new"})
	require.NoError(t, err)
	return c, k
}

func startServer(t *testing.T) *authtest.Server {
	t.Helper()
	srv := authtest.NewServer()
	t.Cleanup(srv.Close)
	return srv
}

// requirePrivate checks that only the file's owner may read or write it.
func requirePrivate(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	if runtime.GOOS != "windows" {
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}
}

// TestFileHoldsTheSecret: the file is 0600 from its creation on, before
// the secret is in it, and holds the secret and a newline once kept.
func TestFileHoldsTheSecret(t *testing.T) {
	t.Parallel()
	_, k := newKey(t, startServer(t))
	path := filepath.Join(t.TempDir(), "new.key")

	sf, err := newkey.CreateFile(path)
	require.NoError(t, err)
	defer sf.Discard()
	require.Equal(t, path, sf.Path())
	requirePrivate(t, path)

	require.NoError(t, sf.Write(k.Secret))
	sf.Keep()
	sf.Discard()
	requirePrivate(t, path)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, k.Secret.Reveal()+"\n", string(b))
}

// TestFileIsNew: an existing path is refused with ErrExist and left as it
// was; a path in a missing directory fails with its cause, and neither
// error names the path, which the caller adds.
func TestFileIsNew(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "old.key")
	require.NoError(t, os.WriteFile(path, []byte("keep me\n"), 0o600))

	sf, err := newkey.CreateFile(path)
	require.ErrorIs(t, err, newkey.ErrExist)
	require.EqualError(t, err, "the file exists; give a new path")
	require.Nil(t, sf)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "keep me\n", string(b))

	missing := filepath.Join(dir, "missing", "new.key")
	_, err = newkey.CreateFile(missing)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.NotContains(t, err.Error(), dir)
	require.NoDirExists(t, filepath.Dir(missing))
}

// TestFileDiscard: a file not kept is removed, written or not; a nil File
// does nothing.
func TestFileDiscard(t *testing.T) {
	t.Parallel()
	_, k := newKey(t, startServer(t))
	dir := t.TempDir()

	empty, err := newkey.CreateFile(filepath.Join(dir, "empty.key"))
	require.NoError(t, err)
	empty.Discard()
	require.NoFileExists(t, empty.Path())

	written, err := newkey.CreateFile(filepath.Join(dir, "written.key"))
	require.NoError(t, err)
	require.NoError(t, written.Write(k.Secret))
	written.Discard()
	require.NoFileExists(t, written.Path())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries)

	var none *newkey.File
	require.NoError(t, none.Write(k.Secret))
	none.Keep()
	none.Discard()
	require.Empty(t, none.Path())
}

// TestCheck: any answer but 401 and 5xx shows that Infobip knows the key,
// 403 included; a 401 or 5xx fails with Infobip's error for the check.
func TestCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fault *authtest.Fault
		code  int
		fails bool
	}{
		{nil, http.StatusOK, false},
		{&authtest.Fault{Status: http.StatusForbidden, Body: `{"requestError":{"serviceException":{"messageId":"FORBIDDEN","text":"Forbidden"}}}`}, http.StatusForbidden, false},
		{&authtest.Fault{Status: http.StatusTooManyRequests, Body: `{"errorCode":"E429","description":"Too many requests sent."}`}, http.StatusTooManyRequests, false},
		{&authtest.Fault{Status: http.StatusUnauthorized, Body: `{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Invalid login details"}}}`}, http.StatusUnauthorized, true},
		{&authtest.Fault{Status: http.StatusInternalServerError, Body: `{"errorCode":"E500","description":"Something went wrong."}`}, http.StatusInternalServerError, true},
		{&authtest.Fault{Status: http.StatusServiceUnavailable, Body: `<html>down</html>`}, http.StatusServiceUnavailable, true},
	} {
		t.Run(http.StatusText(tc.code), func(t *testing.T) {
			t.Parallel()
			srv := startServer(t)
			_, k := newKey(t, srv)
			if tc.fault != nil {
				f := *tc.fault
				f.Times = 1
				srv.Fail(authtest.RouteBalance, f)
			}
			key, err := k.Secret.Authenticator()
			require.NoError(t, err)
			status, err := newkey.Check(context.Background(), srv.URL, key, srv.Client())
			require.Equal(t, fmt.Sprintf("%d %s", tc.code, http.StatusText(tc.code)), status)
			require.Equal(t, 1, srv.Count(authtest.RouteBalance))
			if !tc.fails {
				require.NoError(t, err)
				return
			}
			requireRefused(t, err, tc.code, k.Secret.Reveal())
		})
	}
}

// requireRefused checks that err is Infobip's answer code to the check,
// without the secret.
func requireRefused(t *testing.T, err error, code int, secret string) {
	t.Helper()
	ae, ok := errors.AsType[*auth.Error](err)
	require.True(t, ok, "%v", err)
	require.Equal(t, code, ae.StatusCode)
	require.Equal(t, "GET /account/1/balance", ae.Op)
	require.True(t, strings.HasPrefix(err.Error(), fmt.Sprintf("auth: GET /account/1/balance: %d", code)), err.Error())
	require.NotContains(t, err.Error(), secret)
}

// TestCheckRevokedKey: a key Infobip no longer knows fails the check.
func TestCheckRevokedKey(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, k := newKey(t, srv)
	require.NoError(t, c.Revoke(context.Background(), k.ID))
	key, err := k.Secret.Authenticator()
	require.NoError(t, err)
	status, err := newkey.Check(context.Background(), srv.URL, key, srv.Client())
	require.Equal(t, "401 Unauthorized", status)
	requireRefused(t, err, http.StatusUnauthorized, k.Secret.Reveal())
}

// TestCheckNoAnswer: a check that gets no answer returns no status and an
// error that names the operation once, not the URL again.
func TestCheckNoAnswer(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	_, k := newKey(t, srv)
	key, err := k.Secret.Authenticator()
	require.NoError(t, err)
	srv.Close()
	status, err := newkey.Check(context.Background(), srv.URL, key, srv.Client())
	require.Empty(t, status)
	require.Error(t, err)
	require.True(t, strings.HasPrefix(err.Error(), "GET /account/1/balance: "), err.Error())
	require.NotContains(t, err.Error(), srv.URL)
	_, isAPI := errors.AsType[*auth.Error](err)
	require.False(t, isAPI)
}

// TestUndo: the new key is revoked, even when the caller's context was
// cancelled (Ctrl-C), and the error says so after the cause.
func TestUndo(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, k := newKey(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cause := errors.New("write the new key's secret to new.key: disk full")

	err := newkey.Undo(ctx, c, k, cause)
	require.ErrorIs(t, err, cause)
	require.EqualError(t, err, "write the new key's secret to new.key: disk full; the new key "+k.ID+" was revoked again")
	got, gerr := c.Get(context.Background(), k.ID)
	require.NoError(t, gerr)
	require.False(t, got.Enabled)
	require.Equal(t, 1, srv.Count(authtest.RouteUpdateAPIKey))
}

// TestUndoFails: when the revocation fails too, both errors are kept and
// the key is named, never its secret.
func TestUndoFails(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, k := newKey(t, srv)
	srv.Fail(authtest.RouteUpdateAPIKey, authtest.Fault{Status: http.StatusTooManyRequests,
		Body: `{"errorCode":"E429","description":"Too many requests sent."}`, Times: 1})
	cause := errors.New("check the new key: no")

	err := newkey.Undo(context.Background(), c, k, cause)
	require.ErrorIs(t, err, cause)
	ae, ok := errors.AsType[*auth.Error](err)
	require.True(t, ok, "%v", err)
	require.Equal(t, http.StatusTooManyRequests, ae.StatusCode)
	require.True(t, strings.HasPrefix(err.Error(), "check the new key: no; revoking the new key "+k.ID+" failed too: "), err.Error())
	require.NotContains(t, err.Error(), k.Secret.Reveal())
	got, gerr := c.Get(context.Background(), k.ID)
	require.NoError(t, gerr)
	require.True(t, got.Enabled)
}
