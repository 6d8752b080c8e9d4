package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestServer(t *testing.T) {
	s := New()
	t.Cleanup(s.Stop) // after the databases' cleanups, which need the server
	url := s.NewDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to the new database: %v", err)
	}
	defer conn.Close(ctx)

	var version int
	if err := conn.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if s.proc != nil && version/10000 != 15 {
		t.Errorf("server version %d, want PostgreSQL 15", version)
	}
	// The default collation is not byte order where ICU is available, so
	// that a missing COLLATE "C" shows.
	var provider string
	if err := conn.QueryRow(ctx, `SELECT datlocprovider::text FROM pg_database WHERE datname = current_database()`).Scan(&provider); err != nil {
		t.Fatal(err)
	}
	var bytewise bool
	if err := conn.QueryRow(ctx, `SELECT 'B' < 'a'`).Scan(&bytewise); err != nil {
		t.Fatal(err)
	}
	if provider == "i" && bytewise {
		t.Errorf("an ICU default collation sorts 'B' before 'a'; want a non-byte order")
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE t (x int)`); err != nil {
		t.Errorf("the new database is not writable: %v", err)
	}

	// A second server given by URL creates its databases on the first.
	t.Setenv(EnvURL, s.adminURL.String())
	byURL := New()
	t.Cleanup(byURL.Stop)
	other := byURL.NewDatabase(t)
	if other == url {
		t.Errorf("two databases with one URL %s", url)
	}
	if byURL.proc != nil {
		t.Errorf("a server given by %s started its own PostgreSQL", EnvURL)
	}
}
