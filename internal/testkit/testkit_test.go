package testkit

import (
	"errors"
	"maps"
	"strconv"
	"sync"
	"testing"
)

type inner struct {
	m map[string][]byte
}

type outer struct {
	name  string
	next  *outer
	any   any
	inner inner
}

func TestFindReachable(t *testing.T) {
	o := &outer{name: "a", any: []string{"x"}, inner: inner{m: map[string][]byte{"k": []byte("has s3cret inside")}}}
	o.next = o // a cycle ends the walk
	path, ok := FindReachable(o, "s3cret")
	if !ok || path != ".inner.m[value]" {
		t.Fatalf("FindReachable = %q, %v", path, ok)
	}
	if _, ok := FindReachable(o, "absent"); ok {
		t.Fatal("found what is not there")
	}
	if _, ok := FindReachable(o, "s3cret", "github.com/ibkit/auth/internal/testkit"); ok {
		t.Fatal("walked into a skipped package")
	}
}

func TestSyncBuffer(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { b.Write([]byte("x")) })
	}
	wg.Wait()
	if b.String() != "xxxxxxxxxx" {
		t.Fatalf("got %q", b.String())
	}
}

func TestTally(t *testing.T) {
	seen, errs := Tally([]int{1, 2, 3, 4, 5}, func(i int) (string, error) {
		if i == 5 {
			return "", errors.New("five")
		}
		return strconv.Itoa(i % 2), nil
	})
	if want := map[string]int{"0": 2, "1": 2}; !maps.Equal(seen, want) || len(errs) != 1 {
		t.Fatalf("Tally = %v, %v; want %v and one error", seen, errs, want)
	}
}
