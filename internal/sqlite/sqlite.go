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
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

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
	path   string
	file   os.FileInfo // the database file as opened: Ready compares
	writer *sql.DB     // exactly one connection: the write lock
	reader *sql.DB     // query-only connections for Read

	checks *checkReads // the check path's reads, remembered between commits

	// Prepared statements by their text, one cache per pool: SQLite
	// parses and plans a statement in about as long as it takes to run
	// a small one, and database/sql keeps no statements of its own.
	writerStmts, readerStmts *stmtCache

	// catalogs caches parsed catalogs by account id; an account's catalog
	// never changes, but the text is compared anyway so that a cached value
	// can never outlive a rolled-back account.
	mu       sync.Mutex
	catalogs map[string]cachedCatalog

	// checkpoint is the checkpoint soon due after a commit that redacted
	// outbox links (checkpointSoon); closed stops any more.
	checkpointMu sync.Mutex
	checkpoint   *time.Timer
	closed       bool
}

// checkpointDelay is how soon after a commit that redacted outbox links
// the WAL is copied into the database file: soon enough that the links are
// not there for long, late enough that a run of sent messages makes one
// checkpoint, not one each.
const checkpointDelay = 200 * time.Millisecond

// checkpointSoon copies the WAL into the database file shortly, after a
// commit that redacted outbox links (DECISIONS 84). Until a checkpoint, the
// file holds its pages as they were before the redaction, links and all,
// for as long as a quiet server writes fewer pages than the automatic
// checkpoint waits for: days. A checkpoint that fails (readers still need
// older frames) leaves them to the next one, as SQLite would.
func (s *Store) checkpointSoon() {
	s.checkpointMu.Lock()
	defer s.checkpointMu.Unlock()
	if s.checkpoint != nil || s.closed {
		return
	}
	s.checkpoint = time.AfterFunc(checkpointDelay, func() {
		s.checkpointMu.Lock()
		s.checkpoint = nil
		closed := s.closed
		s.checkpointMu.Unlock()
		if !closed {
			_, _ = s.writer.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
		}
	})
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
	if err := checkDir(path); err != nil {
		return nil, err
	}
	writer, err := openWriter(path)
	if err != nil {
		return nil, err
	}
	s := &Store{path: path, writer: writer, writerStmts: newStmtCache(writer), catalogs: make(map[string]cachedCatalog)}
	// The writer sets WAL mode, which readers need, so it connects first,
	// and with the migration lock held (see lockMigrations).
	if err := s.setUp(ctx); err != nil {
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
	s.reader, s.readerStmts = reader, newStmtCache(reader)
	if s.checks, err = newCheckReads(ctx, reader, path); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if s.file, err = os.Stat(path); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return s, nil
}

// Ready reads from the database, and refuses when its path no longer
// names the file the store opened: deleted, moved, or replaced by a copy
// (a restore while running). The store's connections would go on with
// the old file, whose writes a restart would lose.
func (s *Store) Ready(ctx context.Context) error {
	if fi, err := os.Stat(s.path); err != nil || !os.SameFile(fi, s.file) {
		return fmt.Errorf("sqlite: %s is no longer the file this process opened (deleted, moved or replaced); restart Roster", s.path)
	}
	return s.Read(ctx, func(tx roster.Tx) error {
		_, err := tx.CountAccounts()
		return err
	})
}

// setUp connects the writer, which puts a new file in WAL mode, and
// migrates, holding the migration lock.
func (s *Store) setUp(ctx context.Context) error {
	unlock, err := lockMigrations(ctx, s.path)
	if err != nil {
		return err
	}
	defer unlock()
	if err := s.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	if err := migrate(ctx, s.writer); err != nil {
		return err
	}
	return s.checkWritable()
}

// checkWritable refuses a database file this process may read but not
// write (or one on a read-only file system). SQLite opens such a file
// read-only without a word: the service would start, answer ready, and
// fail every write. access(2) asks without taking SQLite's write lock,
// which another process may hold for a while.
func (s *Store) checkWritable() error {
	if err := syscall.Access(s.path, 2 /* W_OK */); err != nil {
		return fmt.Errorf("sqlite: %s cannot be written by this user: %w", s.path, err)
	}
	return nil
}

// checkDir refuses a database whose directory is missing or not writable:
// SQLite makes the file's -wal and -shm next to it, and without them fails
// with "attempt to write a readonly database", which names neither.
func checkDir(path string) error {
	dir := filepath.Dir(path)
	if err := syscall.Access(dir, 2 /* W_OK */); err != nil {
		return fmt.Errorf("sqlite: the directory %s must exist and be writable by this user (SQLite makes %s-wal and %s-shm in it): %w",
			dir, filepath.Base(path), filepath.Base(path), err)
	}
	return nil
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
		// Statement journals (each statement of a transaction can be
		// undone alone) in memory rather than temporary files, and a page
		// cache that holds a bulk invitation's changed pages until commit
		// instead of spilling them: up to 32 MiB, taken only as used.
		//
		// What is deleted or overwritten is zeroed in the file
		// (secure_delete), and the WAL is cut back to nothing whenever it
		// starts again after a checkpoint (journal_size_limit): an
		// outbox link redacted once its message is sent (SPEC §7) would
		// otherwise stay readable in the file's free space, or in old
		// frames of the WAL, and in every copy of them, and an
		// invitation's link still works.
		"_pragma": {"temp_store(memory)", "cache_size(-32768)", "secure_delete(on)", "journal_size_limit(0)"},
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
	s.checkpointMu.Lock()
	s.closed = true
	if s.checkpoint != nil {
		s.checkpoint.Stop() // closing the writer checkpoints anyway
	}
	s.checkpointMu.Unlock()
	var errs []error
	if s.checks != nil {
		errs = append(errs, s.checks.close())
	}
	if s.readerStmts != nil {
		s.readerStmts.close()
	}
	s.writerStmts.close()
	if s.reader != nil {
		errs = append(errs, s.reader.Close())
	}
	errs = append(errs, s.writer.Close())
	// Last: closing the WAL index's file drops the process's locks on it
	// (see walIndex), which the connections needed until now.
	if s.checks != nil && s.checks.wal != nil {
		errs = append(errs, s.checks.wal.close())
	}
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
	return fn(&tx{ctx: ctx, q: sqlTx, stmts: s.readerStmts, store: s})
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
	t := &tx{ctx: ctx, q: sqlTx, stmts: s.writerStmts, store: s}
	if account != "" {
		if err := t.LockAccount(account); err != nil {
			return err
		}
	}
	if err := fn(t); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	committed = true
	if t.redacted {
		s.checkpointSoon()
	}
	return nil
}

// LockAccount checks that the account exists: a write transaction holds
// the database's write lock, which covers every account's.
func (t *tx) LockAccount(account string) error {
	var one int
	err := t.queryRow(`SELECT 1 FROM accounts WHERE id = ?`, account).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return errAccountNotFound
	}
	if err != nil {
		return fmt.Errorf("sqlite: lock account: %w", err)
	}
	return nil
}

// tx implements roster.Tx on one database/sql transaction.
type tx struct {
	ctx   context.Context
	q     *sql.Tx
	stmts *stmtCache // of the pool q came from
	store *Store
	// prepared holds this transaction's statements by their text, so that
	// a statement run many times in one transaction (a bulk invitation)
	// is bound to it once.
	prepared map[string]*sql.Stmt
	// redacted is whether the transaction emptied an outbox link.
	redacted bool
}

// stmt returns the prepared statement for query, bound to this
// transaction.
func (t *tx) stmt(query string) (*sql.Stmt, error) {
	if st, ok := t.prepared[query]; ok {
		return st, nil
	}
	var st *sql.Stmt
	if pooled := t.stmts.lookup(query); pooled != nil {
		st = t.q.StmtContext(t.ctx, pooled)
	} else {
		var err error
		if st, err = t.q.PrepareContext(t.ctx, query); err != nil {
			return nil, err
		}
	}
	if t.prepared == nil {
		t.prepared = make(map[string]*sql.Stmt)
	}
	t.prepared[query] = st
	return st, nil
}

// execOnce runs query as a statement prepared for this transaction only,
// for texts that are seldom run again (a batch's last, partial INSERT):
// they would fill the pool's bounded cache.
func (t *tx) execOnce(query string, args ...any) (sql.Result, error) {
	st, err := t.q.PrepareContext(t.ctx, query)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return st.ExecContext(t.ctx, args...)
}

func (t *tx) exec(query string, args ...any) (sql.Result, error) {
	st, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(t.ctx, args...)
}

func (t *tx) query(query string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(t.ctx, args...)
}

func (t *tx) queryRow(query string, args ...any) *sql.Row {
	st, err := t.stmt(query)
	if err != nil {
		// A *sql.Row cannot be made to hold an error; an unprepared
		// statement fails again, and reports, when run on the tx.
		return t.q.QueryRowContext(t.ctx, query, args...)
	}
	return st.QueryRowContext(t.ctx, args...)
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
