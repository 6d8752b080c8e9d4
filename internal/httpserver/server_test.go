package httpserver_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

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
