package auth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
)

// RefreshEvent values are the documented constants.
func TestRefreshEventConstants(t *testing.T) {
	srv := setup(t)
	s, ev := newIBSSO(t, srv)
	_, err := s.Authorization(context.Background())
	require.NoError(t, err)
	ev.mu.Lock()
	defer ev.mu.Unlock()
	require.Len(t, ev.all, 1)
	require.Equal(t, auth.SchemeIBSSO, ev.all[0].Scheme)
	require.Equal(t, auth.ReasonInitial, ev.all[0].Reason)
	require.False(t, errors.Is(ev.all[0].Err, auth.ErrClosed))
}
