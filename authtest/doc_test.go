package authtest_test

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// fidelity returns the items of the Fidelity section of the package
// documentation, each on one line.
func fidelity(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	require.NoError(t, err)
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		require.NoError(t, err)
		files = append(files, f)
	}
	p, err := doc.NewFromFiles(fset, files, "github.com/ibkit/auth/authtest")
	require.NoError(t, err)
	_, section, ok := strings.Cut(p.Doc, "\n# Fidelity\n")
	require.True(t, ok, "no Fidelity section")
	section, _, _ = strings.Cut(section, "\n# ")
	var items []string
	for _, item := range strings.Split(section, "\n  - ")[1:] {
		item, _, _ = strings.Cut(item, "\n\n")
		items = append(items, strings.Join(strings.Fields(item), " "))
	}
	require.NotEmpty(t, items)
	return items
}

// TestFidelityMarksAssumptions: the Fidelity section says which behaviours
// are assumptions, and where those Infobip documents come from. Each
// behaviour below is named in an item that says so.
func TestFidelityMarksAssumptions(t *testing.T) {
	items := fidelity(t)
	for _, tc := range []struct {
		behaviour *regexp.Regexp // names the behaviour in an item
		says      []string       // what that item must say too
	}{
		{regexp.MustCompile(`\b415\b`), []string{"assumption"}},
		{regexp.MustCompile(`orderBy values`), []string{"assumption"}},
		{regexp.MustCompile(`query string`), []string{"assumption", "Node SDK", "@infobip-api/sdk 0.3.2"}},
		{regexp.MustCompile(`\[ClientID\]`), []string{"assumption"}},
		{regexp.MustCompile(`each use starting the period again`), []string{"one hour of inactivity", "predefined period of inactivity"}},
		{regexp.MustCompile(`Date header`), []string{"clock"}},
		{regexp.MustCompile(`\[RouteSendSMSAdvanced\]`), []string{"SMSResponse", "Node SDK"}},
	} {
		var found []string
		for _, item := range items {
			if tc.behaviour.MatchString(item) {
				found = append(found, item)
			}
		}
		require.NotEmpty(t, found, "no item names %s", tc.behaviour)
		for _, want := range tc.says {
			require.True(t, strings.Contains(strings.Join(found, "\n"), want),
				"the items naming %s do not say %q:\n%s", tc.behaviour, want, strings.Join(found, "\n"))
		}
	}
	// The idle time is documented: it is not called an assumption.
	for _, item := range items {
		require.NotContains(t, item, "the reference does not say that use extends it")
	}
}
