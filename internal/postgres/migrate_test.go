package postgres

import (
	"context"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/storetest"
)

// TestMigratePendingCopies: migration 009 clears what pending memberships
// copied of a registered person (storetest.PendingCopiesMigration).
func TestMigratePendingCopies(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	storetest.PendingCopiesMigration(t, s, func(account, user string, login time.Time) {
		if _, err := s.pool.Exec(ctx, `UPDATE members SET last_login_at = $1 WHERE account_id = $2 AND user_id = $3`,
			loginKey(&login), account, user); err != nil {
			t.Fatal(err)
		}
	}, func() { remigrate(t, s, 8) })
}

// TestMigrateMarkedWords: migration 10 indexes again the names that the
// words of the search split at marks and joiners before it
// (storetest.MarkedWordsMigration).
func TestMigrateMarkedWords(t *testing.T) {
	s := open(t)
	storetest.MarkedWordsMigration(t, s, oldWords(t, s), func() { remigrate(t, s, 9) })
}

// TestMigrateLeadWords: migration 17 takes out of member_words the first
// words of names, which searches find in the name order's index
// (storetest.LeadWordsMigration).
func TestMigrateLeadWords(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	storetest.LeadWordsMigration(t, s, oldWords(t, s), func(account, user string) []string {
		rows, err := s.pool.Query(ctx, `SELECT word FROM member_words WHERE account_id = $1 AND user_id = $2`, account, user)
		if err != nil {
			t.Fatal(err)
		}
		words, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return words
	}, func() { remigrate(t, s, 16) })
	var runsWith int64
	if err := s.pool.QueryRow(ctx, `SELECT runs_with FROM roster_schema`).Scan(&runsWith); err != nil || runsWith < 17 {
		t.Errorf("runs_with = %d, %v; want at least 17, so that no binary that reads the first words in member_words runs", runsWith, err)
	}
}

// TestMigrateEmailDomainKeys: migration 13 keys emails by their domain as
// IDNA reads it (storetest.EmailDomainKeysMigration).
func TestMigrateEmailDomainKeys(t *testing.T) {
	s := open(t)
	storetest.EmailDomainKeysMigration(t, s, writeKey(t, s), func() { remigrate(t, s, 12) })
}

// TestMigrateEmailKeysWrittenSince: migration 14 keys again what an
// instance from before 13 wrote (storetest.EmailKeysWrittenSince).
func TestMigrateEmailKeysWrittenSince(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	storetest.EmailKeysWrittenSince(t, s, writeKey(t, s), func() { remigrate(t, s, 13) }, func() int64 {
		var n int64
		if err := s.pool.QueryRow(ctx, `SELECT runs_with FROM roster_schema`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}, 13)
}

// writeKey returns a function that gives a user an email and key as a
// Roster from before a migration wrote them, in users and members.
func writeKey(t *testing.T, s *Store) func(user, email, key string) {
	return func(user, email, key string) {
		for _, q := range []string{`UPDATE users SET email = $1, email_key = $2 WHERE id = $3`, `UPDATE members SET email = $1, email_key = $2 WHERE user_id = $3`} {
			if _, err := s.pool.Exec(context.Background(), q, email, key, user); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// oldWords returns a function that replaces a member's indexed words with
// those given, as a Roster from before a migration wrote them.
func oldWords(t *testing.T, s *Store) func(account, user string, words []string) {
	ctx := context.Background()
	return func(account, user string, words []string) {
		if _, err := s.pool.Exec(ctx, `DELETE FROM member_words WHERE account_id = $1 AND user_id = $2`, account, user); err != nil {
			t.Fatal(err)
		}
		if _, err := s.pool.Exec(ctx, `INSERT INTO member_words (account_id, word, name_key, user_id)
		SELECT account_id, w, name_key, user_id FROM members, unnest($3::text[]) AS w
		WHERE account_id = $1 AND user_id = $2`, account, user, words); err != nil {
			t.Fatal(err)
		}
	}
}

// remigrate takes s's migrations back to version and applies them all
// again.
func remigrate(t *testing.T, s *Store, version int64) {
	t.Helper()
	ctx := context.Background()
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	p, err := provider(db)
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
	url := pg.NewDatabase(t)
	storetest.NewerSchemaRefused(t, func() (roster.Store, error) { return Open(ctx, url) },
		func(s roster.Store, q string) error { _, err := s.(*Store).pool.Exec(ctx, q); return err },
		func() error { return Migrate(ctx, url) })
}

// TestRepairKeepsGivenNames: see storetest.RepairKeepsGivenNames.
func TestRepairKeepsGivenNames(t *testing.T) {
	s := open(t)
	storetest.RepairKeepsGivenNames(t, s, func() { remigrate(t, s, 10) })
}

// TestMigrateRepairsEditedHistory: migration 11 brings a schema made by
// the first version of 003 (a version bump per inserted member) and of 009
// (word pairs) to what a fresh database has.
func TestMigrateRepairsEditedHistory(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	for _, q := range []string{
		`DROP TRIGGER members_insert_version ON members`,
		`DROP TRIGGER members_version ON members`,
		`CREATE TRIGGER members_version AFTER INSERT OR DELETE OR UPDATE OF role, status ON members
			FOR EACH ROW EXECUTE FUNCTION roster_bump_account_version()`,
		`INSERT INTO member_words (account_id, word, name_key, user_id) VALUES ('acc_x', '*dana dev1', 'dana dev1', 'usr_x')`,
	} {
		if _, err := s.pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	remigrate(t, s, 10)
	var defs []string
	rows, err := s.pool.Query(ctx, `SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'members'::regclass AND NOT tgisinternal ORDER BY tgname`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		defs = append(defs, d)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"CREATE TRIGGER members_insert_version AFTER INSERT ON public.members REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION roster_bump_added_members()",
		"CREATE TRIGGER members_list_version AFTER UPDATE OF name_key ON public.members FOR EACH ROW WHEN ((old.name_key IS DISTINCT FROM new.name_key)) EXECUTE FUNCTION roster_bump_list_version()",
		"CREATE TRIGGER members_version AFTER DELETE OR UPDATE OF role, status ON public.members FOR EACH ROW EXECUTE FUNCTION roster_bump_account_version()",
	}
	if !slices.Equal(defs, want) {
		t.Errorf("members' triggers after migration 11:\n%s\nwant\n%s", strings.Join(defs, "\n"), strings.Join(want, "\n"))
	}
	var pairs int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM member_words WHERE left(word, 1) = '*'`).Scan(&pairs); err != nil || pairs != 0 {
		t.Errorf("after migration 11: %d word pairs (%v); want none", pairs, err)
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
		"001_init.sql":                     "3ca2258dcb2566c2",
		"002_account_versions.sql":         "c2bff52c0a687dca",
		"003_account_version_rows.sql":     "82cbbe5147a72773",
		"004_search.sql":                   "20d89ca179a98ec5",
		"005_member_copies.sql":            "b8fa3adab9f1533c",
		"006_member_list_copies.sql":       "f4d7a4acc59739dc",
		"007_member_words_without_key.sql": "946348142efff5ae",
		"008_one_role_index.sql":           "72da8ade93a0bc3d",
		"009_pending_shows_only_given.sql": "eca442471cc5325b",
		"011_repair_edited_history.sql":    "55004e75615316f9",
		"012_runs_with.sql":                "57913a7425ea1b17",
		"015_sweep_indexes.sql":            "d78bdd3d84c5c743",
		"016_sweep_resets_attempts.sql":    "3dfb9096bdd8946c",
		"018_lead_index.sql":               "acd8171c61a724e5",
		"019_list_version.sql":             "2d5d25abc965d932",
		"020_members_by_user_hash.sql":     "408d4aaa96e0efac",
	})
}

// TestMigrationWaitsOutLocks checks that a migration that cannot have its
// locks within its lock_timeout (019's, on account_versions, which a
// running transaction holds) is run again until it can, rather than
// failing the start of the instance.
func TestMigrationWaitsOutLocks(t *testing.T) {
	ctx := context.Background()
	url := pg.NewDatabase(t)
	s, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	p, err := provider(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 18); err != nil {
		t.Fatal(err)
	}
	// A transaction that read account_versions holds it for 3 s, longer
	// than 019's lock_timeout.
	holder, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := holder.Exec(ctx, `SELECT count(*) FROM account_versions`); err != nil {
		t.Fatal(err)
	}
	released := make(chan error, 1)
	go func() {
		time.Sleep(3 * time.Second)
		released <- holder.Commit(ctx)
	}()
	if err := Migrate(ctx, url); err != nil {
		t.Errorf("Migrate while a transaction holds account_versions: %v", err)
	}
	if err := <-released; err != nil {
		t.Fatal(err)
	}
	var v int64
	if err := s.pool.QueryRow(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&v); err != nil || v < 19 {
		t.Errorf("migrated to %d (%v), want 19 or later", v, err)
	}
}
