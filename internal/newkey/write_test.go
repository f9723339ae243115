package newkey

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/apikeys"
	"github.com/ibkit/auth/authtest"
)

// TestWriteFails: a write that fails, here on a file the system closed,
// returns an error that names the path and never the secret.
func TestWriteFails(t *testing.T) {
	t.Parallel()
	srv := authtest.NewServer()
	defer srv.Close()
	basic, err := auth.NewBasic(authtest.Username, authtest.Password)
	require.NoError(t, err)
	c, err := apikeys.New(srv.URL, basic, srv.Client())
	require.NoError(t, err)
	k, err := c.Create(context.Background(), apikeys.CreateRequest{Name: "new"})
	require.NoError(t, err)

	path := filepath.Join(t.TempDir(), "new.key")
	sf, err := CreateFile(path)
	require.NoError(t, err)
	defer sf.Discard()
	require.NoError(t, sf.f.Close())

	err = sf.Write(k.Secret)
	require.ErrorIs(t, err, os.ErrClosed)
	require.ErrorContains(t, err, "write the new key's secret to "+path+": ")
	require.NotContains(t, err.Error(), k.Secret.Reveal())

	err = sf.Write(k.Secret)
	require.ErrorIs(t, err, os.ErrClosed, "written once at most")
}
