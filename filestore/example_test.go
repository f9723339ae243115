package filestore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/filestore"
)

// Three runs of a program, each with its own Store on the same directory,
// as a shell loop would start them: one token request between them.
func ExampleNew() {
	srv := authtest.NewServer() // stands in for https://xxxxx.api.infobip.com
	defer srv.Close()
	tmp, err := os.MkdirTemp("", "filestore-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "myapp") // in a program: under os.UserCacheDir()

	for range 3 {
		var st auth.Store
		if fs, err := filestore.New(dir, nil); err != nil {
			fmt.Println("warning: running without a token cache:", err)
		} else {
			defer fs.Close()
			st = fs
		}
		a, err := auth.NewOAuth(auth.OAuthConfig{BaseURL: srv.URL, ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret, Store: st})
		if err != nil {
			panic(err)
		}
		if _, err := a.Authorization(context.Background()); err != nil {
			panic(err)
		}
	}
	fmt.Println("token requests:", srv.Count(authtest.RouteToken))
	// Output:
	// token requests: 1
}
