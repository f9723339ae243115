package auth_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/ibkit/auth/authtest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// setup gives a test its own fake Infobip server, closed when the test ends.
func setup(t testing.TB) *authtest.Server {
	t.Helper()
	srv := authtest.NewServer()
	t.Cleanup(srv.Close)
	return srv
}
