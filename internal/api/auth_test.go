package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/api"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/httpserver"
	"github.com/rosterhq/roster/internal/password"
	"github.com/rosterhq/roster/internal/sqlite"
	"github.com/rosterhq/roster/policy"
)

// Sessions, tokens and authentication (SPEC §4, §5 and §7): the attacks
// identity systems have fallen to — session fixation, sessions that outlive
// a logout or a password change, tokens that outlive a removal or carry more
// than their creator, user enumeration at login, lock-outs nobody recovers
// from.

// serverOptions are what these tests change of the harness's server.
type serverOptions struct {
	// store, when set, is shared with another server: a second instance.
	store roster.Store
	// hasher replaces the harness's cheap hasher.
	hasher *password.Hasher
	limits *httpserver.Limits
	// trusted are the proxies whose X-Forwarded-For names the client.
	trusted []netip.Prefix
}

// newServer is newHarnessWith with a hasher and a store of the test's
// choosing (harnessOptions has neither).
func newServer(t *testing.T, o serverOptions) *harness {
	t.Helper()
	ctx := context.Background()
	if o.store == nil {
		store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "roster.db"))
		if err != nil {
			t.Fatalf("sqlite.Open: %v", err)
		}
		t.Cleanup(func() { store.Close() })
		o.store = store
	}
	if o.hasher == nil {
		o.hasher = password.NewHasher(password.Params{MemoryKiB: 64, Passes: 1, Lanes: 1}, 4)
	}
	if o.limits == nil {
		o.limits = httpserver.NewLimits(100000, 100000, nil, nil)
	}
	h := &harness{t: t, ctx: ctx, store: o.store}
	var handler http.Handler
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(h.srv.Close)
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	h.app = app.New(app.Config{Store: o.store, Hasher: o.hasher, BaseURL: h.srv.URL, Logger: log})
	registry := prometheus.NewRegistry()
	handler = httpserver.New(httpserver.Config{
		Store: o.store, Logger: log, Auth: h.app, Registry: registry, TrustedProxies: o.trusted,
		API: api.New(api.Config{App: h.app, Logger: log, Registerer: registry, Limits: o.limits}),
	}).Handler()
	return h
}

// testClock is a clock the test moves.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// sessionCookie returns the session cookie a response sets, or nil.
func sessionCookie(r *response) *http.Cookie {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == httpserver.SessionCookie {
			return c
		}
	}
	return nil
}

// login signs c in by the API.
func (c *client) login(email, pass string) *response {
	c.tb().Helper()
	return c.json("POST", "/api/v1/session", map[string]string{"email": email, "password": pass})
}

// as returns a client of h that sends raw as its session cookie.
func (h *harness) as(name, raw string) *client {
	c := h.client(name)
	c.setSession(raw)
	return c
}

// meAs returns who the session or token of c is, or "" when it is not
// signed in.
func meAs(t *testing.T, c *client) string {
	t.Helper()
	r := c.in(t).get("/api/v1/me")
	if r.status == http.StatusUnauthorized {
		wantProblem(t, r, http.StatusUnauthorized, roster.CodeUnauthenticated)
		return ""
	}
	return decodeAs[meBody](t, r, http.StatusOK).User.Email
}

func TestLoginStartsANewSession(t *testing.T) {
	h := newHarness(t)
	h.owner("bigeye", "olive@acme.test")
	h.owner("bigeye", "mallory@evil.test")

	t.Run("two logins, two sessions", func(t *testing.T) {
		first := h.client("first").in(t)
		second := h.client("second").in(t)
		wantStatus(t, first.login("olive@acme.test", pw), http.StatusOK)
		wantStatus(t, second.login("olive@acme.test", pw), http.StatusOK)
		if first.session() == "" || first.session() == second.session() {
			t.Errorf("two logins got sessions %q and %q, want two different ones", first.session(), second.session())
		}
		// Logging in again in the same browser replaces the session.
		again := first.session()
		wantStatus(t, first.login("olive@acme.test", pw), http.StatusOK)
		if first.session() == again {
			t.Errorf("a second login in the same browser kept the session id")
		}
	})

	t.Run("a cookie planted before login is not adopted", func(t *testing.T) {
		// The attacker plants a session id of their choosing, and then one
		// of their own real sessions, in the victim's browser.
		mallory := h.client("mallory").in(t)
		wantStatus(t, mallory.login("mallory@evil.test", pw), http.StatusOK)
		for _, planted := range []string{"rss_" + strings.Repeat("A", 43), mallory.session()} {
			victim := h.client("victim").in(t)
			victim.setSession(planted)
			r := victim.login("olive@acme.test", pw)
			wantStatus(t, r, http.StatusOK)
			c := sessionCookie(r)
			if c == nil {
				t.Fatalf("login set no session cookie over the planted one")
			}
			if c.Value == planted {
				t.Errorf("login adopted the planted session id")
			}
			if got := meAs(t, victim); got != "olive@acme.test" {
				t.Errorf("after login the victim's browser is %q, want olive@acme.test", got)
			}
			// The planted id gives the attacker nothing of the victim's.
			if got := meAs(t, h.as("attacker", planted)); got == "olive@acme.test" {
				t.Errorf("the planted session id now signs in as the victim")
			}
		}
	})

	t.Run("a refused login sets no cookie", func(t *testing.T) {
		r := h.client("guesser").in(t).login("olive@acme.test", "not the password")
		wantProblem(t, r, http.StatusUnauthorized, roster.CodeUnauthenticated)
		if c := sessionCookie(r); c != nil && c.Value != "" {
			t.Errorf("a refused login set the session cookie %q", c.Value)
		}
	})
}

func TestLogoutEndsTheSession(t *testing.T) {
	h := newHarness(t)
	h.owner("bigeye", "olive@acme.test")
	c := h.client("olive")
	wantStatus(t, c.login("olive@acme.test", pw), http.StatusOK)
	raw := c.session()
	wantStatus(t, c.send("DELETE", "/api/v1/session", "", nil), http.StatusNoContent)
	// The cookie, kept by a browser that ignored the deletion, is dead.
	wantProblem(t, h.as("replay", raw).get("/api/v1/me"), http.StatusUnauthorized, roster.CodeUnauthenticated)
	wantProblem(t, h.as("replay", raw).send("DELETE", "/api/v1/session", "", nil), http.StatusUnauthorized, roster.CodeUnauthenticated)
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	h := newHarness(t)
	acc, _ := h.owner("bigeye", "olive@acme.test")
	laptop, phone, tablet := h.client("laptop"), h.client("phone"), h.client("tablet")
	for _, c := range []*client{laptop, phone, tablet} {
		wantStatus(t, c.login("olive@acme.test", pw), http.StatusOK)
	}
	tok := laptop.newToken(acc)
	const next = "a brand new passphrase"

	// A wrong current password changes nothing and ends nothing.
	r := laptop.json("POST", "/api/v1/me/password", map[string]string{"current": "not the password", "new": next})
	if p := wantProblem(t, r, http.StatusBadRequest, roster.CodeInvalidInput); p.Field != "current" {
		t.Errorf("wrong current password: field %q, want current", p.Field)
	}
	for _, c := range []*client{laptop, phone, tablet} {
		if meAs(t, c) == "" {
			t.Errorf("%s was signed out by a refused password change", c.name)
		}
	}
	// Nor can a token change it (the token holder does not know it).
	wantProblem(t, tok.json("POST", "/api/v1/me/password", map[string]string{"current": pw, "new": next}), http.StatusForbidden, roster.CodeForbidden)

	wantStatus(t, laptop.json("POST", "/api/v1/me/password", map[string]string{"current": pw, "new": next}), http.StatusNoContent)
	if meAs(t, laptop) != "olive@acme.test" {
		t.Errorf("the session that changed the password was ended")
	}
	for _, c := range []*client{phone, tablet} {
		if got := meAs(t, c); got != "" {
			t.Errorf("%s is still signed in as %q after the password changed elsewhere", c.name, got)
		}
	}
	wantProblem(t, h.client("old").login("olive@acme.test", pw), http.StatusUnauthorized, roster.CodeUnauthenticated)
	wantStatus(t, h.client("new").login("olive@acme.test", next), http.StatusOK)
}

// Disable, remove and demotion act on the member's very next request, by
// session and by token, on this instance and on another one sharing the
// database (SPEC §4, §7).
func TestLossOfAccessOnTheNextRequest(t *testing.T) {
	one := newHarness(t)
	two := newServer(t, serverOptions{store: one.store}) // a second instance
	acc, owner := one.owner("bigeye", "olive@acme.test")
	ada := one.member(acc, owner, "ada@acme.test", "Admin")
	user := one.member(acc, owner, "uma@acme.test", "User")
	tok := ada.newToken(acc)
	base := "/api/v1/accounts/" + acc
	adaPath := base + "/members/" + ada.userID

	// Ada by session and by token, on both instances.
	var adas []*client
	for _, h := range []*harness{one, two} {
		s := h.as("ada (session) on "+h.srv.URL, ada.session())
		s.userID = ada.userID
		b := h.bearerClient("ada (token) on "+h.srv.URL, tok.bearer)
		b.userID = ada.userID
		adas = append(adas, s, b)
	}
	// canDisable is what Ada may do to Uma as an Admin: disable and enable.
	canDisable := func(t *testing.T, c *client) {
		t.Helper()
		wantStatus(t, c.in(t).json("PATCH", base+"/members/"+user.userID, map[string]string{"status": "disabled"}), http.StatusOK)
		wantStatus(t, c.in(t).json("PATCH", base+"/members/"+user.userID, map[string]string{"status": "active"}), http.StatusOK)
	}
	// checkSelf asks the check API whether Ada may disable members: the
	// hot path an instance is most tempted to cache.
	checkSelf := func(t *testing.T, c *client) *response {
		t.Helper()
		return c.in(t).json("POST", base+"/check", map[string]string{"user": ada.userID, "permission": "members.disable"})
	}
	granted := func(t *testing.T, c *client, want bool) {
		t.Helper()
		if got := decodeAs[checkBody](t, checkSelf(t, c), http.StatusOK); got.Allowed != want {
			t.Errorf("%s: check members.disable = %+v, want allowed %v", c.name, got, want)
		}
	}
	for _, c := range adas {
		canDisable(t, c)
		granted(t, c, true)
	}

	t.Run("disable", func(t *testing.T) {
		wantStatus(t, owner.in(t).json("PATCH", adaPath, map[string]string{"status": "disabled"}), http.StatusOK)
		for _, c := range adas {
			wantProblem(t, c.in(t).get(base+"/members"), http.StatusNotFound, roster.CodeNotFound)
			wantProblem(t, c.in(t).json("PATCH", base+"/members/"+user.userID, map[string]string{"status": "disabled"}), http.StatusNotFound, roster.CodeNotFound)
			wantProblem(t, checkSelf(t, c), http.StatusNotFound, roster.CodeNotFound)
		}
		wantStatus(t, owner.in(t).json("PATCH", adaPath, map[string]string{"status": "active"}), http.StatusOK)
		for _, c := range adas {
			canDisable(t, c)
			granted(t, c, true)
		}
	})

	t.Run("demotion", func(t *testing.T) {
		wantStatus(t, owner.in(t).json("PATCH", adaPath, map[string]string{"role": "User"}), http.StatusOK)
		for _, c := range adas {
			// A User may not disable anyone, nor give the Admin role.
			wantProblem(t, c.in(t).json("PATCH", base+"/members/"+user.userID, map[string]string{"status": "disabled"}), http.StatusForbidden, roster.CodeForbidden)
			wantProblem(t, c.in(t).json("PATCH", base+"/members/"+user.userID, map[string]string{"role": "Admin"}), http.StatusForbidden, roster.CodeInsufficientRole)
			wantProblem(t, c.in(t).send("DELETE", base+"/members/"+user.userID, "", nil), http.StatusForbidden, roster.CodeForbidden)
			granted(t, c, false)
		}
		wantStatus(t, owner.in(t).json("PATCH", adaPath, map[string]string{"role": "Admin"}), http.StatusOK)
		for _, c := range adas {
			canDisable(t, c)
			granted(t, c, true)
		}
	})

	t.Run("remove", func(t *testing.T) {
		wantStatus(t, owner.in(t).send("DELETE", adaPath, "", nil), http.StatusNoContent)
		for _, c := range adas {
			r := c.in(t).get(base + "/members")
			// A session is still a signed-in person, who is no member
			// (not_found); the token was for this account only and died
			// with the membership (unauthenticated). Either way: no access.
			for _, r := range []*response{r, checkSelf(t, c)} {
				switch r.status {
				case http.StatusNotFound:
					wantProblem(t, r, http.StatusNotFound, roster.CodeNotFound)
				default:
					wantProblem(t, r, http.StatusUnauthorized, roster.CodeUnauthenticated)
				}
			}
		}
		// Invited again, Ada comes back with the new role, and the old
		// token does not come back to life.
		m := decodeAs[memberBody](t, owner.in(t).json("POST", base+"/invitations", map[string]string{"email": "ada@acme.test", "role": "User"}), http.StatusCreated)
		one.accept("ada@acme.test", one.invitationLink(acc, m.User))
		for _, c := range []*client{adas[1], adas[3]} { // the token, on both instances
			if r := c.in(t).get(base + "/members"); r.status < 400 {
				t.Errorf("the token of a removed member works again after a new invitation: %d", r.status)
			}
		}
	})
}

// An API token never carries more than its creator holds now: one account,
// the creator's current role there, no tokens, no transfer, no password.
func TestTokenNeverExceedsItsCreator(t *testing.T) {
	h := newHarness(t)
	acc, owner := h.owner("bigeye", "olive@acme.test")
	// Olive is also a member of another account, as a Developer.
	other, ownerB := h.owner("bizmetry", "boss@bizmetry.test")
	m := decodeAs[memberBody](t, ownerB.json("POST", "/api/v1/accounts/"+other+"/invitations",
		map[string]string{"email": "olive@acme.test", "role": "Developer"}), http.StatusCreated)
	h.accept("olive again", h.invitationLink(other, m.User))
	ada := h.member(acc, owner, "ada@acme.test", "Admin")
	tok := owner.newToken(acc)

	// The token acts in its account only.
	wantProblem(t, tok.get("/api/v1/accounts/"+other+"/members"), http.StatusNotFound, roster.CodeNotFound)
	me := decodeAs[meBody](t, tok.get("/api/v1/me"), http.StatusOK)
	if len(me.Memberships) != 1 || me.Memberships[0].Account != acc {
		t.Errorf("the token's /me shows %+v, want only account %s", me.Memberships, acc)
	}
	// The scheme's name is case-insensitive: some clients send "bearer".
	req, _ := http.NewRequest("GET", h.srv.URL+"/api/v1/me", nil)
	req.Header.Set("Authorization", "bearer "+tok.bearer)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("the token with a lowercase scheme: %v, %v; want 200", resp, err)
	} else {
		resp.Body.Close()
	}
	// Another scheme is another layer's (a proxy's Basic authentication):
	// ignored, so that the cookie still signs one in, and an API call
	// without one is told how to authenticate.
	basic := h.client("behind basic auth")
	basic.header.Set("Authorization", "Basic dXNlcjpwYXNz")
	wantProblem(t, basic.get("/api/v1/me"), http.StatusUnauthorized, roster.CodeUnauthenticated)
	owner.header.Set("Authorization", "Basic dXNlcjpwYXNz")
	if got := meAs(t, owner); got != "olive@acme.test" {
		t.Errorf("a session cookie beside Basic credentials is %q, want Olive", got)
	}
	owner.header.Del("Authorization")
	// No token from a token, no transfer, no password change, no logout.
	wantProblem(t, tok.json("POST", "/api/v1/tokens", map[string]string{"name": "child", "account": acc}), http.StatusForbidden, roster.CodeForbidden)
	wantProblem(t, tok.json("POST", "/api/v1/tokens", map[string]string{"name": "child", "account": other}), http.StatusNotFound, roster.CodeNotFound)
	wantProblem(t, tok.json("POST", "/api/v1/accounts/"+acc+"/ownership-transfer", map[string]string{"user": ada.userID, "password": pw}),
		http.StatusForbidden, roster.CodeForbidden)
	wantProblem(t, tok.json("POST", "/api/v1/me/password", map[string]string{"current": pw, "new": "another fine password"}),
		http.StatusForbidden, roster.CodeForbidden)
	wantProblem(t, tok.send("DELETE", "/api/v1/session", "", nil), http.StatusForbidden, roster.CodeForbidden)
	// Nor a rename; and forbidden comes before anything wrong with the body.
	wantProblem(t, tok.json("PATCH", "/api/v1/me", map[string]string{"name": "Renamed by Token"}), http.StatusForbidden, roster.CodeForbidden)
	wantProblem(t, tok.send("PATCH", "/api/v1/me", "application/json", []byte(`{"bogus": 1}`)), http.StatusForbidden, roster.CodeForbidden)
	wantProblem(t, tok.send("POST", "/api/v1/me/password", "application/json", []byte(`{"bogus": 1}`)), http.StatusForbidden, roster.CodeForbidden)
	if got := decodeAs[memberBody](t, owner.get("/api/v1/accounts/"+acc+"/members/"+ada.userID), http.StatusOK); got.Role != "Admin" {
		t.Errorf("Ada is %s after refused token requests, want Admin", got.Role)
	}
	// A token cannot be used in another account even by naming it.
	wantProblem(t, tok.json("POST", "/api/v1/accounts/"+other+"/invitations", map[string]string{"email": "x@acme.test", "role": "Developer"}),
		http.StatusNotFound, roster.CodeNotFound)
	// A garbage or revoked token is refused, not treated as anonymous.
	wantProblem(t, h.bearerClient("forger", "rst_"+strings.Repeat("A", 43)).get("/api/v1/me"), http.StatusUnauthorized, roster.CodeUnauthenticated)
	list := decodeAs[listBody[tokenBody]](t, owner.get("/api/v1/tokens"), http.StatusOK)
	for _, tk := range list.Items {
		if tk.Token != "" {
			t.Errorf("the token list shows a token's secret")
		}
		if tk.LastUsedAt == nil {
			t.Errorf("the token list shows no last use of a token just used")
		}
		wantStatus(t, owner.send("DELETE", "/api/v1/tokens/"+tk.ID, "", nil), http.StatusNoContent)
	}
	wantProblem(t, tok.get("/api/v1/me"), http.StatusUnauthorized, roster.CodeUnauthenticated)
}

// Ownership transfer asks for the password again (SPEC §3 rule 5): a stolen
// session cookie is not enough to take the account.
func TestTransferAsksForThePassword(t *testing.T) {
	for _, catalog := range []string{"bigeye", "bizmetry"} {
		t.Run(catalog, func(t *testing.T) {
			tb := bigeyeRoles
			if catalog == "bizmetry" {
				tb = bizmetryRoles
			}
			h := newHarness(t)
			acc, owner := h.owner(catalog, "olive@acme.test")
			heir := h.member(acc, owner, "heir@acme.test", tb.lowest().name)
			base := "/api/v1/accounts/" + acc
			transfer := base + "/ownership-transfer"
			tok := owner.newToken(acc)
			before := state(t, owner, acc)
			for _, body := range []any{
				map[string]string{"user": heir.userID, "password": pw + " "},
				map[string]string{"user": heir.userID, "password": strings.ToUpper(pw)},
				map[string]string{"user": heir.userID, "password": ""},
				map[string]string{"user": heir.userID},
			} {
				wantProblem(t, owner.in(t).json("POST", transfer, body), http.StatusForbidden, roster.CodeForbidden)
			}
			wantProblem(t, tok.in(t).json("POST", transfer, map[string]string{"user": heir.userID, "password": pw}), http.StatusForbidden, roster.CodeForbidden)
			if after := state(t, owner, acc); after != before {
				t.Errorf("a refused transfer changed the account:\nbefore: %s\nafter: %s", before, after)
			}

			got := decodeAs[memberBody](t, owner.in(t).json("POST", transfer, map[string]string{"user": heir.userID, "password": pw}), http.StatusOK)
			if got.Role != tb.owner {
				t.Errorf("the heir is %s, want %s", got.Role, tb.owner)
			}
			all := listAll(t, heir, acc)
			if r := all["olive@acme.test"].Role; r != tb.fallback {
				t.Errorf("the former owner is %s, want %s", r, tb.fallback)
			}
			// The former owner cannot take it back: not by transfer, not
			// by giving themself the owner role.
			wantProblem(t, owner.in(t).json("POST", transfer, map[string]string{"user": owner.userID, "password": pw}), http.StatusForbidden, roster.CodeForbidden)
			wantProblem(t, owner.in(t).json("PATCH", base+"/members/"+owner.userID, map[string]string{"role": tb.owner}), http.StatusForbidden, roster.CodeInsufficientRole)
			// Nor to a stranger, nor from the heir to a non-member.
			wantProblem(t, heir.in(t).json("POST", transfer, map[string]string{"user": "usr_nobody", "password": pw}), http.StatusNotFound, roster.CodeNotFound)
		})
	}
}

// loginAnswer is everything a client can see of a login's answer but the
// Date header.
func loginAnswer(r *response) string {
	hdr := r.header.Clone()
	hdr.Del("Date")
	var b bytes.Buffer
	hdr.Write(&b)
	return strconv.Itoa(r.status) + "\n" + b.String() + "\n" + string(r.body)
}

// Unknown, disabled, pending and wrong-password logins get the same answer,
// byte for byte (SPEC §4: "refused exactly like a wrong password").
func TestLoginFailuresAreIdentical(t *testing.T) {
	h := newHarness(t)
	acc, owner := h.owner("bigeye", "olive@acme.test")
	// Pat is invited, never registered; Dora is disabled in her only
	// account; Rex was removed from his only account; Mia is disabled in one
	// account but active in another, and so may log in.
	wantStatus(t, owner.json("POST", "/api/v1/accounts/"+acc+"/invitations", map[string]string{"email": "pat@acme.test", "role": "User"}), http.StatusCreated)
	dora := h.member(acc, owner, "dora@acme.test", "User")
	wantStatus(t, owner.json("PATCH", "/api/v1/accounts/"+acc+"/members/"+dora.userID, map[string]string{"status": "disabled"}), http.StatusOK)
	rex := h.member(acc, owner, "rex@acme.test", "User")
	wantStatus(t, owner.send("DELETE", "/api/v1/accounts/"+acc+"/members/"+rex.userID, "", nil), http.StatusNoContent)
	mia := h.member(acc, owner, "mia@acme.test", "User")
	wantStatus(t, owner.json("PATCH", "/api/v1/accounts/"+acc+"/members/"+mia.userID, map[string]string{"status": "disabled"}), http.StatusOK)
	acc2, owner2 := h.owner("bizmetry", "boss@bizmetry.test")
	h.member(acc2, owner2, "mia@acme.test", "Developer")

	want := h.client("anon").login("olive@acme.test", "not the password")
	wantProblem(t, want, http.StatusUnauthorized, roster.CodeUnauthenticated)
	for _, tt := range []struct{ name, email, password string }{
		{"unknown email", "nobody@acme.test", "not the password"},
		{"unknown email, right password of another", "nobody@acme.test", pw},
		{"unknown email in another case", "NOBODY@acme.test", pw},
		{"malformed email", "nobody", "not the password"},
		{"pending, never registered", "pat@acme.test", "not the password"},
		{"disabled everywhere, right password", "dora@acme.test", pw},
		{"disabled everywhere, wrong password", "dora@acme.test", "not the password"},
		{"removed from everywhere, right password", "rex@acme.test", pw},
		{"wrong password in another case", "OLIVE@acme.test", "not the password"},
		{"the password in another case", "olive@acme.test", strings.ToUpper(pw)},
	} {
		got := h.client("anon").login(tt.email, tt.password)
		if loginAnswer(got) != loginAnswer(want) {
			t.Errorf("%s: got\n%s\nwant\n%s", tt.name, loginAnswer(got), loginAnswer(want))
		}
	}
	// No password at all is the client's mistake, told alike whoever the
	// email is: a pending member, who has none yet, included.
	empty := h.client("anon").login("olive@acme.test", "")
	wantProblem(t, empty, http.StatusBadRequest, roster.CodeInvalidInput)
	for _, email := range []string{"pat@acme.test", "nobody@acme.test", "dora@acme.test"} {
		if got := h.client("anon").login(email, ""); loginAnswer(got) != loginAnswer(empty) {
			t.Errorf("%s, empty password: got\n%s\nwant\n%s", email, loginAnswer(got), loginAnswer(empty))
		}
	}
	wantStatus(t, h.client("mia").login("mia@acme.test", pw), http.StatusOK)
}

// An unknown email pays for one password hash, as a wrong password does:
// the time a login takes does not tell who has an account.
func TestUnknownEmailPaysForAHash(t *testing.T) {
	hasher := password.NewHasher(password.Params{MemoryKiB: 64, Passes: 1, Lanes: 1}, 4)
	h := newServer(t, serverOptions{hasher: hasher})
	acc, owner := h.owner("bigeye", "olive@acme.test")
	wantStatus(t, owner.json("POST", "/api/v1/accounts/"+acc+"/invitations", map[string]string{"email": "pat@acme.test", "role": "User"}), http.StatusCreated)
	dora := h.member(acc, owner, "dora@acme.test", "User")
	wantStatus(t, owner.json("PATCH", "/api/v1/accounts/"+acc+"/members/"+dora.userID, map[string]string{"status": "disabled"}), http.StatusOK)
	// The dummy hash compared against is made the first time it is needed;
	// make it now so that it is not counted below.
	h.client("warm-up").login("warm-up@acme.test", "not the password")

	for _, tt := range []struct{ name, email, password string }{
		{"wrong password", "olive@acme.test", "not the password"},
		{"unknown email", "nobody@acme.test", "not the password"},
		{"unknown email, right password of another", "nobody@acme.test", pw},
		{"malformed email", "nobody", "not the password"},
		{"pending, never registered", "pat@acme.test", "not the password"},
		{"disabled everywhere", "dora@acme.test", pw},
		{"right password", "olive@acme.test", pw},
	} {
		before := hasher.Derivations()
		h.client("anon").login(tt.email, tt.password)
		if got := hasher.Derivations() - before; got != 1 {
			t.Errorf("%s: login derived %d password hashes, want 1", tt.name, got)
		}
	}
}

// BenchmarkLoginTiming measures failed logins over HTTP with the production
// argon2id parameters: an unknown email, a wrong password, a disabled user
// and a pending one should cost alike (the figures go into docs).
//
//	go test -run '^$' -bench BenchmarkLoginTiming ./internal/api/
func BenchmarkLoginTiming(b *testing.B) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "roster.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	defer srv.Close()
	log := slog.New(slog.DiscardHandler)
	a := app.New(app.Config{Store: store, Hasher: password.NewHasher(password.DefaultParams, 2), BaseURL: srv.URL, Logger: log})
	handler = httpserver.New(httpserver.Config{
		Store: store, Logger: log, Auth: a, Registry: prometheus.NewRegistry(),
		API: api.New(api.Config{App: a, Logger: log, Limits: httpserver.NewLimits(1<<30, 1<<30, nil, nil)}),
	}).Handler()

	catalog, err := policy.Builtin("bigeye")
	if err != nil {
		b.Fatal(err)
	}
	created, err := a.CreateAccount(ctx, app.NewAccount{Name: "Acme", OwnerEmail: "olive@acme.test", OwnerName: "Olive", Catalog: catalog})
	if err != nil {
		b.Fatal(err)
	}
	accept := func(link string) *app.Accepted {
		u, err := url.Parse(link)
		if err != nil {
			b.Fatal(err)
		}
		acc, err := a.AcceptInvitation(ctx, "127.0.0.1", app.Acceptance{Token: u.Query().Get("token"), Name: "Someone", Password: pw})
		if err != nil {
			b.Fatal(err)
		}
		return acc
	}
	owner := roster.Principal{UserID: accept(created.ActivationURL).User.ID}
	invite := func(email string) *roster.Member {
		m, err := a.Invite(ctx, owner, created.Account.ID, app.Invitation{Email: email, Role: "User"})
		if err != nil {
			b.Fatal(err)
		}
		return m
	}
	invite("pat@acme.test")
	dora := invite("dora@acme.test")
	var link string
	err = store.Read(ctx, func(tx roster.Tx) error {
		msgs, err := tx.Messages("", 100)
		for _, m := range msgs {
			if m.UserID == dora.UserID && link == "" {
				link = m.Link
			}
		}
		return err
	})
	if err != nil || link == "" {
		b.Fatalf("no link for dora: %v", err)
	}
	accept(link)
	if _, err := a.SetStatus(ctx, owner, created.Account.ID, dora.UserID, "disabled"); err != nil {
		b.Fatal(err)
	}

	hc := srv.Client()
	// The dummy hash an unknown email is compared against is made on first
	// use: make it before measuring.
	res, err := hc.Post(srv.URL+"/api/v1/session", "application/json", strings.NewReader(`{"email":"warm@acme.test","password":"warm-up password"}`))
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	for _, bm := range []struct{ name, email, password string }{
		{"unknown", "nobody@acme.test", "not the password"},
		{"wrong-password", "olive@acme.test", "not the password"},
		{"disabled", "dora@acme.test", pw},
		{"pending", "pat@acme.test", "not the password"},
	} {
		body, _ := json.Marshal(map[string]string{"email": bm.email, "password": bm.password})
		b.Run(bm.name, func(b *testing.B) {
			for b.Loop() {
				res, err := hc.Post(srv.URL+"/api/v1/session", "application/json", bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusUnauthorized {
					b.Fatalf("status %d, want 401", res.StatusCode)
				}
			}
		})
	}
}

// The password policy of SPEC §4, wherever a password is set: at least 10
// characters (not bytes), not a common one, never truncated.
func TestPasswordPolicy(t *testing.T) {
	h := newHarness(t)
	acc, owner := h.owner("bigeye", "olive@acme.test")
	m := decodeAs[memberBody](t, owner.json("POST", "/api/v1/accounts/"+acc+"/invitations", map[string]string{"email": "nina@acme.test", "role": "User"}), http.StatusCreated)
	token := tokenOf(t, h.invitationLink(acc, m.User))

	refused := []struct{ name, password string }{
		{"9 characters", "abcdefgh9"},
		{"9 characters in 18 bytes", "ääääääää9"},
		{"common", "qwertyuiop"},
		{"common in another case", "Password123"},
		{"the email", "nina@acme.test"},
		{"257 characters", strings.Repeat("x", 256) + "y"},
		{"empty", ""},
	}
	for _, tt := range refused {
		r := h.client("nina").json("POST", "/api/v1/invitations/accept", map[string]string{"token": token, "name": "Nina", "password": tt.password})
		if p := wantProblem(t, r, http.StatusBadRequest, roster.CodeInvalidInput); p.Field != "password" {
			t.Errorf("accept with %s: field %q, want password", tt.name, p.Field)
		}
	}
	// Ten characters are enough, whatever their bytes.
	nina := h.client("nina")
	wantStatus(t, nina.json("POST", "/api/v1/invitations/accept", map[string]string{"token": token, "name": "Nina", "password": "ääääääääää"}), http.StatusOK)
	wantStatus(t, h.client("nina").login("nina@acme.test", "ääääääääää"), http.StatusOK)

	// Changing and resetting refuse the same passwords.
	current := "ääääääääää"
	for _, tt := range refused {
		r := nina.json("POST", "/api/v1/me/password", map[string]string{"current": current, "new": tt.password})
		if p := wantProblem(t, r, http.StatusBadRequest, roster.CodeInvalidInput); p.Field != "new" {
			t.Errorf("change to %s: field %q, want new", tt.name, p.Field)
		}
	}
	wantStatus(t, h.client("anon").json("POST", "/api/v1/password-reset", map[string]string{"email": "nina@acme.test"}), http.StatusAccepted)
	reset := tokenOf(t, h.outboxLink(func(m *roster.Message) bool { return m.Kind == roster.MessagePasswordReset && m.To == "nina@acme.test" }))
	for _, tt := range refused {
		r := h.client("anon").json("POST", "/api/v1/password-reset/confirm", map[string]string{"token": reset, "password": tt.password})
		if p := wantProblem(t, r, http.StatusBadRequest, roster.CodeInvalidInput); p.Field != "password" {
			t.Errorf("reset to %s: field %q, want password", tt.name, p.Field)
		}
	}

	// Never truncated: a password that differs only after character 100
	// (or only in its 256th) is another password.
	for _, n := range []int{101, 256} {
		long := strings.Repeat("correct horse battery staple ", 10)[:n-1] + "A"
		wantStatus(t, nina.json("POST", "/api/v1/me/password", map[string]string{"current": current, "new": long}), http.StatusNoContent)
		current = long
		for _, wrong := range []string{long[:n-1] + "B", long[:n-1], long[:100], long[:72], long + "A"} {
			if len(wrong) > 256 {
				continue
			}
			wantProblem(t, h.client("anon").login("nina@acme.test", wrong), http.StatusUnauthorized, roster.CodeUnauthenticated)
		}
		wantStatus(t, h.client("nina").login("nina@acme.test", long), http.StatusOK)
	}
}

// An attacker who knows an email cannot keep its owner out (DECISIONS 63):
// guesses from one address (an IPv6 address by its /64) spend that
// address's attempts for the email, not the owner's, and the owner signs in
// and resets the password from their own; a reset asked for by the attacker
// does not kill the owner's link. Guesses from many addresses share a wider
// bucket of the email's, which bounds them too; a success forgets it.
func TestLockoutTheOwnerRecoversFrom(t *testing.T) {
	clock := &testClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	h := newServer(t, serverOptions{limits: httpserver.NewLimits(1000, 3, nil, clock.Now),
		trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}})
	h.owner("bigeye", "olive@acme.test")
	from := func(name, addr string) *client {
		c := h.client(name)
		c.header.Set("X-Forwarded-For", addr)
		return c
	}
	attacker, real := from("attacker", "203.0.113.7"), from("olive", "198.51.100.2")

	for i := range 3 {
		wantProblem(t, attacker.login("olive@acme.test", "guess "+strconv.Itoa(i)), http.StatusUnauthorized, roster.CodeUnauthenticated)
	}
	// The bucket is per email, whatever its case or spacing.
	for _, email := range []string{"olive@acme.test", "OLIVE@acme.test", " olive@acme.test "} {
		r := attacker.login(email, "guess again")
		wantProblem(t, r, http.StatusTooManyRequests, roster.CodeRateLimited)
		if wait, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || wait < 1 || wait > 30 {
			t.Fatalf("Retry-After = %q, want 1–30 seconds", r.header.Get("Retry-After"))
		}
	}
	// An IPv6 subscriber's next address is the same bucket, and so is
	// the same IPv4 address written as IPv6.
	for i := range 4 {
		r := from("v6", fmt.Sprintf("2001:db8:1:2::%x", i+1)).login("olive@acme.test", "guess")
		if want := http.StatusUnauthorized; i == 3 {
			wantProblem(t, r, http.StatusTooManyRequests, roster.CodeRateLimited)
		} else if r.status != want {
			t.Fatalf("guess %d from the /64: %d, want %d", i, r.status, want)
		}
	}
	wantProblem(t, from("mapped", "::ffff:203.0.113.7").login("olive@acme.test", "guess"), http.StatusTooManyRequests, roster.CodeRateLimited)

	// The owner, from their own address, resets the password; the
	// attacker asking for a reset meanwhile does not spoil the owner's link.
	isReset := func(m *roster.Message) bool {
		return m.Kind == roster.MessagePasswordReset && m.To == "olive@acme.test"
	}
	wantStatus(t, real.json("POST", "/api/v1/password-reset", map[string]string{"email": "olive@acme.test"}), http.StatusAccepted)
	reset := tokenOf(t, h.outboxLink(isReset))
	wantStatus(t, attacker.json("POST", "/api/v1/password-reset", map[string]string{"email": "olive@acme.test"}), http.StatusAccepted)
	other := h.outboxLink(isReset)
	if tokenOf(t, other) == reset {
		t.Fatal("the second reset asked for wrote no link")
	}
	const next = "a fresh passphrase for olive"
	wantStatus(t, real.json("POST", "/api/v1/password-reset/confirm", map[string]string{"token": reset, "password": next}), http.StatusNoContent)
	// Once one link is used, the others are dead.
	wantProblem(t, real.json("POST", "/api/v1/password-reset/confirm", map[string]string{"token": tokenOf(t, other), "password": "yet another passphrase"}),
		http.StatusBadRequest, roster.CodeInvalidToken)
	wantStatus(t, real.login("olive@acme.test", next), http.StatusOK)
	if meAs(t, real) != "olive@acme.test" {
		t.Errorf("the owner is not signed in while the attacker is limited")
	}

	// Guesses from many addresses: five addresses' worth, then every
	// address waits, the owner's too, until the bucket refills.
	for i := range 15 {
		wantProblem(t, from("botnet", fmt.Sprintf("192.0.2.%d", i/3+1)).login("olive@acme.test", "guess"), http.StatusUnauthorized, roster.CodeUnauthenticated)
	}
	wantProblem(t, from("botnet", "192.0.2.99").login("olive@acme.test", "guess"), http.StatusTooManyRequests, roster.CodeRateLimited)
	wantProblem(t, real.login("olive@acme.test", next), http.StatusTooManyRequests, roster.CodeRateLimited)
	clock.Add(6 * time.Second)
	wantStatus(t, real.login("olive@acme.test", next), http.StatusOK)
	// A success forgets the failures before it: a typo now is just a typo.
	wantProblem(t, real.login("olive@acme.test", "a typo"), http.StatusUnauthorized, roster.CodeUnauthenticated)
}
