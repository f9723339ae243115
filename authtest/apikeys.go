package authtest

import (
	"cmp"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Routes of Infobip's API key management (v2), usable with [Server.Count],
// [Server.Requests] and [Server.Fail] like the other Route constants.
//
// They accept Basic, IBSSO and OAuth credentials. An App key, even a valid
// one, is refused with 403 and Infobip's new error body (E403), as Infobip
// refuses to let API keys manage API keys; wrong credentials get 401 (E401).
// Errors use the new body, as Infobip's OpenAPI specification documents for
// these routes: bad input is 400 E400 with violations, an unknown id is 404
// E404, and going over the daily limit is 429 E429 (see
// [Server.SetAPIKeyDailyLimit]), without a Retry-After header, which Infobip
// does not document.
//
// Dates travel as Infobip's examples show them, in UTC without a zone, such
// as "2026-01-01T00:00:00"; RFC 3339 dates with a zone are accepted too.
const (
	// RouteCreateAPIKey creates an App key from a JSON body {"name",
	// "accountId","allowedIPs","validFrom","validTo","permissions",
	// "platform","scopeGuids"} and answers the new key, its apiKeySecret
	// included. Only name is required; validFrom defaults to now and
	// validTo to a year later, on the server's clock. The new key works at
	// once as "Authorization: App <apiKeySecret>" on the protected routes
	// its scopeGuids reach: all of them without scopeGuids, none with an
	// empty list.
	RouteCreateAPIKey = "POST /settings/2/api-keys"
	// RouteListAPIKeys answers {"apiKeys":[…],"paging":{…}} for the query
	// parameters accountId, name, enabled and apiKeySecret (exact matches),
	// page (from 0, at most 100), size (1 to 100, default 100), orderBy
	// (id, name, validFrom or validTo; default id) and orderDirection (asc
	// or desc; default asc).
	RouteListAPIKeys = "GET /settings/2/api-keys"
	// RouteGetAPIKey answers one key by its id.
	RouteGetAPIKey = "GET /settings/2/api-keys/{id}"
	// RouteUpdateAPIKey updates a key from a JSON body like that of
	// [RouteCreateAPIKey], plus "enabled"; "enabled":false revokes the key.
	// Whether absent fields keep their value or are reset is undocumented:
	// [Server.SetAPIKeyUpdateMode] picks one reading, by default
	// [UpdateMerge].
	RouteUpdateAPIKey = "PUT /settings/2/api-keys/{id}"
)

// UpdateMode is how [RouteUpdateAPIKey] reads a body that leaves fields
// out. Infobip's specification does not say whether its PUT replaces the
// key or changes only the fields sent; a client correct under both
// readings passes its tests in both modes.
type UpdateMode int

const (
	// UpdateMerge changes only the fields present in the body; absent
	// fields keep their value. It is the default, as the specification's
	// update schema requires no field and gives an empty list a meaning of
	// its own ("remove all"), which suggests that absent means unchanged.
	UpdateMerge UpdateMode = iota
	// UpdateReplace makes the key what the body says, as if it were
	// created from it (without the creation-time checks on its dates): an
	// absent field takes its creation default. Name is required; accountId
	// defaults to the caller's account, as the schema documents; no
	// allowedIPs allows any address; validFrom defaults to now and validTo
	// to a year after validFrom; enabled defaults to true; no permissions
	// or platform gives PUBLIC_API; no scopeGuids leaves the key unscoped,
	// reaching every route, as a key created without them. Only the id
	// and the secret always stay.
	UpdateReplace
)

// APIKeyID is the id under which [APIKey] appears on the API key
// management routes, so that a test can revoke or update it.
const APIKeyID = "000000005EED5EED5EED5EED5EED5EED"

const (
	// accountID is the account every key of the fake server belongs to.
	accountID = "1B5C0DE0A11CE0000000000000000001"
	// defaultAPIKeyDailyLimit is Infobip's documented limit on creating,
	// and on updating, API keys: 40 requests a day for each.
	defaultAPIKeyDailyLimit = 40
	// maxKeyPage and maxKeyPageSize are Infobip's documented paging bounds.
	maxKeyPage     = 100
	maxKeyPageSize = 100
	// keyDateLayout is how dates are written: UTC, without a zone.
	keyDateLayout = "2006-01-02T15:04:05"
)

// keyPermissions are the permissions Infobip documents for v2 keys.
var keyPermissions = []string{"PUBLIC_API", "2FA_CLIENT", "WEB_SDK"}

// apiKey is one App key the server knows, however it got there.
type apiKey struct {
	seq         int
	id          string
	secret      string
	accountID   string
	name        string
	allowedIPs  []string
	validFrom   time.Time // zero: no lower bound
	validTo     time.Time // zero: no upper bound
	enabled     bool
	permissions []string
	platform    []keyPlatform
	// scopes are the key's scopeGuids once scoped is set; an unscoped key
	// reaches every route (see [apiKey.reaches]).
	scopes []string
	scoped bool
}

// keyPlatform is a CPaaS X application and entity linked to a key.
type keyPlatform struct {
	Key           string `json:"key,omitempty"`
	ApplicationID string `json:"applicationId"`
	EntityID      string `json:"entityId,omitempty"`
	Action        string `json:"action,omitempty"`
}

// keyStore holds the App keys of a [Server]. Its methods need s.mu held.
type keyStore struct {
	byID       map[string]*apiKey
	bySecret   map[string]*apiKey
	seq        int
	limit      int       // daily limit per route; 0: none
	day        time.Time // the UTC day the counts below are for
	used       map[string]int
	updateMode UpdateMode // how updates read absent fields
}

func newKeyStore() keyStore {
	ks := keyStore{
		byID:     make(map[string]*apiKey),
		bySecret: make(map[string]*apiKey),
		limit:    defaultAPIKeyDailyLimit,
		used:     make(map[string]int),
	}
	ks.add(&apiKey{id: APIKeyID, secret: APIKey, name: "default", accountID: accountID,
		enabled: true, permissions: []string{"PUBLIC_API"}})
	return ks
}

func (ks *keyStore) add(k *apiKey) {
	ks.seq++
	k.seq = ks.seq
	ks.byID[k.id] = k
	ks.bySecret[k.secret] = k
}

// accepts returns the App key whose secret is given if it may be used at
// now from the address from, else nil.
func (ks *keyStore) accepts(secret string, now time.Time, from netip.Addr) *apiKey {
	k, ok := ks.bySecret[secret]
	if !ok || !k.enabled {
		return nil
	}
	if !k.validFrom.IsZero() && now.Before(k.validFrom) {
		return nil
	}
	if !k.validTo.IsZero() && !now.Before(k.validTo) {
		return nil
	}
	if len(k.allowedIPs) == 0 {
		return k
	}
	for _, a := range k.allowedIPs {
		if p, err := parseIPOrPrefix(a); err == nil && p.Contains(from) {
			return k
		}
	}
	return nil
}

// reaches reports whether k may call a route that needs one of scopes, as
// Infobip's "API authorization" page says: "at least one of the required
// API scopes". A route that names none needs any scope. A key whose
// scopes were never set reaches every route (assumption: the reference
// does not say what a key created without scopeGuids may reach); one
// whose list is empty reaches none (UpdateApiKeyRequest: "it will no
// longer be able to access any API endpoint").
func (k *apiKey) reaches(scopes []string) bool {
	if !k.scoped {
		return true
	}
	if len(scopes) == 0 {
		return len(k.scopes) > 0
	}
	for _, sc := range scopes {
		if slices.Contains(k.scopes, sc) {
			return true
		}
	}
	return false
}

// spend counts one request on route against the daily limit. It returns
// false when the limit is used up.
func (ks *keyStore) spend(route string, now time.Time) bool {
	day := now.UTC().Truncate(24 * time.Hour)
	if !day.Equal(ks.day) {
		ks.day = day
		clear(ks.used)
	}
	if ks.limit > 0 && ks.used[route] >= ks.limit {
		return false
	}
	ks.used[route]++
	return true
}

// SetAPIKeyDailyLimit sets how many requests a day, by the server's clock
// (UTC days), [RouteCreateAPIKey] and [RouteUpdateAPIKey] each accept before
// answering 429. The default is Infobip's documented 40. A limit of 0 or
// less removes it. Requests already counted today still count.
func (s *Server) SetAPIKeyDailyLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys.limit = max(n, 0)
}

// SetAPIKeyUpdateMode sets how [RouteUpdateAPIKey] reads the fields a body
// leaves out, from the next request on; see [UpdateMode]. The default is
// [UpdateMerge]. An unknown mode panics.
func (s *Server) SetAPIKeyUpdateMode(m UpdateMode) {
	if m != UpdateMerge && m != UpdateReplace {
		panic(fmt.Sprintf("authtest: SetAPIKeyUpdateMode: unknown mode %d", m))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys.updateMode = m
}

// registerAPIKeyRoutes adds the API key management routes.
func (s *Server) registerAPIKeyRoutes() {
	s.HandleFunc(RouteCreateAPIKey, s.keyManager(s.createAPIKey))
	s.HandleFunc(RouteListAPIKeys, s.keyManager(s.listAPIKeys))
	s.HandleFunc(RouteGetAPIKey, s.keyManager(s.getAPIKey))
	s.HandleFunc(RouteUpdateAPIKey, s.keyManager(s.updateAPIKey))
}

// keyManager wraps a handler of the key management routes: it runs only
// for valid Basic, IBSSO or OAuth credentials.
func (s *Server) keyManager(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		authz := r.Header.Get("Authorization")
		if _, status := s.authorized(authz, remoteAddr(r), nil); status == http.StatusUnauthorized {
			newer.unauthorized(w)
			return
		}
		if scheme, _ := cutScheme(authz); scheme == "app" {
			writeNewError(w, http.StatusForbidden, "E403",
				"Insufficient permissions to access the requested resource: API keys cannot manage API keys.",
				"Use Basic, IBSSO or OAuth 2.0 authentication for API key management.")
			return
		}
		h(w, r)
	}
}

// remoteAddr is the client's IP address, or the zero Addr.
func remoteAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// keyIn is the body of create and update requests. Pointers tell absent
// fields from empty ones.
type keyIn struct {
	AccountID   *string        `json:"accountId"`
	Name        *string        `json:"name"`
	AllowedIPs  *[]string      `json:"allowedIPs"`
	ValidFrom   *string        `json:"validFrom"`
	ValidTo     *string        `json:"validTo"`
	Enabled     *bool          `json:"enabled"`
	Permissions *[]string      `json:"permissions"`
	Platform    *[]keyPlatform `json:"platform"`
	ScopeGUIDs  *[]string      `json:"scopeGuids"`
}

// keyOut is a key as the routes answer it.
type keyOut struct {
	ID           string        `json:"id"`
	APIKeySecret string        `json:"apiKeySecret"`
	AccountID    string        `json:"accountId"`
	Name         string        `json:"name"`
	AllowedIPs   []string      `json:"allowedIPs,omitempty"`
	ValidFrom    string        `json:"validFrom,omitempty"`
	ValidTo      string        `json:"validTo,omitempty"`
	Enabled      bool          `json:"enabled"`
	Permissions  []string      `json:"permissions,omitempty"`
	Platform     []keyPlatform `json:"platform,omitempty"`
	ScopeGUIDs   []string      `json:"scopeGuids,omitzero"` // [] for a key scoped to none
}

func (k *apiKey) out() keyOut {
	return keyOut{
		ID:           k.id,
		APIKeySecret: k.secret,
		AccountID:    k.accountID,
		Name:         k.name,
		AllowedIPs:   slices.Clone(k.allowedIPs),
		ValidFrom:    formatKeyDate(k.validFrom),
		ValidTo:      formatKeyDate(k.validTo),
		Enabled:      k.enabled,
		Permissions:  slices.Clone(k.permissions),
		Platform:     slices.Clone(k.platform),
		ScopeGUIDs:   k.scopeGUIDs(),
	}
}

// scopeGUIDs is the key's scopeGuids as answered: nil (left out) for an
// unscoped key, else a list, empty or not.
func (k *apiKey) scopeGUIDs() []string {
	if !k.scoped {
		return nil
	}
	return append([]string{}, k.scopes...)
}

func formatKeyDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(keyDateLayout)
}

// parseKeyDate reads a date as Infobip writes it (UTC, no zone) or in RFC
// 3339 with a zone, with or without fractional seconds.
func parseKeyDate(v string) (time.Time, bool) {
	for _, layout := range []string{
		"2006-01-02T15:04:05.999999999",
		"2006-01-02T15:04:05.999999999Z07:00",
		"2006-01-02T15:04:05.999999999Z0700",
	} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// parseIPOrPrefix reads an allowed IP: an address or a CIDR range.
func parseIPOrPrefix(v string) (netip.Prefix, error) {
	if a, err := netip.ParseAddr(v); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(v)
	if err != nil {
		return netip.Prefix{}, err
	}
	if p.Addr().Is4In6() {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

func keyNotFound(w http.ResponseWriter) {
	writeNewError(w, http.StatusNotFound, "E404",
		"Not found - request URL doesn't exist on the API server or resource is not found.",
		"Check the resources and adjust your request.")
}

// overLimit answers 429 E429 as Infobip documents it (ApiError429 in its
// OpenAPI specification): with no Retry-After header, which Infobip
// documents nowhere. A test that wants one injects it with [Fault].Header.
func overLimit(w http.ResponseWriter) {
	writeNewError(w, http.StatusTooManyRequests, "E429", "Too many requests sent.",
		"Check request rate limit specified in the API endpoint documentation resource.")
}

// readKeyIn decodes a create or update body, answering the error itself.
func readKeyIn(w http.ResponseWriter, r *http.Request) (keyIn, bool) {
	var in keyIn
	if !hasMediaType(r, "application/json") {
		writeNewError(w, http.StatusUnsupportedMediaType, "E415",
			"Unsupported media type", "Send the body as application/json")
		return in, false
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		newer.badRequest(w, []violation{{Property: "body", Violation: "must be a JSON object"}})
		return in, false
	}
	return in, true
}

// createAPIKey serves [RouteCreateAPIKey].
func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) {
	now := s.Now()
	s.mu.Lock()
	ok := s.keys.spend(RouteCreateAPIKey, now)
	s.mu.Unlock()
	if !ok {
		overLimit(w)
		return
	}
	in, ok := readKeyIn(w, r)
	if !ok {
		return
	}
	k := new(apiKey)
	setKeyDefaults(k, now)
	if in.Name == nil {
		in.Name = new("")
	}
	vs := applyKeyIn(k, in, now, onCreate)
	if len(vs) > 0 {
		newer.badRequest(w, vs)
		return
	}
	if len(k.permissions) == 0 && len(k.platform) == 0 {
		k.permissions = []string{"PUBLIC_API"}
	}
	s.mu.Lock()
	k.id = fmt.Sprintf("%08X%s", s.keys.seq+1, strings.ToUpper(randomHex(12)))
	k.secret = randomHex(16) + "-" + newUUID()
	for i := range k.platform {
		k.platform[i].Key = strings.ToUpper(randomHex(16))
	}
	s.keys.add(k)
	out := k.out()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// updateAPIKey serves [RouteUpdateAPIKey], reading absent fields as the
// server's [UpdateMode] says.
func (s *Server) updateAPIKey(w http.ResponseWriter, r *http.Request) {
	now := s.Now()
	s.mu.Lock()
	ok := s.keys.spend(RouteUpdateAPIKey, now)
	_, known := s.keys.byID[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		overLimit(w)
		return
	}
	if !known {
		keyNotFound(w)
		return
	}
	in, ok := readKeyIn(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, known := s.keys.byID[r.PathValue("id")]
	if !known {
		keyNotFound(w)
		return
	}
	var next apiKey
	mode := onMerge
	if s.keys.updateMode == UpdateReplace {
		mode = onReplace
		next = apiKey{seq: k.seq, id: k.id, secret: k.secret}
		setKeyDefaults(&next, now)
		if in.Name == nil {
			in.Name = new("") // required, as on create
		}
	} else {
		next = *k
	}
	vs := applyKeyIn(&next, in, now, mode)
	if len(vs) > 0 {
		newer.badRequest(w, vs)
		return
	}
	switch {
	case mode == onReplace && len(next.permissions) == 0 && len(next.platform) == 0,
		in.Permissions != nil && len(next.permissions) == 0 && len(next.platform) == 0,
		in.Platform != nil && len(next.platform) == 0 && len(next.permissions) == 0:
		next.permissions = []string{"PUBLIC_API"} // documented default
	}
	if in.Platform != nil {
		// The link key is read-only: a link sent again keeps its key.
		for i := range next.platform {
			next.platform[i].Key = linkKey(k.platform, next.platform[i])
		}
	}
	*k = next
	writeJSON(w, http.StatusOK, k.out())
}

// setKeyDefaults gives a new key the values Infobip documents for fields a
// create request leaves out: the caller's account, enabled, valid from now
// for a year.
func setKeyDefaults(k *apiKey, now time.Time) {
	k.accountID = accountID
	k.enabled = true
	k.validFrom = now.UTC().Truncate(time.Second)
	k.validTo = k.validFrom.AddDate(1, 0, 0)
}

// linkKey returns the key of the link in links to the same application and
// entity as p, or a new key.
func linkKey(links []keyPlatform, p keyPlatform) string {
	for _, l := range links {
		if l.ApplicationID == p.ApplicationID && l.EntityID == p.EntityID && l.Key != "" {
			return l.Key
		}
	}
	return strings.ToUpper(randomHex(16))
}

// applyMode says which request applyKeyIn reads.
type applyMode int

const (
	onCreate  applyMode = iota // a create: creation-time checks, enabled ignored
	onMerge                    // an update in UpdateMerge mode
	onReplace                  // an update in UpdateReplace mode: validTo follows validFrom
)

// applyKeyIn copies the fields present in in onto k and reports what is
// wrong with the result. It never keeps a reference into in.
func applyKeyIn(k *apiKey, in keyIn, now time.Time, mode applyMode) []violation {
	create := mode == onCreate
	var vs []violation
	bad := func(prop, msg string) { vs = append(vs, violation{Property: prop, Violation: msg}) }

	if in.AccountID != nil && *in.AccountID != "" {
		k.accountID = *in.AccountID
	}
	if in.Name != nil {
		k.name = *in.Name
		switch {
		case strings.TrimSpace(k.name) == "":
			bad("name", "must not be blank")
		case !utf8.ValidString(k.name) || strings.ContainsFunc(k.name, unicode.IsControl):
			bad("name", "must not contain control characters")
		}
	}
	if in.AllowedIPs != nil {
		k.allowedIPs = slices.Clone(*in.AllowedIPs)
		for i, a := range k.allowedIPs {
			if _, err := parseIPOrPrefix(a); err != nil {
				bad(fmt.Sprintf("allowedIPs[%d]", i), "must be an IP address or a CIDR range")
			}
		}
	}
	dates := true
	if in.ValidFrom != nil {
		t, ok := parseKeyDate(*in.ValidFrom)
		if !ok {
			bad("validFrom", "must be a date-time such as 2026-01-01T00:00:00")
			dates = false
		} else if create && t.Before(now.Truncate(time.Second)) {
			bad("validFrom", "must not be earlier than the creation time")
		}
		k.validFrom = t
		if mode != onMerge && in.ValidTo == nil {
			k.validTo = t.AddDate(1, 0, 0)
		}
	}
	if in.ValidTo != nil {
		t, ok := parseKeyDate(*in.ValidTo)
		if !ok {
			bad("validTo", "must be a date-time such as 2026-01-01T00:00:00")
			dates = false
		} else if create && t.Before(now) {
			bad("validTo", "must not be earlier than the creation time")
			dates = false // one violation for validTo is enough
		}
		k.validTo = t
	}
	if dates && !k.validFrom.IsZero() && !k.validTo.IsZero() && k.validTo.Before(k.validFrom) {
		bad("validTo", "must not be earlier than validFrom")
	}
	if in.Enabled != nil && !create {
		k.enabled = *in.Enabled
	}
	if in.Permissions != nil {
		k.permissions = slices.Clone(*in.Permissions)
		for i, p := range k.permissions {
			if !slices.Contains(keyPermissions, p) {
				bad(fmt.Sprintf("permissions[%d]", i), "must be one of "+strings.Join(keyPermissions, ", "))
			}
		}
		if slices.Contains(k.permissions, "PUBLIC_API") && slices.Contains(k.permissions, "WEB_SDK") {
			bad("permissions", "must not hold both PUBLIC_API and WEB_SDK")
		}
	}
	if in.Platform != nil {
		k.platform = slices.Clone(*in.Platform)
		if len(k.platform) > 0 && in.Permissions == nil {
			k.permissions = nil // a key is linked to a platform or has permissions
		}
		for i, p := range k.platform {
			if strings.TrimSpace(p.ApplicationID) == "" {
				bad(fmt.Sprintf("platform[%d].applicationId", i), "must not be blank")
			}
			if p.Action != "" && p.Action != "FILL" && p.Action != "FORCE" {
				bad(fmt.Sprintf("platform[%d].action", i), "must be FILL or FORCE")
			}
		}
	}
	if in.Permissions != nil && len(*in.Permissions) > 0 && in.Platform != nil && len(*in.Platform) > 0 {
		bad("platform", "must not be set together with permissions")
	}
	if in.ScopeGUIDs != nil {
		k.scopes, k.scoped = slices.Clone(*in.ScopeGUIDs), true
		seen := make(map[string]bool, len(k.scopes))
		for i, sc := range k.scopes {
			switch {
			case strings.TrimSpace(sc) == "":
				bad(fmt.Sprintf("scopeGuids[%d]", i), "must not be blank")
			case seen[sc]:
				bad(fmt.Sprintf("scopeGuids[%d]", i), "must not repeat a scope")
			}
			seen[sc] = true
		}
		if !create && len(k.scopes) > 0 && in.Platform != nil && len(*in.Platform) > 0 {
			bad("scopeGuids", "must not be set together with platform")
		}
	}
	return vs
}

// getAPIKey serves [RouteGetAPIKey].
func (s *Server) getAPIKey(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	k, ok := s.keys.byID[r.PathValue("id")]
	var out keyOut
	if ok {
		out = k.out()
	}
	s.mu.Unlock()
	if !ok {
		keyNotFound(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// listAPIKeys serves [RouteListAPIKeys].
func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var vs []violation
	bad := func(prop, msg string) { vs = append(vs, violation{Property: prop, Violation: msg}) }
	intParam := func(name string, def, lo, hi int) int {
		v := q.Get(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			bad(name, fmt.Sprintf("must be a whole number from %d to %d", lo, hi))
			return def
		}
		return n
	}
	page := intParam("page", 0, 0, maxKeyPage)
	size := intParam("size", maxKeyPageSize, 1, maxKeyPageSize)
	orderBy := q.Get("orderBy")
	switch orderBy {
	case "", "id", "name", "validFrom", "validTo":
	default:
		bad("orderBy", "must be id, name, validFrom or validTo")
	}
	dir := strings.ToLower(q.Get("orderDirection"))
	switch dir {
	case "":
		dir = "asc"
	case "asc", "desc":
	default:
		bad("orderDirection", "must be asc or desc")
	}
	var enabled *bool
	if v := q.Get("enabled"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad("enabled", "must be true or false")
		}
		enabled = &b
	}
	if len(vs) > 0 {
		newer.badRequest(w, vs)
		return
	}

	s.mu.Lock()
	var keys []keyOut
	var order []*apiKey
	for _, k := range s.keys.byID {
		if (q.Has("accountId") && k.accountID != q.Get("accountId")) ||
			(q.Has("name") && k.name != q.Get("name")) ||
			(q.Has("apiKeySecret") && k.secret != q.Get("apiKeySecret")) ||
			(enabled != nil && k.enabled != *enabled) {
			continue
		}
		order = append(order, k)
	}
	slices.SortFunc(order, func(a, b *apiKey) int {
		c := 0
		switch orderBy {
		case "name":
			c = strings.Compare(a.name, b.name)
		case "validFrom":
			c = a.validFrom.Compare(b.validFrom)
		case "validTo":
			c = a.validTo.Compare(b.validTo)
		}
		c = cmp.Or(c, strings.Compare(a.id, b.id))
		if dir == "desc" {
			c = -c
		}
		return c
	})
	total := len(order)
	if lo := page * size; lo < total {
		for _, k := range order[lo:min(lo+size, total)] {
			keys = append(keys, k.out())
		}
	}
	s.mu.Unlock()

	if keys == nil {
		keys = []keyOut{}
	}
	type paging struct {
		Page           int    `json:"page"`
		PageSize       int    `json:"pageSize"`
		OrderDirection string `json:"orderDirection"`
		OrderBy        string `json:"orderBy,omitempty"`
		TotalCount     int    `json:"totalCount"`
		TotalPages     int    `json:"totalPages"`
	}
	writeJSON(w, http.StatusOK, struct {
		APIKeys []keyOut `json:"apiKeys"`
		Paging  paging   `json:"paging"`
	}{keys, paging{page, size, dir, orderBy, total, (total + size - 1) / size}})
}

// randomHex returns n random bytes in lower-case hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

// addAPIKey makes secret a valid App key: a known key is enabled again, an
// unknown one is added without validity window. s.mu must be held.
func (ks *keyStore) addAPIKey(secret string) {
	if k, ok := ks.bySecret[secret]; ok {
		k.enabled = true
		return
	}
	ks.add(&apiKey{
		id:          fmt.Sprintf("%08X%s", ks.seq+1, strings.ToUpper(randomHex(12))),
		secret:      secret,
		name:        "added key",
		accountID:   accountID,
		enabled:     true,
		permissions: []string{"PUBLIC_API"},
	})
}
