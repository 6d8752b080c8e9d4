package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/pgtest"
	"github.com/rosterhq/roster/internal/smtptest"
)

// pg is the package's PostgreSQL server (see TestMain); each test gets its
// own database on it.
var pg *pgtest.Server

// The tests here run two roster serve processes on one PostgreSQL database,
// as a deployment behind a load balancer does, and check that whatever
// instance a request reaches, the rules hold and changes show at once.

// pgEnv returns the environment of instances on db, mailing through smtp,
// with links to the instance at baseAddr.
func pgEnv(t *testing.T, smtp *smtptest.Server, db, baseAddr string) []string {
	return append(mailEnv(t, smtp, db, baseAddr), "ROSTER_LOG_LEVEL=warn")
}

// startInstances starts one roster serve per address at the same moment
// and waits until every one answers /healthz: on an empty database they
// race to migrate it, and the migration lock must let all of them come up.
func startInstances(t *testing.T, env []string, addrs ...string) []*server {
	t.Helper()
	var out []*server
	for _, addr := range addrs {
		cmd := exec.Command(binary, "serve", "--addr", addr)
		cmd.Env = append(os.Environ(), env...)
		log := &bytes.Buffer{}
		cmd.Stderr = log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		out = append(out, &server{t: t, cmd: cmd, base: "http://" + addr, log: log})
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, s := range out {
		for {
			if resp, err := http.Get(s.base + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("roster serve at %s did not come up:\n%s", s.base, s.log)
			}
			time.Sleep(30 * time.Millisecond)
		}
	}
	return out
}

// on returns a client of the same person (the same cookies) talking to
// another instance: sessions live in the database.
func (c *client) on(s *server) *client {
	return &client{t: c.t, base: s.base, http: c.http}
}

// call makes a request from any goroutine: it never fails the test itself,
// and an error comes back as status 0. bearer, if not "", is an API token.
func call(c *client, method, path, bearer string, body any) (int, map[string]any, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	var out map[string]any
	json.Unmarshal(b, &out)
	return resp.StatusCode, out, nil
}

// invitee invites email with role through owner and activates the
// invitation from the email it gets, through the instance at, with a new
// client that it returns, signed in.
func invitee(t *testing.T, owner *client, smtp *smtptest.Server, acc, email, role string, at *server) *client {
	t.Helper()
	if st, body := owner.json("POST", "/api/v1/accounts/"+acc+"/invitations", map[string]string{"email": email, "role": role, "name": "Invited " + role}); st != 201 {
		t.Fatalf("invite %s: %d %v", email, st, body)
	}
	var mails []smtptest.Message
	for deadline := time.Now().Add(15 * time.Second); len(mails) == 0; time.Sleep(20 * time.Millisecond) {
		if mails = smtp.To(email); len(mails) == 0 && time.Now().After(deadline) {
			t.Fatalf("no invitation email to %s", email)
		}
	}
	c := newClient(t, at.base)
	if st, body := c.json("POST", "/api/v1/invitations/accept", map[string]string{
		"token": tokenOf(t, mails[0].Link()), "name": "Invited " + role, "password": email + "'s long password"}); st != 200 {
		t.Fatalf("accept %s: %d %v", email, st, body)
	}
	return c
}

// activeOwners counts the account's active owners as the API lists them.
func activeOwners(t *testing.T, c *client, acc string) int {
	t.Helper()
	st, page := c.do("GET", "/api/v1/accounts/"+acc+"/members?role=Owner&status=active&limit=200", "", nil)
	if st != 200 {
		t.Fatalf("list owners: %d %v", st, page)
	}
	items, _ := page["items"].([]any)
	return len(items)
}

// TestPostgresOwnersDemotingEachOtherOnTwoInstances: two owners, each on
// their own instance, demote each other at the same moment, 50 times; every
// time exactly one active owner is left, because the account's row lock in
// PostgreSQL serialises the two requests whatever instance runs them.
func TestPostgresOwnersDemotingEachOtherOnTwoInstances(t *testing.T) {
	smtp := smtptest.Start(t, "", "")
	addrA, addrB := freePort(t), freePort(t)
	env := pgEnv(t, smtp, pg.NewDatabase(t), addrA)
	instances := startInstances(t, env, addrA, addrB)
	a, b := instances[0], instances[1]
	one, acc := ownerSession(t, env, a.base, "bigeye")
	two := invitee(t, one, smtp, acc, "second.owner@acme.test", "Owner", b)
	var ids [2]string
	for i, c := range []*client{one, two} {
		st, me := c.do("GET", "/api/v1/me", "", nil)
		if st != 200 {
			t.Fatalf("me: %d %v", st, me)
		}
		ids[i] = me["user"].(map[string]any)["id"].(string)
	}
	owners := [2]*client{one, two} // one talks to A, two to B

	for round := range 50 {
		var wg sync.WaitGroup
		start := make(chan struct{})
		status := [2]int{}
		errs := [2]error{}
		for i := range owners {
			wg.Go(func() {
				<-start
				status[i], _, errs[i] = call(owners[i], "PATCH", "/api/v1/accounts/"+acc+"/members/"+ids[1-i], "", map[string]string{"role": "Admin"})
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for i := range owners {
			switch {
			case errs[i] != nil:
				t.Fatalf("round %d: %v", round, errs[i])
			case status[i] == 200:
				winner = i
			case status[i] != 403 && status[i] != 409:
				t.Fatalf("round %d: demotion answered %d", round, status[i])
			}
		}
		if n := activeOwners(t, owners[0].on(b), acc); n != 1 || winner < 0 {
			t.Fatalf("round %d: %d active owners (answers %v), want exactly 1", round, n, status)
		}
		// The owner left promotes the other back for the next round.
		if st, body := owners[winner].json("PATCH", "/api/v1/accounts/"+acc+"/members/"+ids[1-winner], map[string]string{"role": "Owner"}); st != 200 {
			t.Fatalf("round %d: promote back: %d %v", round, st, body)
		}
	}
}

// TestPostgresChangesShowOnTheOtherInstance: a role change and a disable
// made through instance A take effect on the member's very next request to
// instance B, for their session and their API token alike.
func TestPostgresChangesShowOnTheOtherInstance(t *testing.T) {
	smtp := smtptest.Start(t, "", "")
	addrA, addrB := freePort(t), freePort(t)
	env := pgEnv(t, smtp, pg.NewDatabase(t), addrA)
	instances := startInstances(t, env, addrA, addrB)
	a, b := instances[0], instances[1]
	owner, acc := ownerSession(t, env, a.base, "bigeye")
	dana := invitee(t, owner, smtp, acc, "dana@acme.test", "User", b) // signed in on B
	st, tok := dana.json("POST", "/api/v1/tokens", map[string]string{"name": "ci", "account": acc})
	if st != 201 && st != 200 {
		t.Fatalf("create token: %d %v", st, tok)
	}
	token, _ := tok["token"].(string)
	st, me := dana.do("GET", "/api/v1/me", "", nil)
	if st != 200 {
		t.Fatalf("me: %d %v", st, me)
	}
	danaID := me["user"].(map[string]any)["id"].(string)
	members := "/api/v1/accounts/" + acc + "/members"

	role := func() string {
		t.Helper()
		st, me, err := call(dana, "GET", "/api/v1/me", "", nil)
		if err != nil || st != 200 {
			t.Fatalf("me on B: %d %v %v", st, me, err)
		}
		for _, m := range me["memberships"].([]any) {
			if m := m.(map[string]any); m["account"] == acc {
				return m["role"].(string)
			}
		}
		return ""
	}
	if got := role(); got != "User" {
		t.Fatalf("role on B = %q, want User", got)
	}
	for _, bearer := range []string{"", token} {
		if st, body, err := call(dana, "GET", members, bearer, nil); err != nil || st != 200 {
			t.Fatalf("list members on B (token %v): %d %v %v", bearer != "", st, body, err)
		}
	}

	if st, body := owner.json("PATCH", members+"/"+danaID, map[string]string{"role": "Admin"}); st != 200 {
		t.Fatalf("role change on A: %d %v", st, body)
	}
	if got := role(); got != "Admin" {
		t.Errorf("role on B right after the change on A = %q, want Admin", got)
	}

	if st, body := owner.json("PATCH", members+"/"+danaID, map[string]string{"status": "disabled"}); st != 200 {
		t.Fatalf("disable on A: %d %v", st, body)
	}
	for _, bearer := range []string{"", token} {
		st, body, err := call(dana, "GET", members, bearer, nil)
		if err != nil || st != 404 || body["code"] != "not_found" {
			t.Errorf("list members on B right after the disable on A (token %v): %d %v %v; want 404 not_found", bearer != "", st, body, err)
		}
	}
}

// TestPostgresInvitationsDeliveredOnceFromTwoInstances: 200 invitations
// made through both instances at once, with both outbox workers running,
// each arrive exactly once (FOR UPDATE SKIP LOCKED claims).
func TestPostgresInvitationsDeliveredOnceFromTwoInstances(t *testing.T) {
	smtp := smtptest.Start(t, "", "")
	addrA, addrB := freePort(t), freePort(t)
	env := pgEnv(t, smtp, pg.NewDatabase(t), addrA)
	instances := startInstances(t, env, addrA, addrB)
	// The owner's activation is delivered before its link is used: the
	// workers do not mail a link that no longer works.
	created := createAccount(t, env, "bizmetry")
	smtp.WaitFor(1, 15*time.Second)
	owner, acc := acceptOwner(t, instances[0].base, created), created["account"]
	before := len(smtp.Messages())
	clients := []*client{owner, owner.on(instances[1])}

	const n = 200
	var wg sync.WaitGroup
	failures := make(chan string, n)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				st, body, err := call(clients[i%2], "POST", "/api/v1/accounts/"+acc+"/invitations", "",
					map[string]string{"email": fmt.Sprintf("person%03d@acme.test", i), "role": "SRE"})
				if err != nil || st != 201 {
					failures <- fmt.Sprintf("invite %d: %d %v %v", i, st, body, err)
				}
			}
		})
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	smtp.WaitFor(before+n, 60*time.Second)
	time.Sleep(500 * time.Millisecond) // any duplicate would arrive now
	msgs := smtp.Messages()[before:]
	perRecipient, perID := map[string]int{}, map[string]int{}
	for _, m := range msgs {
		perRecipient[strings.ToLower(m.To[0])]++
		perID[m.Header("Message-Id")]++
	}
	if len(perRecipient) != n || len(msgs) != n {
		t.Errorf("%d messages to %d recipients, want %d to %d", len(msgs), len(perRecipient), n, n)
	}
	for to, c := range perRecipient {
		if c != 1 {
			t.Errorf("%s got %d emails, want 1", to, c)
		}
	}
	for id, c := range perID {
		if c != 1 {
			t.Errorf("Message-Id %s arrived %d times", id, c)
		}
	}
}

// TestPostgresMigrate: roster migrate applies the migrations to a
// PostgreSQL database (and again, finding nothing to do), without showing
// the URL's password.
func TestPostgresMigrate(t *testing.T) {
	db := pg.NewDatabase(t)
	for i := range 2 {
		out, errOut, code := runRoster(t, nil, "migrate", "--db", db)
		if code != 0 || !strings.Contains(out, "migrations applied to postgres://") || !strings.Contains(out, "; schema version ") {
			t.Fatalf("migrate run %d: exit %d, stdout %q, stderr %q", i+1, code, out, errOut)
		}
	}
	// Nor a password given as a query parameter, which pgx also takes.
	withPassword := db + "&password=s3cret&sslpassword=s3cret"
	if !strings.Contains(db, "?") {
		withPassword = db + "?password=s3cret&sslpassword=s3cret"
	}
	out, errOut, code := runRoster(t, nil, "migrate", "--db", withPassword)
	if code != 0 || strings.Contains(out+errOut, "s3cret") || !strings.Contains(out, "migrations applied to postgres://") {
		t.Errorf("migrate with a password parameter: exit %d, stdout %q, stderr %q; want the password hidden", code, out, errOut)
	}
	// A server that is not there is an error on one line, naming no password.
	out, errOut, code = runRoster(t, nil, "migrate", "--db", "postgres://roster:s3cret@127.0.0.1:1/roster?connect_timeout=2")
	if code != 1 || strings.Contains(out+errOut, "s3cret") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Errorf("migrate with no server: exit %d, stdout %q, stderr %q; want exit 1, one line, no password", code, out, errOut)
	}
}

// TestPostgresInvitationAcceptedOnceAcrossInstances: the same invitation
// link accepted four times at once, through both instances, activates the
// member once; the other attempts are told the link is used.
func TestPostgresInvitationAcceptedOnceAcrossInstances(t *testing.T) {
	smtp := smtptest.Start(t, "", "")
	addrA, addrB := freePort(t), freePort(t)
	env := pgEnv(t, smtp, pg.NewDatabase(t), addrA)
	instances := startInstances(t, env, addrA, addrB)
	owner, acc := ownerSession(t, env, instances[0].base, "bigeye")
	if st, body := owner.json("POST", "/api/v1/accounts/"+acc+"/invitations", map[string]string{"email": "race@acme.test"}); st != 201 {
		t.Fatalf("invite: %d %v", st, body)
	}
	var mails []smtptest.Message
	for deadline := time.Now().Add(15 * time.Second); len(mails) == 0; time.Sleep(20 * time.Millisecond) {
		if mails = smtp.To("race@acme.test"); len(mails) == 0 && time.Now().After(deadline) {
			t.Fatal("no invitation email")
		}
	}
	token := tokenOf(t, mails[0].Link())

	const n = 4
	var wg sync.WaitGroup
	start := make(chan struct{})
	status := make([]int, n)
	codes := make([]any, n)
	for i := range n {
		c := newClient(t, instances[i%2].base)
		wg.Go(func() {
			<-start
			var body map[string]any
			status[i], body, _ = call(c, "POST", "/api/v1/invitations/accept", "",
				map[string]string{"token": token, "name": fmt.Sprintf("Racer %d", i), "password": "a long enough password"})
			codes[i] = body["code"]
		})
	}
	close(start)
	wg.Wait()
	accepted := 0
	for i := range n {
		switch {
		case status[i] == 200:
			accepted++
		case status[i] == 400 && codes[i] == "invalid_token", status[i] == 409 && codes[i] == "conflict":
		default:
			t.Errorf("accept %d: %d %v; want 200, or 400 invalid_token", i, status[i], codes[i])
		}
	}
	if accepted != 1 {
		t.Errorf("%d of %d concurrent accepts succeeded, want 1 (answers %v)", accepted, n, status)
	}
}
