package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
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

// pw is a password every test user gets.
const pw = "a perfectly fine password"

// exchange is one request and its response, as the conformance test checks them.
type exchange struct {
	method    string
	url       string
	reqHeader http.Header
	reqBody   []byte

	status     int
	respHeader http.Header
	respBody   []byte

	// offDoc marks a request the test sends knowing that it breaks the
	// OpenAPI document (a wrong type, a missing credential): the document
	// must refuse it too, and the response must still be described.
	offDoc bool
}

// harness is a Roster server in this process: the real HTTP stack, API and
// use cases on a SQLite database of its own.
type harness struct {
	t     *testing.T
	ctx   context.Context
	store roster.Store
	app   *app.App
	srv   *httptest.Server

	mu        sync.Mutex
	exchanges []exchange
	offDoc    bool
}

// harnessOptions change the server a harness runs.
type harnessOptions struct {
	limits *httpserver.Limits
	// log, when set, receives the server's log at the info level (by
	// default warnings go to the test's log).
	log io.Writer
}

// newHarness starts a server with generous rate limits.
func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, harnessOptions{})
}

func newHarnessWith(t *testing.T, o harnessOptions) *harness {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	if o.limits == nil {
		o.limits = httpserver.NewLimits(100000, 100000, nil, nil)
	}
	h := &harness{t: t, ctx: ctx, store: store}

	// The app needs the server's address for its links, and the server
	// needs the app: the handler is set once both exist.
	var handler http.Handler
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(h.srv.Close)

	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if o.log != nil {
		log = slog.New(slog.NewTextHandler(o.log, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	h.app = app.New(app.Config{
		Store:   store,
		Hasher:  password.NewHasher(password.Params{MemoryKiB: 64, Passes: 1, Lanes: 1}, 4),
		BaseURL: h.srv.URL,
		Logger:  log,
	})
	registry := prometheus.NewRegistry()
	handler = httpserver.New(httpserver.Config{
		Store: store, Logger: log, Auth: h.app, Registry: registry,
		API: api.New(api.Config{App: h.app, Logger: log, Registerer: registry, Limits: o.limits}),
	}).Handler()
	return h
}

// testWriter sends the server's warnings and errors to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("server: %s", bytes.TrimRight(p, "\n"))
	return len(p), nil
}

// record keeps an exchange for the conformance test.
func (h *harness) record(e exchange) {
	h.mu.Lock()
	defer h.mu.Unlock()
	e.offDoc = h.offDoc
	h.exchanges = append(h.exchanges, e)
}

// recorded returns every exchange so far.
func (h *harness) recorded() []exchange {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]exchange(nil), h.exchanges...)
}

// breakingDoc runs fn, marking the requests it sends as ones the OpenAPI
// document must refuse.
func (h *harness) breakingDoc(fn func()) {
	h.mu.Lock()
	h.offDoc = true
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.offDoc = false
		h.mu.Unlock()
	}()
	fn()
}

func builtinCatalog(t *testing.T, name string) *policy.Catalog {
	t.Helper()
	c, err := policy.Builtin(name)
	if err != nil {
		t.Fatalf("policy.Builtin(%q): %v", name, err)
	}
	return c
}

// tokenOf returns the token query parameter of a link.
func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("parse link %q: %v", link, err)
	}
	tok := u.Query().Get("token")
	if tok == "" {
		t.Fatalf("link %q has no token", link)
	}
	return tok
}

// createAccount creates an account with a pending owner, and returns the
// account's id, the owner's user id and the owner's activation link.
func (h *harness) createAccount(catalog, ownerEmail string) (accountID, ownerID, link string) {
	h.t.Helper()
	out, err := h.app.CreateAccount(h.ctx, app.NewAccount{
		Name: "Acme " + catalog, OwnerEmail: ownerEmail, OwnerName: "Olive Owner", Catalog: builtinCatalog(h.t, catalog),
	})
	if err != nil {
		h.t.Fatalf("CreateAccount: %v", err)
	}
	return out.Account.ID, out.Owner.UserID, out.ActivationURL
}

// owner creates an account whose owner has accepted the activation link,
// and returns the account's id and the owner signed in by cookie.
func (h *harness) owner(catalog, ownerEmail string) (string, *client) {
	h.t.Helper()
	accountID, _, link := h.createAccount(catalog, ownerEmail)
	return accountID, h.accept(ownerEmail, link)
}

// accept accepts an invitation link directly with the use case (no rate
// limit spent) and returns a client signed in with the new session.
func (h *harness) accept(name, link string) *client {
	h.t.Helper()
	acc, err := h.app.AcceptInvitation(h.ctx, "127.0.0.1", app.Acceptance{Token: tokenOf(h.t, link), Name: "Name of " + name, Password: pw})
	if err != nil {
		h.t.Fatalf("AcceptInvitation(%s): %v", name, err)
	}
	c := h.client(name)
	c.setSession(acc.Session)
	c.userID = acc.User.ID
	return c
}

// member invites email with role through the API, as by, accepts the link
// and returns the new member signed in.
func (h *harness) member(accountID string, by *client, email, role string) *client {
	h.t.Helper()
	resp := by.json("POST", "/api/v1/accounts/"+accountID+"/invitations", map[string]string{"email": email, "role": role, "name": "Name of " + email})
	m := decodeAs[memberBody](h.t, resp, http.StatusCreated)
	return h.accept(email, h.invitationLink(accountID, m.User))
}

// invitationLink returns the link of the newest outbox message to the member.
func (h *harness) invitationLink(accountID, userID string) string {
	h.t.Helper()
	return h.outboxLink(func(m *roster.Message) bool { return m.AccountID == accountID && m.UserID == userID })
}

// outboxLink returns the link of the newest outbox message that match accepts.
func (h *harness) outboxLink(match func(*roster.Message) bool) string {
	h.t.Helper()
	h.app.Wait() // a reset request writes its link after answering
	var link string
	err := h.store.Read(h.ctx, func(tx roster.Tx) error {
		msgs, err := tx.Messages("", 100000)
		if err != nil {
			return err
		}
		for _, m := range msgs { // newest first
			if match(m) && m.Link != "" {
				link = m.Link
				return nil
			}
		}
		return nil
	})
	if err != nil {
		h.t.Fatalf("read the outbox: %v", err)
	}
	if link == "" {
		h.t.Fatalf("no matching link in the outbox")
	}
	return link
}

// client calls the server as one user: by session cookie (its own jar), by
// bearer token, or anonymously.
type client struct {
	h      *harness
	name   string
	userID string
	hc     *http.Client
	jar    http.CookieJar
	bearer string
	// header is sent with every request (e.g. Origin).
	header http.Header
	// t, when set, is the (sub)test that reports this client's failures.
	t *testing.T
}

// in returns a copy of the client that reports its failures to t, for use
// in a subtest.
func (c *client) in(t *testing.T) *client {
	cp := *c
	cp.t = t
	return &cp
}

// tb is the test that reports the client's failures.
func (c *client) tb() *testing.T {
	if c.t != nil {
		return c.t
	}
	return c.h.t
}

// client returns a new anonymous client with an empty cookie jar.
func (h *harness) client(name string) *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return &client{h: h, name: name, jar: jar, header: http.Header{}, hc: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// bearerClient returns a client that sends raw as its API token.
func (h *harness) bearerClient(name, raw string) *client {
	c := h.client(name)
	c.bearer = raw
	return c
}

func (c *client) setSession(raw string) {
	u, err := url.Parse(c.h.srv.URL)
	if err != nil {
		c.h.t.Fatal(err)
	}
	c.jar.SetCookies(u, []*http.Cookie{{Name: httpserver.SessionCookie, Value: raw, Path: "/"}})
}

// session returns the client's session cookie value, or "".
func (c *client) session() string {
	u, _ := url.Parse(c.h.srv.URL)
	for _, ck := range c.jar.Cookies(u) {
		if ck.Name == httpserver.SessionCookie {
			return ck.Value
		}
	}
	return ""
}

// response is what the server answered.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json sends v as a JSON body (no body when v is nil); a string or []byte
// is sent as it is, with Content-Type application/json.
func (c *client) json(method, path string, v any) *response {
	c.tb().Helper()
	var body []byte
	switch v := v.(type) {
	case nil:
		return c.send(method, path, "", nil)
	case string:
		body = []byte(v)
	case []byte:
		body = v
	default:
		var err error
		if body, err = json.Marshal(v); err != nil {
			c.tb().Fatalf("marshal %T: %v", v, err)
		}
	}
	return c.send(method, path, "application/json", body)
}

// get sends a GET request.
func (c *client) get(path string) *response {
	c.tb().Helper()
	return c.send("GET", path, "", nil)
}

// send sends a request with the body as given and records the exchange.
// A 5xx answer fails the test: no request may cause one.
func (c *client) send(method, path, contentType string, body []byte) *response {
	c.tb().Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(c.h.ctx, method, c.h.srv.URL+path, rd)
	if err != nil {
		c.tb().Fatalf("new request %s %s: %v", method, path, err)
	}
	for k, vs := range c.header {
		req.Header[k] = append([]string(nil), vs...)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	sent := req.Header.Clone()
	// What the jar adds is part of what is sent.
	for _, ck := range c.jar.Cookies(req.URL) {
		if v := sent.Get("Cookie"); v != "" {
			sent.Set("Cookie", v+"; "+ck.String())
		} else {
			sent.Set("Cookie", ck.String())
		}
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.tb().Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	respBody, err := io.ReadAll(res.Body)
	if err != nil {
		c.tb().Fatalf("%s %s: read body: %v", method, path, err)
	}
	r := &response{status: res.StatusCode, header: res.Header, body: respBody}
	if r.status >= 500 {
		c.tb().Errorf("%s %s as %s: status %d, body %s", method, path, c.name, r.status, respBody)
	}
	c.h.record(exchange{
		method: method, url: c.h.srv.URL + path, reqHeader: sent, reqBody: body,
		status: res.StatusCode, respHeader: res.Header.Clone(), respBody: respBody,
	})
	return r
}

// problemBody is a problem+json answer.
type problemBody struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
	Field  string `json:"field"`
}

// wantProblem checks that r is a problem+json answer with the status and code.
func wantProblem(t *testing.T, r *response, status int, code string) problemBody {
	t.Helper()
	var p problemBody
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json (status %d, body %s)", ct, r.status, r.body)
		return p
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Errorf("problem body %s: %v", r.body, err)
		return p
	}
	if r.status != status || p.Code != code || p.Status != status {
		t.Errorf("got status %d code %q (body status %d), want %d %q; detail %q", r.status, p.Code, p.Status, status, code, p.Detail)
	}
	return p
}

// wantStatus checks the status of a successful answer.
func wantStatus(t *testing.T, r *response, status int) {
	t.Helper()
	if r.status != status {
		t.Errorf("status = %d, want %d; body %s", r.status, status, r.body)
	}
}

// decodeAs checks the status and decodes a JSON answer.
func decodeAs[T any](t *testing.T, r *response, status int) T {
	t.Helper()
	var v T
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q, want application/json", ct)
	}
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return v
}

// The answers as a client reads them.
type (
	memberBody struct {
		User         string            `json:"user"`
		Email        string            `json:"email"`
		Name         string            `json:"name"`
		Role         string            `json:"role"`
		Status       string            `json:"status"`
		ProfileRoles map[string]string `json:"profile_roles"`
	}
	listBody[T any] struct {
		Items      []T    `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	meBody struct {
		User struct {
			ID    string `json:"id"`
			Email string `json:"email"`
			Name  string `json:"name"`
		} `json:"user"`
		Memberships []struct {
			Account string `json:"account"`
			Role    string `json:"role"`
			Status  string `json:"status"`
		} `json:"memberships"`
	}
	tokenBody struct {
		ID         string     `json:"id"`
		Token      string     `json:"token"`
		Account    string     `json:"account"`
		LastUsedAt *time.Time `json:"last_used_at"`
	}
	auditBody struct {
		ID     int64  `json:"id"`
		Action string `json:"action"`
	}
	checkBody struct {
		Allowed bool   `json:"allowed"`
		Code    string `json:"code"`
	}
	bulkBody struct {
		Items []struct {
			Line    int     `json:"line"`
			Email   string  `json:"email"`
			Outcome string  `json:"outcome"`
			Code    *string `json:"code"`
			Detail  *string `json:"detail"`
		} `json:"items"`
	}
)

// newToken creates an API token for the account as c and returns a client using it.
func (c *client) newToken(accountID string) *client {
	c.h.t.Helper()
	r := c.json("POST", "/api/v1/tokens", map[string]string{"name": "token of " + c.name, "account": accountID})
	tok := decodeAs[tokenBody](c.h.t, r, http.StatusCreated)
	b := c.h.bearerClient(c.name+" by token", tok.Token)
	b.userID = c.userID
	return b
}
