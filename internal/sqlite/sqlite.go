// Package sqlite implements roster.Store on a SQLite file, with the pure Go
// driver modernc.org/sqlite.
//
// All writes go through one connection whose transactions begin with BEGIN
// IMMEDIATE, so a Write holds the database's write lock from its start: that
// is the account write lock roster.Store promises (it is coarser, covering
// every account, which SQLite's single writer imposes anyway). Reads use a
// separate pool of query-only connections and, thanks to WAL, see a snapshot
// without waiting for writers. A Write's fn must not call Write: it would
// wait for the connection it holds.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/policy"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

var _ roster.Store = (*Store)(nil)

// busyTimeoutMillis is how long a connection waits for another process's
// lock before failing with SQLITE_BUSY.
const busyTimeoutMillis = 10000

// Store is a roster.Store on one SQLite file.
type Store struct {
	writer *sql.DB // exactly one connection: the write lock
	reader *sql.DB // query-only connections for Read

	checks *checkReads // the check path's reads, remembered between commits

	// catalogs caches parsed catalogs by account id; an account's catalog
	// never changes, but the text is compared anyway so that a cached value
	// can never outlive a rolled-back account.
	mu       sync.Mutex
	catalogs map[string]cachedCatalog
}

type cachedCatalog struct {
	text    string
	catalog *policy.Catalog
}

// Open opens (creating if needed) the SQLite database at path, a file name,
// and applies pending migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	writer, err := openWriter(path)
	if err != nil {
		return nil, err
	}
	s := &Store{writer: writer, catalogs: make(map[string]cachedCatalog)}
	// The writer sets WAL mode, which readers need, so it connects first.
	if err := writer.PingContext(ctx); err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := s.Migrate(ctx); err != nil {
		writer.Close()
		return nil, err
	}
	reader, err := sql.Open("sqlite", dsn(path, url.Values{
		"_busy_timeout": {fmt.Sprint(busyTimeoutMillis)},
		"_query_only":   {"1"},
	}))
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0)) + 1 // one is held by the check path (see checkReads)
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)
	if err := reader.PingContext(ctx); err != nil {
		writer.Close()
		reader.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.reader = reader
	if s.checks, err = newCheckReads(ctx, reader, path); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return s, nil
}

// checkPath refuses what is not a plain file name: the store adds its own
// connection parameters, and an in-memory database would not be shared
// between the writer and the readers.
func checkPath(path string) error {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") || strings.Contains(path, "?") {
		return fmt.Errorf("sqlite: %q is not a plain file path", path)
	}
	return nil
}

// openWriter returns the single-connection pool that does every write.
func openWriter(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn(path, url.Values{
		"_busy_timeout": {fmt.Sprint(busyTimeoutMillis)},
		"_journal_mode": {"WAL"},
		"_foreign_keys": {"1"},
		"_synchronous":  {"FULL"},
		"_txlock":       {"immediate"},
	}))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return db, nil
}

func dsn(path string, params url.Values) string {
	return path + "?" + params.Encode()
}

// Close closes both connection pools.
func (s *Store) Close() error {
	var errs []error
	if s.checks != nil {
		errs = append(errs, s.checks.close())
	}
	if s.reader != nil {
		errs = append(errs, s.reader.Close())
	}
	errs = append(errs, s.writer.Close())
	return errors.Join(errs...)
}

// Read runs fn in a read-only transaction. Its snapshot is taken at fn's
// first query (a deferred BEGIN in WAL mode) and held until fn returns.
func (s *Store) Read(ctx context.Context, fn func(roster.Tx) error) error {
	sqlTx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: begin read: %w", err)
	}
	defer sqlTx.Rollback() // a read-only transaction has nothing to commit
	return fn(&tx{ctx: ctx, q: sqlTx, store: s})
}

// Write runs fn in a read-write transaction holding the database's write
// lock from BEGIN IMMEDIATE on, which covers the account's.
func (s *Store) Write(ctx context.Context, account string, fn func(roster.Tx) error) error {
	sqlTx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin write: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			sqlTx.Rollback()
		}
	}()
	t := &tx{ctx: ctx, q: sqlTx, store: s}
	if account != "" {
		var one int
		err := sqlTx.QueryRowContext(ctx, `SELECT 1 FROM accounts WHERE id = ?`, account).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return errAccountNotFound
		}
		if err != nil {
			return fmt.Errorf("sqlite: lock account: %w", err)
		}
	}
	if err := fn(t); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	committed = true
	return nil
}

// tx implements roster.Tx on one database/sql transaction.
type tx struct {
	ctx   context.Context
	q     *sql.Tx
	store *Store
}

func (t *tx) exec(query string, args ...any) (sql.Result, error) {
	return t.q.ExecContext(t.ctx, query, args...)
}

func (t *tx) query(query string, args ...any) (*sql.Rows, error) {
	return t.q.QueryContext(t.ctx, query, args...)
}

func (t *tx) queryRow(query string, args ...any) *sql.Row {
	return t.q.QueryRowContext(t.ctx, query, args...)
}

// execOne runs a statement that must change exactly one row, and returns
// notFound when it changed none.
func (t *tx) execOne(op string, notFound error, query string, args ...any) error {
	res, err := t.exec(query, args...)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	if n == 0 {
		return notFound
	}
	return nil
}
