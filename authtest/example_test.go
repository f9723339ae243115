package authtest_test

import (
	"crypto/tls"
	"crypto/x509"
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

// A client of a TLS server needs to trust its certificate: here, a client
// built by the code under test, given the certificate as its only root.
func ExampleServer_Certificate() {
	s := authtest.NewTLSServer()
	defer s.Close()

	roots := x509.NewCertPool()
	roots.AddCert(s.Certificate())
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	defer client.CloseIdleConnections()

	req, err := http.NewRequest(http.MethodGet, s.URL+"/account/1/balance", nil)
	if err != nil {
		panic(err)
	}
	req.Header.Set("Authorization", "App "+authtest.APIKey)
	resp, err := client.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	fmt.Println(resp.Status)
	// Output:
	// 200 OK
}
