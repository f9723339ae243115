package authtest_test

import (
	"fmt"
	"io"
	"net/http"

	"github.com/ibkit/auth/authtest"
)

func ExampleNewServer() {
	s := authtest.NewServer()
	defer s.Close()

	req, err := http.NewRequest(http.MethodGet, s.URL+"/account/1/balance", nil)
	if err != nil {
		panic(err)
	}
	req.SetBasicAuth(authtest.Username, authtest.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Status)
	fmt.Println(string(body))
	// Output:
	// 200 OK
	// {"balance":42.5,"currency":"EUR"}
}
