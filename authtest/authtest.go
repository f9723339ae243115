// Package authtest provides a fake Infobip authentication server for tests,
// in the manner of [net/http/httptest].
//
// A [Server] speaks Infobip's wire formats for every authentication scheme:
// App API keys, HTTP Basic, IBSSO sessions (POST and DELETE /auth/1/session)
// and OAuth 2.0 client credentials (POST /auth/1/oauth2/token). Three
// protected routes, [RouteBalance], [RouteSendSMS] and
// [RouteSendSMSAdvanced], accept any of the four schemes, so a client can
// be exercised end to end without a network. Mount the other Infobip
// endpoints a service calls with [Server.Handle], behind the same
// authentication; [Identity] tells a handler whose credentials it got.
// IBSSO sessions are kept per user ([Server.ActiveSessionsOf],
// [Server.Logins]), so an application whose end users sign in can be
// tested with several users at once.
//
// App keys can be managed as on Infobip, with [RouteCreateAPIKey],
// [RouteListAPIKeys], [RouteGetAPIKey] and [RouteUpdateAPIKey]. A key
// created there works at once on the protected routes its scopes reach,
// which refuse it once it is revoked (updated with enabled=false), before
// its validFrom, from its validTo on, and from an address outside its
// allowedIPs.
//
// The server keeps its own clock, which starts at 2026-01-01T00:00:00Z and
// moves only with [Server.Advance]. Give [Server.Now] to the client under
// test as its clock hook, and session idle limits and token lifetimes
// expire without sleeping. The Date header of every answer is read on that
// clock too, so a Retry-After date means the same wait to both sides.
// [Server.Fail] injects faults (error statuses, malformed bodies, delays,
// hangs, dropped connections, oversized bodies), and [Server.Count] and
// [Server.Requests] show what the client sent.
//
// A typical test, with the OAuth authenticator of github.com/ibkit/auth:
//
//	func TestTokenRenewal(t *testing.T) {
//		s := authtest.NewServer()
//		defer s.Close()
//
//		a, err := auth.NewOAuth(auth.OAuthConfig{
//			BaseURL:      s.URL,
//			ClientID:     authtest.Username, // the account's, as on Infobip
//			ClientSecret: authtest.Password,
//			HTTPClient:   s.Client(),
//			Now:          s.Now, // one clock for both sides
//		})
//		// ... wrap a in an auth.Transport and GET s.URL+"/account/1/balance".
//
//		s.Advance(2 * time.Hour) // the token expires; no sleeping
//		s.Fail(authtest.RouteToken, authtest.Fault{Status: 503, Times: 1})
//		// ... GET again: the client must ride out one failed token request.
//
//		if n := s.Count(authtest.RouteToken); n != 3 {
//			t.Errorf("token requests = %d, want 3", n)
//		}
//	}
//
// # Fidelity
//
// A Server answers as Infobip documents its API, so that a client passing
// its tests against authtest copes with the real thing. Each behaviour
// below names its source: Infobip's OpenAPI specification (the account
// management and SMS specifications, by schema or response name), a page
// of Infobip's documentation (by title), or Infobip's Node SDK,
// @infobip-api/sdk 0.3.2. Where they are silent, authtest makes an
// assumption, marked "assumption" with its reason.
//
//   - Schemes: "App <key>", "Basic <base64(username:password)>", "IBSSO
//     <token>" and "Bearer <token>" in the Authorization header (the
//     securitySchemes APIKeyHeader, Basic, IBSSOTokenHeader and OAuth2);
//     the scheme name is compared without regard to case (RFC 9110).
//   - Error bodies follow the specification route by route. Session create
//     and destroy, [RouteBalance] and [RouteSendSMSAdvanced] answer the
//     older body, {"requestError":{"serviceException":{"messageId","text"}}}
//     (ApiException400, 401, 403, 429 and 500 there). [RouteSendSMS] and
//     the API key routes answer the newer one (ApiError, and ApiError401,
//     403 and 500): errorCode, description, action, violations and
//     resources, with the texts of the specification's examples; a 400
//     lists violations. The texts of violations are authtest's own
//     (assumption: the examples show only their shape). [RouteToken]
//     answers the older body plus a top-level "error" field
//     (OAuthApiException, where the field is marked deprecated); its values
//     are RFC 6749 section 5.2 codes such as "invalid_client" (assumption:
//     Infobip lists none).
//   - Session create: wrong credentials get 401 UNAUTHORIZED "Invalid
//     login details" in the older body (assumption: the specification lists
//     only 400, 429 and 500 for this route; 401 with that text is what
//     Infobip answers wrong credentials with elsewhere), and a body that is
//     not JSON, or not sent as application/json, gets 400 BAD_REQUEST
//     (assumption: 400 is the only client error listed). Session destroy
//     answers 200 without a body (its 200 has no content in the
//     specification).
//   - A session is bound to the IP address that created it unless the
//     create request sets "unsafe" (CreateSessionRequest: "Create session
//     which is not bound to IP"); a use from another address gets 401. It
//     ends after 60 minutes without use (the "Create session token" page:
//     "by default will expire after 60 minutes"), each use starting the
//     period again (the IBSSOTokenHeader scheme: "the session will expire
//     automatically after a predefined period of inactivity"; Infobip's
//     older settings documentation: it "expires after one hour of
//     inactivity").
//   - Token: client_id and client_secret are a user's username and
//     password (TokenRequest: "The username created when signing up with
//     Infobip", and its password). [ClientID] and the clients of
//     [Server.AddClient] are an assumption, for tests that want an OAuth
//     identity apart from the users: Infobip documents no such clients.
//     The parameters are read from the form body (TokenRequest,
//     application/x-www-form-urlencoded) and from the query string
//     (assumption: the specification documents only the body, but
//     Infobip's Node SDK, @infobip-api/sdk 0.3.2, sends them in the query
//     string with an empty body from auth.oauth2.create); the body wins for
//     a parameter in both. A Basic header is refused (assumption: Infobip
//     documents no other way). Each refusal names what was missing or
//     wrong and where it was looked for. The answer is
//     {"access_token","expires_in"}, as the sample of the "Create OAuth2
//     token" page shows; token_type, an optional field of TokenResponse, is
//     sent only after [Server.SetTokenType]. Tokens live 2 hours
//     (assumption: Infobip documents no lifetime, only expires_in; see
//     [Server.SetTokenLifetime]).
//   - Scopes: an App key reaches a route only with one of the scopes its
//     operation names (x-scopes): account-management:manage for
//     [RouteBalance]; message:send, sms:message:send or sms:manage for
//     [RouteSendSMS] and [RouteSendSMSAdvanced]; those given to
//     [Server.Handle]. One is enough ("at least one of the required API
//     scopes", the "API authorization" page). A key whose scopeGuids list
//     is empty reaches nothing (UpdateApiKeyRequest: it "will no longer be
//     able to access any API endpoint"); a key created without scopeGuids,
//     [APIKey] and the keys of [Server.AddAPIKey] reach every route
//     (assumption: the reference does not say what such a key reaches). A
//     refusal is 403 in the route's body: FORBIDDEN "Forbidden"
//     (ApiException403) or E403 with the API Scopes resource (ApiError403).
//     Basic, IBSSO and OAuth credentials reach every route: the user's
//     roles decide their scopes (the "Authorization and scopes" page), and
//     authtest's users hold every role (assumption). Routes of
//     [Server.Handle] answer 401 and 403 in the older body (assumption:
//     the body depends on the route, which authtest does not know).
//   - [RouteBalance] answers {"balance","currency"} (AccountBalance); the
//     amount, 42.5 EUR unless [Server.SetBalance] says otherwise, is
//     authtest's.
//   - [RouteSendSMS] answers {"bulkId","messages":[{"messageId","status",
//     "destination"}]} (SmsResponseEnvelope) and [RouteSendSMSAdvanced]
//     {"bulkId","messages":[{"messageId","status","to"}]} (SMSResponse), the
//     route Infobip's Node SDK sends SMS to (sms.send), with the status
//     PENDING_ACCEPTED of the specification's examples. A messageId sent
//     for a destination is kept (SmsToDestination, Destination), and so is
//     the bulkId of a version 2 request (SMSAdvancedTextualRequest: "If not
//     provided, it will be auto-generated"). Only messages, destinations
//     and "to", which shape the answer, are checked (assumption: a test of
//     authentication should not fail on the message; the specification
//     requires more, such as the content of a version 3 message).
//   - No response carries Retry-After or X-RateLimit-* headers: Infobip
//     documents none anywhere. Inject one with [Fault].Header. The Date
//     header is read on the server's clock (see [Server.Now]), as a real
//     server's is on its own clock, so that a Retry-After date means the
//     same wait to both sides.
//   - Rate limits: only the API key limits are modelled, 40 creations and
//     40 updates a day (x-throttling-info), answered 429 E429; the limits
//     of 10 requests a second on other routes are not (assumption: a test
//     should not depend on them; inject a 429 with [Server.Fail]).
//   - API keys: the default validity (from now, for a year), the default
//     permission PUBLIC_API, the permissions allowed together, and the
//     meaning of an empty list in an update come from CreateApiKeyRequest
//     and UpdateApiKeyRequest. Dates are written in UTC without a zone, as
//     in the specification's examples. The routes accept Basic, IBSSO and
//     OAuth 2.0 (their security section); an App key gets 403 E403
//     (assumption: the status is undocumented). Any user may manage keys
//     (assumption: the "Create API key" operation reserves it to certain
//     roles, and authtest's users hold every role). A create or update
//     body not sent as application/json gets 415 E415 (assumption: the
//     specification lists no 415; it documents only JSON bodies).
//   - Listing API keys: page (from 0, at most 100) and size (at most 100,
//     default 100) are the specification's; the orderBy values id, name,
//     validFrom and validTo, and the orderDirection values asc and desc,
//     are an assumption (the specification gives the defaults, id and
//     ascending, but no list), and other values get 400 E400. The answer
//     always holds "apiKeys", empty on an empty page, though
//     GetApiKeysResponse requires only "paging"; test the other shape with
//     [Server.Fail].
//   - Whether PUT on an API key replaces it or changes only the fields
//     sent is undocumented: [Server.SetAPIKeyUpdateMode] picks
//     [UpdateMerge] (the default) or [UpdateReplace]. A platform link's
//     "key" is read-only (Platform schema): a link sent again keeps its key.
//   - Unknown paths get 404 E404 and known paths with another method 405
//     E405, in the newer body (assumption: undocumented).
//
// Every method of [Server] is safe for concurrent use.
package authtest

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Credentials that every new [Server] accepts. Add more with
// [Server.AddAPIKey], [Server.AddUser] and [Server.AddClient].
const (
	// APIKey is an App key, sent as "Authorization: App <key>". It has no
	// scopes and reaches every route.
	APIKey = "0123456789abcdef0123456789abcdef-01234567-89ab-cdef-0123-456789abcdef"
	// Username is the user for Basic authentication, IBSSO sessions and,
	// as client_id, OAuth access tokens.
	Username = "aladdin"
	// Password is the password of [Username].
	Password = "open-sesame-7"
	// ClientID is an extra OAuth 2.0 client for the client-credentials
	// grant, besides [Username], whose password is its client secret as on
	// Infobip. Infobip documents no clients apart from users: ClientID is
	// an assumption of this package, kept for tests that want an OAuth
	// identity of their own (see [Server.AddClient]).
	ClientID = "quickstart-client"
	// ClientSecret is the secret of [ClientID].
	ClientSecret = "quickstart-secret-9"
)

// Routes served by every [Server], usable with [Server.Count],
// [Server.Requests] and [Server.Fail]. They are written as
// [net/http.ServeMux] patterns; a GET route also serves HEAD.
const (
	// RouteCreateSession creates an IBSSO session from a JSON body
	// {"username","password","unsafe"} and answers {"token":"<uuid>"}.
	// As on Infobip, the session is bound to the IP address of the client
	// that created it unless "unsafe" is true: used from any other address,
	// on any route, it is refused with 401.
	RouteCreateSession = "POST /auth/1/session"
	// RouteDestroySession ends the IBSSO session named by the request's own
	// "Authorization: IBSSO <token>" header.
	RouteDestroySession = "DELETE /auth/1/session"
	// RouteToken issues OAuth 2.0 access tokens for the client-credentials
	// grant. client_id and client_secret are a user's username and
	// password (see [Server.AddUser]), as Infobip describes them, or a
	// client of [Server.AddClient]. They and grant_type are read from the
	// form body or the query string; sent in an "Authorization: Basic"
	// header they are refused with 401.
	RouteToken = "POST /auth/1/oauth2/token"
	// RouteBalance is a protected route answering
	// {"balance":42.5,"currency":"EUR"}, or the amount [Server.SetBalance]
	// set for the caller. An App key needs the scope
	// account-management:manage.
	RouteBalance = "GET /account/1/balance"
	// RouteSendSMS is a protected route, the path of Infobip's current SMS
	// API ("Send SMS message", v3), that takes a JSON body and answers like
	// it, with a bulk ID and one PENDING message per destination. Its
	// errors are in the newer body, as the SMS specification documents: a
	// body that is not a JSON object, or without messages, destinations or
	// a "to", gets 400 E400 with violations; other fields are not checked.
	// An App key needs one of the scopes message:send, sms:message:send or
	// sms:manage.
	RouteSendSMS = "POST /sms/3/messages"
	// RouteSendSMSAdvanced is a protected route, the path of version 2 of
	// Infobip's SMS API ("Send SMS message", superseded by [RouteSendSMS]
	// but not deprecated), where Infobip's Node SDK sends SMS. It answers
	// like it, {"bulkId","messages":[{"messageId","status","to"}]}, with
	// the bulkId sent or a new one, and checks the same fields as
	// [RouteSendSMS], but its errors are in the older body, as the SMS
	// specification documents for this route. An App key needs the same
	// scopes.
	RouteSendSMSAdvanced = "POST /sms/2/text/advanced"
)

// The scopes the built-in protected routes need, as their operations name
// them in Infobip's specification (x-scopes); an App key needs one of them.
const scopeAccountManagement = "account-management:manage"

var smsSendScopes = []string{"message:send", "sms:message:send", "sms:manage"}

// epoch is the instant at which the clock of every new [Server] starts.
var epoch = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

const (
	defaultBalance       = 42.5
	defaultTokenLifetime = 2 * time.Hour
	defaultIdleTimeout   = 60 * time.Minute
	// maxRecorded is how many requests [Server.Requests] keeps per route.
	maxRecorded = 10000
)

// Server is a fake Infobip API server on the loopback interface. Create one
// with [NewServer] or [NewTLSServer] and stop it with [Server.Close].
type Server struct {
	// URL is the base URL of the server, of the form http://127.0.0.1:PORT
	// (https:// for [NewTLSServer]), with no trailing slash.
	URL string

	srv     *httptest.Server
	mux     *http.ServeMux
	clock   atomic.Int64  // nanoseconds since epoch
	closing chan struct{} // closed by Close to release hanging handlers
	once    sync.Once

	errorLog *log.Logger                // the http.Server's, writing to logTo
	logTo    atomic.Pointer[log.Logger] // nil: discard

	mu            sync.Mutex
	routes        map[string]bool // registered patterns
	keys          keyStore        // App keys, managed on the API key routes
	users         map[string]string
	clients       map[string]string
	tokenLifetime time.Duration
	tokenType     string // token_type of token answers; "" leaves it out
	idleTimeout   time.Duration
	sessions      map[string]*session // by IBSSO token
	logins        map[string]int      // sessions created, by username
	tokens        map[string]issued   // by access token
	balances      map[string]float64  // by identity
	counts        map[string]int
	requests      map[string][]Request
	faults        map[string][]*Fault
}

// NewServer starts and returns a new [Server] serving plain HTTP on a
// loopback address. The caller must call [Server.Close] when done.
func NewServer() *Server {
	s := newServer()
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Config.ErrorLog = s.errorLog
	s.srv.Start()
	s.URL = s.srv.URL
	return s
}

// NewTLSServer starts and returns a new [Server] serving HTTPS on a loopback
// address, with a self-signed certificate that [Server.Client] trusts. The
// caller must call [Server.Close] when done.
func NewTLSServer() *Server {
	s := newServer()
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Config.ErrorLog = s.errorLog
	s.srv.StartTLS()
	s.URL = s.srv.URL
	return s
}

// SetErrorLog sends what the underlying http.Server logs (TLS handshake
// errors such as a plain-http request to a TLS server, panics in
// handlers) to l. By default it is discarded, so that tests that probe
// such errors on purpose print nothing. Call it before sending requests.
func (s *Server) SetErrorLog(l *log.Logger) {
	s.logTo.Store(l)
}

// logWriter forwards the http.Server's log to the logger of SetErrorLog.
type logWriter struct{ s *Server }

func (w logWriter) Write(p []byte) (int, error) {
	if l := w.s.logTo.Load(); l != nil {
		l.Print(string(p))
	}
	return len(p), nil
}

func newServer() *Server {
	s := &Server{
		mux:           http.NewServeMux(),
		closing:       make(chan struct{}),
		routes:        make(map[string]bool),
		keys:          newKeyStore(),
		users:         map[string]string{Username: Password},
		clients:       map[string]string{ClientID: ClientSecret},
		tokenLifetime: defaultTokenLifetime,
		idleTimeout:   defaultIdleTimeout,
		sessions:      make(map[string]*session),
		logins:        make(map[string]int),
		tokens:        make(map[string]issued),
		balances:      make(map[string]float64),
		counts:        make(map[string]int),
		requests:      make(map[string][]Request),
		faults:        make(map[string][]*Fault),
	}
	s.HandleFunc(RouteCreateSession, s.createSession)
	s.HandleFunc(RouteDestroySession, s.destroySession)
	s.HandleFunc(RouteToken, s.issueToken)
	s.errorLog = log.New(logWriter{s}, "", 0)
	s.Handle(RouteBalance, http.HandlerFunc(s.balance), scopeAccountManagement)
	s.handleSMS(RouteSendSMS, smsV3)
	s.handleSMS(RouteSendSMSAdvanced, smsV2)
	s.registerAPIKeyRoutes()
	return s
}

// Handle registers h on the server under a [net/http.ServeMux] pattern,
// behind the server's authentication, as Infobip's API routes are: a
// request without valid credentials of one of the four schemes gets
// Infobip's 401 and never reaches h, and one with an App key that holds
// none of scopes gets 403. Give as scopes those the endpoint's operation
// names in Infobip's specification (x-scopes), such as "whatsapp:manage";
// with none, any App key that holds a scope passes. Refusals are in the
// older error body (see the Fidelity section). Inside h, [Identity] tells
// whose credentials they were. Use it to fake the Infobip endpoints a
// service calls, and test the whole service offline. Routes are counted,
// recorded and faulted like the built-in ones, and Handle panics as
// [Server.HandleFunc] does.
func (s *Server) Handle(pattern string, h http.Handler, scopes ...string) {
	s.HandleFunc(pattern, s.protected(older, h, scopes...))
}

// Identity reports whose credentials authenticated r, a request that a
// handler registered with [Server.Handle] (or a built-in protected route)
// is serving: the username for Basic, IBSSO and OAuth (the client ID for
// a client of [Server.AddClient]), the key's ID for App. It is "" for any other request.
func Identity(r *http.Request) string {
	who, _ := r.Context().Value(identityKey{}).(string)
	return who
}

// SetBalance makes [RouteBalance] answer amount (in EUR) to requests from
// identity (see [Identity]), so that a test can tell users apart.
func (s *Server) SetBalance(identity string, amount float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.balances[identity] = amount
}

// ActiveSessionsOf reports how many IBSSO sessions of username are alive
// now, as [Server.ActiveSessions] counts them.
func (s *Server) ActiveSessionsOf(username string) int {
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, ss := range s.sessions {
		if ss.user == username && now.Before(ss.last.Add(s.idleTimeout)) {
			n++
		}
	}
	return n
}

// Logins reports how many IBSSO sessions the server created for username.
func (s *Server) Logins(username string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins[username]
}

// Client returns an HTTP client configured for requests to the server. For
// a server from [NewTLSServer] it trusts the server's certificate. Close
// closes its idle connections.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Certificate returns the certificate of a server from [NewTLSServer], which
// a client that does not use [Server.Client] must trust, or nil for a server
// serving plain HTTP.
func (s *Server) Certificate() *x509.Certificate { return s.srv.Certificate() }

// Close shuts the server down and waits for its handlers to return. It first
// releases every request held by a [Fault] (Hang or Delay) and drops every
// open connection, so requests still in flight fail rather than get an
// answer, and Close returns promptly while faults are active. Close may be
// called more than once.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closing)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// HandleFunc registers an extra handler on the server, for instance a
// redirect, under a [net/http.ServeMux] pattern such as "GET /moved".
// Requests on the pattern are counted and recorded and can be faulted like
// the built-in routes, with pattern as the route name. Like
// [net/http.ServeMux.HandleFunc], it panics if the pattern is invalid or
// conflicts with a registered one. A handler that blocks delays
// [Server.Close].
func (s *Server) HandleFunc(pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, h) // panics before the route is recorded
	s.mu.Lock()
	s.routes[pattern] = true
	s.mu.Unlock()
}

// Now reports the current time on the server's clock. It starts at
// 2026-01-01T00:00:00Z and moves only with [Server.Advance]. Pass s.Now as the clock hook of the
// client under test so that both sides agree on expiries.
func (s *Server) Now() time.Time {
	return epoch.Add(time.Duration(s.clock.Load()))
}

// Advance moves the server's clock forward by d (backward if d is negative).
func (s *Server) Advance(d time.Duration) {
	s.clock.Add(int64(d))
}

// AddAPIKey makes the server accept "Authorization: App <key>". The key
// has no validity window and no scopes, so it reaches every route, and is
// listed on the API key management routes (see [RouteListAPIKeys]); a
// known key, revoked or not, is enabled again, with its scopes.
func (s *Server) AddAPIKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys.addAPIKey(key)
}

// AddUser makes the server accept username and password for Basic
// authentication, for creating IBSSO sessions, and as client_id and
// client_secret for OAuth access tokens. A known username gets the new
// password.
func (s *Server) AddUser(username, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[username] = password
}

// AddClient makes the server issue OAuth access tokens to the client id
// with the given secret. A known client gets the new secret. Users get
// tokens without it, with their username and password as client_id and
// client_secret, as Infobip documents; a client apart from a user is an
// assumption of this package (see [ClientID]).
func (s *Server) AddClient(id, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[id] = secret
}

// SetTokenLifetime sets the lifetime of OAuth access tokens issued from now
// on, announced in whole seconds as expires_in. The default is 2 hours.
// Tokens already issued keep their expiry.
func (s *Server) SetTokenLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenLifetime = d
}

// SetTokenType sets the token_type that [RouteToken] answers with from now
// on. The default, "", leaves the field out, as the response sample of
// Infobip's "Create OAuth2 token" page does; its OpenAPI specification lists
// token_type as an optional field, so a client must take both shapes. Use
// SetTokenType("Bearer") to test the other one.
func (s *Server) SetTokenType(typ string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenType = typ
}

// SetIdleTimeout sets how long an IBSSO session lives without use; each
// accepted use starts the period again. The default is 60 minutes. The new
// limit applies to every session, including those already created.
func (s *Server) SetIdleTimeout(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.idleTimeout = d
}

// Revoke makes an IBSSO session token, an OAuth access token or an App key
// stop working, as if it had been revoked on Infobip's side. An App key
// whose secret is token, such as [APIKey], is disabled as by an update with
// enabled=false on [RouteUpdateAPIKey]: it stays listed, as revoked, and
// [Server.AddAPIKey] enables it again. Unknown tokens are ignored.
func (s *Server) Revoke(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, token)
	delete(s.tokens, token)
	if k, ok := s.keys.bySecret[token]; ok {
		k.enabled = false
	}
}

// ExpireAll makes every IBSSO session and OAuth access token issued so far
// stop working. Sessions and tokens issued later work as usual.
func (s *Server) ExpireAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.sessions)
	clear(s.tokens)
}

// ActiveSessions reports how many IBSSO sessions are alive now: created, and
// neither destroyed, revoked, nor unused for the idle timeout.
func (s *Server) ActiveSessions() int {
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, ss := range s.sessions {
		if now.Before(ss.last.Add(s.idleTimeout)) {
			n++
		}
	}
	return n
}

// Request is a recorded copy of a request the server received.
type Request struct {
	Method string      // HTTP method
	Path   string      // URL path, without the query
	Query  string      // URL query, encoded, without the "?"
	Header http.Header // request headers, Authorization included
	Body   []byte      // the complete request body
	Time   time.Time   // arrival on the server's clock (see [Server.Now])
}

// Count reports how many requests the server received on route, faulted ones
// included. The route is one of the Route constants, such as [RouteToken],
// or a pattern given to [Server.HandleFunc]; Count panics on any other.
func (s *Server) Count(route string) int {
	s.mu.Lock()
	known, n := s.routes[route], s.counts[route]
	s.mu.Unlock()
	if !known {
		panic(unknownRoute("Count", route))
	}
	return n
}

// Requests returns copies of the requests received on route, oldest first,
// faulted ones included. Only the most recent 10,000 requests per route are
// kept. The route is as for [Server.Count].
func (s *Server) Requests(route string) []Request {
	s.mu.Lock()
	known, rs := s.routes[route], s.requests[route]
	if !known {
		s.mu.Unlock()
		panic(unknownRoute("Requests", route))
	}
	if len(rs) > maxRecorded {
		rs = rs[len(rs)-maxRecorded:]
	}
	out := make([]Request, len(rs))
	copy(out, rs)
	s.mu.Unlock()
	for i := range out {
		out[i].Header = out[i].Header.Clone()
		out[i].Body = bytes.Clone(out[i].Body)
	}
	return out
}

// unknownRoute is the panic value of a method given an unregistered route.
func unknownRoute(method, route string) string {
	return fmt.Sprintf("authtest: %s: unknown route %q (want a Route constant or a HandleFunc pattern)", method, route)
}

// serve is the server's root handler: it counts and records the request,
// applies a fault if one is due, and hands over to the routes.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	// Date is read on the server's clock, like every other time it
	// answers: a client measures a Retry-After date against it.
	w.Header().Set("Date", s.Now().UTC().Format(http.TimeFormat))
	h, route := s.mux.Handler(r)
	if route == "" {
		s.unrouted(w, r, h)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return // the client went away mid-body
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.RawQuery,
		Header: r.Header.Clone(),
		Body:   body,
		Time:   s.Now(),
	}

	s.mu.Lock()
	s.counts[route]++
	rs := append(s.requests[route], rec)
	if len(rs) >= 2*maxRecorded {
		rs = rs[:copy(rs, rs[len(rs)-maxRecorded:])]
	}
	s.requests[route] = rs
	f, faulty := s.takeFault(route)
	s.mu.Unlock()

	if faulty && s.applyFault(w, r, f) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// unrouted answers a request that matches no route: 405 with an Allow
// header when the path exists under another method, 404 otherwise, both
// with Infobip's new error body.
func (s *Server) unrouted(w http.ResponseWriter, r *http.Request, h http.Handler) {
	probe := httptest.NewRecorder()
	h.ServeHTTP(probe, r)
	if probe.Code == http.StatusMethodNotAllowed {
		w.Header()["Allow"] = probe.Header()["Allow"]
		writeNewError(w, http.StatusMethodNotAllowed, "E405",
			"Method not allowed", "Check the HTTP method for this endpoint")
		return
	}
	writeNewError(w, http.StatusNotFound, "E404",
		"Requested resource not found", "Check the URL of the request")
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// newOpaque returns a random opaque token.
func newOpaque() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// cutScheme splits an Authorization header value into its scheme, in lower
// case, and credentials.
func cutScheme(v string) (scheme, cred string) {
	scheme, cred, _ = strings.Cut(v, " ")
	return strings.ToLower(scheme), strings.TrimLeft(cred, " ")
}
