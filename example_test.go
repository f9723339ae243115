package auth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// get sends GET path with c and returns the status line and body.
func get(c *http.Client, baseURL, path string) string {
	resp, err := c.Get(baseURL + path)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.Status + " " + string(body)
}

func ExampleNewAPIKey() {
	srv := authtest.NewServer() // stands in for https://xxxxx.api.infobip.com
	defer srv.Close()

	key, err := auth.NewAPIKey(authtest.APIKey)
	if err != nil {
		panic(err)
	}
	t, err := auth.NewTransport(srv.URL, key, nil)
	if err != nil {
		panic(err)
	}
	c := &http.Client{Transport: t}
	fmt.Println(get(c, srv.URL, "/account/1/balance"))
	fmt.Println(key) // secrets never print
	// Output:
	// 200 OK {"balance":42.5,"currency":"EUR"}
	// auth.APIKey{[redacted]}
}

func ExampleNewBasic() {
	b, err := auth.NewBasic("Aladdin", "openSesame")
	if err != nil {
		panic(err)
	}
	h, _ := b.Authorization(context.Background())
	fmt.Println(h)

	_, err = auth.NewBasic("user:name", "secret")
	fmt.Println(err)
	// Output:
	// Basic QWxhZGRpbjpvcGVuU2VzYW1l
	// auth: username contains ':', which HTTP Basic authentication cannot carry
}

func ExampleNewIBSSO() {
	srv := authtest.NewServer()
	defer srv.Close()

	s, err := auth.NewIBSSO(auth.IBSSOConfig{
		BaseURL:  srv.URL,
		Username: authtest.Username,
		Password: authtest.Password,
	})
	if err != nil {
		panic(err)
	}
	defer s.Close(context.Background()) // destroys the session

	t, err := auth.NewTransport(srv.URL, s, nil)
	if err != nil {
		panic(err)
	}
	c := &http.Client{Transport: t}
	fmt.Println(get(c, srv.URL, "/account/1/balance"))
	fmt.Println(get(c, srv.URL, "/account/1/balance"))
	fmt.Println("sessions created:", srv.Count(authtest.RouteCreateSession))
	// Output:
	// 200 OK {"balance":42.5,"currency":"EUR"}
	// 200 OK {"balance":42.5,"currency":"EUR"}
	// sessions created: 1
}

func ExampleNewOAuth() {
	srv := authtest.NewServer()
	defer srv.Close()

	b, err := auth.NewOAuth(auth.OAuthConfig{
		BaseURL:      srv.URL,
		ClientID:     authtest.ClientID,
		ClientSecret: authtest.ClientSecret,
		Now:          srv.Now, // the fake server's clock, so we can skip ahead
		OnRefresh: func(ev auth.RefreshEvent) {
			fmt.Println("fetched a token:", ev.Reason, ev.Err)
		},
	})
	if err != nil {
		panic(err)
	}
	t, err := auth.NewTransport(srv.URL, b, nil)
	if err != nil {
		panic(err)
	}
	c := &http.Client{Transport: t}
	fmt.Println(get(c, srv.URL, "/account/1/balance"))
	srv.Advance(3 * time.Hour) // three hours: the 2-hour token has expired
	fmt.Println(get(c, srv.URL, "/account/1/balance"))
	// Output:
	// fetched a token: initial <nil>
	// 200 OK {"balance":42.5,"currency":"EUR"}
	// fetched a token: expired <nil>
	// 200 OK {"balance":42.5,"currency":"EUR"}
}

func ExampleParseError() {
	srv := authtest.NewServer()
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/account/1/balance") // no credentials
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e := auth.ParseError(resp)
		fmt.Println(e.StatusCode, e.Code, e.Description)
		fmt.Println(e)
	}
	// Output:
	// 401 E401 Invalid login details
	// auth: 401 E401: Invalid login details
}

func ExampleNewClient() {
	srv := authtest.NewTLSServer() // a server with its own CA, as behind a corporate proxy
	defer srv.Close()
	existing := srv.Client() // your client: its TLS roots, timeout and proxy

	a, err := auth.NewOAuth(auth.OAuthConfig{BaseURL: srv.URL, ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret,
		HTTPClient: existing}) // token requests trust your roots too
	if err != nil {
		panic(err)
	}
	defer a.Close(context.Background())
	c, err := auth.NewClient(srv.URL, a, existing)
	if err != nil {
		panic(err)
	}
	fmt.Println(get(c, srv.URL, "/account/1/balance"))
	fmt.Println(get(existing, srv.URL, "/account/1/balance")[:16]) // existing is untouched
	// Output:
	// 200 OK {"balance":42.5,"currency":"EUR"}
	// 401 Unauthorized
}

func ExampleNewTransport() {
	srv := authtest.NewServer()
	defer srv.Close()
	key, err := auth.NewAPIKey(authtest.APIKey)
	if err != nil {
		panic(err)
	}
	// An origin only: a trailing slash is fine; a path, a query or user
	// information is refused; no scheme means https.
	t, err := auth.NewTransport(srv.URL+"/", key, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(t.BaseURL() == srv.URL)
	_, err = auth.NewTransport("https://api.infobip.com/sms", key, nil)
	fmt.Println(err)
	// Output:
	// true
	// auth: NewTransport: base URL on "https://api.infobip.com" has a path, query or fragment (not shown); it must be an origin only (scheme and host, e.g. https://xxxxx.api.infobip.com)
}

func ExampleTransport_AllowOrigin() {
	srv := authtest.NewServer()
	defer srv.Close()
	other := authtest.NewServer() // another host of the same account
	defer other.Close()
	key, err := auth.NewAPIKey(authtest.APIKey)
	if err != nil {
		panic(err)
	}
	t, err := auth.NewTransport(srv.URL, key, nil)
	if err != nil {
		panic(err)
	}
	c := &http.Client{Transport: t}
	fmt.Println(get(c, other.URL, "/account/1/balance")[:16]) // not the base URL: no credentials
	if err := t.AllowOrigin(other.URL); err != nil {
		panic(err)
	}
	fmt.Println(get(c, other.URL, "/account/1/balance")[:6])
	// Output:
	// 401 Unauthorized
	// 200 OK
}

func ExampleFromEnv() {
	srv := authtest.NewServer()
	defer srv.Close()
	os.Setenv("IB_BASE_URL", srv.URL) // in real life: set in the environment
	os.Setenv("IB_API_KEY", authtest.APIKey)
	defer os.Unsetenv("IB_BASE_URL")
	defer os.Unsetenv("IB_API_KEY")

	baseURL, a, err := auth.FromEnv()
	if err != nil {
		panic(err)
	}
	// IBSSO and OAuth hold a session or a refresh; a key holds nothing.
	if c, ok := a.(interface{ Close(context.Context) error }); ok {
		defer c.Close(context.Background())
	}
	c, err := auth.NewClient(baseURL, a, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(get(c, baseURL, "/account/1/balance"))
	// Output:
	// 200 OK {"balance":42.5,"currency":"EUR"}
}

func ExampleNewBearer() {
	srv := authtest.NewServer()
	defer srv.Close()
	// Any oauth2.TokenSource: here x/oauth2's client credentials flow.
	cc := &clientcredentials.Config{ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret,
		TokenURL: srv.URL + "/auth/1/oauth2/token", AuthStyle: oauth2.AuthStyleInParams}
	b, err := auth.NewBearer(cc.TokenSource(context.Background()), auth.BearerOptions{})
	if err != nil {
		panic(err)
	}
	defer b.Close(context.Background())
	c, err := auth.NewClient(srv.URL, b, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(get(c, srv.URL, "/account/1/balance"))
	// Output:
	// 200 OK {"balance":42.5,"currency":"EUR"}
}

func ExampleBearer_TokenSource() {
	srv := authtest.NewServer()
	defer srv.Close()
	b, err := auth.NewOAuth(auth.OAuthConfig{BaseURL: srv.URL, ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret})
	if err != nil {
		panic(err)
	}
	defer b.Close(context.Background())
	// For a library that takes an oauth2.TokenSource: it shares b's cache.
	tok, err := b.TokenSource().Token()
	if err != nil {
		panic(err)
	}
	fmt.Println(tok.Type(), tok.Valid())
	// Output:
	// Bearer true
}

func ExampleError() {
	srv := authtest.NewServer()
	defer srv.Close()
	a, err := auth.NewIBSSO(auth.IBSSOConfig{BaseURL: srv.URL, Username: authtest.Username, Password: "wrong"})
	if err != nil {
		panic(err)
	}
	_, err = a.Authorization(context.Background())
	var e *auth.Error
	if errors.As(err, &e) {
		fmt.Println(e.StatusCode, e.Code, e.Description)
	}
	fmt.Println(err)
	// Output:
	// 401 E401 Invalid login details
	// auth: create IBSSO session: 401 E401: Invalid login details
}

func ExampleLogin() {
	srv := authtest.NewTLSServer() // a server with its own CA, as behind a corporate proxy
	defer srv.Close()
	existing := srv.Client() // your client: its TLS roots, timeout and proxy

	// One client for every user; each request carries its user's session.
	client, err := auth.NewClient(srv.URL, nil, existing)
	if err != nil {
		panic(err)
	}
	// The sign-in goes through your client too, so it trusts your roots.
	cfg := auth.LoginConfig{BaseURL: srv.URL, HTTPClient: existing}
	s, err := auth.Login(context.Background(), cfg, authtest.Username, authtest.Password)
	if err != nil {
		panic(err)
	}
	req, _ := http.NewRequestWithContext(auth.WithAuthenticator(context.Background(), s), http.MethodGet, srv.URL+"/account/1/balance", nil)
	resp, err := client.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	if err := s.Logout(context.Background()); err != nil {
		panic(err)
	}
	_, err = s.Authorization(context.Background())
	fmt.Println(errors.Is(err, auth.ErrSessionExpired))
	// Output:
	// 200 OK
	// true
}
