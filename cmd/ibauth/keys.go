package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/apikeys"
	"github.com/ibkit/auth/internal/newkey"
)

var keysCmd = &command{
	name:  "keys",
	short: "List, create, revoke and rotate API keys",
	usage: "ibauth keys <command> [flags]",
	long: `
Manage the account's API keys (Infobip's /settings/2/api-keys).

Infobip lets only Basic, IBSSO or OAuth credentials manage keys, never an API
key: set IB_USERNAME and IB_PASSWORD, or IB_CLIENT_ID and IB_CLIENT_SECRET,
or run 'ibauth login'. Infobip allows 40 key creations and 40 updates
(revocations included) a day, and cannot delete a key: a revoked key stays
listed.

A new key's secret is never printed unless --show-secret asks for it; give
--secret-file to have it written to a new file that only you can read.`,
	example: `
$ ibauth keys list
$ ibauth keys create --secret-file ci.key "CI pipeline"
$ ibauth keys rotate --secret-file new.key 8F0792F86035A9F4290821F1EE6BC06A
$ ibauth keys revoke 8F0792F86035A9F4290821F1EE6BC06A`,
	subs: []*command{keysListCmd, keysCreateCmd, keysRevokeCmd, keysRotateCmd},
}

var keysListCmd = &command{
	name:  "list",
	short: "List the account's API keys, without their secrets",
	usage: "ibauth keys list [flags]",
	long: `
List the account's API keys: id, name, state, validity and allowed IP
addresses, never the secrets. On a terminal they form a table; piped, one
tab-separated line per key without a header; with --json, a JSON array in
Infobip's format.`,
	example: `
$ ibauth keys list
$ ibauth keys list --enabled --json | jq -r '.[].id'`,
	setup: func(f *flagSet) runFunc {
		var o keysListOptions
		f.boolVar(&o.json, "", "json", "Print the keys as JSON")
		f.stringVar(&o.name, "", "name", "NAME", "Only keys with this name")
		f.boolVar(&o.enabled, "", "enabled", "Only enabled keys")
		f.boolVar(&o.revoked, "", "revoked", "Only revoked keys")
		return func(ctx context.Context, a *app, args []string) error { return a.keysList(ctx, o, args) }
	},
}

var keysCreateCmd = &command{
	name:  "create",
	short: "Create an API key",
	usage: "ibauth keys create {--secret-file FILE | --show-secret} [flags] NAME",
	long: `
Create an API key called NAME. Without limits it is valid at once, for a year
(Infobip's default), from any address, with the PUBLIC_API permission.

Its secret is shown only once, by Infobip's answer: give --secret-file to
have it written to FILE, which must not exist and is created with mode 0600
before the key, or --show-secret to print it. Without either the command
refuses to run, as the secret would be lost.

Standard output gets the new key's id, or with --show-secret its secret, or
with --json the key as JSON (with "apiKeySecret" only under --show-secret).`,
	example: `
$ ibauth keys create --secret-file ci.key "CI pipeline"
$ ibauth keys create --show-secret --allowed-ip 203.0.113.0/24 --valid-to 2027-06-30 deploy`,
	setup: func(f *flagSet) runFunc {
		var o keysCreateOptions
		o.out.define(f)
		f.listVar(&o.allowedIPs, "", "allowed-ip", "IP", "Allow the key only from this address or CIDR range (repeatable)")
		f.stringVar(&o.validFrom, "", "valid-from", "TIME", "Start of validity: RFC 3339, or YYYY-MM-DD[THH:MM:SS] in UTC (default now)")
		f.stringVar(&o.validTo, "", "valid-to", "TIME", "End of validity, as --valid-from (default a year after the start)")
		f.listVar(&o.permissions, "", "permission", "NAME", "PUBLIC_API, 2FA_CLIENT or WEB_SDK (repeatable; default PUBLIC_API)")
		f.listVar(&o.scopes, "", "scope", "SCOPE", `An API scope, such as "sms:message:send" (repeatable)`)
		f.stringVar(&o.accountID, "", "account-id", "ID", "The account the key belongs to (default yours)")
		return func(ctx context.Context, a *app, args []string) error { return a.keysCreate(ctx, o, args) }
	},
}

var keysRevokeCmd = &command{
	name:  "revoke",
	short: "Revoke API keys",
	usage: "ibauth keys revoke ID...",
	long: `
Revoke the API keys with the given ids: Infobip refuses them from then on.
Infobip cannot delete keys; a revoked key stays listed, disabled.`,
	example: `
$ ibauth keys revoke 8F0792F86035A9F4290821F1EE6BC06A`,
	setup: func(*flagSet) runFunc {
		return func(ctx context.Context, a *app, args []string) error { return a.keysRevoke(ctx, args) }
	},
}

var keysRotateCmd = &command{
	name:  "rotate",
	short: "Replace an API key with a new one of the same reach",
	usage: "ibauth keys rotate {--secret-file FILE | --show-secret} [flags] OLD_ID",
	long: `
Replace the API key OLD_ID: create a new key with the same account, allowed
IP addresses, permissions or platform links, and API scopes, and a validity
of the same length starting now; save its secret; check that it works; and
only then revoke the old key.

The secret goes where create puts it: to --secret-file FILE, created with
mode 0600 before the new key (it must not exist), or to standard output with
--show-secret. It is never printed otherwise.

The check calls GET /account/1/balance with the new key: any answer but 401
or 5xx (403 included: a key whose scopes exclude the balance) shows that
Infobip knows the key. If saving or checking fails, the new key is revoked again, the
file removed, and the old key left as it is. If revoking the old key fails,
the new key is kept and the exit status is 1.

Standard output is as for create.`,
	example: `
$ ibauth keys rotate --secret-file new.key 8F0792F86035A9F4290821F1EE6BC06A
$ NEW=$(ibauth keys rotate --show-secret --keep-old 8F0792F86035A9F4290821F1EE6BC06A)`,
	setup: func(f *flagSet) runFunc {
		var o keysRotateOptions
		o.out.define(f)
		f.stringVar(&o.name, "", "name", "NAME", `Name of the new key (default: the old name, plus "rotated" and the date)`)
		f.boolVar(&o.keepOld, "", "keep-old", "Leave the old key enabled, to revoke it later")
		f.boolVar(&o.noCheck, "", "no-check", "Do not check that the new key works")
		return func(ctx context.Context, a *app, args []string) error { return a.keysRotate(ctx, o, args) }
	},
}

type keysListOptions struct {
	json             bool
	name             string
	enabled, revoked bool
}

type keysCreateOptions struct {
	out                             keyOutput
	allowedIPs, permissions, scopes []string
	validFrom, validTo, accountID   string
}

type keysRotateOptions struct {
	out              keyOutput
	name             string
	keepOld, noCheck bool
}

// keyOutput says where a new key's secret goes.
type keyOutput struct {
	secretFile string
	showSecret bool
	json       bool
}

func (o *keyOutput) define(f *flagSet) {
	f.stringVar(&o.secretFile, "", "secret-file", "FILE", "Write the new key's secret to FILE, a new file created with mode 0600")
	f.boolVar(&o.showSecret, "", "show-secret", "Print the new key's secret on standard output")
	f.boolVar(&o.json, "", "json", "Print the new key as JSON")
}

func (o *keyOutput) check() error {
	if o.secretFile == "" && !o.showSecret {
		return usageError("the new key's secret would be lost: pass --secret-file FILE (created with mode 0600) or --show-secret")
	}
	return nil
}

// keysClient returns the API key client for the configured account, which
// must not authenticate with an API key.
func (a *app) keysClient() (*apikeys.Client, *account, error) {
	acc, err := a.openAccount()
	if err != nil {
		return nil, nil, err
	}
	if _, ok := acc.auth.(*auth.APIKey); ok {
		acc.close(a)
		return nil, nil, configError(fmt.Errorf("%w: set IB_USERNAME and IB_PASSWORD, or IB_CLIENT_ID and IB_CLIENT_SECRET (and IB_AUTH to pick them while IB_API_KEY is set), or run 'ibauth login'", apikeys.ErrAppKey))
	}
	c, err := apikeys.New(acc.baseURL, acc.auth, acc.plain)
	if err != nil {
		acc.close(a)
		return nil, nil, configError(err)
	}
	return c, acc, nil
}

func (a *app) keysList(ctx context.Context, o keysListOptions, args []string) error {
	if len(args) > 0 {
		return usageError("list takes no arguments")
	}
	if o.enabled && o.revoked {
		return usageError("--enabled and --revoked exclude each other")
	}
	f := apikeys.Filter{Name: o.name}
	if o.enabled || o.revoked {
		f.Enabled = &o.enabled
	}
	c, acc, err := a.keysClient()
	if err != nil {
		return err
	}
	defer acc.close(a)
	keys := []apikeys.Key{}
	for k, err := range c.All(ctx, f) {
		if err != nil {
			return keysError(err, "")
		}
		keys = append(keys, k)
	}
	tty := isTerminal(a.stdout)
	switch {
	case o.json:
		return writeJSON(a.stdout, keys, tty)
	case tty && len(keys) == 0:
		fmt.Fprintln(a.stderr, "No API keys.")
		return nil
	case tty:
		w := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tNAME\tSTATE\tVALID FROM (UTC)\tVALID TO (UTC)\tALLOWED IPS")
		for _, k := range keys {
			ips := "any"
			if len(k.AllowedIPs) > 0 {
				ips = strings.Join(k.AllowedIPs, ",")
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", printable(k.ID), printable(k.Name), state(k),
				tableTime(k.ValidFrom), tableTime(k.ValidTo), printable(ips))
		}
		return w.Flush()
	}
	for _, k := range keys {
		if _, err := fmt.Fprintf(a.stdout, "%s\t%s\t%s\t%s\t%s\t%s\n", printable(k.ID), printable(k.Name), state(k),
			rfcTime(k.ValidFrom), rfcTime(k.ValidTo), printable(strings.Join(k.AllowedIPs, ","))); err != nil {
			return err
		}
	}
	return nil
}

func state(k apikeys.Key) string {
	if k.Enabled {
		return "enabled"
	}
	return "revoked"
}

func tableTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func rfcTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func (a *app) keysCreate(ctx context.Context, o keysCreateOptions, args []string) error {
	if len(args) != 1 {
		return usageError("create takes one argument, the new key's NAME")
	}
	if err := o.out.check(); err != nil {
		return err
	}
	req := apikeys.CreateRequest{Name: args[0], AccountID: o.accountID, AllowedIPs: o.allowedIPs, ScopeGUIDs: o.scopes}
	for _, p := range o.permissions {
		req.Permissions = append(req.Permissions, apikeys.Permission(strings.ToUpper(p)))
	}
	var err error
	if req.ValidFrom, err = parseTime("--valid-from", o.validFrom); err != nil {
		return err
	}
	if req.ValidTo, err = parseTime("--valid-to", o.validTo); err != nil {
		return err
	}
	c, acc, err := a.keysClient()
	if err != nil {
		return err
	}
	defer acc.close(a)
	sf, err := createSecretFile(o.out.secretFile)
	if err != nil {
		return err
	}
	defer sf.Discard()
	k, err := createUninterrupted(ctx, c, req)
	if err != nil {
		return keysError(err, "")
	}
	if err := sf.Write(k.Secret); err != nil {
		return newkey.Undo(ctx, c, k, err)
	}
	sf.Keep()
	return a.printNewKey(k, o.out, sf, "created")
}

func (a *app) keysRevoke(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError("revoke takes the ids of the keys to revoke")
	}
	c, acc, err := a.keysClient()
	if err != nil {
		return err
	}
	defer acc.close(a)
	var failed error
	for _, id := range args {
		if err := c.Revoke(ctx, id); err != nil {
			failed = keysError(err, id)
			a.printErr(failed.Error())
			continue
		}
		fmt.Fprintf(a.stderr, "ibauth: revoked API key %s\n", printable(id))
	}
	if failed != nil {
		return reported
	}
	return nil
}

func (a *app) keysRotate(ctx context.Context, o keysRotateOptions, args []string) error {
	if len(args) != 1 {
		return usageError("rotate takes one argument, the id of the key to replace")
	}
	if err := o.out.check(); err != nil {
		return err
	}
	c, acc, err := a.keysClient()
	if err != nil {
		return err
	}
	defer acc.close(a)
	old, err := c.Get(ctx, args[0])
	if err != nil {
		return keysError(err, args[0])
	}
	now := time.Now()
	if o.name == "" {
		o.name = old.Name + " rotated " + now.UTC().Format("2006-01-02T15:04Z")
	}
	sf, err := createSecretFile(o.out.secretFile)
	if err != nil {
		return err
	}
	defer sf.Discard()
	k, err := createUninterrupted(ctx, c, old.Successor(o.name, now))
	if err != nil {
		return keysError(err, "")
	}
	if err := sf.Write(k.Secret); err != nil {
		return newkey.Undo(ctx, c, k, err)
	}
	if !o.noCheck {
		if err := a.checkKey(ctx, acc, k.Secret); err != nil {
			return newkey.Undo(ctx, c, k, err)
		}
	}
	sf.Keep()
	if err := a.printNewKey(k, o.out, sf, "created"); err != nil {
		return err
	}
	switch {
	case o.keepOld:
		fmt.Fprintf(a.stderr, "ibauth: the old key %s stays enabled (--keep-old): revoke it with 'ibauth keys revoke %s'\n", old.ID, old.ID)
	case !old.Enabled:
		fmt.Fprintf(a.stderr, "ibauth: the old key %s was already revoked\n", old.ID)
	default:
		// The new key works and is saved: keep it whatever happens now.
		if err := c.Revoke(ctx, old.ID); err != nil {
			return fmt.Errorf("revoke the old key %s: %w; the new key %s works and is kept: revoke the old key once this is resolved",
				old.ID, err, k.ID)
		}
		fmt.Fprintf(a.stderr, "ibauth: revoked the old key %s\n", old.ID)
	}
	return nil
}

// keysError is err from the apikeys client, with the key's id after the
// operation if id is set, and advice if the session in IB_SESSION_TOKEN
// has ended.
func keysError(err error, id string) error {
	if errors.Is(err, auth.ErrSessionExpired) {
		return describeError("", err)
	}
	if ae, ok := errors.AsType[*auth.Error](err); ok && id != "" && ae.Op != "" {
		ae.Op += " " + printable(id)
	}
	return err
}

// checkKey makes one call with the key secret s and fails unless Infobip
// knows the key (see [newkey.Check]).
func (a *app) checkKey(ctx context.Context, acc *account, s apikeys.Secret) error {
	key, err := s.Authenticator()
	if err != nil {
		return err
	}
	if _, err := newkey.Check(ctx, acc.baseURL, key, acc.plain); err != nil {
		return fmt.Errorf("check the new key: %w", err)
	}
	return nil
}

// printNewKey reports k on stderr and writes to stdout its id, its secret
// (--show-secret) or its JSON (--json).
func (a *app) printNewKey(k *apikeys.Key, o keyOutput, sf *newkey.File, verb string) error {
	msg := fmt.Sprintf("ibauth: %s API key %s (%s), valid %s to %s", verb, k.ID, printable(k.Name), rfcTime(k.ValidFrom), rfcTime(k.ValidTo))
	if sf != nil {
		msg += "; its secret is in " + sf.Path() + " (mode 0600)"
	}
	fmt.Fprintln(a.stderr, msg)
	switch {
	case o.json:
		b, err := json.Marshal(k)
		if err != nil {
			return err
		}
		if o.showSecret {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(b, &m); err != nil {
				return err
			}
			m["apiKeySecret"], _ = json.Marshal(k.Secret.Reveal())
			if b, err = json.Marshal(m); err != nil {
				return err
			}
		}
		return writeJSON(a.stdout, json.RawMessage(b), isTerminal(a.stdout))
	case o.showSecret:
		_, err := fmt.Fprintln(a.stdout, k.Secret.Reveal())
		return err
	}
	_, err := fmt.Fprintln(a.stdout, k.ID)
	return err
}

// writeJSON writes v as JSON, indented on a terminal, one line when piped.
func writeJSON(w io.Writer, v any, tty bool) error {
	var b []byte
	var err error
	if tty {
		b, err = json.MarshalIndent(v, "", "  ")
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// parseTime reads a time flag: RFC 3339, or a date and time in UTC.
func parseTime(flag, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usageError("%s %q: give RFC 3339 (2027-06-30T12:00:00Z) or a UTC date (2027-06-30)", flag, v)
}

// createSecretFile creates the file for --secret-file, or returns nil
// when the flag is not set.
func createSecretFile(path string) (*newkey.File, error) {
	if path == "" {
		return nil, nil
	}
	sf, err := newkey.CreateFile(path)
	if err != nil {
		return nil, usageError("--secret-file %s: %v", path, err)
	}
	return sf, nil
}

// createUninterrupted creates a key even if ctx is cancelled meanwhile
// (Ctrl-C): Infobip may create a key whose answer never arrives, and its
// secret would be lost with no one to revoke it. A minute bounds it.
func createUninterrupted(ctx context.Context, c *apikeys.Client, req apikeys.CreateRequest) (*apikeys.Key, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	return c.Create(ctx, req)
}
