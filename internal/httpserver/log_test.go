package httpserver_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rosterhq/roster/internal/httpserver"
)

// TestQuietRequestsLogAtDebugWhenTheySucceed checks the level of the
// request log's lines: a request marked Quiet (the check endpoints) that
// succeeds is a debug line, so that the default level (info) leaves it
// out; one that fails, and any other request, is logged as before.
func TestQuietRequestsLogAtDebugWhenTheySucceed(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("quiet") == "1" {
			httpserver.Quiet(r)
		}
		status, _ := strconv.Atoi(r.URL.Query().Get("status"))
		w.WriteHeader(status)
	})
	h := httpserver.New(httpserver.Config{Logger: log, API: api}).Handler()
	for _, tc := range []struct {
		query, level string
	}{
		{"quiet=1&status=200", "DEBUG"},
		{"quiet=1&status=204", "DEBUG"},
		{"quiet=1&status=400", "INFO"},
		{"quiet=1&status=403", "INFO"},
		{"quiet=1&status=500", "ERROR"},
		{"status=200", "INFO"},
		{"status=500", "ERROR"},
	} {
		buf.Reset()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/api/v1/x?"+tc.query, nil))
		line := buf.String()
		if !strings.Contains(line, "msg=request") || !strings.Contains(line, "level="+tc.level+" ") {
			t.Errorf("%s: logged %q, want a request line at %s", tc.query, line, tc.level)
		}
	}
}

// TestMadeUpRequestsCostBoundedLogAndMetrics: anyone who can connect
// chooses a request's method and path. A line of the request log holds at
// most maxLoggedPath bytes of the path, and metrics label every method
// HTTP does not define OTHER, so neither grows with what is sent.
func TestMadeUpRequestsCostBoundedLogAndMetrics(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	reg := prometheus.NewRegistry()
	h := httpserver.New(httpserver.Config{Logger: log, Registry: reg}).Handler()
	long := "/" + strings.Repeat("a", 60000)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", long, nil))
	if n := buf.Len(); n > 1000 {
		t.Errorf("a request of a 60 KB path logged %d bytes", n)
	}
	for i := range 50 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("M"+strconv.Itoa(i), "/healthz", nil))
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	methods := map[string]bool{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "method" {
					methods[l.GetValue()] = true
				}
			}
		}
	}
	if len(methods) != 2 || !methods["GET"] || !methods["OTHER"] {
		t.Errorf("metrics label methods %v, want GET and OTHER", methods)
	}
}
