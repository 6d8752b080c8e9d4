package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/storetest"
)

// The member list's benchmarks on the package's throwaway PostgreSQL
// (internal/pgtest; docs/PERFORMANCE.md). Each size is an account of its own
// in a database of its own, filled in bulk by SQL (fillMembers), vacuumed
// and analyzed, as autovacuum would have it after such a load; the targets
// are judged at 100,000 members:
//
//	go test -run '^$' -bench 'ListMembers/^members=100000$/' -count=5 ./internal/postgres/
//
// and the growth from 1,000 to 1,000,000 members is the plot's:
//
//	go test -run '^$' -bench ListMembers -count=5 -timeout 90m -v ./internal/postgres/
//
// Every case reports, besides the mean (ns/op), the median and the 99th
// percentile of its calls (p50-ms, p99-ms). A call is what the API does
// for one page: a read transaction around ListMembers.

func BenchmarkListMembers(b *testing.B) {
	for _, n := range storetest.ListSizes {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			s := open(b)
			a := storetest.NewAccount(b, s, "Acme", "bizmetry")
			start := time.Now()
			fillMembers(b, s, a, n)
			b.Logf("filled %d members in %v", n, time.Since(start).Round(time.Millisecond))
			runListCases(b, s, a.ID, n)
		})
	}
}

// runListCases measures the member list's cases on an account of n members.
func runListCases(b *testing.B, s *Store, account string, n int) {
	// The cursor of the last page, as a client holding it after paging
	// through everything before would send it.
	storetest.BenchListCases(b, s, account, memberAt(b, s, account, n-51), memberAt(b, s, account, n/2))
	storetest.BenchFirstSearches(b, s, account, s.plans.forget, func() {
		if _, err := s.pool.Exec(context.Background(), `UPDATE account_versions SET list_version = list_version + 1 WHERE account_id = $1`, account); err != nil {
			b.Fatal(err)
		}
	})
}

// memberAt returns the member at position i (from 0) of the account in
// name order. It uses OFFSET, which the store never does, to find it.
func memberAt(tb testing.TB, s *Store, account string, i int) *roster.Member {
	tb.Helper()
	var id string
	if err := s.pool.QueryRow(context.Background(), `SELECT user_id FROM members WHERE account_id = $1
		ORDER BY name_key, user_id LIMIT 1 OFFSET $2`, account, max(i, 0)).Scan(&id); err != nil {
		tb.Fatalf("member at %d: %v", i, err)
	}
	var m *roster.Member
	storetest.Read(tb, s, func(tx roster.Tx) error {
		var err error
		m, err = tx.Member(account, id)
		return err
	})
	return m
}

// fillMembers adds n members to the account in a few INSERT … SELECT
// statements, leaving the rows exactly as CreateUser, CreateMember and
// PutInvitation would (TestFillMembers checks it), and vacuums and
// analyzes the tables. Names, roles, statuses and last logins are spread
// by the same multiplicative hash of the row number as in the SQLite
// store's benchmark, so that no order of the list follows another.
func fillMembers(tb testing.TB, s *Store, a *roster.Account, n int) {
	tb.Helper()
	var roles []string
	for _, r := range a.Catalog.Roles {
		roles = append(roles, r.Name)
	}
	// h is a hash of i in 0..2^32; the columns take different parts of it.
	const gen = `WITH gen AS (SELECT i, (i * 2654435761) % 4294967296 AS h FROM generate_series(0::bigint, @n::bigint - 1) AS i)`
	stmts := []string{
		// One version increase for all the rows instead of the trigger's one
		// per row (a million updates of one row in one transaction would
		// leave that many versions of it for every later read to step over).
		`ALTER TABLE members DISABLE TRIGGER members_insert_version`,
		gen + `
		INSERT INTO users (id, email, email_key, name, last_login_at, created_at)
		SELECT format('%s-u%s', @acct::text, lpad(i::text, 7, '0')), format('User%s.%s@Example.test', lpad(i::text, 7, '0'), @acct::text),
			format('user%s.%s@example.test', lpad(i::text, 7, '0'), lower(@acct::text)),
			(@first::text[])[1 + h % 14] || ' ' || (@last::text[])[1 + h / 14 % 10] || (h / 140 % 1000),
			-- two in three of the active members (the status below) have logged in
			CASE WHEN h / 7 % 4 < 2 AND h % 3 > 0 THEN @t0::timestamptz + h * interval '1 microsecond' END,
			@t0::timestamptz
		FROM gen`,
		gen + `,
		shaped AS (SELECT i, h, 2 + (h / 140000 % (cardinality(@roles::text[]) - 2))::int AS r,
			(ARRAY['active', 'active', 'pending', 'disabled'])[1 + h / 7 % 4] AS status FROM gen)
		INSERT INTO members (account_id, user_id, role, role_order, status, invited_at, invited_by, joined_at, name_key, email_key, email, name, last_login_at)
		SELECT @acct::text, u.id, (@roles::text[])[1 + r], r, status, @t0::timestamptz, '', CASE WHEN status = 'pending' THEN NULL ELSE @t0::timestamptz END,
			lower(u.name), u.email_key, u.email, u.name,
			CASE WHEN status = 'active' AND h % 3 > 0 THEN @t0::timestamptz + h * interval '1 microsecond' ELSE '-infinity' END
		FROM shaped JOIN users u ON u.id = format('%s-u%s', @acct::text, lpad(i::text, 7, '0'))`,
		// Every name is two words with one space between; the first is
		// not kept (roster.IndexedWords).
		`INSERT INTO member_words (account_id, word, name_key, user_id)
		SELECT account_id, split_part(name_key, ' ', 2), name_key, user_id FROM members
		WHERE account_id = @acct`,
		`INSERT INTO invitations (account_id, user_id, token_hash, expires_at, sent_at)
		SELECT account_id, user_id, 'hash-' || account_id || '-' || user_id, @t0::timestamptz + interval '7 days', @t0::timestamptz
		FROM members WHERE account_id = @acct AND status = 'pending'`,
		`UPDATE members m SET invitation_expires_at = i.expires_at, invitation_error = i.last_error
		FROM invitations i WHERE i.account_id = @acct AND m.account_id = i.account_id AND m.user_id = i.user_id`,
		`ALTER TABLE members ENABLE TRIGGER members_insert_version`,
		`UPDATE account_versions SET version = version + @n::bigint, list_version = list_version + @n::bigint WHERE account_id = @acct`,
	}
	args := map[string]any{"acct": a.ID, "n": n, "t0": storetest.T0, "first": storetest.FillFirstNames, "last": storetest.FillLastNames, "roles": roles}
	storetest.Write(tb, s, a.ID, func(rtx roster.Tx) error {
		t := rtx.(*tx)
		for _, stmt := range stmts {
			used := pgx.NamedArgs{}
			for k, v := range args {
				if strings.Contains(stmt, "@"+k) {
					used[k] = v
				}
			}
			if _, err := t.exec(stmt, used); err != nil {
				return fmt.Errorf("fill %d members: %w\n%s", n, err, stmt)
			}
		}
		return nil
	})
	// VACUUM as well as ANALYZE, as autovacuum does after a load: it marks
	// the new pages all-visible, which index-only scans (of member_words,
	// by a search) rely on to skip the table. It marks a page only once it
	// can hint its rows' transaction committed, which it cannot before the
	// commit is flushed: the throwaway server commits without waiting for
	// the flush (synchronous_commit=off), so the CHECKPOINT flushes it
	// first. Without it, a table or two were left unmarked in most runs,
	// and a search read member_words' rows from the table as well.
	//
	// Nor can it mark a page while a transaction of this database began
	// before the fill committed (an autovacuum worker's analyze, started
	// during the fill, say): so VACUUM runs again, a little later, until the
	// tables a list reads are all marked, as they would be by the next
	// autovacuum.
	ctx := context.Background()
	if _, err := s.pool.Exec(ctx, `CHECKPOINT`); err != nil {
		tb.Fatal(err)
	}
	for try := 1; ; try++ {
		if _, err := s.pool.Exec(ctx, `VACUUM (ANALYZE)`); err != nil {
			tb.Fatal(err)
		}
		var unmarked []string
		rows, err := s.pool.Query(ctx, `SELECT relname FROM pg_class
			WHERE relname IN ('members', 'member_words') AND relallvisible < relpages ORDER BY relname`)
		if err == nil {
			unmarked, err = pgx.CollectRows(rows, pgx.RowTo[string])
		}
		if err != nil {
			tb.Fatal(err)
		}
		if len(unmarked) == 0 {
			return
		}
		if try == 10 {
			tb.Logf("fill %d members: %v not all-visible after %d VACUUMs: searches will read the table too", n, unmarked, try)
			return
		}
		time.Sleep(time.Duration(try) * 100 * time.Millisecond)
	}
}

// TestFillMembers checks that the benchmarks' bulk fill leaves what the
// store's own writes would: every list and search of the filled account
// agrees with roster.MatchesQuery over the members read one by one. With
// 5,000 members, the searches take every shape (see planSearch): merged
// runs of words in name order, few matches sorted, many found by walking an
// order's index.
func TestFillMembers(t *testing.T) {
	const n = 5000
	s := open(t)
	a := storetest.NewAccount(t, s, "Acme", "bizmetry")
	before, err := s.AccountVersion(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	fillMembers(t, s, a, n)
	if v, err := s.AccountVersion(context.Background(), a.ID); err != nil || v != before+n {
		t.Errorf("AccountVersion() = %d, %v; want %d", v, err, before+n)
	}
	var stale int
	if err := s.pool.QueryRow(context.Background(), `SELECT count(*) FROM members m JOIN users u ON u.id = m.user_id
		WHERE m.account_id = $1 AND (coalesce(u.last_login_at, '-infinity') <> m.last_login_at OR u.name <> m.name
			OR u.email <> m.email OR u.email_key <> m.email_key OR lower(u.name) <> m.name_key)`, a.ID).Scan(&stale); err != nil || stale != 0 {
		t.Errorf("%d members' copies (name, email, keys, last login) differ from their users', %v", stale, err)
	}
	storetest.CheckFilled(t, s, a, n)
}
