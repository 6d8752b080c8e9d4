package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

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
	ctx := context.Background()
	storetest.MarkedWordsMigration(t, s, func(account, user string, words []string) {
		if _, err := s.pool.Exec(ctx, `DELETE FROM member_words WHERE account_id = $1 AND user_id = $2`, account, user); err != nil {
			t.Fatal(err)
		}
		if _, err := s.pool.Exec(ctx, `INSERT INTO member_words (account_id, word, name_key, user_id)
			SELECT account_id, w, name_key, user_id FROM members, unnest($3::text[]) AS w
			WHERE account_id = $1 AND user_id = $2`, account, user, words); err != nil {
			t.Fatal(err)
		}
	}, func() { remigrate(t, s, 9) })
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
