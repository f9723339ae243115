package authtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
)

// oldError is Infobip's older error body:
// {"requestError":{"serviceException":{"messageId","text","validationErrors"}}}.
type oldError struct {
	RequestError struct {
		ServiceException struct {
			MessageID        string              `json:"messageId"`
			Text             string              `json:"text"`
			ValidationErrors map[string][]string `json:"validationErrors,omitempty"`
		} `json:"serviceException"`
	} `json:"requestError"`
}

// newError is Infobip's newer error body.
type newError struct {
	ErrorCode   string      `json:"errorCode"`
	Description string      `json:"description"`
	Action      string      `json:"action"`
	Violations  []violation `json:"violations"`
	Resources   []resource  `json:"resources"`
}

type violation struct {
	Property  string `json:"property"`
	Violation string `json:"violation"`
}

type resource struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// writeJSON answers status with v encoded as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic("authtest: " + err.Error()) // only fixed shapes are encoded
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeOldError answers status with the older error body.
func writeOldError(w http.ResponseWriter, status int, messageID, text string, validation map[string][]string) {
	writeJSON(w, status, oldBody(messageID, text, validation))
}

// oldBody is the older error body with the given fields.
func oldBody(messageID, text string, validation map[string][]string) oldError {
	var e oldError
	e.RequestError.ServiceException.MessageID = messageID
	e.RequestError.ServiceException.Text = text
	e.RequestError.ServiceException.ValidationErrors = validation
	return e
}

// writeTokenError answers an error of [RouteToken] as Infobip documents it
// (OAuthApiException in its OpenAPI specification): the older body plus a
// top-level "error" field, deprecated there, which holds an RFC 6749
// section 5.2 error code such as "invalid_client".
func writeTokenError(w http.ResponseWriter, status int, oauthCode, messageID, text string, validation map[string][]string) {
	writeJSON(w, status, struct {
		Error string `json:"error"`
		oldError
	}{oauthCode, oldBody(messageID, text, validation)})
}

// writeNewError answers status with the newer error body and violations.
func writeNewError(w http.ResponseWriter, status int, code, description, action string, vs ...violation) {
	writeNewBody(w, status, newError{ErrorCode: code, Description: description, Action: action, Violations: vs})
}

// writeNewBody answers status with e, its absent lists sent as [], as
// Infobip's examples show them.
func writeNewBody(w http.ResponseWriter, status int, e newError) {
	if e.Violations == nil {
		e.Violations = []violation{}
	}
	if e.Resources == nil {
		e.Resources = []resource{}
	}
	writeJSON(w, status, e)
}

// family is which of Infobip's two error bodies a route answers in, as its
// OpenAPI specification documents for the route.
type family int

const (
	// older is {"requestError":{"serviceException":…}} (ApiException).
	older family = iota
	// newer is {"errorCode","description","action","violations","resources"}
	// (ApiError).
	newer
)

// unauthorized answers 401 in the family's body. The older body carries
// the text Infobip sends for wrong credentials, the newer one the example
// of ApiError401 in the specification.
func (f family) unauthorized(w http.ResponseWriter) {
	f.refuse(w, http.StatusUnauthorized, "UNAUTHORIZED", "Invalid login details", newError{
		ErrorCode:   "E401",
		Description: "The request lacks valid authentication credentials for the requested resource.",
		Action:      "Check the resources and adjust authentication credentials.",
		Resources:   []resource{{"API Authentication", "https://www.infobip.com/docs/essentials/api-authentication"}},
	})
}

// badRequest answers 400 in the family's body, with the violations.
func (f family) badRequest(w http.ResponseWriter, vs []violation) {
	if f == older {
		invalid := make(map[string][]string, len(vs)) // left out when empty
		for _, v := range vs {
			invalid[v.Property] = append(invalid[v.Property], v.Violation)
		}
		writeOldError(w, http.StatusBadRequest, "BAD_REQUEST", "Bad request", invalid)
		return
	}
	writeNewError(w, http.StatusBadRequest, "E400", "Request cannot be processed.",
		"Check the syntax, violations and adjust the request.", vs...)
}

// forbidden answers 403 in the family's body, with the texts of the
// specification's examples (ApiException403, ApiError403).
func (f family) forbidden(w http.ResponseWriter) {
	f.refuse(w, http.StatusForbidden, "FORBIDDEN", "Forbidden", newError{
		ErrorCode:   "E403",
		Description: "Insufficient permissions to access the requested resource.",
		Action:      "Repeat the request with new or different credentials.",
		Resources:   []resource{{"API Scopes", "https://www.infobip.com/docs/essentials/api-essentials/api-authorization#api-scopes"}},
	})
}

// refuse answers status in the family's body: the older one with
// messageID and text, the newer one e, without violations.
func (f family) refuse(w http.ResponseWriter, status int, messageID, text string, e newError) {
	if f == older {
		writeOldError(w, status, messageID, text, nil)
		return
	}
	writeNewBody(w, status, e)
}

// unauthorized answers 401 in the older body, which session destroy
// answers (ApiException401).
func unauthorized(w http.ResponseWriter) { older.unauthorized(w) }

// hasMediaType reports whether the request's Content-Type is want.
func hasMediaType(r *http.Request, want string) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == want
}

// createSession serves [RouteCreateSession]. Infobip documents its errors
// in the older body only (ApiException400, 429 and 500 in its OpenAPI
// specification), so every error here uses it: a body that is not JSON, or
// not sent as application/json, is 400 BAD_REQUEST. Wrong credentials get
// 401 UNAUTHORIZED "Invalid login details", which the specification does not
// list for this route but Infobip answers for wrong credentials.
func (s *Server) createSession(w http.ResponseWriter, r *http.Request) {
	if !hasMediaType(r, "application/json") {
		writeOldError(w, http.StatusBadRequest, "BAD_REQUEST", "Bad request",
			map[string][]string{"Content-Type": {"must be application/json"}})
		return
	}
	var in struct {
		Username *string `json:"username"`
		Password *string `json:"password"`
		Unsafe   bool    `json:"unsafe"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeOldError(w, http.StatusBadRequest, "BAD_REQUEST", "Bad request", nil)
		return
	}
	invalid := map[string][]string{}
	if in.Username == nil || *in.Username == "" {
		invalid["username"] = []string{"must not be empty"}
	}
	if in.Password == nil || *in.Password == "" {
		invalid["password"] = []string{"must not be empty"}
	}
	if len(invalid) > 0 {
		writeOldError(w, http.StatusBadRequest, "BAD_REQUEST", "Bad request", invalid)
		return
	}

	now := s.Now()
	s.mu.Lock()
	pw, ok := s.users[*in.Username]
	ok = ok && pw == *in.Password
	token := ""
	if ok {
		token = newUUID()
		s.sessions[token] = &session{user: *in.Username, last: now, from: remoteAddr(r), unsafe: in.Unsafe}
		s.logins[*in.Username]++
	}
	s.mu.Unlock()
	if !ok {
		unauthorized(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": token})
}

// destroySession serves [RouteDestroySession]. Like any use of a session,
// it must come from the address that created the session, unless the
// session is unsafe.
func (s *Server) destroySession(w http.ResponseWriter, r *http.Request) {
	scheme, token := cutScheme(r.Header.Get("Authorization"))
	now := s.Now()
	s.mu.Lock()
	ok := scheme == "ibsso" && s.liveSession(token, now, remoteAddr(r)) != nil
	if ok {
		delete(s.sessions, token)
	}
	s.mu.Unlock()
	if !ok {
		unauthorized(w)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// session is an IBSSO session the server created.
type session struct {
	user string     // the username it was created for
	last time.Time  // creation or last accepted use
	from netip.Addr // the address of the client that created it
	// unsafe is the create request's "unsafe": Infobip binds a session to
	// the client's IP address unless it is set ("Create session which is
	// not bound to IP", CreateSessionRequest in its OpenAPI specification).
	unsafe bool
}

// liveSession returns the IBSSO session token if it is alive at now and may
// be used from the address from, else nil. A session that has idled out is
// forgotten; one used from another address than its creator's, unless it
// is unsafe, is refused but stays alive for its creator. s.mu must be held.
func (s *Server) liveSession(token string, now time.Time, from netip.Addr) *session {
	ss, ok := s.sessions[token]
	if !ok {
		return nil
	}
	if !now.Before(ss.last.Add(s.idleTimeout)) {
		delete(s.sessions, token)
		return nil
	}
	if !ss.unsafe && from != ss.from {
		return nil
	}
	return ss
}

// issueToken serves [RouteToken]. Its errors follow Infobip's OpenAPI
// specification (OAuthApiException): the older body plus the deprecated
// top-level "error", an RFC 6749 section 5.2 code; each refusal says what
// was missing or wrong and where it was looked for. Its success follows the
// sample of Infobip's "Create OAuth2 token" page, {"access_token",
// "expires_in"}, with token_type only if [Server.SetTokenType] asks for it.
//
// The parameters are read from the form body and, as Infobip's Node SDK
// sends them, from the query string; the body wins for a parameter sent in
// both. client_id and client_secret are a user's username and password, as
// Infobip describes them, or a client of [Server.AddClient].
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := readTokenRequest(w, r)
	if !ok {
		return
	}

	now := s.Now()
	s.mu.Lock()
	password, user := s.users[id]
	clientSecret, client := s.clients[id]
	ok = user && password == secret || client && clientSecret == secret
	var token string
	var lifetime int64
	typ := s.tokenType
	if ok {
		token = newOpaque()
		lifetime = int64(s.tokenLifetime / time.Second)
		s.tokens[token] = issued{client: id, expiry: now.Add(time.Duration(lifetime) * time.Second)}
	}
	s.mu.Unlock()
	if !ok {
		// Infobip describes client_id and client_secret as the account's
		// username and password: its text for wrong ones.
		writeTokenError(w, http.StatusUnauthorized, "invalid_client", "UNAUTHORIZED", "Invalid login details", nil)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		TokenType   string `json:"token_type,omitempty"`
	}{token, lifetime, typ})
}

// readTokenRequest reads the client_id and client_secret of a
// client-credentials request to [RouteToken], from the form body first and
// then the query string, or answers why it refuses the request.
func readTokenRequest(w http.ResponseWriter, r *http.Request) (id, secret string, ok bool) {
	const where = "the form body and the query string"
	// bad answers 400 with the RFC 6749 code.
	bad := func(code, text string, validation map[string][]string) {
		writeTokenError(w, http.StatusBadRequest, code, "BAD_REQUEST", "Bad request: "+text, validation)
	}
	if scheme, _ := cutScheme(r.Header.Get("Authorization")); scheme == "basic" {
		// RFC 6749 calls a client refused on the way it authenticates
		// invalid_client.
		writeTokenError(w, http.StatusUnauthorized, "invalid_client", "UNAUTHORIZED",
			"Invalid login details: client_id and client_secret are read from the form body or the query string, not an Authorization header", nil)
		return "", "", false
	}
	body, _ := io.ReadAll(r.Body) // serve has read it into memory already
	isForm := hasMediaType(r, "application/x-www-form-urlencoded")
	if !isForm && len(bytes.TrimSpace(body)) > 0 {
		bad("invalid_request", "the body is not application/x-www-form-urlencoded",
			map[string][]string{"Content-Type": {"must be application/x-www-form-urlencoded for a body; send no body to use the query string"}})
		return "", "", false
	}
	form := url.Values{}
	var err error
	if isForm {
		form, err = url.ParseQuery(string(body))
	}
	query, qerr := url.ParseQuery(r.URL.RawQuery)
	if err != nil || qerr != nil {
		bad("invalid_request", where+" must be URL-encoded", nil)
		return "", "", false
	}
	// param returns the named parameter and where it was found, the body
	// first.
	param := func(name string) (value, from string) {
		if v := form.Get(name); v != "" {
			return v, "the form body"
		}
		if v := query.Get(name); v != "" {
			return v, "the query string"
		}
		return "", ""
	}
	var missing []string
	invalid := map[string][]string{}
	for _, name := range []string{"client_id", "client_secret", "grant_type"} {
		if v, _ := param(name); v == "" {
			missing = append(missing, name)
			invalid[name] = []string{"missing from " + where}
		}
	}
	if len(missing) > 0 {
		bad("invalid_request", strings.Join(missing, ", ")+" missing (looked for in "+where+")", invalid)
		return "", "", false
	}
	if gt, from := param("grant_type"); gt != "client_credentials" {
		// The value is not echoed: a misplaced secret must not come back.
		bad("unsupported_grant_type", "only the client_credentials grant is supported",
			map[string][]string{"grant_type": {"must be client_credentials, as sent in " + from}})
		return "", "", false
	}
	id, _ = param("client_id")
	secret, _ = param("client_secret")
	return id, secret, true
}

// issued is an OAuth access token the server issued.
type issued struct {
	client string
	expiry time.Time
}

type identityKey struct{}

// protected wraps a handler so that it runs only for requests carrying
// valid credentials of one of the four schemes, with an App key holding
// one of scopes (see [apiKey.reaches]), and gives it the [Identity] they
// prove. Refusals are in the body of family f.
func (s *Server) protected(f family, h http.Handler, scopes ...string) http.HandlerFunc {
	scopes = slices.Clone(scopes)
	return func(w http.ResponseWriter, r *http.Request) {
		who, status := s.authorized(r.Header.Get("Authorization"), remoteAddr(r), scopes)
		switch status {
		case http.StatusUnauthorized:
			f.unauthorized(w)
			return
		case http.StatusForbidden:
			f.forbidden(w)
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, who)))
	}
}

// authorized reports whose credentials an Authorization header value, sent
// from the address from, are, and whether they may reach a route that
// needs one of scopes: status is 0 if so, else 401 or 403 to refuse with.
// An IBSSO session must be used from the address that created it, unless
// it is unsafe; an accepted use slides its idle deadline. An App key must
// be enabled, inside its validity window on the server's clock, used from
// one of its allowed IPs, if it has any, and hold one of scopes. Basic,
// IBSSO and OAuth credentials are the users', who reach every route.
func (s *Server) authorized(v string, from netip.Addr, scopes []string) (identity string, status int) {
	scheme, cred := cutScheme(v)
	if cred == "" {
		return "", http.StatusUnauthorized
	}
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	who, ok := "", false
	switch scheme {
	case "app":
		k := s.keys.accepts(cred, now, from)
		if k == nil {
			break
		}
		if !k.reaches(scopes) {
			return k.id, http.StatusForbidden
		}
		who, ok = k.id, true
	case "basic":
		b, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			break
		}
		user, pass, found := strings.Cut(string(b), ":")
		want, known := s.users[user]
		who, ok = user, found && known && want == pass
	case "ibsso":
		if ss := s.liveSession(cred, now, from); ss != nil {
			ss.last = now
			who, ok = ss.user, true
		}
	case "bearer":
		t, known := s.tokens[cred]
		if known && !now.Before(t.expiry) {
			delete(s.tokens, cred)
			known = false
		}
		who, ok = t.client, known
	}
	if !ok {
		return "", http.StatusUnauthorized
	}
	return who, 0
}

// balance serves [RouteBalance]: 42.5 EUR, unless [Server.SetBalance] gave
// the caller's identity another amount.
func (s *Server) balance(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	amount, ok := s.balances[Identity(r)]
	s.mu.Unlock()
	if !ok {
		amount = defaultBalance
	}
	writeJSON(w, http.StatusOK, struct {
		Balance  float64 `json:"balance"`
		Currency string  `json:"currency"`
	}{amount, "EUR"})
}
