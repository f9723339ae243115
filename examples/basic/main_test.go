package main

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/ibkit/auth/examples/internal/exampletest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestExample(t *testing.T) {
	exampletest.Example{
		Name: "basic", Run: run, Main: main, Scheme: "basic",
		Offline: []string{`balance: {"balance":42.5,"currency":"EUR"}`},
		Refusal: "the environment selects *auth.APIKey credentials; this example needs IB_USERNAME and IB_PASSWORD (and IB_AUTH=basic if other credentials are set)",
	}.Test(t)
}
