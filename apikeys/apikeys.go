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
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ibkit/auth"
)

// ErrAppKey is returned when an App key would authenticate a call to the
// API key management endpoints, which Infobip refuses: by [New] for an
// [auth.APIKey], and by any request whose authenticator yields an App
// header.
var ErrAppKey = errors.New("apikeys: an App API key cannot manage API keys (Infobip refuses it there); use Basic, IBSSO or OAuth 2.0 credentials")

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

// APIKey is an Infobip API key as the management endpoints describe it.
//
// Its JSON encoding is Infobip's, without the secret: apiKeySecret is left
// out when an APIKey is marshalled, and read when it is unmarshalled.
type APIKey struct {
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
	ScopeGUIDs []string
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
	// ScopeGUIDs are API scopes, each at most once.
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
// setting Platform drops the key's permissions and scopes, and setting
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
	APIKeys []APIKey `json:"apiKeys"`
	Paging  Paging   `json:"paging"`
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

// Client calls Infobip's API key management endpoints. It is safe for
// concurrent use. Make one with [New]: the zero Client returns an error
// from every call.
type Client struct {
	origin string // scheme://host[:port], as requests are built on it
	hc     *http.Client
}

// New returns a [Client] for the account at baseURL, such as
// "https://xxxxx.api.infobip.com", that authenticates with a.
//
// Requests go through an [auth.Transport] wrapped around httpClient's
// transport, so credentials reach only baseURL's host, and an IBSSO session
// or OAuth token rejected with 401 is renewed and the request sent again.
// httpClient is not modified; its Timeout, Jar and CheckRedirect are kept.
// A nil httpClient means a client around http.DefaultTransport.
//
// New refuses an [auth.APIKey] with [ErrAppKey]: Infobip does not let App
// keys manage keys. Use [auth.NewBasic], [auth.NewIBSSO] or [auth.NewOAuth].
func New(baseURL string, a auth.Authenticator, httpClient *http.Client) (*Client, error) {
	if a == nil {
		return nil, errors.New("apikeys: New: authenticator is nil")
	}
	if _, ok := a.(*auth.APIKey); ok {
		return nil, ErrAppKey
	}
	hc := new(http.Client)
	if httpClient != nil {
		*hc = *httpClient
	}
	if _, ok := hc.Transport.(*auth.Transport); ok {
		return nil, errors.New("apikeys: New: httpClient already authenticates (its Transport is an *auth.Transport); pass a client without it, and the authenticator as a")
	}
	t, err := auth.NewTransport(baseURL, guard(a), hc.Transport)
	if err != nil {
		return nil, err
	}
	hc.Transport = t
	return &Client{origin: origin(baseURL), hc: hc}, nil
}

// origin returns the base URL as requests are built on it, spelled as
// [auth.Transport] expects. baseURL has passed [auth.NewTransport].
func origin(baseURL string) string {
	if !strings.Contains(baseURL, "://") {
		baseURL = "https://" + baseURL
	}
	u, err := url.Parse(baseURL)
	if err != nil {
		return baseURL // not reached: NewTransport parsed it
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
}

// guard wraps a so that it never authenticates a request with an App key,
// keeping its ability to renew.
func guard(a auth.Authenticator) auth.Authenticator {
	g := appGuard{a}
	if r, ok := a.(auth.Renewer); ok {
		return renewGuard{g, r}
	}
	return g
}

type appGuard struct{ a auth.Authenticator }

func (g appGuard) Authorization(ctx context.Context) (string, error) {
	h, err := g.a.Authorization(ctx)
	if err != nil {
		return "", err
	}
	if scheme, _, _ := strings.Cut(h, " "); strings.EqualFold(scheme, "App") {
		return "", ErrAppKey
	}
	return h, nil
}

type renewGuard struct {
	appGuard
	r auth.Renewer
}

func (g renewGuard) Renew(ctx context.Context, rejected string) error {
	return g.r.Renew(ctx, rejected)
}

// Create creates an API key and returns it with its [Secret]. Infobip
// allows 40 creations a day; beyond, the error is an [*auth.Error] with
// StatusCode 429.
func (c *Client) Create(ctx context.Context, req CreateRequest) (*APIKey, error) {
	const op = "create API key"
	if err := req.check(); err != nil {
		return nil, fmt.Errorf("apikeys: %s: %w", op, err)
	}
	body := createWire{
		AccountID:   req.AccountID,
		Name:        req.Name,
		AllowedIPs:  req.AllowedIPs,
		ValidFrom:   wireTime(ceilSecond(req.ValidFrom)),
		ValidTo:     wireTime(req.ValidTo),
		Permissions: req.Permissions,
		Platform:    sendable(req.Platform),
		ScopeGUIDs:  req.ScopeGUIDs,
	}
	b, err := c.do(ctx, op, http.MethodPost, pathKeys, nil, body)
	if err != nil {
		return nil, err
	}
	k, err := decodeKey(op, b)
	if err != nil {
		return nil, err
	}
	if k.Secret.IsZero() {
		return nil, fmt.Errorf("apikeys: %s: the response has no apiKeySecret for the new key %s; nobody holds its secret, so revoke it", op, clip(k.ID))
	}
	return k, nil
}

// Get returns the key with the given id. An unknown id gives an
// [*auth.Error] with StatusCode 404.
func (c *Client) Get(ctx context.Context, id string) (*APIKey, error) {
	const op = "get API key"
	if err := checkID(id); err != nil {
		return nil, fmt.Errorf("apikeys: %s: %w", op, err)
	}
	b, err := c.do(ctx, op, http.MethodGet, keyPath(id), nil, nil)
	if err != nil {
		return nil, err
	}
	return decodeKey(op, b)
}

// Update applies req to the key with the given id and returns the key as
// it now is. Infobip allows 40 updates a day.
//
// Infobip does not document whether its PUT replaces the key or changes
// only the fields sent, so Update is correct under both readings: it reads
// the key (GET), applies req to it, and sends the key whole, with every
// field of Infobip's update schema. Whatever req leaves zero keeps its
// value either way: renaming a key never drops its allowedIPs, scopes,
// permissions, platform links or validity, and never moves it to another
// account or enables or disables it.
//
// Between the read and the write, a change that someone else makes to the
// same key is overwritten with the value read: Infobip offers no ETag or
// If-Match to detect it. Do not update one key from two places at once.
//
// An answer without the key (an empty body, null, or no id) is an error,
// even though the update may have been applied.
func (c *Client) Update(ctx context.Context, id string, req UpdateRequest) (*APIKey, error) {
	const op = "update API key"
	b, err := c.update(ctx, op, id, req)
	if err != nil {
		return nil, err
	}
	return decodeKey(op, b)
}

// Revoke disables the key with the given id: from then on Infobip refuses
// it. Infobip has no way to delete a key; Revoke is an [Client.Update]
// that sets enabled to false, and Update with Enabled true undoes it. Like
// Update, it reads the key first and sends it whole, so the revoked key
// keeps its allowedIPs, scopes and validity whichever way Infobip reads the
// PUT (enabling it again restores it as it was), and like Update it can
// overwrite a change someone else makes to the key between the read and
// the write.
//
// Revoke needs nothing back from the PUT: it succeeds on any 2xx answer
// with an empty body (such as 204 No Content). A body, if there is one,
// must be JSON.
func (c *Client) Revoke(ctx context.Context, id string) error {
	const op = "revoke API key"
	b, err := c.update(ctx, op, id, UpdateRequest{Enabled: new(false)})
	if err != nil || isEmpty(b) {
		return err
	}
	if !json.Valid(b) {
		return fmt.Errorf("apikeys: %s: reading the response: the body is not JSON", op)
	}
	return nil
}

// update reads the key, applies req to it, sends the PUT of the whole key
// and returns the body of a successful answer.
func (c *Client) update(ctx context.Context, op, id string, req UpdateRequest) ([]byte, error) {
	if err := checkID(id); err != nil {
		return nil, fmt.Errorf("apikeys: %s: %w", op, err)
	}
	if err := req.check(); err != nil {
		return nil, fmt.Errorf("apikeys: %s: %w", op, err)
	}
	b, err := c.do(ctx, op, http.MethodGet, keyPath(id), nil, nil)
	if err != nil {
		return nil, err
	}
	cur, err := decodeKey(op+": reading the key first", b)
	if err != nil {
		return nil, err
	}
	// A key read without "enabled" must not be sent as disabled.
	var seen struct {
		Enabled *bool `json:"enabled"`
	}
	_ = json.Unmarshal(b, &seen) // decodeKey read it already
	return c.do(ctx, op, http.MethodPut, keyPath(id), nil, wholeKey(cur, seen.Enabled != nil, req))
}

// wholeKey returns the body of a PUT that makes cur what req asks: every
// field of Infobip's update schema, from req where req sets it and from cur
// otherwise. Only what cur lacks, and req does not set, is left out; a
// list is sent empty only to clear it.
//
// accountId goes along too: the update schema says an absent accountId is
// set to the caller's account, which would move a sub-account's key.
//
// Infobip refuses platform links together with permissions or scopes, so
// linking a key (req.Platform not empty) leaves out its current
// permissions and scopes, and giving a linked key permissions or scopes
// removes its links (an empty platform list).
func wholeKey(cur *APIKey, enabledKnown bool, req UpdateRequest) updateWire {
	w := updateWire{
		AccountID:   cmp.Or(req.AccountID, cur.AccountID),
		Name:        cmp.Or(req.Name, cur.Name),
		AllowedIPs:  pick(req.AllowedIPs, cur.AllowedIPs),
		ValidFrom:   wireTime(ceilSecond(cur.ValidFrom)),
		ValidTo:     wireTime(cur.ValidTo),
		Enabled:     req.Enabled,
		Permissions: pick(req.Permissions, cur.Permissions),
		Platform:    sendable(pick(req.Platform, cur.Platform)),
		ScopeGUIDs:  pick(req.ScopeGUIDs, cur.ScopeGUIDs),
	}
	if !req.ValidFrom.IsZero() {
		w.ValidFrom = wireTime(ceilSecond(req.ValidFrom))
	}
	if !req.ValidTo.IsZero() {
		w.ValidTo = wireTime(req.ValidTo)
	}
	if w.Enabled == nil && enabledKnown {
		w.Enabled = new(cur.Enabled)
	}
	switch {
	case len(req.Platform) > 0:
		w.Permissions, w.ScopeGUIDs = req.Permissions, req.ScopeGUIDs
	case req.Platform == nil && len(cur.Platform) > 0 && (len(req.Permissions) > 0 || len(req.ScopeGUIDs) > 0):
		w.Platform = []Platform{}
	}
	return w
}

// pick returns asked if it is set (an empty list included), else cur if it
// has items, else nil: nothing to send.
func pick[T any](asked, cur []T) []T {
	switch {
	case asked != nil:
		return asked
	case len(cur) > 0:
		return cur
	}
	return nil
}

// List returns one page of the keys f selects.
//
// Infobip's specification requires only paging in the answer: an absent
// or null apiKeys list is an empty page. An answer with neither apiKeys nor
// paging (such as {} or null), or with a null among the keys, is an error.
func (c *Client) List(ctx context.Context, f Filter) (*Page, error) {
	const op = "list API keys"
	q, err := f.query()
	if err != nil {
		return nil, fmt.Errorf("apikeys: %s: %w", op, err)
	}
	b, err := c.do(ctx, op, http.MethodGet, pathKeys, q, nil)
	if err != nil {
		return nil, err
	}
	var w struct {
		APIKeys []*APIKey `json:"apiKeys"`
		Paging  *Paging   `json:"paging"`
	}
	if isEmpty(b) {
		return nil, fmt.Errorf("apikeys: %s: the response is empty (no apiKeys, no paging)", op)
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("apikeys: %s: reading the response: %w", op, err)
	}
	if w.APIKeys == nil && w.Paging == nil {
		return nil, fmt.Errorf("apikeys: %s: the response has neither apiKeys nor paging", op)
	}
	// GetApiKeysResponse requires only paging: no apiKeys is no keys.
	p := &Page{APIKeys: make([]APIKey, len(w.APIKeys))}
	if w.Paging != nil {
		p.Paging = *w.Paging
	}
	for i, k := range w.APIKeys {
		if k == nil {
			return nil, fmt.Errorf("apikeys: %s: the response has a null key (apiKeys[%d])", op, i)
		}
		p.APIKeys[i] = *k
	}
	return p, nil
}

// All iterates over the keys f selects, fetching pages of f.Size keys as
// needed, from page f.Page on. An error ends the iteration: it is yielded
// once, with a zero APIKey. Keys created or revoked while iterating may be
// missed or seen twice, as pages shift.
//
// All follows the paging Infobip answers (totalPages). A page without it
// (totalPages 0) is taken as the last page if it holds fewer keys than the
// page size, and otherwise the next page is fetched; an empty page always
// ends the iteration.
//
// Infobip serves pages up to [MaxPage]; if more keys remain after it, All
// yields an error asking for a narrower filter.
func (c *Client) All(ctx context.Context, f Filter) iter.Seq2[APIKey, error] {
	return func(yield func(APIKey, error) bool) {
		for {
			p, err := c.List(ctx, f)
			if err != nil {
				yield(APIKey{}, err)
				return
			}
			for _, k := range p.APIKeys {
				if !yield(k, nil) {
					return
				}
			}
			if !morePages(f, p) {
				return
			}
			if f.Page >= MaxPage {
				yield(APIKey{}, fmt.Errorf("apikeys: list API keys: more keys than Infobip pages through (page %d is the last); narrow the filter", MaxPage))
				return
			}
			f.Page++
		}
	}
}

// morePages reports whether keys may follow page p, fetched with f.
func morePages(f Filter, p *Page) bool {
	switch {
	case len(p.APIKeys) == 0:
		return false
	case p.Paging.TotalPages > 0:
		return f.Page+1 < p.Paging.TotalPages
	}
	// No usable paging: a full page may have a successor.
	size := f.Size
	if size == 0 {
		size = p.Paging.PageSize
	}
	if size <= 0 {
		size = MaxPageSize
	}
	return len(p.APIKeys) >= size
}

// do sends one request and returns the body of a successful answer, read up
// to maxBody. A refusal is returned as an *auth.Error with Op set.
func (c *Client) do(ctx context.Context, op, method, path string, q url.Values, in any) ([]byte, error) {
	if c == nil || c.hc == nil {
		return nil, fmt.Errorf("apikeys: %s: the Client is not set up; make one with apikeys.New", op)
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("apikeys: %s: encoding the request: %w", op, err)
		}
		body = bytes.NewReader(b)
	}
	u := c.origin + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("apikeys: %s: %w", op, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("apikeys: %s: %w", op, err)
	}
	defer func() {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
	}()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := auth.ParseError(resp)
		e.Op = op
		return nil, e
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("apikeys: %s: reading the response: %w", op, err)
	}
	if len(b) > maxBody {
		return nil, fmt.Errorf("apikeys: %s: reading the response: the body is larger than %d bytes", op, maxBody)
	}
	return b, nil
}

// isEmpty reports whether a response body holds nothing but white space.
func isEmpty(b []byte) bool { return len(bytes.TrimSpace(b)) == 0 }

// decodeKey reads the key a create, get or update answered. A body without
// a key id, such as an empty one, null or {}, is an error.
func decodeKey(op string, b []byte) (*APIKey, error) {
	if isEmpty(b) {
		return nil, fmt.Errorf("apikeys: %s: the response is empty (no API key)", op)
	}
	k := new(APIKey)
	if err := json.Unmarshal(b, k); err != nil {
		return nil, fmt.Errorf("apikeys: %s: reading the response: %w", op, err)
	}
	if k.ID == "" {
		return nil, fmt.Errorf("apikeys: %s: the response has no API key id", op)
	}
	return k, nil
}

// ceilSecond rounds t up to the next whole second, if it has a fraction of
// one: dates travel in whole seconds, and a validFrom must never be sent
// earlier than asked.
func ceilSecond(t time.Time) time.Time {
	if r := t.Truncate(time.Second); !r.Equal(t) {
		return r.Add(time.Second)
	}
	return t
}

func keyPath(id string) string { return pathKeys + "/" + url.PathEscape(id) }

// sendable returns links without their read-only Key.
func sendable(ps []Platform) []Platform {
	if ps == nil {
		return nil
	}
	out := slices.Clone(ps)
	for i := range out {
		out[i].Key = ""
	}
	return out
}

// Wire formats.

type createWire struct {
	AccountID   string       `json:"accountId,omitempty"`
	Name        string       `json:"name"`
	AllowedIPs  []string     `json:"allowedIPs,omitempty"`
	ValidFrom   wireTime     `json:"validFrom,omitzero"`
	ValidTo     wireTime     `json:"validTo,omitzero"`
	Permissions []Permission `json:"permissions,omitempty"`
	Platform    []Platform   `json:"platform,omitempty"`
	ScopeGUIDs  []string     `json:"scopeGuids,omitempty"`
}

// updateWire sends nil slices not at all and empty ones as [].
type updateWire struct {
	AccountID   string       `json:"accountId,omitempty"`
	Name        string       `json:"name,omitempty"`
	AllowedIPs  []string     `json:"allowedIPs,omitzero"`
	ValidFrom   wireTime     `json:"validFrom,omitzero"`
	ValidTo     wireTime     `json:"validTo,omitzero"`
	Enabled     *bool        `json:"enabled,omitempty"`
	Permissions []Permission `json:"permissions,omitzero"`
	Platform    []Platform   `json:"platform,omitzero"`
	ScopeGUIDs  []string     `json:"scopeGuids,omitzero"`
}

// keyWire is an APIKey on the wire.
type keyWire struct {
	ID           string       `json:"id"`
	APIKeySecret string       `json:"apiKeySecret,omitempty"`
	AccountID    string       `json:"accountId,omitempty"`
	Name         string       `json:"name"`
	AllowedIPs   []string     `json:"allowedIPs,omitempty"`
	ValidFrom    wireTime     `json:"validFrom,omitzero"`
	ValidTo      wireTime     `json:"validTo,omitzero"`
	Enabled      bool         `json:"enabled"`
	Permissions  []Permission `json:"permissions,omitempty"`
	Platform     []Platform   `json:"platform,omitempty"`
	ScopeGUIDs   []string     `json:"scopeGuids,omitempty"`
}

// MarshalJSON encodes k in Infobip's format, leaving the secret out.
func (k APIKey) MarshalJSON() ([]byte, error) {
	return json.Marshal(keyWire{
		ID:          k.ID,
		AccountID:   k.AccountID,
		Name:        k.Name,
		AllowedIPs:  k.AllowedIPs,
		ValidFrom:   wireTime(k.ValidFrom),
		ValidTo:     wireTime(k.ValidTo),
		Enabled:     k.Enabled,
		Permissions: k.Permissions,
		Platform:    k.Platform,
		ScopeGUIDs:  k.ScopeGUIDs,
	})
}

// UnmarshalJSON decodes k from Infobip's format, the secret included.
func (k *APIKey) UnmarshalJSON(b []byte) error {
	var w keyWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*k = APIKey{
		ID:          w.ID,
		Secret:      newSecret(w.APIKeySecret),
		AccountID:   w.AccountID,
		Name:        w.Name,
		AllowedIPs:  w.AllowedIPs,
		ValidFrom:   time.Time(w.ValidFrom),
		ValidTo:     time.Time(w.ValidTo),
		Enabled:     w.Enabled,
		Permissions: w.Permissions,
		Platform:    w.Platform,
		ScopeGUIDs:  w.ScopeGUIDs,
	}
	return nil
}

// wireTime is a date in Infobip's format.
type wireTime time.Time

func (t wireTime) IsZero() bool { return time.Time(t).IsZero() }

func (t wireTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(dateLayout) + `"`), nil
}

// dateLayouts are the forms a received date may take; without a zone it is
// UTC.
var dateLayouts = []string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z0700",
}

func (t *wireTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = wireTime{}
		return nil
	}
	s, err := strconv.Unquote(string(b))
	if err != nil || len(b) == 0 || b[0] != '"' {
		return errors.New("apikeys: a date is not a JSON string")
	}
	for _, layout := range dateLayouts {
		if v, err := time.Parse(layout, s); err == nil {
			*t = wireTime(v.UTC())
			return nil
		}
	}
	return errors.New("apikeys: a date is not in a known form (such as 2026-01-02T15:04:05)")
}

// Local validation. Messages name the field and never show a secret.

func (r CreateRequest) check() error {
	if err := checkName(r.Name); err != nil {
		return err
	}
	return checkCommon(r.AccountID, r.AllowedIPs, r.ValidFrom, r.ValidTo, r.Permissions, r.Platform, r.ScopeGUIDs)
}

func (r UpdateRequest) check() error {
	if r.AccountID == "" && r.Name == "" && r.AllowedIPs == nil && r.ValidFrom.IsZero() &&
		r.ValidTo.IsZero() && r.Enabled == nil && r.Permissions == nil && r.Platform == nil && r.ScopeGUIDs == nil {
		return errors.New("the update changes nothing (every field is zero)")
	}
	if r.Name != "" {
		if err := checkName(r.Name); err != nil {
			return err
		}
	}
	if len(r.ScopeGUIDs) > 0 && len(r.Platform) > 0 {
		return errors.New("scopeGuids and platform cannot be set together")
	}
	return checkCommon(r.AccountID, r.AllowedIPs, r.ValidFrom, r.ValidTo, r.Permissions, r.Platform, r.ScopeGUIDs)
}

func checkCommon(account string, ips []string, from, to time.Time, perms []Permission, platform []Platform, scopes []string) error {
	if err := checkText("accountId", account); err != nil {
		return err
	}
	for i, ip := range ips {
		if err := checkIP(ip); err != nil {
			return fmt.Errorf("allowedIPs[%d] %w", i, err)
		}
	}
	// Check the dates as they will be sent, in whole seconds.
	from, to = ceilSecond(from), to.Truncate(time.Second)
	for _, d := range []struct {
		field string
		t     time.Time
	}{{"validFrom", from}, {"validTo", to}} {
		if y := d.t.UTC().Year(); !d.t.IsZero() && (y < 1 || y > 9999) {
			return fmt.Errorf("%s is out of range (year %d)", d.field, y)
		}
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return fmt.Errorf("validTo (%s) is before validFrom (%s)",
			to.UTC().Format(time.RFC3339), from.UTC().Format(time.RFC3339))
	}
	for i, p := range perms {
		switch p {
		case PermissionPublicAPI, Permission2FAClient, PermissionWebSDK:
		default:
			return fmt.Errorf("permissions[%d] %q is not a known permission (want %s, %s or %s)",
				i, clip(string(p)), PermissionPublicAPI, Permission2FAClient, PermissionWebSDK)
		}
		if slices.Contains(perms[:i], p) {
			return fmt.Errorf("permissions[%d] repeats %s", i, p)
		}
	}
	if slices.Contains(perms, PermissionPublicAPI) && slices.Contains(perms, PermissionWebSDK) {
		return errors.New("permissions cannot hold both PUBLIC_API and WEB_SDK")
	}
	if len(perms) > 0 && len(platform) > 0 {
		return errors.New("permissions and platform cannot be set together")
	}
	for i, p := range platform {
		if strings.TrimSpace(p.ApplicationID) == "" {
			return fmt.Errorf("platform[%d].applicationId is empty", i)
		}
		if err := checkText(fmt.Sprintf("platform[%d].applicationId", i), p.ApplicationID); err != nil {
			return err
		}
		if err := checkText(fmt.Sprintf("platform[%d].entityId", i), p.EntityID); err != nil {
			return err
		}
		if p.Action != "" && p.Action != ActionFill && p.Action != ActionForce {
			return fmt.Errorf("platform[%d].action %q is not FILL or FORCE", i, clip(string(p.Action)))
		}
	}
	for i, s := range scopes {
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("scopeGuids[%d] is empty", i)
		}
		if err := checkText(fmt.Sprintf("scopeGuids[%d]", i), s); err != nil {
			return err
		}
		if slices.Contains(scopes[:i], s) {
			return fmt.Errorf("scopeGuids[%d] repeats a scope", i)
		}
	}
	return nil
}

func checkName(name string) error {
	if strings.TrimSpace(name) == "" {
		return errors.New("name is empty or blank")
	}
	return checkText("name", name)
}

// checkText refuses invalid UTF-8 and control characters.
func checkText(field, v string) error {
	if !utf8.ValidString(v) {
		return fmt.Errorf("%s is not valid UTF-8", field)
	}
	if strings.ContainsFunc(v, unicode.IsControl) {
		return fmt.Errorf("%s contains a control character", field)
	}
	return nil
}

// checkIP accepts an IP address or a CIDR range, without zone.
func checkIP(v string) error {
	if strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return errors.New("contains whitespace or a character that is not printable ASCII")
	}
	if a, err := netip.ParseAddr(v); err == nil {
		if a.Zone() != "" {
			return fmt.Errorf("%q has an IPv6 zone, which cannot be allowed", v)
		}
		return nil
	}
	if _, err := netip.ParsePrefix(v); err == nil {
		return nil
	}
	return fmt.Errorf("%q is not an IP address or a CIDR range (such as 203.0.113.7 or 203.0.113.0/24)", clip(v))
}

func checkID(id string) error {
	switch {
	case strings.TrimSpace(id) == "":
		return errors.New("id is empty")
	case id == "." || id == "..":
		return errors.New(`id cannot be "." or ".."`)
	case strings.ContainsFunc(id, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return errors.New("id contains whitespace or a control character")
	case !utf8.ValidString(id):
		return errors.New("id is not valid UTF-8")
	}
	return nil
}

// query encodes f as the list endpoint's parameters.
func (f Filter) query() (url.Values, error) {
	if f.Page < 0 || f.Page > MaxPage {
		return nil, fmt.Errorf("page %d is out of range (0 to %d)", f.Page, MaxPage)
	}
	if f.Size < 0 || f.Size > MaxPageSize {
		return nil, fmt.Errorf("size %d is out of range (1 to %d, or 0 for the default)", f.Size, MaxPageSize)
	}
	for _, t := range []struct{ field, v string }{
		{"accountId", f.AccountID}, {"name", f.Name}, {"orderBy", f.OrderBy},
	} {
		if err := checkText(t.field, t.v); err != nil {
			return nil, err
		}
	}
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("accountId", f.AccountID)
	set("name", f.Name)
	if f.Enabled != nil {
		q.Set("enabled", strconv.FormatBool(*f.Enabled))
	}
	set("orderBy", f.OrderBy)
	if f.Descending {
		q.Set("orderDirection", "desc")
	}
	if f.Page > 0 {
		q.Set("page", strconv.Itoa(f.Page))
	}
	if f.Size > 0 {
		q.Set("size", strconv.Itoa(f.Size))
	}
	return q, nil
}

// clip shortens a value quoted in an error.
func clip(s string) string {
	if len(s) <= 40 {
		return s
	}
	cut := 40
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
