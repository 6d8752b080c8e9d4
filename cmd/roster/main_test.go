package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/config"
	"github.com/rosterhq/roster/internal/pgtest"
)

// binary is the real roster binary, built once for the package's tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "roster-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "roster")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build roster: %v\n%s", err, out)
		os.Exit(1)
	}
	pg = pgtest.New() // starts when a test first asks it for a database
	code := m.Run()
	pg.Stop()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runRoster runs the binary and returns stdout, stderr and the exit status.
func runRoster(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

func TestAccountCreatePrintsJSON(t *testing.T) {
	db := filepath.Join(t.TempDir(), "roster.db")
	env := []string{"ROSTER_DB=" + db, "ROSTER_BASE_URL=https://roster.example.com"}
	out, errOut, code := runRoster(t, env, "account", "create", "--name", "Acme", "--owner-email", "olive@acme.test", "--catalog", "bigeye")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("stdout %q is not one JSON object: %v", out, err)
	}
	if len(got) != 3 || got["account"] == "" || got["owner"] == "" {
		t.Errorf("output = %v, want account, owner and activation_url", got)
	}
	if !strings.HasPrefix(got["activation_url"], "https://roster.example.com/activate?token=") {
		t.Errorf("activation_url = %q", got["activation_url"])
	}
	if strings.Contains(errOut, "token=") {
		t.Errorf("the link leaked to stderr: %s", errOut)
	}

	// resend-owner prints a new link; the owner is still pending.
	out, errOut, code = runRoster(t, env, "account", "resend-owner", "--account", got["account"])
	if code != 0 || !strings.Contains(out, "/activate?token=") || strings.Contains(out, got["activation_url"]) {
		t.Errorf("resend-owner: exit %d, out %q, err %q", code, out, errOut)
	}
	_, errOut, code = runRoster(t, env, "account", "resend-owner", "--account", "acc_missing")
	if code != 1 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Errorf("resend-owner for a missing account: exit %d, stderr %q", code, errOut)
	}
}

func TestBadInvocationsExit2WithOneLine(t *testing.T) {
	dir := t.TempDir()
	env := []string{"ROSTER_DB=" + filepath.Join(dir, "r.db")}
	for name, args := range map[string][]string{
		"unknown flag":           {"account", "create", "--bogus"},
		"missing name":           {"account", "create", "--owner-email", "a@b.test"},
		"missing catalog":        {"account", "create", "--name", "A", "--owner-email", "a@b.test", "--catalog", filepath.Join(dir, "none.yaml")},
		"bad email":              {"account", "create", "--name", "A", "--owner-email", "not-an-email"},
		"unknown command":        {"frobnicate"},
		"serve bad addr":         {"serve", "--addr", "nonsense"},
		"serve stray arg":        {"serve", "extra"},
		"unknown subcommand":     {"account", "delete"},
		"bad invite-ttl":         {"account", "create", "--name", "A", "--owner-email", "a@b.test", "--invite-ttl", "1h"},
		"serve bad log level":    {"serve", "--log-level", "loud"},
		"serve libpq keyword db": {"serve", "--db", "host=db user=roster password=s3cret-pw dbname=roster"},
		"serve bad smtp port":    {"serve", "--smtp-url", "smtp://u:s3cret-pw@mail.example.com:0"},
		"serve smtps starttls":   {"serve", "--smtp-url", "smtps://mail.example.com?starttls=required"},
		"serve base-url query":   {"serve", "--base-url", "https://u:s3cret-pw@roster.example.com?x=1"},
		"serve bad mail-from":    {"serve", "--mail-from", "not an address"},
		"serve bad postgres url": {"serve", "--db", "postgres://u:s3cret-pw@db:notaport/roster"},
	} {
		t.Run(name, func(t *testing.T) {
			fresh := t.TempDir()
			out, errOut, code := runRoster(t, append(env, "ROSTER_DB="+filepath.Join(fresh, "r.db")), args...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", code, errOut)
			}
			if lines := strings.Split(strings.TrimSpace(errOut), "\n"); len(lines) != 1 || lines[0] == "" {
				t.Errorf("stderr has %d lines, want one: %q", len(lines), errOut)
			}
			if out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
			if strings.Contains(errOut, "s3cret-pw") {
				t.Errorf("stderr shows the password: %q", errOut)
			}
			// Settings and input are refused before anything runs: no
			// database is made.
			if files, _ := filepath.Glob(filepath.Join(fresh, "*")); len(files) != 0 {
				t.Errorf("files after a refused command: %q, want none", files)
			}
		})
	}
	// Several mistakes at once: a line each, each saying who speaks.
	_, errOut, code := runRoster(t, env, "serve", "--mail-poll", "1ms", "--mail-max-attempts", "0")
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if code != 2 || len(lines) != 2 || !strings.HasPrefix(lines[0], "roster: ") || !strings.HasPrefix(lines[1], "roster: ") {
		t.Errorf("two mistakes: exit %d, stderr %q; want 2 and two roster: lines", code, errOut)
	}
}

// fifo makes a named pipe at path.
func fifo(t *testing.T, path string) string {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBadCatalogFiles: a catalog file's problems are each a line naming the
// file, the line and the problem, and nothing is made; a file that is not
// one, or too large to be one, is refused without reading it whole.
func TestBadCatalogFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o600)
		return p
	}
	huge := filepath.Join(dir, "huge.yaml")
	if err := os.WriteFile(huge, bytes.Repeat([]byte("#\n"), 2<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, file string
		want       []string // a line each, in order
	}{
		{"two roles of one name", write("dup.yaml", "name: custom\nowner_fallback: Admin\nroles:\n  - name: Admin\n    rank: 1\n    permissions: [members.read]\n  - name: Admin\n    rank: 2\n    permissions: [members.read]\n"),
			[]string{"dup.yaml:7:"}},
		{"a misspelt key", write("typo.yaml", "name: custom\nowner_fallback: User\nroles:\n  - name: Owner\n    rank: 2\n    permissions: [members.read, members.invite, members.edit, members.disable, members.remove, audit.read, ownership.transfer]\n  - name: User\n    rank: 1\n    permisions: [reports.read]\n"),
			[]string{`typo.yaml:7: role "User" has no permissions`, `typo.yaml:9: role 2 has an unknown field "permisions"`}},
		{"a file too large", huge, []string{"huge.yaml: the file is over 1 MiB"}},
		{"not a file", "/dev/zero", []string{"/dev/zero is not a regular file"}},
		// Opening a named pipe would wait for a writer, for good.
		{"a named pipe", fifo(t, filepath.Join(dir, "pipe.yaml")), []string{"pipe.yaml is not a regular file"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "r.db")
			_, errOut, code := runRoster(t, []string{"ROSTER_DB=" + db}, "account", "create", "--name", "A", "--owner-email", "a@b.test", "--catalog", c.file)
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if code != 2 || len(lines) != len(c.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %d lines", code, errOut, len(c.want))
			}
			for i, want := range c.want {
				if !strings.HasPrefix(lines[i], "roster: catalog: ") || !strings.Contains(lines[i], want) {
					t.Errorf("line %d = %q; want roster: catalog: …%s…", i+1, lines[i], want)
				}
			}
			if files, _ := filepath.Glob(db + "*"); len(files) != 0 {
				t.Errorf("files after a refused catalog: %q", files)
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"serve", "--help"}, {"migrate", "--help"}, {"account", "create", "--help"}, {"account", "resend-owner", "--help"}, {"version"}} {
		out, errOut, code := runRoster(t, nil, args...)
		if code != 0 || out == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	// Help is help, once: not the version, not "Usage:" twice.
	for _, args := range [][]string{{"version", "--help"}, {"outbox", "retry", "--help"}} {
		out, _, code := runRoster(t, nil, args...)
		if code != 0 || !strings.HasPrefix(out, "Usage: roster "+args[0]) || strings.Count(out, "Usage:") != 1 {
			t.Errorf("%v: exit %d, stdout %q; want one usage", args, code, out)
		}
	}
	// A flag's value is not taken for the message id.
	if _, errOut, code := runRoster(t, nil, "outbox", "retry", "--db", filepath.Join(t.TempDir(), "r.db")); code != 2 || !strings.Contains(errOut, "say which message") {
		t.Errorf("outbox retry without an id: exit %d, %q; want 2 and say which message", code, errOut)
	}
	// Help is pasted into tickets: the URLs given in the environment,
	// which may hold passwords, show as their variables' names.
	env := []string{"ROSTER_DB=postgres://roster:S3cret@db.internal/roster", "ROSTER_SMTP_URL=smtp://mailer:P4ss@mail.internal:587"}
	for _, args := range [][]string{{"serve", "--help"}, {"outbox", "list", "--help"}} {
		out, errOut, code := runRoster(t, env, args...)
		if code != 0 || strings.Contains(out+errOut, "S3cret") || strings.Contains(out+errOut, "P4ss") || !strings.Contains(out+errOut, "$ROSTER_DB") {
			t.Errorf("%v with secrets in the environment: exit %d, %s%s", args, code, out, errOut)
		}
	}
}

// TestMistypedDatabaseIsNotMade: only account create (and serve, migrate)
// makes a missing SQLite database; the other commands say it is not there
// rather than showing an empty outbox or an unknown account, and leave no
// file behind.
func TestMistypedDatabaseIsNotMade(t *testing.T) {
	dir := t.TempDir()
	typo := filepath.Join(dir, "rostr.db")
	for _, args := range [][]string{
		{"outbox", "list", "--db", typo},
		{"outbox", "retry", "--db", typo, "1"},
		{"account", "resend-owner", "--db", typo, "--account", "acc_x"},
		{"account", "update", "--db", typo, "--account", "acc_x", "--name", "X"},
		{"invite", "--db", typo, "--csv", filepath.Join(dir, "none.csv"), "--account", "acc_x", "--as", "a@b.test"},
	} {
		_, errOut, code := runRoster(t, nil, args...)
		if args[0] == "invite" {
			// The CSV is looked for first; make it and ask again.
			os.WriteFile(filepath.Join(dir, "none.csv"), []byte("email\n"), 0o600)
			_, errOut, code = runRoster(t, nil, args...)
		}
		if code != 2 || !strings.Contains(errOut, "no database at "+typo) {
			t.Errorf("%v: exit %d, %q; want 2 and no database named", args[:2], code, errOut)
		}
		if matches, _ := filepath.Glob(typo + "*"); len(matches) > 0 {
			t.Fatalf("%v left files behind: %v", args[:2], matches)
		}
	}
}

// TestServeOnABusyPortLeavesTheDatabaseAlone: a second instance started on
// the first's port fails on the port, before it makes or migrates a database.
func TestServeOnABusyPortLeavesTheDatabaseAlone(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	db := filepath.Join(t.TempDir(), "r.db")
	_, errOut, code := runRoster(t, nil, "serve", "--db", db, "--addr", l.Addr().String())
	if code == 0 || !strings.Contains(errOut, "listen on "+l.Addr().String()) {
		t.Errorf("serve on a busy port: exit %d, %q; want a failure to listen", code, errOut)
	}
	if matches, _ := filepath.Glob(db + "*"); len(matches) > 0 {
		t.Errorf("serve on a busy port made the database: %v", matches)
	}
}

// logLines returns the lines of a server's log as they come, closed when
// the log ends.
func logLines(r io.Reader) <-chan string {
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	return lines
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestServeHealthAndGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	addr := freePort(t)
	cmd := exec.Command(binary, "serve", "--addr", addr, "--db", filepath.Join(dir, "roster.db"))
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := logLines(stderr)
	defer cmd.Process.Kill()

	var resp *http.Response
	var err error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err = http.Get("http://" + addr + "/healthz"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("healthz never answered: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("healthz = %d", resp.StatusCode)
	}
	if resp, err := http.Get("http://" + addr + "/readyz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("readyz = %v, %v", resp, err)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop after SIGTERM")
	}
	var log []string
	for l := range lines {
		log = append(log, l)
	}
	joined := strings.Join(log, "\n")
	if !strings.Contains(joined, "roster account create") {
		t.Errorf("an empty database should log how to create the first account; log:\n%s", joined)
	}
	if !strings.Contains(joined, "stopped") {
		t.Errorf("no clean stop in the log:\n%s", joined)
	}
	// What the migrations reached, and how long it took.
	if !regexp.MustCompile(`database ready.* schema=\d+ took=`).MatchString(joined) {
		t.Errorf("the log does not say the database is ready, with its schema:\n%s", joined)
	}
}

func TestMigrate(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	for i := 0; i < 2; i++ {
		if _, errOut, code := runRoster(t, nil, "migrate", "--db", db); code != 0 {
			t.Fatalf("migrate run %d: exit %d %s", i, code, errOut)
		}
	}
	// What serve refuses, migrate refuses too, before making a file of it.
	dir := t.TempDir()
	for _, bad := range []string{"host=db password=hunter2", "mysql://x/y"} {
		cmd := exec.Command(binary, "migrate", "--db", bad)
		cmd.Dir = dir
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(stderr.String(), "db:") {
			t.Errorf("migrate --db %q: exit %d (%v), %q; want 2 and the reason", bad, code, err, stderr.String())
		}
		if strings.Contains(stdout.String()+stderr.String(), "hunter2") {
			t.Errorf("migrate --db %q printed the password", bad)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a refused migrate left %d files behind", len(entries))
	}
}

// TestSetupLinkAtEveryLogLevel: the first-run link is the only way in to a
// new service, so it is logged however quiet the log is set to be; and an
// address that means every interface gives a link a browser can open.
func TestSetupLinkAtEveryLogLevel(t *testing.T) {
	port := freePort(t)
	_, p, _ := net.SplitHostPort(port)
	s := startServer(t, []string{"ROSTER_DB=" + filepath.Join(t.TempDir(), "r.db"), "ROSTER_LOG_LEVEL=error"}, "0.0.0.0:"+p)
	s.stop()
	if want := `setup_url="http://localhost:` + p + "/setup?token=rsu_"; !strings.Contains(s.log.String(), want) {
		t.Errorf("log at level error lacks %s:\n%s", want, s.log)
	}
}

// TestLogMailerAtEveryLogLevel: the log mailer's messages carry the links
// people need to get in, and the outbox holds them as sent once logged, so
// they are logged however quiet the log is set to be.
func TestLogMailerAtEveryLogLevel(t *testing.T) {
	env := []string{"ROSTER_DB=" + filepath.Join(t.TempDir(), "r.db"), "ROSTER_LOG_LEVEL=error", "ROSTER_MAIL_POLL=50ms"}
	if _, errOut, code := runRoster(t, env, "account", "create", "--name", "Acme", "--owner-email", "olive@acme.test"); code != 0 {
		t.Fatal(errOut)
	}
	s := startServer(t, env, freePort(t))
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if out, _, _ := runRoster(t, env, "outbox", "list", "--status", "sent"); strings.Contains(out, "owner_activation") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the owner's activation email was not sent")
		}
	}
	s.stop()
	if !strings.Contains(s.log.String(), "/activate?token=") {
		t.Errorf("log at level error lacks the owner's activation link:\n%s", s.log)
	}
}

// TestJSONLogs: with ROSTER_LOG_FORMAT=json every line the service logs,
// the setup link's included, is one JSON object, for log collectors.
func TestJSONLogs(t *testing.T) {
	addr := freePort(t)
	s := startServer(t, []string{"ROSTER_DB=" + filepath.Join(t.TempDir(), "r.db"), "ROSTER_LOG_FORMAT=json"}, addr)
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s.stop()
	lines, setup := 0, false
	for _, line := range strings.Split(strings.TrimSpace(s.log.String()), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("a log line is not JSON (%v): %s", err, line)
		}
		lines++
		setup = setup || strings.Contains(fmt.Sprint(entry["setup_url"]), "/setup?token=rsu_")
	}
	if lines < 3 || !setup {
		t.Errorf("%d JSON lines, setup link among them: %v\n%s", lines, setup, s.log)
	}
}

// TestMetricsToken: with ROSTER_METRICS_TOKEN set, /metrics answers only
// a scraper sending it, and the token opens nothing else.
func TestMetricsToken(t *testing.T) {
	const token = "metrics-0123456789abcdef"
	addr := freePort(t)
	s := startServer(t, []string{"ROSTER_DB=" + filepath.Join(t.TempDir(), "r.db"), "ROSTER_METRICS_TOKEN=" + token}, addr)
	get := func(path, bearer string) (int, string) {
		req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, bearer := range []string{"", "metrics-0123456789abcdeX", token + "0"} {
		if code, _ := get("/metrics", bearer); code != http.StatusUnauthorized {
			t.Errorf("/metrics with %q: %d, want 401", bearer, code)
		}
	}
	if code, body := get("/metrics", token); code != http.StatusOK || !strings.Contains(body, "roster_http_requests_total") {
		t.Errorf("/metrics with the token: %d\n%.300s", code, body)
	}
	// The metrics token opens /metrics and nothing else: not the API as
	// a token, not the web pages as a session.
	for _, path := range []string{"/api/v1/me", "/api/v1/tokens", "/api/v1/accounts/acc_x/members", "/api/v1/accounts/acc_x/audit"} {
		if code, _ := get(path, token); code != http.StatusUnauthorized {
			t.Errorf("the metrics token on %s: %d, want 401", path, code)
		}
	}
	req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/accounts/acc_x/check", strings.NewReader(`{"user":"usr_x","permission":"members.read"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the metrics token on the check: %v, %v; want 401", resp, err)
	} else {
		resp.Body.Close()
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range []string{"/", "/me/password"} {
		req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		// A bearer token that is not an API token is refused (401), or
		// the page sends the visitor to sign in; it never opens.
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusUnauthorized && (resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login")) {
			t.Errorf("the metrics token on the page %s: %d to %q, want 401 or the sign-in page", path, resp.StatusCode, loc)
		}
	}
	s.stop()
	if strings.Contains(s.log.String(), token) {
		t.Errorf("the log shows the metrics token")
	}
}

// TestShutdownCutsOffWhatOutlastsTheDrain: a request still running when
// the drain ends (a client sending its body slowly) is cut off, and the
// service still stops cleanly, saying so.
func TestShutdownCutsOffWhatOutlastsTheDrain(t *testing.T) {
	addr := freePort(t)
	s := startServer(t, []string{"ROSTER_DB=" + filepath.Join(t.TempDir(), "r.db")}, addr)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Half a body: the handler waits for the rest.
	fmt.Fprintf(conn, "POST /api/v1/session HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\":", addr)
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	s.stop() // fails the test on a non-zero exit
	if took := time.Since(start); took < 5*time.Second {
		t.Errorf("stopped after %v, without waiting for the request under way", took)
	}
	log := s.log.String()
	if !strings.Contains(log, "cut off") || !strings.Contains(log, "stopped") {
		t.Errorf("the log does not say the request was cut off and the service stopped:\n%s", log)
	}
}

// TestServeRefusesADatabaseItCannotWrite: a database file the service's
// user may read but not write is refused at start, rather than served
// read-only with every write failing. Switching user needs root.
func TestServeRefusesADatabaseItCannotWrite(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SKIP: running serve as another user needs root")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	if _, errOut, code := runRoster(t, nil, "migrate", "--db", db); code != 0 {
		t.Fatalf("migrate: %s", errOut)
	}
	// Everyone may make files in the directory (SQLite's -wal and -shm)
	// and read the database; only root may write it.
	for _, p := range []string{filepath.Dir(binary), filepath.Dir(dir)} {
		os.Chmod(p, 0o755)
	}
	os.Chmod(dir, 0o777)
	files, _ := filepath.Glob(db + "*")
	for _, f := range files {
		os.Chmod(f, 0o644)
	}
	cmd := exec.Command(binary, "serve", "--db", db, "--addr", freePort(t))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("serve started on a database it cannot write")
	}
	if err == nil || !strings.Contains(string(out), "cannot be written") {
		t.Errorf("serve on a read-only database: %v\n%s", err, out)
	}
}

// TestNotReadyWhenTheDatabaseFileIsGone: a SQLite file deleted or replaced
// under a running service (a restore while running) leaves its connections
// writing to the old file, which a restart would lose; /readyz says so.
func TestNotReadyWhenTheDatabaseFileIsGone(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	addr := freePort(t)
	s := startServer(t, []string{"ROSTER_DB=" + db}, addr)
	ready := func() int {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := ready(); code != http.StatusOK {
		t.Fatalf("readyz with the database in place: %d", code)
	}
	if err := os.Rename(db, db+".moved"); err != nil {
		t.Fatal(err)
	}
	if code := ready(); code != http.StatusServiceUnavailable {
		t.Errorf("readyz with the database moved away: %d, want 503", code)
	}
	if err := os.Rename(db+".moved", db); err != nil {
		t.Fatal(err)
	}
	if code := ready(); code != http.StatusOK {
		t.Errorf("readyz with the database back: %d, want 200", code)
	}
	s.stop()
	if !strings.Contains(s.log.String(), "is no longer the file this process opened") {
		t.Errorf("the log does not say why the service is not ready:\n%s", s.log)
	}
}

// TestDBLabelShowsNoPassword: the database as the log and migrate show it
// holds no password, however the URL writes it; pgx reads a password with
// # or ? in it as libpq does, where net/url sees a fragment or a query.
func TestDBLabelShowsNoPassword(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://roster:12#S3cret@db.internal:5433/roster":           "postgres://roster@db.internal:5433/roster",
		"postgres://r3:?S3cret-2024@127.0.0.1:5432/r3":                  "postgres://r3@127.0.0.1:5432/r3",
		"postgres://r2:#Hash/S3cret?x@127.0.0.1:5432/r2":                "postgres", // pgx cannot read it either
		"postgres://roster@db.internal/roster?password=S3cret":          "postgres://roster@db.internal:5432/roster",
		"postgresql://roster:S3cret@db.internal/roster?sslmode=disable": "postgres://roster@db.internal:5432/roster",
	} {
		c := config.Default()
		c.DB = in
		got := dbLabel(c)
		if strings.Contains(got, "S3cret") || got != want {
			t.Errorf("dbLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMailLabelShowsNoPassword: the start's log says where mail goes, the
// log mailer plainly, an SMTP server without its user or password.
func TestMailLabelShowsNoPassword(t *testing.T) {
	for in, want := range map[string]string{
		"":                                       "log (ROSTER_SMTP_URL is not set: messages and their links are written to this log)",
		"smtp://roster:S3cret@mail.example:587":  "smtp://mail.example:587",
		"smtps://ro%40ster:S3cret%23@mx.example": "smtps://mx.example",
		"smtp://127.0.0.1:2525?starttls=never":   "smtp://127.0.0.1:2525",
	} {
		c := config.Default()
		c.SMTPURL = in
		if got := mailLabel(c); strings.Contains(got, "S3cret") || got != want {
			t.Errorf("mailLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestServeSaysWhyItIsNotAnsweringYet: while another process holds the
// database's migration lock (migrating it), serve waits with its port
// closed, and says so in the log rather than look hung; once the lock is
// free it opens the database and serves.
func TestServeSaysWhyItIsNotAnsweringYet(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "roster.db")
	lock, err := os.OpenFile(db+"-migrate.lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	cmd := exec.Command(binary, "serve", "--addr", addr, "--db", db)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := logLines(stderr)
	waitFor := func(what string) {
		t.Helper()
		timeout := time.After(20 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("serve ended before logging %q", what)
				}
				if strings.Contains(l, what) {
					return
				}
			case <-timeout:
				t.Fatalf("serve did not log %q", what)
			}
		}
	}
	waitFor("still opening the database")
	if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
		resp.Body.Close()
		t.Errorf("serve answered while another process held the migration lock")
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_UN); err != nil {
		t.Fatal(err)
	}
	waitFor("database ready")
	waitFor("roster serving")
}
