// Package httpserver is Roster's HTTP front: the server, its routes and the
// middleware every request passes through.
package httpserver

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/secret"
)

// Server serves Roster over HTTP.
type Server struct {
	store   roster.Store
	log     *slog.Logger
	auth    Authenticator
	trusted []netip.Prefix
	https   bool
	metrics *metrics
	mux     *http.ServeMux
	srv     *http.Server
	// web, when set, shows a refusal of a request outside /api/ as a
	// page (see refuse).
	web refuser
}

// refuser is a web UI that shows a refusal as a page.
type refuser interface {
	Refuse(http.ResponseWriter, *http.Request, error)
}

// Config holds what the server needs.
type Config struct {
	Store  roster.Store
	Logger *slog.Logger
	Auth   Authenticator
	// API serves /api/; Web serves everything else. Either may be nil.
	API http.Handler
	Web http.Handler
	// Registry collects the metrics served at /metrics; a new one when nil.
	Registry *prometheus.Registry
	// TrustedProxies are the load balancers whose X-Forwarded-For is
	// believed; none by default.
	TrustedProxies []netip.Prefix
	// HTTPS says the base URL is https. Every response then carries
	// Strict-Transport-Security, so that browsers never reach the service
	// over plain HTTP again, where a network attacker could strip TLS; and
	// the session cookie is read under its __Host- name (SessionCookieName).
	HTTPS bool
	// MetricsToken, when set, is the bearer token a scraper must send for
	// /metrics; without it /metrics is open to whoever reaches the port.
	MetricsToken string
}

// New returns a server with every route mounted. Every request passes, in
// order: logging and metrics (with panic recovery), security headers,
// cross-origin write protection, and authentication.
func New(c Config) *Server {
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
	}
	s := &Server{store: c.Store, log: c.Logger, auth: c.Auth, mux: http.NewServeMux(), metrics: newMetrics(c.Registry),
		trusted: c.TrustedProxies, https: c.HTTPS}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET "+metricsPath, s.metricsHandler(c.Registry, c.MetricsToken))
	if c.API != nil {
		s.mux.Handle("/api/", c.API)
	}
	if c.Web != nil {
		s.mux.Handle("/", c.Web)
	}

	// Browsers say where a request comes from (Sec-Fetch-Site, Origin): a
	// cross-site form or fetch cannot write with the victim's cookie.
	// Clients that are not browsers send neither header and pass.
	cop := http.NewCrossOriginProtection()
	s.web, _ = c.Web.(refuser)
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.nameRoute(r)
		s.refuse(w, r, roster.Errorf(roster.CodeForbidden, "Cross-origin requests may not change anything."))
	}))
	var h http.Handler = http.HandlerFunc(s.route)
	if c.Auth != nil {
		h = s.authenticate(h)
	}
	h = s.observe(secureHeaders(cop.Handler(h), c.HTTPS))
	s.srv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(c.Logger.Handler(), slog.LevelWarn),
	}
	return s
}

// route routes the request. An API path in another spelling ("//me",
// "/./me", "/x/..") is not found: the mux would answer a bare 307 to the
// cleaned path, which a client may follow with its PATCH or DELETE, or not.
// (A page's path is cleaned and redirected, as browsers expect.)
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if p := r.URL.Path; strings.Contains(p, "api/") && isUncleanAPIPath(p) {
		SetRoute(r, Unmatched)
		WriteError(w, r, s.log, roster.Errorf(roster.CodeNotFound, "There is nothing at %s.", p))
		return
	}
	s.mux.ServeHTTP(w, r)
}

// isUncleanAPIPath reports whether p is an API path in another spelling:
// one that cleans to a path under /api/ ("//api/v1/me" too, which a client
// joining a base URL that ends in / with /api/… sends).
func isUncleanAPIPath(p string) bool {
	c := path.Clean(p)
	return strings.HasPrefix(c, "/api/") && c != p && c+"/" != p
}

// refuse answers a request the server's layers refuse before its handler:
// a page for a person in a browser (a path outside /api/), the JSON
// problem for the API.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, err error) {
	if s.web != nil && !strings.HasPrefix(r.URL.Path, "/api/") {
		s.web.Refuse(w, r, err)
		return
	}
	WriteError(w, r, s.log, err)
}

// metricsPath is where the metrics are served. It is nobody's request: no
// session or API token is read for it (its own token, when set, is checked
// by its handler).
const metricsPath = "/metrics"

// metricsHandler serves the registry's metrics, to a scraper that sends
// the bearer token when one is set.
func (s *Server) metricsHandler(reg *prometheus.Registry, token string) http.Handler {
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	if token == "" {
		return h
	}
	want := []byte(secret.Hash(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := bearer(r.Header.Get("Authorization"))
		// Digests of equal length, compared in constant time.
		if subtle.ConstantTimeCompare([]byte(secret.Hash(raw)), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="roster metrics"`)
			WriteError(w, r, s.log, roster.Errorf(roster.CodeUnauthenticated, "Send the metrics token as \"Authorization: Bearer <token>\"."))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Handler returns the server's root handler, for tests.
func (s *Server) Handler() http.Handler { return s.srv.Handler }

// Serve accepts connections on l until Shutdown.
func (s *Server) Serve(l net.Listener) error {
	err := s.srv.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting and waits for requests under way, until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

// Close ends every connection at once, requests under way included.
func (s *Server) Close() error { return s.srv.Close() }

// healthz answers as long as the process serves HTTP: liveness.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"status":"ok"}` + "\n"))
}

// readyz answers 200 only when the database answers: readiness.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	err := s.store.Ready(ctx)
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		s.log.Warn("not ready", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"status":"unavailable"}` + "\n"))
		return
	}
	w.Write([]byte(`{"status":"ok"}` + "\n"))
}
