package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/ibkit/auth"
)

//go:embed templates/*.html
var templateFS embed.FS

var templates = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// config configures the application.
type config struct {
	// BaseURL is the Infobip account's API base URL.
	BaseURL string
	// HTTPClient is the base of the one client that sends every request to
	// Infobip, sign-ins included. nil: a client of the app's own, with a
	// timeout.
	HTTPClient *http.Client
	// Now is the clock of sessions and of the store. Default time.Now.
	Now func() time.Time
	// IdleTimeout is Infobip's idle limit for sessions. Default 60 minutes.
	IdleTimeout time.Duration
	// Secure marks the cookies Secure and gives them the __Host- prefix.
	// Set it whenever browsers reach the app over HTTPS, i.e. anywhere but
	// on a loopback address.
	Secure bool
	// Logger receives the app's records. Default: discarded.
	Logger *slog.Logger
}

// app is the web application: a sign-in form, a page that shows the
// signed-in user's account balance, and sign-out. It is an http.Handler.
type app struct {
	loginCfg   auth.LoginConfig
	client     *http.Client // one client for every user; each request carries its user's Session
	balanceURL string
	store      *store
	log        *slog.Logger
	secure     bool
	formKey    []byte          // signs the sign-in form's CSRF tokens
	transport  *http.Transport // the app's own, when it made one: closed by close
	handler    http.Handler
}

func newApp(cfg config) (*app, error) {
	a := &app{log: cfg.Logger, secure: cfg.Secure, formKey: make([]byte, 32)}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	rand.Read(a.formKey)
	base := cfg.HTTPClient
	if base == nil {
		a.transport = http.DefaultTransport.(*http.Transport).Clone()
		base = &http.Client{Transport: a.transport, Timeout: 30 * time.Second}
	}
	// nil authenticator: the client serves only requests that carry their
	// own, so a request without a signed-in user fails before it is sent.
	c, err := auth.NewClient(cfg.BaseURL, nil, base)
	if err != nil {
		return nil, err
	}
	a.client = c
	a.balanceURL = c.Transport.(*auth.Transport).BaseURL() + "/account/1/balance"
	a.loginCfg = auth.LoginConfig{
		BaseURL:     cfg.BaseURL,
		HTTPClient:  base,
		IdleTimeout: cfg.IdleTimeout,
		Now:         cfg.Now,
		Logger:      a.log,
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	idle := cfg.IdleTimeout
	if idle == 0 {
		idle = 60 * time.Minute
	}
	a.store = newStore(now, idle)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.index)
	mux.HandleFunc("GET /login", a.loginForm)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("GET /balance", a.balance)
	mux.HandleFunc("POST /logout", a.logout)
	a.handler = mux
	return a, nil
}

// ServeHTTP serves every page with headers that keep it out of caches and
// frames, and logs the request (its path only: never a query or a form).
func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	a.handler.ServeHTTP(sw, r)
	a.log.LogAttrs(r.Context(), slog.LevelDebug, "request",
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", sw.status))
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// close releases the app's idle connections to Infobip. Call it after the
// HTTP server has stopped.
func (a *app) close() {
	if a.transport != nil {
		a.transport.CloseIdleConnections()
	}
}

// Cookies. With Secure set they get the __Host- prefix, which browsers
// accept only on a Secure cookie for the whole host (Path=/, no Domain): a
// sibling subdomain cannot plant or overwrite them.
const (
	sessionCookie = "sid"        // the random session id
	formCookie    = "login_csrf" // the sign-in form's nonce, before there is a session
)

func (a *app) cookieName(name string) string {
	if a.secure {
		return "__Host-" + name
	}
	return name
}

func (a *app) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name:     a.cookieName(name),
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge, // 0: until the browser closes; <0: delete now
		HttpOnly: true,   // out of reach of scripts
		Secure:   a.secure,
		SameSite: http.SameSiteLaxMode, // not sent on cross-site POSTs
	})
}

func (a *app) cookie(r *http.Request, name string) string {
	c, err := r.Cookie(a.cookieName(name))
	if err != nil {
		return ""
	}
	return c.Value
}

// session returns the signed-in user of r, if any, and the session id.
func (a *app) session(r *http.Request) (id string, e entry, ok bool) {
	id = a.cookie(r, sessionCookie)
	e, ok = a.store.get(id)
	return id, e, ok
}

// messages are the notices the sign-in page shows for ?m=; fixed texts,
// so the page never reflects what the query says.
var messages = map[string]string{
	"expired":   "Your session has ended. Please sign in again.",
	"signedout": "You have signed out.",
}

type loginPage struct {
	Notice   string // a message from messages
	Error    string // why the last attempt failed
	Username string // kept for the next attempt; the password never is
	CSRF     string
}

type balancePage struct {
	Username string
	Balance  string
	CSRF     string
}

type errorPage struct {
	Title   string
	Message string
}

func (a *app) index(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := a.session(r); ok {
		http.Redirect(w, r, "/balance", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// loginForm shows the sign-in form. Its CSRF token is an HMAC of a random
// nonce kept in a cookie (a pre-session): nothing is stored server side for
// a visitor who has not signed in, and a page on another site can neither
// read the nonce nor compute the token.
func (a *app) loginForm(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := a.session(r); ok {
		http.Redirect(w, r, "/balance", http.StatusSeeOther)
		return
	}
	a.showLogin(w, r, http.StatusOK, loginPage{Notice: messages[r.URL.Query().Get("m")]})
}

func (a *app) showLogin(w http.ResponseWriter, r *http.Request, status int, p loginPage) {
	nonce := a.cookie(r, formCookie)
	if !validNonce(nonce) {
		nonce = randomToken()
		a.setCookie(w, formCookie, nonce, int(time.Hour/time.Second))
	}
	p.CSRF = a.formToken(nonce)
	a.render(w, status, "login.html", p)
}

func validNonce(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == 32
}

func (a *app) formToken(nonce string) string {
	m := hmac.New(sha256.New, a.formKey)
	io.WriteString(m, "sign-in form\x00"+nonce)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// login signs the user in: one POST /auth/1/session to Infobip with the
// username and password typed, after which the app keeps the Session
// (the token) and forgets the password.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	nonce := a.cookie(r, formCookie)
	if !validNonce(nonce) || !hmac.Equal([]byte(a.formToken(nonce)), []byte(r.PostFormValue("csrf"))) {
		a.forbidden(w, r, "sign-in form")
		return
	}
	username, password := r.PostFormValue("username"), r.PostFormValue("password")
	if strings.TrimSpace(username) == "" || password == "" {
		a.showLogin(w, r, http.StatusBadRequest, loginPage{Error: "Enter your username and password.", Username: username})
		return
	}
	if strings.ContainsFunc(username+password, unicode.IsControl) {
		a.showLogin(w, r, http.StatusBadRequest, loginPage{Error: "The username or password contains a character that is not allowed."})
		return
	}
	s, err := auth.Login(r.Context(), a.loginCfg, username, password)
	if err != nil {
		// Errors from auth never hold the password; log them as they are.
		a.log.LogAttrs(r.Context(), slog.LevelWarn, "sign-in failed", slog.String("user", username), slog.String("error", err.Error()))
		var ae *auth.Error
		switch {
		case errors.As(err, &ae) && ae.StatusCode == http.StatusUnauthorized:
			a.showLogin(w, r, http.StatusUnauthorized, loginPage{Error: "Infobip refused the sign-in: " + describe(ae), Username: username})
		case errors.As(err, &ae) && ae.StatusCode == http.StatusTooManyRequests:
			a.showLogin(w, r, http.StatusTooManyRequests, loginPage{Error: "Too many sign-ins. Wait a moment and try again.", Username: username})
		case errors.As(err, &ae):
			a.showLogin(w, r, http.StatusBadGateway, loginPage{Error: "Infobip answered " + ae.Code + ": " + describe(ae), Username: username})
		default:
			a.showLogin(w, r, http.StatusBadGateway, loginPage{Error: "Infobip could not be reached. Try again later.", Username: username})
		}
		return
	}
	// A sign-in replaces whatever session this browser had.
	if old := a.cookie(r, sessionCookie); old != "" {
		if e, ok := a.store.remove(old); ok {
			a.endSession(r.Context(), e)
		}
	}
	a.setCookie(w, sessionCookie, a.store.add(s, username), 0)
	a.setCookie(w, formCookie, "", -1)
	a.log.LogAttrs(r.Context(), slog.LevelInfo, "signed in", slog.String("user", username))
	http.Redirect(w, r, "/balance", http.StatusSeeOther)
}

func describe(ae *auth.Error) string {
	if ae.Description != "" {
		return ae.Description
	}
	return http.StatusText(ae.StatusCode)
}

// balance calls Infobip on the user's behalf: GET /account/1/balance
// through the one shared client, with the user's Session on the request's
// context.
func (a *app) balance(w http.ResponseWriter, r *http.Request) {
	id, e, ok := a.session(r)
	if !ok {
		a.signedOut(w, r)
		return
	}
	req, err := http.NewRequestWithContext(auth.WithAuthenticator(r.Context(), e.session), http.MethodGet, a.balanceURL, nil)
	if err != nil {
		a.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	resp, err := a.client.Do(req)
	if errors.Is(err, auth.ErrSessionExpired) {
		// Idle for too long, or rejected by Infobip: the session will not
		// come back, and the app never has the password to make a new one.
		a.store.remove(id)
		a.setCookie(w, sessionCookie, "", -1)
		a.log.LogAttrs(r.Context(), slog.LevelInfo, "session expired", slog.String("user", e.username), slog.String("error", err.Error()))
		http.Redirect(w, r, "/login?m=expired", http.StatusSeeOther)
		return
	}
	if err != nil {
		a.fail(w, r, http.StatusBadGateway, err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		a.fail(w, r, http.StatusBadGateway, fmt.Errorf("GET /account/1/balance: %w", auth.ParseError(resp)))
		return
	}
	var b struct {
		Balance  float64 `json:"balance"`
		Currency string  `json:"currency"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&b); err != nil {
		a.fail(w, r, http.StatusBadGateway, fmt.Errorf("GET /account/1/balance: %w", err))
		return
	}
	a.render(w, http.StatusOK, "balance.html", balancePage{
		Username: e.username,
		Balance:  fmt.Sprintf("%.2f %s", b.Balance, b.Currency),
		CSRF:     e.csrf,
	})
}

// logout ends the session at Infobip (DELETE /auth/1/session) and here.
func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	id, e, ok := a.session(r)
	if !ok {
		a.signedOut(w, r)
		return
	}
	if !a.parseForm(w, r) {
		return
	}
	if subtle.ConstantTimeCompare([]byte(e.csrf), []byte(r.PostFormValue("csrf"))) != 1 {
		a.forbidden(w, r, "sign-out form")
		return
	}
	if e, ok := a.store.remove(id); ok {
		a.endSession(r.Context(), e)
	}
	a.setCookie(w, sessionCookie, "", -1)
	http.Redirect(w, r, "/login?m=signedout", http.StatusSeeOther)
}

// endSession logs e's session out at Infobip. If that fails the session is
// gone here all the same, and Infobip ends it after its idle limit. A
// browser that goes away mid-request does not cancel it: Logout has a
// timeout of its own.
func (a *app) endSession(ctx context.Context, e entry) {
	if err := e.session.Logout(context.WithoutCancel(ctx)); err != nil {
		a.log.LogAttrs(ctx, slog.LevelWarn, "sign-out at Infobip failed", slog.String("user", e.username), slog.String("error", err.Error()))
		return
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "signed out", slog.String("user", e.username))
}

// signedOut sends a request without a live session to the sign-in page;
// with a cookie for a session that has gone, it says so.
func (a *app) signedOut(w http.ResponseWriter, r *http.Request) {
	if a.cookie(r, sessionCookie) == "" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	a.setCookie(w, sessionCookie, "", -1)
	http.Redirect(w, r, "/login?m=expired", http.StatusSeeOther)
}

// parseForm reads a POST form of at most 64 KiB, answering 400 itself when
// it cannot.
func (a *app) parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		a.render(w, http.StatusBadRequest, "error.html", errorPage{Title: "Bad request", Message: "The form could not be read."})
		return false
	}
	return true
}

func (a *app) forbidden(w http.ResponseWriter, r *http.Request, form string) {
	a.log.LogAttrs(r.Context(), slog.LevelWarn, "CSRF check failed", slog.String("form", form))
	a.render(w, http.StatusForbidden, "error.html", errorPage{
		Title:   "Forbidden",
		Message: "This form has expired or did not come from this site. Go back, reload the page and try again.",
	})
}

func (a *app) fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	a.log.LogAttrs(r.Context(), slog.LevelWarn, "request failed", slog.String("path", r.URL.Path), slog.String("error", err.Error()))
	msg := "Something went wrong. Try again later."
	var ae *auth.Error
	if errors.As(err, &ae) {
		msg = "Infobip answered " + ae.Code + ": " + describe(ae)
	}
	a.render(w, status, "error.html", errorPage{Title: http.StatusText(status), Message: msg})
}

func (a *app) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, data); err != nil {
		a.log.Error("template failed", slog.String("template", name), slog.String("error", err.Error()))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
