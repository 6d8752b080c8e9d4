package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/smtptest"
	"github.com/rosterhq/roster/internal/sqlite"
)

// server is a running roster serve process.
type server struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string
	log  *bytes.Buffer
}

func startServer(t *testing.T, env []string, addr string) *server {
	t.Helper()
	cmd := exec.Command(binary, "serve", "--addr", addr)
	cmd.Env = append(os.Environ(), env...)
	log := &bytes.Buffer{}
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, cmd: cmd, base: "http://" + addr, log: log}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() { // what the server said, read once it has stopped writing
			t.Logf("roster serve on %s logged:\n%s", addr, log)
		}
	})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(30 * time.Millisecond) {
		if resp, err := http.Get(s.base + "/healthz"); err == nil {
			resp.Body.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("roster serve did not come up:\n%s", log)
		}
	}
}

// stop ends the server gracefully and waits.
func (s *server) stop() {
	s.t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	if err := s.cmd.Wait(); err != nil {
		s.t.Fatalf("serve exited with %v:\n%s", err, s.log)
	}
}

type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, http: &http.Client{Jar: jar}}
}

func (c *client) do(method, path, contentType string, body []byte) (int, map[string]any) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

// tryJSON is json for a server that may be gone: status 0 on a transport error.
func (c *client) tryJSON(method, path string, v any) (int, map[string]any) {
	b, _ := json.Marshal(v)
	req, _ := http.NewRequest(method, c.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil // cut off mid-answer: not an answered write
	}
	var out map[string]any
	json.Unmarshal(body, &out)
	return resp.StatusCode, out
}

func (c *client) json(method, path string, v any) (int, map[string]any) {
	b, _ := json.Marshal(v)
	return c.do(method, path, "application/json", b)
}

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("no token in %q", link)
	}
	return u.Query().Get("token")
}

// mailEnv starts SMTP and returns the environment for roster commands.
func mailEnv(t *testing.T, smtp *smtptest.Server, db, addr string) []string {
	return []string{"ROSTER_DB=" + db, "ROSTER_BASE_URL=http://" + addr, "ROSTER_SMTP_URL=" + smtp.URL(),
		"ROSTER_MAIL_FROM=Roster <roster@acme.test>", "ROSTER_MAIL_POLL=50ms", "ROSTER_MAIL_RETRY_BASE=100ms",
		"ROSTER_MAIL_MAX_ATTEMPTS=100", "ROSTER_AUTH_BURST_PER_IP=100000", "ROSTER_AUTH_BURST_PER_EMAIL=100000"}
}

// ownerSession creates an account with the CLI and activates its owner.
func ownerSession(t *testing.T, env []string, base, catalog string) (*client, string) {
	t.Helper()
	created := createAccount(t, env, catalog)
	return acceptOwner(t, base, created), created["account"]
}

// createAccount runs roster account create and returns what it printed.
func createAccount(t *testing.T, env []string, catalog string) map[string]string {
	t.Helper()
	out, errOut, code := runRoster(t, env, "account", "create", "--name", "Acme", "--owner-email", "olive@acme.test", "--catalog", catalog)
	if code != 0 {
		t.Fatalf("account create: %s", errOut)
	}
	var created map[string]string
	json.Unmarshal([]byte(out), &created)
	return created
}

// acceptOwner activates the owner of an account createAccount made and
// returns their signed-in client.
func acceptOwner(t *testing.T, base string, created map[string]string) *client {
	t.Helper()
	c := newClient(t, base)
	if st, body := c.json("POST", "/api/v1/invitations/accept", map[string]string{
		"token": tokenOf(t, created["activation_url"]), "name": "Olive Owner", "password": "olive's long password"}); st != 200 {
		t.Fatalf("accept owner: %d %v", st, body)
	}
	return c
}

func TestInvitationArrivesOverSMTPAndActivatesOnce(t *testing.T) {
	smtp := smtptest.Start(t, "roster", "mail password")
	db, addr := filepath.Join(t.TempDir(), "r.db"), freePort(t)
	env := mailEnv(t, smtp, db, addr)
	srv := startServer(t, env, addr)
	owner, acc := ownerSession(t, env, srv.base, "bigeye")

	st, m := owner.json("POST", "/api/v1/accounts/"+acc+"/invitations", map[string]string{"email": "Dana@Acme.test", "name": "Dana Dev"})
	if st != 201 {
		t.Fatalf("invite: %d %v", st, m)
	}
	var mails []smtptest.Message
	for deadline := time.Now().Add(10 * time.Second); len(mails) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		mails = smtp.To("Dana@Acme.test")
	}
	if len(mails) != 1 {
		t.Fatalf("%d emails to Dana, want 1", len(mails))
	}
	if subj := mails[0].Header("Subject"); subj != "You are invited to Acme" {
		t.Errorf("subject = %q", subj)
	}
	// The service introduces itself by its base URL's host (127.0.0.1
	// here, an address literal in EHLO), not by the machine's name.
	if hello := mails[0].Hello; hello != "[127.0.0.1]" {
		t.Errorf("EHLO %q, want the base URL's host [127.0.0.1]", hello)
	}
	link := mails[0].Link()
	if !strings.HasPrefix(link, srv.base+"/activate?token=") {
		t.Fatalf("link = %q", link)
	}
	dana := newClient(t, srv.base)
	if st, body := dana.json("POST", "/api/v1/invitations/accept", map[string]string{"token": tokenOf(t, link), "name": "Dana Dev", "password": "dana's long password"}); st != 200 {
		t.Fatalf("accept: %d %v", st, body)
	}
	again := newClient(t, srv.base)
	st, body := again.json("POST", "/api/v1/invitations/accept", map[string]string{"token": tokenOf(t, link), "name": "Eve", "password": "eve's long password!"})
	if st != 400 || body["code"] != "invalid_token" {
		t.Errorf("second use: %d %v, want 400 invalid_token", st, body)
	}
	// The sent message keeps no link; the log shows none either.
	if strings.Contains(srv.log.String(), tokenOf(t, link)) {
		t.Error("the invitation token appears in the server log with an SMTP mailer")
	}
}

// TestNoInvitationLostOrDoubled: 200 invitations are made while the mail
// server is down; roster serve restarts gracefully in between; when the
// mail server comes back every invitation arrives, exactly once.
func TestNoInvitationLostOrDoubled(t *testing.T) {
	smtp := smtptest.Start(t, "", "")
	db, addr := filepath.Join(t.TempDir(), "r.db"), freePort(t)
	env := mailEnv(t, smtp, db, addr)
	srv := startServer(t, env, addr)
	// The owner's activation is delivered before its link is used: the
	// worker does not mail a link that no longer works.
	created := createAccount(t, env, "bizmetry")
	smtp.WaitFor(1, 10*time.Second)
	owner, acc := acceptOwner(t, srv.base, created), created["account"]
	smtp.Stop()

	for i := 0; i < 200; i++ {
		st, body := owner.json("POST", "/api/v1/accounts/"+acc+"/invitations",
			map[string]string{"email": fmt.Sprintf("person%03d@acme.test", i), "role": "SRE"})
		if st != 201 {
			t.Fatalf("invite %d: %d %v", i, st, body)
		}
		if i == 100 {
			srv.stop() // a graceful restart half-way
			srv = startServer(t, env, addr)
		}
	}
	time.Sleep(300 * time.Millisecond) // let a few attempts fail
	st, page := owner.do("GET", "/api/v1/accounts/"+acc+"/members?status=pending&limit=200", "", nil)
	if st != 200 {
		t.Fatalf("list: %d", st)
	}
	failed := 0
	for _, it := range page["items"].([]any) {
		if m := it.(map[string]any); m["invitation_error"] != nil {
			failed++
		}
	}
	if failed == 0 {
		t.Error("no pending member shows the delivery failure while the mail server is down")
	}
	srv.stop()
	startServer(t, env, addr)
	smtp.Restart()

	smtp.WaitFor(201, 60*time.Second)
	time.Sleep(500 * time.Millisecond) // any duplicate would arrive now
	msgs := smtp.Messages()
	seen := map[string]int{}
	ids := map[string]int{}
	for _, m := range msgs[1:] {
		seen[strings.ToLower(m.To[0])]++
		ids[m.Header("Message-Id")]++
	}
	if len(seen) != 200 {
		t.Errorf("%d distinct invitees got mail, want 200", len(seen))
	}
	for to, n := range seen {
		if n != 1 {
			t.Errorf("%s got %d emails, want 1", to, n)
		}
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("Message-ID %s arrived %d times", id, n)
		}
	}
	// Once delivered, no pending member shows an error.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, page = owner.do("GET", "/api/v1/accounts/"+acc+"/members?status=pending&limit=200", "", nil)
		failed = 0
		for _, it := range page["items"].([]any) {
			if it.(map[string]any)["invitation_error"] != nil {
				failed++
			}
		}
		if failed == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d members still show a delivery error after delivery", failed)
		}
	}
}

func TestBulkInviteCLIReportsEveryRow(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	env := []string{"ROSTER_DB=" + db}
	out, _, code := runRoster(t, env, "account", "create", "--name", "Acme", "--owner-email", "olive@acme.test", "--catalog", "bigeye")
	if code != 0 {
		t.Fatal(out)
	}
	var created map[string]string
	json.Unmarshal([]byte(out), &created)
	// The inviter must be an Active member: the pending owner is refused.
	var csv strings.Builder
	csv.WriteString("email,role,name\n")
	for i := 0; i < 1000; i++ {
		if i%20 == 7 {
			fmt.Fprintf(&csv, "broken-%d,User,Bad\n", i)
		} else {
			fmt.Fprintf(&csv, "p%d@acme.test,User,Person %d\n", i, i)
		}
	}
	file := filepath.Join(dir, "people.csv")
	os.WriteFile(file, []byte(csv.String()), 0o600)
	_, errOut, code := runRoster(t, env, "invite", "--csv", file, "--account", created["account"], "--as", "olive@acme.test")
	if code == 0 || !strings.Contains(errOut, "of which olive@acme.test is an Active member") {
		t.Fatalf("a pending owner could bulk invite, or was not told why not: exit %d, %s", code, errOut)
	}

	// Activate the owner through the use case's HTTP path.
	addr := freePort(t)
	srv := startServer(t, append(env, "ROSTER_BASE_URL=http://"+addr), addr)
	c := newClient(t, srv.base)
	if st, b := c.json("POST", "/api/v1/invitations/accept", map[string]string{"token": tokenOf(t, created["activation_url"]), "name": "Olive", "password": "olive's long password"}); st != 200 {
		t.Fatalf("accept: %d %v", st, b)
	}
	srv.stop()

	_, errOut, code = runRoster(t, env, "invite", "--csv", file, "--account", created["account"], "--as", "olive@acme.test", "--dry-run")
	if code != 1 || !strings.Contains(errOut, "950 would be invited") || !strings.Contains(errOut, "50 invalid") {
		t.Fatalf("dry run: exit %d, %s", code, errOut)
	}
	out, errOut, code = runRoster(t, env, "invite", "--csv", file, "--account", created["account"], "--as", "olive@acme.test")
	// Some rows were refused: the valid ones are invited, and the exit
	// status says that not everyone was.
	if code != 1 || !strings.Contains(errOut, "950 invited") || !strings.Contains(errOut, "50 invalid") {
		t.Fatalf("invite: exit %d, %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1000 {
		t.Fatalf("%d result lines, want 1000", len(lines))
	}
	var row map[string]any
	json.Unmarshal([]byte(lines[7]), &row)
	if row["outcome"] != "invalid" || row["code"] != "invalid_input" || row["line"] != float64(9) || row["detail"] == "" {
		t.Errorf("row for line 9 = %v", row)
	}
	// As the API writes an invited row: code and detail null.
	if !strings.Contains(lines[0], `"code":null`) || !strings.Contains(lines[0], `"detail":null`) || !strings.Contains(lines[0], `"outcome":"invited"`) {
		t.Errorf("an invited row = %s; want code and detail null", lines[0])
	}

	// Already a member is not a failure: a file run again exits 0 once
	// its rows are all valid.
	os.WriteFile(file, []byte("email,role,name\np0@acme.test,User,Person 0\nnew@acme.test,User,New Person\n"), 0o600)
	if _, errOut, code = runRoster(t, env, "invite", "--csv", file, "--account", created["account"], "--as", "olive@acme.test"); code != 0 ||
		!strings.Contains(errOut, "1 invited") || !strings.Contains(errOut, "1 already members") {
		t.Fatalf("valid rows: exit %d, %s", code, errOut)
	}
}

func TestOutboxListAndRetry(t *testing.T) {
	env := []string{"ROSTER_DB=" + filepath.Join(t.TempDir(), "r.db")}
	if _, errOut, code := runRoster(t, env, "account", "create", "--name", "Acme", "--owner-email", "olive@acme.test"); code != 0 {
		t.Fatal(errOut)
	}
	out, errOut, code := runRoster(t, env, "outbox", "list")
	if code != 0 || !strings.Contains(out, "owner_activation") || !strings.Contains(out, "olive@acme.test") || !strings.Contains(out, "pending") {
		t.Fatalf("outbox list: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "token=") {
		t.Error("outbox list shows a link")
	}
	if out, _, code := runRoster(t, env, "outbox", "list", "--status", "sent"); code != 0 || strings.Contains(out, "owner_activation") {
		t.Errorf("outbox list --status sent: exit %d\n%s", code, out)
	}
	if out, errOut, code := runRoster(t, env, "outbox", "retry", "1"); code != 0 || !strings.Contains(out, "due now") {
		t.Errorf("outbox retry 1: exit %d %s %s", code, out, errOut)
	}
	// The id may come before the flags too.
	if out, errOut, code := runRoster(t, nil, "outbox", "retry", "1", "--db", strings.TrimPrefix(env[0], "ROSTER_DB=")); code != 0 || !strings.Contains(out, "due now") {
		t.Errorf("outbox retry 1 --db …: exit %d %s %s", code, out, errOut)
	}
	// While a sender holds the message (another instance's worker), a
	// retry is refused: if that attempt failed, its backoff would replace
	// the "now" asked for.
	db, err := sqlite.Open(context.Background(), strings.TrimPrefix(env[0], "ROSTER_DB="))
	if err != nil {
		t.Fatal(err)
	}
	err = db.Write(context.Background(), "", func(tx roster.Tx) error {
		_, err := tx.ClaimMessages(time.Now(), time.Hour, 10)
		return err
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	// The list says so, with the claim's end.
	if out, _, code := runRoster(t, env, "outbox", "list"); code != 0 || !regexp.MustCompile(`(?m)^1 .* sending +\d+ +\d{4}-`).MatchString(out) {
		t.Errorf("outbox list while a sender holds message 1 (exit %d):\n%s\nwant it sending, with the claim's end", code, out)
	}
	if _, errOut, code := runRoster(t, env, "outbox", "retry", "1"); code != 1 || !strings.Contains(errOut, "its sender's claim ends at") {
		t.Errorf("outbox retry of a message being sent: exit %d %q, want 1, being sent", code, errOut)
	}
	if _, _, code := runRoster(t, env, "outbox", "retry", "999"); code != 1 {
		t.Errorf("outbox retry 999: exit %d, want 1", code)
	}
	for _, id := range []string{"abc", "-5", "0"} {
		if _, errOut, code := runRoster(t, env, "outbox", "retry", id); code != 2 || !strings.Contains(errOut, "is not a message id") {
			t.Errorf("outbox retry %s: exit %d, %q; want 2, not a message id", id, code, errOut)
		}
	}
	if _, _, code := runRoster(t, env, "outbox", "list", "--status", "lost"); code != 2 {
		t.Errorf("outbox list --status lost: exit %d, want 2", code)
	}
}

// TestStopDoesNotWaitForAHungMailServer: a mail server that takes the
// connection and never answers holds the email under way for its whole
// timeout (30 s); roster serve, asked to stop, waits for it no longer than
// its shutdown timeout (10 s).
func TestStopDoesNotWaitForAHungMailServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // never answered
			select {
			case accepted <- struct{}{}:
			default:
			}
		}
	}()
	db, addr := filepath.Join(t.TempDir(), "r.db"), freePort(t)
	env := []string{"ROSTER_DB=" + db, "ROSTER_BASE_URL=http://" + addr, "ROSTER_SMTP_URL=smtp://" + l.Addr().String() + "",
		"ROSTER_MAIL_FROM=roster@acme.test", "ROSTER_MAIL_POLL=50ms"}
	if _, errOut, code := runRoster(t, env, "account", "create", "--name", "Acme", "--owner-email", "olive@acme.test"); code != 0 {
		t.Fatalf("account create: %s", errOut)
	}
	srv := startServer(t, env, addr)
	select {
	case <-accepted: // the owner's email is being sent
	case <-time.After(20 * time.Second):
		t.Fatalf("the worker never connected to the mail server:\n%s", srv.log)
	}
	start := time.Now()
	srv.stop()
	// The stop gave up on the send (which only the mail server's 30 s
	// timeout would have ended) and said so.
	if !strings.Contains(srv.log.String(), "stopping while background work (an email being sent, the sweep) still runs") {
		t.Errorf("the stop did not give up on the email under way, or did not say so:\n%s", srv.log)
	}
	if took := time.Since(start); took > 25*time.Second { // a hang guard: about 10 s expected, 30 s without the bound
		t.Errorf("roster serve took %v to stop while an email was being sent", took)
	}
}
