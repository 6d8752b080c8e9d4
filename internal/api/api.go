// Package api serves Roster's JSON API under /api/v1 (SPEC §5) and its
// OpenAPI document. Handlers are guard clauses around one use case of
// internal/app each; errors travel as roster.Error values and are written
// as problem+json by internal/httpserver.
package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/httpserver"
)

// Config holds what the API needs.
type Config struct {
	App    *app.App
	Logger *slog.Logger
	// SecureCookies marks the session cookie Secure (the base URL is https).
	SecureCookies bool
	// SessionMax is how long the session cookie lives in the browser.
	SessionMax time.Duration
	// Limits guards login, password reset and invitation accept; defaults
	// when nil.
	Limits *Limits
	// Registerer receives the API's metrics; none are kept when nil.
	Registerer prometheus.Registerer
}

// Limits are the rate limiters of the endpoints that take a secret.
type Limits struct {
	ByIP    *httpserver.Limiter // per client address
	ByEmail *httpserver.Limiter // per email (or per token, for links)
}

// NewSharedLimits is NewLimits with the buckets in the store, shared by
// every instance.
func NewSharedLimits(store roster.Store, perIP, perEmail int) *Limits {
	return &Limits{
		ByIP:    httpserver.NewSharedLimiter(store, perIP, time.Second, nil),
		ByEmail: httpserver.NewSharedLimiter(store, perEmail, 30*time.Second, nil),
	}
}

// NewLimits keeps buckets in this process (one instance, or tests). It
// allows, per client address, a burst of perIP attempts and one
// more each second; per email (or link), a burst of perEmail and one more
// every 30 seconds. A person gets a few typos; a script guessing one account's
// password gets two a minute.
func NewLimits(perIP, perEmail int) *Limits {
	return &Limits{
		ByIP:    httpserver.NewLimiter(perIP, time.Second, nil),
		ByEmail: httpserver.NewLimiter(perEmail, 30*time.Second, nil),
	}
}

// API is the JSON API's handler.
type API struct {
	app           *app.App
	log           *slog.Logger
	mux           *http.ServeMux
	secureCookies bool
	sessionMax    time.Duration
	limits        *Limits
	checks        *prometheus.CounterVec
}

// New returns the API with every route mounted.
func New(c Config) *API {
	a := &API{app: c.App, log: c.Logger, mux: http.NewServeMux(), secureCookies: c.SecureCookies,
		sessionMax: c.SessionMax, limits: c.Limits}
	if a.limits == nil {
		a.limits = NewLimits(100, 10)
	}
	if a.sessionMax == 0 {
		a.sessionMax = 30 * 24 * time.Hour
	}
	a.checks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_check_decisions_total", Help: "Permission checks answered, by answer code.",
	}, []string{"code"})
	if c.Registerer != nil {
		c.Registerer.MustRegister(a.checks)
	}
	a.routes()
	return a
}

func (a *API) routes() {
	a.handle("GET /api/openapi.json", a.openAPI)

	a.handle("POST /api/v1/session", a.login)
	a.handle("DELETE /api/v1/session", a.logout)
	a.handle("GET /api/v1/me", a.me)
	a.handle("PATCH /api/v1/me", a.patchMe)
	a.handle("POST /api/v1/me/password", a.changePassword)
	a.handle("POST /api/v1/password-reset", a.requestReset)
	a.handle("POST /api/v1/password-reset/confirm", a.confirmReset)
	a.handle("POST /api/v1/invitations/accept", a.acceptInvitation)

	a.handle("GET /api/v1/tokens", a.listTokens)
	a.handle("POST /api/v1/tokens", a.createToken)
	a.handle("DELETE /api/v1/tokens/{id}", a.revokeToken)

	const acc = "/api/v1/accounts/{account}"
	a.handle("GET "+acc+"/members", a.listMembers)
	a.handle("GET "+acc+"/members/{user}", a.getMember)
	a.handle("PATCH "+acc+"/members/{user}", a.patchMember)
	a.handle("DELETE "+acc+"/members/{user}", a.removeMember)
	a.handle("POST "+acc+"/members/{user}/invitation/resend", a.resend)
	a.handle("POST "+acc+"/invitations", a.invite)
	a.handle("POST "+acc+"/invitations/bulk", a.bulkInvite)
	a.handle("POST "+acc+"/ownership-transfer", a.transferOwnership)
	a.handle("GET "+acc+"/roles", a.roles)
	a.handle("GET "+acc+"/profiles", a.profiles)
	a.handle("PUT "+acc+"/members/{user}/profiles/{profile}", a.grantProfileRole)
	a.handle("DELETE "+acc+"/members/{user}/profiles/{profile}", a.revokeProfileRole)
	a.handle("GET "+acc+"/audit", a.audit)
	a.handle("POST "+acc+"/check", a.check)
	a.handle("POST "+acc+"/check/batch", a.checkBatch)

	// What no route above matches: routed once, with the rest, rather
	// than looked up before each request.
	a.mux.HandleFunc("/", a.unrouted)
}

// handle mounts a handler that returns an error instead of writing one.
func (a *API) handle(pattern string, h func(http.ResponseWriter, *http.Request) error) {
	a.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		httpserver.SetRoute(r, pattern)
		w.Header().Set("Cache-Control", "no-store")
		if err := h(w, r); err != nil {
			httpserver.WriteError(w, r, a.log, err)
		}
	})
}

var methods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// ServeHTTP routes the request.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// unrouted answers a request that no route matches, with problem+json like
// every other error: 405 and the methods allowed when the path has routes
// for other methods, else 404.
func (a *API) unrouted(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range methods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := a.mux.Handler(probe); p != "" && p != "/" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		for _, m := range allowed {
			w.Header().Add("Allow", m)
		}
		httpserver.WriteError(w, r, a.log, roster.Errorf(roster.CodeMethodNotAllowed, "%s is not allowed here.", r.Method))
		return
	}
	httpserver.WriteError(w, r, a.log, roster.Errorf(roster.CodeNotFound, "There is nothing at %s.", r.URL.Path))
}

// principal returns the request's authenticated principal.
func principal(r *http.Request) (roster.Principal, error) {
	p, ok := roster.PrincipalFromContext(r.Context())
	if !ok {
		return p, roster.Errorf(roster.CodeUnauthenticated, "Please sign in, or send an API token as Authorization: Bearer <token>.")
	}
	return p, nil
}
