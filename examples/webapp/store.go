package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"

	"github.com/ibkit/auth"
)

// store keeps the signed-in users, in memory, server side. The browser holds
// only a random session id in a cookie; the store maps its hash to what a
// page needs: the user's *auth.Session (which holds the IBSSO token and
// nothing of the password), the username to greet them with, and the CSRF
// token of their forms. No goroutine runs per entry: abandoned entries are
// swept when someone signs in.
//
// An application with several replicas would keep Session.Token() in a
// shared store instead, and call auth.ResumeSession with it per request.
type store struct {
	now  func() time.Time
	idle time.Duration // an entry unused this long is swept

	mu        sync.Mutex
	entries   map[sessionKey]*entry
	lastSweep time.Time
}

// sessionKey is the SHA-256 of a session id. Keying by the hash keeps the
// ids themselves out of the server's memory, and out of reach of any timing
// a map lookup might leak.
type sessionKey [sha256.Size]byte

// entry is one signed-in user.
type entry struct {
	session  *auth.Session
	username string
	csrf     string // the token every POST form of this session must carry
	lastSeen time.Time
}

func newStore(now func() time.Time, idle time.Duration) *store {
	return &store{now: now, idle: idle, entries: make(map[sessionKey]*entry), lastSweep: now()}
}

func keyOf(id string) sessionKey { return sha256.Sum256([]byte(id)) }

// add stores a new entry for s and returns its session id, for the cookie.
// The id is always new, so a session id planted in a browser before sign-in
// is never the one that signs in (session fixation).
func (st *store) add(s *auth.Session, username string) (id string) {
	id, csrf := randomToken(), randomToken()
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	st.sweepLocked(now)
	st.entries[keyOf(id)] = &entry{session: s, username: username, csrf: csrf, lastSeen: now}
	return id
}

// get returns a copy of id's entry and marks it used.
func (st *store) get(id string) (entry, bool) {
	if id == "" {
		return entry{}, false
	}
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	e, ok := st.entries[keyOf(id)]
	if !ok {
		return entry{}, false
	}
	e.lastSeen = now
	return *e, true
}

// remove deletes id's entry and returns it.
func (st *store) remove(id string) (entry, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	k := keyOf(id)
	e, ok := st.entries[k]
	if !ok {
		return entry{}, false
	}
	delete(st.entries, k)
	return *e, true
}

// len reports how many users are signed in.
func (st *store) len() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.entries)
}

// sweepLocked drops the entries nobody has used for the idle limit, at most
// once a minute. Their sessions have ended on Infobip's side by then, so
// there is nothing to log out.
func (st *store) sweepLocked(now time.Time) {
	if now.Sub(st.lastSweep) < time.Minute {
		return
	}
	st.lastSweep = now
	for k, e := range st.entries {
		if now.Sub(e.lastSeen) >= st.idle {
			delete(st.entries, k)
		}
	}
}

// logoutAll logs every stored session out and empties the store: the
// server is stopping, and its in-memory sessions would otherwise live on at
// Infobip, unreachable, until they idle out.
func (st *store) logoutAll(ctx context.Context) (failed int) {
	st.mu.Lock()
	entries := st.entries
	st.entries = make(map[sessionKey]*entry)
	st.mu.Unlock()
	for _, e := range entries {
		if e.session.Logout(ctx) != nil {
			failed++
		}
	}
	return failed
}

// randomToken returns 32 random bytes, base64url-encoded: a session id, a
// CSRF token or a nonce.
func randomToken() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}
