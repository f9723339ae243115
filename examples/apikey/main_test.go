package main

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/ibkit/auth/examples/internal/exampletest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestExample(t *testing.T) {
	exampletest.Example{
		Name: "apikey", Run: run, Main: main, Scheme: "app",
		Offline: []string{
			`balance: {"balance":42.5,"currency":"EUR"}`,
			"the key prints as auth.APIKey{[redacted]}",
		},
		Refusal: "the environment selects *auth.Basic credentials; this example needs IB_API_KEY (and IB_AUTH=app if other credentials are set)",
	}.Test(t)
}
