package filestore_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/filestore"
)

// entry returns the path of the directory's only entry.
func entry(t *testing.T, dir string) string {
	t.Helper()
	entries, err := filepath.Glob(filepath.Join(dir, "*.tok"))
	require.NoError(t, err)
	require.Len(t, entries, 1, "entries: %v", entries)
	return entries[0]
}

// otherEntry returns the path of the directory's entry other than path,
// of two.
func otherEntry(t *testing.T, dir, path string) string {
	t.Helper()
	entries, err := filepath.Glob(filepath.Join(dir, "*.tok"))
	require.NoError(t, err)
	require.Len(t, entries, 2, "entries: %v", entries)
	if entries[0] == path {
		return entries[1]
	}
	return entries[0]
}

// published makes one process fetch and publish a token; it returns its
// header, the key the auth package used, and the entry's path.
func published(t *testing.T, e *env, opts *filestore.Options) (header, key, path string) {
	t.Helper()
	rec := record(e.store(t, opts))
	h, err := e.oauth(t, rec).Authorization(context.Background())
	require.NoError(t, err)
	return h, rec.only(t), entry(t, e.dir)
}

// ignoredAndReplaced checks that the entry at path, tampered with, is
// absent to Load, that the next process fetches for itself, and that the
// entry then holds that token in a regular file of mode 0600.
func ignoredAndReplaced(t *testing.T, e *env, opts *filestore.Options, key, path string) {
	t.Helper()
	st := e.store(t, opts)
	got, err := st.Load(context.Background(), key)
	require.NoError(t, err, "an entry that cannot be trusted is not a store failure")
	require.Nil(t, got, "and is not used")

	before := e.srv.Count(authtest.RouteToken)
	h, err := e.oauth(t, st).Authorization(context.Background())
	require.NoError(t, err)
	require.Equal(t, before+1, e.srv.Count(authtest.RouteToken), "the next process fetches")
	got, err = st.Load(context.Background(), key)
	require.NoError(t, err)
	require.NotNil(t, got, "and replaces the entry")
	require.Equal(t, h, "Bearer "+got.Value)
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	require.True(t, fi.Mode().IsRegular())
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	h2, err := e.oauth(t, e.store(t, opts)).Authorization(context.Background())
	require.NoError(t, err)
	require.Equal(t, h, h2, "shared again")
	require.Equal(t, before+1, e.srv.Count(authtest.RouteToken))
}

func TestDamagedEntriesAreIgnoredAndReplaced(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(b []byte) []byte
	}{
		{"empty", func([]byte) []byte { return nil }},
		{"truncated in the header", func(b []byte) []byte { return b[:7] }},
		{"truncated in the seal", func(b []byte) []byte { return b[:len(b)/2] }},
		{"one byte short", func(b []byte) []byte { return b[:len(b)-1] }},
		{"a bit flipped in the seal", func(b []byte) []byte { b[len(b)-20] ^= 1; return b }},
		{"a bit flipped in the key id", func(b []byte) []byte { b[8] ^= 1; return b }},
		{"sealed flag cleared", func(b []byte) []byte { b[5] = 'c'; return b }},
		{"garbage", func([]byte) []byte { return bytes.Repeat([]byte("\x00\xff{\"v\":"), 50) }},
		{"unknown version", func(b []byte) []byte { b[4] = 2; return b }},
		{"too large", func(b []byte) []byte { return append(b, make([]byte, 70<<10)...) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			_, key, path := published(t, e, nil)
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(path, tc.damage(b), 0o600))
			ignoredAndReplaced(t, e, nil, key, path)
		})
	}
}

// In clear, too, a record answers only for its own entry, and damage is
// never taken for a token.
func TestDamagedClearEntriesAreIgnoredAndReplaced(t *testing.T) {
	clear := &filestore.Options{}
	for _, tc := range []struct {
		name   string
		damage func(b []byte) []byte
	}{
		{"truncated JSON", func(b []byte) []byte { return b[:len(b)-1] }},
		{"not JSON", func(b []byte) []byte { return append(b[:12:12], "token"...) }},
		{"another entry's name", func(b []byte) []byte { return bytes.Replace(b, []byte(`"n":"bearer-`), []byte(`"n":"bearer-0`), 1) }},
		{"no deadline", func(b []byte) []byte { return bytes.Replace(b, []byte(`"d":`), []byte(`"x":`), 1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			_, key, path := published(t, e, clear)
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			d := tc.damage(b)
			require.NotEqual(t, b, d)
			require.NoError(t, os.WriteFile(path, d, 0o600))
			ignoredAndReplaced(t, e, clear, key, path)
		})
	}
}

// A record copied over another identity's entry is never taken for
// that identity's token: with a Key the seal is bound to the name, in
// clear the record names its entry.
func TestEntryCopiedToAnotherIdentityIsIgnored(t *testing.T) {
	for _, opts := range []*filestore.Options{nil, {}} {
		name := "key"
		if opts != nil {
			name = "clear"
		}
		t.Run(name, func(t *testing.T) {
			e := setup(t)
			e.srv.AddClient("other-client", "other-secret-1")
			_, key, path := published(t, e, opts)
			other, err := auth.NewOAuth(auth.OAuthConfig{BaseURL: e.srv.URL, ClientID: "other-client", ClientSecret: "other-secret-1", Now: e.srv.Now, Store: e.store(t, opts)})
			require.NoError(t, err)
			otherHeader, err := other.Authorization(context.Background())
			require.NoError(t, err)
			b, err := os.ReadFile(otherEntry(t, e.dir, path))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(path, b, 0o600))

			st := e.store(t, opts)
			got, err := st.Load(context.Background(), key)
			require.NoError(t, err)
			require.Nil(t, got)
			h, err := e.oauth(t, st).Authorization(context.Background())
			require.NoError(t, err)
			require.NotEqual(t, otherHeader, h, "another identity's token is never used")
		})
	}
}

// Records of another Key, or in clear where a Key is set (and the
// reverse), are foreign: ignored and replaced.
func TestForeignEntriesAreIgnoredAndReplaced(t *testing.T) {
	otherKey := &filestore.Options{Key: bytes.Repeat([]byte{7}, 32)}
	clear := &filestore.Options{}
	for _, tc := range []struct {
		name        string
		writer, own *filestore.Options
	}{
		{"another Key", otherKey, nil},
		{"clear where a Key is set", clear, nil},
		{"sealed where no Key is set", nil, clear},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			_, key, foreign := published(t, e, tc.writer)
			st := e.store(t, tc.own)
			h, err := e.oauth(t, st).Authorization(context.Background())
			require.NoError(t, err)
			require.Equal(t, 2, e.srv.Count(authtest.RouteToken), "another Key, another entry")
			own := otherEntry(t, e.dir, foreign)
			// The foreign record, put under this Key's name.
			b, err := os.ReadFile(foreign)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(own, b, 0o600))
			got, err := st.Load(context.Background(), key)
			require.NoError(t, err)
			require.Nil(t, got)
			h2, err := e.oauth(t, e.store(t, tc.own)).Authorization(context.Background())
			require.NoError(t, err)
			require.NotEqual(t, h, h2)
			require.Equal(t, 3, e.srv.Count(authtest.RouteToken))
			got, err = st.Load(context.Background(), key)
			require.NoError(t, err)
			require.Equal(t, h2, "Bearer "+got.Value, "replaced")
		})
	}
}

// A symbolic link planted under an entry's name is never followed, to a
// file outside the directory or to another entry inside it, and the next
// write replaces the link, not its target.
func TestPlantedSymlinksAreNeverFollowed(t *testing.T) {
	for _, inside := range []bool{false, true} {
		name := "outside"
		if inside {
			name = "inside"
		}
		t.Run(name, func(t *testing.T) {
			e := setup(t)
			_, key, path := published(t, e, nil)
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			target := filepath.Join(t.TempDir(), "planted")
			if inside {
				target = filepath.Join(e.dir, "planted")
			}
			// The target holds the entry's own valid record: only
			// following the link could make it look right.
			require.NoError(t, os.WriteFile(target, b, 0o600))
			require.NoError(t, os.Remove(path))
			require.NoError(t, os.Symlink(target, path))

			ignoredAndReplaced(t, e, nil, key, path)
			after, err := os.ReadFile(target)
			require.NoError(t, err)
			require.Equal(t, b, after, "the link's target is untouched")
		})
	}
}

// A temporary file left by a writer that died (or a link planted under
// its name) does not stop the next write.
func TestLeftoverTemporaryFileIsReplaced(t *testing.T) {
	e := setup(t)
	_, key, path := published(t, e, nil)
	tmp := strings.TrimSuffix(path, ".tok") + ".tmp"
	outside := filepath.Join(t.TempDir(), "outside")
	require.NoError(t, os.WriteFile(outside, []byte("keep"), 0o600))
	require.NoError(t, os.Symlink(outside, tmp))
	e.srv.Advance(3 * time.Hour)
	st := e.store(t, nil)
	_, err := e.oauth(t, st).Authorization(context.Background())
	require.NoError(t, err)
	got, err := st.Load(context.Background(), key)
	require.NoError(t, err)
	require.NotNil(t, got)
	b, err := os.ReadFile(outside)
	require.NoError(t, err)
	require.Equal(t, "keep", string(b))
	_, err = os.Lstat(tmp)
	require.ErrorIs(t, err, os.ErrNotExist)
}

// With a Key, neither the token nor any other secret appears in the
// directory, in any common encoding; without one the token is there in
// clear (as documented), and still no other secret. File names never hold
// a secret.
func TestTokensAreEncryptedAtRestWithAKey(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  *filestore.Options
		clear bool
	}{{"key", nil, false}, {"no key", &filestore.Options{}, true}} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			h, _, _ := published(t, e, tc.opts)
			token := strings.TrimPrefix(h, "Bearer ")
			var names, contents strings.Builder
			files, err := os.ReadDir(e.dir)
			require.NoError(t, err)
			for _, f := range files {
				names.WriteString(f.Name() + "\n")
				b, err := os.ReadFile(filepath.Join(e.dir, f.Name()))
				require.NoError(t, err)
				contents.Write(b)
			}
			secrets := []string{token, authtest.ClientSecret, string(testKey)}
			for _, s := range secrets {
				for _, enc := range []string{s, hex.EncodeToString([]byte(s)), base64.StdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s))} {
					require.NotContains(t, names.String(), enc)
					if s != token || !tc.clear {
						require.NotContains(t, contents.String(), enc)
					}
				}
			}
			for _, s := range []string{authtest.ClientID, strings.TrimPrefix(e.srv.URL, "http://")} {
				require.NotContains(t, names.String(), s, "identities are hashed")
			}
			require.Equal(t, tc.clear, strings.Contains(contents.String(), token))
		})
	}
}

// An entry that is not a regular file is ignored and replaced, a directory
// left under its name included.
func TestDirectoryUnderTheEntrysNameIsReplaced(t *testing.T) {
	e := setup(t)
	_, key, path := published(t, e, nil)
	require.NoError(t, os.Remove(path))
	require.NoError(t, os.MkdirAll(filepath.Join(path, "sub"), 0o700))
	ignoredAndReplaced(t, e, nil, key, path)
}
