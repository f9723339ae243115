package apikeys_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/apikeys"
	"github.com/ibkit/auth/authtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var keyRoutes = []string{
	authtest.RouteCreateAPIKey, authtest.RouteListAPIKeys,
	authtest.RouteGetAPIKey, authtest.RouteUpdateAPIKey,
}

// setup starts a fake Infobip and a Client that manages keys with Basic
// credentials.
func setup(t *testing.T) (*authtest.Server, *apikeys.Client) {
	t.Helper()
	srv := authtest.NewServer()
	t.Cleanup(srv.Close)
	basic, err := auth.NewBasic(authtest.Username, authtest.Password)
	require.NoError(t, err)
	c, err := apikeys.New(srv.URL, basic, srv.Client())
	require.NoError(t, err)
	return srv, c
}

// balance calls a protected route of srv with a and returns the status.
func balance(t *testing.T, srv *authtest.Server, a auth.Authenticator) int {
	t.Helper()
	tr, err := auth.NewTransport(srv.URL, a, srv.Client().Transport)
	require.NoError(t, err)
	resp, err := (&http.Client{Transport: tr}).Get(srv.URL + "/account/1/balance")
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func appKey(t *testing.T, key string) *auth.APIKey {
	t.Helper()
	a, err := auth.NewAPIKey(key)
	require.NoError(t, err)
	return a
}

// requireInfobipError asserts that err is an *auth.Error with the status,
// code and Op given.
func requireInfobipError(t *testing.T, err error, status int, code, op string) *auth.Error {
	t.Helper()
	var ae *auth.Error
	require.ErrorAs(t, err, &ae)
	require.Equal(t, status, ae.StatusCode, ae.Error())
	require.Equal(t, code, ae.Code)
	require.Equal(t, op, ae.Op)
	return ae
}

func TestRotateKeyEndToEnd(t *testing.T) {
	srv, keys := setup(t)
	ctx := context.Background()
	old := appKey(t, authtest.APIKey)
	require.Equal(t, http.StatusOK, balance(t, srv, old))

	// Find the key in use by its secret.
	var oldID string
	for k, err := range keys.All(ctx, apikeys.Filter{}) {
		require.NoError(t, err)
		if k.Secret.Matches(authtest.APIKey) {
			oldID = k.ID
		}
	}
	require.Equal(t, authtest.APIKeyID, oldID)

	// The three lines of a rotation.
	k, err := keys.Create(ctx, apikeys.CreateRequest{Name: "billing-2026-02"})
	require.NoError(t, err)
	fresh, err := k.Secret.Authenticator()
	require.NoError(t, err)
	require.NoError(t, keys.Revoke(ctx, oldID))
	require.Equal(t, 1, srv.Count(authtest.RouteGetAPIKey), "Revoke reads the key, then sends it whole")

	require.Equal(t, http.StatusOK, balance(t, srv, fresh))
	require.Equal(t, http.StatusUnauthorized, balance(t, srv, old))

	got, err := keys.Get(ctx, oldID)
	require.NoError(t, err)
	require.False(t, got.Enabled)

	// Revoke is one PUT of the whole key with enabled:false, sent with
	// Basic, and without the secret.
	puts := srv.Requests(authtest.RouteUpdateAPIKey)
	require.Len(t, puts, 1)
	require.Equal(t, "/settings/2/api-keys/"+authtest.APIKeyID, puts[0].Path)
	require.JSONEq(t, `{"accountId":"`+got.AccountID+`","name":"default","enabled":false,"permissions":["PUBLIC_API"]}`,
		string(puts[0].Body))
	require.Equal(t, "application/json", puts[0].Header.Get("Content-Type"))
	require.True(t, strings.HasPrefix(puts[0].Header.Get("Authorization"), "Basic "))

	// Revoking the new key stops it too; enabling it again restores it.
	require.NoError(t, keys.Revoke(ctx, k.ID))
	require.Equal(t, http.StatusUnauthorized, balance(t, srv, fresh))
	back, err := keys.Update(ctx, k.ID, apikeys.UpdateRequest{Enabled: new(true)})
	require.NoError(t, err)
	require.True(t, back.Enabled)
	require.Equal(t, http.StatusOK, balance(t, srv, fresh))
}

func TestCreateWireFormat(t *testing.T) {
	srv, keys := setup(t)
	ctx := context.Background()
	from := srv.Now().Add(36*time.Hour + 500*time.Millisecond)
	to := from.Add(90 * 24 * time.Hour)
	k, err := keys.Create(ctx, apikeys.CreateRequest{
		AccountID:   "1B5C0DE0A11CE0000000000000000001",
		Name:        "reports (read only) ✓",
		AllowedIPs:  []string{"203.0.113.7", "198.51.100.0/24", "2001:db8::/32"},
		ValidFrom:   from.In(time.FixedZone("CET", 3600)),
		ValidTo:     to,
		Permissions: []apikeys.Permission{apikeys.PermissionPublicAPI, apikeys.Permission2FAClient},
		ScopeGUIDs:  []string{"sms:message:send", "account-management:manage"},
	})
	require.NoError(t, err)

	reqs := srv.Requests(authtest.RouteCreateAPIKey)
	require.Len(t, reqs, 1)
	require.JSONEq(t, `{
		"accountId": "1B5C0DE0A11CE0000000000000000001",
		"name": "reports (read only) ✓",
		"allowedIPs": ["203.0.113.7", "198.51.100.0/24", "2001:db8::/32"],
		"validFrom": "2026-01-02T12:00:01",
		"validTo": "2026-04-02T12:00:00",
		"permissions": ["PUBLIC_API", "2FA_CLIENT"],
		"scopeGuids": ["sms:message:send", "account-management:manage"]
	}`, string(reqs[0].Body))
	require.Equal(t, "application/json", reqs[0].Header.Get("Accept"))

	require.NotEmpty(t, k.ID)
	require.False(t, k.Secret.IsZero())
	require.Equal(t, "reports (read only) ✓", k.Name)
	require.Equal(t, "1B5C0DE0A11CE0000000000000000001", k.AccountID)
	require.Equal(t, []string{"203.0.113.7", "198.51.100.0/24", "2001:db8::/32"}, k.AllowedIPs)
	require.True(t, k.ValidFrom.Equal(from.Truncate(time.Second).Add(time.Second)), k.ValidFrom)
	require.True(t, k.ValidTo.Equal(to.Truncate(time.Second)), k.ValidTo)
	require.Equal(t, time.UTC, k.ValidFrom.Location())
	require.True(t, k.Enabled)
	require.Equal(t, []apikeys.Permission{"PUBLIC_API", "2FA_CLIENT"}, k.Permissions)
	require.Equal(t, []string{"sms:message:send", "account-management:manage"}, k.ScopeGUIDs)

	// A key linked to CPaaS X applications; the read-only link key is not sent.
	p, err := keys.Create(ctx, apikeys.CreateRequest{
		Name: "cpaas",
		Platform: []apikeys.Platform{
			{Key: "ignored", ApplicationID: "default"},
			{ApplicationID: "marketing", EntityID: "promo", Action: apikeys.ActionFill},
		},
	})
	require.NoError(t, err)
	require.JSONEq(t, `{"name":"cpaas","platform":[{"applicationId":"default"},
		{"applicationId":"marketing","entityId":"promo","action":"FILL"}]}`,
		string(srv.Requests(authtest.RouteCreateAPIKey)[1].Body))
	require.Len(t, p.Platform, 2)
	require.NotEmpty(t, p.Platform[0].Key)
	require.Equal(t, apikeys.ActionFill, p.Platform[1].Action)
	require.Empty(t, p.Permissions)
}

func TestCreateDefaults(t *testing.T) {
	srv, keys := setup(t)
	srv.Advance(90 * time.Minute)
	k, err := keys.Create(context.Background(), apikeys.CreateRequest{Name: "n"})
	require.NoError(t, err)
	require.JSONEq(t, `{"name":"n"}`, string(srv.Requests(authtest.RouteCreateAPIKey)[0].Body))
	require.True(t, k.ValidFrom.Equal(srv.Now()), k.ValidFrom)
	require.True(t, k.ValidTo.Equal(srv.Now().AddDate(1, 0, 0)), k.ValidTo)
	require.True(t, k.Enabled)
	require.Equal(t, []apikeys.Permission{apikeys.PermissionPublicAPI}, k.Permissions)
	require.Empty(t, k.AllowedIPs)
}

func TestListPages(t *testing.T) {
	srv, keys := setup(t)
	ctx := context.Background()
	created := map[string]bool{}
	for i := range 25 {
		k, err := keys.Create(ctx, apikeys.CreateRequest{Name: fmt.Sprintf("bulk-%02d", i)})
		require.NoError(t, err)
		created[k.ID] = true
	}

	first, err := keys.List(ctx, apikeys.Filter{Size: 10})
	require.NoError(t, err)
	require.Len(t, first.Keys, 10)
	require.Equal(t, apikeys.Paging{Page: 0, PageSize: 10, OrderDirection: "asc", TotalCount: 26, TotalPages: 3}, first.Paging)
	require.Equal(t, "size=10", srv.Requests(authtest.RouteListAPIKeys)[0].Query)
	require.Equal(t, authtest.APIKeyID, first.Keys[0].ID, "the seed key comes first by id")

	last, err := keys.List(ctx, apikeys.Filter{Size: 10, Page: 2})
	require.NoError(t, err)
	require.Len(t, last.Keys, 6)
	require.Equal(t, 2, last.Paging.Page)

	before := srv.Count(authtest.RouteListAPIKeys)
	seen := map[string]bool{}
	for k, err := range keys.All(ctx, apikeys.Filter{Size: 10}) {
		require.NoError(t, err)
		require.False(t, seen[k.ID], "key %s yielded twice", k.ID)
		seen[k.ID] = true
		require.False(t, k.Secret.IsZero())
	}
	require.Len(t, seen, 26)
	for id := range created {
		require.True(t, seen[id], id)
	}
	require.True(t, seen[authtest.APIKeyID])
	require.Equal(t, 3, srv.Count(authtest.RouteListAPIKeys)-before)

	// Stopping early fetches no more pages.
	before = srv.Count(authtest.RouteListAPIKeys)
	n := 0
	for _, err := range keys.All(ctx, apikeys.Filter{Size: 10}) {
		require.NoError(t, err)
		if n++; n == 5 {
			break
		}
	}
	require.Equal(t, 1, srv.Count(authtest.RouteListAPIKeys)-before)

	// The default page holds up to 100 keys: one request for all.
	before = srv.Count(authtest.RouteListAPIKeys)
	n = 0
	for _, err := range keys.All(ctx, apikeys.Filter{}) {
		require.NoError(t, err)
		n++
	}
	require.Equal(t, 26, n)
	require.Equal(t, 1, srv.Count(authtest.RouteListAPIKeys)-before)
}

func TestListFilters(t *testing.T) {
	srv, keys := setup(t)
	ctx := context.Background()
	for _, name := range []string{"alpha", "beta", "gamma"} {
		_, err := keys.Create(ctx, apikeys.CreateRequest{Name: name})
		require.NoError(t, err)
	}
	beta, err := keys.List(ctx, apikeys.Filter{Name: "beta"})
	require.NoError(t, err)
	require.Len(t, beta.Keys, 1)
	require.Equal(t, "beta", beta.Keys[0].Name)
	require.NoError(t, keys.Revoke(ctx, beta.Keys[0].ID))

	revoked, err := keys.List(ctx, apikeys.Filter{Enabled: new(false)})
	require.NoError(t, err)
	require.Len(t, revoked.Keys, 1)
	require.Equal(t, "beta", revoked.Keys[0].Name)
	enabled, err := keys.List(ctx, apikeys.Filter{Enabled: new(true)})
	require.NoError(t, err)
	require.Len(t, enabled.Keys, 3) // the seed key, alpha and gamma

	desc, err := keys.List(ctx, apikeys.Filter{OrderBy: "name", Descending: true, Page: 1, Size: 2,
		AccountID: "1B5C0DE0A11CE0000000000000000001"})
	require.NoError(t, err)
	require.Equal(t, []string{"beta", "alpha"}, names(desc.Keys))
	require.Equal(t, "desc", desc.Paging.OrderDirection)
	q, err := url.ParseQuery(srv.Requests(authtest.RouteListAPIKeys)[3].Query)
	require.NoError(t, err)
	require.Equal(t, url.Values{
		"accountId": {"1B5C0DE0A11CE0000000000000000001"}, "orderBy": {"name"},
		"orderDirection": {"desc"}, "page": {"1"}, "size": {"2"},
	}, q)
}

func names(ks []apikeys.Key) []string {
	var out []string
	for _, k := range ks {
		out = append(out, k.Name)
	}
	return out
}

func TestGetAndUpdate(t *testing.T) {
	srv, keys := setup(t)
	ctx := context.Background()
	k, err := keys.Create(ctx, apikeys.CreateRequest{Name: "svc", AllowedIPs: []string{"127.0.0.1"}})
	require.NoError(t, err)

	got, err := keys.Get(ctx, k.ID)
	require.NoError(t, err)
	require.Equal(t, *k, *got)
	require.True(t, got.Secret.Matches(k.Secret.Reveal()))
	require.Equal(t, "/settings/2/api-keys/"+k.ID, srv.Requests(authtest.RouteGetAPIKey)[0].Path)

	to := srv.Now().Add(48 * time.Hour)
	up, err := keys.Update(ctx, k.ID, apikeys.UpdateRequest{
		Name:       "svc-renamed",
		AllowedIPs: []string{},
		ValidTo:    to,
		ScopeGUIDs: []string{"sms:message:send"},
	})
	require.NoError(t, err)
	// The whole key goes out: the changes, and the rest as it was.
	require.JSONEq(t, `{"accountId":"`+k.AccountID+`","name":"svc-renamed","allowedIPs":[],
		"validFrom":"2026-01-01T00:00:00","validTo":"2026-01-03T00:00:00","enabled":true,
		"permissions":["PUBLIC_API"],"scopeGuids":["sms:message:send"]}`,
		string(srv.Requests(authtest.RouteUpdateAPIKey)[0].Body))
	require.Equal(t, "svc-renamed", up.Name)
	require.Empty(t, up.AllowedIPs)
	require.True(t, up.ValidTo.Equal(to))
	require.True(t, up.ValidFrom.Equal(k.ValidFrom), "absent fields keep their value")
	require.Equal(t, k.Permissions, up.Permissions)
	require.True(t, up.Secret.Matches(k.Secret.Reveal()))

	again, err := keys.Get(ctx, k.ID)
	require.NoError(t, err)
	require.Equal(t, *up, *again)
}

// updateModes runs f under both readings of Infobip's undocumented PUT.
func updateModes(t *testing.T, f func(t *testing.T, srv *authtest.Server, keys *apikeys.Client)) {
	for name, mode := range map[string]authtest.UpdateMode{"merge": authtest.UpdateMerge, "replace": authtest.UpdateReplace} {
		t.Run(name, func(t *testing.T) {
			srv, keys := setup(t)
			srv.SetAPIKeyUpdateMode(mode)
			f(t, srv, keys)
		})
	}
}

// requireSameKey asserts that got is want but for the fields a test
// changed on purpose: name and enabled.
func requireSameKey(t *testing.T, want, got *apikeys.Key) {
	t.Helper()
	require.Equal(t, want.ID, got.ID)
	require.Equal(t, want.AccountID, got.AccountID)
	require.Equal(t, want.AllowedIPs, got.AllowedIPs)
	require.Equal(t, want.ScopeGUIDs, got.ScopeGUIDs)
	require.Equal(t, want.Permissions, got.Permissions)
	require.Equal(t, want.Platform, got.Platform)
	require.True(t, want.ValidFrom.Equal(got.ValidFrom), "validFrom %v, want %v", got.ValidFrom, want.ValidFrom)
	require.True(t, want.ValidTo.Equal(got.ValidTo), "validTo %v, want %v", got.ValidTo, want.ValidTo)
	require.True(t, got.Secret.Matches(want.Secret.Reveal()))
}

// TestUpdateAndRevokeKeepTheKey: whether Infobip's PUT replaces the key or
// changes only the fields sent, renaming, revoking and enabling a key keep
// its allowed IPs, scopes, validity, account and links.
func TestUpdateAndRevokeKeepTheKey(t *testing.T) {
	updateModes(t, func(t *testing.T, srv *authtest.Server, keys *apikeys.Client) {
		ctx := context.Background()
		for _, req := range []apikeys.CreateRequest{{
			Name:       "restricted",
			AccountID:  "8F0792F86035A9F4290821F1EE6BC06A",
			AllowedIPs: []string{"127.0.0.1", "10.0.0.0/8"},
			ValidTo:    srv.Now().Add(30 * 24 * time.Hour),
			ScopeGUIDs: []string{"sms:message:send", "account-management:manage"},
		}, {
			Name: "linked",
			Platform: []apikeys.Platform{{ApplicationID: "default"},
				{ApplicationID: "marketing", EntityID: "promo", Action: apikeys.ActionFill}},
			ValidFrom: srv.Now(),
		}} {
			orig, err := keys.Create(ctx, req)
			require.NoError(t, err)
			app, err := orig.Secret.Authenticator()
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, balance(t, srv, app))

			require.NoError(t, keys.Revoke(ctx, orig.ID))
			revoked, err := keys.Get(ctx, orig.ID)
			require.NoError(t, err)
			require.False(t, revoked.Enabled)
			require.Equal(t, req.Name, revoked.Name)
			requireSameKey(t, orig, revoked)
			require.Equal(t, http.StatusUnauthorized, balance(t, srv, app))

			back, err := keys.Update(ctx, orig.ID, apikeys.UpdateRequest{Enabled: new(true)})
			require.NoError(t, err)
			require.True(t, back.Enabled)
			requireSameKey(t, orig, back)
			require.Equal(t, http.StatusOK, balance(t, srv, app))

			renamed, err := keys.Update(ctx, orig.ID, apikeys.UpdateRequest{Name: req.Name + "-2"})
			require.NoError(t, err)
			require.Equal(t, req.Name+"-2", renamed.Name)
			require.True(t, renamed.Enabled)
			requireSameKey(t, orig, renamed)
			require.Equal(t, http.StatusOK, balance(t, srv, app))
		}
	})
}

// sendSMS posts an SMS to a protected route of srv with a and returns the
// status.
func sendSMS(t *testing.T, srv *authtest.Server, a auth.Authenticator) int {
	t.Helper()
	tr, err := auth.NewTransport(srv.URL, a, srv.Client().Transport)
	require.NoError(t, err)
	resp, err := (&http.Client{Transport: tr}).Post(srv.URL+"/sms/3/messages", "application/json",
		strings.NewReader(`{"messages":[{"destinations":[{"to":"41793026727"}],"content":{"text":"hi"}}]}`))
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// requireReachesNothing asserts that the App key a is known but reaches
// no endpoint: the balance and SMS answer 403.
func requireReachesNothing(t *testing.T, srv *authtest.Server, a auth.Authenticator, when string) {
	t.Helper()
	require.Equal(t, http.StatusForbidden, balance(t, srv, a), "balance, %s", when)
	require.Equal(t, http.StatusForbidden, sendSMS(t, srv, a), "SMS, %s", when)
}

// TestUpdateNeverWidensAKeyScopedToNothing: a key whose scope list is
// empty reaches no endpoint, and renaming, revoking, enabling or linking
// it keeps it so, whether Infobip's PUT replaces the key or merges the fields sent:
// the empty list is sent as [], never left out, which a replacing PUT
// would read as no restriction at all.
func TestUpdateNeverWidensAKeyScopedToNothing(t *testing.T) {
	updateModes(t, func(t *testing.T, srv *authtest.Server, keys *apikeys.Client) {
		ctx := context.Background()
		created, err := keys.Create(ctx, apikeys.CreateRequest{Name: "created-empty", ScopeGUIDs: []string{}})
		require.NoError(t, err)
		cleared, err := keys.Create(ctx, apikeys.CreateRequest{Name: "cleared", AllowedIPs: []string{"127.0.0.1"}})
		require.NoError(t, err)
		_, err = keys.Update(ctx, cleared.ID, apikeys.UpdateRequest{ScopeGUIDs: []string{}})
		require.NoError(t, err)

		for _, k := range []*apikeys.Key{created, cleared} {
			a, err := k.Secret.Authenticator()
			require.NoError(t, err)
			requireReachesNothing(t, srv, a, k.Name+" as made")

			renamed, err := keys.Update(ctx, k.ID, apikeys.UpdateRequest{Name: k.Name + "-2"})
			require.NoError(t, err)
			require.Equal(t, []string{}, renamed.ScopeGUIDs)
			puts := srv.Requests(authtest.RouteUpdateAPIKey)
			var sent map[string]any
			require.NoError(t, json.Unmarshal(puts[len(puts)-1].Body, &sent))
			require.Equal(t, []any{}, sent["scopeGuids"], "the empty list is sent as []")
			requireReachesNothing(t, srv, a, k.Name+" renamed")

			require.NoError(t, keys.Revoke(ctx, k.ID))
			require.Equal(t, http.StatusUnauthorized, balance(t, srv, a))
			back, err := keys.Update(ctx, k.ID, apikeys.UpdateRequest{Enabled: new(true)})
			require.NoError(t, err)
			require.True(t, back.Enabled)
			requireReachesNothing(t, srv, a, k.Name+" enabled again")

			// Linking drops scopes, which Infobip refuses with links, but
			// not an empty list.
			linked, err := keys.Update(ctx, k.ID, apikeys.UpdateRequest{Platform: []apikeys.Platform{{ApplicationID: "default"}}})
			require.NoError(t, err)
			require.Len(t, linked.Platform, 1)
			requireReachesNothing(t, srv, a, k.Name+" linked")

			got, err := keys.Get(ctx, k.ID)
			require.NoError(t, err)
			require.Equal(t, []string{}, got.ScopeGUIDs)
		}
	})
}

// TestKeyScopedToNothingStaysSo: a Key whose scope list is empty keeps
// it through JSON, and its successor reaches nothing either.
func TestKeyScopedToNothingStaysSo(t *testing.T) {
	srv, keys := setup(t)
	ctx := context.Background()
	old, err := keys.Create(ctx, apikeys.CreateRequest{Name: "none", ScopeGUIDs: []string{}})
	require.NoError(t, err)

	b, err := json.Marshal(old)
	require.NoError(t, err)
	require.Contains(t, string(b), `"scopeGuids":[]`)
	var back apikeys.Key
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, []string{}, back.ScopeGUIDs)

	fresh, err := keys.Create(ctx, back.Successor("none-2", srv.Now()))
	require.NoError(t, err)
	require.Equal(t, []string{}, fresh.ScopeGUIDs)
	a, err := fresh.Secret.Authenticator()
	require.NoError(t, err)
	requireReachesNothing(t, srv, a, "the successor")
}

// TestUpdateSwitchesBetweenLinksAndPermissions: Infobip refuses platform
// links together with permissions or scopes; switching from one to the
// other works under both readings of the PUT.
func TestUpdateSwitchesBetweenLinksAndPermissions(t *testing.T) {
	updateModes(t, func(t *testing.T, srv *authtest.Server, keys *apikeys.Client) {
		ctx := context.Background()
		k, err := keys.Create(ctx, apikeys.CreateRequest{Name: "n", AllowedIPs: []string{"127.0.0.1"},
			ScopeGUIDs: []string{"sms:message:send"}})
		require.NoError(t, err)

		linked, err := keys.Update(ctx, k.ID, apikeys.UpdateRequest{Platform: []apikeys.Platform{{ApplicationID: "default"}}})
		require.NoError(t, err)
		var sent map[string]any
		require.NoError(t, json.Unmarshal(srv.Requests(authtest.RouteUpdateAPIKey)[0].Body, &sent))
		require.NotContains(t, sent, "permissions")
		require.NotContains(t, sent, "scopeGuids")
		require.Len(t, linked.Platform, 1)
		require.Empty(t, linked.Permissions)
		require.Equal(t, k.AllowedIPs, linked.AllowedIPs)

		unlinked, err := keys.Update(ctx, k.ID, apikeys.UpdateRequest{Permissions: []apikeys.Permission{apikeys.Permission2FAClient}})
		require.NoError(t, err)
		sent = nil
		require.NoError(t, json.Unmarshal(srv.Requests(authtest.RouteUpdateAPIKey)[1].Body, &sent))
		require.Equal(t, []any{}, sent["platform"], "the links are cleared explicitly")
		require.Empty(t, unlinked.Platform)
		require.Equal(t, []apikeys.Permission{apikeys.Permission2FAClient}, unlinked.Permissions)
		require.Equal(t, k.AllowedIPs, unlinked.AllowedIPs)
	})
}

// TestUpdateNeverSendsEnabledItDidNotRead: a key read without "enabled"
// is not sent as disabled (false, the zero value) when the update does not
// touch it.
func TestUpdateNeverSendsEnabledItDidNotRead(t *testing.T) {
	srv, keys := setup(t)
	srv.Fail(authtest.RouteGetAPIKey, authtest.Fault{Status: http.StatusOK,
		Body: `{"id":"` + authtest.APIKeyID + `","name":"default","allowedIPs":["127.0.0.1"]}`, Times: 1})
	_, err := keys.Update(context.Background(), authtest.APIKeyID, apikeys.UpdateRequest{Name: "x"})
	require.NoError(t, err)
	require.JSONEq(t, `{"name":"x","allowedIPs":["127.0.0.1"]}`, string(srv.Requests(authtest.RouteUpdateAPIKey)[0].Body))
	got, err := keys.Get(context.Background(), authtest.APIKeyID)
	require.NoError(t, err)
	require.True(t, got.Enabled)
}

// TestUpdateReadFailures: Update and Revoke stop when the read before the
// write fails, and send nothing.
func TestUpdateReadFailures(t *testing.T) {
	srv, keys := setup(t)
	ctx := context.Background()
	srv.Fail(authtest.RouteGetAPIKey, authtest.Fault{Status: http.StatusOK, Body: "{}", Times: 1})
	_, err := keys.Update(ctx, authtest.APIKeyID, apikeys.UpdateRequest{Name: "x"})
	require.EqualError(t, err, "apikeys: update API key: reading the key first: the response has no API key id")
	srv.Fail(authtest.RouteGetAPIKey, authtest.Fault{Status: http.StatusServiceUnavailable, Body: "<html>down</html>", Times: 1})
	err = keys.Revoke(ctx, authtest.APIKeyID)
	requireInfobipError(t, err, http.StatusServiceUnavailable, "E503", "revoke API key")
	require.Zero(t, srv.Count(authtest.RouteUpdateAPIKey))
}

func TestAllowedIPsAndValidityAreEnforced(t *testing.T) {
	srv, keys := setup(t)
	ctx := context.Background()

	elsewhere, err := keys.Create(ctx, apikeys.CreateRequest{Name: "office", AllowedIPs: []string{"203.0.113.0/24"}})
	require.NoError(t, err)
	a, err := elsewhere.Secret.Authenticator()
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, balance(t, srv, a), "used from 127.0.0.1")
	_, err = keys.Update(ctx, elsewhere.ID, apikeys.UpdateRequest{AllowedIPs: []string{"203.0.113.0/24", "127.0.0.0/8"}})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, balance(t, srv, a))

	later, err := keys.Create(ctx, apikeys.CreateRequest{
		Name:      "next-hour",
		ValidFrom: srv.Now().Add(time.Hour),
		ValidTo:   srv.Now().Add(2 * time.Hour),
	})
	require.NoError(t, err)
	b, err := later.Secret.Authenticator()
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, balance(t, srv, b), "not yet valid")
	srv.Advance(time.Hour)
	require.Equal(t, http.StatusOK, balance(t, srv, b))
	srv.Advance(time.Hour - time.Second)
	require.Equal(t, http.StatusOK, balance(t, srv, b))
	srv.Advance(time.Second)
	require.Equal(t, http.StatusUnauthorized, balance(t, srv, b), "expired")
}

func TestAppKeyRefused(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()

	_, err := apikeys.New(srv.URL, appKey(t, authtest.APIKey), srv.Client())
	require.ErrorIs(t, err, apikeys.ErrAppKey)
	require.NotContains(t, err.Error(), authtest.APIKey)

	// An authenticator of another type that yields an App header is
	// stopped before the request goes out.
	c, err := apikeys.New(srv.URL, appHeader{}, srv.Client())
	require.NoError(t, err)
	_, err = c.List(context.Background(), apikeys.Filter{})
	require.ErrorIs(t, err, apikeys.ErrAppKey)
	require.NotContains(t, err.Error(), authtest.APIKey)
	for _, r := range keyRoutes {
		require.Zero(t, srv.Count(r), r)
	}
}

// appHeader is an Authenticator that is not an *auth.APIKey but sends one.
type appHeader struct{}

func (appHeader) Authorization(context.Context) (string, error) {
	return "app " + authtest.APIKey, nil
}

func TestNewErrors(t *testing.T) {
	basic, err := auth.NewBasic(authtest.Username, authtest.Password)
	require.NoError(t, err)

	_, err = apikeys.New("https://api.infobip.com", nil, nil)
	require.ErrorContains(t, err, "authenticator is nil")
	_, err = apikeys.New("http://api.infobip.com", basic, nil)
	require.ErrorContains(t, err, "http://")
	_, err = apikeys.New("https://api.infobip.com/settings", basic, nil)
	require.ErrorContains(t, err, "origin only")

	tr, err := auth.NewTransport("https://api.infobip.com", basic, nil)
	require.NoError(t, err)
	_, err = apikeys.New("https://api.infobip.com", basic, &http.Client{Transport: tr})
	require.ErrorContains(t, err, "already authenticates")

	// The caller's client is left as it was.
	mine := &http.Client{Timeout: time.Minute}
	c, err := apikeys.New("https://api.infobip.com", basic, mine)
	require.NoError(t, err)
	require.NotNil(t, c)
	require.Nil(t, mine.Transport)
	require.Equal(t, time.Minute, mine.Timeout)
}

// recorder is a base transport that answers every request with one key
// and keeps the URLs and Authorization headers it was asked for.
type recorder struct {
	mu    sync.Mutex
	urls  []*url.URL
	authz []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	r.mu.Lock()
	r.urls = append(r.urls, req.URL)
	r.authz = append(r.authz, req.Header.Get("Authorization"))
	r.mu.Unlock()
	return &http.Response{
		StatusCode: http.StatusOK,
		Status:     "200 OK",
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(strings.NewReader(`{"id":"K1","name":"n","enabled":true}`)),
		Request:    req,
	}, nil
}

func TestBaseURLWithoutSchemeGetsHTTPS(t *testing.T) {
	basic, err := auth.NewBasic(authtest.Username, authtest.Password)
	require.NoError(t, err)
	rec := &recorder{}
	mine := &http.Client{Transport: rec, Timeout: time.Minute}
	keys, err := apikeys.New("xxxxx.API.infobip.com", basic, mine)
	require.NoError(t, err)
	require.Same(t, rec, mine.Transport, "the caller's client is left as it was")

	k, err := keys.Get(context.Background(), "K1")
	require.NoError(t, err)
	require.Equal(t, "K1", k.ID)
	require.Len(t, rec.urls, 1)
	require.Equal(t, "https", rec.urls[0].Scheme)
	require.Equal(t, "xxxxx.api.infobip.com", rec.urls[0].Host)
	require.Equal(t, "/settings/2/api-keys/K1", rec.urls[0].Path)
	require.True(t, strings.HasPrefix(rec.authz[0], "Basic "), "credentials reach the host")
}

func TestDailyLimit(t *testing.T) {
	srv, keys := setup(t)
	ctx := context.Background()
	for i := range 40 {
		_, err := keys.Create(ctx, apikeys.CreateRequest{Name: fmt.Sprint("k", i)})
		require.NoError(t, err, i)
	}
	_, err := keys.Create(ctx, apikeys.CreateRequest{Name: "one too many"})
	ae := requireInfobipError(t, err, http.StatusTooManyRequests, "E429", "create API key")
	require.Zero(t, ae.RetryAfter, "Infobip documents no Retry-After, and authtest sends none")

	// A Retry-After, when there is one, is honoured.
	srv.Fail(authtest.RouteCreateAPIKey, authtest.Fault{Header: http.Header{"Retry-After": {"3600"}}, Times: 1})
	_, err = keys.Create(ctx, apikeys.CreateRequest{Name: "one too many"})
	ae = requireInfobipError(t, err, http.StatusTooManyRequests, "E429", "create API key")
	require.Equal(t, time.Hour, ae.RetryAfter)

	// Updates have their own limit; reads have none of these.
	srv.SetAPIKeyDailyLimit(2)
	require.NoError(t, keys.Revoke(ctx, authtest.APIKeyID))
	_, err = keys.Update(ctx, authtest.APIKeyID, apikeys.UpdateRequest{Name: "x"})
	require.NoError(t, err)
	_, err = keys.Update(ctx, authtest.APIKeyID, apikeys.UpdateRequest{Name: "y"})
	requireInfobipError(t, err, http.StatusTooManyRequests, "E429", "update API key")
	err = keys.Revoke(ctx, authtest.APIKeyID)
	requireInfobipError(t, err, http.StatusTooManyRequests, "E429", "revoke API key")
	_, err = keys.List(ctx, apikeys.Filter{})
	require.NoError(t, err)

	// A new day on the server's clock.
	srv.Advance(23 * time.Hour)
	_, err = keys.Create(ctx, apikeys.CreateRequest{Name: "still today"})
	requireInfobipError(t, err, http.StatusTooManyRequests, "E429", "create API key")
	srv.Advance(time.Hour)
	_, err = keys.Create(ctx, apikeys.CreateRequest{Name: "tomorrow"})
	require.NoError(t, err)
	_, err = keys.Update(ctx, authtest.APIKeyID, apikeys.UpdateRequest{Name: "z"})
	require.NoError(t, err)

	srv.SetAPIKeyDailyLimit(0) // no limit
	for i := range 3 {
		_, err := keys.Create(ctx, apikeys.CreateRequest{Name: fmt.Sprint("unlimited", i)})
		require.NoError(t, err)
	}
}

func TestServerValidationError(t *testing.T) {
	srv, keys := setup(t)
	srv.Advance(72 * time.Hour)
	// Locally fine (no clock), but in the past for the server.
	_, err := keys.Create(context.Background(), apikeys.CreateRequest{
		Name:      "late",
		ValidFrom: srv.Now().Add(-48 * time.Hour),
		ValidTo:   srv.Now().Add(-24 * time.Hour),
	})
	ae := requireInfobipError(t, err, http.StatusBadRequest, "E400", "create API key")
	require.Equal(t, []auth.Violation{
		{Property: "validFrom", Violation: "must not be earlier than the creation time"},
		{Property: "validTo", Violation: "must not be earlier than the creation time"},
	}, ae.Violations)
	require.Contains(t, err.Error(), "auth: create API key: 400 E400")
	require.Contains(t, err.Error(), "validTo: must not be earlier than the creation time")
}

func TestNotFound(t *testing.T) {
	_, keys := setup(t)
	ctx := context.Background()
	_, err := keys.Get(ctx, "0000000000000000000000000000DEAD")
	requireInfobipError(t, err, http.StatusNotFound, "E404", "get API key")
	_, err = keys.Update(ctx, "nope", apikeys.UpdateRequest{Name: "x"})
	requireInfobipError(t, err, http.StatusNotFound, "E404", "update API key")
	err = keys.Revoke(ctx, "nope")
	requireInfobipError(t, err, http.StatusNotFound, "E404", "revoke API key")
	// An id with a slash is escaped into one path segment.
	_, err = keys.Get(ctx, "a/b?c#d")
	requireInfobipError(t, err, http.StatusNotFound, "E404", "get API key")
}

func TestIDIsPathEscaped(t *testing.T) {
	srv, keys := setup(t)
	_, err := keys.Get(context.Background(), "a/b?c")
	require.Error(t, err)
	reqs := srv.Requests(authtest.RouteGetAPIKey)
	require.Len(t, reqs, 1)
	require.Equal(t, "/settings/2/api-keys/a/b?c", reqs[0].Path) // decoded by the server
	require.Empty(t, reqs[0].Query)
}

func TestLocalValidation(t *testing.T) {
	srv, keys := setup(t)
	ctx := context.Background()
	now := srv.Now()
	create := func(r apikeys.CreateRequest) error { _, err := keys.Create(ctx, r); return err }
	update := func(id string, r apikeys.UpdateRequest) error { _, err := keys.Update(ctx, id, r); return err }
	list := func(f apikeys.Filter) error { _, err := keys.List(ctx, f); return err }

	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"empty name", create(apikeys.CreateRequest{}), "create API key: name is empty or blank"},
		{"blank name", create(apikeys.CreateRequest{Name: " \t "}), "name is empty or blank"},
		{"newline in name", create(apikeys.CreateRequest{Name: "a\nb"}), "name contains a control character"},
		{"NUL in name", create(apikeys.CreateRequest{Name: "a\x00b"}), "name contains a control character"},
		{"bad UTF-8 in name", create(apikeys.CreateRequest{Name: "a\xffb"}), "name is not valid UTF-8"},
		{"validTo before validFrom", create(apikeys.CreateRequest{Name: "n", ValidFrom: now.Add(time.Hour), ValidTo: now}),
			"validTo (2026-01-01T00:00:00Z) is before validFrom (2026-01-01T01:00:00Z)"},
		{"unknown permission", create(apikeys.CreateRequest{Name: "n", Permissions: []apikeys.Permission{"ALL"}}),
			`permissions[0] "ALL" is not a known permission (want PUBLIC_API, 2FA_CLIENT or WEB_SDK)`},
		{"repeated permission", create(apikeys.CreateRequest{Name: "n", Permissions: []apikeys.Permission{"2FA_CLIENT", "2FA_CLIENT"}}),
			"permissions[1] repeats 2FA_CLIENT"},
		{"PUBLIC_API with WEB_SDK", create(apikeys.CreateRequest{Name: "n", Permissions: []apikeys.Permission{"PUBLIC_API", "WEB_SDK"}}),
			"both PUBLIC_API and WEB_SDK"},
		{"permissions with platform", create(apikeys.CreateRequest{Name: "n", Permissions: []apikeys.Permission{"PUBLIC_API"},
			Platform: []apikeys.Platform{{ApplicationID: "default"}}}), "permissions and platform cannot be set together"},
		{"platform without application", create(apikeys.CreateRequest{Name: "n", Platform: []apikeys.Platform{{EntityID: "e"}}}),
			"platform[0].applicationId is empty"},
		{"unknown action", create(apikeys.CreateRequest{Name: "n", Platform: []apikeys.Platform{{ApplicationID: "a", Action: "KEEP"}}}),
			`platform[0].action "KEEP" is not FILL or FORCE`},
		{"bad IPv4", create(apikeys.CreateRequest{Name: "n", AllowedIPs: []string{"10.0.0.1", "10.0.0.300"}}),
			`allowedIPs[1] "10.0.0.300" is not an IP address or a CIDR range`},
		{"bad prefix", create(apikeys.CreateRequest{Name: "n", AllowedIPs: []string{"10.0.0.0/33"}}),
			`allowedIPs[0] "10.0.0.0/33" is not an IP address or a CIDR range`},
		{"dash range", create(apikeys.CreateRequest{Name: "n", AllowedIPs: []string{"10.0.0.1-10.0.0.9"}}),
			"is not an IP address or a CIDR range"},
		{"IPv6 zone", create(apikeys.CreateRequest{Name: "n", AllowedIPs: []string{"fe80::1%eth0"}}),
			"has an IPv6 zone"},
		{"IP with space", create(apikeys.CreateRequest{Name: "n", AllowedIPs: []string{" 10.0.0.1"}}),
			"allowedIPs[0] contains whitespace"},
		{"empty IP", create(apikeys.CreateRequest{Name: "n", AllowedIPs: []string{""}}),
			`allowedIPs[0] "" is not an IP address`},
		{"blank scope", create(apikeys.CreateRequest{Name: "n", ScopeGUIDs: []string{" "}}), "scopeGuids[0] is empty"},
		{"repeated scope", create(apikeys.CreateRequest{Name: "n", ScopeGUIDs: []string{"a:b", "a:b"}}), "scopeGuids[1] repeats a scope"},
		{"control in account", create(apikeys.CreateRequest{Name: "n", AccountID: "a\rb"}), "accountId contains a control character"},
		{"year out of range", create(apikeys.CreateRequest{Name: "n", ValidTo: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}),
			"validTo is out of range"},

		{"empty update", update("id", apikeys.UpdateRequest{}), "update API key: the update changes nothing"},
		{"blank name update", update("id", apikeys.UpdateRequest{Name: "  "}), "name is empty or blank"},
		{"scopes with platform", update("id", apikeys.UpdateRequest{ScopeGUIDs: []string{"a:b"},
			Platform: []apikeys.Platform{{ApplicationID: "default"}}}), "scopeGuids and platform cannot be set together"},
		{"update validTo before validFrom", update("id", apikeys.UpdateRequest{ValidFrom: now, ValidTo: now.Add(-time.Second)}),
			"is before validFrom"},
		{"empty id", update("", apikeys.UpdateRequest{Name: "x"}), "update API key: id is empty"},
		{"dot-dot id", update("..", apikeys.UpdateRequest{Name: "x"}), `id cannot be "." or ".."`},
		{"id with space", keys.Revoke(ctx, "a b"), "revoke API key: id contains whitespace"},
		{"id with newline", keys.Revoke(ctx, "a\nb"), "id contains whitespace or a control character"},
		{"blank get id", func() error { _, err := keys.Get(ctx, " "); return err }(), "get API key: id is empty"},

		{"negative page", list(apikeys.Filter{Page: -1}), "list API keys: page -1 is out of range (0 to 100)"},
		{"page too high", list(apikeys.Filter{Page: 101}), "page 101 is out of range"},
		{"size too big", list(apikeys.Filter{Size: 101}), "size 101 is out of range (1 to 100, or 0 for the default)"},
		{"negative size", list(apikeys.Filter{Size: -5}), "size -5 is out of range"},
		{"control in filter", list(apikeys.Filter{Name: "x\ty"}), "name contains a control character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Error(t, tc.err)
			require.ErrorContains(t, tc.err, tc.want)
			require.True(t, strings.HasPrefix(tc.err.Error(), "apikeys: "), tc.err.Error())
			var ae *auth.Error
			require.False(t, errors.As(tc.err, &ae), "a local error is not an Infobip answer")
			require.NotContains(t, tc.err.Error(), "\n")
		})
	}

	// All of it was refused before any request.
	for _, r := range keyRoutes {
		require.Zero(t, srv.Count(r), r)
	}
	// All yields a local error once, too.
	n := 0
	for k, err := range keys.All(ctx, apikeys.Filter{Size: 1000}) {
		require.ErrorContains(t, err, "size 1000 is out of range")
		require.Zero(t, k.ID)
		n++
	}
	require.Equal(t, 1, n)
	require.Zero(t, srv.Count(authtest.RouteListAPIKeys))
}

func TestSecretRedaction(t *testing.T) {
	_, keys := setup(t)
	k, err := keys.Create(context.Background(), apikeys.CreateRequest{Name: "redact-me"})
	require.NoError(t, err)
	secret := k.Secret.Reveal()
	require.Regexp(t, `^[0-9a-f]{32}-[0-9a-f-]{36}$`, secret)

	leaks := func(t *testing.T, out string) {
		t.Helper()
		require.NotContains(t, out, secret)
		require.NotContains(t, out, secret[:16])
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s", "%T %v"} {
		for _, v := range []any{
			k.Secret, &k.Secret, *k, k, []apikeys.Key{*k}, []*apikeys.Key{k},
			map[string]any{"k": k, "v": *k}, struct{ K *apikeys.Key }{k},
			map[string]any{"wrapped": &struct{ S apikeys.Secret }{k.Secret}},
		} {
			out := fmt.Sprintf(verb, v)
			leaks(t, out)
		}
	}
	require.Equal(t, "[redacted]", fmt.Sprint(k.Secret))
	require.Equal(t, `"[redacted]"`, fmt.Sprintf("%q", k.Secret))
	require.Equal(t, "[redacted]", fmt.Sprintf("%#v", k.Secret))
	require.Contains(t, fmt.Sprintf("%+v", *k), "Secret:[redacted]")
	require.Equal(t, "[redacted]", k.Secret.String())
	require.Equal(t, "[redacted]", k.Secret.GoString())

	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		log := slog.New(h)
		log.Info("created", "secret", k.Secret, "key", k, "value", *k, slog.Any("list", []apikeys.Key{*k}))
		log.Info("group", slog.Group("g", "s", k.Secret))
	}
	leaks(t, buf.String())
	require.Contains(t, buf.String(), "[redacted]")
	require.Contains(t, buf.String(), "redact-me")

	b, err := json.Marshal(k.Secret)
	require.NoError(t, err)
	require.Equal(t, `"[redacted]"`, string(b))
	b, err = json.Marshal(struct{ S apikeys.Secret }{k.Secret})
	require.NoError(t, err)
	require.JSONEq(t, `{"S":"[redacted]"}`, string(b))
	txt, err := k.Secret.MarshalText()
	require.NoError(t, err)
	require.Equal(t, "[redacted]", string(txt))

	// A Key marshals in Infobip's format without the secret, and reads
	// back without it.
	b, err = json.Marshal(k)
	require.NoError(t, err)
	leaks(t, string(b))
	require.NotContains(t, string(b), "apiKeySecret")
	require.Contains(t, string(b), `"name":"redact-me"`)
	require.Contains(t, string(b), `"validFrom":"2026-01-01T00:00:00"`)
	var back apikeys.Key
	require.NoError(t, json.Unmarshal(b, &back))
	require.True(t, back.Secret.IsZero())
	back.Secret = k.Secret
	require.Equal(t, *k, back)

	// A Secret cannot be read from JSON, so "[redacted]" never becomes one.
	var v struct{ S apikeys.Secret }
	require.Error(t, json.Unmarshal([]byte(`{"S":"[redacted]"}`), &v))
	require.True(t, v.S.IsZero())
}

func TestSecretZeroAndMatches(t *testing.T) {
	var zero apikeys.Secret
	_, err := zero.Authenticator()
	require.ErrorContains(t, err, "secret is empty")
	require.False(t, zero.Matches(""))
	require.Equal(t, "[redacted]", zero.String())

	var k apikeys.Key
	require.NoError(t, json.Unmarshal([]byte(`{"id":"1","apiKeySecret":"abc-def","name":"n"}`), &k))
	require.True(t, k.Secret.Matches("abc-def"))
	require.False(t, k.Secret.Matches("abc-deg"))
	require.False(t, k.Secret.Matches("abc-def0"))
	a, err := k.Secret.Authenticator()
	require.NoError(t, err)
	h, err := a.Authorization(context.Background())
	require.NoError(t, err)
	require.Equal(t, "App abc-def", h)

	// A secret that could not travel in a header gives an error without it.
	require.NoError(t, json.Unmarshal([]byte(`{"apiKeySecret":"abc def\r\nX: y"}`), &k))
	_, err = k.Secret.Authenticator()
	require.Error(t, err)
	require.NotContains(t, err.Error(), "abc def")
}

func TestReadsInfobipDateForms(t *testing.T) {
	want := time.Date(2024, 9, 1, 10, 0, 0, 0, time.UTC)
	for _, v := range []string{
		"2024-09-01T10:00:00",
		"2024-09-01T10:00:00.000",
		"2024-09-01T10:00:00Z",
		"2024-09-01T12:00:00+02:00",
		"2024-09-01T10:00:00.000+0000",
		"2024-09-01T06:00:00.000-04:00",
	} {
		var k apikeys.Key
		require.NoError(t, json.Unmarshal([]byte(`{"validFrom":"`+v+`","validTo":null}`), &k), v)
		require.True(t, k.ValidFrom.Equal(want), "%s: %v", v, k.ValidFrom)
		require.Equal(t, time.UTC, k.ValidFrom.Location())
		require.True(t, k.ValidTo.IsZero())
	}
	for _, v := range []string{`"2024-09-01"`, `"yesterday"`, `12`, `""`, `true`} {
		var k apikeys.Key
		err := json.Unmarshal([]byte(`{"validTo":`+v+`}`), &k)
		require.Error(t, err, v)
	}
}

func TestRenewsSessionOn401(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	s, err := auth.NewIBSSO(auth.IBSSOConfig{BaseURL: srv.URL, Username: authtest.Username,
		Password: authtest.Password, HTTPClient: srv.Client(), Now: srv.Now})
	require.NoError(t, err)
	defer s.Close(context.Background())
	keys, err := apikeys.New(srv.URL, s, srv.Client())
	require.NoError(t, err)
	ctx := context.Background()

	k, err := keys.Create(ctx, apikeys.CreateRequest{Name: "via IBSSO"})
	require.NoError(t, err)
	require.Equal(t, 1, srv.Count(authtest.RouteCreateSession))

	// The session dies on the server; the GET that Revoke starts with gets
	// 401, a new session is made and the GET sent again. Then the PUT gets
	// 401 too: a third session, and the PUT (body included) is sent again.
	srv.ExpireAll()
	srv.Fail(authtest.RouteUpdateAPIKey, authtest.Fault{Status: http.StatusUnauthorized,
		Body: `{"errorCode":"E401","description":"Unauthorized","action":"","violations":[],"resources":[]}`, Times: 1})
	require.NoError(t, keys.Revoke(ctx, k.ID))
	require.Equal(t, 3, srv.Count(authtest.RouteCreateSession))
	require.Equal(t, 2, srv.Count(authtest.RouteGetAPIKey))
	puts := srv.Requests(authtest.RouteUpdateAPIKey)
	require.Len(t, puts, 2)
	require.NotEmpty(t, puts[1].Body)
	require.Equal(t, string(puts[0].Body), string(puts[1].Body))
	var sent map[string]any
	require.NoError(t, json.Unmarshal(puts[1].Body, &sent))
	require.Equal(t, false, sent["enabled"])
	require.Equal(t, "via IBSSO", sent["name"])
	got, err := keys.Get(ctx, k.ID)
	require.NoError(t, err)
	require.False(t, got.Enabled)
}

// An end user's Session that Infobip rejects ends the call with
// auth.ErrSessionExpired, and the Session knows it is over: it never logs
// in again.
func TestSessionRejectedEndsTheCall(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	s, err := auth.Login(context.Background(), auth.LoginConfig{BaseURL: srv.URL, Now: srv.Now}, authtest.Username, authtest.Password)
	require.NoError(t, err)
	keys, err := apikeys.New(srv.URL, s, nil)
	require.NoError(t, err)
	_, err = keys.List(context.Background(), apikeys.Filter{})
	require.NoError(t, err)

	srv.Revoke(s.Token())
	_, err = keys.List(context.Background(), apikeys.Filter{})
	require.ErrorIs(t, err, auth.ErrSessionExpired)
	_, err = s.Authorization(context.Background())
	require.ErrorIs(t, err, auth.ErrSessionExpired)
	require.Equal(t, 1, srv.Count(authtest.RouteCreateSession))
}

func TestOAuthManages(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	b, err := auth.NewOAuth(auth.OAuthConfig{BaseURL: srv.URL, ClientID: authtest.ClientID,
		ClientSecret: authtest.ClientSecret, HTTPClient: srv.Client(), Now: srv.Now})
	require.NoError(t, err)
	keys, err := apikeys.New(srv.URL, b, srv.Client())
	require.NoError(t, err)
	p, err := keys.List(context.Background(), apikeys.Filter{})
	require.NoError(t, err)
	require.Len(t, p.Keys, 1)
	require.True(t, strings.HasPrefix(srv.Requests(authtest.RouteListAPIKeys)[0].Header.Get("Authorization"), "Bearer "))
}

func TestWrongCredentials(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	wrong, err := auth.NewBasic(authtest.Username, "wrong")
	require.NoError(t, err)
	keys, err := apikeys.New(srv.URL, wrong, srv.Client())
	require.NoError(t, err)
	_, err = keys.Create(context.Background(), apikeys.CreateRequest{Name: "n"})
	requireInfobipError(t, err, http.StatusUnauthorized, "E401", "create API key")
	require.NotContains(t, err.Error(), "wrong")
}

func TestFaults(t *testing.T) {
	srv, keys := setup(t)
	ctx := context.Background()

	srv.Fail(authtest.RouteListAPIKeys, authtest.Fault{Status: 502, Body: "<html><h1>Bad gateway</h1></html>", Times: 1})
	_, err := keys.List(ctx, apikeys.Filter{})
	ae := requireInfobipError(t, err, http.StatusBadGateway, "E502", "list API keys")
	require.Contains(t, ae.Excerpt, "Bad gateway")

	srv.Fail(authtest.RouteGetAPIKey, authtest.Fault{Status: 200, Body: `{"id":`, Times: 1})
	_, err = keys.Get(ctx, authtest.APIKeyID)
	require.ErrorContains(t, err, "apikeys: get API key: reading the response")

	srv.Fail(authtest.RouteGetAPIKey, authtest.Fault{Status: 200, Body: `{"id":"x","validTo":"soon"}`, Times: 1})
	_, err = keys.Get(ctx, authtest.APIKeyID)
	require.ErrorContains(t, err, "not in a known form")

	srv.Fail(authtest.RouteCreateAPIKey, authtest.Fault{Reset: true, Times: 1})
	_, err = keys.Create(ctx, apikeys.CreateRequest{Name: "n"})
	require.ErrorContains(t, err, "apikeys: create API key")

	// An error on a later page ends All with that error.
	for i := range 3 {
		_, err := keys.Create(ctx, apikeys.CreateRequest{Name: fmt.Sprint("p", i)})
		require.NoError(t, err)
	}
	srv.Fail(authtest.RouteListAPIKeys, authtest.Fault{Times: 1}) // page 0 as usual
	srv.Fail(authtest.RouteListAPIKeys, authtest.Fault{Status: 500,
		Body: `{"errorCode":"E500","description":"Something went wrong."}`, Times: 1})
	var got []string
	var errs []error
	for k, err := range keys.All(ctx, apikeys.Filter{Size: 2}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got = append(got, k.ID)
	}
	require.Len(t, got, 2)
	require.Len(t, errs, 1)
	requireInfobipError(t, errs[0], http.StatusInternalServerError, "E500", "list API keys")
}

func TestContextCanceled(t *testing.T) {
	srv, keys := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := keys.Create(ctx, apikeys.CreateRequest{Name: "n"})
	require.ErrorIs(t, err, context.Canceled)

	srv.Fail(authtest.RouteListAPIKeys, authtest.Fault{Hang: true, Times: 1})
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	n := 0
	for k, err := range keys.All(ctx, apikeys.Filter{}) {
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Zero(t, k.ID)
		n++
	}
	require.Equal(t, 1, n, "All yields the error once")
	require.Equal(t, 1, srv.Count(authtest.RouteListAPIKeys))
}

func TestAllStopsAfterLastServedPage(t *testing.T) {
	srv, keys := setup(t)
	srv.SetAPIKeyDailyLimit(0)
	ctx := context.Background()
	for i := range apikeys.MaxPage + 1 {
		_, err := keys.Create(ctx, apikeys.CreateRequest{Name: fmt.Sprint("k", i)})
		require.NoError(t, err)
	}
	// 102 keys with pages of 1: pages 0 to 100 serve 101 of them.
	n := 0
	var last error
	for _, err := range keys.All(ctx, apikeys.Filter{Size: 1}) {
		if err != nil {
			last = err
			continue
		}
		n++
	}
	require.Equal(t, apikeys.MaxPage+1, n)
	require.ErrorContains(t, last, "more keys than Infobip pages through (page 100 is the last); narrow the filter")
	require.Equal(t, apikeys.MaxPage+1, srv.Count(authtest.RouteListAPIKeys))
}

func TestEmptyKeyAnswerIsAnError(t *testing.T) {
	srv, keys := setup(t)
	ctx := context.Background()
	for _, tc := range []struct {
		body, want string
	}{
		{"", "the response is empty (no API key)"},
		{"null", "the response has no API key id"},
		{"{}", "the response has no API key id"},
		{`{"name":"n","enabled":true}`, "the response has no API key id"},
	} {
		srv.Fail(authtest.RouteCreateAPIKey, authtest.Fault{Status: http.StatusOK, Body: tc.body, Times: 1})
		k, err := keys.Create(ctx, apikeys.CreateRequest{Name: "n"})
		require.EqualError(t, err, "apikeys: create API key: "+tc.want, "body %q", tc.body)
		require.Nil(t, k)

		srv.Fail(authtest.RouteGetAPIKey, authtest.Fault{Status: http.StatusOK, Body: tc.body, Times: 1})
		k, err = keys.Get(ctx, authtest.APIKeyID)
		require.EqualError(t, err, "apikeys: get API key: "+tc.want, "body %q", tc.body)
		require.Nil(t, k)

		srv.Fail(authtest.RouteUpdateAPIKey, authtest.Fault{Status: http.StatusOK, Body: tc.body, Times: 1})
		k, err = keys.Update(ctx, authtest.APIKeyID, apikeys.UpdateRequest{Name: "x"})
		require.EqualError(t, err, "apikeys: update API key: "+tc.want, "body %q", tc.body)
		require.Nil(t, k)
	}

	// Update wants the key back: 204 No Content is an error for it.
	srv.Fail(authtest.RouteUpdateAPIKey, authtest.Fault{Status: http.StatusNoContent, Times: 1})
	_, err := keys.Update(ctx, authtest.APIKeyID, apikeys.UpdateRequest{Name: "x"})
	require.EqualError(t, err, "apikeys: update API key: the response is empty (no API key)")

	// A created key without its secret: nobody could use it, and the
	// error names it so that it can be revoked.
	srv.Fail(authtest.RouteCreateAPIKey, authtest.Fault{Status: http.StatusOK,
		Body: `{"id":"00000042AB","name":"n","enabled":true}`, Times: 1})
	k, err := keys.Create(ctx, apikeys.CreateRequest{Name: "n"})
	require.EqualError(t, err, "apikeys: create API key: the response has no apiKeySecret for the new key 00000042AB; nobody holds its secret, so revoke it")
	require.Nil(t, k)
}

func TestRevokeAcceptsEmptyAnswer(t *testing.T) {
	srv, keys := setup(t)
	ctx := context.Background()
	srv.Fail(authtest.RouteUpdateAPIKey, authtest.Fault{Status: http.StatusNoContent, Times: 1})
	require.NoError(t, keys.Revoke(ctx, authtest.APIKeyID))
	srv.Fail(authtest.RouteUpdateAPIKey, authtest.Fault{Status: http.StatusOK, Body: "", Times: 1})
	require.NoError(t, keys.Revoke(ctx, authtest.APIKeyID))
	srv.Fail(authtest.RouteUpdateAPIKey, authtest.Fault{Status: http.StatusOK, Body: " \n", Times: 1})
	require.NoError(t, keys.Revoke(ctx, authtest.APIKeyID))
	require.Equal(t, 3, srv.Count(authtest.RouteUpdateAPIKey))
	for _, r := range srv.Requests(authtest.RouteUpdateAPIKey) {
		var sent map[string]any
		require.NoError(t, json.Unmarshal(r.Body, &sent))
		require.Equal(t, false, sent["enabled"], string(r.Body))
	}

	// A body that is there must still be JSON.
	srv.Fail(authtest.RouteUpdateAPIKey, authtest.Fault{Status: http.StatusOK, Body: "<html>ok</html>", Times: 1})
	require.ErrorContains(t, keys.Revoke(ctx, authtest.APIKeyID), "apikeys: revoke API key: reading the response")
}

// listBody is a list answer holding keys with the given ids and the given
// paging JSON ("" for none).
func listBody(paging string, ids ...string) string {
	var ks []string
	for _, id := range ids {
		ks = append(ks, `{"id":"`+id+`","name":"`+id+`","enabled":true}`)
	}
	b := `{"apiKeys":[` + strings.Join(ks, ",") + `]`
	if paging != "" {
		b += `,"paging":` + paging
	}
	return b + "}"
}

// collect runs All and returns the ids yielded and the errors.
func collect(keys *apikeys.Client, f apikeys.Filter) (ids []string, errs []error) {
	for k, err := range keys.All(context.Background(), f) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, k.ID)
	}
	return ids, errs
}

func TestAllWithoutPaging(t *testing.T) {
	srv, keys := setup(t)
	ctx := context.Background()
	var third string
	for i := range 2 {
		k, err := keys.Create(ctx, apikeys.CreateRequest{Name: fmt.Sprint("k", i)})
		require.NoError(t, err)
		third = k.ID // ids grow: the last created comes last
	}

	// A full page without paging: the next page is fetched (it is the
	// server's own page 1, with paging).
	srv.Fail(authtest.RouteListAPIKeys, authtest.Fault{Status: http.StatusOK, Body: listBody("", "A", "B"), Times: 1})
	ids, errs := collect(keys, apikeys.Filter{Size: 2})
	require.Empty(t, errs)
	require.Equal(t, []string{"A", "B", third}, ids)
	reqs := srv.Requests(authtest.RouteListAPIKeys)
	require.Len(t, reqs, 2)
	require.Equal(t, "page=1&size=2", reqs[1].Query)

	// totalPages 0 counts as no paging; the page size Infobip reports
	// stands in for a size not asked for.
	srv.Fail(authtest.RouteListAPIKeys, authtest.Fault{Status: http.StatusOK,
		Body: listBody(`{"page":0,"pageSize":2,"totalPages":0}`, "A", "B"), Times: 1})
	srv.Fail(authtest.RouteListAPIKeys, authtest.Fault{Status: http.StatusOK,
		Body: listBody(`{"page":1,"pageSize":2,"totalPages":0}`, "C"), Times: 1})
	ids, errs = collect(keys, apikeys.Filter{})
	require.Empty(t, errs)
	require.Equal(t, []string{"A", "B", "C"}, ids, "a short page is the last")
	require.Equal(t, 4, srv.Count(authtest.RouteListAPIKeys))

	// A full page, then an empty one: the end.
	srv.Fail(authtest.RouteListAPIKeys, authtest.Fault{Status: http.StatusOK, Body: listBody("", "A", "B"), Times: 1})
	srv.Fail(authtest.RouteListAPIKeys, authtest.Fault{Status: http.StatusOK, Body: `{"apiKeys":[]}`, Times: 1})
	ids, errs = collect(keys, apikeys.Filter{Size: 2})
	require.Empty(t, errs)
	require.Equal(t, []string{"A", "B"}, ids)
	require.Equal(t, 6, srv.Count(authtest.RouteListAPIKeys))

	// A short page without paging is the last one.
	srv.Fail(authtest.RouteListAPIKeys, authtest.Fault{Status: http.StatusOK, Body: listBody("", "A"), Times: 1})
	ids, errs = collect(keys, apikeys.Filter{Size: 2})
	require.Empty(t, errs)
	require.Equal(t, []string{"A"}, ids)
	require.Equal(t, 7, srv.Count(authtest.RouteListAPIKeys))
}

func TestListRefusesNullKeys(t *testing.T) {
	srv, keys := setup(t)
	srv.Fail(authtest.RouteListAPIKeys, authtest.Fault{Status: http.StatusOK,
		Body: `{"apiKeys":[{"id":"A","name":"a"},null],"paging":{"totalPages":1}}`, Times: 1})
	ids, errs := collect(keys, apikeys.Filter{})
	require.Empty(t, ids, "a page with a null key yields nothing of it")
	require.Len(t, errs, 1)
	require.EqualError(t, errs[0], "apikeys: list API keys: the response has a null key (apiKeys[1])")

	for body, want := range map[string]string{
		"null": "the response has neither apiKeys nor paging",
		"{}":   "the response has neither apiKeys nor paging",
		"":     "the response is empty (no apiKeys, no paging)",
	} {
		srv.Fail(authtest.RouteListAPIKeys, authtest.Fault{Status: http.StatusOK, Body: body, Times: 1})
		_, err := keys.List(context.Background(), apikeys.Filter{})
		require.EqualError(t, err, "apikeys: list API keys: "+want, "body %q", body)
	}
}

// TestListWithoutAPIKeys: Infobip's GetApiKeysResponse requires only
// paging, so an absent or null apiKeys list is an empty page, for List and
// for All.
func TestListWithoutAPIKeys(t *testing.T) {
	for _, body := range []string{
		`{"paging":{"page":0,"pageSize":100,"orderDirection":"asc","totalCount":0,"totalPages":0}}`,
		`{"apiKeys":null,"paging":{"page":0,"pageSize":100,"orderDirection":"asc","totalCount":0,"totalPages":0}}`,
	} {
		srv, keys := setup(t)
		srv.Fail(authtest.RouteListAPIKeys, authtest.Fault{Status: http.StatusOK, Body: body, Times: 1})
		p, err := keys.List(context.Background(), apikeys.Filter{})
		require.NoError(t, err, body)
		require.NotNil(t, p.Keys, "an empty page, not a missing one")
		require.Empty(t, p.Keys)
		require.Equal(t, 100, p.Paging.PageSize)
		require.Equal(t, "asc", p.Paging.OrderDirection)

		// All: an empty page ends the iteration without an error, even
		// when the paging announces more pages.
		srv.Fail(authtest.RouteListAPIKeys, authtest.Fault{Status: http.StatusOK, Body: body, Times: 1})
		ids, errs := collect(keys, apikeys.Filter{})
		require.Empty(t, errs, body)
		require.Empty(t, ids)
		more := strings.Replace(body, `"totalCount":0,"totalPages":0`, `"totalCount":150,"totalPages":2`, 1)
		srv.Fail(authtest.RouteListAPIKeys, authtest.Fault{Status: http.StatusOK, Body: more, Times: 1})
		ids, errs = collect(keys, apikeys.Filter{})
		require.Empty(t, errs, more)
		require.Empty(t, ids)
		require.Equal(t, 3, srv.Count(authtest.RouteListAPIKeys))
	}
}

func TestSecretFormatKeepsWidthAndFlags(t *testing.T) {
	_, keys := setup(t)
	k, err := keys.Create(context.Background(), apikeys.CreateRequest{Name: "n"})
	require.NoError(t, err)
	require.Equal(t, "[redacted]     |", fmt.Sprintf("%-15s|", k.Secret))
	require.Equal(t, "     [redacted]|", fmt.Sprintf("%15v|", k.Secret))
	require.Equal(t, `  "[redacted]"|`, fmt.Sprintf("%14q|", k.Secret))
	require.Equal(t, "[redacted]", fmt.Sprintf("%x", k.Secret), "every verb prints the redacted text")
	require.Equal(t, "[redacted]  |", fmt.Sprintf("%-12d|", k.Secret))
}

func TestZeroClient(t *testing.T) {
	ctx := context.Background()
	const want = "the Client is not set up; make one with apikeys.New"
	for _, c := range []*apikeys.Client{new(apikeys.Client), nil} {
		_, err := c.Get(ctx, "id")
		require.EqualError(t, err, "apikeys: get API key: "+want)
		_, err = c.Create(ctx, apikeys.CreateRequest{Name: "n"})
		require.ErrorContains(t, err, want)
		_, err = c.Update(ctx, "id", apikeys.UpdateRequest{Name: "n"})
		require.ErrorContains(t, err, want)
		require.ErrorContains(t, c.Revoke(ctx, "id"), want)
		_, err = c.List(ctx, apikeys.Filter{})
		require.ErrorContains(t, err, want)
		n := 0
		for _, err := range c.All(ctx, apikeys.Filter{}) {
			require.ErrorContains(t, err, want)
			n++
		}
		require.Equal(t, 1, n)
	}
	var c apikeys.Client
	_, err := c.Get(ctx, "id")
	require.ErrorContains(t, err, want)
}

func TestValidFromRoundsUp(t *testing.T) {
	srv, keys := setup(t)
	ctx := context.Background()
	from := srv.Now().Add(time.Hour + 300*time.Millisecond)
	k, err := keys.Create(ctx, apikeys.CreateRequest{Name: "n", ValidFrom: from})
	require.NoError(t, err)
	require.JSONEq(t, `{"name":"n","validFrom":"2026-01-01T01:00:01"}`,
		string(srv.Requests(authtest.RouteCreateAPIKey)[0].Body))
	require.False(t, k.ValidFrom.Before(from), "the key starts no earlier than asked: %v", k.ValidFrom)
	require.True(t, k.ValidFrom.Equal(srv.Now().Add(time.Hour+time.Second)), k.ValidFrom)

	// A whole second is sent as it is; Update rounds like Create.
	_, err = keys.Create(ctx, apikeys.CreateRequest{Name: "n", ValidFrom: srv.Now().Add(3 * time.Hour)})
	require.NoError(t, err)
	require.JSONEq(t, `{"name":"n","validFrom":"2026-01-01T03:00:00"}`,
		string(srv.Requests(authtest.RouteCreateAPIKey)[1].Body))
	_, err = keys.Update(ctx, k.ID, apikeys.UpdateRequest{ValidFrom: srv.Now().Add(2*time.Hour + time.Nanosecond)})
	require.NoError(t, err)
	var sent struct{ ValidFrom string }
	require.NoError(t, json.Unmarshal(srv.Requests(authtest.RouteUpdateAPIKey)[0].Body, &sent))
	require.Equal(t, "2026-01-01T02:00:01", sent.ValidFrom)

	// Dates are checked as sent: within one second, validTo would fall
	// before the rounded validFrom.
	_, err = keys.Create(ctx, apikeys.CreateRequest{Name: "n", ValidFrom: from, ValidTo: from.Add(200 * time.Millisecond)})
	require.ErrorContains(t, err, "validTo (2026-01-01T01:00:00Z) is before validFrom (2026-01-01T01:00:01Z)")
	require.Equal(t, 2, srv.Count(authtest.RouteCreateAPIKey))
}

func TestSuccessorKeepsTheReach(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	old := apikeys.Key{
		ID: "old", Name: "billing", AccountID: "acc-1",
		AllowedIPs:  []string{"203.0.113.0/24"},
		Permissions: []apikeys.Permission{apikeys.PermissionPublicAPI},
		ScopeGUIDs:  []string{"sms:message:send"},
		ValidFrom:   now.Add(-30 * 24 * time.Hour),
		ValidTo:     now.Add(60 * 24 * time.Hour),
	}
	req := old.Successor("billing-2", now)
	require.Equal(t, apikeys.CreateRequest{
		AccountID: "acc-1", Name: "billing-2",
		AllowedIPs:  []string{"203.0.113.0/24"},
		Permissions: []apikeys.Permission{apikeys.PermissionPublicAPI},
		ScopeGUIDs:  []string{"sms:message:send"},
		ValidTo:     now.Add(90 * 24 * time.Hour), // the old key's length, from now
	}, req)
	req.AllowedIPs[0] = "changed"
	require.Equal(t, "203.0.113.0/24", old.AllowedIPs[0], "the request owns its slices")

	open := apikeys.Key{Name: "x", ValidTo: now.Add(time.Hour)}
	require.True(t, open.Successor("y", now).ValidTo.IsZero(), "without both bounds, Infobip's default")
}
