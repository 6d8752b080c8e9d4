package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/rosterhq/roster/internal/gomigrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockID is the key of the session-level advisory lock held while
// migrating. Advisory locks are per database, so the key only has to differ
// from other programs' keys in the same database (goose's default is
// 4097083626).
const migrationLockID = 0x726f73746572 // "roster"

// Migrate applies the pending migrations to the database at url; `roster
// migrate` calls it. Open does the same.
func Migrate(ctx context.Context, url string) error {
	cfg, err := poolConfig(url)
	if err != nil {
		return err
	}
	return migrate(ctx, cfg.ConnConfig)
}

// Version returns the version of the newest migration applied to the database.
func (s *Store) Version(ctx context.Context) (int64, error) {
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	p, err := provider(db)
	if err != nil {
		return 0, err
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("postgres: migration version: %w", err)
	}
	return v, nil
}

// migrateAttempts is how many times migrate runs a migration that failed
// on another transaction's locks (waitedOut).
const migrateAttempts = 20

// waitedOut reports whether a migration failed on the locks of running
// transactions: a deadlock, or a lock it did not have within its
// lock_timeout. 019 and 020 set one: while 019 waits for account_versions,
// every check queues behind it, and while 020 waits to drop an index of
// members, every read of members does, so each waits briefly and often
// rather than long. 020 can also deadlock with a request (its index build
// takes a lock that its drop then raises).
func waitedOut(err error) bool {
	switch pgCode(err) {
	case codeDeadlockDetected, codeLockNotAvailable:
		return true
	}
	return false
}

// migrate applies the pending migrations, each in its own transaction,
// holding the migration lock: an instance that starts while another
// migrates waits, then finds nothing left to do. A migration that failed on
// other transactions' locks is run again a second later, the lock given up
// meanwhile (another instance may take it and run the migration itself).
func migrate(ctx context.Context, cc *pgx.ConnConfig) error {
	db := stdlib.OpenDB(*cc)
	defer db.Close()
	p, err := provider(db)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		_, err := p.Up(ctx)
		if err == nil {
			break
		}
		if !waitedOut(err) || attempt == migrateAttempts || ctx.Err() != nil {
			return oneLine(fmt.Errorf("postgres: migrate: %w", err))
		}
		// The migration that failed was rolled back; Up runs it again.
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return oneLine(fmt.Errorf("postgres: migrate: %w", err))
		}
	}
	if err := gomigrate.CheckKnown(ctx, db, p); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}

func provider(db *sql.DB) (*goose.Provider, error) {
	files, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	// The global registry holds Go migrations registered by anyone in the
	// process; this store's are its own.
	p, err := goose.NewProvider(goose.DialectPostgres, db, files,
		goose.WithDisableGlobalRegistry(true), goose.WithSessionLocker(advisoryLocker{}),
		goose.WithGoMigrations(goMigrations()...))
	if err != nil {
		return nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	return p, nil
}

// goMigrations are the migrations written in Go, numbered among the SQL
// files of migrations/.
func goMigrations() []*goose.Migration {
	return []*goose.Migration{
		goose.NewGoMigration(10, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			return gomigrate.MarkedNames(ctx, tx, `DELETE FROM member_words WHERE account_id = $1 AND user_id = $2`,
				`INSERT INTO member_words (account_id, word, name_key, user_id) VALUES ($1, $2, $3, $4)`)
		}}, nil),
		goose.NewGoMigration(13, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			return emailDomainKeys(ctx, tx)
		}}, nil),
		// Keyed again: an instance from before 13, serving beside the
		// one that migrated (a rolling upgrade), went on writing the old
		// keys. From here no binary from before 13 runs on the database
		// (runs_with): it would look users up by keys they no longer have.
		goose.NewGoMigration(14, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE roster_schema SET runs_with = GREATEST(runs_with, 13)`); err != nil {
				return err
			}
			return emailDomainKeys(ctx, tx)
		}}, nil),
		// A binary from before 17 would not find members by the first
		// word of their name, which member_words no longer holds.
		goose.NewGoMigration(17, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE roster_schema SET runs_with = GREATEST(runs_with, 17)`); err != nil {
				return err
			}
			return gomigrate.LeadWords(ctx, tx, func(accounts, users, words []string) error {
				_, err := tx.ExecContext(ctx, `DELETE FROM member_words w
					USING unnest($1::text[], $2::text[], $3::text[]) AS d (account_id, user_id, word)
					WHERE w.account_id = d.account_id AND w.user_id = d.user_id AND w.word = d.word`, accounts, users, words)
				return err
			})
		}}, nil),
	}
}

// emailDomainKeys keys the users whose email's domain is not plain ASCII
// or holds an encoded label as roster.EmailKey does
// (gomigrate.EmailDomainKeys).
func emailDomainKeys(ctx context.Context, tx *sql.Tx) error {
	return gomigrate.EmailDomainKeys(ctx, tx,
		`SELECT id, email, email_key FROM users WHERE email_key ~ '[^ -~]' OR email_key LIKE '%xn--%'`,
		`SELECT 1 FROM users WHERE email_key = $1 AND id <> $2`,
		`UPDATE users SET email_key = $1 WHERE id = $2`,
		`UPDATE members SET email_key = $1 WHERE user_id = $2`)
}

// advisoryLocker is a goose session locker that waits for the migration
// lock as long as the context allows. goose's own PostgreSQL locker polls
// every 5 seconds, which would hold a second instance back for up to that
// long after the first has finished.
type advisoryLocker struct{}

var _ lock.SessionLocker = advisoryLocker{}

func (advisoryLocker) SessionLock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLockID)); err != nil {
		return fmt.Errorf("take the migration lock: %w", err)
	}
	return nil
}

func (advisoryLocker) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, int64(migrationLockID)); err != nil {
		return fmt.Errorf("release the migration lock: %w", err)
	}
	return nil
}
