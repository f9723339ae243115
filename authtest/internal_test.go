package authtest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRequestsKeepsLast10000 drives the root handler directly: 10,050
// requests over loopback HTTP would take seconds under -race.
func TestRequestsKeepsLast10000(t *testing.T) {
	s := newServer() // not started: nothing to close
	const total = 2*maxRecorded + 50
	for i := range total {
		r := httptest.NewRequest(http.MethodGet, "/account/1/balance", nil)
		r.Header.Set("Authorization", fmt.Sprint("App ", i))
		w := httptest.NewRecorder()
		s.serve(w, r)
		require.Equal(t, http.StatusUnauthorized, w.Code)
	}
	require.Equal(t, total, s.Count(RouteBalance))
	reqs := s.Requests(RouteBalance)
	require.Len(t, reqs, 10000)
	for i, r := range reqs {
		require.Equal(t, fmt.Sprint("App ", total-10000+i), r.Header.Get("Authorization"), i)
	}
}
