// Package apikeys manages Infobip API keys from Go: it creates, lists, gets,
// updates and revokes the App keys of an account.
//
// A [Client] calls Infobip's API key management endpoints (v2):
//
//	POST /settings/2/api-keys             create a key ([Client.Create])
//	GET  /settings/2/api-keys             list keys by filter, page by page ([Client.List], [Client.All])
//	GET  /settings/2/api-keys/{apiKeyId}  get one key ([Client.Get])
//	PUT  /settings/2/api-keys/{apiKeyId}  update a key ([Client.Update]); revoke it with enabled=false ([Client.Revoke])
//
// Infobip lets only Basic, IBSSO and OAuth 2.0 credentials call these
// endpoints, never an App key: [New] refuses an [auth.APIKey], and a request
// that would carry "Authorization: App …" fails with [ErrAppKey] before it
// is sent. Creating and updating keys are limited to 40 requests a day
// each; listing and getting to 10 a second.
//
// Rotating a key takes three calls: create the new key, use its [Secret],
// revoke the old key.
//
//	k, err := keys.Create(ctx, apikeys.CreateRequest{Name: "billing-2026-02"})
//	a, err := k.Secret.Authenticator() // an *auth.APIKey for auth.NewTransport
//	err = keys.Revoke(ctx, oldID)
//
// Requests are checked before they are sent: a blank name, validTo before
// validFrom, an unknown permission, a malformed IP address or range, and
// similar mistakes are refused with an error that names the field and never
// shows a secret. Errors from Infobip are [*auth.Error] values whose Op says
// what was being done, such as "create API key"; errors.As finds them.
//
// # Wire format and assumptions
//
// Field names, paging, permissions and limits follow Infobip's API
// reference for the endpoints above (Platform › Account management › API
// keys). Where the reference is silent, this package assumes:
//
//   - Dates are sent in UTC without a zone and without fractional seconds,
//     as "2026-01-02T15:04:05", the form Infobip's examples use; Infobip
//     documents the times as UTC. A validFrom with a fraction of a second is
//     rounded up to the next whole second, so that a key never starts
//     earlier than asked; a validTo is cut down to the second, so that it
//     never ends later than asked. Received dates are read in that form or in
//     RFC 3339 with a zone, with or without fractional seconds.
//   - A successful create, get or update answers the key. An answer without
//     a key id (such as an empty body, null or {}) is an error, and so is a
//     created key without its apiKeySecret. Revoke alone accepts an empty
//     answer (204, or 200 without a body), as it needs nothing back.
//   - Whether PUT replaces the key or changes only the fields present in
//     the body is undocumented. [Client.Update] and [Client.Revoke] are
//     correct under both readings: they read the key, apply the change and
//     send every field of the update schema, so that nothing the change
//     leaves alone is lost (allowedIPs, scopes, validity, account, enabled,
//     permissions, platform links). The price is a read before each write
//     and a race: a change someone else makes between the two is
//     overwritten, as Infobip offers no ETag or If-Match.
//   - A list answer needs only paging, the one field Infobip's
//     specification requires (GetApiKeysResponse): without apiKeys, or
//     with "apiKeys":null, it is an empty page.
//   - An empty scopeGuids list and an absent one differ: Infobip says a key
//     whose list is empty can no longer access any API endpoint, and does
//     not say what a key created without one reaches (it may be every
//     endpoint). [Key].ScopeGUIDs keeps the difference (nil for absent,
//     an empty slice for []), and Create, Update and JSON encoding send it
//     so: a key scoped to nothing is never sent without its [].
//   - "IP ranges" in allowedIPs are CIDR prefixes such as 203.0.113.0/24.
//   - The permissions a v2 key may have are those Infobip lists:
//     [PermissionPublicAPI], [Permission2FAClient] and [PermissionWebSDK].
//     Fine-grained access is given with API scopes ([CreateRequest].ScopeGUIDs,
//     such as "sms:message:send"), which are passed through as they are.
//   - The list endpoint's apiKeySecret filter is not offered: it would put a
//     secret in a URL, where proxies and logs keep it. To find the key you
//     hold, compare with [Secret.Matches] while iterating [Client.All].
package apikeys

import (
	"slices"
	"time"
)

// Infobip's documented bounds for listing keys.
const (
	// MaxPage is the highest page number [Client.List] accepts; pages
	// count from 0.
	MaxPage = 100
	// MaxPageSize is the largest page size, and Infobip's default.
	MaxPageSize = 100
)

const (
	pathKeys = "/settings/2/api-keys"
	// maxBody bounds how much of a successful response is read.
	maxBody = 8 << 20
	// dateLayout is how dates are sent: UTC, no zone.
	dateLayout = "2006-01-02T15:04:05"
)

// Permission is a permission of an API key.
type Permission string

// The permissions Infobip documents for v2 API keys. A key cannot have both
// PUBLIC_API and WEB_SDK, nor permissions together with [Platform] links.
// Without permissions or links, Infobip gives a key PUBLIC_API.
const (
	PermissionPublicAPI Permission = "PUBLIC_API"
	Permission2FAClient Permission = "2FA_CLIENT"
	PermissionWebSDK    Permission = "WEB_SDK"
)

// Action says what an endpoint does with the application and entity of a
// [Platform] link.
type Action string

// The actions Infobip documents. Without one, endpoints only check that a
// request's application and entity are linked to the key.
const (
	// ActionFill inserts the linked application and entity into a request
	// that lacks them.
	ActionFill Action = "FILL"
	// ActionForce overrides a request's application and entity with the
	// linked ones.
	ActionForce Action = "FORCE"
)

// Platform links a key to a CPaaS X application and, optionally, an entity;
// a linked key can send only through its links.
type Platform struct {
	// Key identifies the link. Infobip sets it; it is not sent.
	Key string `json:"key,omitempty"`
	// ApplicationID is required; "default" is the default application.
	ApplicationID string `json:"applicationId"`
	EntityID      string `json:"entityId,omitempty"`
	Action        Action `json:"action,omitempty"`
}

// Key is an Infobip API key as the management endpoints describe it.
//
// Its JSON encoding is Infobip's, without the secret: apiKeySecret is left
// out when a Key is marshalled, and read when it is unmarshalled.
type Key struct {
	// ID identifies the key on the management endpoints.
	ID string
	// Secret is the key itself (apiKeySecret), redacted when printed.
	Secret Secret
	// AccountID is the account the key belongs to.
	AccountID string
	Name      string
	// AllowedIPs are the addresses and CIDR ranges the key may be used
	// from; empty means any.
	AllowedIPs []string
	// ValidFrom and ValidTo bound when the key works, in UTC.
	ValidFrom time.Time
	ValidTo   time.Time
	// Enabled is false for a revoked key.
	Enabled     bool
	Permissions []Permission
	Platform    []Platform
	// ScopeGUIDs are the API scopes of the key, such as "sms:message:send".
	// An empty, non-nil list means the key reaches no endpoint; nil means
	// Infobip answered no list.
	ScopeGUIDs []string
}

// Successor returns a request for a key named name with the reach of k:
// the same account, allowed IPs, permissions or platform links, and API
// scopes, so that rotating a key never widens (or narrows) what it can do.
//
// Its validity bounds are not copied. k.ValidFrom is in the past, which
// Infobip refuses for a new key, and k.ValidTo is when k stops working: a
// key rotated because it is about to expire would expire with it. What is
// kept is the length of k's validity, from now: when k had both bounds, the
// new key's ValidTo is now plus that length, and its ValidFrom is left to
// Infobip (the creation time), so that it works at once. Without both
// bounds Infobip's default applies.
func (k Key) Successor(name string, now time.Time) CreateRequest {
	req := CreateRequest{
		AccountID:   k.AccountID,
		Name:        name,
		AllowedIPs:  slices.Clone(k.AllowedIPs),
		Permissions: slices.Clone(k.Permissions),
		Platform:    slices.Clone(k.Platform),
		ScopeGUIDs:  slices.Clone(k.ScopeGUIDs),
	}
	if !k.ValidFrom.IsZero() && !k.ValidTo.IsZero() {
		if life := k.ValidTo.Sub(k.ValidFrom); life > 0 {
			req.ValidTo = now.Add(life)
		}
	}
	return req
}

// CreateRequest describes a key to create. Only Name is required. Zero
// values leave the choice to Infobip: ValidFrom defaults to the creation
// time and ValidTo to a year after it.
type CreateRequest struct {
	// AccountID is the account the key will belong to; empty means the
	// caller's account.
	AccountID string
	// Name tells the key from others; it must not be blank or contain
	// control characters.
	Name string
	// AllowedIPs are IP addresses or CIDR ranges; empty allows any.
	AllowedIPs []string
	// ValidFrom must not be earlier than the creation time: leave it zero
	// for a key valid at once. It is sent in whole seconds, rounded up: a
	// ValidFrom of 12:00:00.5 is sent as 12:00:01, never earlier than asked.
	// ValidTo is sent cut down to the second.
	ValidFrom time.Time
	ValidTo   time.Time
	// Permissions must be known ones, without both PUBLIC_API and WEB_SDK,
	// and not together with Platform.
	Permissions []Permission
	Platform    []Platform
	// ScopeGUIDs are API scopes, each at most once. Nil leaves the scopes
	// to Infobip; an empty, non-nil list makes a key that reaches no
	// endpoint.
	ScopeGUIDs []string
}

// UpdateRequest lists the changes to make to a key. A zero field is left
// unchanged: "" strings, nil slices, zero times and a nil Enabled keep the
// key's current value, which [Client.Update] sends along. Times are sent in
// whole seconds, ValidFrom rounded up and ValidTo cut down, as for
// [CreateRequest]. A non-nil empty slice clears the field, with the meaning
// Infobip gives it: no AllowedIPs allows any address, no Permissions or
// Platform falls back to PUBLIC_API, and no ScopeGUIDs removes every scope
// (the key then reaches no endpoint).
//
// Infobip refuses platform links together with permissions or scopes:
// setting Platform drops the key's permissions and scopes (an empty scope
// list stays, so that the key still reaches nothing), and setting
// Permissions or ScopeGUIDs on a linked key removes its links.
type UpdateRequest struct {
	AccountID   string
	Name        string
	AllowedIPs  []string
	ValidFrom   time.Time
	ValidTo     time.Time
	Enabled     *bool
	Permissions []Permission
	Platform    []Platform
	ScopeGUIDs  []string
}

// Filter selects and pages the keys [Client.List] and [Client.All] return.
// The zero Filter asks for the first page of all keys of the caller's
// account, ordered by id.
type Filter struct {
	// AccountID selects the keys of an account; empty means the caller's.
	AccountID string
	// Name selects keys by name.
	Name string
	// Enabled, if set, selects enabled or revoked keys.
	Enabled *bool
	// OrderBy names the field to order by; empty means the key id.
	OrderBy string
	// Descending orders from the last key to the first.
	Descending bool
	// Page is the page to fetch, from 0 to [MaxPage]. [Client.All] starts
	// there.
	Page int
	// Size is the page size, up to [MaxPageSize]; 0 means Infobip's
	// default, which is the largest.
	Size int
}

// Page is one page of keys.
type Page struct {
	Keys   []Key  `json:"apiKeys"`
	Paging Paging `json:"paging"`
}

// Paging describes a [Page] as Infobip answered it.
type Paging struct {
	// Page is the page number, from 0.
	Page           int    `json:"page"`
	PageSize       int    `json:"pageSize"`
	OrderBy        string `json:"orderBy,omitempty"`
	OrderDirection string `json:"orderDirection,omitempty"`
	// TotalCount counts the keys the filter selects, on all pages.
	TotalCount int64 `json:"totalCount"`
	TotalPages int   `json:"totalPages"`
}
