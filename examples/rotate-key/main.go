// Rotate-key replaces an Infobip API key: it creates a new key, checks that
// the new key works, and only then revokes the old one.
//
// The check calls GET /account/1/balance with the new key. Any answer but
// 401 (or a 5xx, which tells nothing) shows that Infobip knows the key: a
// 403 passes, as a key whose scopes exclude the balance (one that may only
// send SMS, say) gets it there.
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
// A live dry run (without -secret-file) is not free: it creates a real key
// and revokes it again, and the revoked key stays on the account for good,
// as Infobip has no way to delete a key. It also uses one of the 40 key
// creations and one of the 40 key updates Infobip allows a day.
//
// With -revoke, the old key is read first and the new key gets its reach:
// the same account, allowed IPs, permissions or platform links and API
// scopes, and a validity of the same length starting now. A rotation never
// widens what the key can do. -revoke works only on a live account;
// offline it is refused, and the fake server's own key is rotated.
//
// The new key's secret is never printed. It is written to -secret-file,
// which is created (mode 0600; it must not exist yet, and its directory
// must) before the new key is, and written as soon as the key exists. If
// anything fails after that and before the new key is known to work, the
// new key is revoked again and the file removed. Without -secret-file the
// secret would be lost, so the new key is revoked again at the end, and
// -revoke is refused.
//
// The secret file, the check and the undo are in internal/newkey, shared
// with `ibauth keys rotate`: a copy of this program needs a copy of it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/apikeys"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/examples/internal/example"
	"github.com/ibkit/auth/internal/newkey"
)

// checkPath is the endpoint a new key is tried on.
const checkPath = newkey.CheckPath

type options struct {
	name       string // name of the new key; "" for a dated default
	revokeID   string // id of the key to revoke once the new one works
	secretFile string // where to write the new key's secret
	list       bool   // only list the keys
	// now is the clock the new key's validity is computed on; nil means
	// time.Now (live) or the fake server's clock (offline).
	now func() time.Time
}

const usage = `Usage: rotate-key [-list] [-name NAME] [-secret-file FILE [-revoke OLD_ID]]

Creates a new Infobip API key, checks that it works (GET /account/1/balance
answers anything but 401 or 5xx; a 403 from a key whose scopes exclude the
balance passes), then revokes OLD_ID.
Without IB_BASE_URL it runs offline against a fake Infobip server, where
-revoke is refused (the fake's own key is rotated).

Live, without -secret-file, it is a dry run that still creates a real key and
revokes it again: the revoked key stays on the account permanently (Infobip
cannot delete keys), and the run uses one of the 40 key creations and 40 key
updates Infobip allows a day.

`

func main() {
	var o options
	flag.Usage = func() {
		fmt.Fprint(flag.CommandLine.Output(), usage)
		flag.PrintDefaults()
	}
	flag.StringVar(&o.name, "name", "", "name of the new key (default: rotated-<UTC time>)")
	flag.StringVar(&o.revokeID, "revoke", "", "id of the key to revoke once the new key works; the new key copies its allowed IPs, permissions, platform links, scopes and validity length (live only; needs -secret-file)")
	flag.StringVar(&o.secretFile, "secret-file", "", "file to write the new key's secret to, created with mode 0600 before the key; must not exist")
	flag.BoolVar(&o.list, "list", false, "list the account's keys and exit")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	example.Main("rotate-key", func(w io.Writer) error { return run(ctx, w, o) })
}

func run(ctx context.Context, w io.Writer, o options) error {
	if o.list && (o.secretFile != "" || o.revokeID != "") {
		return errors.New("-list takes neither -secret-file nor -revoke")
	}
	// IB_BASE_URL only picks the mode here; URLs are built on the base URL
	// auth.FromEnv returns, which is canonical (https://host[:port], no
	// trailing slash), never on the variable itself.
	isLive := example.Live()
	if !isLive && o.revokeID != "" {
		return errors.New("-revoke works only on a live account (set IB_BASE_URL); offline, the fake server's own key is rotated")
	}
	if isLive && o.revokeID != "" && o.secretFile == "" {
		return errors.New("-revoke needs -secret-file: without it the new key's secret would be lost")
	}
	var sf *newkey.File // nil: no -secret-file
	if o.secretFile != "" {
		// Created before anything else, so that a bad path fails before a
		// key exists whose secret nobody could keep.
		var err error
		if sf, err = newkey.CreateFile(o.secretFile); err != nil {
			return fmt.Errorf("-secret-file %s: %w", o.secretFile, err)
		}
		defer sf.Discard() // unless kept
	}
	if !isLive {
		return offline(ctx, w, o, sf)
	}
	return live(ctx, w, o, sf)
}

// live works on the account configured by the IB_* variables.
func live(ctx context.Context, w io.Writer, o options, sf *newkey.File) (err error) {
	baseURL, a, err := auth.FromEnv()
	if err != nil {
		return err
	}
	if _, ok := a.(*auth.APIKey); ok {
		return fmt.Errorf("%w: set IB_USERNAME and IB_PASSWORD, or IB_CLIENT_ID and IB_CLIENT_SECRET (and IB_AUTH if IB_API_KEY is set too)", apikeys.ErrAppKey)
	}
	// An IBSSO session is destroyed at the end, even after ctx expired; an
	// OAuth refresh stopped.
	if c, ok := a.(interface{ Close(context.Context) error }); ok {
		defer func() { err = errors.Join(err, c.Close(context.WithoutCancel(ctx))) }()
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	keys, err := apikeys.New(baseURL, a, hc)
	if err != nil {
		return err
	}
	if o.list {
		return list(ctx, w, keys)
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.name == "" {
		o.name = "rotated-" + o.now().UTC().Format("20060102T150405Z")
	}
	fmt.Fprintf(w, "rotating a key on %s with %T credentials\n", baseURL, a)
	k, err := rotate(ctx, w, keys, baseURL, hc, o, sf)
	if err != nil {
		return err
	}
	if sf == nil {
		if err := keys.Revoke(ctx, k.ID); err != nil {
			return fmt.Errorf("dry run: revoking the new key %s: %w", k.ID, err)
		}
		fmt.Fprintf(w, "dry run (no -secret-file): revoked the new key %s again; it stays on the account, revoked (Infobip cannot delete keys)\n", k.ID)
	}
	return nil
}

// offline rotates the key of an in-process fake Infobip server.
func offline(ctx context.Context, w io.Writer, o options, sf *newkey.File) error {
	srv := example.StartFake(w)
	defer srv.Close()

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
	if err := check(ctx, w, "the old key", srv.URL, old, srv.Client()); err != nil {
		return err
	}

	// Find the old key's id: compare secrets while listing, which keeps the
	// secret out of URLs. (run refused a -revoke of the user's.)
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
	if o.now == nil {
		o.now = srv.Now
	}
	if o.name == "" {
		o.name = "rotated-" + o.now().UTC().Format("20060102T150405Z")
	}
	k, err := rotate(ctx, w, keys, srv.URL, srv.Client(), o, sf)
	if err != nil {
		return err
	}
	fresh, err := k.Secret.Authenticator()
	if err != nil {
		return err
	}
	status, err := newkey.Check(ctx, srv.URL, old, srv.Client())
	if status == "" {
		return err // no answer
	}
	fmt.Fprintf(w, "the old key now calls GET %s: %s\n", checkPath, status)
	if ae, ok := errors.AsType[*auth.Error](err); !ok || ae.StatusCode != http.StatusUnauthorized {
		return fmt.Errorf("the revoked old key still gets %s from GET %s", status, checkPath)
	}
	return check(ctx, w, "the new key", srv.URL, fresh, srv.Client())
}

// rotate creates the new key, with the reach of o.revokeID if set, stores
// its secret in sf if given, checks the key, and revokes o.revokeID if set.
func rotate(ctx context.Context, w io.Writer, keys *apikeys.Client, baseURL string, base *http.Client, o options, sf *newkey.File) (*apikeys.Key, error) {
	req := apikeys.CreateRequest{Name: o.name}
	if o.revokeID != "" {
		old, err := keys.Get(ctx, o.revokeID)
		if err != nil {
			return nil, fmt.Errorf("reading the old key %s: %w", o.revokeID, err)
		}
		req = old.Successor(o.name, o.now())
		fmt.Fprintf(w, "the new key gets the reach of the old key %s: %d allowed IPs, permissions %v, %d platform links, %d scopes\n",
			old.ID, len(req.AllowedIPs), req.Permissions, len(req.Platform), len(req.ScopeGUIDs))
	}
	k, err := keys.Create(ctx, req)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "created key %s (%q), valid %s to %s, secret %v\n",
		k.ID, k.Name, k.ValidFrom.Format(time.RFC3339), k.ValidTo.Format(time.RFC3339), k.Secret)

	// From here on the new key exists. Until it is saved and known to work
	// it is of no use: a failure revokes it again, and run removes the
	// secret file.
	undo := func(err error) error {
		return fmt.Errorf("%w; the old key is left as it is", newkey.Undo(ctx, keys, k, err))
	}
	if sf != nil {
		if err := sf.Write(k.Secret); err != nil {
			return nil, undo(err)
		}
		fmt.Fprintf(w, "wrote the new key's secret to %s\n", sf.Path())
	}
	fresh, err := k.Secret.Authenticator()
	if err != nil {
		return nil, undo(err)
	}
	if err := check(ctx, w, "the new key", baseURL, fresh, base); err != nil {
		return nil, undo(err)
	}
	sf.Keep()
	if o.revokeID != "" {
		// The new key works and its secret is saved: keep it whatever
		// happens now. Revoking it on this failure could leave no working
		// key at all, if the old key's revocation took effect and only the
		// answer was lost, and over the daily update limit it would fail
		// just the same.
		if err := keys.Revoke(ctx, o.revokeID); err != nil {
			saved := ""
			if sf != nil {
				saved = " and its secret is in " + sf.Path()
			}
			return nil, fmt.Errorf("revoking the old key %s: %w; the new key %s works%s: revoke the old key once this is resolved",
				o.revokeID, err, k.ID, saved)
		}
		fmt.Fprintf(w, "revoked the old key %s\n", o.revokeID)
	}
	return k, nil
}

// check calls checkPath with a, says what it answered, and fails unless
// Infobip knows the key: a 401 or 5xx fails, a 403 passes (see the
// package doc).
func check(ctx context.Context, w io.Writer, who, baseURL string, a auth.Authenticator, base *http.Client) error {
	status, err := newkey.Check(ctx, baseURL, a, base)
	if status == "" {
		return err // no answer
	}
	fmt.Fprintf(w, "%s calls GET %s: %s\n", who, checkPath, status)
	if err != nil {
		return fmt.Errorf("%s does not work: GET %s answered %s", who, checkPath, status)
	}
	return nil
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
