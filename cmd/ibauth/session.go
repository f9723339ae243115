package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"unicode"

	"golang.org/x/term"

	"github.com/ibkit/auth"
)

var loginCmd = &command{
	name:  "login",
	short: "Start an IBSSO session and print it for your shell",
	usage: "ibauth login [--username NAME] [--unsafe]",
	long: `
Log in to the account at IB_BASE_URL with your Infobip username and password,
and print the new IBSSO session as export lines for your shell:

  export IB_BASE_URL=https://xxxxx.api.infobip.com
  export IB_SESSION_TOKEN=…

With IB_SESSION_TOKEN set, the other ibauth commands use the session instead
of any other credentials. Infobip ends a session after 60 minutes without
use; 'ibauth logout' ends it at once. A session already in IB_SESSION_TOKEN is
ended before the new one starts, as Infobip asks.

The username comes from --username or IB_USERNAME, or is asked for. The
password is read from the terminal without echo, or, when stdin is not a
terminal, from the first line of stdin. It is never taken from a flag or the
environment, and never stored.

Sessions are bound to this machine's IP address unless --unsafe is given.

Scripts need no login: with IB_AUTH=ibsso, IB_USERNAME and IB_PASSWORD set,
ibauth creates one session and keeps it in its cache between calls (see
'ibauth --help'); 'ibauth logout' ends it.`,
	example: `
$ eval "$(ibauth login)"
$ ibauth api /account/1/balance
$ eval "$(ibauth logout)"
$ ibauth login --username jane < password.txt > session.env`,
	setup: func(f *flagSet) runFunc {
		var o loginOptions
		f.stringVar(&o.username, "u", "username", "NAME", "Your Infobip username (default: IB_USERNAME, else asked)")
		f.boolVar(&o.unsafe, "", "unsafe", "Create a session not bound to this machine's IP address")
		return func(ctx context.Context, a *app, args []string) error { return a.login(ctx, o, args) }
	},
}

var logoutCmd = &command{
	name:  "logout",
	short: "End the IBSSO session in IB_SESSION_TOKEN or in ibauth's cache",
	usage: "ibauth logout",
	long: `
End the IBSSO session that IB_SESSION_TOKEN holds (DELETE /auth/1/session),
and print "unset IB_SESSION_TOKEN" for your shell.

Without IB_SESSION_TOKEN, with IB_AUTH=ibsso, IB_USERNAME and IB_PASSWORD,
end the session that ibauth keeps in its cache for that user at IB_BASE_URL,
and remove it from the cache; the next call creates a new one. Until then
the cached session stays alive, for 60 minutes after its last use.

A session Infobip has already ended is not an error.`,
	example: `
$ eval "$(ibauth logout)"
$ IB_AUTH=ibsso ibauth logout`,
	setup: func(*flagSet) runFunc {
		return func(ctx context.Context, a *app, args []string) error { return a.logout(ctx, args) }
	},
}

type loginOptions struct {
	username string
	unsafe   bool
}

func (a *app) login(ctx context.Context, o loginOptions, args []string) error {
	if len(args) > 0 {
		return usageError("login takes no arguments: the password is read from the terminal or stdin, never from the command line")
	}
	baseURL, err := envBaseURL()
	if err != nil {
		return configError(err)
	}
	user := o.username
	if user != "" && strings.ContainsFunc(user, unicode.IsControl) {
		return usageError("--username contains a control character")
	}
	if user == "" {
		user = os.Getenv("IB_USERNAME")
		if strings.ContainsFunc(user, unicode.IsControl) {
			return configError(errors.New("IB_USERNAME contains a control character"))
		}
	}
	stdinTTY := term.IsTerminal(int(a.stdin.Fd()))
	if user == "" && stdinTTY {
		if user, err = a.readLine(ctx, "Infobip username: ", false); err != nil {
			return err
		}
	}
	if user = strings.TrimSpace(user); user == "" {
		return usageError("no username: pass --username or set IB_USERNAME")
	}
	pass, err := a.readLine(ctx, fmt.Sprintf("Password for %s at %s: ", printable(user), baseURL), true)
	if err != nil {
		return err
	}
	if pass == "" {
		where := "at the prompt"
		if !stdinTTY {
			where = "on stdin"
		}
		return usageError("no password given %s", where)
	}
	a.secrets.add(pass)

	cfg := auth.LoginConfig{BaseURL: baseURL, HTTPClient: &http.Client{Transport: a.transport()},
		Unsafe: o.unsafe, Logger: a.logger()}
	if old := os.Getenv("IB_SESSION_TOKEN"); old != "" {
		// Infobip asks to end a live session before creating another.
		if s, err := auth.ResumeSession(cfg, old); err == nil {
			if err := s.Logout(ctx); err != nil {
				a.printErr("warning: ending the session in IB_SESSION_TOKEN: " + err.Error())
			} else {
				fmt.Fprintln(a.stderr, "ibauth: ended the previous session in IB_SESSION_TOKEN")
			}
		}
	}
	s, err := auth.Login(ctx, cfg, user, pass)
	if err != nil {
		return fmt.Errorf("log in as %s: %w", printable(user), err)
	}
	if _, err := fmt.Fprintf(a.stdout, "export IB_BASE_URL=%s\nexport IB_SESSION_TOKEN=%s\n", shellQuote(baseURL), shellQuote(s.Token())); err != nil {
		// Nobody has the session: end it rather than leave it open for
		// an hour.
		if lerr := s.Logout(context.WithoutCancel(ctx)); lerr != nil {
			a.printErr("warning: ending the session not handed over: " + lerr.Error())
		}
		return err
	}
	fmt.Fprintf(a.stderr, "ibauth: logged in to %s as %s; the session ends after 60 minutes without use, or with 'eval \"$(ibauth logout)\"'\n",
		baseURL, printable(user))
	if isTerminal(a.stdout) {
		fmt.Fprintln(a.stderr, `ibauth: to set these variables in your shell, run: eval "$(ibauth login)"`)
	}
	return nil
}

func (a *app) logout(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return usageError("logout takes no arguments")
	}
	token := os.Getenv("IB_SESSION_TOKEN")
	if token == "" {
		return a.logoutCached(ctx)
	}
	baseURL, err := envBaseURL()
	if err != nil {
		return configError(err)
	}
	cfg := auth.LoginConfig{BaseURL: baseURL, HTTPClient: &http.Client{Transport: a.transport()}, Logger: a.logger()}
	s, err := auth.ResumeSession(cfg, token)
	if err != nil {
		return configError(fmt.Errorf("IB_SESSION_TOKEN: %w", err))
	}
	if err := s.Logout(ctx); err != nil {
		return describeError("log out", err)
	}
	fmt.Fprintln(a.stdout, "unset IB_SESSION_TOKEN")
	fmt.Fprintln(a.stderr, "ibauth: logged out; the session has ended")
	return nil
}

// readLine reads one line from stdin: from the terminal after prompt,
// without echo if secret, or else the first line of stdin as it is. It
// gives up when ctx ends (Ctrl-C), restoring the terminal.
func (a *app) readLine(ctx context.Context, prompt string, secret bool) (string, error) {
	fd := int(a.stdin.Fd())
	tty := term.IsTerminal(fd)
	var restore func()
	if tty {
		fmt.Fprint(a.stderr, prompt)
		if state, err := term.GetState(fd); err == nil {
			restore = func() { term.Restore(fd, state) }
		}
	}
	type result struct {
		line string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		if tty && secret {
			var b []byte
			b, r.err = term.ReadPassword(fd)
			r.line = string(b)
		} else {
			r.line, r.err = readFirstLine(a.stdin)
		}
		done <- r
	}()
	select {
	case r := <-done:
		if tty && secret {
			fmt.Fprintln(a.stderr)
		}
		if r.err != nil {
			return "", fmt.Errorf("reading stdin: %v", r.err)
		}
		return r.line, nil
	case <-ctx.Done():
		if restore != nil {
			restore()
			fmt.Fprintln(a.stderr)
		}
		return "", ctx.Err()
	}
}

// maxLine bounds a line read from stdin.
const maxLine = 64 << 10

// readFirstLine reads up to the first newline, byte by byte so that
// nothing after it is consumed, and drops the line ending.
func readFirstLine(r io.Reader) (string, error) {
	var line []byte
	b := make([]byte, 1)
	for len(line) < maxLine {
		n, err := r.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			line = append(line, b[0])
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	return strings.TrimSuffix(string(line), "\r"), nil
}
