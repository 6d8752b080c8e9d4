package httpserver_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

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

// TestRequestsHaveADeadline: a request's work ends when its time is up,
// however long what it waits for (a database that stopped answering) would
// take.
func TestRequestsHaveADeadline(t *testing.T) {
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			httpserver.WriteError(w, r, slog.New(slog.DiscardHandler), r.Context().Err())
		case <-time.After(10 * time.Second):
			io.WriteString(w, "still waiting")
		}
	})
	s := httpserver.New(httpserver.Config{Logger: slog.New(slog.DiscardHandler), Web: web, RequestTimeout: 50 * time.Millisecond})
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/accounts/acc_1/users", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("a request past its deadline answered %d %q, want 500", rec.Code, rec.Body.String())
	}
}
