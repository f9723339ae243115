package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/ibkit/auth"
)

var tokenCmd = &command{
	name:  "token",
	short: "Print the Authorization header value for curl and other tools",
	usage: "ibauth token [--raw]",
	long: `
Print the value of the Authorization header for the configured account, such
as "App 0030…" or "Bearer eyJ…", for tools that are not ibauth.

An OAuth token comes from ibauth's cache, or is fetched from Infobip with
IB_CLIENT_ID and IB_CLIENT_SECRET and kept there for later calls; it is
valid for the expires_in Infobip answers (run 'ibauth doctor' to see it).
With IB_AUTH=ibsso the session in ibauth's cache is printed, created if there
is none; it stays open for the tools that use it and ends after 60 minutes
without use, or with 'ibauth logout'. The cache sees only ibauth's own uses:
unused by ibauth for an hour, the session is replaced by the next call.
With --no-cache a new token or session is made each time; such a session
ends only by itself. With IB_SESSION_TOKEN set, that session's header is
printed.

The output is a secret: keep it out of logs and shell history.`,
	example: `
$ curl -H "Authorization: $(ibauth token)" "$IB_BASE_URL/account/1/balance"
$ IB_AUTH=oauth ibauth token --raw`,
	setup: func(f *flagSet) runFunc {
		var raw bool
		f.boolVar(&raw, "", "raw", `Print the token alone, without the scheme ("App ", "Bearer ", …)`)
		return func(ctx context.Context, a *app, args []string) error { return a.token(ctx, raw, args) }
	},
}

func (a *app) token(ctx context.Context, raw bool, args []string) error {
	if len(args) > 0 {
		return usageError("token takes no arguments")
	}
	acc, err := a.openAccount()
	if err != nil {
		return err
	}
	// A session created here is kept open: it is what the user asked for.
	if _, ok := acc.auth.(*auth.IBSSO); !ok {
		defer acc.close(a)
	} else {
		defer acc.cache.close()
		defer acc.warnCacheFailure(a)
	}
	v, err := acc.auth.Authorization(ctx)
	if err != nil {
		return describeError("get a credential for "+acc.baseURL, err)
	}
	if _, ok := acc.auth.(*auth.IBSSO); ok && len(acc.refreshes()) > 0 {
		if acc.cache != nil && acc.cache.store != nil {
			fmt.Fprintln(a.stderr, "ibauth: created an IBSSO session; ibauth keeps it in its cache for later calls; it ends after 60 minutes without use, or with 'ibauth logout'")
		} else {
			fmt.Fprintln(a.stderr, "ibauth: created an IBSSO session; it ends after 60 minutes without use, or with 'ibauth logout' while IB_SESSION_TOKEN holds it")
		}
	}
	if raw {
		_, v, _ = strings.Cut(v, " ")
	}
	_, err = fmt.Fprintln(a.stdout, v)
	return err
}
