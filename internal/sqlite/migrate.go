package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrate applies the pending migrations. Each runs in its own BEGIN
// IMMEDIATE transaction on the single writer connection, so it holds the
// database's write lock, and the statements are idempotent, so processes
// migrating one file at the same moment cannot break each other.
func (s *Store) Migrate(ctx context.Context) error {
	return migrate(ctx, s.writer)
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

func migrate(ctx context.Context, db *sql.DB) error {
	p, err := provider(db)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	return nil
}

func provider(db *sql.DB) (*goose.Provider, error) {
	files, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
	}
	// The global registry holds Go migrations registered by anyone in the
	// process; this store has SQL migrations only.
	p, err := goose.NewProvider(goose.DialectSQLite3, db, files, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
	}
	return p, nil
}
