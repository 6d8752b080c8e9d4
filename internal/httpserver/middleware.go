package httpserver

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rosterhq/roster"
)

// requestInfo travels in the request's context from the outermost
// middleware down to the handlers, which fill in what only they know.
type requestInfo struct {
	route string
	ip    string // the client's address, through trusted proxies
	quiet bool   // logged at debug when it succeeds: see Quiet
}

type infoKey struct{}

// SetRoute records the matched route pattern for logs and metrics. Handlers
// behind their own ServeMux call it, since the outer middleware never sees
// the inner mux's match.
func SetRoute(r *http.Request, pattern string) {
	if info, ok := r.Context().Value(infoKey{}).(*requestInfo); ok {
		info.route = pattern
	}
}

// Quiet has the request logged at the debug level, rather than info, if
// it succeeds (a status below 400): for the check endpoints, which every
// request of the platform's other services calls, so that at the default
// level their lines do not bury everything else, nor cost more than the
// check. Metrics count them all the same, and a failed one is logged as
// any other.
func Quiet(r *http.Request) {
	if info, ok := r.Context().Value(infoKey{}).(*requestInfo); ok {
		info.quiet = true
	}
}

// nameRoute names the route of a request refused before its handler ran
// (a bad token, a cross-origin write), so that metrics and logs count the
// refusal under its route rather than with requests no route matches.
func (s *Server) nameRoute(r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if rt, ok := h.(interface{ Route(*http.Request) string }); ok {
		pattern = rt.Route(r)
	}
	SetRoute(r, pattern)
}

func routeOf(r *http.Request) string {
	if info, ok := r.Context().Value(infoKey{}).(*requestInfo); ok && info.route != "" {
		return info.route
	}
	if r.Pattern != "" {
		return r.Pattern
	}
	return Unmatched
}

// Unmatched is the route of a request that no route matches.
const Unmatched = "unmatched"

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// metrics are the server's Prometheus series.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roster_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "roster_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

// observe logs, measures and recovers every request. It never logs a query
// string or a body: links and forms carry tokens and passwords.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{ip: clientAddr(r, s.trusted)}
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "route", routeOf(r), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if rec.status == 0 {
					WriteError(rec, r, s.log, fmt.Errorf("panic: %v", v))
				}
			}
			route := routeOf(r)
			d := time.Since(start)
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			method := knownMethod(r.Method)
			s.metrics.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
			s.metrics.latency.WithLabelValues(route, method).Observe(d.Seconds())
			level := slog.LevelInfo
			switch {
			case status >= 500:
				level = slog.LevelError
			case info.quiet && status < 400:
				level = slog.LevelDebug
			}
			if s.log.Enabled(r.Context(), level) { // building the line costs more than the check it logs
				s.log.Log(r.Context(), level, "request", "method", roster.Truncate(r.Method, 20), "route", route, "path", roster.Truncate(r.URL.Path, maxLoggedPath),
					"status", status, "bytes", rec.bytes, "duration_ms", float64(d.Microseconds())/1000, "ip", ClientIP(r))
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// knownMethod is a request's method as metrics label it: one of HTTP's,
// or OTHER. A label per made-up method grew /metrics by a series per
// request, for anyone who can connect.
func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// maxLoggedPath bounds the path a request's log line holds: a request of a
// 60 KB path made a line as long, for anyone who can connect.
const maxLoggedPath = 256

// The headers every response carries, with canonical keys, set without
// allocating: the check path serves tens of thousands of these a second.
// Handlers never modify these slices; they may replace them.
var securityHeaders = [...]struct {
	key   string
	value []string
}{
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"Referrer-Policy", []string{"no-referrer"}},
	{"X-Frame-Options", []string{"DENY"}},
	{"Content-Security-Policy", []string{"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"}},
	{"Cross-Origin-Opener-Policy", []string{"same-origin"}},
}

// hsts is Strict-Transport-Security for a year, the host alone: other
// hosts of the operator's domain may still serve plain HTTP.
var hsts = []string{"max-age=31536000"}

func secureHeaders(next http.Handler, withHSTS bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for _, sh := range securityHeaders {
			h[sh.key] = sh.value
		}
		if withHSTS {
			h["Strict-Transport-Security"] = hsts
		}
		next.ServeHTTP(w, r)
	})
}

// ClientIP is the address the request came from: the connection's, or,
// when that is a trusted proxy, the nearest untrusted address of
// X-Forwarded-For. Rate limits and the audit log use it.
func ClientIP(r *http.Request) string {
	if info, ok := r.Context().Value(infoKey{}).(*requestInfo); ok && info.ip != "" {
		return info.ip
	}
	return clientAddr(r, nil)
}

// clientAddr resolves the client's address. A proxy is trusted only if
// configured: otherwise anyone could write X-Forwarded-For and pick the
// rate-limit bucket they are counted in.
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	remote, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		remote = r.RemoteAddr
	}
	if len(trusted) == 0 && !strings.Contains(remote, ":") {
		return remote // IPv4, as the connection writes it: nothing to read (and no allocation per request)
	}
	host, ok := hopAddr(remote)
	if !ok {
		return remote
	}
	if !isTrusted(host, trusted) {
		return host.String()
	}
	// Walk the chain from the nearest hop back; the first address not
	// ours is the client's.
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, ok := hopAddr(strings.TrimSpace(hops[i]))
		if !ok {
			break // a malformed hop: stop at the last address we can vouch for
		}
		host = hop
		if !isTrusted(hop, trusted) {
			break
		}
	}
	return host.String()
}

// hopAddr reads an address as a connection or a proxy writes it: bare, or
// with a port ("203.0.113.7:4711", "[2001:db8::1]:4711", as some load
// balancers append it). An IPv4 address written as IPv6 is the IPv4 one.
func hopAddr(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	}
	return a.Unmap(), true
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Authenticator turns credentials into a principal.
type Authenticator interface {
	AuthenticateSession(ctx context.Context, raw, ip string) (roster.Principal, error)
	AuthenticateToken(ctx context.Context, raw, ip string) (roster.Principal, error)
}

// SessionCookie is the name of the session cookie over plain HTTP.
const SessionCookie = "roster_session"

// SessionCookieName is the session cookie's name: over https it carries the
// __Host- prefix, with which a browser takes the cookie only from this very
// host, over https, with Path=/ and no Domain. A sibling subdomain, or a
// network attacker answering a plain-HTTP request for the host, could
// otherwise plant a session of their own choosing in the victim's browser
// (cookie tossing: the victim then works, unknowing, in the attacker's
// account).
func SessionCookieName(secure bool) string {
	if secure {
		return "__Host-" + SessionCookie
	}
	return SessionCookie
}

// bearer returns the token of an Authorization header of the Bearer scheme,
// whose name is case-insensitive (RFC 9110 §11.1): some clients send
// "bearer".
func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// authenticate puts the principal of a bearer token or session cookie in the
// context. A bearer token that does not authenticate is refused at once; a
// stale cookie, or an Authorization header of another scheme, is just
// ignored (the request goes on unauthenticated, and the handler decides
// whether that is enough).
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == metricsPath {
			next.ServeHTTP(w, r)
			return
		}
		ip := ClientIP(r)
		// Credentials of another scheme are for another layer (a proxy's
		// Basic authentication, which browsers then send with every
		// request): the request goes on with its cookie, or none.
		if raw, ok := bearer(r.Header.Get("Authorization")); ok {
			p, err := s.auth.AuthenticateToken(r.Context(), raw, ip)
			if err != nil {
				s.nameRoute(r)
				w.Header().Set("WWW-Authenticate", `Bearer realm="roster"`)
				WriteError(w, r, s.log, err)
				return
			}
			r = r.WithContext(roster.NewContextWithPrincipal(r.Context(), p))
		} else if c, err := r.Cookie(SessionCookieName(s.https)); err == nil && c.Value != "" {
			p, err := s.auth.AuthenticateSession(r.Context(), c.Value, ip)
			switch roster.ErrorCode(err) {
			case "":
				r = r.WithContext(roster.NewContextWithPrincipal(r.Context(), p))
			case roster.CodeUnauthenticated:
			default: // the database failed
				s.nameRoute(r)
				s.refuse(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
