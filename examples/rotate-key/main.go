// Rotate-key replaces an Infobip API key: it creates a new key, checks that
// the new key works, and only then revokes the old one.
//
// With no IB_* variables set it runs offline, against the fake Infobip
// server of package authtest, and rotates the fake's own key:
//
//	go run ./examples/rotate-key
//
// With IB_BASE_URL set it works on your account. Keys can be managed only
// with Basic, IBSSO or OAuth credentials (see auth.FromEnv), never with an
// API key, so IB_API_KEY alone is refused:
//
//	export IB_BASE_URL=https://xxxxx.api.infobip.com IB_USERNAME=... IB_PASSWORD=...
//	go run ./examples/rotate-key -list                     # the keys, with their ids
//	go run ./examples/rotate-key                           # dry run: create, check, revoke the new key
//	go run ./examples/rotate-key -secret-file new.key -revoke OLD_ID
//
// The new key's secret is never printed. It is written to -secret-file
// (created with mode 0600; it must not exist yet). Without -secret-file the
// secret would be lost, so the new key is revoked again at the end, and
// -revoke is refused.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"time"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/apikeys"
	"github.com/ibkit/auth/authtest"
)

// checkPath is the endpoint a new key is tried on.
const checkPath = "/account/1/balance"

type options struct {
	name       string // name of the new key; "" for a dated default
	revokeID   string // id of the key to revoke once the new one works
	secretFile string // where to write the new key's secret
	list       bool   // only list the keys
}

func main() {
	var o options
	flag.StringVar(&o.name, "name", "", "name of the new key (default: rotated-<UTC time>)")
	flag.StringVar(&o.revokeID, "revoke", "", "id of the key to revoke once the new key works (needs -secret-file)")
	flag.StringVar(&o.secretFile, "secret-file", "", "file to write the new key's secret to, mode 0600; must not exist")
	flag.BoolVar(&o.list, "list", false, "list the account's keys and exit")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "rotate-key:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, o options) error {
	if o.secretFile != "" {
		if _, err := os.Stat(o.secretFile); !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("-secret-file %s: the file exists or cannot be checked; give a new path", o.secretFile)
		}
	}
	if os.Getenv("IB_BASE_URL") == "" {
		return offline(ctx, w, o)
	}
	if o.revokeID != "" && o.secretFile == "" {
		return errors.New("-revoke needs -secret-file: without it the new key's secret would be lost")
	}
	return live(ctx, w, o)
}

// live works on the account configured by the IB_* variables.
func live(ctx context.Context, w io.Writer, o options) error {
	baseURL, a, err := auth.FromEnv()
	if err != nil {
		return err
	}
	if _, ok := a.(*auth.APIKey); ok {
		return fmt.Errorf("%w: set IB_USERNAME and IB_PASSWORD, or IB_CLIENT_ID and IB_CLIENT_SECRET (and IB_AUTH if IB_API_KEY is set too)", apikeys.ErrAppKey)
	}
	if s, ok := a.(*auth.IBSSO); ok {
		defer s.Close(context.WithoutCancel(ctx))
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	keys, err := apikeys.New(baseURL, a, hc)
	if err != nil {
		return err
	}
	if o.list {
		return list(ctx, w, keys)
	}
	if o.name == "" {
		o.name = "rotated-" + time.Now().UTC().Format("20060102T150405Z")
	}
	fmt.Fprintf(w, "rotating a key on %s with %T credentials\n", baseURL, a)
	k, err := rotate(ctx, w, keys, baseURL, hc.Transport, o)
	if err != nil {
		return err
	}
	if o.secretFile == "" {
		if err := keys.Revoke(ctx, k.ID); err != nil {
			return fmt.Errorf("dry run: revoking the new key %s: %w", k.ID, err)
		}
		fmt.Fprintf(w, "dry run (no -secret-file): revoked the new key %s again\n", k.ID)
	}
	return nil
}

// offline rotates the key of an in-process fake Infobip server.
func offline(ctx context.Context, w io.Writer, o options) error {
	srv := authtest.NewServer()
	defer srv.Close()
	fmt.Fprintln(w, "No IB_BASE_URL set: using the built-in fake Infobip server at", srv.URL)

	// Keys are managed with Basic credentials; the fake's App key is the
	// key in use that we replace.
	basic, err := auth.NewBasic(authtest.Username, authtest.Password)
	if err != nil {
		return err
	}
	keys, err := apikeys.New(srv.URL, basic, srv.Client())
	if err != nil {
		return err
	}
	if o.list {
		return list(ctx, w, keys)
	}
	old, err := auth.NewAPIKey(authtest.APIKey)
	if err != nil {
		return err
	}
	if err := check(ctx, w, "the old key", srv.URL, old, srv.Client().Transport); err != nil {
		return err
	}

	// Find the old key's id: compare secrets while listing, which keeps the
	// secret out of URLs.
	for k, err := range keys.All(ctx, apikeys.Filter{}) {
		if err != nil {
			return err
		}
		if k.Secret.Matches(authtest.APIKey) {
			fmt.Fprintf(w, "the old key is %s (%q)\n", k.ID, k.Name)
			o.revokeID = k.ID
		}
	}
	if o.revokeID == "" {
		return errors.New("the old key is not listed")
	}
	if o.name == "" {
		o.name = "rotated-" + srv.Now().Format("20060102T150405Z")
	}
	k, err := rotate(ctx, w, keys, srv.URL, srv.Client().Transport, o)
	if err != nil {
		return err
	}
	fresh, err := k.Secret.Authenticator()
	if err != nil {
		return err
	}
	status, err := call(ctx, srv.URL, old, srv.Client().Transport)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "the old key now calls GET %s: %s\n", checkPath, status)
	return check(ctx, w, "the new key", srv.URL, fresh, srv.Client().Transport)
}

// rotate creates the new key, checks it, stores its secret if asked, and
// revokes o.revokeID if set.
func rotate(ctx context.Context, w io.Writer, keys *apikeys.Client, baseURL string, base http.RoundTripper, o options) (*apikeys.APIKey, error) {
	k, err := keys.Create(ctx, apikeys.CreateRequest{Name: o.name})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "created key %s (%q), valid %s to %s, secret %v\n",
		k.ID, k.Name, k.ValidFrom.Format(time.RFC3339), k.ValidTo.Format(time.RFC3339), k.Secret)
	fresh, err := k.Secret.Authenticator()
	if err != nil {
		return nil, err
	}
	if err := check(ctx, w, "the new key", baseURL, fresh, base); err != nil {
		// Unchecked and unsaved, the new key is of no use: revoke it.
		if rerr := keys.Revoke(ctx, k.ID); rerr != nil {
			return nil, fmt.Errorf("%w; revoking the new key %s failed too: %w", err, k.ID, rerr)
		}
		return nil, fmt.Errorf("%w; the new key %s was revoked again and the old key left as it is", err, k.ID)
	}
	if o.secretFile != "" {
		if err := writeSecret(o.secretFile, k.Secret); err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "wrote the new key's secret to %s\n", o.secretFile)
	}
	if o.revokeID != "" {
		if err := keys.Revoke(ctx, o.revokeID); err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "revoked the old key %s\n", o.revokeID)
	}
	return k, nil
}

// check calls checkPath with a and fails unless the answer is 200.
func check(ctx context.Context, w io.Writer, who, baseURL string, a auth.Authenticator, base http.RoundTripper) error {
	status, err := call(ctx, baseURL, a, base)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s calls GET %s: %s\n", who, checkPath, status)
	if status != "200 OK" {
		return fmt.Errorf("%s does not work: GET %s answered %s", who, checkPath, status)
	}
	return nil
}

// call sends GET checkPath authenticated with a and returns the status.
func call(ctx context.Context, baseURL string, a auth.Authenticator, base http.RoundTripper) (string, error) {
	t, err := auth.NewTransport(baseURL, a, base)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+checkPath, nil)
	if err != nil {
		return "", err
	}
	resp, err := (&http.Client{Transport: t, Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.Status, nil
}

// list prints the keys, without their secrets.
func list(ctx context.Context, w io.Writer, keys *apikeys.Client) error {
	for k, err := range keys.All(ctx, apikeys.Filter{}) {
		if err != nil {
			return err
		}
		state := "enabled"
		if !k.Enabled {
			state = "revoked"
		}
		fmt.Fprintf(w, "%s  %-8s %q\n", k.ID, state, k.Name)
	}
	return nil
}

// writeSecret stores s in a new file readable only by its owner.
func writeSecret(path string, s apikeys.Secret) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, s.Reveal()+"\n"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
