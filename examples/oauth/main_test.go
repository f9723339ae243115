package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/examples/internal/exampletest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestExample(t *testing.T) {
	exampletest.Example{
		Name: "oauth", Run: run, Main: main, Scheme: "oauth",
		Offline: []string{"call 1 200 OK\ncall 2 200 OK\ncall 3 200 OK\ntoken requests: 1\n"},
		Refusal: "the environment selects *auth.Basic credentials; this example needs IB_CLIENT_ID and IB_CLIENT_SECRET, or IB_AUTH=oauth with IB_USERNAME and IB_PASSWORD",
	}.Test(t)
}

// Infobip describes the client ID and secret as the account's username and
// password: with IB_AUTH=oauth, those serve.
func TestLiveUsernameAndPassword(t *testing.T) {
	srv := exampletest.Live(t, map[string]string{"IB_AUTH": "oauth", "IB_USERNAME": authtest.Username, "IB_PASSWORD": authtest.Password})
	srv.AddClient(authtest.Username, authtest.Password)
	var out bytes.Buffer
	require.NoError(t, run(&out), out.String())
	require.Equal(t, 1, srv.Count(authtest.RouteToken))
	require.Contains(t, string(srv.Requests(authtest.RouteToken)[0].Body), "client_id="+authtest.Username)
	for _, r := range srv.Requests(authtest.RouteBalance) {
		require.True(t, strings.HasPrefix(r.Header.Get("Authorization"), "Bearer "))
	}
}
