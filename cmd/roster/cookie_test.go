package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
)

// TestHTTPSSessionCookieIsHostOnly: with an https base URL the session
// cookie is __Host-roster_session (Secure, Path=/, no Domain), and only that
// name signs in: a roster_session cookie planted by a sibling subdomain or
// over plain HTTP is ignored. Over http the name stays roster_session.
func TestHTTPSSessionCookieIsHostOnly(t *testing.T) {
	for _, tc := range []struct {
		base, name, other string
		secure            bool
	}{
		{"https://roster.test", "__Host-roster_session", "roster_session", true},
		{"http://roster.test", "roster_session", "__Host-roster_session", false},
	} {
		t.Run(tc.base, func(t *testing.T) {
			env := []string{"ROSTER_DB=" + filepath.Join(t.TempDir(), "r.db"), "ROSTER_BASE_URL=" + tc.base}
			out, errOut, code := runRoster(t, env, "account", "create", "--name", "Acme", "--owner-email", "olive@acme.test")
			if code != 0 {
				t.Fatalf("account create: %s", errOut)
			}
			var created map[string]string
			json.Unmarshal([]byte(out), &created)
			s := startServer(t, env, freePort(t))

			body, _ := json.Marshal(map[string]string{"token": tokenOf(t, created["activation_url"]),
				"name": "Olive Owner", "password": "olive's long password"})
			resp, err := http.Post(s.base+"/api/v1/invitations/accept", "application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			var session *http.Cookie
			for _, c := range resp.Cookies() {
				if c.Name == tc.name {
					session = c
				} else if c.Name == tc.other {
					t.Errorf("a %s cookie was set too", c.Name)
				}
			}
			if session == nil || session.Value == "" {
				t.Fatalf("no %s cookie in %q", tc.name, resp.Header.Values("Set-Cookie"))
			}
			if session.Secure != tc.secure || session.Path != "/" || session.Domain != "" || !session.HttpOnly {
				t.Errorf("cookie %q: Secure %v, Path %q, Domain %q, HttpOnly %v", tc.name, session.Secure, session.Path, session.Domain, session.HttpOnly)
			}

			me := func(name string) int {
				req, _ := http.NewRequest("GET", s.base+"/api/v1/me", nil)
				req.AddCookie(&http.Cookie{Name: name, Value: session.Value})
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			if st := me(tc.name); st != 200 {
				t.Errorf("GET /api/v1/me with %s = %d, want 200", tc.name, st)
			}
			if st := me(tc.other); st != 401 {
				t.Errorf("GET /api/v1/me with %s = %d, want 401", tc.other, st)
			}
		})
	}
}
