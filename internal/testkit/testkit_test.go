package testkit

import (
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
