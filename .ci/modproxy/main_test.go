package main

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestModuleFiles checks which files of a module's directory go into its
// zip, on a tree holding one of each kind the go command leaves out.
func TestModuleFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{
		"go.mod", "a.go", ".ci/run", "testdata/x.txt",
		"vendor/modules.txt", "vendor/example.com/p/p.go", "vendor/README",
		"pkg/vendor/q/q.go", "pkg/vendor/v.go",
		"nested/go.mod", "nested/n.go", "nested/deeper/d.go",
		".git/HEAD", "sub/.hg/store",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("a.go", filepath.Join(dir, "link.go")); err != nil {
		t.Fatal(err)
	}

	got, err := moduleFiles(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".ci/run", "a.go", "go.mod", "pkg/vendor/v.go", "testdata/x.txt", "vendor/README"}
	if !slices.Equal(got, want) {
		t.Errorf("moduleFiles = %q, want %q", got, want)
	}
}

// TestWrite checks the proxy layout and a zip's names, with a LICENSE
// lent to a module that has none.
func TestWrite(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	gomod := "module example.com/Upper/m\n\ngo 1.26.0\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	license := filepath.Join(t.TempDir(), "LICENSE")
	if err := os.WriteFile(license, []byte("the license"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"v0.3.0", "v0.4.0", "v0.3.0"} {
		if err := write(out, dir, v, false, license); err != nil {
			t.Fatal(err)
		}
	}

	vdir := filepath.Join(out, "example.com", "!upper", "m", "@v")
	if list, err := os.ReadFile(filepath.Join(vdir, "list")); err != nil || string(list) != "v0.3.0\nv0.4.0\n" {
		t.Errorf("list = %q, %v; want v0.3.0 and v0.4.0, once each", list, err)
	}
	if mod, err := os.ReadFile(filepath.Join(vdir, "v0.3.0.mod")); err != nil || string(mod) != gomod {
		t.Errorf("v0.3.0.mod = %q, %v; want the go.mod file", mod, err)
	}
	data, err := os.ReadFile(filepath.Join(vdir, "v0.3.0.zip"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	want := []string{"example.com/Upper/m@v0.3.0/LICENSE", "example.com/Upper/m@v0.3.0/go.mod"}
	if !slices.Equal(names, want) {
		t.Errorf("zip holds %q, want %q", names, want)
	}
}
