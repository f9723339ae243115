package apikeys

// The client and its calls.

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
	"net/url"

	"github.com/ibkit/auth"
)

// drainLimit bounds how much of an answer is read only to let its
// connection be reused.
const drainLimit = 4 << 10

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
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	t, err := auth.NewTransport(baseURL, a, appGuard{base})
	if err != nil {
		return nil, err
	}
	hc.Transport = t
	return &Client{origin: t.BaseURL(), hc: hc}, nil
}

// Create creates an API key and returns it with its [Secret]. Infobip
// allows 40 creations a day; beyond, the error is an [*auth.Error] with
// StatusCode 429.
func (c *Client) Create(ctx context.Context, req CreateRequest) (*Key, error) {
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
func (c *Client) Get(ctx context.Context, id string) (*Key, error) {
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
// account or enables or disables it. A key whose scope list is empty,
// which reaches no endpoint, is sent with "scopeGuids":[], so that no
// update can open it to every endpoint.
//
// Between the read and the write, a change that someone else makes to the
// same key is overwritten with the value read: Infobip offers no ETag or
// If-Match to detect it. Do not update one key from two places at once.
//
// An answer without the key (an empty body, null, or no id) is an error,
// even though the update may have been applied.
func (c *Client) Update(ctx context.Context, id string, req UpdateRequest) (*Key, error) {
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
// otherwise. Only what cur lacks, and req does not set, is left out. A list
// goes out as it was read, an empty one as []: a PUT that replaces the key
// may read an absent scopeGuids as a key never scoped, which may reach
// every endpoint, where [] reaches none.
//
// accountId goes along too: the update schema says an absent accountId is
// set to the caller's account, which would move a sub-account's key.
//
// Infobip refuses platform links together with permissions or scopes, so
// linking a key (req.Platform not empty) leaves out its current
// permissions and scopes, and giving a linked key permissions or scopes
// removes its links (an empty platform list). A key scoped to nothing
// keeps its empty list when linked: Infobip refuses only scopes, and
// dropping the list could open every endpoint to the key.
func wholeKey(cur *Key, enabledKnown bool, req UpdateRequest) updateWire {
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
		w.Permissions = req.Permissions
		if len(w.ScopeGUIDs) > 0 {
			w.ScopeGUIDs = nil
		}
	case req.Platform == nil && len(cur.Platform) > 0 && (len(req.Permissions) > 0 || len(req.ScopeGUIDs) > 0):
		w.Platform = []Platform{}
	}
	return w
}

// pick returns asked if it is set (an empty list included), else cur as
// it was read: nil (absent) or a list, empty or not.
func pick[T any](asked, cur []T) []T {
	if asked != nil {
		return asked
	}
	return cur
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
		Keys   []*Key  `json:"apiKeys"`
		Paging *Paging `json:"paging"`
	}
	if isEmpty(b) {
		return nil, fmt.Errorf("apikeys: %s: the response is empty (no apiKeys, no paging)", op)
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("apikeys: %s: reading the response: %w", op, err)
	}
	if w.Keys == nil && w.Paging == nil {
		return nil, fmt.Errorf("apikeys: %s: the response has neither apiKeys nor paging", op)
	}
	// GetApiKeysResponse requires only paging: no apiKeys is no keys.
	p := &Page{Keys: make([]Key, len(w.Keys))}
	if w.Paging != nil {
		p.Paging = *w.Paging
	}
	for i, k := range w.Keys {
		if k == nil {
			return nil, fmt.Errorf("apikeys: %s: the response has a null key (apiKeys[%d])", op, i)
		}
		p.Keys[i] = *k
	}
	return p, nil
}

// All iterates over the keys f selects, fetching pages of f.Size keys as
// needed, from page f.Page on. An error ends the iteration: it is yielded
// once, with a zero Key. Keys created or revoked while iterating may be
// missed or seen twice, as pages shift.
//
// All follows the paging Infobip answers (totalPages). A page without it
// (totalPages 0) is taken as the last page if it holds fewer keys than the
// page size, and otherwise the next page is fetched; an empty page always
// ends the iteration.
//
// Infobip serves pages up to [MaxPage]; if more keys remain after it, All
// yields an error asking for a narrower filter.
func (c *Client) All(ctx context.Context, f Filter) iter.Seq2[Key, error] {
	return func(yield func(Key, error) bool) {
		for {
			p, err := c.List(ctx, f)
			if err != nil {
				yield(Key{}, err)
				return
			}
			for _, k := range p.Keys {
				if !yield(k, nil) {
					return
				}
			}
			if !morePages(f, p) {
				return
			}
			if f.Page >= MaxPage {
				yield(Key{}, fmt.Errorf("apikeys: list API keys: more keys than Infobip pages through (page %d is the last); narrow the filter", MaxPage))
				return
			}
			f.Page++
		}
	}
}

// morePages reports whether keys may follow page p, fetched with f.
func morePages(f Filter, p *Page) bool {
	switch {
	case len(p.Keys) == 0:
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
	return len(p.Keys) >= size
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
		io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
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
func decodeKey(op string, b []byte) (*Key, error) {
	if isEmpty(b) {
		return nil, fmt.Errorf("apikeys: %s: the response is empty (no API key)", op)
	}
	k := new(Key)
	if err := json.Unmarshal(b, k); err != nil {
		return nil, fmt.Errorf("apikeys: %s: reading the response: %w", op, err)
	}
	if k.ID == "" {
		return nil, fmt.Errorf("apikeys: %s: the response has no API key id", op)
	}
	return k, nil
}

func keyPath(id string) string { return pathKeys + "/" + url.PathEscape(id) }
