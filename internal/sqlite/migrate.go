package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/rosterhq/roster/internal/gomigrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrate applies the pending migrations. Each runs in its own BEGIN
// IMMEDIATE transaction on the single writer connection, so it holds the
// database's write lock; and processes migrating one file at the same
// moment take turns on a lock file next to it (lockMigrations), so that a
// migration is never applied twice.
func (s *Store) Migrate(ctx context.Context) error {
	unlock, err := lockMigrations(ctx, s.path)
	if err != nil {
		return err
	}
	defer unlock()
	return migrate(ctx, s.writer)
}

// Migrate applies the pending migrations to the database at path, creating
// it if needed; `roster migrate` calls it.
func Migrate(ctx context.Context, path string) error {
	if err := checkPath(path); err != nil {
		return err
	}
	if err := checkDir(path); err != nil {
		return err
	}
	unlock, err := lockMigrations(ctx, path)
	if err != nil {
		return err
	}
	defer unlock()
	db, err := openWriter(path)
	if err != nil {
		return err
	}
	defer db.Close()
	return migrate(ctx, db)
}

// Version returns the version of the newest migration applied to the database.
func (s *Store) Version(ctx context.Context) (int64, error) {
	p, err := provider(s.writer)
	if err != nil {
		return 0, err
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("sqlite: migration version: %w", err)
	}
	return v, nil
}

// migrate applies the pending migrations; the caller holds the lock of
// lockMigrations.
func migrate(ctx context.Context, db *sql.DB) error {
	p, err := provider(db)
	if err != nil {
		return err
	}
	applied, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	if len(applied) > 0 {
		// A migration may have read whole tables (an index built, keys
		// rewritten): the connection's page cache gives back what they
		// left in it rather than keep it for as long as the process runs.
		if _, err := db.ExecContext(ctx, `PRAGMA shrink_memory`); err != nil {
			return fmt.Errorf("sqlite: migrate: %w", err)
		}
	}
	if err := gomigrate.CheckKnown(ctx, db, p); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	return nil
}

func provider(db *sql.DB) (*goose.Provider, error) {
	files, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
	}
	// The global registry holds Go migrations registered by anyone in the
	// process; this store's are its own.
	p, err := goose.NewProvider(goose.DialectSQLite3, db, files, goose.WithDisableGlobalRegistry(true),
		goose.WithGoMigrations(goMigrations()...))
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
	}
	return p, nil
}

// goMigrations are the migrations written in Go, numbered among the SQL
// files of migrations/.
func goMigrations() []*goose.Migration {
	return []*goose.Migration{
		goose.NewGoMigration(7, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			return gomigrate.MarkedNames(ctx, tx, `DELETE FROM member_words WHERE account_id = ? AND user_id = ?`,
				`INSERT INTO member_words (account_id, word, name_key, user_id) VALUES (?, ?, ?, ?)`)
		}}, nil),
		goose.NewGoMigration(10, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			return emailDomainKeys(ctx, tx)
		}}, nil),
		// Keyed again: an instance from before 10, serving beside the
		// one that migrated (a rolling upgrade), went on writing the old
		// keys. From here no binary from before 10 runs on the database
		// (runs_with): it would look users up by keys they no longer have.
		goose.NewGoMigration(11, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE roster_schema SET runs_with = max(runs_with, 10)`); err != nil {
				return err
			}
			return emailDomainKeys(ctx, tx)
		}}, nil),
		// A binary from before 14 would not find members by the first
		// word of their name, which member_words no longer holds.
		goose.NewGoMigration(14, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE roster_schema SET runs_with = max(runs_with, 14)`); err != nil {
				return err
			}
			return gomigrate.LeadWords(ctx, tx, func(accounts, users, words []string) error {
				del, err := tx.PrepareContext(ctx, `DELETE FROM member_words WHERE account_id = ? AND user_id = ? AND word = ?`)
				if err != nil {
					return err
				}
				defer del.Close()
				for i := range words {
					if _, err := del.ExecContext(ctx, accounts[i], users[i], words[i]); err != nil {
						return err
					}
				}
				return nil
			})
		}}, nil),
	}
}

// emailDomainKeys keys the users whose email's domain is not plain ASCII
// or holds an encoded label as roster.EmailKey does
// (gomigrate.EmailDomainKeys).
func emailDomainKeys(ctx context.Context, tx *sql.Tx) error {
	return gomigrate.EmailDomainKeys(ctx, tx,
		`SELECT id, email, email_key FROM users WHERE email_key GLOB '*[^ -~]*' OR email_key LIKE '%xn--%'`,
		`SELECT 1 FROM users WHERE email_key = ? AND id <> ?`,
		`UPDATE users SET email_key = ? WHERE id = ?`,
		`UPDATE members SET email_key = ? WHERE user_id = ?`)
}

// lockMigrations takes an exclusive flock(2) on a file next to the
// database, which a process holds while it sets the file up (WAL mode, on a
// new file) and checks and applies migrations; the function it returns
// releases it. SQLite has no lock that lasts across transactions, some
// migrations (ALTER TABLE ADD COLUMN) fail when applied a second time, and
// two connections switching a new file to WAL at once get SQLITE_BUSY
// without waiting. The lock is a file of its own: closing any descriptor of
// the database file would drop SQLite's own locks on it. Within a process
// too, two holders exclude each other.
func lockMigrations(ctx context.Context, path string) (unlock func(), err error) {
	// The lock holds no data, and a descriptor open for reading is enough
	// to lock it: a lock file made by another user (roster migrate run as
	// root before the service's user runs serve) does not stop the service.
	f, err := os.OpenFile(path+"-migrate.lock", os.O_CREATE|os.O_RDWR, 0o644)
	if errors.Is(err, os.ErrPermission) {
		f, err = os.Open(path + "-migrate.lock")
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: migration lock: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil // closing releases the lock
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("sqlite: migration lock: %w", err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("sqlite: migration lock: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
