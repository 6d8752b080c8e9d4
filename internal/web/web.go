// Package web serves Roster's HTML pages: sign-in, activation, the Users &
// Roles panel the seeds describe, the roles and audit pages, and first-run
// setup. Pages are rendered on the server with html/template and work
// without JavaScript; a small script from /static only makes dialogs modal.
// Every permission decision is the policy's, reached through internal/app:
// the handlers ask it what to show and call its use cases to act.
package web

import (
	"embed"
	"fmt"
	"github.com/rosterhq/roster"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/httpserver"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config holds what the web UI needs.
type Config struct {
	App    *app.App
	Logger *slog.Logger
	// SecureCookies marks cookies Secure (the base URL is https).
	SecureCookies bool
	// SessionMax is how long the session cookie lives in the browser.
	SessionMax time.Duration
	// Limits rate-limit sign-in, password reset, activation, setup,
	// password change and transfer; given the JSON API's, both share
	// buckets. Nil means in-process defaults.
	Limits *httpserver.Limits
	// SetupToken, when not "", is the secret of the one-time first-run link
	// /setup?token=…; it lives only in this process.
	SetupToken string
	// Now is the clock, for "expired" marks; time.Now when nil.
	Now func() time.Time
}

// Web is the HTML UI's handler.
type Web struct {
	app           *app.App
	log           *slog.Logger
	pages         map[string]*pageTemplate
	mux           *http.ServeMux
	secureCookies bool
	sessionMax    time.Duration
	limits        *httpserver.Limits
	now           func() time.Time

	setupMu    sync.Mutex
	setupToken string // "" once used, or when none was issued
}

// New parses every template (so that a broken one fails at start, not on a
// request) and mounts the routes.
func New(c Config) (*Web, error) {
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	w := &Web{
		app: c.App, log: c.Logger, pages: pages, mux: http.NewServeMux(),
		secureCookies: c.SecureCookies, sessionMax: c.SessionMax,
		limits: c.Limits, now: c.Now, setupToken: c.SetupToken,
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if w.sessionMax == 0 {
		w.sessionMax = 30 * 24 * time.Hour
	}
	if w.limits == nil {
		w.limits = httpserver.NewLimits(100, 10, nil, nil)
	}
	if w.now == nil {
		w.now = time.Now
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}
	w.routes(http.FileServerFS(static))
	return w, nil
}

func (w *Web) routes(static http.Handler) {
	w.handle("GET /static/", func(rw http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(rw, r) // the files, not a listing of them
			return
		}
		// Files are embedded in the binary: they change only with it.
		rw.Header().Set("Cache-Control", "public, max-age=3600")
		http.StripPrefix("/static/", static).ServeHTTP(rw, r)
	})
	w.handle("GET /{$}", w.home)
	w.handle("GET /login", w.loginPage)
	w.handle("POST /login", w.login)
	w.handle("POST /logout", w.logout)
	w.handle("GET /activate", w.activatePage)
	w.handle("POST /activate", w.activate)
	w.handle("GET /forgot-password", w.forgotPage)
	w.handle("POST /forgot-password", w.forgot)
	w.handle("GET /reset-password", w.resetPage)
	w.handle("POST /reset-password", w.reset)
	w.handle("GET /me/password", w.passwordPage)
	w.handle("POST /me/password", w.changePassword)
	w.handle("POST /me/name", w.changeName)
	w.handle("GET /me/tokens", w.tokensPage)
	w.handle("POST /me/tokens", w.createToken)
	w.handle("POST /me/tokens/{id}/revoke", w.revokeToken)
	w.handle("GET /setup", w.setupPage)
	w.handle("POST /setup", w.setup)

	const acc = "/accounts/{account}"
	w.handle("GET "+acc, w.accountHome)
	w.handle("GET "+acc+"/users", w.users)
	w.handle("POST "+acc+"/invitations", w.invite)
	w.handle("POST "+acc+"/invitations/bulk", w.bulkInvite)
	w.handle("POST "+acc+"/members/{user}/role", w.editRole)
	w.handle("POST "+acc+"/members/{user}/name", w.editName)
	w.handle("POST "+acc+"/members/{user}/disable", w.disable)
	w.handle("POST "+acc+"/members/{user}/enable", w.enable)
	w.handle("POST "+acc+"/members/{user}/remove", w.remove)
	w.handle("POST "+acc+"/members/{user}/resend", w.resend)
	w.handle("POST "+acc+"/members/{user}/profiles", w.grantProfile)
	w.handle("POST "+acc+"/members/{user}/profiles/{profile}/revoke", w.revokeProfile)
	w.handle("POST "+acc+"/ownership-transfer", w.transfer)
	w.handle("GET "+acc+"/roles", w.roles)
	w.handle("GET "+acc+"/audit", w.audit)
}

// handle mounts a page handler, naming its route for logs and metrics.
func (w *Web) handle(pattern string, h http.HandlerFunc) {
	w.mux.HandleFunc(pattern, func(rw http.ResponseWriter, r *http.Request) {
		httpserver.SetRoute(r, pattern)
		h(rw, r)
	})
}

// Route returns the pattern of the page r would reach, "" for none, for
// the metrics of a request refused before it is routed.
func (w *Web) Route(r *http.Request) string {
	_, pattern := w.mux.Handler(r)
	return pattern
}

// ServeHTTP routes the request; anything unknown gets the HTML "not found"
// page rather than Go's plain-text one.
func (w *Web) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if _, pattern := w.mux.Handler(r); pattern == "" {
		if allow := w.allowed(r); len(allow) > 0 {
			rw.Header().Set("Allow", strings.Join(allow, ", "))
			w.fail(rw, r, w.basePage(r), roster.Errorf(roster.CodeMethodNotAllowed,
				"The page at %s does not take %s; it takes %s.", roster.Truncate(r.URL.Path, 200), roster.Truncate(r.Method, 20), strings.Join(allow, " or ")))
			return
		}
		w.notFound(rw, r)
		return
	}
	w.mux.ServeHTTP(rw, r)
}

// allowed returns the methods a page at r's path takes, none when there is
// no such page: the pages take GET (and so HEAD) and POST only.
func (w *Web) allowed(r *http.Request) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		other := *r
		other.Method = m
		if _, pattern := w.mux.Handler(&other); pattern != "" {
			out = append(out, m)
			if m == http.MethodGet {
				out = append(out, http.MethodHead) // which a GET route serves too
			}
		}
	}
	return out
}
