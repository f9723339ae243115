package filestore

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"time"

	"github.com/ibkit/auth"
)

// A record on disk:
//
//	"IBFS" | version 1 | tag 'c' (clear) or 'e' (sealed) | key id, 6 bytes (zero in clear) | body
//
// The body is the JSON of [record] in clear, or a 12-byte nonce and its
// AES-GCM seal with the header and the entry's name as additional data:
// a record copied under another name, or its header altered, does not
// open. The JSON names the entry too, so that in clear as well a record
// answers only for its own key.
const (
	magic     = "IBFS"
	version   = 1
	tagClear  = 'c'
	tagSealed = 'e'
	kidLen    = 6
	headerLen = len(magic) + 2 + kidLen
	maxRecord = 64 << 10 // a token is well under 8 KiB; more is not ours
)

// record is a token as it is encoded on disk.
type record struct {
	Name     string    `json:"n"`
	Scheme   string    `json:"s"`
	Value    string    `json:"v"`
	Expiry   time.Time `json:"e,omitzero"`
	LastUse  time.Time `json:"u,omitzero"`
	Created  time.Time `json:"c,omitzero"`
	Renewals int       `json:"r,omitempty"`
	Deadline time.Time `json:"d"` // the entry's TTL ends: absent from then on
}

// encode makes the record of t for the entry named name, valid until
// deadline.
func (s *Store) encode(name string, t *auth.StoredToken, deadline time.Time) ([]byte, error) {
	js, err := json.Marshal(record{name, t.Scheme, t.Value, t.Expiry, t.LastUse, t.Created, t.Renewals, deadline})
	if err != nil {
		return nil, err
	}
	out := append(make([]byte, 0, headerLen+12+len(js)+16), magic...)
	out = append(out, version, tagClear)
	out = append(out, make([]byte, kidLen)...)
	if s.aead == nil {
		return append(out, js...), nil
	}
	out[len(magic)+1] = tagSealed
	copy(out[len(magic)+2:], s.kid[:])
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce) // never fails (crypto/rand crashes the program instead)
	out = append(out, nonce...)
	return s.aead.Seal(out, nonce, js, s.aad(out[:headerLen], name)), nil
}

func (s *Store) aad(header []byte, name string) []byte {
	return append(append(bytes.Clone(header), 0), name...)
}

// Why a record is not used. The texts never include the record's bytes.
var (
	errTruncated = errors.New("record is truncated")
	errMagic     = errors.New("not a filestore record")
	errVersion   = errors.New("record has an unknown version")
	errEncoding  = errors.New("record has an unknown encoding")
	errForeign   = errors.New("record is sealed with another Key")
	errNoKey     = errors.New("record is encrypted and this store has no Key")
	errClear     = errors.New("record is in clear but this store has a Key")
	errOpen      = errors.New("record does not decrypt (tampered, or moved from another entry)")
	errJSON      = errors.New("record is not valid JSON")
	errName      = errors.New("record belongs to another entry")
	errExpired   = errors.New("record has expired")
)

// decode returns the token in the record b of the entry named name, at
// now, or why it is not to be used.
func (s *Store) decode(name string, b []byte, now time.Time) (*auth.StoredToken, error) {
	if len(b) < headerLen {
		return nil, errTruncated
	}
	if len(b) > maxRecord {
		return nil, errTruncated
	}
	if string(b[:len(magic)]) != magic {
		return nil, errMagic
	}
	if b[len(magic)] != version {
		return nil, errVersion
	}
	header, kid, js := b[:headerLen], b[len(magic)+2:headerLen], b[headerLen:]
	switch tag := b[len(magic)+1]; {
	case tag == tagSealed && s.aead == nil:
		return nil, errNoKey
	case tag == tagSealed:
		if !bytes.Equal(kid, s.kid[:]) {
			return nil, errForeign
		}
		n := s.aead.NonceSize()
		if len(js) < n+s.aead.Overhead() {
			return nil, errTruncated
		}
		var err error
		if js, err = s.aead.Open(nil, js[:n], js[n:], s.aad(header, name)); err != nil {
			return nil, errOpen
		}
	case tag == tagClear && s.aead != nil:
		// With a Key, a record in clear is left over from before
		// encryption, or planted.
		return nil, errClear
	case tag != tagClear:
		return nil, errEncoding
	}
	var r record
	if err := json.Unmarshal(js, &r); err != nil {
		return nil, errJSON
	}
	if r.Name != name {
		return nil, errName
	}
	if !now.Before(r.Deadline) {
		return nil, errExpired
	}
	return &auth.StoredToken{
		Scheme: r.Scheme, Value: r.Value, Expiry: r.Expiry, LastUse: r.LastUse, Created: r.Created, Renewals: r.Renewals,
	}, nil
}
