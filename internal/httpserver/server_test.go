package httpserver_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpserver"
)

// TestHSTSOnlyWhenAsked: Strict-Transport-Security goes on every response
// of a server whose base URL is https, and on none of one served over
// plain HTTP, where browsers ignore it and an operator trying Roster out
// on a laptop must not be held to HTTPS.
func TestHSTSOnlyWhenAsked(t *testing.T) {
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })
	for _, hsts := range []bool{false, true} {
		s := httpserver.New(httpserver.Config{Logger: slog.New(slog.DiscardHandler), Web: web, HTTPS: hsts})
		for _, path := range []string{"/", "/nowhere/else"} {
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
			got := rec.Header().Get("Strict-Transport-Security")
			if want := map[bool]string{true: "max-age=31536000"}[hsts]; got != want {
				t.Errorf("HSTS %v, GET %s: Strict-Transport-Security = %q, want %q", hsts, path, got, want)
			}
			if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("HSTS %v, GET %s: the other security headers are missing", hsts, path)
			}
		}
	}
}

// failingAuth fails every lookup, as a database that went away does.
type failingAuth struct{}

func (failingAuth) AuthenticateSession(context.Context, string, string) (roster.Principal, error) {
	return roster.Principal{}, errors.New("connection refused")
}

func (failingAuth) AuthenticateToken(context.Context, string, string) (roster.Principal, error) {
	return roster.Principal{}, errors.New("connection refused")
}

// pageWeb is a web UI that shows refusals as a page.
type pageWeb struct{ http.Handler }

func (pageWeb) Refuse(w http.ResponseWriter, _ *http.Request, err error) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	io.WriteString(w, "<p>Something went wrong</p>")
}

// TestSessionFailureIsAPageOutsideTheAPI: when a session cannot be looked
// up, a person in a browser sees the web UI's error page, not JSON, and an
// API client the JSON problem.
func TestSessionFailureIsAPageOutsideTheAPI(t *testing.T) {
	web := pageWeb{http.NotFoundHandler()}
	s := httpserver.New(httpserver.Config{Logger: slog.New(slog.DiscardHandler), Web: web, API: http.NotFoundHandler(), Auth: failingAuth{}})
	for path, want := range map[string]string{"/accounts/acc_1/users": "text/html; charset=utf-8", "/api/v1/me": "application/problem+json"} {
		req := httptest.NewRequest("GET", path, nil)
		req.AddCookie(&http.Cookie{Name: httpserver.SessionCookie, Value: "s"})
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusInternalServerError || rec.Header().Get("Content-Type") != want {
			t.Errorf("GET %s with the database down: %d %s, want 500 %s", path, rec.Code, rec.Header().Get("Content-Type"), want)
		}
	}
}
