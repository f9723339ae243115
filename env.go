package auth

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/ibkit/auth/internal/baseurl"
)

// FromEnv configures an authenticator from IB_* environment variables.
// Infobip's community SDKs read only IB_BASE_URL and IB_API_KEY; FromEnv
// gives those two the same meaning and adds the others:
//
//	IB_BASE_URL                      the account's base URL (required)
//	IB_API_KEY                       an API key: App authentication
//	IB_USERNAME, IB_PASSWORD         Basic; IBSSO sessions with IB_AUTH=ibsso;
//	                                 OAuth with IB_AUTH=oauth (see below)
//	IB_CLIENT_ID, IB_CLIENT_SECRET   OAuth 2.0 client credentials
//	IB_AUTH                          app, basic, ibsso or oauth: which to use
//
// An empty variable counts as unset. When credentials for more than one
// scheme are set, IB_AUTH must choose.
//
// Infobip describes the OAuth client ID and secret as the account's
// username and password. So with IB_AUTH=oauth, IB_USERNAME and IB_PASSWORD
// serve as client ID and secret when neither IB_CLIENT_ID nor
// IB_CLIENT_SECRET is set. When either is set, those two win and both are
// required.
//
// The base URL is returned in canonical form (see "Where credentials go"
// in the package documentation), ready for paths to be appended. Errors
// name the variables involved and never show a credential.
//
// Options set what the variables cannot: the client for session and token
// requests ([WithHTTPClient]), the clock ([WithClock]), the refresh hook
// ([WithOnRefresh]), a logger ([WithLogger]) and a store shared with other
// processes ([WithStore]). They matter only for IBSSO and OAuth.
//
// An IBSSO or OAuth authenticator holds a session or a background refresh:
// close it when done, as its Close method does for [IBSSO] and [Bearer]. A
// key or password has no Close and holds nothing:
//
//	baseURL, a, err := auth.FromEnv()
//	if err != nil {
//		return err
//	}
//	if c, ok := a.(interface{ Close(context.Context) error }); ok {
//		defer c.Close(ctx)
//	}
func FromEnv(opts ...EnvOption) (baseURL string, a Authenticator, err error) {
	var o envOptions
	for _, opt := range opts {
		opt(&o)
	}
	raw := os.Getenv("IB_BASE_URL")
	if raw == "" {
		return "", nil, errors.New("auth: IB_BASE_URL is not set")
	}
	_, baseURL, err = baseurl.Parse(raw)
	if err != nil {
		return "", nil, wrap("IB_BASE_URL", err)
	}
	scheme, err := envScheme()
	if err != nil {
		return "", nil, err
	}
	vars, err := envCredentials(scheme)
	if err != nil {
		return "", nil, err
	}
	switch scheme {
	case "app":
		a, err = NewAPIKey(os.Getenv(vars[0]))
	case "basic":
		a, err = NewBasic(os.Getenv(vars[0]), os.Getenv(vars[1]))
	case "ibsso":
		a, err = NewIBSSO(IBSSOConfig{BaseURL: baseURL, Username: os.Getenv(vars[0]), Password: os.Getenv(vars[1]),
			HTTPClient: o.client, Now: o.now, OnRefresh: o.onRefresh, Logger: o.logger, Store: o.store})
	case "oauth":
		a, err = NewOAuth(OAuthConfig{BaseURL: baseURL, ClientID: os.Getenv(vars[0]), ClientSecret: os.Getenv(vars[1]),
			HTTPClient: o.client, Now: o.now, OnRefresh: o.onRefresh, Logger: o.logger, Store: o.store})
	}
	if err != nil {
		return "", nil, wrap(strings.Join(vars, ", "), err)
	}
	return baseURL, a, nil
}

// An EnvOption sets what [FromEnv] builds beyond the environment.
type EnvOption func(*envOptions)

type envOptions struct {
	client    *http.Client
	now       func() time.Time
	onRefresh func(RefreshEvent)
	logger    *slog.Logger
	store     Store
}

// WithHTTPClient is FromEnv's way to set the HTTPClient of [IBSSOConfig]
// and [OAuthConfig], which sends the session and token requests: give the
// client whose TLS roots, proxy or certificates reach Infobip. Without it,
// they use http.DefaultClient.
func WithHTTPClient(c *http.Client) EnvOption { return func(o *envOptions) { o.client = c } }

// WithClock is FromEnv's way to set the Now of [IBSSOConfig] and
// [OAuthConfig], the clock every expiry decision uses; tests pass
// [github.com/ibkit/auth/authtest.Server.Now].
func WithClock(now func() time.Time) EnvOption { return func(o *envOptions) { o.now = now } }

// WithOnRefresh is FromEnv's way to set the OnRefresh hook of
// [IBSSOConfig] and [OAuthConfig], told of every session or token fetch.
func WithOnRefresh(f func(RefreshEvent)) EnvOption { return func(o *envOptions) { o.onRefresh = f } }

// WithLogger is FromEnv's way to set the Logger of [IBSSOConfig] and
// [OAuthConfig] (see [OAuthConfig.Logger]).
func WithLogger(l *slog.Logger) EnvOption { return func(o *envOptions) { o.logger = l } }

// WithStore is FromEnv's way to set the Store of [IBSSOConfig] and
// [OAuthConfig], which shares OAuth tokens and IBSSO sessions with the
// other processes that use the same credentials (see [Store]).
func WithStore(st Store) EnvOption { return func(o *envOptions) { o.store = st } }

const (
	userVars   = "IB_USERNAME and IB_PASSWORD"
	clientVars = "IB_CLIENT_ID and IB_CLIENT_SECRET"
)

// envVars lists the variables whose presence selects each scheme when
// IB_AUTH is unset (ibsso and OAuth with username and password only by
// IB_AUTH).
var envVars = map[string][]string{
	"app":   {"IB_API_KEY"},
	"basic": {"IB_USERNAME", "IB_PASSWORD"},
	"ibsso": {"IB_USERNAME", "IB_PASSWORD"},
	"oauth": {"IB_CLIENT_ID", "IB_CLIENT_SECRET"},
}

// envScheme picks the scheme: IB_AUTH if set, else the one whose variables
// are present.
func envScheme() (string, error) {
	if v := os.Getenv("IB_AUTH"); v != "" {
		s := strings.ToLower(strings.TrimSpace(v))
		if _, ok := envVars[s]; !ok {
			return "", errors.New("auth: IB_AUTH must be one of app, basic, ibsso, oauth")
		}
		return s, nil
	}
	var found []string
	var set []string
	for _, s := range []string{"app", "basic", "oauth"} {
		if name, ok := anySet(envVars[s]); ok {
			found = append(found, s)
			set = append(set, name)
		}
	}
	switch len(found) {
	case 0:
		return "", errors.New("auth: no Infobip credentials in the environment: set IB_API_KEY, " + userVars + ", or " + clientVars)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("auth: credentials for several schemes are set (%s); set IB_AUTH to app, basic, ibsso or oauth", strings.Join(set, ", "))
}

// envCredentials returns the variables that hold scheme's credentials, in
// the order its constructor takes them, once all of them are set.
func envCredentials(scheme string) ([]string, error) {
	names := envVars[scheme]
	if scheme != "oauth" {
		return names, requireEnv(scheme, names, "")
	}
	// The client variables win; the account's username and password stand
	// in for them only when neither is set.
	if _, ok := anySet(names); ok {
		return names, requireEnv(scheme, names, "")
	}
	user := envVars["basic"]
	if _, ok := anySet(user); ok {
		return user, requireEnv(scheme, user, "or set "+clientVars)
	}
	return nil, requireEnv(scheme, names, "or set "+userVars+", which Infobip accepts as client ID and secret")
}

// requireEnv checks that every one of names is set. Its error names the
// missing ones and why they are needed: the others of names that are set,
// or else IB_AUTH's choice. alt, if not empty, adds another way out.
func requireEnv(scheme string, names []string, alt string) error {
	var missing, present []string
	for _, n := range names {
		if os.Getenv(n) == "" {
			missing = append(missing, n)
		} else {
			present = append(present, n)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	why := "IB_AUTH=" + scheme
	if len(present) > 0 {
		why = strings.Join(present, " and ")
	}
	if alt != "" {
		why += "; " + alt
	}
	return fmt.Errorf("auth: %s not set (needed with %s)", strings.Join(missing, " and "), why)
}

// anySet returns the first of names that is set.
func anySet(names []string) (string, bool) {
	for _, n := range names {
		if os.Getenv(n) != "" {
			return n, true
		}
	}
	return "", false
}
