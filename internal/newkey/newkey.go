// Package newkey holds what a program that creates an Infobip API key does
// so that the key's secret is never lost and a key nobody can use is not
// left enabled: a [File] for the secret, created before the key; [Check],
// which tries the new key; and [Undo], which revokes it again when saving
// or checking it failed. `ibauth keys` and examples/rotate-key use it.
//
// Its errors begin with no package name: the caller adds the flag or the
// operation they belong to.
package newkey

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/apikeys"
)

// ErrExist is returned by [CreateFile] when the path exists: a secret file
// is always new, never one overwritten.
var ErrExist = errors.New("the file exists; give a new path")

// File is a new file that a new key's secret goes to, readable only by
// its owner. Create it before the key, so that a bad path fails before a
// key exists whose secret nobody could keep; then [File.Write] the secret,
// [File.Keep] the file once the key is saved and works, and defer
// [File.Discard], which removes it otherwise. A nil *File stands for no
// file: its methods do nothing.
type File struct {
	path string
	f    *os.File // open until written
	kept bool
}

// CreateFile creates path with mode 0600 from the start, so that it is
// never readable by others, not even empty. It fails with [ErrExist] if
// path exists, and otherwise with the cause alone (such as
// syscall.ENOENT): the caller names the path.
func CreateFile(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, ErrExist
		}
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			err = pe.Err
		}
		return nil, err
	}
	return &File{path: path, f: f}, nil
}

// Path returns the file's path, "" for a nil File.
func (sf *File) Path() string {
	if sf == nil {
		return ""
	}
	return sf.path
}

// Write stores s, followed by a newline, syncs the file and closes it. Its
// error names the path, never the secret.
func (sf *File) Write(s apikeys.Secret) error {
	if sf == nil {
		return nil
	}
	if sf.f == nil {
		return fmt.Errorf("write the new key's secret to %s: %w", sf.path, os.ErrClosed)
	}
	_, err := io.WriteString(sf.f, s.Reveal()+"\n")
	if err == nil {
		err = sf.f.Sync()
	}
	if cerr := sf.f.Close(); err == nil {
		err = cerr
	}
	sf.f = nil
	if err != nil {
		return fmt.Errorf("write the new key's secret to %s: %w", sf.path, err)
	}
	return nil
}

// Keep marks the file as holding the secret of a key that is saved and
// kept: [File.Discard] leaves it.
func (sf *File) Keep() {
	if sf != nil {
		sf.kept = true
	}
}

// Discard removes the file unless it was kept.
func (sf *File) Discard() {
	if sf == nil || sf.kept {
		return
	}
	if sf.f != nil {
		sf.f.Close()
		sf.f = nil
	}
	os.Remove(sf.path)
}

// CheckPath is the endpoint [Check] tries a key on.
const CheckPath = "/account/1/balance"

// Check calls GET [CheckPath] on baseURL, authenticated with key, through a
// client over base (nil: http.DefaultClient's transport), and fails unless
// the answer shows that Infobip knows the key. Only a 401 says that it
// does not, and a 5xx says nothing either way. Any other answer passes,
// 403 included: a key whose scopes exclude the balance, such as one that
// may only send SMS, is refused there with 403 once Infobip has
// recognised it.
//
// It returns the answer's status line ("403 Forbidden"), "" when there
// was none. A 401 or 5xx is returned as an [*auth.Error] with Op
// "GET /account/1/balance"; a call that got no answer fails with an error
// that begins with that operation.
func Check(ctx context.Context, baseURL string, key auth.Authenticator, base *http.Client) (status string, err error) {
	c, err := auth.NewClient(baseURL, key, base)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+CheckPath, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		// The url.Error repeats the method and the whole URL.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return "", fmt.Errorf("GET %s: %w", CheckPath, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode >= 500 {
		e := auth.ParseError(resp)
		e.Op = "GET " + CheckPath
		return resp.Status, e
	}
	// Drained, so that the connection can be reused.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.Status, nil
}

// undoTimeout bounds the revocation in [Undo].
const undoTimeout = 30 * time.Second

// Undo revokes k, a new key that could not be saved or does not work, and
// returns err with what became of k. The revocation goes on when ctx is
// cancelled (Ctrl-C), within 30 seconds: the key is of no use to anyone,
// and its secret may already be gone.
func Undo(ctx context.Context, c *apikeys.Client, k *apikeys.Key, err error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
	defer cancel()
	if rerr := c.Revoke(ctx, k.ID); rerr != nil {
		return fmt.Errorf("%w; revoking the new key %s failed too: %w", err, k.ID, rerr)
	}
	return fmt.Errorf("%w; the new key %s was revoked again", err, k.ID)
}
