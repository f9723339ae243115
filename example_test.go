package auth_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
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
