package auth_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

// Distinctive values, so that a test can tell one leaking into an error.
const (
	envKey      = "EnvK3yVALUE-0123456789abcdef"
	envUser     = "EnvUSERvalue"
	envPassword = "EnvPASSWORDvalue"
	envClientID = "EnvCLIENTidVALUE"
	envSecret   = "EnvCLIENTsecretVALUE"
)

var envValues = []string{envKey, envUser, envPassword, envClientID, envSecret}

// requireFromEnvError checks that FromEnv fails with an error holding every
// one of want and none of the credential values.
func requireFromEnvError(t *testing.T, want ...string) {
	t.Helper()
	baseURL, a, err := auth.FromEnv()
	require.Error(t, err)
	require.Empty(t, baseURL)
	require.Nil(t, a)
	for _, w := range want {
		require.ErrorContains(t, err, w)
	}
	require.True(t, strings.HasPrefix(err.Error(), "auth: "), err.Error())
	require.Equal(t, 1, strings.Count(err.Error(), "auth: "), "the package name once: %s", err)
	for _, v := range envValues {
		require.NotContains(t, err.Error(), v)
	}
}

func TestFromEnvAPIKey(t *testing.T) {
	clearEnv(t, "IB_BASE_URL=https://xyz12.api.infobip.com", "IB_API_KEY="+envKey)
	baseURL, a, err := auth.FromEnv()
	require.NoError(t, err)
	require.Equal(t, "https://xyz12.api.infobip.com", baseURL)
	require.IsType(t, &auth.APIKey{}, a)
	h, err := a.Authorization(t.Context())
	require.NoError(t, err)
	require.Equal(t, "App "+envKey, h)
}

func TestFromEnvBasic(t *testing.T) {
	clearEnv(t, "IB_BASE_URL=https://api.infobip.com", "IB_USERNAME=Aladdin", "IB_PASSWORD=openSesame")
	baseURL, a, err := auth.FromEnv()
	require.NoError(t, err)
	require.Equal(t, "https://api.infobip.com", baseURL)
	require.IsType(t, &auth.Basic{}, a)
	h, err := a.Authorization(t.Context())
	require.NoError(t, err)
	require.Equal(t, "Basic QWxhZGRpbjpvcGVuU2VzYW1l", h)
}

func TestFromEnvIBSSO(t *testing.T) {
	srv := setup(t)
	clearEnv(t, "IB_BASE_URL="+srv.URL, "IB_AUTH=ibsso", "IB_USERNAME="+authtest.Username, "IB_PASSWORD="+authtest.Password)
	baseURL, a, err := auth.FromEnv()
	require.NoError(t, err)
	require.Equal(t, srv.URL, baseURL)
	require.IsType(t, &auth.IBSSO{}, a)
	s := a.(*auth.IBSSO)
	t.Cleanup(func() { s.Close(context.Background()) })
	require.Equal(t, 0, srv.Count(authtest.RouteCreateSession), "no request at construction")

	// The session is created on first use, with the environment's credentials.
	h, err := a.Authorization(t.Context())
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(h, "IBSSO "), h)
	require.Equal(t, 1, srv.Count(authtest.RouteCreateSession))
	require.JSONEq(t, `{"username":"aladdin","password":"open-sesame-7"}`, string(srv.Requests(authtest.RouteCreateSession)[0].Body))

	require.NoError(t, s.Close(t.Context()))
	require.Equal(t, 0, srv.ActiveSessions())
}

func TestFromEnvOAuth(t *testing.T) {
	srv := setup(t)
	clearEnv(t, "IB_BASE_URL="+srv.URL, "IB_CLIENT_ID="+authtest.ClientID, "IB_CLIENT_SECRET="+authtest.ClientSecret)
	baseURL, a, err := auth.FromEnv()
	require.NoError(t, err)
	require.Equal(t, srv.URL, baseURL)
	require.IsType(t, &auth.Bearer{}, a)
	require.Equal(t, 0, srv.Count(authtest.RouteToken), "no request at construction")

	h, err := a.Authorization(t.Context())
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(h, "Bearer "), h)
	require.Equal(t, 1, srv.Count(authtest.RouteToken))
}

func TestFromEnvIBAuthChooses(t *testing.T) {
	all := []string{
		"IB_BASE_URL=https://api.infobip.com",
		"IB_API_KEY=" + envKey,
		"IB_USERNAME=" + envUser, "IB_PASSWORD=" + envPassword,
		"IB_CLIENT_ID=" + envClientID, "IB_CLIENT_SECRET=" + envSecret,
	}
	for _, tc := range []struct {
		ibAuth string
		want   auth.Authenticator
	}{
		{"app", &auth.APIKey{}},
		{"basic", &auth.Basic{}},
		{"ibsso", &auth.IBSSO{}},
		{"oauth", &auth.Bearer{}},
		{"OAuth", &auth.Bearer{}},
		{" Basic ", &auth.Basic{}},
	} {
		t.Run(tc.ibAuth, func(t *testing.T) {
			clearEnv(t, append(all, "IB_AUTH="+tc.ibAuth)...)
			baseURL, a, err := auth.FromEnv()
			require.NoError(t, err)
			require.Equal(t, "https://api.infobip.com", baseURL)
			require.IsType(t, tc.want, a)
			if s, ok := a.(*auth.IBSSO); ok {
				require.NoError(t, s.Close(t.Context()), "closing an unused session sends nothing")
			}
		})
	}

	t.Run("app header", func(t *testing.T) {
		clearEnv(t, append(all, "IB_AUTH=app")...)
		_, a, err := auth.FromEnv()
		require.NoError(t, err)
		h, err := a.Authorization(t.Context())
		require.NoError(t, err)
		require.Equal(t, "App "+envKey, h)
	})
	t.Run("basic header", func(t *testing.T) {
		clearEnv(t, append(all, "IB_AUTH=basic")...)
		_, a, err := auth.FromEnv()
		require.NoError(t, err)
		h, err := a.Authorization(t.Context())
		require.NoError(t, err)
		require.Equal(t, "Basic "+base64.StdEncoding.EncodeToString([]byte(envUser+":"+envPassword)), h)
	})
}

func TestFromEnvWithoutBaseURL(t *testing.T) {
	clearEnv(t, "IB_API_KEY="+envKey)
	requireFromEnvError(t, "IB_BASE_URL")
}

func TestFromEnvBadBaseURL(t *testing.T) {
	for _, tc := range []struct {
		baseURL string
		want    []string
	}{
		{"http://api.infobip.com", []string{"IB_BASE_URL", "https"}},
		{"https://api.infobip.com/sms/2", []string{"auth: IB_BASE_URL: base URL", "origin only"}},
		{"ftp://api.infobip.com", []string{"IB_BASE_URL", "https"}},
		{"https://" + envUser + ":" + envPassword + "@api.infobip.com", []string{"IB_BASE_URL", "user information"}},
	} {
		t.Run(tc.baseURL, func(t *testing.T) {
			clearEnv(t, "IB_BASE_URL="+tc.baseURL, "IB_API_KEY="+envKey)
			requireFromEnvError(t, tc.want...)
		})
	}
}

func TestFromEnvAmbiguous(t *testing.T) {
	clearEnv(t, "IB_BASE_URL=https://api.infobip.com", "IB_API_KEY="+envKey, "IB_CLIENT_ID="+envClientID, "IB_CLIENT_SECRET="+envSecret)
	requireFromEnvError(t, "IB_API_KEY", "IB_CLIENT_ID", "IB_AUTH")
}

func TestFromEnvAmbiguousThreeWays(t *testing.T) {
	clearEnv(t, "IB_BASE_URL=https://api.infobip.com", "IB_API_KEY="+envKey, "IB_PASSWORD="+envPassword, "IB_CLIENT_SECRET="+envSecret)
	requireFromEnvError(t, "IB_API_KEY", "IB_PASSWORD", "IB_CLIENT_SECRET", "IB_AUTH")
}

func TestFromEnvInvalidIBAuth(t *testing.T) {
	for _, v := range []string{"kerberos", "apikey", "ibsso,oauth"} {
		t.Run(v, func(t *testing.T) {
			clearEnv(t, "IB_BASE_URL=https://api.infobip.com", "IB_API_KEY="+envKey, "IB_AUTH="+v)
			requireFromEnvError(t, "IB_AUTH", "app, basic, ibsso, oauth")
		})
	}
}

func TestFromEnvMissingPartner(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pairs []string
		want  []string
	}{
		{"username without password", []string{"IB_USERNAME=" + envUser}, []string{"IB_PASSWORD"}},
		{"password without username", []string{"IB_PASSWORD=" + envPassword}, []string{"IB_USERNAME"}},
		{"ibsso without password", []string{"IB_AUTH=ibsso", "IB_USERNAME=" + envUser}, []string{"IB_PASSWORD"}},
		{"client id without secret", []string{"IB_CLIENT_ID=" + envClientID}, []string{"IB_CLIENT_SECRET"}},
		{"oauth chosen, only a key", []string{"IB_AUTH=oauth", "IB_API_KEY=" + envKey}, []string{
			"auth: IB_CLIENT_ID and IB_CLIENT_SECRET not set (needed with IB_AUTH=oauth; or set IB_USERNAME and IB_PASSWORD, which Infobip accepts as client ID and secret)"}},
		{"app chosen, no key", []string{"IB_AUTH=app", "IB_USERNAME=" + envUser, "IB_PASSWORD=" + envPassword}, []string{
			"auth: IB_API_KEY not set (needed with IB_AUTH=app)"}},
		{"ibsso chosen, nothing", []string{"IB_AUTH=ibsso"}, []string{
			"auth: IB_USERNAME and IB_PASSWORD not set (needed with IB_AUTH=ibsso)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t, append(tc.pairs, "IB_BASE_URL=https://api.infobip.com")...)
			requireFromEnvError(t, tc.want...)
		})
	}
}

func TestFromEnvNoCredentials(t *testing.T) {
	clearEnv(t, "IB_BASE_URL=https://api.infobip.com")
	requireFromEnvError(t, "IB_API_KEY", "IB_CLIENT_ID")
}

func TestFromEnvBadCredential(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pairs []string
		want  []string
	}{
		{"key with the App scheme", []string{"IB_API_KEY=App " + envKey}, []string{"IB_API_KEY", "API key"}},
		{"username with a colon", []string{"IB_USERNAME=" + envUser + ":x", "IB_PASSWORD=" + envPassword}, []string{"IB_USERNAME", "username"}},
		{"password with LF", []string{"IB_USERNAME=" + envUser, "IB_PASSWORD=" + envPassword + "\n"}, []string{"IB_PASSWORD", "password"}},
		{"secret with a space", []string{"IB_CLIENT_ID=" + envClientID, "IB_CLIENT_SECRET=" + envSecret + " x"}, []string{"IB_CLIENT_SECRET", "client secret"}},
		{"oauth password with a space", []string{"IB_AUTH=oauth", "IB_USERNAME=" + envUser, "IB_PASSWORD=" + envPassword + " x"}, []string{"auth: IB_USERNAME, IB_PASSWORD: ", "client secret"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t, append(tc.pairs, "IB_BASE_URL=https://api.infobip.com")...)
			requireFromEnvError(t, tc.want...)
		})
	}
}

func TestFromEnvReturnsACanonicalBaseURL(t *testing.T) {
	for raw, want := range map[string]string{
		"xyz.api.infobip.com":          "https://xyz.api.infobip.com",
		"https://XYZ.api.infobip.com/": "https://xyz.api.infobip.com",
		"https://api.infobip.com:8443": "https://api.infobip.com:8443",
		"http://127.0.0.1:9000/":       "http://127.0.0.1:9000",
	} {
		t.Run(raw, func(t *testing.T) {
			clearEnv(t)
			t.Setenv("IB_BASE_URL", raw)
			t.Setenv("IB_API_KEY", authtest.APIKey)
			got, _, err := auth.FromEnv()
			require.NoError(t, err)
			require.Equal(t, want, got)
		})
	}
}

// Infobip describes the OAuth client ID and secret as the account's
// username and password: with IB_AUTH=oauth those two are enough.
func TestFromEnvOAuthWithUsernameAndPassword(t *testing.T) {
	srv := setup(t)
	srv.AddClient(envUser, envPassword)
	clearEnv(t, "IB_BASE_URL="+srv.URL, "IB_AUTH=oauth", "IB_USERNAME="+envUser, "IB_PASSWORD="+envPassword)
	baseURL, a, err := auth.FromEnv()
	require.NoError(t, err)
	require.Equal(t, srv.URL, baseURL)
	require.IsType(t, &auth.Bearer{}, a)

	requireBalance(t, baseURL, a)
	require.True(t, strings.HasPrefix(srv.Requests(authtest.RouteBalance)[0].Header.Get("Authorization"), "Bearer "))
	require.Equal(t, 1, srv.Count(authtest.RouteToken))
	form, err := url.ParseQuery(string(srv.Requests(authtest.RouteToken)[0].Body))
	require.NoError(t, err)
	require.Equal(t, envUser, form.Get("client_id"))
	require.Equal(t, envPassword, form.Get("client_secret"))
}

// IB_CLIENT_ID and IB_CLIENT_SECRET win over the username and password.
func TestFromEnvOAuthClientVariablesWin(t *testing.T) {
	srv := setup(t)
	clearEnv(t, "IB_BASE_URL="+srv.URL, "IB_AUTH=oauth",
		"IB_CLIENT_ID="+authtest.ClientID, "IB_CLIENT_SECRET="+authtest.ClientSecret,
		"IB_USERNAME="+authtest.Username, "IB_PASSWORD="+authtest.Password)
	baseURL, a, err := auth.FromEnv()
	require.NoError(t, err)
	requireBalance(t, baseURL, a)
	form, err := url.ParseQuery(string(srv.Requests(authtest.RouteToken)[0].Body))
	require.NoError(t, err)
	require.Equal(t, authtest.ClientID, form.Get("client_id"))
}

// Without IB_AUTH, a username and password still mean Basic: OAuth with
// them must be asked for.
func TestFromEnvUsernameAndPasswordDefaultToBasic(t *testing.T) {
	clearEnv(t, "IB_BASE_URL=https://api.infobip.com", "IB_USERNAME="+envUser, "IB_PASSWORD="+envPassword)
	_, a, err := auth.FromEnv()
	require.NoError(t, err)
	require.IsType(t, &auth.Basic{}, a)
}

func TestFromEnvOAuthMissing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pairs []string
		want  string
	}{
		{"nothing", nil,
			"auth: IB_CLIENT_ID and IB_CLIENT_SECRET not set (needed with IB_AUTH=oauth; or set IB_USERNAME and IB_PASSWORD, which Infobip accepts as client ID and secret)"},
		{"username only", []string{"IB_USERNAME=" + envUser},
			"auth: IB_PASSWORD not set (needed with IB_USERNAME; or set IB_CLIENT_ID and IB_CLIENT_SECRET)"},
		{"password only", []string{"IB_PASSWORD=" + envPassword},
			"auth: IB_USERNAME not set (needed with IB_PASSWORD; or set IB_CLIENT_ID and IB_CLIENT_SECRET)"},
		// A half-set client pair is an error, not a reason to fall back on
		// the username and password.
		{"client id, username and password", []string{"IB_CLIENT_ID=" + envClientID, "IB_USERNAME=" + envUser, "IB_PASSWORD=" + envPassword},
			"auth: IB_CLIENT_SECRET not set (needed with IB_CLIENT_ID)"},
		{"client secret, username and password", []string{"IB_CLIENT_SECRET=" + envSecret, "IB_USERNAME=" + envUser, "IB_PASSWORD=" + envPassword},
			"auth: IB_CLIENT_ID not set (needed with IB_CLIENT_SECRET)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t, append(tc.pairs, "IB_BASE_URL=https://api.infobip.com", "IB_AUTH=oauth")...)
			_, _, err := auth.FromEnv()
			require.EqualError(t, err, tc.want)
		})
	}
}

// What FromEnv returns closes as its documentation shows: IBSSO and OAuth
// through their Close method; App and Basic have none and hold nothing.
func TestCloseWhateverFromEnvReturns(t *testing.T) {
	srv := setup(t)
	for i, env := range envSchemes {
		clearEnv(t, append([]string{"IB_BASE_URL=" + srv.URL}, env...)...)
		baseURL, a, err := auth.FromEnv(auth.WithClock(srv.Now))
		require.NoError(t, err)
		c, err := auth.NewClient(baseURL, a, nil)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, getBalance(t, c, srv))
		before := srv.Count(authtest.RouteDestroySession)
		cl, ok := a.(closer)
		require.Equal(t, i >= 2, ok, "%T", a)
		if ok {
			require.NoError(t, cl.Close(context.Background()))
		}
		require.Equal(t, 0, srv.ActiveSessions())
		_, err = a.Authorization(context.Background())
		switch i {
		case 2: // IBSSO: the session is destroyed
			require.Equal(t, before+1, srv.Count(authtest.RouteDestroySession))
			require.ErrorIs(t, err, auth.ErrClosed)
		case 3: // OAuth: stopped
			require.ErrorIs(t, err, auth.ErrClosed)
		default: // App and Basic hold nothing
			require.NoError(t, err)
		}
	}
}

// requireBalance calls the balance route with a and checks it succeeds.
func requireBalance(t *testing.T, baseURL string, a auth.Authenticator) {
	t.Helper()
	tr, err := auth.NewTransport(baseURL, a, nil)
	require.NoError(t, err)
	c := &http.Client{Transport: tr}
	t.Cleanup(c.CloseIdleConnections)
	resp, err := c.Get(baseURL + "/account/1/balance")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// TestFromEnvWithStore: authenticators FromEnv builds with the same store,
// as separate processes would, share one OAuth token and one IBSSO session.
func TestFromEnvWithStore(t *testing.T) {
	srv := setup(t)
	st := newMemStore()
	for _, tc := range []struct {
		env   []string
		route string
	}{
		{[]string{"IB_CLIENT_ID=" + authtest.ClientID, "IB_CLIENT_SECRET=" + authtest.ClientSecret}, authtest.RouteToken},
		{[]string{"IB_AUTH=ibsso", "IB_USERNAME=" + authtest.Username, "IB_PASSWORD=" + authtest.Password}, authtest.RouteCreateSession},
	} {
		clearEnv(t, append(tc.env, "IB_BASE_URL="+srv.URL)...)
		seen := map[string]bool{}
		for range 3 {
			_, a, err := auth.FromEnv(auth.WithStore(st))
			require.NoError(t, err)
			h, err := a.Authorization(t.Context())
			require.NoError(t, err)
			seen[h] = true
			require.NoError(t, a.(interface{ Close(context.Context) error }).Close(t.Context()))
		}
		require.Len(t, seen, 1, tc.route)
		require.Equal(t, 1, srv.Count(tc.route), tc.route)
	}
	require.Equal(t, 1, srv.ActiveSessions(), "Close leaves the shared session alive")
}
