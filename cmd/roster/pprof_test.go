package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPprofListensOnLoopbackOnly(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:6060": true, "[::1]:6060": true, "127.0.0.2:0": true,
		":6060": false, "0.0.0.0:6060": false, "192.0.2.1:6060": false, "localhost:6060": false, "127.0.0.1": false,
	} {
		if got := loopbackAddr(addr); got != want {
			t.Errorf("loopbackAddr(%q) = %v, want %v", addr, got, want)
		}
	}
}

// TestServeRefusesPprofOffLoopback runs roster serve with pprof on every
// interface: it exits 2 with one line before it has touched the database.
func TestServeRefusesPprofOffLoopback(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	out, errOut, code := runRoster(t, []string{"ROSTER_DB=" + db, "ROSTER_PPROF_ADDR=0.0.0.0:0"}, "serve", "--addr", "127.0.0.1:0", "--demo")
	if code != 2 || out != "" {
		t.Errorf("exit %d, stdout %q; want 2 and nothing", code, out)
	}
	if lines := strings.Split(strings.TrimSpace(errOut), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "ROSTER_PPROF_ADDR") {
		t.Errorf("stderr = %q, want one line about ROSTER_PPROF_ADDR", errOut)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("the database was created (%v): serve went on before refusing", err)
	}
}

// TestPprofAnswersLoopbackHostsOnly: a request naming another host (a name
// rebound to 127.0.0.1 by a web page) is refused.
func TestPprofAnswersLoopbackHostsOnly(t *testing.T) {
	h := pprofMux()
	for host, want := range map[string]int{
		"127.0.0.1:6060": http.StatusOK, "[::1]:6060": http.StatusOK, "localhost:6060": http.StatusOK,
		"evil.example:6060": http.StatusMisdirectedRequest, "192.0.2.1": http.StatusMisdirectedRequest, "": http.StatusMisdirectedRequest,
	} {
		r := httptest.NewRequest("GET", "/debug/pprof/", nil)
		r.Host = host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("Host %q: %d, want %d", host, w.Code, want)
		}
	}
}
