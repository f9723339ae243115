// Command replica is one replica of a fleet, for the multi-process tests
// of package redisstore: it gets a credential through a Redis store, prints
// a fingerprint of it and exits. The tests build it, start several copies,
// and kill some.
//
//	replica -base http://127.0.0.1:PORT -redis 127.0.0.1:PORT -scheme oauth|ibsso [-lock-ttl 1s] [-prefix p]
//
// Output: "ready" once the store is set up, then "ok <fingerprint>" or
// "error <message>". The fingerprint is a hash of the header, never the
// credential.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/redisstore"
)

func main() {
	base := flag.String("base", "", "base URL of the (fake) Infobip server")
	addr := flag.String("redis", "", "Redis address")
	scheme := flag.String("scheme", "oauth", "oauth or ibsso")
	prefix := flag.String("prefix", "", "Redis key prefix")
	lockTTL := flag.Duration("lock-ttl", time.Second, "lease TTL")
	flag.Parse()

	rdb := redis.NewClient(&redis.Options{Addr: *addr})
	defer rdb.Close()
	st, err := redisstore.New(rdb, &redisstore.Options{Prefix: *prefix, LockTTL: *lockTTL, Key: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		fail(err)
	}
	var a auth.Authenticator
	switch *scheme {
	case "oauth":
		a, err = auth.NewOAuth(auth.OAuthConfig{BaseURL: *base, ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret, Store: st})
	case "ibsso":
		a, err = auth.NewIBSSO(auth.IBSSOConfig{BaseURL: *base, Username: authtest.Username, Password: authtest.Password, Store: st})
	default:
		err = fmt.Errorf("unknown scheme %q", *scheme)
	}
	if err != nil {
		fail(err)
	}
	fmt.Println("ready")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h, err := a.Authorization(ctx)
	if err != nil {
		fail(err)
	}
	sum := sha256.Sum256([]byte(h))
	fmt.Println("ok", hex.EncodeToString(sum[:8]))
	if s, ok := a.(*auth.IBSSO); ok {
		_ = s.Close(ctx) // leaves the shared session
	}
}

func fail(err error) {
	fmt.Println("error", err)
	os.Exit(1)
}
