// Package api serves Roster's JSON API under /api/v1 (SPEC §5) and its
// OpenAPI document. Handlers are guard clauses around one use case of
// internal/app each; errors travel as roster.Error values and are written
// as problem+json by internal/httpserver.
package api

import (
	"bytes"
	"io"
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
	// Limits guard login, password reset, invitation accept, password
	// change and ownership transfer; defaults in this process when nil.
	Limits *httpserver.Limits
	// Registerer receives the API's metrics; none are kept when nil.
	Registerer prometheus.Registerer
}

// API is the JSON API's handler.
type API struct {
	app           *app.App
	log           *slog.Logger
	mux           *http.ServeMux
	secureCookies bool
	sessionMax    time.Duration
	limits        *httpserver.Limits
	checks        *prometheus.CounterVec
}

// New returns the API with every route mounted.
func New(c Config) *API {
	a := &API{app: c.App, log: c.Logger, mux: http.NewServeMux(), secureCookies: c.SecureCookies,
		sessionMax: c.SessionMax, limits: c.Limits}
	if a.limits == nil {
		a.limits = httpserver.NewLimits(100, 10, nil, nil)
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
	a.handle("GET /api/openapi.json", a.openAPI, public)

	a.handle("POST /api/v1/session", a.login, public|withBody)
	a.handle("DELETE /api/v1/session", a.logout, noInput)
	a.handle("GET /api/v1/me", a.me, noInput)
	a.handle("PATCH /api/v1/me", a.patchMe, withBody)
	a.handle("POST /api/v1/me/password", a.changePassword, withBody)
	a.handle("POST /api/v1/password-reset", a.requestReset, public|withBody)
	a.handle("POST /api/v1/password-reset/confirm", a.confirmReset, public|withBody)
	a.handle("POST /api/v1/invitations/accept", a.acceptInvitation, public|withBody)

	a.handle("GET /api/v1/tokens", a.listTokens, noInput)
	a.handle("POST /api/v1/tokens", a.createToken, withBody)
	a.handle("DELETE /api/v1/tokens/{id}", a.revokeToken, noInput)

	const acc = "/api/v1/accounts/{account}"
	a.handle("GET "+acc+"/members", a.listMembers, withQuery)
	a.handle("GET "+acc+"/members/{user}", a.getMember, noInput)
	a.handle("PATCH "+acc+"/members/{user}", a.patchMember, withBody)
	a.handle("DELETE "+acc+"/members/{user}", a.removeMember, noInput)
	a.handle("POST "+acc+"/members/{user}/invitation/resend", a.resend, noInput)
	a.handle("POST "+acc+"/invitations", a.invite, withBody)
	a.handle("POST "+acc+"/invitations/bulk", a.bulkInvite, withBody|withQuery)
	a.handle("POST "+acc+"/ownership-transfer", a.transferOwnership, withBody)
	a.handle("GET "+acc+"/roles", a.roles, noInput)
	a.handle("GET "+acc+"/profiles", a.profiles, noInput)
	a.handle("PUT "+acc+"/members/{user}/profiles/{profile}", a.grantProfileRole, withBody)
	a.handle("DELETE "+acc+"/members/{user}/profiles/{profile}", a.revokeProfileRole, noInput)
	a.handle("GET "+acc+"/audit", a.audit, withQuery)
	a.handle("POST "+acc+"/check", a.check, withBody)
	a.handle("POST "+acc+"/check/batch", a.checkBatch, withBody)

	// What no route above matches: routed once, with the rest, rather
	// than looked up before each request.
	a.mux.HandleFunc("/", a.unrouted)
}

// input is what a route reads besides its path: a body, which its handler
// decodes, and a query string, which its handler checks (newQuery). What a
// route does not read is refused, so that a client learns that it was not
// heeded (SPEC §8), after authentication: a caller who is not signed in is
// told that first, unless the route is public.
type input int

const (
	noInput   input = 0
	withBody  input = 1 << iota // a body, decoded by the handler
	withQuery                   // a query string, checked by the handler
	public                      // answers callers who are not signed in
)

// noBody is what a route without a body accepts in its place, besides
// nothing: an empty JSON object, which some clients send with every DELETE.
const noBody = "{}"

// handle mounts a handler that returns an error instead of writing one,
// refusing the input (besides its path) that it does not read.
func (a *API) handle(pattern string, h func(http.ResponseWriter, *http.Request) error, in input) {
	a.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		httpserver.SetRoute(r, pattern)
		w.Header().Set("Cache-Control", "no-store")
		err := unread(w, r, in)
		if err != nil && in&public == 0 {
			if _, unauthenticated := principal(r); unauthenticated != nil {
				err = unauthenticated
			}
		}
		if err == nil {
			err = h(w, r)
		}
		if roster.ErrorCode(err) == roster.CodeInvalidInput && r.PathValue("account") != "" {
			// Bad input is checked before the caller's membership;
			// anyone but a member is told not_found all the same.
			if p, perr := principal(r); perr == nil {
				if aerr := a.app.Admit(r.Context(), p, r.PathValue("account")); roster.ErrorCode(aerr) == roster.CodeNotFound {
					err = aerr
				}
			}
		}
		if err != nil {
			httpserver.WriteError(w, r, a.log, err)
		}
	})
}

// unread refuses a query string or a body that a route with input in does
// not read.
func unread(w http.ResponseWriter, r *http.Request, in input) error {
	if in&withQuery == 0 && r.URL.RawQuery != "" {
		return roster.Invalid("", "This endpoint takes no query parameters.")
	}
	if in&withBody != 0 || r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return nil
	}
	// Room for an empty object however a client pads it; more is a body.
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<10))
	b = bytes.Join(bytes.Fields(b), nil)
	if err != nil || len(b) > 0 && string(b) != noBody {
		return roster.Invalid("", "This request takes no body.")
	}
	return nil
}

var methods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// ServeHTTP routes the request.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// Route returns the pattern of the route r would take, "" for none, for
// the metrics of a request refused before it is routed.
func (a *API) Route(r *http.Request) string {
	if _, p := a.mux.Handler(r); p != "/" {
		return p
	}
	return ""
}

// unrouted answers a request that no route matches, with problem+json like
// every other error: 405 and the methods allowed when the path has routes
// for other methods, else 404.
func (a *API) unrouted(w http.ResponseWriter, r *http.Request) {
	httpserver.SetRoute(r, httpserver.Unmatched) // not the catch-all's "/"
	var allowed []string
	for _, m := range methods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := a.mux.Handler(probe); p != "" && p != "/" {
			allowed = append(allowed, m)
			if m == http.MethodGet {
				allowed = append(allowed, http.MethodHead) // which a GET route serves too
			}
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
