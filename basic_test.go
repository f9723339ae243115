package auth_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

func TestNewBasicHeader(t *testing.T) {
	for _, tc := range []struct {
		username, password, want string
	}{
		{"Aladdin", "openSesame", "Basic QWxhZGRpbjpvcGVuU2VzYW1l"},
		// RFC 7617, section 2.1: UTF-8 before Base64.
		{"test", "123\u00a3", "Basic dGVzdDoxMjPCow=="},
		{authtest.Username, authtest.Password, "Basic YWxhZGRpbjpvcGVuLXNlc2FtZS03"},
		// Padding, and no line breaks in a long value.
		{"u", "p", "Basic dTpw"},
		{"us", "p", "Basic dXM6cA=="},
		{strings.Repeat("u", 60), strings.Repeat("p", 60), "Basic " + strings.Repeat("dXV1", 20) + "OnBwcHBw" + strings.Repeat("cHBw", 18) + "cA=="},
	} {
		b, err := auth.NewBasic(tc.username, tc.password)
		require.NoError(t, err, tc.username)
		h, err := b.Authorization(t.Context())
		require.NoError(t, err)
		require.Equal(t, tc.want, h)
		require.NotContains(t, h, "\n")
	}
}

func TestNewBasicPasswordWithSpaces(t *testing.T) {
	for _, password := range []string{"open sesame", "  open sesame  ", "a\u00a0b"} {
		b, err := auth.NewBasic("Aladdin", password)
		require.NoError(t, err, "%q", password)
		h, err := b.Authorization(t.Context())
		require.NoError(t, err)
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Basic "))
		require.NoError(t, err)
		require.Equal(t, "Aladdin:"+password, string(raw))
	}
}

func TestNewBasicRejects(t *testing.T) {
	const (
		user = "UsrNAMEvalue"
		pass = "PaSSWORDvalue"
	)
	for _, tc := range []struct {
		name, username, password, field, want string
	}{
		{"empty username", "", pass, "username", "empty"},
		{"spaces-only username", "   ", pass, "username", "empty"},
		{"username with a colon", user + ":x", pass, "username", ":"},
		{"username with a space", user + " x", pass, "username", "whitespace"},
		{"username with a tab", user + "\tx", pass, "username", "control"},
		{"username with LF", user + "\nx", pass, "username", "control"},
		{"username with NUL", user + "\x00", pass, "username", "control"},
		{"username with DEL", user + "\x7f", pass, "username", "control"},
		{"username not UTF-8", user + "\xfe", pass, "username", "UTF-8"},
		{"empty password", user, "", "password", "empty"},
		{"spaces-only password", user, "   ", "password", "empty"},
		{"password with CR", user, pass + "\rx", "password", "control"},
		{"password with LF", user, pass + "\nx", "password", "control"},
		{"password with a tab", user, pass + "\tx", "password", "control"},
		{"password with NUL", user, pass + "\x00x", "password", "control"},
		{"password with DEL", user, pass + "\x7fx", "password", "control"},
		{"password not UTF-8", user, pass + "\xc3", "password", "UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := auth.NewBasic(tc.username, tc.password)
			require.Nil(t, b)
			require.ErrorContains(t, err, tc.field)
			require.ErrorContains(t, err, tc.want)
			require.NotContains(t, err.Error(), user)
			require.NotContains(t, err.Error(), pass)
		})
	}
}
