package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rosterhq/roster/e2e/internal/rosterbin"
	"github.com/rosterhq/roster/internal/testlog"
)

// linkBase is the base URL the server writes into emailed links. The tests
// only read the token out of a link, so it need not be the listen address.
const linkBase = "http://roster.test"

// server is one running `roster serve` process with its own database.
type server struct {
	url  string // http://127.0.0.1:PORT
	db   string
	log  *testlog.Buffer // the process's stderr
	cmd  *exec.Cmd
	done chan struct{}
}

// rosterEnv is the environment of every roster process: the caller's,
// without any ROSTER_* setting, plus high auth bursts so that the many
// logins and activations of a test are never rate-limited.
func rosterEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ROSTER_") {
			env = append(env, kv)
		}
	}
	return append(env, "ROSTER_AUTH_BURST_PER_IP=100000", "ROSTER_AUTH_BURST_PER_EMAIL=100000", "ROSTER_LOG_LEVEL=info")
}

var servingAddr = regexp.MustCompile(`msg="roster serving" addr=([^ ]+)`)

// startServer runs `roster serve` on a free loopback port with a fresh
// SQLite file, waits until /healthz answers, and stops it with SIGTERM when
// the test ends.
func startServer(t *testing.T) *server {
	t.Helper()
	rosterbin.Track("..")
	s := &server{db: filepath.Join(t.TempDir(), "roster.db"), log: &testlog.Buffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(rosterBin, "serve", "--addr", "127.0.0.1:0", "--db", s.db, "--base-url", linkBase)
	s.cmd.Env = rosterEnv()
	s.cmd.Stdout = s.log
	s.cmd.Stderr = s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start roster serve: %v", err)
	}
	go func() {
		s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() { s.stop(t) })

	deadline := time.Now().Add(30 * time.Second)
	for s.url == "" {
		if m := servingAddr.FindStringSubmatch(s.log.String()); m != nil {
			s.url = "http://" + m[1]
			break
		}
		select {
		case <-s.done:
			t.Fatalf("roster serve exited before serving:\n%s", s.log.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("roster serve did not start within 30s:\n%s", s.log.String())
		}
	}
	for {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /healthz did not answer 200 within 30s (last error %v):\n%s", err, s.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends the server with SIGTERM (SIGKILL after 15 s) and, when the test
// failed, shows the end of its log.
func (s *server) stop(t *testing.T) {
	if s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
		t.Errorf("roster serve did not stop within 15s of SIGTERM")
	}
	if t.Failed() {
		t.Logf("server log (last 60 lines):\n%s", lastLines(s.log.String(), 60))
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// createdAccount is what `roster account create` prints.
type createdAccount struct {
	Account       string `json:"account"`
	Owner         string `json:"owner"`
	ActivationURL string `json:"activation_url"`
}

// createAccount runs `roster account create` against the server's database.
func (s *server) createAccount(t *testing.T, name, ownerEmail, ownerName, catalog string) createdAccount {
	t.Helper()
	cmd := exec.Command(rosterBin, "account", "create", "--db", s.db, "--base-url", linkBase,
		"--name", name, "--owner-email", ownerEmail, "--owner-name", ownerName, "--catalog", catalog)
	cmd.Env = rosterEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("roster account create: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	var out createdAccount
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("roster account create printed %q: %v", stdout.String(), err)
	}
	if out.Account == "" || out.Owner == "" || out.ActivationURL == "" {
		t.Fatalf("roster account create printed %q; want account, owner and activation_url", stdout.String())
	}
	return out
}

// Emails written by the log mailer: a slog text line with to=<email> and a
// body holding the link.
var (
	mailTo   = regexp.MustCompile(`(?:^| )to=("(?:[^"\\]|\\.)*"|[^ ]+)`)
	mailLink = regexp.MustCompile(`(/activate|/reset-password)\?token=([A-Za-z0-9_-]+)`)
)

// mailedTokens returns, oldest first, the tokens of the links to path
// ("/activate" or "/reset-password") mailed to email so far.
func (s *server) mailedTokens(email, path string) []string {
	var out []string
	for _, line := range strings.Split(s.log.String(), "\n") {
		if !strings.Contains(line, `msg="mail`) {
			continue
		}
		m := mailTo.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		to := m[1]
		if strings.HasPrefix(to, `"`) {
			if uq, err := strconv.Unquote(to); err == nil {
				to = uq
			}
		}
		if !strings.EqualFold(to, email) {
			continue
		}
		for _, l := range mailLink.FindAllStringSubmatch(line, -1) {
			if l[1] == path {
				out = append(out, l[2])
			}
		}
	}
	return out
}

// lastToken is the latest token mailed to email for path, "" when none.
func (s *server) lastToken(email, path string) string {
	toks := s.mailedTokens(email, path)
	if len(toks) == 0 {
		return ""
	}
	return toks[len(toks)-1]
}

// waitToken waits (up to 15 s: the outbox worker polls each second) for a
// link to path mailed to email whose token is not old, and returns the
// latest such token.
func (s *server) waitToken(t *testing.T, email, path, old string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if toks := s.mailedTokens(email, path); len(toks) > 0 && toks[len(toks)-1] != old {
			return toks[len(toks)-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new %s link mailed to %s within 15s", path, email)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// tokenOf returns the token query parameter of an activation URL.
func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("parse link %q: %v", link, err)
	}
	if u.Path != "/activate" || u.Query().Get("token") == "" {
		t.Fatalf("link %q: want /activate?token=…", link)
	}
	return u.Query().Get("token")
}

// client speaks the JSON API as one principal: a session kept in its own
// cookie jar, or an API token.
type client struct {
	base  string
	hc    *http.Client
	token string
}

func (s *server) newClient() *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		panic(err)
	}
	return &client{base: s.url, hc: &http.Client{Jar: jar, Timeout: 60 * time.Second}}
}

// bearer returns a client that authenticates with an API token only.
func (s *server) bearer(token string) *client {
	return &client{base: s.url, hc: &http.Client{Timeout: 60 * time.Second}, token: token}
}

// reply is an HTTP answer, read in full.
type reply struct {
	method, path string
	status       int
	header       http.Header
	body         []byte
}

func (r reply) String() string {
	return fmt.Sprintf("%s %s: %d %s", r.method, r.path, r.status, bytes.TrimSpace(r.body))
}

// do sends body (nil for none) as JSON and returns the answer.
func (c *client) do(t testing.TB, method, path string, body any) reply {
	t.Helper()
	r, err := c.try(method, path, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// try is do for goroutines: it reports a failure to talk instead of
// ending the test.
func (c *client) try(method, path string, body any) (reply, error) {
	var raw []byte
	ctype := ""
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return reply{}, fmt.Errorf("marshal %T: %w", body, err)
		}
		ctype = "application/json"
	}
	return c.sendRaw(method, path, ctype, raw)
}

// send sends a raw body with the content type ("" for none).
func (c *client) send(t testing.TB, method, path, ctype string, body []byte) reply {
	t.Helper()
	r, err := c.sendRaw(method, path, ctype, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (c *client) sendRaw(method, path, ctype string, body []byte) (reply, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, c.base+path, rd)
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	return reply{method: method, path: path, status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// want sends the request, fails the test unless the status is status, and
// decodes the answer into out (when not nil).
func (c *client) want(t testing.TB, status int, method, path string, body, out any) reply {
	t.Helper()
	r := c.do(t, method, path, body)
	if r.status != status {
		t.Fatalf("%v; want status %d", r, status)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			t.Fatalf("%v: decode into %T: %v", r, out, err)
		}
	}
	return r
}

// problem is an RFC 9457 problem document with Roster's code.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
}

// statusOfCode is SPEC §5's table of error codes to HTTP statuses.
var statusOfCode = map[string]int{
	"unauthenticated":    401,
	"forbidden":          403,
	"insufficient_role":  403,
	"last_owner":         409,
	"not_found":          404,
	"conflict":           409,
	"invalid_input":      400,
	"invalid_token":      400,
	"rate_limited":       429,
	"method_not_allowed": 405,
	"internal":           500,
}

// asProblem checks that r is a problem+json refusal with code and its
// status, reporting with Errorf so that a sweep goes on.
func asProblem(t testing.TB, r reply, code string) (problem, bool) {
	t.Helper()
	var p problem
	if r.status != statusOfCode[code] {
		t.Errorf("%v; want %d %s", r, statusOfCode[code], code)
		return p, false
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("%v: Content-Type %q; want application/problem+json", r, ct)
		return p, false
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Errorf("%v: decode problem: %v", r, err)
		return p, false
	}
	if p.Code != code || p.Status != r.status || p.Detail == "" {
		t.Errorf("%v; want code %q with status %d and a detail", r, code, r.status)
		return p, false
	}
	return p, true
}

// refused sends the request and fails the test unless it is refused with
// code (and its HTTP status) as problem+json.
func (c *client) refused(t testing.TB, code, method, path string, body any) problem {
	t.Helper()
	p, ok := asProblem(t, c.do(t, method, path, body), code)
	if !ok {
		t.FailNow()
	}
	return p
}

// The wire format of SPEC §5.

type member struct {
	User                string            `json:"user"`
	Email               string            `json:"email"`
	Name                string            `json:"name"`
	Role                string            `json:"role"`
	Status              string            `json:"status"`
	LastLoginAt         *time.Time        `json:"last_login_at"`
	InvitedAt           *time.Time        `json:"invited_at"`
	InvitedBy           *string           `json:"invited_by"`
	JoinedAt            *time.Time        `json:"joined_at"`
	InvitationExpiresAt *time.Time        `json:"invitation_expires_at"`
	InvitationError     *string           `json:"invitation_error"`
	ProfileRoles        map[string]string `json:"profile_roles"`
}

type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

type role struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Rank        int      `json:"rank"`
	Permissions []string `json:"permissions"`
	Assignable  bool     `json:"assignable"`
}

type auditEvent struct {
	ID     int64             `json:"id"`
	At     time.Time         `json:"at"`
	Actor  *string           `json:"actor"`
	Action string            `json:"action"`
	Target *string           `json:"target"`
	Before map[string]string `json:"before"`
	After  map[string]string `json:"after"`
	IP     *string           `json:"ip"`
}

type checkResult struct {
	Allowed bool   `json:"allowed"`
	Code    string `json:"code"`
	Reason  string `json:"reason"`
}

type check struct {
	User       string `json:"user"`
	Permission string `json:"permission"`
	Profile    string `json:"profile,omitempty"`
}

type meBody struct {
	User struct {
		ID    string `json:"id"`
		Email string `json:"email"`
		Name  string `json:"name"`
	} `json:"user"`
	Memberships []struct {
		Account     string `json:"account"`
		AccountName string `json:"account_name"`
		Role        string `json:"role"`
		Status      string `json:"status"`
	} `json:"memberships"`
}

// person is a user of the tests: who they are and a signed-in client.
type person struct {
	id, email, name, password string
	c                         *client
}

// passwordFor gives every test user a distinct password that passes the
// service's rules.
func passwordFor(email string) string { return "Pw-" + email + "-Zebra-42" }

// activate accepts an invitation as a new user and returns the signed-in
// client the answer's cookie makes.
func (s *server) activate(t *testing.T, token, name, password string) (*client, meBody) {
	t.Helper()
	c := s.newClient()
	var me meBody
	c.want(t, http.StatusOK, "POST", "/api/v1/invitations/accept",
		map[string]string{"token": token, "name": name, "password": password}, &me)
	var check meBody
	c.want(t, http.StatusOK, "GET", "/api/v1/me", nil, &check)
	if check.User.ID != me.User.ID {
		t.Fatalf("after accepting, GET /api/v1/me is user %q; want %q", check.User.ID, me.User.ID)
	}
	return c, me
}

// login signs in with email and password.
func (s *server) login(t *testing.T, email, password string) *client {
	t.Helper()
	c := s.newClient()
	c.want(t, http.StatusOK, "POST", "/api/v1/session", map[string]string{"email": email, "password": password}, nil)
	return c
}

// newAccount creates an account with the CLI and activates its owner.
func (s *server) newAccount(t *testing.T, name, catalog, ownerEmail string) (string, *person) {
	t.Helper()
	created := s.createAccount(t, name, ownerEmail, "Olive Owner", catalog)
	owner := &person{id: created.Owner, email: ownerEmail, name: "Olive Owner", password: passwordFor(ownerEmail)}
	var me meBody
	owner.c, me = s.activate(t, tokenOf(t, created.ActivationURL), owner.name, owner.password)
	if me.User.ID != created.Owner {
		t.Fatalf("activated owner is %q; want %q", me.User.ID, created.Owner)
	}
	if len(me.Memberships) != 1 || me.Memberships[0].Account != created.Account || me.Memberships[0].Status != "active" {
		t.Fatalf("owner's memberships after activation: %+v; want one active membership of %s", me.Memberships, created.Account)
	}
	return created.Account, owner
}

// invite invites email with role ("" for none) and checks the pending member.
func invite(t *testing.T, inviter *client, accountID, email, roleName, name string) member {
	t.Helper()
	body := map[string]string{"email": email, "name": name}
	if roleName != "" {
		body["role"] = roleName
	}
	var m member
	inviter.want(t, http.StatusCreated, "POST", accPath(accountID, "/invitations"), body, &m)
	if m.Status != "pending" || !strings.EqualFold(m.Email, email) || m.User == "" || m.InvitationExpiresAt == nil || m.InvitedAt == nil {
		t.Fatalf("invited member %+v; want a pending member %s with an invitation expiry", m, email)
	}
	return m
}

// join invites email with role, activates the invitation from the mailed
// link and signs the new member in with a fresh session.
func (s *server) join(t *testing.T, inviter *client, accountID, email, roleName, name string) *person {
	t.Helper()
	old := s.lastToken(email, "/activate")
	m := invite(t, inviter, accountID, email, roleName, name)
	p := &person{id: m.User, email: email, name: name, password: passwordFor(email)}
	_, me := s.activate(t, s.waitToken(t, email, "/activate", old), name, p.password)
	if me.User.ID != m.User {
		t.Fatalf("activated user %q; want the invited id %q (activation keeps it)", me.User.ID, m.User)
	}
	p.c = s.login(t, email, p.password)
	return p
}

// apiToken creates an API token of c's user acting in the account.
func apiToken(t *testing.T, c *client, accountID, name string) string {
	t.Helper()
	var out struct {
		ID      string `json:"id"`
		Token   string `json:"token"`
		Account string `json:"account"`
	}
	c.want(t, http.StatusCreated, "POST", "/api/v1/tokens", map[string]string{"name": name, "account": accountID}, &out)
	if out.ID == "" || out.Token == "" || out.Account != accountID {
		t.Fatalf("POST /api/v1/tokens answered %+v; want id, token and account %s", out, accountID)
	}
	return out.Token
}

// accPath is an account-scoped API path.
func accPath(accountID, rest string) string {
	return "/api/v1/accounts/" + url.PathEscape(accountID) + rest
}

// memberPath is a member's API path.
func memberPath(accountID, userID string) string {
	return accPath(accountID, "/members/"+url.PathEscape(userID))
}

// members lists every member of the account (following next_cursor).
func members(t *testing.T, c *client, accountID string) []member {
	t.Helper()
	var all []member
	cursor := ""
	for range 100 {
		q := url.Values{"limit": {"200"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var p page[member]
		c.want(t, http.StatusOK, "GET", accPath(accountID, "/members?"+q.Encode()), nil, &p)
		all = append(all, p.Items...)
		if p.NextCursor == "" {
			return all
		}
		cursor = p.NextCursor
	}
	t.Fatalf("member list of %s did not end after 100 pages", accountID)
	return nil
}

// auditLog reads the whole audit log, newest first, in pages of limit.
func auditLog(t *testing.T, c *client, accountID string, limit int) []auditEvent {
	t.Helper()
	var all []auditEvent
	cursor := ""
	for range 1000 {
		q := url.Values{"limit": {strconv.Itoa(limit)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var p page[auditEvent]
		c.want(t, http.StatusOK, "GET", accPath(accountID, "/audit?"+q.Encode()), nil, &p)
		all = append(all, p.Items...)
		if p.NextCursor == "" {
			return all
		}
		cursor = p.NextCursor
	}
	t.Fatalf("audit log of %s did not end after 1000 pages", accountID)
	return nil
}

// getMember reads one member.
func getMember(t *testing.T, c *client, accountID, userID string) member {
	t.Helper()
	var m member
	c.want(t, http.StatusOK, "GET", memberPath(accountID, userID), nil, &m)
	return m
}

// checkOne asks the check API one question.
func checkOne(t *testing.T, c *client, accountID string, q check) checkResult {
	t.Helper()
	var res checkResult
	c.want(t, http.StatusOK, "POST", accPath(accountID, "/check"), q, &res)
	if res.Allowed != (res.Code == "granted") || res.Reason == "" {
		t.Fatalf("check %+v answered %+v; want allowed exactly when granted, and a reason", q, res)
	}
	return res
}

// roles reads the account's roles as c sees them.
func roles(t *testing.T, c *client, accountID string) []role {
	t.Helper()
	var p page[role]
	c.want(t, http.StatusOK, "GET", accPath(accountID, "/roles"), nil, &p)
	return p.Items
}
