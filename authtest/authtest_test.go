package authtest_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/internal/testkit"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	oldUnauthorized = `{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Invalid login details"}}}`
	oldBadClient    = `{"error":"invalid_client","requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Invalid login details"}}}`
	balanceBody     = `{"balance":42.5,"currency":"EUR"}`
	newUnauthorized = `{"errorCode":"E401","description":"The request lacks valid authentication credentials for the requested resource.",
		"action":"Check the resources and adjust authentication credentials.","violations":[],
		"resources":[{"name":"API Authentication","url":"https://www.infobip.com/docs/essentials/api-authentication"}]}`
	smsBody = `{"messages":[{"destinations":[{"to":"41793026727"}],"content":{"text":"hi"}}]}`
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// reply is a response read in full.
type reply struct {
	status int
	header http.Header
	body   string
}

// call makes one request to s and reads the whole response.
func call(t *testing.T, s *authtest.Server, method, path, authz, ctype, body string) reply {
	t.Helper()
	r, err := callCtx(context.Background(), s, method, path, authz, ctype, body)
	require.NoError(t, err)
	return r
}

func callCtx(ctx context.Context, s *authtest.Server, method, path, authz, ctype, body string) (reply, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, rd)
	if err != nil {
		return reply{}, err
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}, err
}

func newServer(t *testing.T) *authtest.Server {
	t.Helper()
	s := authtest.NewServer()
	t.Cleanup(s.Close)
	return s
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func balance(t *testing.T, s *authtest.Server, authz string) reply {
	t.Helper()
	return call(t, s, http.MethodGet, "/account/1/balance", authz, "", "")
}

func sessionBody(user, pass string) string {
	b, _ := json.Marshal(map[string]string{"username": user, "password": pass})
	return string(b)
}

// createSession creates an IBSSO session for the default user.
func createSession(t *testing.T, s *authtest.Server) string {
	t.Helper()
	r := call(t, s, http.MethodPost, "/auth/1/session", "", "application/json",
		sessionBody(authtest.Username, authtest.Password))
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Equal(t, "application/json", r.header.Get("Content-Type"))
	var out struct{ Token string }
	require.NoError(t, json.Unmarshal([]byte(r.body), &out))
	require.Regexp(t, uuidV4, out.Token)
	return out.Token
}

func tokenForm(id, secret string) string {
	return url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {id},
		"client_secret": {secret},
	}.Encode()
}

type tokenReply struct {
	AccessToken string  `json:"access_token"`
	ExpiresIn   any     `json:"expires_in"`
	TokenType   *string `json:"token_type"`
}

// fetchToken gets an OAuth access token for the default client.
func fetchToken(t *testing.T, s *authtest.Server) tokenReply {
	t.Helper()
	r := call(t, s, http.MethodPost, "/auth/1/oauth2/token", "",
		"application/x-www-form-urlencoded", tokenForm(authtest.ClientID, authtest.ClientSecret))
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Equal(t, "application/json", r.header.Get("Content-Type"))
	var out tokenReply
	require.NoError(t, json.Unmarshal([]byte(r.body), &out))
	require.NotEmpty(t, out.AccessToken)
	return out
}

// requireTokenError asserts an error of the token route as Infobip
// documents it: the older body plus the deprecated "error" field.
func requireTokenError(t *testing.T, r reply, status int, oauthCode, messageID string) {
	t.Helper()
	require.Equal(t, status, r.status, r.body)
	require.Equal(t, "application/json", r.header.Get("Content-Type"))
	var e struct {
		Error        *string `json:"error"`
		RequestError struct {
			ServiceException struct {
				MessageID string `json:"messageId"`
				Text      string `json:"text"`
			} `json:"serviceException"`
		} `json:"requestError"`
		ErrorCode *string `json:"errorCode"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &e), r.body)
	require.NotNil(t, e.Error, r.body)
	require.Equal(t, oauthCode, *e.Error, r.body)
	require.Equal(t, messageID, e.RequestError.ServiceException.MessageID, r.body)
	require.NotEmpty(t, e.RequestError.ServiceException.Text, r.body)
	require.Nil(t, e.ErrorCode, "not the new body: %s", r.body)
}

func requireUnauthorized(t *testing.T, r reply) {
	t.Helper()
	require.Equal(t, http.StatusUnauthorized, r.status)
	require.Equal(t, "application/json", r.header.Get("Content-Type"))
	require.JSONEq(t, oldUnauthorized, r.body)
}

// requireNewUnauthorized asserts Infobip's 401 in the newer body, as
// POST /sms/3/messages answers it (ApiError401).
func requireNewUnauthorized(t *testing.T, r reply) {
	t.Helper()
	require.Equal(t, http.StatusUnauthorized, r.status)
	require.Equal(t, "application/json", r.header.Get("Content-Type"))
	require.JSONEq(t, newUnauthorized, r.body)
}

func TestClock(t *testing.T) {
	s := newServer(t)
	require.True(t, strings.HasPrefix(s.URL, "http://127.0.0.1:"), s.URL)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	require.True(t, s.Now().Equal(start), s.Now())
	s.Advance(90 * time.Minute)
	require.True(t, s.Now().Equal(start.Add(90*time.Minute)), s.Now())
	time.Sleep(5 * time.Millisecond)
	require.True(t, s.Now().Equal(start.Add(90*time.Minute)), "the clock moved by itself")
}

// TestDateFollowsTheClock: the Date header is read on the server's clock,
// so that a client measuring a Retry-After date against Date, as
// github.com/ibkit/auth does, waits what the server asked for under a
// fake clock, on a fetch and on an API answer alike.
func TestDateFollowsTheClock(t *testing.T) {
	s := newServer(t)
	s.Advance(90 * time.Minute)
	require.Equal(t, "Thu, 01 Jan 2026 01:30:00 GMT", balance(t, s, "App "+authtest.APIKey).header.Get("Date"))
	require.Equal(t, "Thu, 01 Jan 2026 01:30:00 GMT", call(t, s, http.MethodGet, "/nowhere", "", "", "").header.Get("Date"))

	in30s := http.Header{"Retry-After": {s.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)}}
	const tooMany = `{"requestError":{"serviceException":{"messageId":"TOO_MANY_REQUESTS","text":"Too many requests"}}}`
	s.Fail(authtest.RouteToken, authtest.Fault{Status: http.StatusTooManyRequests, Body: tooMany, Header: in30s, Times: 1})
	b, err := auth.NewOAuth(auth.OAuthConfig{BaseURL: s.URL, ClientID: authtest.ClientID,
		ClientSecret: authtest.ClientSecret, HTTPClient: s.Client(), Now: s.Now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	_, err = b.Authorization(context.Background())
	var e *auth.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, http.StatusTooManyRequests, e.StatusCode)
	require.Equal(t, 30*time.Second, e.RetryAfter)

	s.Fail(authtest.RouteBalance, authtest.Fault{Status: http.StatusTooManyRequests, Body: tooMany, Header: in30s, Times: 1})
	c, err := auth.NewClient(s.URL, mustAPIKey(t, authtest.APIKey), s.Client())
	require.NoError(t, err)
	resp, err := c.Get(s.URL + "/account/1/balance")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 30*time.Second, auth.ParseError(resp).RetryAfter)

	// A Date the test asks for wins.
	s.Fail(authtest.RouteBalance, authtest.Fault{Header: http.Header{"Date": {"Wed, 21 Oct 2015 07:28:00 GMT"}}, Times: 1})
	require.Equal(t, "Wed, 21 Oct 2015 07:28:00 GMT", balance(t, s, "App "+authtest.APIKey).header.Get("Date"))
}

func mustAPIKey(t *testing.T, key string) *auth.APIKey {
	t.Helper()
	a, err := auth.NewAPIKey(key)
	require.NoError(t, err)
	return a
}

func TestAppKey(t *testing.T) {
	s := newServer(t)
	r := balance(t, s, "App "+authtest.APIKey)
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, "application/json", r.header.Get("Content-Type"))
	require.Equal(t, balanceBody, r.body)
	require.Equal(t, http.StatusOK, balance(t, s, "app "+authtest.APIKey).status)

	requireUnauthorized(t, balance(t, s, "App "+authtest.APIKey+"0"))
	requireUnauthorized(t, balance(t, s, "App "))
	requireUnauthorized(t, balance(t, s, "Bearer "+authtest.APIKey))

	requireUnauthorized(t, balance(t, s, "App other-key"))
	s.AddAPIKey("other-key")
	require.Equal(t, http.StatusOK, balance(t, s, "App other-key").status)
}

func TestBasic(t *testing.T) {
	s := newServer(t)
	require.Equal(t, http.StatusOK, balance(t, s, basic(authtest.Username, authtest.Password)).status)
	ok := base64.StdEncoding.EncodeToString([]byte(authtest.Username + ":" + authtest.Password))
	require.Equal(t, http.StatusOK, balance(t, s, "BASIC "+ok).status)

	requireUnauthorized(t, balance(t, s, basic(authtest.Username, "wrong")))
	requireUnauthorized(t, balance(t, s, basic("nobody", authtest.Password)))
	requireUnauthorized(t, balance(t, s, "Basic "+strings.TrimRight(ok, "=")+"!"))
	requireUnauthorized(t, balance(t, s, "Basic "+base64.StdEncoding.EncodeToString([]byte(authtest.Username))))

	s.AddUser("jasmine", "pa:ss word")
	require.Equal(t, http.StatusOK, balance(t, s, basic("jasmine", "pa:ss word")).status)
}

func TestMissingOrUnknownScheme(t *testing.T) {
	s := newServer(t)
	for _, authz := range []string{"", "Token abc", authtest.APIKey, "Digest username=aladdin", "IBSSO ", "Bearer "} {
		requireUnauthorized(t, balance(t, s, authz))
	}
	requireNewUnauthorized(t, call(t, s, http.MethodPost, "/sms/3/messages", "", "application/json", smsBody))
}

func TestSessionLifecycle(t *testing.T) {
	s := newServer(t)
	require.Zero(t, s.ActiveSessions())
	token := createSession(t, s)
	require.Equal(t, 1, s.ActiveSessions())

	r := balance(t, s, "IBSSO "+token)
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, balanceBody, r.body)
	require.Equal(t, http.StatusOK, balance(t, s, "ibsso "+token).status)

	// Each use slides the 60-minute idle deadline.
	s.Advance(59 * time.Minute)
	require.Equal(t, http.StatusOK, balance(t, s, "IBSSO "+token).status)
	s.Advance(59 * time.Minute)
	require.Equal(t, http.StatusOK, balance(t, s, "IBSSO "+token).status)
	require.Equal(t, 1, s.ActiveSessions())

	// Refused uses do not slide it; 60 minutes idle ends the session.
	s.Advance(59 * time.Minute)
	requireUnauthorized(t, balance(t, s, "IBSSO "+token+"x"))
	s.Advance(time.Minute)
	require.Zero(t, s.ActiveSessions())
	requireUnauthorized(t, balance(t, s, "IBSSO "+token))

	// Destroy ends a session at once.
	token = createSession(t, s)
	other := createSession(t, s)
	require.NotEqual(t, token, other)
	require.Equal(t, 2, s.ActiveSessions())
	r = call(t, s, http.MethodDelete, "/auth/1/session", "IBSSO "+token, "", "")
	require.Equal(t, http.StatusOK, r.status)
	require.Empty(t, r.body)
	require.Equal(t, 1, s.ActiveSessions())
	requireUnauthorized(t, balance(t, s, "IBSSO "+token))
	require.Equal(t, http.StatusOK, balance(t, s, "IBSSO "+other).status)

	// Destroying needs the live session's own IBSSO header.
	requireUnauthorized(t, call(t, s, http.MethodDelete, "/auth/1/session", "IBSSO "+token, "", ""))
	requireUnauthorized(t, call(t, s, http.MethodDelete, "/auth/1/session", "", "", ""))
	requireUnauthorized(t, call(t, s, http.MethodDelete, "/auth/1/session", "App "+authtest.APIKey, "", ""))
	requireUnauthorized(t, call(t, s, http.MethodDelete, "/auth/1/session", "Bearer "+other, "", ""))
	require.Equal(t, 1, s.ActiveSessions())
	s.Advance(time.Hour)
	requireUnauthorized(t, call(t, s, http.MethodDelete, "/auth/1/session", "IBSSO "+other, "", ""))
}

// clientFrom returns a client for s whose connections leave from the
// loopback address ip (Linux routes all of 127.0.0.0/8 to loopback).
func clientFrom(t *testing.T, s *authtest.Server, ip string) *http.Client {
	t.Helper()
	tr := s.Client().Transport.(*http.Transport).Clone()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr.DialContext = d.DialContext
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// send makes one request with c and reads the whole response.
func send(t *testing.T, c *http.Client, method, url, authz, ctype, body string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

func TestSessionBoundToIP(t *testing.T) {
	s := newServer(t)
	here, there := clientFrom(t, s, "127.0.0.1"), clientFrom(t, s, "127.0.0.2")
	create := func(unsafe bool) string {
		body := fmt.Sprintf(`{"username":%q,"password":%q,"unsafe":%t}`, authtest.Username, authtest.Password, unsafe)
		r := send(t, here, http.MethodPost, s.URL+"/auth/1/session", "", "application/json", body)
		require.Equal(t, http.StatusOK, r.status, r.body)
		var out struct{ Token string }
		require.NoError(t, json.Unmarshal([]byte(r.body), &out))
		return "IBSSO " + out.Token
	}
	get := func(c *http.Client, authz string) reply {
		return send(t, c, http.MethodGet, s.URL+"/account/1/balance", authz, "", "")
	}

	// Bound (unsafe false): refused from another address with Infobip's
	// 401 in the older body, on every route; the creator keeps it.
	bound := create(false)
	requireUnauthorized(t, get(there, bound))
	requireNewUnauthorized(t, send(t, there, http.MethodPost, s.URL+"/sms/3/messages", bound, "application/json", smsBody))
	requireNewError(t, send(t, there, http.MethodGet, s.URL+keysPath, bound, "", ""), http.StatusUnauthorized, "E401")
	requireUnauthorized(t, send(t, there, http.MethodDelete, s.URL+"/auth/1/session", bound, "", ""))
	require.Equal(t, 1, s.ActiveSessions())
	require.Equal(t, http.StatusOK, get(here, bound).status)

	// A refused use does not slide the idle deadline.
	s.Advance(59 * time.Minute)
	requireUnauthorized(t, get(there, bound))
	s.Advance(time.Minute)
	requireUnauthorized(t, get(here, bound))

	// Unsafe: usable from anywhere, destroyable from anywhere.
	free := create(true)
	require.Equal(t, http.StatusOK, get(there, free).status)
	require.Equal(t, http.StatusOK, get(here, free).status)
	require.Equal(t, http.StatusOK, send(t, there, http.MethodGet, s.URL+keysPath, free, "", "").status)
	r := send(t, there, http.MethodDelete, s.URL+"/auth/1/session", free, "", "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Zero(t, s.ActiveSessions())
}

func TestSetIdleTimeout(t *testing.T) {
	s := newServer(t)
	token := createSession(t, s)
	s.SetIdleTimeout(5 * time.Minute) // applies to existing sessions too
	s.Advance(5*time.Minute - time.Nanosecond)
	require.Equal(t, 1, s.ActiveSessions())
	require.Equal(t, http.StatusOK, balance(t, s, "IBSSO "+token).status)
	s.Advance(5 * time.Minute)
	require.Zero(t, s.ActiveSessions())
	requireUnauthorized(t, balance(t, s, "IBSSO "+token))
}

func TestSessionCreateErrors(t *testing.T) {
	s := newServer(t)
	const path = "/auth/1/session"
	const js = "application/json"

	requireUnauthorized(t, call(t, s, http.MethodPost, path, "", js, sessionBody(authtest.Username, "wrong")))
	requireUnauthorized(t, call(t, s, http.MethodPost, path, "", js, sessionBody("nobody", authtest.Password)))

	r := call(t, s, http.MethodPost, path, "", js, `{"username":`)
	require.Equal(t, http.StatusBadRequest, r.status)
	require.JSONEq(t, `{"requestError":{"serviceException":{"messageId":"BAD_REQUEST","text":"Bad request"}}}`, r.body)

	r = call(t, s, http.MethodPost, path, "", js, `{}`)
	require.Equal(t, http.StatusBadRequest, r.status)
	require.JSONEq(t, `{"requestError":{"serviceException":{"messageId":"BAD_REQUEST","text":"Bad request",
		"validationErrors":{"username":["must not be empty"],"password":["must not be empty"]}}}}`, r.body)

	r = call(t, s, http.MethodPost, path, "", js, `{"username":"","password":"x"}`)
	require.Equal(t, http.StatusBadRequest, r.status)
	require.JSONEq(t, `{"requestError":{"serviceException":{"messageId":"BAD_REQUEST","text":"Bad request",
		"validationErrors":{"username":["must not be empty"]}}}}`, r.body)

	r = call(t, s, http.MethodPost, path, "", js, `{"username":"aladdin","password":"open-sesame-7","unsafe":"yes"}`)
	require.Equal(t, http.StatusBadRequest, r.status)

	// Infobip documents only the older body on this route: no E415.
	r = call(t, s, http.MethodPost, path, "", "text/plain", sessionBody(authtest.Username, authtest.Password))
	require.Equal(t, http.StatusBadRequest, r.status)
	require.JSONEq(t, `{"requestError":{"serviceException":{"messageId":"BAD_REQUEST","text":"Bad request",
		"validationErrors":{"Content-Type":["must be application/json"]}}}}`, r.body)

	r = call(t, s, http.MethodPost, path, "", "application/json; charset=utf-8",
		`{"username":"aladdin","password":"open-sesame-7","unsafe":true}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Zero(t, s.Count(authtest.RouteDestroySession))
	require.Equal(t, 1, s.ActiveSessions())
}

func TestTokenLifecycle(t *testing.T) {
	s := newServer(t)
	tok := fetchToken(t, s)
	require.Equal(t, float64(7200), tok.ExpiresIn, "expires_in must be a JSON number of seconds")

	r := balance(t, s, "Bearer "+tok.AccessToken)
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, balanceBody, r.body)
	require.Equal(t, http.StatusOK, balance(t, s, "bearer "+tok.AccessToken).status)
	requireUnauthorized(t, balance(t, s, "IBSSO "+tok.AccessToken))

	other := fetchToken(t, s)
	require.NotEqual(t, tok.AccessToken, other.AccessToken)

	s.Advance(2*time.Hour - time.Second)
	require.Equal(t, http.StatusOK, balance(t, s, "Bearer "+tok.AccessToken).status)
	s.Advance(time.Second)
	requireUnauthorized(t, balance(t, s, "Bearer "+tok.AccessToken))

	s.SetTokenLifetime(90*time.Second + 500*time.Millisecond)
	tok = fetchToken(t, s)
	require.Equal(t, float64(90), tok.ExpiresIn)
	s.Advance(89 * time.Second)
	require.Equal(t, http.StatusOK, balance(t, s, "Bearer "+tok.AccessToken).status)
	s.Advance(time.Second)
	requireUnauthorized(t, balance(t, s, "Bearer "+tok.AccessToken))
}

func TestTokenRequestErrors(t *testing.T) {
	s := newServer(t)
	const path = "/auth/1/oauth2/token"
	const form = "application/x-www-form-urlencoded"

	// Errors come in the older body plus the deprecated "error" field, as
	// Infobip documents for this route.
	r := call(t, s, http.MethodPost, path, "", form, tokenForm(authtest.ClientID, "wrong"))
	requireTokenError(t, r, http.StatusUnauthorized, "invalid_client", "UNAUTHORIZED")
	require.JSONEq(t, oldBadClient, r.body)
	r = call(t, s, http.MethodPost, path, "", form, tokenForm("nobody", authtest.ClientSecret))
	require.JSONEq(t, oldBadClient, r.body)
	r = call(t, s, http.MethodPost, path, "", form, tokenForm(authtest.Username, "wrong"))
	require.JSONEq(t, oldBadClient, r.body)

	// Client credentials in a Basic header, as x/oauth2's AuthStyleInHeader
	// sends them, are refused, saying where they are read.
	r = call(t, s, http.MethodPost, path, basic(authtest.ClientID, authtest.ClientSecret), form,
		"grant_type=client_credentials")
	requireTokenError(t, r, http.StatusUnauthorized, "invalid_client", "UNAUTHORIZED")
	require.Contains(t, r.body, "the form body or the query string, not an Authorization header")

	// A missing parameter is named, with where it was looked for.
	for _, tc := range []struct {
		body    url.Values
		missing []string
	}{
		{url.Values{"client_id": {authtest.ClientID}, "client_secret": {authtest.ClientSecret}}, []string{"grant_type"}},
		{url.Values{"grant_type": {""}, "client_id": {authtest.ClientID}, "client_secret": {authtest.ClientSecret}}, []string{"grant_type"}},
		{url.Values{"grant_type": {"client_credentials"}, "client_secret": {authtest.ClientSecret}}, []string{"client_id"}},
		{url.Values{"grant_type": {"client_credentials"}, "client_id": {"", ""}}, []string{"client_id", "client_secret"}},
		{url.Values{}, []string{"client_id", "client_secret", "grant_type"}},
	} {
		r = call(t, s, http.MethodPost, path, "", form, tc.body.Encode())
		requireTokenError(t, r, http.StatusBadRequest, "invalid_request", "BAD_REQUEST")
		e := tokenErrorOf(t, r)
		require.Contains(t, e.text, strings.Join(tc.missing, ", ")+" missing", r.body)
		require.Contains(t, e.text, "looked for in the form body and the query string", r.body)
		require.Len(t, e.validation, len(tc.missing), r.body)
		for _, name := range tc.missing {
			require.Equal(t, []string{"missing from the form body and the query string"}, e.validation[name], r.body)
		}
	}

	// Another grant type is named as unsupported, with where it was found.
	for where, tc := range map[string]struct{ query, body string }{
		"the form body":    {"", url.Values{"grant_type": {"password"}, "client_id": {authtest.ClientID}, "client_secret": {authtest.ClientSecret}}.Encode()},
		"the query string": {"?grant_type=password", url.Values{"client_id": {authtest.ClientID}, "client_secret": {authtest.ClientSecret}}.Encode()},
	} {
		r = call(t, s, http.MethodPost, path+tc.query, "", form, tc.body)
		requireTokenError(t, r, http.StatusBadRequest, "unsupported_grant_type", "BAD_REQUEST")
		e := tokenErrorOf(t, r)
		require.Equal(t, []string{"must be client_credentials, as sent in " + where}, e.validation["grant_type"], r.body)
		require.NotContains(t, r.body, "password\"", "the value sent is not echoed")
	}

	// A body that is not form-encoded is refused, saying what it must be.
	r = call(t, s, http.MethodPost, path, "", "application/json",
		`{"grant_type":"client_credentials","client_id":"quickstart-client","client_secret":"quickstart-secret-9"}`)
	requireTokenError(t, r, http.StatusBadRequest, "invalid_request", "BAD_REQUEST")
	require.Equal(t, []string{"must be application/x-www-form-urlencoded for a body; send no body to use the query string"},
		tokenErrorOf(t, r).validation["Content-Type"], r.body)

	s.AddClient("second", "s3cret")
	r = call(t, s, http.MethodPost, path, "", form+"; charset=utf-8", tokenForm("second", "s3cret"))
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Equal(t, 13, s.Count(authtest.RouteToken))
}

// tokenError is the older body of a token error, read.
type tokenError struct {
	text       string
	validation map[string][]string
}

func tokenErrorOf(t *testing.T, r reply) tokenError {
	t.Helper()
	var e struct {
		RequestError struct {
			ServiceException struct {
				Text             string              `json:"text"`
				ValidationErrors map[string][]string `json:"validationErrors"`
			} `json:"serviceException"`
		} `json:"requestError"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &e), r.body)
	return tokenError{e.RequestError.ServiceException.Text, e.RequestError.ServiceException.ValidationErrors}
}

// TestTokenForTheAccount: Infobip describes client_id and client_secret as
// the username and password of the account, so they get tokens through
// the library, for that user's identity; a user added later too.
func TestTokenForTheAccount(t *testing.T) {
	s := newServer(t)
	s.SetBalance(authtest.Username, 7)
	s.AddUser("jasmine", "magic-carpet-1")
	s.SetBalance("jasmine", 11)
	for user, tc := range map[string]struct {
		password string
		balance  string
	}{
		authtest.Username: {authtest.Password, `{"balance":7,"currency":"EUR"}`},
		"jasmine":         {"magic-carpet-1", `{"balance":11,"currency":"EUR"}`},
	} {
		b, err := auth.NewOAuth(auth.OAuthConfig{BaseURL: s.URL, ClientID: user, ClientSecret: tc.password,
			HTTPClient: s.Client(), Now: s.Now})
		require.NoError(t, err)
		t.Cleanup(func() { _ = b.Close(context.Background()) })
		c, err := auth.NewClient(s.URL, b, s.Client())
		require.NoError(t, err)
		resp, err := c.Get(s.URL + "/account/1/balance")
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		require.Equal(t, tc.balance, string(body))
	}
	require.Equal(t, 2, s.Count(authtest.RouteToken))
}

// TestTokenFromTheQueryString: client_id, client_secret and grant_type in
// the query string with an empty body, as Infobip's Node SDK
// (@infobip-api/sdk 0.3.2, auth.oauth2.create) sends them, get a token.
func TestTokenFromTheQueryString(t *testing.T) {
	s := newServer(t)
	q := "?" + url.Values{"client_secret": {authtest.Password}, "client_id": {authtest.Username},
		"grant_type": {"client_credentials"}}.Encode()
	for _, ctype := range []string{"application/x-www-form-urlencoded", ""} {
		r := call(t, s, http.MethodPost, "/auth/1/oauth2/token"+q, "", ctype, "")
		require.Equal(t, http.StatusOK, r.status, r.body)
		var tok tokenReply
		require.NoError(t, json.Unmarshal([]byte(r.body), &tok))
		require.Equal(t, http.StatusOK, balance(t, s, "Bearer "+tok.AccessToken).status)
	}
	// The body wins over the query string for a parameter sent in both.
	r := call(t, s, http.MethodPost, "/auth/1/oauth2/token"+q, "", "application/x-www-form-urlencoded",
		"client_secret=wrong")
	require.JSONEq(t, oldBadClient, r.body)
}

func TestTokenType(t *testing.T) {
	s := newServer(t)
	// Infobip's sample answer has no token_type: neither has the default.
	r := call(t, s, http.MethodPost, "/auth/1/oauth2/token", "", "application/x-www-form-urlencoded",
		tokenForm(authtest.ClientID, authtest.ClientSecret))
	require.Equal(t, http.StatusOK, r.status, r.body)
	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.body), &raw))
	require.NotContains(t, raw, "token_type")
	require.ElementsMatch(t, []string{"access_token", "expires_in"}, slices.Collect(maps.Keys(raw)))

	s.SetTokenType("Bearer")
	tok := fetchToken(t, s)
	require.NotNil(t, tok.TokenType)
	require.Equal(t, "Bearer", *tok.TokenType)
	require.Equal(t, http.StatusOK, balance(t, s, "Bearer "+tok.AccessToken).status)

	s.SetTokenType("")
	require.Nil(t, fetchToken(t, s).TokenType)
}

func TestRevokeAndExpireAll(t *testing.T) {
	s := newServer(t)
	session1, session2 := createSession(t, s), createSession(t, s)
	token1, token2 := fetchToken(t, s).AccessToken, fetchToken(t, s).AccessToken

	s.Revoke(session1)
	s.Revoke(token1)
	s.Revoke("unknown")
	requireUnauthorized(t, balance(t, s, "IBSSO "+session1))
	requireUnauthorized(t, balance(t, s, "Bearer "+token1))
	require.Equal(t, http.StatusOK, balance(t, s, "IBSSO "+session2).status)
	require.Equal(t, http.StatusOK, balance(t, s, "Bearer "+token2).status)
	require.Equal(t, 1, s.ActiveSessions())

	s.ExpireAll()
	require.Zero(t, s.ActiveSessions())
	requireUnauthorized(t, balance(t, s, "IBSSO "+session2))
	requireUnauthorized(t, balance(t, s, "Bearer "+token2))
	// Keys and passwords are not sessions: they keep working.
	require.Equal(t, http.StatusOK, balance(t, s, "App "+authtest.APIKey).status)

	// Sessions and tokens issued afterwards work.
	require.Equal(t, http.StatusOK, balance(t, s, "IBSSO "+createSession(t, s)).status)
	require.Equal(t, http.StatusOK, balance(t, s, "Bearer "+fetchToken(t, s).AccessToken).status)
}

func TestUnknownRoutes(t *testing.T) {
	s := newServer(t)
	r := call(t, s, http.MethodGet, "/nowhere", "App "+authtest.APIKey, "", "")
	require.Equal(t, http.StatusNotFound, r.status)
	require.Equal(t, "application/json", r.header.Get("Content-Type"))
	require.JSONEq(t, `{"errorCode":"E404","description":"Requested resource not found",
		"action":"Check the URL of the request","violations":[],"resources":[]}`, r.body)

	r = call(t, s, http.MethodGet, "/auth/1/session", "", "", "")
	require.Equal(t, http.StatusMethodNotAllowed, r.status)
	require.Contains(t, r.body, `"errorCode":"E405"`)
	require.Contains(t, r.header.Get("Allow"), "POST")
	require.Contains(t, r.header.Get("Allow"), "DELETE")
	require.Zero(t, s.Count(authtest.RouteCreateSession))
}

func TestCountAndRequests(t *testing.T) {
	s := newServer(t)
	for _, route := range []string{authtest.RouteCreateSession, authtest.RouteDestroySession,
		authtest.RouteToken, authtest.RouteBalance, authtest.RouteSendSMS} {
		require.Zero(t, s.Count(route), route)
		require.Empty(t, s.Requests(route), route)
	}

	balance(t, s, "App "+authtest.APIKey)
	s.Advance(time.Minute)
	balance(t, s, "App wrong")
	fetchToken(t, s)

	require.Equal(t, 2, s.Count(authtest.RouteBalance))
	require.Equal(t, 1, s.Count(authtest.RouteToken))
	require.Zero(t, s.Count(authtest.RouteCreateSession))

	reqs := s.Requests(authtest.RouteBalance)
	require.Len(t, reqs, 2)
	require.Equal(t, http.MethodGet, reqs[0].Method)
	require.Equal(t, "/account/1/balance", reqs[0].Path)
	require.Equal(t, "App "+authtest.APIKey, reqs[0].Header.Get("Authorization"))
	require.Equal(t, "App wrong", reqs[1].Header.Get("Authorization"))
	require.Empty(t, reqs[0].Body)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	require.True(t, reqs[0].Time.Equal(start), reqs[0].Time)
	require.True(t, reqs[1].Time.Equal(start.Add(time.Minute)), reqs[1].Time)

	tr := s.Requests(authtest.RouteToken)
	require.Len(t, tr, 1)
	form, err := url.ParseQuery(string(tr[0].Body))
	require.NoError(t, err)
	require.Equal(t, authtest.ClientSecret, form.Get("client_secret"))

	// Requests returns copies.
	raw := string(tr[0].Body)
	reqs[0].Header.Set("Authorization", "changed")
	tr[0].Body[0] = '!'
	require.Equal(t, "App "+authtest.APIKey, s.Requests(authtest.RouteBalance)[0].Header.Get("Authorization"))
	require.Equal(t, raw, string(s.Requests(authtest.RouteToken)[0].Body))

	// Typos in a route name are caught, not silently counted as zero.
	require.PanicsWithValue(t, `authtest: Count: unknown route "POST /auth/1/sesion" (want a Route constant or a HandleFunc pattern)`,
		func() { s.Count("POST /auth/1/sesion") })
	require.Panics(t, func() { s.Requests("/account/1/balance") })
	require.Panics(t, func() { s.Fail("GET /nowhere", authtest.Fault{Status: 500}) })
}

func TestFaultStatusAndBody(t *testing.T) {
	s := newServer(t)
	const html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
	s.Fail(authtest.RouteToken, authtest.Fault{Status: http.StatusBadGateway, Body: html})
	for range 3 {
		r := call(t, s, http.MethodPost, "/auth/1/oauth2/token", "", "application/x-www-form-urlencoded",
			tokenForm(authtest.ClientID, authtest.ClientSecret))
		require.Equal(t, http.StatusBadGateway, r.status)
		require.Equal(t, html, r.body)
		require.Contains(t, r.header.Get("Content-Type"), "text/html")
	}
	require.Equal(t, 3, s.Count(authtest.RouteToken))
	require.Len(t, s.Requests(authtest.RouteToken), 3)
	// Other routes are unaffected.
	require.Equal(t, http.StatusOK, balance(t, s, "App "+authtest.APIKey).status)

	s.ClearFaults()
	fetchToken(t, s)

	// Faults come before authentication, and a malformed JSON body is sent as is.
	s.Fail(authtest.RouteBalance, authtest.Fault{Status: http.StatusInternalServerError, Body: `{"errorCode":`})
	r := balance(t, s, "")
	require.Equal(t, http.StatusInternalServerError, r.status)
	require.Equal(t, `{"errorCode":`, r.body)
	require.Equal(t, "application/json", r.header.Get("Content-Type"))

	require.Panics(t, func() { s.Fail(authtest.RouteBalance, authtest.Fault{Times: -1}) })
}

func TestFaultHeader(t *testing.T) {
	s := newServer(t)
	h := http.Header{"Retry-After": {"7"}}
	s.Fail(authtest.RouteCreateSession, authtest.Fault{
		Status: http.StatusTooManyRequests,
		Body:   `{"requestError":{"serviceException":{"messageId":"TOO_MANY_REQUESTS","text":"Too many requests"}}}`,
		Header: h,
		Times:  1,
	})
	h.Set("Retry-After", "99") // Fail keeps its own copy
	r := call(t, s, http.MethodPost, "/auth/1/session", "", "application/json",
		sessionBody(authtest.Username, authtest.Password))
	require.Equal(t, http.StatusTooManyRequests, r.status)
	require.Equal(t, "7", r.header.Get("Retry-After"))
	require.Contains(t, r.body, "TOO_MANY_REQUESTS")
	require.Zero(t, s.ActiveSessions())

	// With no Status, the headers are added to the normal answer.
	s.Fail(authtest.RouteBalance, authtest.Fault{Header: http.Header{"X-Fake": {"yes"}}, Times: 1})
	r = balance(t, s, "App "+authtest.APIKey)
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, balanceBody, r.body)
	require.Equal(t, "yes", r.header.Get("X-Fake"))
	require.Empty(t, balance(t, s, "App "+authtest.APIKey).header.Get("X-Fake"))
}

func TestFaultDelay(t *testing.T) {
	s := newServer(t)
	const delay = 50 * time.Millisecond
	s.Fail(authtest.RouteBalance, authtest.Fault{Delay: delay, Times: 1})
	start := time.Now()
	r := balance(t, s, "App "+authtest.APIKey)
	require.GreaterOrEqual(t, time.Since(start), delay)
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, balanceBody, r.body)

	// A delayed error status.
	s.Fail(authtest.RouteBalance, authtest.Fault{Delay: delay, Status: http.StatusServiceUnavailable, Times: 1})
	start = time.Now()
	require.Equal(t, http.StatusServiceUnavailable, balance(t, s, "App "+authtest.APIKey).status)
	require.GreaterOrEqual(t, time.Since(start), delay)

	// The client may give up during a delay.
	s.Fail(authtest.RouteBalance, authtest.Fault{Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := callCtx(ctx, s, http.MethodGet, "/account/1/balance", "App "+authtest.APIKey, "", "")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Equal(t, 3, s.Count(authtest.RouteBalance))
}

func TestFaultHangReleasedByClient(t *testing.T) {
	s := newServer(t)
	s.Fail(authtest.RouteToken, authtest.Fault{Hang: true, Times: 1})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := callCtx(ctx, s, http.MethodPost, "/auth/1/oauth2/token", "",
			"application/x-www-form-urlencoded", tokenForm(authtest.ClientID, authtest.ClientSecret))
		done <- err
	}()
	require.Eventually(t, func() bool { return s.Count(authtest.RouteToken) == 1 },
		5*time.Second, time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("a hanging request was answered: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("the client did not give up")
	}
	// Times: 1 is used up; the next request gets a token.
	fetchToken(t, s)
}

func TestFaultReset(t *testing.T) {
	for _, status := range []int{0, http.StatusInternalServerError} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			s := newServer(t)
			s.Fail(authtest.RouteBalance, authtest.Fault{Reset: true, Status: status, Times: 1})
			req, err := http.NewRequest(http.MethodGet, s.URL+"/account/1/balance", nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "App "+authtest.APIKey)
			resp, err := s.Client().Do(req)
			require.NoError(t, err, "the status line and headers are sent")
			defer resp.Body.Close()
			want := status
			if want == 0 {
				want = http.StatusOK
			}
			require.Equal(t, want, resp.StatusCode)
			body, err := io.ReadAll(resp.Body)
			require.ErrorIs(t, err, io.ErrUnexpectedEOF)
			require.NotEmpty(t, body)
			require.False(t, json.Valid(body))
			require.Equal(t, 1, s.Count(authtest.RouteBalance))
			// The server still serves new connections.
			require.Equal(t, http.StatusOK, balance(t, s, "App "+authtest.APIKey).status)
		})
	}
}

func TestFaultOversize(t *testing.T) {
	s := newServer(t)
	s.Fail(authtest.RouteToken, authtest.Fault{Oversize: true, Times: 1})
	s.Fail(authtest.RouteToken, authtest.Fault{Oversize: true, Status: http.StatusBadRequest, Times: 1})
	for _, want := range []int{http.StatusOK, http.StatusBadRequest} {
		r := call(t, s, http.MethodPost, "/auth/1/oauth2/token", "", "application/x-www-form-urlencoded",
			tokenForm(authtest.ClientID, authtest.ClientSecret))
		require.Equal(t, want, r.status)
		require.Equal(t, "application/json", r.header.Get("Content-Type"))
		require.Greater(t, len(r.body), 1<<20+1<<10)
		require.True(t, strings.HasPrefix(r.body, "{"))
		require.True(t, json.Valid([]byte(r.body)))
	}
	fetchToken(t, s)
}

func TestFaultTimesAndQueue(t *testing.T) {
	s := newServer(t)
	s.Fail(authtest.RouteBalance, authtest.Fault{Status: http.StatusInternalServerError, Times: 2})
	s.Fail(authtest.RouteBalance, authtest.Fault{Status: http.StatusTooManyRequests, Times: 1})
	var got []int
	for range 4 {
		got = append(got, balance(t, s, "App "+authtest.APIKey).status)
	}
	require.Equal(t, []int{500, 500, 429, 200}, got)
	require.Equal(t, 4, s.Count(authtest.RouteBalance))

	// Times 0 lasts until ClearFaults, hiding later faults.
	s.Fail(authtest.RouteBalance, authtest.Fault{Status: http.StatusBadGateway})
	s.Fail(authtest.RouteBalance, authtest.Fault{Status: http.StatusTeapot, Times: 1})
	for range 3 {
		require.Equal(t, http.StatusBadGateway, balance(t, s, "App "+authtest.APIKey).status)
	}
	s.ClearFaults()
	require.Equal(t, http.StatusOK, balance(t, s, "App "+authtest.APIKey).status)
	require.Equal(t, 8, s.Count(authtest.RouteBalance))
}

func TestFaultTimesUnderConcurrency(t *testing.T) {
	s := newServer(t)
	s.Fail(authtest.RouteBalance, authtest.Fault{Status: http.StatusServiceUnavailable, Times: 37})
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			r, err := callCtx(context.Background(), s, http.MethodGet, "/account/1/balance", "App "+authtest.APIKey, "", "")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				statuses[-1]++
				return
			}
			statuses[r.status]++
		})
	}
	wg.Wait()
	require.Equal(t, map[int]int{503: 37, 200: 63}, statuses)
}

func TestCloseReleasesHeldRequests(t *testing.T) {
	for name, f := range map[string]authtest.Fault{
		"hang":  {Hang: true},
		"delay": {Delay: time.Hour},
	} {
		t.Run(name, func(t *testing.T) {
			s := authtest.NewServer()
			defer s.Close()
			s.Fail(authtest.RouteBalance, f)
			const n = 3
			errs := make(chan error, n)
			for range n {
				go func() {
					_, err := callCtx(context.Background(), s, http.MethodGet, "/account/1/balance",
						"App "+authtest.APIKey, "", "")
					errs <- err
				}()
			}
			require.Eventually(t, func() bool { return s.Count(authtest.RouteBalance) == n },
				5*time.Second, time.Millisecond)

			// A liveness check, not a timing: Close must return at all
			// while requests are held. The timeout only keeps a broken
			// Close from hanging the test run.
			closed := make(chan struct{})
			go func() {
				s.Close()
				close(closed)
			}()
			select {
			case <-closed:
			case <-time.After(30 * time.Second):
				t.Fatal("Close blocked on held requests")
			}
			for range n {
				err := <-errs
				require.Error(t, err, "a held request was answered")
				require.False(t, errors.Is(err, context.Canceled))
			}
			s.Close() // idempotent
		})
	}
}

func TestTLSServer(t *testing.T) {
	s := authtest.NewTLSServer()
	t.Cleanup(s.Close)
	require.True(t, strings.HasPrefix(s.URL, "https://127.0.0.1:"), s.URL)
	require.Equal(t, http.StatusOK, balance(t, s, "App "+authtest.APIKey).status)
	require.Equal(t, http.StatusOK, balance(t, s, "IBSSO "+createSession(t, s)).status)

	// Reset works over TLS too.
	s.Fail(authtest.RouteBalance, authtest.Fault{Reset: true, Times: 1})
	_, err := callCtx(context.Background(), s, http.MethodGet, "/account/1/balance", "App "+authtest.APIKey, "", "")
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

// TestCertificate: a TLS server's certificate is enough to trust it, with
// a client built without Server.Client; a plain server has none.
func TestCertificate(t *testing.T) {
	s := authtest.NewTLSServer()
	t.Cleanup(s.Close)
	cert := s.Certificate()
	require.NotNil(t, cert)
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	t.Cleanup(c.CloseIdleConnections)
	req, err := http.NewRequest(http.MethodGet, s.URL+"/account/1/balance", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "App "+authtest.APIKey)
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	require.Nil(t, newServer(t).Certificate())
}

func TestHandleFunc(t *testing.T) {
	s := newServer(t)
	const route = "GET /moved"
	s.HandleFunc(route, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/account/1/balance", http.StatusFound)
	})
	r := call(t, s, http.MethodGet, "/moved", "App "+authtest.APIKey, "", "")
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, balanceBody, r.body)
	require.Equal(t, 1, s.Count(route))
	require.Equal(t, 1, s.Count(authtest.RouteBalance))
	require.Equal(t, "/moved", s.Requests(route)[0].Path)

	s.Fail(route, authtest.Fault{Status: http.StatusGone, Times: 1})
	require.Equal(t, http.StatusGone, call(t, s, http.MethodGet, "/moved", "", "", "").status)
	require.Equal(t, 2, s.Count(route))

	require.Panics(t, func() { s.HandleFunc(authtest.RouteBalance, http.NotFound) })
}

// TestConcurrentUse runs every scheme from 1,000 goroutines while the clock
// moves and credentials change; run it with -race.
func TestConcurrentUse(t *testing.T) {
	s := newServer(t)
	const n = 1000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			var authz string
			switch i % 4 {
			case 0:
				authz = "App " + authtest.APIKey
			case 1:
				authz = basic(authtest.Username, authtest.Password)
			case 2:
				r, err := callCtx(context.Background(), s, http.MethodPost, "/auth/1/session", "", "application/json",
					sessionBody(authtest.Username, authtest.Password))
				if err != nil || r.status != http.StatusOK {
					errs <- fmt.Errorf("session: %d %v", r.status, err)
					return
				}
				var out struct{ Token string }
				_ = json.Unmarshal([]byte(r.body), &out)
				authz = "IBSSO " + out.Token
			case 3:
				r, err := callCtx(context.Background(), s, http.MethodPost, "/auth/1/oauth2/token", "",
					"application/x-www-form-urlencoded", tokenForm(authtest.ClientID, authtest.ClientSecret))
				if err != nil || r.status != http.StatusOK {
					errs <- fmt.Errorf("token: %d %v", r.status, err)
					return
				}
				var out tokenReply
				_ = json.Unmarshal([]byte(r.body), &out)
				authz = "Bearer " + out.AccessToken
			}
			r, err := callCtx(context.Background(), s, http.MethodGet, "/account/1/balance", authz, "", "")
			if err != nil || r.status != http.StatusOK {
				errs <- fmt.Errorf("balance with %s: %d %v", authz[:5], r.status, err)
			}
			s.Advance(time.Millisecond)
			_ = s.Now()
			_ = s.ActiveSessions()
			s.AddAPIKey(fmt.Sprint("key-", i))
			if i%100 == 0 {
				_ = s.Requests(authtest.RouteBalance)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, n, s.Count(authtest.RouteBalance))
	require.Equal(t, n/4, s.Count(authtest.RouteCreateSession))
	require.Equal(t, n/4, s.Count(authtest.RouteToken))
	require.Equal(t, n/4, s.ActiveSessions())
	require.True(t, s.Now().Equal(time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC)), s.Now())
}

// Handle mounts a user's route behind the server's authentication, and
// Identity tells whose credentials reached it.
func TestHandleBehindAuthentication(t *testing.T) {
	s := newServer(t)
	s.Handle("GET /whatsapp/1/senders", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, authtest.Identity(r))
	}))
	session := createSession(t, s)
	token := fetchToken(t, s).AccessToken
	for authz, who := range map[string]string{
		"App " + authtest.APIKey:                    authtest.APIKeyID,
		basic(authtest.Username, authtest.Password): authtest.Username,
		"IBSSO " + session:                          authtest.Username,
		"Bearer " + token:                           authtest.ClientID,
	} {
		r := call(t, s, http.MethodGet, "/whatsapp/1/senders", authz, "", "")
		require.Equal(t, http.StatusOK, r.status, authz)
		require.Equal(t, who, r.body)
	}
	for _, authz := range []string{"", "App nope", basic(authtest.Username, "wrong"), "IBSSO " + session + "x"} {
		r := call(t, s, http.MethodGet, "/whatsapp/1/senders", authz, "", "")
		require.Equal(t, http.StatusUnauthorized, r.status)
		require.JSONEq(t, oldUnauthorized, r.body)
	}
	require.Equal(t, 8, s.Count("GET /whatsapp/1/senders"))
	require.Equal(t, "", authtest.Identity(httptestRequest()))
}

func httptestRequest() *http.Request {
	r, _ := http.NewRequest(http.MethodGet, "http://example.com", nil)
	return r
}

func TestBalancePerIdentity(t *testing.T) {
	s := newServer(t)
	s.AddUser("alice", "alice-pass")
	s.SetBalance("alice", 7)
	r := balance(t, s, basic("alice", "alice-pass"))
	require.JSONEq(t, `{"balance":7,"currency":"EUR"}`, r.body)
	require.JSONEq(t, balanceBody, balance(t, s, basic(authtest.Username, authtest.Password)).body)
}

// Several users at once, each with their own sessions, counted per user;
// logout and idle expiry end only the session concerned.
func TestSessionsPerUser(t *testing.T) {
	s := newServer(t)
	s.AddUser("alice", "alice-pass")
	login := func(user, pass string) string {
		r := call(t, s, http.MethodPost, "/auth/1/session", "", "application/json", sessionBody(user, pass))
		require.Equal(t, http.StatusOK, r.status, r.body)
		var out struct{ Token string }
		require.NoError(t, json.Unmarshal([]byte(r.body), &out))
		return out.Token
	}
	a1, a2 := login("alice", "alice-pass"), login("alice", "alice-pass")
	b1 := login(authtest.Username, authtest.Password)
	require.Equal(t, 2, s.ActiveSessionsOf("alice"))
	require.Equal(t, 1, s.ActiveSessionsOf(authtest.Username))
	require.Equal(t, 2, s.Logins("alice"))
	require.Equal(t, 0, s.Logins("nobody"))

	r := call(t, s, http.MethodPost, "/auth/1/session", "", "application/json", sessionBody("alice", "wrong"))
	require.Equal(t, http.StatusUnauthorized, r.status)
	require.JSONEq(t, oldUnauthorized, r.body)
	require.Equal(t, 2, s.Logins("alice"), "a refused login creates nothing")

	require.Equal(t, http.StatusOK, call(t, s, http.MethodDelete, "/auth/1/session", "IBSSO "+a1, "", "").status)
	require.Equal(t, 1, s.ActiveSessionsOf("alice"))
	s.Advance(59 * time.Minute)
	require.Equal(t, http.StatusOK, balance(t, s, "IBSSO "+a2).status) // slides
	s.Advance(2 * time.Minute)
	require.Equal(t, 1, s.ActiveSessionsOf("alice"))
	require.Equal(t, 0, s.ActiveSessionsOf(authtest.Username), "b1 idled out")
	requireUnauthorized(t, balance(t, s, "IBSSO "+b1))
}

// The TLS server's own log (a plain request to it, for one) is silent
// unless routed to a logger.
func TestSetErrorLog(t *testing.T) {
	s := authtest.NewTLSServer()
	t.Cleanup(s.Close)
	var buf testkit.SyncBuffer
	s.SetErrorLog(log.New(&buf, "", 0))
	resp, err := http.Get(strings.Replace(s.URL, "https://", "http://", 1) + "/account/1/balance")
	require.NoError(t, err)
	resp.Body.Close()
	require.Eventually(t, func() bool { return strings.Contains(buf.String(), "TLS handshake error") }, 5*time.Second, time.Millisecond)
}
