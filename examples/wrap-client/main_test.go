package main

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ibkit/auth/authtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRun(t *testing.T) {
	srv := authtest.NewTLSServer()
	defer srv.Close()
	var out bytes.Buffer
	require.NoError(t, run(&out, srv), out.String())
	require.Equal(t, ""+
		"*auth.APIKey new client: 200 OK; existing client: 401 Unauthorized\n"+
		"*auth.Basic  new client: 200 OK; existing client: 401 Unauthorized\n"+
		"*auth.IBSSO  new client: 200 OK; existing client: 401 Unauthorized\n"+
		"*auth.Bearer new client: 200 OK; existing client: 401 Unauthorized\n"+
		"another host through a new client: 401 Unauthorized\n", out.String())

	// For each scheme, a call through the new client carried its
	// credential, and the same call through the existing one none.
	calls := srv.Requests(authtest.RouteBalance)
	require.Len(t, calls, 8)
	for i, scheme := range []string{"App ", "Basic ", "IBSSO ", "Bearer "} {
		require.True(t, strings.HasPrefix(calls[2*i].Header.Get("Authorization"), scheme), "call %d: %q", 2*i, calls[2*i].Header.Get("Authorization"))
		require.Empty(t, calls[2*i+1].Header.Get("Authorization"), "call %d through the existing client", 2*i+1)
	}
	// The session and the token came through the existing client's TLS
	// roots (the server speaks only TLS), and the session was destroyed.
	require.Equal(t, 1, srv.Count(authtest.RouteCreateSession))
	require.Equal(t, 1, srv.Count(authtest.RouteToken))
	require.Equal(t, 1, srv.Count(authtest.RouteDestroySession))
	require.Zero(t, srv.ActiveSessions())
	// srv.Client() is the existing client: its transport is still its own.
	require.IsType(t, &http.Transport{}, srv.Client().Transport)
}
