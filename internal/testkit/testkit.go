// Package testkit holds what the tests of several packages in this module
// share: a buffer that concurrent log handlers may write to, a search for
// a secret among every value reachable from another, and the encodings a
// server may echo a secret in.
package testkit

import (
	"bytes"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// SyncBuffer is a bytes.Buffer safe for concurrent writers, such as slog
// handlers called from every request's goroutine.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// FindReachable walks every value reachable from v (unexported fields,
// pointers, maps, interfaces and slices included) and returns the path to
// the first string or byte slice that contains secret, or ok=false. It
// does not enter values of the packages under skip (such as "net/http",
// whose buffers may hold a request written earlier, beyond what an
// application controls). Closures cannot be walked: keep secrets out of
// them by design.
func FindReachable(v any, secret string, skip ...string) (path string, ok bool) {
	seen := map[uintptr]bool{}
	var walk func(path string, v reflect.Value) (string, bool)
	walk = func(path string, v reflect.Value) (string, bool) {
		if !v.IsValid() {
			return "", false
		}
		for _, p := range skip {
			if strings.HasPrefix(v.Type().PkgPath(), p) {
				return "", false
			}
		}
		switch v.Kind() {
		case reflect.String:
			if strings.Contains(v.String(), secret) {
				return path, true
			}
		case reflect.Pointer, reflect.Interface:
			if v.IsNil() {
				return "", false
			}
			if v.Kind() == reflect.Pointer {
				if seen[v.Pointer()] {
					return "", false
				}
				seen[v.Pointer()] = true
			}
			return walk(path, v.Elem())
		case reflect.Struct:
			for i := range v.NumField() {
				if p, ok := walk(path+"."+v.Type().Field(i).Name, v.Field(i)); ok {
					return p, true
				}
			}
		case reflect.Slice, reflect.Array:
			if v.Type().Elem().Kind() == reflect.Uint8 {
				b := make([]byte, v.Len())
				for i := range b {
					b[i] = byte(v.Index(i).Uint()) // works on unexported fields, unlike reflect.Copy
				}
				if strings.Contains(string(b), secret) {
					return path, true
				}
				return "", false
			}
			for i := range v.Len() {
				if p, ok := walk(path+"["+strconv.Itoa(i)+"]", v.Index(i)); ok {
					return p, true
				}
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				if p, ok := walk(path+"[key]", k); ok {
					return p, true
				}
				if p, ok := walk(path+"[value]", v.MapIndex(k)); ok {
					return p, true
				}
			}
		}
		return "", false
	}
	return walk("", reflect.ValueOf(v))
}
