package auth_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

func TestNewAPIKeyHeader(t *testing.T) {
	for _, key := range []string{
		authtest.APIKey,
		"0030abcdef0123456789abcdef012345-7c4e0b2a-1f3d-4c5e-9a8b-0d1e2f3a4b5c",
		"k",
		"Applesauce-42", // starts with "App" but not with the scheme
		"cl\u00e9-\u00fc",
	} {
		k, err := auth.NewAPIKey(key)
		require.NoError(t, err, key)
		h, err := k.Authorization(t.Context())
		require.NoError(t, err)
		require.Equal(t, "App "+key, h)
	}
}

func TestNewAPIKeyRejects(t *testing.T) {
	const secret = "K3ySECRETvalue"
	for _, tc := range []struct {
		name, key, want string
	}{
		{"empty", "", "empty"},
		{"spaces only", "    ", "empty"},
		{"inner space", secret + " " + secret, "whitespace"},
		{"leading space", " " + secret, "whitespace"},
		{"trailing space", secret + " ", "whitespace"},
		{"non-breaking space", secret + "\u00a0x", "whitespace"},
		{"tab", secret + "\tx", "control"},
		{"CR", secret + "\rx", "control"},
		{"LF", secret + "\nx", "control"},
		{"CRLF header injection", secret + "\r\nX-Evil: 1", "control"},
		{"NUL", secret + "\x00x", "control"},
		{"DEL", secret + "\x7fx", "control"},
		{"C1 control", secret + "\u0085x", "control"},
		{"invalid UTF-8", secret + "\xffx", "UTF-8"},
		{"App prefix", "App " + secret, `"App "`},
		{"app prefix", "app " + secret, `"App "`},
		{"APP prefix", "APP " + secret, `"App "`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := auth.NewAPIKey(tc.key)
			require.Nil(t, k)
			require.ErrorContains(t, err, "API key")
			require.ErrorContains(t, err, tc.want)
			require.NotContains(t, err.Error(), secret)
			require.NotContains(t, err.Error(), "K3y")
		})
	}
}
