package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/storetest"
)

// The member list's benchmarks (docs/PERFORMANCE.md). Each size is an
// account of its own in a database of its own, filled in bulk by SQL
// (fillMembers); the targets are judged at 100,000 members:
//
//	go test -run '^$' -bench 'ListMembers/^members=100000$/' -count=5 ./internal/sqlite/
//
// and the growth from 1,000 to 1,000,000 members is the plot's:
//
//	go test -run '^$' -bench ListMembers -count=5 -timeout 90m -v ./internal/sqlite/
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
}

// memberAt returns the member at position i (from 0) of the account in
// name order. It uses OFFSET, which the store never does, to find it.
func memberAt(tb testing.TB, s *Store, account string, i int) *roster.Member {
	tb.Helper()
	var id string
	if err := s.reader.QueryRow(`SELECT user_id FROM members WHERE account_id = ?
		ORDER BY name_key, user_id LIMIT 1 OFFSET ?`, account, max(i, 0)).Scan(&id); err != nil {
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
// PutInvitation would (TestFillMembers checks it): users with their email
// keys, members with their copies of the sort keys, the words of each name
// in member_words, an invitation for each pending member. Names, roles,
// statuses and last logins are spread by a multiplicative hash of the row
// number, so that no order of the list follows another.
func fillMembers(tb testing.TB, s *Store, a *roster.Account, n int) {
	tb.Helper()
	var roles []string
	for _, r := range a.Catalog.Roles {
		roles = append(roles, r.Name)
	}
	rolesJSON, _ := json.Marshal(roles)
	firstJSON, _ := json.Marshal(storetest.FillFirstNames)
	lastJSON, _ := json.Marshal(storetest.FillLastNames)
	t0 := storetest.T0.UnixMicro()
	// h is a hash of i in 0..2^32; the columns take different parts of it.
	const seq = `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < :n),
		gen AS (SELECT i, (i * 2654435761) % 4294967296 AS h FROM seq)`
	stmts := []string{
		`INSERT INTO users (id, email, email_key, name, last_login_at, created_at)
		` + seq + `
		SELECT printf('%s-u%07d', :acct, i), printf('User%07d.%s@Example.test', i, :acct), printf('user%07d.%s@example.test', i, lower(:acct)),
			json_extract(:first, '$[' || (h % 14) || ']') || ' ' || json_extract(:last, '$[' || (h / 14 % 10) || ']') || (h / 140 % 1000),
			-- two in three of the active members (the status below) have logged in
			CASE WHEN h / 7 % 4 < 2 AND h % 3 > 0 THEN :t0 + h ELSE 0 END,
			:t0
		FROM gen`,
		`INSERT INTO members (account_id, user_id, role, role_order, status, invited_at, invited_by, joined_at, name_key, email_key, email, name, last_login_at)
		` + seq + `,
		shaped AS (SELECT i, h, 2 + (h / 140000 % (json_array_length(:roles) - 2)) AS r,
			json_extract('["active","active","pending","disabled"]', '$[' || (h / 7 % 4) || ']') AS status FROM gen)
		SELECT :acct, u.id, json_extract(:roles, '$[' || r || ']'), r, status, :t0, '', CASE status WHEN 'pending' THEN 0 ELSE :t0 END,
			lower(u.name), u.email_key, u.email, u.name, CASE WHEN status = 'active' AND h % 3 > 0 THEN :t0 + h ELSE 0 END
		FROM shaped JOIN users u ON u.id = printf('%s-u%07d', :acct, i)`,
		// Every name is two words with one space between; the first is
		// not kept (roster.IndexedWords).
		`INSERT INTO member_words (account_id, word, name_key, user_id)
		SELECT account_id, substr(name_key, instr(name_key, ' ') + 1), name_key, user_id FROM members WHERE account_id = :acct
		ORDER BY 2, 3, 4`,
		`INSERT INTO invitations (account_id, user_id, token_hash, expires_at, sent_at)
		SELECT account_id, user_id, 'hash-' || account_id || '-' || user_id, :t0 + 604800000000, :t0
		FROM members WHERE account_id = :acct AND status = 'pending'`,
	}
	storetest.Write(tb, s, a.ID, func(rtx roster.Tx) error {
		t := rtx.(*tx)
		// Speed only, all undone before the commit: a page cache that
		// holds the tables being filled; the secondary indexes of members
		// and member_words built once at the end (a sort) rather than row
		// by row in random order; and one version increase for all the
		// rows instead of the trigger's one per row.
		var cache int
		if err := t.queryRow(`PRAGMA cache_size`).Scan(&cache); err != nil {
			return err
		}
		var drop, create []string
		rows, err := t.query(`SELECT type, name, sql FROM sqlite_master
			WHERE (type = 'index' AND tbl_name IN ('members', 'member_words') AND sql IS NOT NULL)
				OR (type = 'trigger' AND name = 'members_insert_bump')`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var typ, name, sql string
			if err := rows.Scan(&typ, &name, &sql); err != nil {
				return err
			}
			drop = append(drop, fmt.Sprintf(`DROP %s %s`, strings.ToUpper(typ), name))
			create = append(create, sql)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(create) < 2 {
			return fmt.Errorf("found only %q to rebuild", create)
		}
		pre := append([]string{`PRAGMA cache_size = -1000000`}, drop...)
		post := append(create, `UPDATE account_versions SET version = version + :n WHERE account_id = :acct`, fmt.Sprintf(`PRAGMA cache_size = %d`, cache))
		for _, stmt := range slices.Concat(pre, stmts, post) {
			if _, err := t.exec(stmt, sql.Named("n", n), sql.Named("acct", a.ID), sql.Named("t0", t0),
				sql.Named("first", string(firstJSON)), sql.Named("last", string(lastJSON)), sql.Named("roles", string(rolesJSON))); err != nil {
				return fmt.Errorf("fill %d members: %w\n%s", n, err, stmt)
			}
		}
		return nil
	})
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
	if err := s.reader.QueryRow(`SELECT count(*) FROM members m JOIN users u ON u.id = m.user_id
		WHERE m.account_id = ? AND (u.last_login_at <> m.last_login_at OR u.name <> m.name OR u.email <> m.email
			OR u.email_key <> m.email_key OR lower(u.name) <> m.name_key)`, a.ID).Scan(&stale); err != nil || stale != 0 {
		t.Errorf("%d members' copies (name, email, keys, last login) differ from their users', %v", stale, err)
	}
	storetest.CheckFilled(t, s, a, n)
}
