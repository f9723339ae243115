package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// command is a command of ibauth, or a group of them (subs).
type command struct {
	name    string
	short   string // one line, for the list of commands
	usage   string // the synopsis, after "USAGE"
	long    string // what it does
	example string // lines starting "$ "
	subs    []*command
	// setup registers the command's flags on f and returns the function
	// that runs it with the positional arguments.
	setup func(f *flagSet) runFunc
}

type runFunc func(ctx context.Context, a *app, args []string) error

// exitError is an error with the exit code it calls for. An empty err
// means the problem was already reported.
type exitError struct {
	code int
	err  error
	hint string // a line after the message, such as where to read usage
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErrorf is a usage error (exit 2) of the command at path.
func usageErrorf(path, format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...), hint: usageHint(path)}
}

// usageError is a usage error whose hint run adds.
func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

func usageHint(path string) string { return "Run '" + path + " --help' for usage." }

// configError is a configuration error (exit 3): IB_* variables missing,
// invalid or ambiguous.
func configError(err error) error {
	return &exitError{code: exitConfig, err: err}
}

// reported is the error of a failure already shown on stderr.
var reported = &exitError{code: exitFailure}

var errHelp = flag.ErrHelp

// flagSet is a flag.FlagSet whose flags may have a one-letter alias, and
// which prints them as gh does: "-X, --method METHOD".
type flagSet struct {
	fs   *flag.FlagSet
	docs []flagDoc
}

type flagDoc struct {
	short, long, arg, usage string
	inherited               bool
}

func newFlagSet(name string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by the caller
	fs.Usage = func() {}
	return &flagSet{fs: fs}
}

// stringVar defines --long (and -short) ARG.
func (f *flagSet) stringVar(p *string, short, long, arg, usage string) {
	f.fs.StringVar(p, long, *p, usage)
	if short != "" {
		f.fs.StringVar(p, short, *p, usage)
	}
	f.docs = append(f.docs, flagDoc{short: short, long: long, arg: arg, usage: usage})
}

// boolVar defines --long (and -short).
func (f *flagSet) boolVar(p *bool, short, long, usage string) {
	f.fs.BoolVar(p, long, *p, usage)
	if short != "" {
		f.fs.BoolVar(p, short, *p, usage)
	}
	f.docs = append(f.docs, flagDoc{short: short, long: long, usage: usage})
}

// listVar defines --long (and -short) ARG, which may be repeated.
func (f *flagSet) listVar(p *[]string, short, long, arg, usage string) {
	f.valueVar((*listValue)(p), short, long, arg, usage)
}

// valueVar defines --long (and -short) ARG, read by v.
func (f *flagSet) valueVar(v flag.Value, short, long, arg, usage string) {
	f.fs.Var(v, long, usage)
	if short != "" {
		f.fs.Var(v, short, usage)
	}
	f.docs = append(f.docs, flagDoc{short: short, long: long, arg: arg, usage: usage})
}

// inherited defines the flags every command takes.
func (f *flagSet) inherited(debug *bool) {
	f.fs.BoolVar(debug, "debug", *debug, "")
	f.docs = append(f.docs,
		flagDoc{long: "debug", usage: "Show each HTTP request and response head on stderr, credentials redacted", inherited: true},
		flagDoc{long: "help", usage: "Show help for this command", inherited: true})
}

// parse parses args, flags and positional arguments in any order, as
// people used to gh and kubectl type them. "--" ends the flags. A flag is
// written with one dash or two, its value after "=" or as the next
// argument, as the flag package reads them; errors name the flag as it was
// typed, which the flag package does not.
func (f *flagSet) parse(args []string) ([]string, error) {
	var pos []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			return append(pos, args[i+1:]...), nil
		}
		if len(arg) < 2 || arg[0] != '-' {
			pos = append(pos, arg)
			continue
		}
		typed, value, hasValue := strings.Cut(arg, "=")
		name := strings.TrimPrefix(typed[1:], "-")
		if name == "" || name[0] == '-' {
			return nil, fmt.Errorf("bad flag syntax: %s", arg)
		}
		fl := f.fs.Lookup(name)
		if fl == nil {
			if name == "h" || name == "help" {
				return nil, errHelp
			}
			return nil, fmt.Errorf("unknown flag: %s", typed)
		}
		if b, ok := fl.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			if !hasValue {
				value = "true"
			}
			if err := fl.Value.Set(value); err != nil {
				return nil, fmt.Errorf("invalid value %q for %s: use true or false", value, typed)
			}
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				return nil, fmt.Errorf("flag needs an argument: %s", typed)
			}
			i++
			value = args[i]
		}
		if err := fl.Value.Set(value); err != nil {
			return nil, fmt.Errorf("invalid value %q for %s: %v", value, typed, err)
		}
	}
	return pos, nil
}

type listValue []string

func (l *listValue) String() string { return strings.Join(*l, ", ") }

func (l *listValue) Set(v string) error {
	*l = append(*l, v)
	return nil
}

func isHelpFlag(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

// printHelp prints the help of c, named path ("ibauth keys rotate").
func printHelp(w io.Writer, c *command, path string) error {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(c.long))
	b.WriteString("\n\nUSAGE\n  " + c.usage + "\n")
	if len(c.subs) > 0 {
		b.WriteString("\nCOMMANDS\n")
		for _, s := range c.subs {
			fmt.Fprintf(&b, "  %-8s %s\n", s.name+":", s.short)
		}
	}
	if c.setup != nil {
		f := newFlagSet(path)
		c.setup(f)
		var debug bool
		f.inherited(&debug)
		f.cacheFlag(new(bool))
		writeFlags(&b, "FLAGS", f.docs, false)
		writeFlags(&b, "INHERITED FLAGS", f.docs, true)
	}
	if c.example != "" {
		b.WriteString("\nEXAMPLES\n")
		for line := range strings.SplitSeq(strings.TrimSpace(c.example), "\n") {
			b.WriteString("  " + strings.TrimSpace(line) + "\n")
		}
	}
	b.WriteString("\nLEARN MORE\n")
	if len(c.subs) > 0 {
		b.WriteString("  Use '" + path + " <command> --help' for more about a command.\n")
	}
	b.WriteString("  Use 'ibauth --help' for the environment variables, the credential cache and\n  the exit codes.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func writeFlags(b *strings.Builder, title string, docs []flagDoc, inherited bool) {
	var names []string
	var usages []string
	width := 0
	for _, d := range docs {
		if d.inherited != inherited {
			continue
		}
		n := "    --" + d.long
		if d.short != "" {
			n = "-" + d.short + ", --" + d.long
		}
		if d.arg != "" {
			n += " " + d.arg
		}
		names = append(names, n)
		usages = append(usages, d.usage)
		width = max(width, len(n))
	}
	if len(names) == 0 {
		return
	}
	b.WriteString("\n" + title + "\n")
	for i, n := range names {
		fmt.Fprintf(b, "  %-*s  %s\n", width, n, usages[i])
	}
}

// isTerminal reports whether f is a terminal, or whether IBAUTH_FORCE_TTY
// asks to treat standard output as one.
func isTerminal(f *os.File) bool {
	if f == os.Stdout {
		if v := os.Getenv("IBAUTH_FORCE_TTY"); v != "" {
			return v != "0" && v != "false"
		}
	}
	return term.IsTerminal(int(f.Fd()))
}

// shellQuote returns s as one word for a POSIX shell: as it is when that
// is safe, which keeps the export lines easy to read for other programs,
// else in single quotes.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@%+,=", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// printable returns s with control characters escaped, for a table cell:
// a name from the API must not move the cursor or break a row.
func printable(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) }) < 0 {
		return s
	}
	q := fmt.Sprintf("%q", s)
	return q[1 : len(q)-1]
}
