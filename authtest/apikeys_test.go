package authtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/apikeys"
	"github.com/ibkit/auth/authtest"
)

const keysPath = "/settings/2/api-keys"

var (
	keyID     = regexp.MustCompile(`^[0-9A-F]{32}$`)
	keySecret = regexp.MustCompile(`^[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
)

// keyJSON is a key as the routes answer it.
type keyJSON struct {
	ID           string   `json:"id"`
	APIKeySecret string   `json:"apiKeySecret"`
	AccountID    string   `json:"accountId"`
	Name         string   `json:"name"`
	AllowedIPs   []string `json:"allowedIPs"`
	ValidFrom    string   `json:"validFrom"`
	ValidTo      string   `json:"validTo"`
	Enabled      bool     `json:"enabled"`
	Permissions  []string `json:"permissions"`
	Platform     []struct {
		Key, ApplicationID, EntityID, Action string
	} `json:"platform"`
	ScopeGUIDs []string `json:"scopeGuids"`
}

type keyPage struct {
	APIKeys []keyJSON `json:"apiKeys"`
	Paging  struct {
		Page           int    `json:"page"`
		PageSize       int    `json:"pageSize"`
		OrderDirection string `json:"orderDirection"`
		OrderBy        string `json:"orderBy"`
		TotalCount     int    `json:"totalCount"`
		TotalPages     int    `json:"totalPages"`
	} `json:"paging"`
}

var admin = basic(authtest.Username, authtest.Password)

func createKey(t *testing.T, s *authtest.Server, body string) keyJSON {
	t.Helper()
	r := call(t, s, http.MethodPost, keysPath, admin, "application/json", body)
	require.Equal(t, http.StatusOK, r.status, r.body)
	var k keyJSON
	require.NoError(t, json.Unmarshal([]byte(r.body), &k))
	return k
}

func listKeys(t *testing.T, s *authtest.Server, query string) keyPage {
	t.Helper()
	r := call(t, s, http.MethodGet, keysPath+query, admin, "", "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	var p keyPage
	require.NoError(t, json.Unmarshal([]byte(r.body), &p))
	return p
}

// newErr is Infobip's new error body.
type newErr struct {
	ErrorCode   string `json:"errorCode"`
	Description string `json:"description"`
	Action      string `json:"action"`
	Violations  []struct {
		Property  string `json:"property"`
		Violation string `json:"violation"`
	} `json:"violations"`
}

func requireNewError(t *testing.T, r reply, status int, code string) newErr {
	t.Helper()
	require.Equal(t, status, r.status, r.body)
	require.Equal(t, "application/json", r.header.Get("Content-Type"))
	var e newErr
	require.NoError(t, json.Unmarshal([]byte(r.body), &e), r.body)
	require.Equal(t, code, e.ErrorCode)
	require.NotEmpty(t, e.Description)
	return e
}

func violations(e newErr) map[string]string {
	m := map[string]string{}
	for _, v := range e.Violations {
		m[v.Property] = v.Violation
	}
	return m
}

func TestAPIKeyRoutesAuthentication(t *testing.T) {
	s := newServer(t)
	routes := []struct{ method, path, body string }{
		{http.MethodPost, keysPath, `{"name":"n"}`},
		{http.MethodGet, keysPath, ""},
		{http.MethodGet, keysPath + "/" + authtest.APIKeyID, ""},
		{http.MethodPut, keysPath + "/" + authtest.APIKeyID, `{"enabled":false}`},
	}
	for _, rt := range routes {
		// A valid App key is refused: keys cannot manage keys.
		e := requireNewError(t, call(t, s, rt.method, rt.path, "App "+authtest.APIKey, "application/json", rt.body),
			http.StatusForbidden, "E403")
		require.Contains(t, e.Description, "API keys cannot manage API keys")
		require.Contains(t, e.Action, "Basic, IBSSO or OAuth")
		for _, authz := range []string{"", "App nope", basic(authtest.Username, "wrong"), "IBSSO nope", "Bearer nope"} {
			requireNewError(t, call(t, s, rt.method, rt.path, authz, "application/json", rt.body),
				http.StatusUnauthorized, "E401")
		}
	}
	require.Equal(t, 6, s.Count(authtest.RouteCreateAPIKey))
	require.Equal(t, 6, s.Count(authtest.RouteListAPIKeys))
	require.Equal(t, 6, s.Count(authtest.RouteGetAPIKey))
	require.Equal(t, 6, s.Count(authtest.RouteUpdateAPIKey))
	// Nothing was changed: the seed key still works.
	require.Equal(t, http.StatusOK, balance(t, s, "App "+authtest.APIKey).status)

	// Basic, IBSSO and Bearer are accepted.
	for _, authz := range []string{admin, "IBSSO " + createSession(t, s), "Bearer " + fetchToken(t, s).AccessToken} {
		r := call(t, s, http.MethodGet, keysPath+"/"+authtest.APIKeyID, authz, "", "")
		require.Equal(t, http.StatusOK, r.status, r.body)
	}
}

func TestCreateAPIKey(t *testing.T) {
	s := newServer(t)
	s.Advance(36 * time.Hour)
	k := createKey(t, s, `{"name":"billing"}`)
	require.Regexp(t, keyID, k.ID)
	require.Regexp(t, keySecret, k.APIKeySecret)
	require.Equal(t, "billing", k.Name)
	require.NotEmpty(t, k.AccountID)
	require.Equal(t, "2026-01-02T12:00:00", k.ValidFrom)
	require.Equal(t, "2027-01-02T12:00:00", k.ValidTo)
	require.True(t, k.Enabled)
	require.Equal(t, []string{"PUBLIC_API"}, k.Permissions)

	// The new key works at once on the protected routes.
	require.Equal(t, http.StatusOK, balance(t, s, "App "+k.APIKeySecret).status)
	r := call(t, s, http.MethodPost, "/sms/3/messages", "App "+k.APIKeySecret, "application/json", smsBody)
	require.Equal(t, http.StatusOK, r.status)

	full := createKey(t, s, `{"name":"full","accountId":"ACC","allowedIPs":["127.0.0.1","10.0.0.0/8","::1"],
		"validFrom":"2026-02-01T00:00:00Z","validTo":"2026-03-01T10:30:00.000+0000",
		"permissions":["2FA_CLIENT"],"scopeGuids":["sms:message:send"]}`)
	require.Equal(t, "ACC", full.AccountID)
	require.Equal(t, []string{"127.0.0.1", "10.0.0.0/8", "::1"}, full.AllowedIPs)
	require.Equal(t, "2026-02-01T00:00:00", full.ValidFrom)
	require.Equal(t, "2026-03-01T10:30:00", full.ValidTo)
	require.Equal(t, []string{"2FA_CLIENT"}, full.Permissions)
	require.Equal(t, []string{"sms:message:send"}, full.ScopeGUIDs)
	require.NotEqual(t, k.ID, full.ID)

	linked := createKey(t, s, `{"name":"linked","platform":[{"applicationId":"default"},{"applicationId":"a","entityId":"e","action":"FORCE"}]}`)
	require.Empty(t, linked.Permissions)
	require.Len(t, linked.Platform, 2)
	require.NotEmpty(t, linked.Platform[0].Key)
	require.Equal(t, "FORCE", linked.Platform[1].Action)

	onlyFrom := createKey(t, s, `{"name":"f","validFrom":"2026-06-01T00:00:00"}`)
	require.Equal(t, "2027-06-01T00:00:00", onlyFrom.ValidTo, "validTo defaults to a year after validFrom")
}

func TestCreateAPIKeyValidation(t *testing.T) {
	s := newServer(t)
	s.Advance(24 * time.Hour)
	for _, tc := range []struct {
		body string
		want map[string]string
	}{
		{`{}`, map[string]string{"name": "must not be blank"}},
		{`{"name":"  "}`, map[string]string{"name": "must not be blank"}},
		{`{"name":"a\u0007b"}`, map[string]string{"name": "must not contain control characters"}},
		{`{"name":"n","allowedIPs":["1.2.3.4","1.2.3.400","10.0.0.0/40"]}`, map[string]string{
			"allowedIPs[1]": "must be an IP address or a CIDR range",
			"allowedIPs[2]": "must be an IP address or a CIDR range"}},
		{`{"name":"n","validFrom":"tomorrow","validTo":"2026-13-01T00:00:00"}`, map[string]string{
			"validFrom": "must be a date-time such as 2026-01-01T00:00:00",
			"validTo":   "must be a date-time such as 2026-01-01T00:00:00"}},
		{`{"name":"n","validFrom":"2026-01-01T23:59:59"}`, map[string]string{"validFrom": "must not be earlier than the creation time"}},
		{`{"name":"n","validTo":"2026-01-01T23:59:59"}`, map[string]string{"validTo": "must not be earlier than the creation time"}},
		{`{"name":"n","validFrom":"2026-05-01T00:00:00","validTo":"2026-04-01T00:00:00"}`,
			map[string]string{"validTo": "must not be earlier than validFrom"}},
		{`{"name":"n","permissions":["ALL","PUBLIC_API","WEB_SDK"]}`, map[string]string{
			"permissions[0]": "must be one of PUBLIC_API, 2FA_CLIENT, WEB_SDK",
			"permissions":    "must not hold both PUBLIC_API and WEB_SDK"}},
		{`{"name":"n","permissions":["PUBLIC_API"],"platform":[{"applicationId":""},{"applicationId":"a","action":"KEEP"}]}`,
			map[string]string{
				"platform":                  "must not be set together with permissions",
				"platform[0].applicationId": "must not be blank",
				"platform[1].action":        "must be FILL or FORCE"}},
		{`{"name":"n","scopeGuids":["a:b","a:b",""]}`, map[string]string{
			"scopeGuids[1]": "must not repeat a scope",
			"scopeGuids[2]": "must not be blank"}},
	} {
		r := call(t, s, http.MethodPost, keysPath, admin, "application/json", tc.body)
		e := requireNewError(t, r, http.StatusBadRequest, "E400")
		require.Equal(t, tc.want, violations(e), tc.body)
		require.Equal(t, "Check the syntax, violations and adjust the request.", e.Action)
	}
	requireNewError(t, call(t, s, http.MethodPost, keysPath, admin, "application/json", `{"name":`),
		http.StatusBadRequest, "E400")
	requireNewError(t, call(t, s, http.MethodPost, keysPath, admin, "text/plain", `{"name":"n"}`),
		http.StatusUnsupportedMediaType, "E415")
	// Only the seed key exists.
	require.Equal(t, 1, listKeys(t, s, "").Paging.TotalCount)
}

func TestUpdateAndRevokeAPIKey(t *testing.T) {
	s := newServer(t)
	k := createKey(t, s, `{"name":"svc","allowedIPs":["127.0.0.1"],"scopeGuids":["sms:message:send"]}`)
	path := keysPath + "/" + k.ID

	r := call(t, s, http.MethodPut, path, admin, "application/json", `{"name":"svc-2","validTo":"2026-02-01T00:00:00"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	var up keyJSON
	require.NoError(t, json.Unmarshal([]byte(r.body), &up))
	require.Equal(t, "svc-2", up.Name)
	require.Equal(t, "2026-02-01T00:00:00", up.ValidTo)
	require.Equal(t, k.ValidFrom, up.ValidFrom, "absent fields keep their value")
	require.Equal(t, k.AllowedIPs, up.AllowedIPs)
	require.Equal(t, k.ScopeGUIDs, up.ScopeGUIDs)
	require.Equal(t, k.APIKeySecret, up.APIKeySecret)

	// Empty lists mean what Infobip documents.
	r = call(t, s, http.MethodPut, path, admin, "application/json", `{"allowedIPs":[],"permissions":[],"scopeGuids":[]}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	up = keyJSON{}
	require.NoError(t, json.Unmarshal([]byte(r.body), &up))
	require.Empty(t, up.AllowedIPs)
	require.Equal(t, []string{"PUBLIC_API"}, up.Permissions)
	require.Empty(t, up.ScopeGUIDs)

	e := requireNewError(t, call(t, s, http.MethodPut, path, admin, "application/json",
		`{"validFrom":"2026-03-01T00:00:00","name":""}`), http.StatusBadRequest, "E400")
	require.Equal(t, map[string]string{"name": "must not be blank", "validTo": "must not be earlier than validFrom"}, violations(e))

	// Scoped to nothing, the key reaches nothing; given a scope back, it
	// reaches that scope's routes.
	require.Equal(t, http.StatusForbidden, balance(t, s, "App "+k.APIKeySecret).status)
	r = call(t, s, http.MethodPut, path, admin, "application/json", `{"scopeGuids":["account-management:manage"]}`)
	require.Equal(t, http.StatusOK, r.status, r.body)

	// Revoked: refused on every protected route; enabled again: accepted.
	require.Equal(t, http.StatusOK, balance(t, s, "App "+k.APIKeySecret).status)
	r = call(t, s, http.MethodPut, path, admin, "application/json", `{"enabled":false}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	requireUnauthorized(t, balance(t, s, "App "+k.APIKeySecret))
	requireNewUnauthorized(t, call(t, s, http.MethodPost, "/sms/3/messages", "App "+k.APIKeySecret, "application/json", smsBody))
	r = call(t, s, http.MethodGet, path, admin, "", "")
	require.NoError(t, json.Unmarshal([]byte(r.body), &up))
	require.False(t, up.Enabled)
	r = call(t, s, http.MethodPut, path, admin, "application/json", `{"enabled":true}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Equal(t, http.StatusOK, balance(t, s, "App "+k.APIKeySecret).status)

	// The seed key can be revoked like any other.
	r = call(t, s, http.MethodPut, keysPath+"/"+authtest.APIKeyID, admin, "application/json", `{"enabled":false}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	requireUnauthorized(t, balance(t, s, "App "+authtest.APIKey))
	// AddAPIKey enables a known key again.
	s.AddAPIKey(authtest.APIKey)
	require.Equal(t, http.StatusOK, balance(t, s, "App "+authtest.APIKey).status)

	requireNewError(t, call(t, s, http.MethodPut, keysPath+"/NOPE", admin, "application/json", `{"enabled":false}`),
		http.StatusNotFound, "E404")
	requireNewError(t, call(t, s, http.MethodGet, keysPath+"/NOPE", admin, "", ""), http.StatusNotFound, "E404")
}

func TestUpdateAPIKeyReplaceMode(t *testing.T) {
	s := newServer(t)
	s.Advance(24 * time.Hour)
	k := createKey(t, s, `{"name":"svc","accountId":"ACC","allowedIPs":["127.0.0.1"],"validTo":"2026-03-01T00:00:00",
		"permissions":["2FA_CLIENT"],"scopeGuids":["sms:message:send"]}`)
	path := keysPath + "/" + k.ID
	s.SetAPIKeyUpdateMode(authtest.UpdateReplace)
	s.Advance(time.Hour)

	// Absent fields take their creation defaults: a partial body loses
	// what it leaves out. Id and secret stay.
	r := call(t, s, http.MethodPut, path, admin, "application/json", `{"name":"svc-2"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	var up keyJSON
	require.NoError(t, json.Unmarshal([]byte(r.body), &up))
	require.Equal(t, k.ID, up.ID)
	require.Equal(t, k.APIKeySecret, up.APIKeySecret)
	require.Equal(t, "svc-2", up.Name)
	require.NotEqual(t, "ACC", up.AccountID)
	require.Empty(t, up.AllowedIPs)
	require.Empty(t, up.ScopeGUIDs)
	require.Equal(t, []string{"PUBLIC_API"}, up.Permissions)
	require.Equal(t, "2026-01-02T01:00:00", up.ValidFrom)
	require.Equal(t, "2027-01-02T01:00:00", up.ValidTo)
	require.True(t, up.Enabled)

	// Name is required, as on create.
	e := requireNewError(t, call(t, s, http.MethodPut, path, admin, "application/json", `{"enabled":false}`),
		http.StatusBadRequest, "E400")
	require.Equal(t, map[string]string{"name": "must not be blank"}, violations(e))

	// The whole key, its past validFrom included, is taken as sent.
	r = call(t, s, http.MethodPut, path, admin, "application/json", `{"name":"svc","accountId":"ACC",
		"allowedIPs":["127.0.0.1"],"validFrom":"2026-01-02T00:00:00","validTo":"2026-03-01T00:00:00","enabled":false,
		"permissions":["2FA_CLIENT"],"scopeGuids":["sms:message:send"]}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	up = keyJSON{}
	require.NoError(t, json.Unmarshal([]byte(r.body), &up))
	k.Enabled = false
	require.Equal(t, k, up)

	// Back to the default reading: absent fields keep their value.
	s.SetAPIKeyUpdateMode(authtest.UpdateMerge)
	r = call(t, s, http.MethodPut, path, admin, "application/json", `{"enabled":true}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	up = keyJSON{}
	require.NoError(t, json.Unmarshal([]byte(r.body), &up))
	k.Enabled = true
	require.Equal(t, k, up)

	require.Panics(t, func() { s.SetAPIKeyUpdateMode(authtest.UpdateMode(7)) })
}

// TestUpdateAPIKeyKeepsLinkKeys: a platform link sent again keeps its
// read-only key, in both modes; a new link gets a new one, whatever key
// the client sends.
func TestUpdateAPIKeyKeepsLinkKeys(t *testing.T) {
	for _, mode := range []authtest.UpdateMode{authtest.UpdateMerge, authtest.UpdateReplace} {
		s := newServer(t)
		s.SetAPIKeyUpdateMode(mode)
		k := createKey(t, s, `{"name":"l","platform":[{"applicationId":"a","entityId":"e"},{"applicationId":"b"}]}`)
		r := call(t, s, http.MethodPut, keysPath+"/"+k.ID, admin, "application/json",
			`{"name":"l","platform":[{"applicationId":"b"},{"applicationId":"a","entityId":"e","action":"FORCE"},
			{"applicationId":"c","key":"CHOSEN"}]}`)
		require.Equal(t, http.StatusOK, r.status, r.body)
		var up keyJSON
		require.NoError(t, json.Unmarshal([]byte(r.body), &up))
		require.Len(t, up.Platform, 3)
		require.Equal(t, k.Platform[1].Key, up.Platform[0].Key)
		require.Equal(t, k.Platform[0].Key, up.Platform[1].Key)
		require.Equal(t, "FORCE", up.Platform[1].Action)
		require.NotEmpty(t, up.Platform[2].Key)
		require.NotEqual(t, "CHOSEN", up.Platform[2].Key, "the link key is read-only")
	}
}

func TestAPIKeyValidityOnTheClock(t *testing.T) {
	s := newServer(t)
	k := createKey(t, s, `{"name":"window","validFrom":"2026-01-01T01:00:00","validTo":"2026-01-01T02:00:00"}`)
	requireUnauthorized(t, balance(t, s, "App "+k.APIKeySecret))
	s.Advance(time.Hour)
	require.Equal(t, http.StatusOK, balance(t, s, "App "+k.APIKeySecret).status)
	s.Advance(59*time.Minute + 59*time.Second)
	require.Equal(t, http.StatusOK, balance(t, s, "App "+k.APIKeySecret).status)
	s.Advance(time.Second)
	requireUnauthorized(t, balance(t, s, "App "+k.APIKeySecret))
	// The seed key and added keys have no window.
	s.Advance(100 * 365 * 24 * time.Hour)
	require.Equal(t, http.StatusOK, balance(t, s, "App "+authtest.APIKey).status)
	s.Advance(-200 * 365 * 24 * time.Hour)
	require.Equal(t, http.StatusOK, balance(t, s, "App "+authtest.APIKey).status)
}

func TestAPIKeyAllowedIPs(t *testing.T) {
	s := newServer(t)
	far := createKey(t, s, `{"name":"far","allowedIPs":["192.0.2.0/24","2001:db8::1"]}`)
	requireUnauthorized(t, balance(t, s, "App "+far.APIKeySecret))
	near := createKey(t, s, `{"name":"near","allowedIPs":["192.0.2.0/24","127.0.0.0/8"]}`)
	require.Equal(t, http.StatusOK, balance(t, s, "App "+near.APIKeySecret).status)
	exact := createKey(t, s, `{"name":"exact","allowedIPs":["127.0.0.1"]}`)
	require.Equal(t, http.StatusOK, balance(t, s, "App "+exact.APIKeySecret).status)
}

func TestListAPIKeys(t *testing.T) {
	s := newServer(t)
	var ids []string
	for i := range 25 {
		ids = append(ids, createKey(t, s, fmt.Sprintf(`{"name":"k%02d"}`, i)).ID)
	}
	p := listKeys(t, s, "?size=10")
	require.Len(t, p.APIKeys, 10)
	require.Equal(t, 0, p.Paging.Page)
	require.Equal(t, 10, p.Paging.PageSize)
	require.Equal(t, "asc", p.Paging.OrderDirection)
	require.Equal(t, 26, p.Paging.TotalCount)
	require.Equal(t, 3, p.Paging.TotalPages)
	require.Equal(t, authtest.APIKeyID, p.APIKeys[0].ID)
	require.Equal(t, ids[:9], idsOf(p.APIKeys[1:]), "ids follow creation order")

	p = listKeys(t, s, "?size=10&page=2")
	require.Len(t, p.APIKeys, 6)
	require.Equal(t, ids[19:], idsOf(p.APIKeys))
	p = listKeys(t, s, "?size=10&page=3")
	require.Empty(t, p.APIKeys)
	require.Contains(t, call(t, s, http.MethodGet, keysPath+"?size=10&page=3", admin, "", "").body, `"apiKeys":[]`)

	p = listKeys(t, s, "")
	require.Len(t, p.APIKeys, 26)
	require.Equal(t, 100, p.Paging.PageSize)

	p = listKeys(t, s, "?name=k07")
	require.Equal(t, []string{ids[7]}, idsOf(p.APIKeys))
	p = listKeys(t, s, "?apiKeySecret="+authtest.APIKey)
	require.Equal(t, []string{authtest.APIKeyID}, idsOf(p.APIKeys))
	p = listKeys(t, s, "?orderBy=name&orderDirection=DESC&size=2")
	require.Equal(t, []string{"k24", "k23"}, []string{p.APIKeys[0].Name, p.APIKeys[1].Name})
	require.Equal(t, "name", p.Paging.OrderBy)
	require.Equal(t, "desc", p.Paging.OrderDirection)

	r := call(t, s, http.MethodPut, keysPath+"/"+ids[3], admin, "application/json", `{"enabled":false}`)
	require.Equal(t, http.StatusOK, r.status)
	p = listKeys(t, s, "?enabled=false")
	require.Equal(t, []string{ids[3]}, idsOf(p.APIKeys))
	require.Equal(t, 25, listKeys(t, s, "?enabled=true").Paging.TotalCount)
	require.Zero(t, listKeys(t, s, "?accountId=other").Paging.TotalCount)

	s.AddAPIKey("added-by-test")
	p = listKeys(t, s, "?apiKeySecret=added-by-test")
	require.Len(t, p.APIKeys, 1)
	require.True(t, p.APIKeys[0].Enabled)
	require.Empty(t, p.APIKeys[0].ValidTo)

	e := requireNewError(t, call(t, s, http.MethodGet,
		keysPath+"?page=101&size=0&orderBy=colour&orderDirection=up&enabled=maybe", admin, "", ""),
		http.StatusBadRequest, "E400")
	require.Equal(t, map[string]string{
		"page":           "must be a whole number from 0 to 100",
		"size":           "must be a whole number from 1 to 100",
		"orderBy":        "must be id, name, validFrom or validTo",
		"orderDirection": "must be asc or desc",
		"enabled":        "must be true or false",
	}, violations(e))
}

func idsOf(ks []keyJSON) []string {
	var out []string
	for _, k := range ks {
		out = append(out, k.ID)
	}
	return out
}

func TestAPIKeyDailyLimit(t *testing.T) {
	s := newServer(t)
	s.Advance(18 * time.Hour)
	s.SetAPIKeyDailyLimit(3)
	var last keyJSON
	for i := range 3 {
		last = createKey(t, s, fmt.Sprintf(`{"name":"k%d"}`, i))
	}
	r := call(t, s, http.MethodPost, keysPath, admin, "application/json", `{"name":"k3"}`)
	requireNewError(t, r, http.StatusTooManyRequests, "E429")
	_, has := r.header["Retry-After"]
	require.False(t, has, "Infobip documents no Retry-After; authtest must not invent one")
	require.Equal(t, 4, s.Count(authtest.RouteCreateAPIKey))
	// A test that wants a Retry-After injects it.
	s.Fail(authtest.RouteCreateAPIKey, authtest.Fault{Header: http.Header{"Retry-After": {"30"}}, Times: 1})
	r = call(t, s, http.MethodPost, keysPath, admin, "application/json", `{"name":"k3"}`)
	requireNewError(t, r, http.StatusTooManyRequests, "E429")
	require.Equal(t, "30", r.header.Get("Retry-After"))

	// Updates are limited on their own; reads are not limited.
	for i := range 3 {
		r := call(t, s, http.MethodPut, keysPath+"/"+last.ID, admin, "application/json", fmt.Sprintf(`{"name":"u%d"}`, i))
		require.Equal(t, http.StatusOK, r.status, r.body)
	}
	requireNewError(t, call(t, s, http.MethodPut, keysPath+"/"+last.ID, admin, "application/json", `{"name":"u3"}`),
		http.StatusTooManyRequests, "E429")
	for range 5 {
		listKeys(t, s, "")
	}

	s.Advance(6*time.Hour - time.Second)
	r = call(t, s, http.MethodPost, keysPath, admin, "application/json", `{"name":"k3"}`)
	requireNewError(t, r, http.StatusTooManyRequests, "E429")
	require.Empty(t, r.header.Values("Retry-After"))
	s.Advance(time.Second)
	createKey(t, s, `{"name":"k3"}`)

	// A faulted request is answered by the fault; the route still counts it.
	s.Fail(authtest.RouteCreateAPIKey, authtest.Fault{Status: 503, Body: `{"errorCode":"E503","description":"Service unavailable"}`, Times: 1})
	requireNewError(t, call(t, s, http.MethodPost, keysPath, admin, "application/json", `{"name":"x"}`),
		http.StatusServiceUnavailable, "E503")
	reqs := s.Requests(authtest.RouteCreateAPIKey)
	require.JSONEq(t, `{"name":"x"}`, string(reqs[len(reqs)-1].Body))

	s.SetAPIKeyDailyLimit(0)
	for i := range 45 {
		createKey(t, s, fmt.Sprintf(`{"name":"free%d"}`, i))
	}
}

func TestAPIKeysConcurrently(t *testing.T) {
	s := newServer(t)
	s.SetAPIKeyDailyLimit(0)
	const n = 30
	var wg sync.WaitGroup
	keys := make(chan keyJSON, n)
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			r, err := callCtx(t.Context(), s, http.MethodPost, keysPath, admin, "application/json", fmt.Sprintf(`{"name":"c%d"}`, i))
			if err != nil || r.status != http.StatusOK {
				errs <- fmt.Errorf("create: %d %v %s", r.status, err, r.body)
				return
			}
			var k keyJSON
			if err := json.Unmarshal([]byte(r.body), &k); err != nil {
				errs <- err
				return
			}
			keys <- k
			r, err = callCtx(t.Context(), s, http.MethodGet, "/account/1/balance", "App "+k.APIKeySecret, "", "")
			if err != nil || r.status != http.StatusOK {
				errs <- fmt.Errorf("use: %d %v", r.status, err)
			}
			_, _ = callCtx(t.Context(), s, http.MethodGet, keysPath+"?size=5", admin, "", "")
		})
	}
	wg.Wait()
	close(keys)
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	ids, secrets := map[string]bool{}, map[string]bool{}
	for k := range keys {
		ids[k.ID], secrets[k.APIKeySecret] = true, true
	}
	require.Len(t, ids, n)
	require.Len(t, secrets, n)
	require.Equal(t, n+1, listKeys(t, s, "").Paging.TotalCount)
	require.False(t, strings.Contains(fmt.Sprint(s.Requests(authtest.RouteListAPIKeys)[0].Query), "apiKeySecret"))
}

func TestServerRevokeDisablesAppKey(t *testing.T) {
	s := newServer(t)
	k := createKey(t, s, `{"name":"svc"}`)
	require.Equal(t, http.StatusOK, balance(t, s, "App "+authtest.APIKey).status)

	s.Revoke(authtest.APIKey)
	requireUnauthorized(t, balance(t, s, "App "+authtest.APIKey))
	requireNewUnauthorized(t, call(t, s, http.MethodPost, "/sms/3/messages", "App "+authtest.APIKey, "application/json", smsBody))
	// The key stays listed, as revoked; other keys keep working.
	var got keyJSON
	r := call(t, s, http.MethodGet, keysPath+"/"+authtest.APIKeyID, admin, "", "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.NoError(t, json.Unmarshal([]byte(r.body), &got))
	require.False(t, got.Enabled)
	require.Equal(t, http.StatusOK, balance(t, s, "App "+k.APIKeySecret).status)

	s.Revoke(k.APIKeySecret)
	requireUnauthorized(t, balance(t, s, "App "+k.APIKeySecret))

	// AddAPIKey enables it again.
	s.AddAPIKey(authtest.APIKey)
	require.Equal(t, http.StatusOK, balance(t, s, "App "+authtest.APIKey).status)
}

// reach reports the status of a GET or POST to path with c, and the
// library's reading of an error answer.
func reach(t *testing.T, c *http.Client, s *authtest.Server, method, path string) (int, *auth.Error) {
	t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(smsBody)
	}
	req, err := http.NewRequest(method, s.URL+path, body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	if resp.StatusCode < 400 {
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	return resp.StatusCode, auth.ParseError(resp)
}

// TestAPIKeyScopes: an App key reaches a route only with one of the scopes
// its operation names (x-scopes), and a key whose scope list is empty
// reaches none; refusals are 403 in the route's error body. Keys are made
// and changed through the apikeys package, and used through the library.
func TestAPIKeyScopes(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	admin, err := auth.NewBasic(authtest.Username, authtest.Password)
	require.NoError(t, err)
	keys, err := apikeys.New(s.URL, admin, s.Client())
	require.NoError(t, err)
	s.Handle("GET /whatsapp/1/senders", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), "whatsapp:manage")
	s.Handle("GET /custom", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))

	newKey := func(scopes ...string) (*apikeys.Key, *http.Client) {
		t.Helper()
		k, err := keys.Create(ctx, apikeys.CreateRequest{Name: "scoped", ScopeGUIDs: scopes})
		require.NoError(t, err)
		a, err := k.Secret.Authenticator()
		require.NoError(t, err)
		c, err := auth.NewClient(s.URL, a, s.Client())
		require.NoError(t, err)
		return k, c
	}
	const (
		balancePath = "/account/1/balance"
		smsPath     = "/sms/3/messages"
		smsV2Path   = "/sms/2/text/advanced"
	)
	// forbiddenOld and forbiddenNew assert a 403 in the older or newer
	// body for a request with c.
	forbiddenOld := func(t *testing.T, c *http.Client, method, path string) {
		t.Helper()
		status, e := reach(t, c, s, method, path)
		require.Equal(t, http.StatusForbidden, status, "%s %s", method, path)
		require.Equal(t, "E403", e.Code)
		require.Equal(t, "FORBIDDEN", e.MessageID, "the older body")
	}
	forbiddenNew := func(t *testing.T, c *http.Client, method, path string) {
		t.Helper()
		status, e := reach(t, c, s, method, path)
		require.Equal(t, http.StatusForbidden, status, "%s %s", method, path)
		require.Equal(t, "E403", e.Code)
		require.Empty(t, e.MessageID, "the newer body")
		require.Equal(t, "Insufficient permissions to access the requested resource.", e.Description)
		require.Equal(t, []auth.Resource{{Name: "API Scopes",
			URL: "https://www.infobip.com/docs/essentials/api-essentials/api-authorization#api-scopes"}}, e.Resources)
	}

	// Sending scopes reach SMS, not the balance.
	smsKey, smsOnly := newKey("sms:message:send")
	for _, scope := range []string{"sms:message:send", "message:send", "sms:manage"} {
		_, c := newKey(scope, "whatsapp:manage")
		for _, path := range []string{smsPath, smsV2Path} {
			status, e := reach(t, c, s, http.MethodPost, path)
			require.Equal(t, http.StatusOK, status, "%s %s: %v", scope, path, e)
		}
		forbiddenOld(t, c, http.MethodGet, balancePath)
	}
	// Account management reaches the balance, not SMS.
	_, accountOnly := newKey("account-management:manage")
	status, _ := reach(t, accountOnly, s, http.MethodGet, balancePath)
	require.Equal(t, http.StatusOK, status)
	forbiddenNew(t, accountOnly, http.MethodPost, smsPath)
	forbiddenOld(t, accountOnly, http.MethodPost, smsV2Path)

	// A route mounted with Handle asks for its own scopes, or for any.
	forbiddenOld(t, smsOnly, http.MethodGet, "/whatsapp/1/senders")
	_, wa := newKey("whatsapp:manage")
	status, _ = reach(t, wa, s, http.MethodGet, "/whatsapp/1/senders")
	require.Equal(t, http.StatusOK, status)
	status, _ = reach(t, smsOnly, s, http.MethodGet, "/custom")
	require.Equal(t, http.StatusOK, status)

	// An empty list, as the update schema says, reaches no endpoint.
	_, err = keys.Update(ctx, smsKey.ID, apikeys.UpdateRequest{ScopeGUIDs: []string{}})
	require.NoError(t, err)
	got, err := keys.Get(ctx, smsKey.ID)
	require.NoError(t, err)
	require.NotNil(t, got.ScopeGUIDs, "an empty list is listed as such")
	require.Empty(t, got.ScopeGUIDs)
	forbiddenNew(t, smsOnly, http.MethodPost, smsPath)
	forbiddenOld(t, smsOnly, http.MethodGet, balancePath)
	forbiddenOld(t, smsOnly, http.MethodGet, "/custom")

	// A key without scopeGuids (the seed key, AddAPIKey's, or one created
	// without them) and the users' own schemes reach every route.
	_, unscoped := newKey()
	session, err := auth.Login(ctx, auth.LoginConfig{BaseURL: s.URL, HTTPClient: s.Client(), Now: s.Now},
		authtest.Username, authtest.Password)
	require.NoError(t, err)
	t.Cleanup(func() { _ = session.Logout(context.Background()) })
	bearer, err := auth.NewOAuth(auth.OAuthConfig{BaseURL: s.URL, ClientID: authtest.Username,
		ClientSecret: authtest.Password, HTTPClient: s.Client(), Now: s.Now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = bearer.Close(context.Background()) })
	for name, a := range map[string]auth.Authenticator{"seed key": mustAPIKey(t, authtest.APIKey),
		"basic": admin, "ibsso": session, "oauth": bearer} {
		c, err := auth.NewClient(s.URL, a, s.Client())
		require.NoError(t, err)
		for _, c := range []*http.Client{c, unscoped} {
			for _, rt := range [][2]string{{http.MethodGet, balancePath}, {http.MethodPost, smsPath}, {http.MethodPost, smsV2Path},
				{http.MethodGet, "/whatsapp/1/senders"}, {http.MethodGet, "/custom"}} {
				status, e := reach(t, c, s, rt[0], rt[1])
				require.Equal(t, http.StatusOK, status, "%s %v: %v", name, rt, e)
			}
		}
	}
}
