package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// fieldArg is one -f or -F argument. Both flags append to one list, so
// that fields apply in the order they were given: the order decides which
// object of an array a key like k[][a] lands in.
type fieldArg struct {
	typed bool // -F
	arg   string
}

// fieldFlag is the flag.Value of -f (typed false) or -F (typed true).
type fieldFlag struct {
	list  *[]fieldArg
	typed bool
}

func (f fieldFlag) String() string { return "" }

func (f fieldFlag) Set(v string) error {
	*f.list = append(*f.list, fieldArg{f.typed, v})
	return nil
}

// field is a parsed -f or -F argument.
type field struct {
	flag  string   // "--raw-field" or "--field", for errors
	key   string   // as written, before "="
	path  []string // the key's name, then each [key]; "" stands for []
	set   bool     // the argument has "=": k[] alone is an empty array
	value any      // the JSON value
	query string   // the value as a query parameter
}

// parseFields reads the -f and -F arguments. stdin is read for a -F
// value "@-", at most once, and not if --input - reads it
// (inputIsStdin).
func parseFields(args []fieldArg, stdin io.Reader, inputIsStdin bool) ([]field, error) {
	var fields []field
	stdinReader := "" // what read stdin
	if inputIsStdin {
		stdinReader = "--input -"
	}
	for _, a := range args {
		f := field{flag: "--raw-field"}
		if a.typed {
			f.flag = "--field"
		}
		k, v, set := strings.Cut(a.arg, "=")
		f.key, f.set = k, set
		if k == "" {
			return nil, usageError("%s %q: write it as key=value", f.flag, k)
		}
		var err error
		if f.path, err = parseKey(k); err != nil {
			return nil, usageError("%s %q: %v", f.flag, k, err)
		}
		if !set && f.path[len(f.path)-1] != "" {
			return nil, usageError("%s %q: write it as key=value", f.flag, k)
		}
		f.value, f.query = v, v
		if a.typed && set {
			if err := f.readTyped(v, stdin, &stdinReader); err != nil {
				return nil, err
			}
		}
		fields = append(fields, f)
	}
	return fields, nil
}

// readTyped sets the value of a -F field from v: true, false, null, a
// number, or the contents of standard input (@-) or of a file (@path).
// stdinReader names what read stdin already, if anything.
func (f *field) readTyped(v string, stdin io.Reader, stdinReader *string) error {
	switch {
	case v == "true" || v == "false":
		f.value = v == "true"
	case v == "null":
		f.value = nil
	case isNumber(v):
		f.value = json.Number(v)
	case v == "@-":
		if *stdinReader != "" {
			return usageError("%s %q: standard input is read once, and %s reads it already", f.flag, f.key, *stdinReader)
		}
		*stdinReader = fmt.Sprintf("%s %q", f.flag, f.key)
		b, err := io.ReadAll(stdin)
		if err != nil {
			return usageError("%s %q: reading standard input: %v", f.flag, f.key, err)
		}
		f.value, f.query = string(b), string(b)
	case strings.HasPrefix(v, "@"):
		b, err := os.ReadFile(v[1:])
		if err != nil {
			return usageError("%s %q: %v", f.flag, f.key, err)
		}
		f.value, f.query = string(b), string(b)
	}
	return nil
}

// parseKey splits a key such as messages[][destinations][][to] into its
// parts: "messages", "", "destinations", "", "to".
func parseKey(k string) ([]string, error) {
	name, rest := k, ""
	if i := strings.IndexByte(k, '['); i >= 0 {
		name, rest = k[:i], k[i:]
	}
	if name == "" {
		return nil, fmt.Errorf("a key starts with a name, as in name[key]")
	}
	if strings.Contains(name, "]") {
		return nil, fmt.Errorf("write nested keys as name[key][key]")
	}
	path := []string{name}
	for rest != "" {
		if rest[0] != '[' {
			return nil, fmt.Errorf("write nested keys as name[key][key]")
		}
		end := strings.IndexAny(rest[1:], "[]")
		if end < 0 || rest[1+end] != ']' {
			return nil, fmt.Errorf("a [ without its ]")
		}
		sub := rest[1 : 1+end]
		if sub == "" && path[len(path)-1] == "" {
			return nil, fmt.Errorf("arrays of arrays cannot be written as fields; send the body with --input")
		}
		path = append(path, sub)
		rest = rest[2+end:]
	}
	return path, nil
}

// bodyOf builds the JSON object fields describe, as gh api does: k[sub]
// makes an object, k[] an array. In an array of objects, k[][a] adds a to
// the last object, unless that object already has a (other than as an
// array, which k[][a][] adds to): then it starts a new object. So the
// fields of one object come together, and a repeated key begins the next.
func bodyOf(fields []field) (map[string]any, error) {
	root := make(map[string]any)
	for _, f := range fields {
		if err := f.place(root); err != nil {
			return nil, usageError("%s %q: %v", f.flag, f.key, err)
		}
	}
	return root, nil
}

// place puts f's value into root.
func (f field) place(root map[string]any) error {
	m := root
	p := f.path
	for i := 0; ; {
		name, isArray := p[i], i+1 < len(p) && p[i+1] == ""
		shown := showKey(p[:i+1])
		next := i + 1
		if isArray {
			next++
		}
		if next == len(p) {
			return setLast(m, name, shown, isArray, f.set, f.value)
		}
		v, exists := m[name]
		switch {
		case isArray:
			s, ok := v.([]any)
			if exists && !ok {
				return fmt.Errorf("%s is already set to a value that is not an array", shown)
			}
			last, reuse := lastObject(s)
			if cur, taken := last[p[next]]; reuse && taken {
				_, isList := cur.([]any)
				reuse = isList
			}
			if !reuse {
				last = make(map[string]any)
				m[name] = append(s, last)
			}
			m = last
		case exists:
			obj, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("%s is already set to a value that is not an object", shown)
			}
			m = obj
		default:
			obj := make(map[string]any)
			m[name] = obj
			m = obj
		}
		i = next
	}
}

// setLast sets the last part of a key: name, or name[] if isArray.
func setLast(m map[string]any, name, shown string, isArray, set bool, value any) error {
	v, exists := m[name]
	if !isArray {
		if exists {
			return fmt.Errorf("%s is already set", shown)
		}
		m[name] = value
		return nil
	}
	s, ok := v.([]any)
	if exists && !ok {
		return fmt.Errorf("%s is already set to a value that is not an array", shown)
	}
	if s == nil {
		s = []any{}
	}
	if set {
		s = append(s, value)
	}
	m[name] = s
	return nil
}

// lastObject returns the last element of s if it is an object.
func lastObject(s []any) (map[string]any, bool) {
	if len(s) == 0 {
		return nil, false
	}
	m, ok := s[len(s)-1].(map[string]any)
	return m, ok
}

// showKey writes the parts of a key back as typed: a[b][].
func showKey(p []string) string {
	var b strings.Builder
	b.WriteString(p[0])
	for _, s := range p[1:] {
		b.WriteString("[" + s + "]")
	}
	return b.String()
}

// queryOf adds fields to q as query parameters, which have no nesting:
// why is the error a nested key gets.
func queryOf(q url.Values, fields []field, why string) error {
	for _, f := range fields {
		if len(f.path) > 1 {
			return usageError("%s %q: %s", f.flag, f.key, why)
		}
		q.Add(f.key, f.query)
	}
	return nil
}

// isNumber reports whether v is a JSON number.
func isNumber(v string) bool {
	if v == "" || !(v[0] == '-' || v[0] >= '0' && v[0] <= '9') {
		return false
	}
	_, err := strconv.ParseFloat(v, 64)
	return err == nil && json.Valid([]byte(v))
}
