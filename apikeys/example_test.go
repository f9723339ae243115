package apikeys_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/apikeys"
	"github.com/ibkit/auth/authtest"
)

// Rotate an API key: create a new one, switch to it, revoke the old one.
// Keys are managed with Basic credentials; App keys cannot manage keys.
func Example() {
	srv := authtest.NewServer() // a fake Infobip; use your base URL instead
	defer srv.Close()
	ctx := context.Background()

	basic, err := auth.NewBasic(authtest.Username, authtest.Password)
	if err != nil {
		panic(err)
	}
	keys, err := apikeys.New(srv.URL, basic, srv.Client())
	if err != nil {
		panic(err)
	}

	k, err := keys.Create(ctx, apikeys.CreateRequest{Name: "billing-2026-02"})
	if err != nil {
		panic(err)
	}
	fresh, err := k.Secret.Authenticator()
	if err != nil {
		panic(err)
	}
	if err := keys.Revoke(ctx, authtest.APIKeyID); err != nil {
		panic(err)
	}

	old, err := auth.NewAPIKey(authtest.APIKey)
	if err != nil {
		panic(err)
	}
	fmt.Println("created", k.Name, "valid until", k.ValidTo.Format("2006-01-02"), "secret", k.Secret)
	fmt.Println("new key:", balanceStatus(srv, fresh))
	fmt.Println("old key:", balanceStatus(srv, old))
	// Output:
	// created billing-2026-02 valid until 2027-01-01 secret [redacted]
	// new key: 200 OK
	// old key: 401 Unauthorized
}

// Iterate over every key of the account, page by page.
func ExampleClient_All() {
	srv := authtest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	basic, err := auth.NewBasic(authtest.Username, authtest.Password)
	if err != nil {
		panic(err)
	}
	keys, err := apikeys.New(srv.URL, basic, srv.Client())
	if err != nil {
		panic(err)
	}
	for _, name := range []string{"web", "batch"} {
		if _, err := keys.Create(ctx, apikeys.CreateRequest{Name: name}); err != nil {
			panic(err)
		}
	}

	for k, err := range keys.All(ctx, apikeys.Filter{Enabled: new(true), Size: 2}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(k.Name, k.Enabled, k.Secret)
	}
	// Output:
	// default true [redacted]
	// web true [redacted]
	// batch true [redacted]
}

func ExampleNew_appKeyRefused() {
	key, err := auth.NewAPIKey(authtest.APIKey)
	if err != nil {
		panic(err)
	}
	_, err = apikeys.New("https://api.infobip.com", key, nil)
	fmt.Println(err)
	// Output:
	// apikeys: an App API key cannot manage API keys (Infobip refuses it there); use Basic, IBSSO or OAuth 2.0 credentials
}

// balanceStatus calls a protected route of srv with a.
func balanceStatus(srv *authtest.Server, a auth.Authenticator) string {
	t, err := auth.NewTransport(srv.URL, a, srv.Client().Transport)
	if err != nil {
		panic(err)
	}
	resp, err := (&http.Client{Transport: t}).Get(srv.URL + "/account/1/balance")
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	return resp.Status
}
