package main

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/ibkit/auth/examples/internal/exampletest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestExample(t *testing.T) {
	exampletest.Example{
		Name: "ibsso", Run: run, Main: main, Scheme: "ibsso",
		Offline: []string{"call 1 200 OK\ncall 2 200 OK\ncall 3 200 OK\nsessions created: 1\n"},
		// A username and password without IB_AUTH=ibsso mean Basic.
		Refusal: "the environment selects *auth.Basic credentials; this example needs IB_AUTH=ibsso with IB_USERNAME and IB_PASSWORD",
	}.Test(t)
}
