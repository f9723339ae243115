// Package redisstore is an [auth.Store] on Redis: the replicas of a fleet
// share one OAuth token per expiry and one IBSSO session per identity.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379"})
//	st, err := redisstore.New(rdb, &redisstore.Options{Key: key}) // key: 32 bytes, the same on every replica
//	a, err := auth.NewOAuth(auth.OAuthConfig{BaseURL: baseURL, ClientID: id, ClientSecret: secret, Store: st})
//
// # What is stored
//
// For each identity (scheme, base URL and client ID or username, hashed
// into the key: no secret is part of a key) one Redis hash holds the token
// and when it expires, was created and (sessions) was last used, plus a
// fingerprint of the token for compare-and-swap. With [Options.Key] the
// record is sealed with AES-256-GCM, bound to its Redis key, and the
// fingerprint is an HMAC under a key derived from it, checked against the
// sealed token on every load: a record altered in Redis is refused, and
// the replicas fetch for themselves until it expires or is deleted (one
// whose TTL was removed stays until someone deletes it). Without a Key the
// token is stored in clear, readable by anyone who can read Redis, and a
// record is taken as it is: anyone who can write to Redis can plant one.
// Whatever Redis holds, a replica never takes back a token it renewed away
// after a 401. An OAuth entry expires in Redis with the token; a session's
// entry expires after the idle limit and each check-in (about once a
// minute per replica in use) extends it. The entry's name ends with an id
// of the Key ("clear" without one), so replicas on different Keys (during
// a Key rotation) keep separate entries and share within each group; none
// can lock the others out. A lease key (the entry's name + ":lease") holds
// the fetch lease, through github.com/bsm/redislock.
//
// # Redis Cluster and failover
//
// The hashed identity is the hash tag of both the entry's name and the
// lease's: on a cluster the two hash to one slot, so they live on one
// master, while identities spread over all of them. [New] has a
// [redis.ClusterClient] learn the cluster's layout and connect to every
// master before it returns (waiting at most 5 s; a cluster that does not
// answer is learnt on first use instead), so that a cold client does not
// spend a store call's 1 s budget on discovery.
//
// The lease is a lock on one master, and Redis replicates asynchronously:
// a failover (by Sentinel or within a cluster) can lose the lease, or the
// latest entry, if the promoted replica had not received it. Reads from
// replicas (ReadOnly, RouteByLatency or RouteRandomly in
// [redis.ClusterOptions]) can return an entry older than the master's.
// Either way the cost is extra fetches: two replicas may fetch at once, or
// one may take an older token and, if the server refuses it, renew (for
// IBSSO, an extra session, destroyed or left to end when unused). Each
// identity has its own entry, so no replica is handed another identity's
// token. Give the store a client that reads from masters, the default.
//
// # Failures
//
// Nothing here is fatal to requests: when Redis is unreachable, slow or
// flushed, the auth package fetches for itself and tries Redis again after
// a growing pause (see [auth.Store]). A leaseholder that dies stops
// renewing its lease, which then expires after [Options.LockTTL]; another
// replica takes over.
package redisstore

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/bsm/redislock"
	"github.com/redis/go-redis/v9"

	"github.com/ibkit/auth"
)

// Options configures [New]; nil means all defaults.
type Options struct {
	// Prefix starts every Redis key, so that environments (or
	// applications) sharing one Redis stay apart. Default "ibkit:auth:".
	// On a cluster, braces in it ("{…}") would be the hash tag: every
	// entry would hash to one slot, on one master.
	Prefix string
	// Key, if set, encrypts tokens at rest with AES-256-GCM. It must be 32
	// bytes, from a secret manager, the same on every replica. Nil: tokens
	// are stored in clear.
	Key []byte
	// LockTTL is how long a fetch lease outlives a replica that died
	// holding it. A live holder renews it every LockTTL/3 for as long as
	// its fetch runs. Default 10 s; at least 100 ms.
	LockTTL time.Duration
}

// Format prints "redisstore.Options{[redacted]}" for every verb, %#v and %+v
// included, so that printing the options never shows the Key.
func (Options) Format(f fmt.State, verb rune) { format(f, verb, "redisstore.Options{[redacted]}") }

// MarshalJSON encodes the string "redisstore.Options{[redacted]}", so that
// encoding/json, and slog's JSON handler, never show the Key.
func (Options) MarshalJSON() ([]byte, error) { return json.Marshal("redisstore.Options{[redacted]}") }

// Store is an [auth.Store] on Redis. Create it with [New]; it is safe for
// concurrent use, and needs no closing (close the Redis client).
type Store struct {
	rdb     redis.UniversalClient
	locks   *redislock.Client
	prefix  string
	aead    cipher.AEAD // nil: clear
	fpKey   []byte
	kid     string // the Key's id in entry names: "clear" without one
	lockTTL time.Duration
}

var _ auth.Store = (*Store)(nil)

// New returns a [Store] on rdb, which may be any go-redis client: a
// single node, Sentinel, or a cluster. A [redis.ClusterClient] learns the
// cluster's layout here, for up to 5 s (see "Redis Cluster and
// failover" above); New makes no other request.
func New(rdb redis.UniversalClient, opts *Options) (*Store, error) {
	if rdb == nil {
		return nil, errors.New("redisstore: New: Redis client is nil")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Prefix == "" {
		o.Prefix = "ibkit:auth:"
	}
	switch {
	case o.LockTTL == 0:
		o.LockTTL = 10 * time.Second
	case o.LockTTL < 100*time.Millisecond:
		return nil, fmt.Errorf("redisstore: New: LockTTL is %v, want at least 100ms", o.LockTTL)
	}
	if c, ok := rdb.(*redis.ClusterClient); ok {
		warm(c)
	}
	s := &Store{rdb: rdb, locks: redislock.New(rdb), prefix: o.Prefix, lockTTL: o.LockTTL}
	label := []byte("ibkit/auth/redisstore fingerprint\x00")
	if o.Key != nil {
		if len(o.Key) != 32 {
			return nil, fmt.Errorf("redisstore: New: Key is %d bytes, want 32 (AES-256)", len(o.Key))
		}
		block, err := aes.NewCipher(o.Key)
		if err != nil {
			return nil, fmt.Errorf("redisstore: New: %w", err)
		}
		if s.aead, err = cipher.NewGCM(block); err != nil {
			return nil, fmt.Errorf("redisstore: New: %w", err)
		}
		label = append(label, o.Key...)
	}
	sum := sha256.Sum256(label)
	s.fpKey = sum[:]
	// Replicas on different Keys (during a Key rotation, or one without)
	// use different entries: none can lock the others out of the fleet's
	// record by publishing one they cannot open.
	s.kid = "clear"
	if o.Key != nil {
		id := sha256.Sum256(append([]byte("ibkit/auth/redisstore key id\x00"), o.Key...))
		s.kid = hex.EncodeToString(id[:6])
	}
	return s, nil
}

// warmTimeout bounds the discovery [New] does for a cluster client.
const warmTimeout = 5 * time.Second

// warm has a cluster client learn the cluster's layout, connect to every
// master and load the command table, which a cold client would otherwise
// do inside the first store calls, and their 1 s budget. Failure is not
// fatal: the client then does it on first use, as it would have.
func warm(c *redis.ClusterClient) {
	ctx, cancel := context.WithTimeout(context.Background(), warmTimeout)
	defer cancel()
	_ = c.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error { return m.Ping(ctx).Err() })
	_ = c.Ping(ctx).Err()
}

// rkey is the Redis key of an entry: the prefix, the core's key (scheme
// and hashed identity) as a hash tag, and the Key's id. The lease's key
// adds a suffix: on a cluster the two hash to one slot, so they live on
// one master, and a command or script may touch both.
func (s *Store) rkey(key string) string { return s.prefix + "{" + key + "}:" + s.kid }

// Format prints "redisstore.Store{[redacted]}" for every verb, %#v and %+v
// included: fmt never walks into the cipher, whose state holds the Key, or
// the fingerprint key.
func (Store) Format(f fmt.State, verb rune) { format(f, verb, "redisstore.Store{[redacted]}") }

// format implements fmt.Formatter for a type that must print as a fixed
// text, quoted for %q.
func format(f fmt.State, verb rune, safe string) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", safe)
		return
	}
	io.WriteString(f, safe)
}

// record is a token as it is encoded in Redis.
type record struct {
	Scheme   string `json:"s"`
	Value    string `json:"v"`
	Expiry   int64  `json:"e,omitempty"` // Unix ns; 0: none
	LastUse  int64  `json:"u,omitempty"`
	Created  int64  `json:"c,omitempty"`
	Renewals int    `json:"r,omitempty"`
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// Encodings of a record: a tag byte, then JSON in clear or
// nonce+AES-GCM(JSON) with the Redis key as additional data.
const (
	tagClear  = 'c'
	tagSealed = 'e'
)

func (s *Store) seal(rkey string, t *auth.StoredToken) ([]byte, error) {
	js, err := json.Marshal(record{t.Scheme, t.Value, unixNano(t.Expiry), unixNano(t.LastUse), unixNano(t.Created), t.Renewals})
	if err != nil {
		return nil, err
	}
	if s.aead == nil {
		return append([]byte{tagClear}, js...), nil
	}
	out := make([]byte, 1+s.aead.NonceSize(), 1+s.aead.NonceSize()+len(js)+s.aead.Overhead())
	out[0] = tagSealed
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return s.aead.Seal(out, out[1:], js, []byte(rkey)), nil
}

func (s *Store) open(rkey string, b []byte) (*auth.StoredToken, error) {
	if len(b) == 0 {
		return nil, errors.New("redisstore: load: empty record")
	}
	js := b[1:]
	switch {
	case b[0] == tagSealed && s.aead != nil:
		n := s.aead.NonceSize()
		if len(js) < n {
			return nil, errors.New("redisstore: load: record is truncated")
		}
		var err error
		if js, err = s.aead.Open(nil, js[:n], js[n:], []byte(rkey)); err != nil {
			return nil, errors.New("redisstore: load: record does not decrypt (another Key, or tampered)")
		}
	case b[0] == tagSealed:
		return nil, errors.New("redisstore: load: record is encrypted and this store has no Key")
	case b[0] == tagClear && s.aead != nil:
		// Refused: with a Key, a record in clear is either left over from
		// before encryption or planted.
		return nil, errors.New("redisstore: load: record is in clear but this store has a Key")
	case b[0] != tagClear:
		return nil, errors.New("redisstore: load: record has an unknown encoding")
	}
	var r record
	if err := json.Unmarshal(js, &r); err != nil {
		return nil, errors.New("redisstore: load: record is not valid JSON")
	}
	return &auth.StoredToken{
		Scheme: r.Scheme, Value: r.Value, Expiry: fromUnixNano(r.Expiry), LastUse: fromUnixNano(r.LastUse),
		Created: fromUnixNano(r.Created), Renewals: r.Renewals,
	}, nil
}

// fingerprint identifies a token value for compare-and-swap without
// storing it: an HMAC under a key derived from Options.Key.
func (s *Store) fingerprint(value string) string {
	m := hmac.New(sha256.New, s.fpKey)
	io.WriteString(m, value)
	return hex.EncodeToString(m.Sum(nil))
}

// errNilStore is the error of every call on a nil *Store: a program that
// sets the result of a failed [New] as its auth.Store (a non-nil interface
// holding a nil pointer) then runs as without a store instead of crashing.
var errNilStore = errors.New("nil Store (did New fail?)")

// Fields of the token hash.
const (
	fieldFingerprint = "fp"
	fieldData        = "d"
)

// Load implements [auth.Store]. With a Key, a record whose fingerprint is
// not that of its sealed token is refused as tampered: compare-and-swap
// trusts the fingerprint, so a forged one could keep a token in place that
// no replica can replace.
func (s *Store) Load(ctx context.Context, key string) (*auth.StoredToken, error) {
	if s == nil {
		return nil, fmt.Errorf("redisstore: load: %w", errNilStore)
	}
	rkey := s.rkey(key)
	vals, err := s.rdb.HMGet(ctx, rkey, fieldData, fieldFingerprint).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: load: %w", err)
	}
	data, ok := vals[0].(string)
	if !ok {
		return nil, nil // no entry
	}
	t, err := s.open(rkey, []byte(data))
	if err != nil || s.aead == nil {
		return t, err
	}
	if fp, _ := vals[1].(string); !hmac.Equal([]byte(fp), []byte(s.fingerprint(t.Value))) {
		return nil, errors.New("redisstore: load: record's fingerprint is not its token's (tampered)")
	}
	return t, nil
}

// casScript stores (or deletes) the token if the key holds the expected
// fingerprint or nothing. ARGV: expected fingerprint ("" for nothing), new
// fingerprint ("" to delete), data, TTL in ms.
var casScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], 'fp')
if cur and cur ~= ARGV[1] then return 0 end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
  return 1
end
redis.call('HSET', KEYS[1], 'fp', ARGV[2], 'd', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`)

// CompareAndSwap implements [auth.Store].
func (s *Store) CompareAndSwap(ctx context.Context, key, old string, tok *auth.StoredToken, ttl time.Duration) (bool, error) {
	if s == nil {
		return false, fmt.Errorf("redisstore: store: %w", errNilStore)
	}
	rkey := s.rkey(key)
	want := ""
	if old != "" {
		want = s.fingerprint(old)
	}
	var fp string
	var data []byte
	if tok != nil {
		if ttl < time.Millisecond {
			return false, fmt.Errorf("redisstore: store: TTL %v is too short", ttl)
		}
		var err error
		if data, err = s.seal(rkey, tok); err != nil {
			return false, fmt.Errorf("redisstore: store: %w", err)
		}
		fp = s.fingerprint(tok.Value)
	}
	n, err := casScript.Run(ctx, s.rdb, []string{rkey}, want, fp, data, ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("redisstore: store: %w", err)
	}
	return n == 1, nil
}

// Lease implements [auth.Store] with github.com/bsm/redislock: the lease
// is a key set with NX and a TTL of Options.LockTTL, renewed every third
// of that while held, and released with a compare-and-delete.
func (s *Store) Lease(ctx context.Context, key string) (auth.Lease, error) {
	if s == nil {
		return nil, fmt.Errorf("redisstore: lease: %w", errNilStore)
	}
	lock, err := s.locks.Obtain(ctx, s.rkey(key)+":lease", s.lockTTL, nil)
	if errors.Is(err, redislock.ErrNotObtained) {
		return nil, auth.ErrLeaseHeld
	}
	if err != nil {
		return nil, fmt.Errorf("redisstore: lease: %w", err)
	}
	kctx, stop := context.WithCancel(context.Background())
	l := &lease{lock: lock, ttl: s.lockTTL, stop: stop, done: make(chan struct{})}
	go l.keepAlive(kctx)
	return l, nil
}

type lease struct {
	lock *redislock.Lock
	ttl  time.Duration
	stop context.CancelFunc // ends keepAlive, and a renewal in flight
	done chan struct{}
}

// keepAlive renews the lease while its holder runs; if the process dies,
// renewals stop and the lease expires.
func (l *lease) keepAlive(stop context.Context) {
	defer close(l.done)
	t := time.NewTicker(l.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-stop.Done():
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(stop, l.ttl/3)
			err := l.lock.Refresh(ctx, l.ttl, nil)
			cancel()
			if errors.Is(err, redislock.ErrNotObtained) {
				return // lost: expired, or Redis was flushed
			}
		}
	}
}

// Release implements [auth.Lease]. It stops the keep-alive, cutting
// short a renewal in flight, so that a slow Redis costs Release no more
// than its own ctx allows.
func (l *lease) Release(ctx context.Context) error {
	l.stop()
	select {
	case <-l.done:
	case <-ctx.Done():
		return fmt.Errorf("redisstore: release lease: %w", ctx.Err())
	}
	err := l.lock.Release(ctx)
	if err != nil && !errors.Is(err, redislock.ErrLockNotHeld) {
		return fmt.Errorf("redisstore: release lease: %w", err)
	}
	return nil
}
