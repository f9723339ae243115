package filestore

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/ibkit/auth"
)

// The fuzz target's fixed world: one entry name, one clock, one Key.
const fuzzName = "bearer-00112233445566778899aabbccddeeff-a1b2c3d4e5f6"

var (
	fuzzNow = time.Unix(1_800_000_000, 0)
	fuzzKey = []byte("0123456789abcdef0123456789abcdef")
)

func fuzzStores(t testing.TB) (keyed, clear *Store) {
	t.Helper()
	var err error
	if keyed, err = New(filepath.Join(t.TempDir(), "k"), &Options{Key: fuzzKey}); err != nil {
		t.Fatal(err)
	}
	if clear, err = New(filepath.Join(t.TempDir(), "c"), nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { keyed.Close(); clear.Close() })
	return keyed, clear
}

var decodeErrors = []error{errTruncated, errMagic, errVersion, errEncoding, errForeign, errNoKey, errClear, errOpen, errJSON, errName, errExpired}

// FuzzDecodeRecord: whatever a file holds, decoding it does not panic,
// fails with one of the fixed reasons (never echoing the bytes), or yields
// a token that encodes and decodes to itself. A sealed record is accepted
// only by the store with its Key, a clear one only by the store without.
func FuzzDecodeRecord(f *testing.F) {
	keyed, clear := fuzzStores(f)
	// More seeds, valid records among them, in testdata/fuzz.
	f.Add([]byte{})
	f.Add([]byte("IBFS\x01c\x00\x00\x00\x00\x00\x00{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		orig := bytes.Clone(b)
		for _, s := range []*Store{keyed, clear} {
			got, err := s.decode(fuzzName, b, fuzzNow)
			if !bytes.Equal(b, orig) {
				t.Fatal("decode changed its input")
			}
			if err != nil {
				if got != nil {
					t.Fatal("a token and an error")
				}
				known := false
				for _, e := range decodeErrors {
					known = known || errors.Is(err, e)
				}
				if !known {
					t.Fatalf("unexpected error %v", err)
				}
				continue
			}
			if got == nil {
				t.Fatal("neither token nor error")
			}
			if sealed := b[len(magic)+1] == tagSealed; sealed != (s == keyed) {
				t.Fatalf("sealed=%v record accepted by the wrong store", sealed)
			}
			re, err := s.encode(fuzzName, got, fuzzNow.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			again, err := s.decode(fuzzName, re, fuzzNow)
			if err != nil {
				t.Fatal(err)
			}
			if again.Scheme != got.Scheme || again.Value != got.Value || !again.Expiry.Equal(got.Expiry) ||
				!again.LastUse.Equal(got.LastUse) || !again.Created.Equal(got.Created) || again.Renewals != got.Renewals {
				t.Fatalf("round trip changed the token")
			}
			if _, err := s.decode(fuzzName+"0", b, fuzzNow); err == nil {
				t.Fatal("a record answered for another entry's name")
			}
		}
	})
}

// The seal binds the header and the name on its own, apart from the name
// inside the record.
func TestSealIsBoundToTheEntryName(t *testing.T) {
	keyed, _ := fuzzStores(t)
	b, err := keyed.encode(fuzzName, &auth.StoredToken{Scheme: "Bearer", Value: "v"}, fuzzNow.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	n := keyed.aead.NonceSize()
	nonce := b[headerLen : headerLen+n]
	js, err := keyed.aead.Open(nil, nonce, b[headerLen+n:], keyed.aad(b[:headerLen], fuzzName))
	if err != nil {
		t.Fatal(err)
	}
	// The same record sealed for another name: only the seal is wrong.
	moved := append(bytes.Clone(b[:headerLen+n]), keyed.aead.Seal(nil, nonce, js, keyed.aad(b[:headerLen], fuzzName+"x"))...)
	if _, err := keyed.decode(fuzzName, moved, fuzzNow); !errors.Is(err, errOpen) {
		t.Fatalf("decode of a record sealed for another name: %v, want %v", err, errOpen)
	}
	if _, err := keyed.decode(fuzzName, b, fuzzNow); err != nil {
		t.Fatalf("the original: %v", err)
	}
}
