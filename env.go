package auth

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// FromEnv configures an authenticator from the environment, as Infobip's
// SDKs do:
//
//	IB_BASE_URL                      the account's base URL (required)
//	IB_API_KEY                       an API key: App authentication
//	IB_USERNAME, IB_PASSWORD         Basic, or IBSSO sessions with IB_AUTH=ibsso
//	IB_CLIENT_ID, IB_CLIENT_SECRET   OAuth 2.0 client credentials
//	IB_AUTH                          app, basic, ibsso or oauth: which to use
//
// When credentials for more than one scheme are set, IB_AUTH must choose.
// The base URL is returned in canonical form, scheme://host[:port] with no
// trailing slash (https:// added if IB_BASE_URL has no scheme), ready for
// paths to be appended. Errors name the variables involved, never their
// values.
func FromEnv() (baseURL string, a Authenticator, err error) {
	raw := os.Getenv("IB_BASE_URL")
	if raw == "" {
		return "", nil, errors.New("auth: IB_BASE_URL is not set")
	}
	_, baseURL, err = parseBaseURL(raw)
	if err != nil {
		return "", nil, fmt.Errorf("IB_BASE_URL: %w", err)
	}
	scheme, err := envScheme()
	if err != nil {
		return "", nil, err
	}
	if err := requireEnv(envVars[scheme]...); err != nil {
		return "", nil, err
	}
	switch scheme {
	case "app":
		a, err = NewAPIKey(os.Getenv("IB_API_KEY"))
	case "basic":
		a, err = NewBasic(os.Getenv("IB_USERNAME"), os.Getenv("IB_PASSWORD"))
	case "ibsso":
		a, err = NewIBSSO(IBSSOConfig{BaseURL: baseURL, Username: os.Getenv("IB_USERNAME"), Password: os.Getenv("IB_PASSWORD")})
	case "oauth":
		a, err = NewOAuth(OAuthConfig{BaseURL: baseURL, ClientID: os.Getenv("IB_CLIENT_ID"), ClientSecret: os.Getenv("IB_CLIENT_SECRET")})
	}
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", strings.Join(envVars[scheme], ", "), err)
	}
	return baseURL, a, nil
}

// envVars lists the variables each scheme needs.
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
		for _, name := range envVars[s] {
			if os.Getenv(name) != "" {
				found = append(found, s)
				set = append(set, name)
				break
			}
		}
	}
	switch len(found) {
	case 0:
		return "", errors.New("auth: no Infobip credentials in the environment: set IB_API_KEY, IB_USERNAME and IB_PASSWORD, or IB_CLIENT_ID and IB_CLIENT_SECRET")
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("auth: credentials for several schemes are set (%s); set IB_AUTH to app, basic, ibsso or oauth", strings.Join(set, ", "))
}

func requireEnv(names ...string) error {
	var missing []string
	for _, n := range names {
		if os.Getenv(n) == "" {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("auth: %s not set (needed with %s)", strings.Join(missing, " and "), strings.Join(names, " and "))
	}
	return nil
}
