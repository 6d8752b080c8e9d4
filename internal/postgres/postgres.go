// Package postgres implements roster.Store on PostgreSQL with
// github.com/jackc/pgx/v5, for several `roster serve` instances sharing one
// database.
//
// Concurrency: a Write on an account starts by locking the account's row
// (SELECT ... FOR NO KEY UPDATE), which is the account write lock
// roster.Store promises, held across instances until the transaction ends;
// inside it, READ COMMITTED is enough, because every writer of the account
// waits for the lock and then sees everything committed before it. A Write
// without an account takes no lock. A Read is REPEATABLE READ READ ONLY: one
// snapshot, taken at its first statement, that never waits for writers.
//
// Semantics equal the SQLite store's: the same error codes, times to the
// microsecond in UTC, text sort keys compared byte-wise (COLLATE "C").
// Unlike SQLite, PostgreSQL aborts a transaction at its first failed
// statement, so the store avoids expected failures instead of catching them
// (see writeError): a caller may go on after a conflict or not_found, as it
// may on SQLite.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/policy"
)

var _ roster.Store = (*Store)(nil)

// writeAttempts is how many times Write runs a transaction that failed on
// a deadlock or serialization failure before it gives up; racedAttempts,
// one that found a user created meanwhile (errRaced). Each run of a raced
// transaction finds the users the runs before met, so it gets further; it
// meets another only while other accounts keep inviting the same new
// people at the same moment, as several bulks drawn from one list do.
const (
	writeAttempts = 3
	racedAttempts = 10
)

// Store is a roster.Store on one PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
	// workTimeout is SetWorkTimeout's bound; new connections read it.
	workTimeout *atomic.Int64

	// catalogs caches parsed catalogs by account id; an account's catalog
	// never changes, but the text is compared anyway so that a cached value
	// can never outlive a rolled-back account.
	mu       sync.Mutex
	catalogs map[string]cachedCatalog

	// plans are the last plans of searches, their next plans' guesses.
	plans lastPlans
}

type cachedCatalog struct {
	text    string
	catalog *policy.Catalog
}

// Open connects to the database at url (postgres:// or postgresql://, with
// libpq's parameters; pool_max_conns sets the pool size) and applies pending
// migrations under a lock, so instances starting together do not race.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := poolConfig(url)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, cfg.ConnConfig); err != nil {
		return nil, err
	}
	workTimeout := new(atomic.Int64)
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		if d := workTimeout.Load(); d > 0 {
			// The server gives up too, for when pgx's cancel request
			// cannot reach it either (a partition): a transaction the
			// store gave up would otherwise hold its locks, or wait for
			// them, until the server notices the connection is dead, which
			// takes hours.
			// An operator's own, stricter value (the URL's, or the
			// role's or database's) stays.
			ms := d / int64(time.Millisecond)
			_, err := c.Exec(ctx, `SELECT set_config(name, $1::text, false) FROM pg_settings
				WHERE name IN ('statement_timeout', 'idle_in_transaction_session_timeout')
				AND (setting::bigint = 0 OR setting::bigint > $1::bigint)`, strconv.FormatInt(ms, 10))
			return err
		}
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, oneLine(fmt.Errorf("postgres: connect: %w", err))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, oneLine(fmt.Errorf("postgres: connect: %w", err))
	}
	return &Store{pool: pool, workTimeout: workTimeout, catalogs: make(map[string]cachedCatalog)}, nil
}

// ErrInvalidURL is the error of a database URL that does not parse.
var ErrInvalidURL = errors.New("postgres: the database URL is not valid")

// invalidURL says why pgx could not parse the URL, without quoting the URL:
// pgx's message ("cannot parse `URL`: why") quotes it with the password
// masked, but not every password (one given as a query parameter), and
// what it wraps may quote it whole.
func invalidURL(err error) error {
	msg := err.Error()
	if i := strings.LastIndex(msg, "`: "); i >= 0 && !strings.Contains(msg[i:], "://") && !strings.Contains(msg[i:], "password") {
		return fmt.Errorf("%w: %s", ErrInvalidURL, msg[i+3:])
	}
	return ErrInvalidURL
}

// poolConfig parses url and applies the store's defaults where the URL
// says nothing.
func poolConfig(url string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, invalidURL(err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		// pgx's default, max(4, CPUs), leaves requests queueing for a
		// connection while others wait on an account lock.
		cfg.MaxConns = int32(max(10, 2*runtime.GOMAXPROCS(0)))
	}
	if cfg.ConnConfig.ConnectTimeout == 0 { // neither the URL nor PGCONNECT_TIMEOUT set it
		// A server that takes the connection and never answers (frozen,
		// or behind a partition) would otherwise hold the dial for as long
		// as the work may take (SetWorkTimeout).
		cfg.ConnConfig.ConnectTimeout = 10 * time.Second
	}
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "roster"
	}
	return cfg, nil
}

// Ready reads from the database.
func (s *Store) Ready(ctx context.Context) error {
	return s.Read(ctx, func(tx roster.Tx) error {
		_, err := tx.CountAccounts()
		return err
	})
}

// Close closes the connection pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// SetWorkTimeout bounds each transaction, and each statement outside one,
// to d on this side of the connection, and each statement to d on the
// server's (its statement_timeout); 0, the default, is no bound. A server
// that takes statements and never answers (frozen, or behind a partition)
// otherwise holds every request, and every connection of the pool, until
// it comes back; and a statement the store stopped waiting for would run
// on. roster serve sets it; the commands, whose work (a large fill) may
// rightly take long, do not, and migrations run on a connection of their
// own. Call it before the store is used: it closes the connections made
// before it.
func (s *Store) SetWorkTimeout(d time.Duration) {
	s.workTimeout.Store(int64(max(d, 0)))
	s.pool.Reset() // connections are made again, with the server's bound
}

// bound returns ctx bounded by the work timeout, if any.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	d := time.Duration(s.workTimeout.Load())
	if d <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}

// Read runs fn in a REPEATABLE READ READ ONLY transaction: one snapshot,
// taken at fn's first statement, and no writes.
func (s *Store) Read(ctx context.Context, fn func(roster.Tx) error) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	t := s.begin(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	defer t.rollback() // a read-only transaction has nothing to commit
	return fn(t)
}

// Write runs fn in a READ COMMITTED transaction that first takes the
// account's row lock when account is not "". A transaction that failed on a
// deadlock (possible between writers of different accounts touching the
// same users) is run again, fn included, up to writeAttempts times.
func (s *Store) Write(ctx context.Context, account string, fn func(roster.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.write(ctx, account, fn)
		if !retryable(err) || ctx.Err() != nil {
			return err
		}
		if !errors.As(err, new(errRaced)) {
			if attempt < writeAttempts {
				continue
			}
			return err
		}
		if attempt >= racedAttempts {
			return err
		}
		// Racers that start again together meet again: a few
		// milliseconds apart, one finds what the other made.
		select {
		case <-time.After(time.Duration(rand.IntN(10*attempt)) * time.Millisecond):
		case <-ctx.Done():
			return err
		}
	}
}

func (s *Store) write(ctx context.Context, account string, fn func(roster.Tx) error) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	t := s.begin(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted, AccessMode: pgx.ReadWrite})
	defer t.rollback() // does nothing after commit
	if account != "" {
		if err := t.LockAccount(account); err != nil {
			return err
		}
	}
	if err := fn(t); err != nil {
		return err
	}
	return t.commit()
}

// LockAccount locks the account's row FOR NO KEY UPDATE. That excludes
// every other Write on the account (they take the same lock) but not the
// foreign key checks of rows that merely refer to the account, which take
// FOR KEY SHARE: a Write without an account that creates an API token in
// it does not wait for the account's writers.
func (t *tx) LockAccount(account string) error {
	var one int
	err := t.queryRow(`SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE`, account).Scan(&one)
	return rowError("lock account", err, errAccountNotFound)
}

// tx implements roster.Tx on one pgx transaction, which it begins with its
// first statement: the BEGIN goes to the server in one pipeline with that
// statement, saving a round trip of every Read and Write. (REPEATABLE READ
// takes its snapshot at the first statement after BEGIN anyway.)
type tx struct {
	ctx   context.Context
	store *Store
	// opts are the options of the transaction not begun yet, nil once q
	// is set.
	opts *pgx.TxOptions
	q    pgx.Tx
	// snapshot is whether the transaction is a Read's: it reads one
	// snapshot of committed rows, where a search's kept plan is checked
	// and made (memberRows).
	snapshot bool
}

func (s *Store) begin(ctx context.Context, opts pgx.TxOptions) *tx {
	snapshot := opts.IsoLevel == pgx.RepeatableRead && opts.AccessMode == pgx.ReadOnly
	return &tx{ctx: ctx, store: s, opts: &opts, snapshot: snapshot}
}

// statement is a statement of a batch and its arguments. The caller of
// send has checked them (checkArgs), and none names its own QueryExecMode
// (a batch runs in the connection's).
type statement struct {
	query string
	args  []any
}

// send sends stmts in one batch, after BEGIN when they begin the
// transaction, and returns their results: the caller reads them in order
// and must close them before it uses t again.
func (t *tx) send(stmts ...statement) pgx.BatchResults {
	b := &pgx.Batch{}
	begin := t.opts != nil
	if begin {
		b.BeginTx(*t.opts)
		t.opts = nil
	}
	for _, s := range stmts {
		b.Queue(s.query, s.args...)
	}
	if !begin {
		return t.q.SendBatch(t.ctx, b)
	}
	br := t.store.pool.SendBatch(t.ctx, b)
	t.q = br.Tx()
	if _, err := br.Exec(); err != nil {
		// The BEGIN's result carries any error of the batch as a whole
		// (preparing or encoding the statement, the connection), as well
		// as the BEGIN's own.
		br.Close()
		return pgx.FailedBatchResults(&pgx.Batch{}, err)
	}
	return br
}

// pipelined reports whether the next statement begins the transaction in
// one batch with it. A statement that names its own QueryExecMode cannot
// be batched (pgx batches use the connection's mode): the transaction is
// begun alone first.
func (t *tx) pipelined(args []any) (bool, error) {
	if t.opts == nil {
		return false, nil
	}
	if len(args) > 0 {
		if _, ok := args[0].(pgx.QueryExecMode); ok {
			return false, t.beginAlone()
		}
	}
	return true, nil
}

// beginAlone begins the transaction with a round trip of its own, for
// what cannot ride in a batch with BEGIN; it does nothing once begun.
func (t *tx) beginAlone() error {
	if t.opts == nil {
		return nil
	}
	q, err := t.store.pool.BeginTx(t.ctx, *t.opts)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	t.opts, t.q = nil, q
	return nil
}

// copyFrom copies c's rows into its table, with a COPY of its own: the
// transaction is begun first if it was not.
func (t *tx) copyFrom(c *copyTable) error {
	for _, row := range c.rows {
		if err := checkArgs(row); err != nil {
			return err
		}
	}
	if err := t.beginAlone(); err != nil {
		return err
	}
	_, err := t.q.CopyFrom(t.ctx, pgx.Identifier{c.table}, c.columns, pgx.CopyFromRows(c.rows))
	return err
}

// commit commits the transaction, if it was begun.
func (t *tx) commit() error {
	if t.q == nil {
		return nil
	}
	if err := t.q.Commit(t.ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

// rollback rolls the transaction back, if it was begun and is still open.
func (t *tx) rollback() {
	if t.q != nil {
		// Also after the request's context ended, but not for ever: a
		// server that stopped answering would hold this connection.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(t.ctx), 10*time.Second)
		defer cancel()
		t.q.Rollback(ctx)
	}
}

func (t *tx) exec(query string, args ...any) (pgconn.CommandTag, error) {
	if err := checkArgs(args); err != nil {
		return pgconn.CommandTag{}, err
	}
	if ok, err := t.pipelined(args); err != nil || ok {
		if err != nil {
			return pgconn.CommandTag{}, err
		}
		br := t.send(statement{query, args})
		tag, err := br.Exec()
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		return tag, err
	}
	return t.q.Exec(t.ctx, query, args...)
}

func (t *tx) query(query string, args ...any) (pgx.Rows, error) {
	if err := checkArgs(args); err != nil {
		return nil, err
	}
	if ok, err := t.pipelined(args); err != nil || ok {
		if err != nil {
			return nil, err
		}
		br := t.send(statement{query, args})
		rows, err := br.Query()
		if err != nil {
			br.Close()
			return nil, err
		}
		return batchRows{rows, br}, nil
	}
	return t.q.Query(t.ctx, query, args...)
}

func (t *tx) queryRow(query string, args ...any) pgx.Row {
	rows, err := t.query(query, args...)
	if err != nil {
		return errRow{err}
	}
	return rowOf{rows}
}

// batchRows are the rows of the last statement of a batch (a transaction's
// first statement, or a search's guessed page): closing them closes the
// batch, after which the transaction may be used.
type batchRows struct {
	pgx.Rows
	br pgx.BatchResults
}

func (r batchRows) Close() {
	r.Rows.Close()
	// The statement's error is the rows'; one of the batch alone is the
	// connection's, which the next statement or the rollback meets.
	_ = r.br.Close()
}

// rowOf is the first row of rows, as pgx.QueryRow returns it (pgx's own
// type for it is not exported).
type rowOf struct{ rows pgx.Rows }

func (r rowOf) Scan(dest ...any) error {
	defer r.rows.Close()
	if err := r.rows.Err(); err != nil {
		return err
	}
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}

// errRow is a pgx.Row whose Scan returns err.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// execOne runs a statement that must change exactly one row, and returns
// notFound when it changed none.
func (t *tx) execOne(op string, notFound error, query string, args ...any) error {
	tag, err := t.exec(query, args...)
	if errors.Is(err, errUnstorable) {
		return notFound
	}
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound
	}
	return nil
}

// exists runs a SELECT EXISTS (...) query.
func (t *tx) exists(op, query string, args ...any) (bool, error) {
	var ok bool
	err := t.queryRow(`SELECT EXISTS (`+query+`)`, args...).Scan(&ok)
	if errors.Is(err, errUnstorable) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("postgres: %s: %w", op, err)
	}
	return ok, nil
}

// insert runs an INSERT ... ON CONFLICT DO NOTHING that may also insert
// nothing because a row it refers to is missing (INSERT ... SELECT ...
// WHERE EXISTS). When it inserted nothing, taken (a query for EXISTS)
// tells a conflict from a missing reference, which is notFound; with
// taken "" nothing inserted is always a conflict.
func (t *tx) insert(op, conflict string, notFound error, taken string, takenArgs []any, query string, args ...any) error {
	tag, err := t.exec(query, args...)
	if err != nil {
		return writeError(op, err, conflict, notFound)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	if taken != "" {
		ok, err := t.exists(op, taken, takenArgs...)
		if err != nil {
			return err
		}
		if !ok {
			return notFound
		}
	}
	return errConflict(conflict)
}
