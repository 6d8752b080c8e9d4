package sqlite

import (
	"context"
	"io/fs"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/storetest"
)

// TestOpenConcurrently opens one new file from several stores at once, as
// instances started together would: they take turns setting it up (two
// connections switching a new file to WAL at once get SQLITE_BUSY) and
// migrating it, and none applies a migration that another already did
// (some, such as ADD COLUMN, fail the second time).
func TestOpenConcurrently(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "roster.db")
	files, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	const n = 4
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			s, err := Open(ctx, path)
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			v, err := s.Version(ctx)
			if err != nil {
				errs <- err
				return
			}
			if want := len(files) + len(goMigrations()); v != int64(want) {
				t.Errorf("Version() = %d, want %d", v, want)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Open: %v", err)
	}
}

// TestMigratePendingCopies: migration 006 clears what pending memberships
// copied of a registered person (storetest.PendingCopiesMigration).
func TestMigratePendingCopies(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	storetest.PendingCopiesMigration(t, s, func(account, user string, login time.Time) {
		if _, err := s.writer.ExecContext(ctx, `UPDATE members SET last_login_at = ? WHERE account_id = ? AND user_id = ?`,
			micros(login), account, user); err != nil {
			t.Fatal(err)
		}
	}, func() { remigrate(t, s, 5) })
}

// TestMigrateMarkedWords: migration 7 indexes again the names that the
// words of the search split at marks and joiners before it
// (storetest.MarkedWordsMigration).
func TestMigrateMarkedWords(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	storetest.MarkedWordsMigration(t, s, func(account, user string, words []string) {
		if _, err := s.writer.ExecContext(ctx, `DELETE FROM member_words WHERE account_id = ? AND user_id = ?`, account, user); err != nil {
			t.Fatal(err)
		}
		for _, w := range words {
			if _, err := s.writer.ExecContext(ctx, `INSERT INTO member_words (account_id, word, name_key, user_id)
				SELECT account_id, ?, name_key, user_id FROM members WHERE account_id = ? AND user_id = ?`, w, account, user); err != nil {
				t.Fatal(err)
			}
		}
	}, func() { remigrate(t, s, 6) })
}

// remigrate takes s's migrations back to version and applies them all
// again.
func remigrate(t *testing.T, s *Store, version int64) {
	t.Helper()
	ctx := context.Background()
	p, err := provider(s.writer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, version); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
}
