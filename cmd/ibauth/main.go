// Ibauth is the command line for Infobip credentials: authenticated API
// calls, tokens for curl, IBSSO sessions, API key management, a fake
// Infobip server for tests in any language, and a configuration check.
//
//	ibauth api /account/1/balance
//	curl -H "Authorization: $(ibauth token)" "$IB_BASE_URL/account/1/balance"
//	eval "$(ibauth login)"
//	ibauth keys rotate --secret-file new.key OLD_ID
//	ibauth fake
//	ibauth doctor
//
// It reads the same IB_* variables as [github.com/ibkit/auth.FromEnv].
// Run "ibauth --help" for the commands, the variables and the exit codes,
// and "ibauth <command> --help" for each command's flags and examples.
//
// # Install
//
//	go install github.com/ibkit/auth/cmd/ibauth@latest
//
// For a pinned version, @vX.Y.Z: if the go command answers "module
// github.com/ibkit/auth@vX.Y.Z found, but does not contain package", its
// module cache holds the library at that version and it looked no further
// (golang/go#61237); run "go mod download github.com/ibkit/auth/cmd/ibauth@vX.Y.Z"
// first. From a clone of the repository, "go install ./cmd/ibauth" builds
// the tree's own.
//
// # Credential cache
//
// With OAuth or IBSSO credentials, ibauth keeps the token or session
// between calls, as gh, gcloud and az do, so that a script's calls make one
// token request per expiry, or share one session, instead of one each
// (Infobip allows 10 a second on those endpoints). The cache is a
// [github.com/ibkit/auth/filestore] directory, ibauth under
// os.UserCacheDir: $XDG_CACHE_HOME/ibauth or ~/.cache/ibauth on Linux,
// ~/Library/Caches/ibauth on macOS, %LocalAppData%\ibauth on Windows;
// "ibauth --help" and "ibauth doctor" show where it is.
//
//   - It holds OAuth access tokens and IBSSO session ids, sealed with
//     AES-256-GCM under a key derived (HKDF-SHA256) from the client secret
//     or password, the base URL and the client ID or username. The secret
//     and the password are never stored, and no file name holds a secret.
//     An entry made with other credentials, a wrong password included,
//     cannot be read and is never used.
//   - The key derivation is fast, as each call pays for it: whoever copies
//     the files can test guesses of a weak password against them offline.
//     The directory's mode is the first defence; prefer a strong password.
//   - The directory must be the user's and closed to others (0700, as ssh
//     asks of ~/.ssh); if it is not, or there is none, ibauth says so in one
//     line on stderr and runs without it.
//   - A cached IBSSO session stays alive until unused for 60 minutes, or
//     until "ibauth logout" (the same IB_* variables, no IB_SESSION_TOKEN)
//     ends it at Infobip and removes it from the cache. Other commands
//     leave it alive at exit.
//   - A cached token or session that Infobip rejects is replaced once, by
//     the call that met the 401; so is a session unused for nearly 60
//     minutes (ended first, as Infobip asks).
//   - --no-cache or IB_NO_CACHE=1 turns it off. API keys and Basic need
//     none.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

// Exit codes, documented in the help text.
const (
	exitOK          = 0   // success
	exitFailure     = 1   // a request failed or the API answered above 299
	exitUsage       = 2   // unknown command or flag, bad argument
	exitConfig      = 3   // IB_* variables missing, invalid or ambiguous
	exitInterrupted = 130 // stopped by SIGINT or SIGTERM (not for fake)
)

// commands are the top-level commands, in the order the help lists them.
var commands = []*command{apiCmd, tokenCmd, loginCmd, logoutCmd, keysCmd, fakeCmd, doctorCmd}

const rootHelp = `Work with Infobip credentials from the command line: authenticated API
calls, tokens for curl, IBSSO sessions, API key management, a fake Infobip
server for tests, and a check of the whole set-up.

USAGE
  ibauth <command> [flags]

COMMANDS
%s
FLAGS
  --debug     Show each HTTP request and response head on stderr, credentials redacted
  --no-cache  Keep no OAuth token or IBSSO session between calls
  --help      Show help for ibauth or a command
  --version   Show the version

ENVIRONMENT
  IB_BASE_URL        Your account's base URL, such as https://xxxxx.api.infobip.com
  IB_API_KEY         An API key: "Authorization: App <key>"
  IB_USERNAME        With IB_PASSWORD: Basic; IBSSO with IB_AUTH=ibsso;
  IB_PASSWORD          OAuth client credentials with IB_AUTH=oauth
  IB_CLIENT_ID       With IB_CLIENT_SECRET: OAuth 2.0 client credentials
  IB_CLIENT_SECRET
  IB_AUTH            app, basic, ibsso or oauth: which to use when several are set
  IB_SESSION_TOKEN   An IBSSO session from 'ibauth login' (ibauth's own variable);
                     when set, it wins over the other credentials
  IB_NO_CACHE        Set to 1 to keep no token or session between calls
  XDG_CACHE_HOME     Where the cache lives on Linux and BSD (default ~/.cache)
  IBAUTH_FORCE_TTY   Set to 1 to format output as for a terminal when piped

CREDENTIAL CACHE
  With OAuth or IBSSO credentials, ibauth keeps the token or session between
  calls in the user's cache directory, here:
    %s
  so that a script's calls make one token request per expiry, or share one
  session, instead of one each (Infobip allows 10 per second).

  It holds OAuth tokens and IBSSO session ids, encrypted with a key derived
  from your client secret or password, which are never stored: credentials
  other than those that made an entry cannot read it. The directory must be
  yours and closed to others (0700, as ssh asks of ~/.ssh); else ibauth warns
  and runs without it. A cached IBSSO session stays alive until unused for 60
  minutes, or until 'ibauth logout' ends it. --no-cache or IB_NO_CACHE=1 turns
  the cache off. API keys and Basic need no cache.

EXIT CODES
  0    Success
  1    A request failed, or the API answered with an error (a status above 299)
  2    Usage error: unknown command or flag, bad argument
  3    Configuration error: IB_* variables missing, invalid or ambiguous
  130  Interrupted

EXAMPLES
  $ export IB_BASE_URL=https://xxxxx.api.infobip.com IB_API_KEY=...
  $ ibauth api /account/1/balance
  $ curl -H "Authorization: $(ibauth token)" "$IB_BASE_URL/account/1/balance"
  $ eval "$(ibauth login)"
  $ ibauth keys list

LEARN MORE
  Use 'ibauth <command> --help' for more about a command.
  Read more about ibauth and its cache at https://pkg.go.dev/github.com/ibkit/auth/cmd/ibauth
  and the library's documentation at https://pkg.go.dev/github.com/ibkit/auth
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, a second one kills ibauth at once, even
		// if it is stuck in a read that does not watch ctx.
		<-ctx.Done()
		stop()
	}()
	a := &app{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	code := a.main(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// app is one run of ibauth: its standard streams and global flags.
type app struct {
	stdin  *os.File
	stdout *os.File
	stderr io.Writer
	debug  bool // --debug

	noCache      bool // --no-cache
	reportsCache bool // the command reports a cache problem itself

	secrets secrets        // the run's credentials, never shown
	wire    *wireTransport // made by transport
}

// main runs the command line args and returns the exit code.
func (a *app) main(ctx context.Context, args []string) int {
	for _, v := range secretVars {
		a.secrets.add(os.Getenv(v))
	}
	err := a.dispatch(ctx, args)
	if err == nil {
		return exitOK
	}
	code := exitFailure
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if ctx.Err() != nil && code == exitFailure {
		fmt.Fprintln(a.stderr, "ibauth: interrupted")
		return exitInterrupted
	}
	if msg := err.Error(); msg != "" {
		a.printErr(msg)
	}
	if ee != nil && ee.code == exitConfig && ee.hint == "" {
		ee.hint = "Run 'ibauth doctor' to check the set-up, 'ibauth --help' for the IB_* variables."
	}
	if ee != nil && ee.hint != "" {
		fmt.Fprintln(a.stderr, ee.hint)
	}
	return code
}

// dispatch reads the global flags and runs the command that follows them.
func (a *app) dispatch(ctx context.Context, args []string) error {
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "--debug", "-debug":
			a.debug = true
		case "--no-cache", "-no-cache":
			a.noCache = true
		case "--help", "-help", "-h":
			return a.help(nil)
		case "--version", "-version":
			fmt.Fprintln(a.stdout, "ibauth version "+version())
			return nil
		default:
			return usageErrorf("ibauth", "unknown flag: %s", args[0])
		}
		args = args[1:]
	}
	if len(args) == 0 {
		return a.help(nil)
	}
	if args[0] == "help" {
		return a.help(args[1:])
	}
	c := find(commands, args[0])
	if c == nil {
		return usageErrorf("ibauth", "unknown command %q", args[0])
	}
	return a.run(ctx, c, "ibauth "+c.name, args[1:])
}

// run parses args for c, a command or a group of commands, and runs it.
func (a *app) run(ctx context.Context, c *command, path string, args []string) error {
	if len(c.subs) > 0 {
		if len(args) == 0 || isHelpFlag(args[0]) {
			return printHelp(a.stdout, c, path)
		}
		sub := find(c.subs, args[0])
		if sub == nil {
			return usageErrorf(path, "unknown command %q for %q", args[0], path)
		}
		return a.run(ctx, sub, path+" "+sub.name, args[1:])
	}
	f := newFlagSet(path)
	runner := c.setup(f)
	f.inherited(&a.debug)
	f.cacheFlag(&a.noCache)
	pos, err := f.parse(args)
	if errors.Is(err, errHelp) {
		return printHelp(a.stdout, c, path)
	}
	if err != nil {
		return usageErrorf(path, "%v", err)
	}
	err = runner(ctx, a, pos)
	var ee *exitError
	if errors.As(err, &ee) && ee.code == exitUsage && ee.hint == "" {
		ee.hint = usageHint(path)
	}
	return err
}

// help prints the help for the command named by path, or for ibauth.
func (a *app) help(path []string) error {
	if len(path) == 0 {
		var list strings.Builder
		for _, c := range commands {
			fmt.Fprintf(&list, "  %-8s %s\n", c.name+":", c.short)
		}
		dir, err := cacheDir()
		if err != nil {
			dir = "no directory: " + err.Error()
		}
		fmt.Fprintf(a.stdout, rootHelp, list.String(), dir)
		return nil
	}
	cmds, name := commands, "ibauth"
	var c *command
	for _, p := range path {
		if c = find(cmds, p); c == nil {
			return usageErrorf("ibauth", "unknown help topic %q", strings.Join(path, " "))
		}
		name += " " + c.name
		cmds = c.subs
	}
	return printHelp(a.stdout, c, name)
}

func find(cmds []*command, name string) *command {
	for _, c := range cmds {
		if c.name == name {
			return c
		}
	}
	return nil
}

// version is the module version ibauth was built from.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// printErr writes msg to stderr after "ibauth: ", with every secret of the
// run redacted: an error can quote a server that echoed one its request
// did not carry, which the library cannot know of.
func (a *app) printErr(msg string) {
	fmt.Fprintln(a.stderr, "ibauth: "+a.secrets.inWords().Text(msg))
}
