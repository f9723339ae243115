package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

func TestSecretsNeverPrint(t *testing.T) {
	srv := setup(t)
	const (
		key      = "feedfacefeedfacefeedfacefeedface-11111111-2222-3333-4444-555555555555"
		user     = "printed-user"
		password = "Pr1nted-Passw0rd"
		secret   = "Pr1nted-Cl1ent-Secret"
	)
	srv.AddAPIKey(key)
	srv.AddUser(user, password)
	srv.AddClient("printed-client", secret)

	apiKey, err := auth.NewAPIKey(key)
	require.NoError(t, err)
	basic, err := auth.NewBasic(user, password)
	require.NoError(t, err)
	ibssoCfg := auth.IBSSOConfig{BaseURL: srv.URL, Username: user, Password: password, Now: srv.Now}
	ibsso, err := auth.NewIBSSO(ibssoCfg)
	require.NoError(t, err)
	defer ibsso.Close(context.Background())
	oauthCfg := auth.OAuthConfig{BaseURL: srv.URL, ClientID: "printed-client", ClientSecret: secret, Now: srv.Now}
	bearer, err := auth.NewOAuth(oauthCfg)
	require.NoError(t, err)

	session, err := ibsso.Authorization(context.Background())
	require.NoError(t, err)
	token, err := bearer.Authorization(context.Background())
	require.NoError(t, err)
	tr, err := auth.NewTransport(srv.URL, bearer, nil)
	require.NoError(t, err)

	secrets := []string{key, password, secret, session[len("IBSSO "):], token[len("Bearer "):],
		// Basic's header is base64 of the pair.
		basicHeader(t, basic)[len("Basic "):]}
	values := map[string]any{
		"APIKey": apiKey, "Basic": basic, "IBSSO": ibsso, "Bearer": bearer, "Transport": tr,
		"APIKey value": *apiKey, "Basic value": *basic, "IBSSO value": *ibsso, "Bearer value": *bearer,
		"IBSSOConfig": ibssoCfg, "*IBSSOConfig": &ibssoCfg, "OAuthConfig": oauthCfg, "*OAuthConfig": &oauthCfg,
		"in a struct": struct {
			A *auth.APIKey
			B auth.Authenticator
			C auth.IBSSOConfig
			D []auth.Authenticator
		}{apiKey, basic, ibssoCfg, []auth.Authenticator{ibsso, bearer}},
		"in a map": map[string]any{"k": apiKey, "c": oauthCfg},
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			out := fmtAll(v)
			for _, s := range secrets {
				require.NotContains(t, out, s)
			}
		})
	}
}

func basicHeader(t *testing.T, b *auth.Basic) string {
	t.Helper()
	h, err := b.Authorization(context.Background())
	require.NoError(t, err)
	return h
}

func TestRedactedValuesStillSayWhatTheyAre(t *testing.T) {
	k, err := auth.NewAPIKey(authtest.APIKey)
	require.NoError(t, err)
	require.Equal(t, "auth.APIKey{[redacted]}", fmt.Sprint(k))
	require.Equal(t, "auth.APIKey{[redacted]}", fmt.Sprintf("%#v", k))
	require.Equal(t, `"auth.APIKey{[redacted]}"`, fmt.Sprintf("%q", k))
}

// slog's JSON handler marshals values nested in slices and structs with
// encoding/json, without asking LogValue: secrets stay out all the same.
func TestSecretsStayOutOfNestedSlogJSON(t *testing.T) {
	const secret = "very-secret-client-secret-123"
	cfg := auth.OAuthConfig{BaseURL: "https://api.example.com", ClientID: "id", ClientSecret: secret}
	ib := auth.IBSSOConfig{BaseURL: "https://api.example.com", Username: "u", Password: secret}
	st := auth.StoredToken{Scheme: "Bearer", Value: secret}
	var buf bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&buf, nil))
	l.Info("configs", "all", []auth.OAuthConfig{cfg}, "svc", struct{ Cfg auth.IBSSOConfig }{ib}, "tok", []auth.StoredToken{st})
	if strings.Contains(buf.String(), secret) {
		t.Errorf("slog JSON shows a secret: %s", buf.String())
	}
	if b, _ := json.Marshal(cfg); bytes.Contains(b, []byte(secret)) {
		t.Errorf("json.Marshal(OAuthConfig) = %s", b)
	}
}
