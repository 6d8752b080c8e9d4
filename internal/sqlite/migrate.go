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
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrate applies the pending migrations. Each runs in its own BEGIN
// IMMEDIATE transaction on the single writer connection, so it holds the
// database's write lock; and processes migrating one file at the same
// moment take turns on a lock file next to it (migrationLock), so that a
// migration is never applied twice.
func (s *Store) Migrate(ctx context.Context) error {
	return migrate(ctx, s.writer, s.path)
}

// Migrate applies the pending migrations to the database at path, creating
// it if needed; `roster migrate` calls it.
func Migrate(ctx context.Context, path string) error {
	if err := checkPath(path); err != nil {
		return err
	}
	db, err := openWriter(path)
	if err != nil {
		return err
	}
	defer db.Close()
	return migrate(ctx, db, path)
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

func migrate(ctx context.Context, db *sql.DB, path string) error {
	p, err := provider(db, goose.WithLocker(&migrationLock{path: path + "-migrate.lock"}))
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	return nil
}

func provider(db *sql.DB, opts ...goose.ProviderOption) (*goose.Provider, error) {
	files, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
	}
	// The global registry holds Go migrations registered by anyone in the
	// process; this store has SQL migrations only.
	opts = append(opts, goose.WithDisableGlobalRegistry(true))
	p, err := goose.NewProvider(goose.DialectSQLite3, db, files, opts...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
	}
	return p, nil
}

// migrationLock is an exclusive flock(2) on a file next to the database,
// held while a process checks and applies migrations. SQLite has no lock
// that lasts across transactions, and some migrations (ALTER TABLE ADD
// COLUMN) fail when applied a second time. The lock is a file of its own:
// closing any descriptor of the database file would drop SQLite's own
// locks on it.
type migrationLock struct {
	path string
	f    *os.File
}

func (l *migrationLock) Lock(ctx context.Context, _ *sql.DB) error {
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: migration lock: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			l.f = f
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return fmt.Errorf("sqlite: migration lock: %w", err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return fmt.Errorf("sqlite: migration lock: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (l *migrationLock) Unlock(context.Context, *sql.DB) error {
	if l.f == nil {
		return nil
	}
	err := l.f.Close() // releases the lock
	l.f = nil
	return err
}
