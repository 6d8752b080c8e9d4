// Package pgtest runs a throwaway PostgreSQL 15 for the tests of one package
// (each test package is its own process) and gives each test a fresh, empty
// database on it.
//
// The server is initdb'd into a temporary directory, listens on a free
// loopback port and on a unix socket inside that directory, runs as a
// non-root user (PostgreSQL refuses root), and trades durability for speed
// (fsync=off). Stop kills it the way `pg_ctl stop -m immediate` does and
// removes the directory.
//
// The database cluster is created with the ICU locale en-US as its default
// collation, which does not sort by bytes, so a store that forgets
// COLLATE "C" on a sort key fails its tests here rather than in production.
//
// Environment:
//
//	ROSTER_TEST_POSTGRES_URL  an existing server (a superuser or CREATEDB role's URL)
//	                          to create the test databases on, instead of starting one
//	ROSTER_TEST_POSTGRES_BIN  where initdb and postgres are (default /usr/lib/postgresql/15/bin)
//	ROSTER_REQUIRE_ALL=1      a PostgreSQL that cannot run fails the tests instead of skipping them
//
// Use it from TestMain:
//
//	var pg *pgtest.Server
//
//	func TestMain(m *testing.M) {
//		pg = pgtest.New()
//		code := m.Run()
//		pg.Stop()
//		os.Exit(code)
//	}
//
// and in a test: url := pg.NewDatabase(t).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultBinDir is where Debian's postgresql-15 package puts the server.
const DefaultBinDir = "/usr/lib/postgresql/15/bin"

// Environment variables read by the package.
const (
	EnvURL        = "ROSTER_TEST_POSTGRES_URL"
	EnvBinDir     = "ROSTER_TEST_POSTGRES_BIN"
	EnvRequireAll = "ROSTER_REQUIRE_ALL"
)

// startTimeout bounds how long the server may take to accept connections.
const startTimeout = 60 * time.Second

// dirPrefix starts the names of the servers' temporary directories.
const dirPrefix = "roster-pg-"

// Server is a PostgreSQL server for tests. It starts on first use, so a test
// binary whose tests never ask for a database never pays for one.
type Server struct {
	once sync.Once
	err  error // why the server is not available; set by start

	admin    *pgxpool.Pool // connected to the maintenance database
	adminURL *url.URL

	// Set only for a server started here.
	dir    string
	proc   *exec.Cmd
	exited chan struct{} // closed when proc has exited

	warnOnce sync.Once
}

// New returns a server that starts when NewDatabase first needs it.
func New() *Server { return &Server{} }

// Start returns a server that has started (or failed to), so that the time
// it takes is not charged to the first test.
func Start() (*Server, error) {
	s := New()
	return s, s.start()
}

// NewDatabase creates an empty database for t, drops it when t ends, and
// returns its URL. When PostgreSQL is not available it skips t with the
// reason, or fails t when ROSTER_REQUIRE_ALL=1.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	if err := s.start(); err != nil {
		s.unavailable(t, err)
	}
	name := "roster_test_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	// template0 is always empty. name is ours (letters, digits and _), so
	// it needs no quoting.
	if _, err := s.admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0"); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		// FORCE ends connections a test may have leaked, so that one leak
		// does not fail every later test.
		if _, err := s.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	u := *s.adminURL
	u.Path = "/" + name
	return u.String()
}

// Err reports why the server is not available, starting it if needed.
func (s *Server) Err() error { return s.start() }

// Stop stops a server started here and removes its files; for a server
// given by ROSTER_TEST_POSTGRES_URL it only disconnects.
func (s *Server) Stop() {
	if s.admin != nil {
		s.admin.Close()
	}
	if s.proc != nil {
		// SIGQUIT is what `pg_ctl stop -m immediate` sends: no checkpoint,
		// which a throwaway cluster does not need.
		s.proc.Process.Signal(syscall.SIGQUIT)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			s.proc.Process.Kill()
			<-s.exited
		}
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// unavailable skips t (or fails it under ROSTER_REQUIRE_ALL=1) with err,
// and says so once on stderr, where `go test` without -v shows it too.
func (s *Server) unavailable(t testing.TB, err error) {
	t.Helper()
	msg := fmt.Sprintf("PostgreSQL tests cannot run: %v. They need PostgreSQL 15 in %s (or %s=DIR), or a server in %s=postgres://...",
		err, DefaultBinDir, EnvBinDir, EnvURL)
	if os.Getenv(EnvRequireAll) == "1" {
		t.Fatalf("%s (failing because %s=1)", msg, EnvRequireAll)
	}
	s.warnOnce.Do(func() {
		fmt.Fprintf(os.Stderr, "\n*** SKIPPED: %s; set %s=1 to make this a failure ***\n\n", msg, EnvRequireAll)
	})
	t.Skipf("SKIPPED: %s; set %s=1 to make this a failure", msg, EnvRequireAll)
}

func (s *Server) start() error {
	s.once.Do(func() {
		if s.err = s.startOnce(); s.err != nil {
			s.Stop()
		}
	})
	return s.err
}

func (s *Server) startOnce() error {
	if raw := os.Getenv(EnvURL); raw != "" {
		u, err := url.Parse(raw)
		if err != nil {
			return fmt.Errorf("%s: %w", EnvURL, err)
		}
		return s.connect(u)
	}
	bin := os.Getenv(EnvBinDir)
	if bin == "" {
		bin = DefaultBinDir
	}
	for _, prog := range []string{"initdb", "postgres"} {
		if _, err := os.Stat(filepath.Join(bin, prog)); err != nil {
			return fmt.Errorf("no %s in %s", prog, bin)
		}
	}
	cred, err := serverUser()
	if err != nil {
		return err
	}
	removeStale()
	if s.dir, err = os.MkdirTemp("", dirPrefix); err != nil {
		return err
	}
	if cred != nil {
		if err := os.Chown(s.dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
	}
	data := filepath.Join(s.dir, "data")
	if err := initdb(bin, data, cred); err != nil {
		return err
	}
	conf := fmt.Sprintf(`
listen_addresses = '127.0.0.1'
unix_socket_directories = '%s'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
`, s.dir)
	if err := appendFile(filepath.Join(data, "postgresql.conf"), conf); err != nil {
		return err
	}
	// A free port can be taken between our look and the server's bind;
	// try a few.
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		err = s.run(bin, data, port, cred)
		if err == nil {
			u := &url.URL{Scheme: "postgres", User: url.User("postgres"), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
				Path: "/postgres", RawQuery: "sslmode=disable"}
			return s.connect(u)
		}
		if attempt == 3 {
			return err
		}
	}
}

// serverUser returns the credentials to run PostgreSQL with: nil when this
// process is not root, else those of the postgres user, or nobody's.
func serverUser() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root, and there is neither a postgres nor a nobody user to run PostgreSQL as")
}

// initdb creates the cluster, preferring an ICU default collation that is
// not byte order (see the package comment).
func initdb(bin, data string, cred *syscall.Credential) error {
	base := []string{"-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync", "--no-instructions"}
	var errs []error
	for _, locale := range [][]string{
		{"--locale=C.UTF-8", "--locale-provider=icu", "--icu-locale=en-US"},
		{"--locale=C.UTF-8"},
		{"--locale=C"},
	} {
		cmd := exec.Command(filepath.Join(bin, "initdb"), append(base, locale...)...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		out, err := cmd.CombinedOutput()
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("initdb %s: %v: %s", strings.Join(locale, " "), err, lastLines(string(out), 3)))
		os.RemoveAll(data)
	}
	return errors.Join(errs...)
}

// run starts postgres on port and waits until it accepts connections.
func (s *Server) run(bin, data string, port int, cred *syscall.Credential) error {
	logPath := filepath.Join(s.dir, fmt.Sprintf("postgres-%d.log", port))
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: cred,
		// If the test binary dies without Stop (a timeout's panic, a
		// kill), the server shuts down instead of outliving it.
		Pdeathsig: syscall.SIGQUIT,
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-exited:
			out, _ := os.ReadFile(logPath)
			return fmt.Errorf("postgres exited at start: %s", lastLines(string(out), 5))
		default:
		}
		if ready(addr) {
			s.proc, s.exited = cmd, exited
			return nil
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-exited
			out, _ := os.ReadFile(logPath)
			return fmt.Errorf("postgres did not accept connections within %v: %s", startTimeout, lastLines(string(out), 5))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ready reports whether the server at addr accepts a session.
func ready(addr string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, "postgres://postgres@"+addr+"/postgres?sslmode=disable")
	if err != nil {
		return false
	}
	conn.Close(ctx)
	return true
}

func (s *Server) connect(u *url.URL) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	pool, err := pgxpool.New(ctx, u.String())
	if err != nil {
		return fmt.Errorf("connect to %s: %w", u.Redacted(), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return fmt.Errorf("connect to %s: %w", u.Redacted(), err)
	}
	s.admin, s.adminURL = pool, u
	return nil
}

// removeStale removes the directories of servers whose test binary died
// without Stop (a timeout's panic, a kill): the server went with it (see
// Pdeathsig) but its files stayed. A directory is stale when its server's
// process is gone, or when it never got one and is older than any start.
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		info, err := os.Stat(dir)
		if err != nil {
			continue
		}
		pidFile, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid"))
		if err != nil {
			if time.Since(info.ModTime()) > 2*startTimeout {
				os.RemoveAll(dir)
			}
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(pidFile), "\n", 2)[0]))
		if err == nil && syscall.Kill(pid, 0) == syscall.ESRCH {
			os.RemoveAll(dir)
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand documents it)
	return hex.EncodeToString(b)
}
