// Command modproxy writes modules from directories into a file-based
// module proxy, the layout GOPROXY=file://DIR reads: for each module
// DIR/<path>/@v/list, and <version>.info, .mod and .zip.
//
//	go run ./.ci/modproxy -o PROXY [-git] [-license FILE] MODDIR@VERSION...
//
// A zip holds what the go command would put in it had it fetched the
// version from the repository: every regular file of the module's
// directory under <path>@<version>/, without the directories of nested
// modules (those holding a go.mod), version control directories and
// vendored packages. With -git, files git ignores are left out too, as a
// tag would not hold them. With -license, a module without a LICENSE file
// gets that one, as a module in a repository's subdirectory gets the
// repository's LICENSE from the go command.
//
// .ci/stranger serves the repository's modules from such a proxy.
package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	out := flag.String("o", "", "the proxy `directory` to write into (created if missing)")
	useGit := flag.Bool("git", false, "leave out the files git ignores")
	license := flag.String("license", "", "the LICENSE `file` for modules without one")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: modproxy -o PROXY [-git] [-license FILE] MODDIR@VERSION...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	for _, arg := range flag.Args() {
		i := strings.LastIndex(arg, "@")
		if i < 0 {
			fail(fmt.Errorf("%s: want MODDIR@VERSION", arg))
		}
		if err := write(*out, arg[:i], arg[i+1:], *useGit, *license); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "modproxy:", err)
	os.Exit(1)
}

// write adds the module in dir to the proxy at out as version.
func write(out, dir, version string, useGit bool, license string) error {
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return err
	}
	modPath, err := modulePath(gomod)
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	files, err := moduleFiles(dir, useGit)
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	if license != "" && !slices.Contains(files, "LICENSE") {
		files = append(files, "LICENSE")
		slices.Sort(files)
	}
	zipData, err := moduleZip(modPath, version, dir, files, license)
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	info, err := json.Marshal(struct{ Version, Time string }{version, time.Now().UTC().Format(time.RFC3339)})
	if err != nil {
		return err
	}

	escPath, err := escape(modPath)
	if err != nil {
		return err
	}
	escVersion, err := escape(version)
	if err != nil {
		return err
	}
	vdir := filepath.Join(out, filepath.FromSlash(escPath), "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return err
	}
	for ext, data := range map[string][]byte{".info": info, ".mod": gomod, ".zip": zipData} {
		if err := os.WriteFile(filepath.Join(vdir, escVersion+ext), data, 0o644); err != nil {
			return err
		}
	}
	return addToList(filepath.Join(vdir, "list"), version)
}

// modulePath returns the path the go.mod file declares.
func modulePath(gomod []byte) (string, error) {
	for line := range strings.Lines(string(gomod)) {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "module" {
			continue
		}
		p := f[1]
		if strings.HasPrefix(p, `"`) || strings.HasPrefix(p, "`") {
			var err error
			if p, err = strconv.Unquote(p); err != nil {
				return "", fmt.Errorf("go.mod: module path %s: %w", f[1], err)
			}
		}
		return p, nil
	}
	return "", errors.New("go.mod declares no module path")
}

// moduleFiles returns the slash-separated names, relative to dir, of the
// files that belong in the module's zip, sorted.
func moduleFiles(dir string, useGit bool) ([]string, error) {
	var keep map[string]bool
	if useGit {
		// Tracked files and untracked ones git does not ignore: what a
		// commit of this tree would hold.
		cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
		cmd.Dir = dir
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		listed, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("git ls-files: %v: %s", err, bytes.TrimSpace(stderr.Bytes()))
		}
		keep = make(map[string]bool)
		for name := range strings.SplitSeq(strings.TrimSuffix(string(listed), "\x00"), "\x00") {
			keep[name] = true
		}
	}

	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if d.IsDir() {
			if name == "." {
				return nil
			}
			switch d.Name() {
			case ".git", ".hg", ".svn", ".bzr":
				return filepath.SkipDir
			}
			if fi, err := os.Lstat(filepath.Join(p, "go.mod")); err == nil && fi.Mode().IsRegular() {
				return filepath.SkipDir // another module
			}
			return nil
		}
		// Symbolic links and other irregular files are never in a zip.
		if !d.Type().IsRegular() || vendored(name) || (keep != nil && !keep[name]) {
			return nil
		}
		files = append(files, name)
		return nil
	})
	slices.Sort(files)
	return files, err
}

// vendored reports whether a file is left out as part of a vendor
// directory: any file below a vendor directory's own files, and
// vendor/modules.txt (for modules declaring go 1.24 or later, as ours do).
func vendored(name string) bool {
	if name == "vendor/modules.txt" {
		return true
	}
	var rest string
	if after, ok := strings.CutPrefix(name, "vendor/"); ok {
		rest = after
	} else if _, after, ok := strings.Cut(name, "/vendor/"); ok {
		rest = after
	} else {
		return false
	}
	return strings.Contains(rest, "/")
}

// moduleZip returns the zip of files from dir, each under
// modPath@version/. LICENSE, when not in dir, is read from license.
func moduleZip(modPath, version, dir string, files []string, license string) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range files {
		src := filepath.Join(dir, filepath.FromSlash(name))
		if name == "LICENSE" {
			if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
				src = license
			}
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return nil, err
		}
		w, err := zw.Create(path.Join(modPath+"@"+version, name))
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// escape returns a module path or version as a proxy names it: each
// upper-case letter as '!' and the letter in lower case.
func escape(s string) (string, error) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '!' || r >= 0x80:
			return "", fmt.Errorf("%q: cannot escape %q", s, r)
		case 'A' <= r && r <= 'Z':
			b.WriteByte('!')
			b.WriteRune(r + ('a' - 'A'))
		default:
			b.WriteRune(r)
		}
	}
	return b.String(), nil
}

// addToList adds version to the proxy's list of a module's versions.
func addToList(file, version string) error {
	data, err := os.ReadFile(file)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	versions := strings.Fields(string(data))
	if !slices.Contains(versions, version) {
		versions = append(versions, version)
	}
	return os.WriteFile(file, []byte(strings.Join(versions, "\n")+"\n"), 0o644)
}
