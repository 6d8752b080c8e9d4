package sqlite

import (
	"context"
	"io/fs"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster"
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
	storetest.MarkedWordsMigration(t, s, oldWords(t, s), func() { remigrate(t, s, 6) })
}

// TestMigrateLeadWords: migration 14 takes out of member_words the first
// words of names, which searches find in the name order's index
// (storetest.LeadWordsMigration).
func TestMigrateLeadWords(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	storetest.LeadWordsMigration(t, s, oldWords(t, s), func(account, user string) []string {
		rows, err := s.writer.QueryContext(ctx, `SELECT word FROM member_words WHERE account_id = ? AND user_id = ?`, account, user)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var w string
			if err := rows.Scan(&w); err != nil {
				t.Fatal(err)
			}
			out = append(out, w)
		}
		return out
	}, func() { remigrate(t, s, 13) })
	var runsWith int64
	if err := s.writer.QueryRowContext(ctx, `SELECT runs_with FROM roster_schema`).Scan(&runsWith); err != nil || runsWith < 14 {
		t.Errorf("runs_with = %d, %v; want at least 14, so that no binary that reads the first words in member_words runs", runsWith, err)
	}
}

// TestMigrateEmailDomainKeys: migration 10 keys emails by their domain as
// IDNA reads it (storetest.EmailDomainKeysMigration).
func TestMigrateEmailDomainKeys(t *testing.T) {
	s := open(t)
	storetest.EmailDomainKeysMigration(t, s, writeKey(t, s), func() { remigrate(t, s, 9) })
}

// TestMigrateEmailKeysWrittenSince: migration 11 keys again what an
// instance from before 10 wrote (storetest.EmailKeysWrittenSince).
func TestMigrateEmailKeysWrittenSince(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	storetest.EmailKeysWrittenSince(t, s, writeKey(t, s), func() { remigrate(t, s, 10) }, func() int64 {
		var n int64
		if err := s.writer.QueryRowContext(ctx, `SELECT runs_with FROM roster_schema`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}, 10)
}

// oldWords returns a function that replaces a member's indexed words with
// those given, as a Roster from before a migration wrote them.
func oldWords(t *testing.T, s *Store) func(account, user string, words []string) {
	ctx := context.Background()
	return func(account, user string, words []string) {
		if _, err := s.writer.ExecContext(ctx, `DELETE FROM member_words WHERE account_id = ? AND user_id = ?`, account, user); err != nil {
			t.Fatal(err)
		}
		for _, w := range words {
			if _, err := s.writer.ExecContext(ctx, `INSERT INTO member_words (account_id, word, name_key, user_id)
			SELECT account_id, ?, name_key, user_id FROM members WHERE account_id = ? AND user_id = ?`, w, account, user); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// writeKey returns a function that gives a user an email and key as a
// Roster from before a migration wrote them, in users and members.
func writeKey(t *testing.T, s *Store) func(user, email, key string) {
	return func(user, email, key string) {
		for _, q := range []string{`UPDATE users SET email = ?, email_key = ? WHERE id = ?`, `UPDATE members SET email = ?, email_key = ? WHERE user_id = ?`} {
			if _, err := s.writer.ExecContext(context.Background(), q, email, key, user); err != nil {
				t.Fatal(err)
			}
		}
	}
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

// TestNewerSchemaRefused: see storetest.NewerSchemaRefused.
func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	storetest.NewerSchemaRefused(t, func() (roster.Store, error) { return Open(ctx, path) },
		func(s roster.Store, q string) error { _, err := s.(*Store).writer.ExecContext(ctx, q); return err },
		func() error { return Migrate(ctx, path) })
}

// TestRepairKeepsGivenNames: see storetest.RepairKeepsGivenNames.
func TestRepairKeepsGivenNames(t *testing.T) {
	s := open(t)
	storetest.RepairKeepsGivenNames(t, s, func() { remigrate(t, s, 7) })
}

// TestMigrateRepairsEditedHistory: migration 8 takes out what the first
// versions of edited migrations left: the token triggers of the first 001,
// the word pairs of the first 006.
func TestMigrateRepairsEditedHistory(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	acc := storetest.NewAccount(t, s, "Acme", "bigeye")
	u := storetest.NewUser(t, s, "Dana Dev1", "")
	storetest.NewMember(t, s, acc, u, "User", roster.StatusActive)
	for _, q := range []string{
		`CREATE TRIGGER api_tokens_insert_version AFTER INSERT ON api_tokens BEGIN SELECT 1; END`,
		`CREATE TRIGGER api_tokens_delete_version AFTER DELETE ON api_tokens BEGIN SELECT 1; END`,
		`INSERT INTO member_words (account_id, word, name_key, user_id) VALUES ('` + acc.ID + `', '*dana dev1', 'dana dev1', '` + u.ID + `')`,
	} {
		if _, err := s.writer.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	remigrate(t, s, 7)
	var triggers, pairs int
	if err := s.writer.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'api_tokens_%'`).Scan(&triggers); err != nil {
		t.Fatal(err)
	}
	if err := s.writer.QueryRowContext(ctx, `SELECT count(*) FROM member_words WHERE substr(word, 1, 1) = '*'`).Scan(&pairs); err != nil {
		t.Fatal(err)
	}
	if triggers != 0 || pairs != 0 {
		t.Errorf("after migration 8: %d token triggers, %d word pairs; want none", triggers, pairs)
	}
}

// TestShippedMigrationsUnchanged: a migration is never edited once shipped
// (storetest.ShippedMigrations).
func TestShippedMigrationsUnchanged(t *testing.T) {
	files, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	storetest.ShippedMigrations(t, files, map[string]string{
		"001_init.sql":                     "e8524dc75b823af1",
		"002_account_versions.sql":         "abf1efdc9cd217b5",
		"003_search.sql":                   "1120fe596f20bd0a",
		"004_member_copies.sql":            "4f1d90d7c7e4080f",
		"005_one_role_index.sql":           "002dc285cc6d2415",
		"006_pending_shows_only_given.sql": "7dfa5d8176b55353",
		"008_repair_edited_history.sql":    "7062138f459ffcdd",
		"009_runs_with.sql":                "b44667b809cf089a",
		"012_sweep_indexes.sql":            "d25786626ca990c3",
		"013_sweep_resets_attempts.sql":    "af61cfcea432ba7f",
		"015_lead_index.sql":               "5d2da3784c09ee19",
	})
}
