package sqlite

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/storetest"
)

func open(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t testing.TB) roster.Store { return open(t) })
}

func TestMigrateTwice(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "roster.db")
	for i := range 2 {
		if err := Migrate(ctx, path); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}
	s, err := Open(ctx, path) // migrates a third time
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("(*Store).Migrate: %v", err)
	}
	v, err := s.Version(ctx)
	if err != nil {
		t.Fatalf("Version: %v", err)
	}
	files, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if v != int64(len(files)) {
		t.Errorf("Version() = %d, want %d (one per migration file)", v, len(files))
	}
	// The migrated schema works.
	a := storetest.NewAccount(t, s, "Acme", "bigeye")
	storetest.NewUserMember(t, s, a, "Dana Dev", "Owner", roster.StatusActive)
}

func TestOpenRejectsURIs(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file:x.db", "x.db?mode=ro"} {
		if s, err := Open(context.Background(), path); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded; want an error", path)
		}
	}
}

// TestPragmas checks the connection settings the store relies on.
func TestPragmas(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	for _, tc := range []struct {
		pool   string
		pragma string
		want   string
	}{
		{"writer", "journal_mode", "wal"},
		{"writer", "foreign_keys", "1"},
		{"writer", "synchronous", "2"},
		{"writer", "busy_timeout", fmt.Sprint(busyTimeoutMillis)},
		{"reader", "journal_mode", "wal"},
		{"reader", "query_only", "1"},
		{"reader", "busy_timeout", fmt.Sprint(busyTimeoutMillis)},
	} {
		db := s.writer
		if tc.pool == "reader" {
			db = s.reader
		}
		var got string
		if err := db.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatalf("%s: PRAGMA %s: %v", tc.pool, tc.pragma, err)
		}
		if got != tc.want {
			t.Errorf("%s: PRAGMA %s = %q, want %q", tc.pool, tc.pragma, got, tc.want)
		}
	}
	if n := s.writer.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("writer pool holds up to %d connections, want 1", n)
	}
}

// TestReadIsReadOnly checks that a Read cannot write, even by mistake.
func TestReadIsReadOnly(t *testing.T) {
	s := open(t)
	err := s.Read(context.Background(), func(tx roster.Tx) error {
		return tx.CreateUser(&roster.User{ID: "u", Email: "u@example.test", Name: "U", CreatedAt: storetest.T0})
	})
	if err == nil {
		t.Fatal("CreateUser inside Read succeeded")
	}
}

// TestQueryPlans checks that the member list, its search and its later pages
// are index range scans of the account's members, never a scan of the whole
// table, so that they stay fast at 100,000 members in one account.
func TestQueryPlans(t *testing.T) {
	s := open(t)
	a := storetest.NewAccount(t, s, "Acme", "bizmetry")
	b := storetest.NewAccount(t, s, "Other", "bizmetry")
	// Enough rows, in two accounts, that a full scan is a real choice for the planner.
	for _, acct := range []*roster.Account{a, b} {
		storetest.Write(t, s, acct.ID, func(tx roster.Tx) error {
			for i := range 300 {
				u := &roster.User{ID: fmt.Sprintf("%s-%d", acct.ID, i), Email: fmt.Sprintf("m%d@%s.test", i, acct.ID),
					Name: fmt.Sprintf("Member %d Dana", i), CreatedAt: storetest.T0}
				if err := tx.CreateUser(u); err != nil {
					return err
				}
				if err := tx.CreateMember(&roster.Member{AccountID: acct.ID, UserID: u.ID, Role: "Developer",
					RoleOrder: 3, Status: roster.StatusActive}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	var last *roster.Member
	storetest.Read(t, s, func(tx roster.Tx) error {
		var err error
		last, err = tx.Member(a.ID, a.ID+"-150")
		return err
	})

	type plan struct {
		name string
		f    roster.MemberFilter
	}
	var plans []plan
	for _, sort := range []roster.MemberSort{roster.SortName, roster.SortEmail, roster.SortRole, roster.SortStatus, roster.SortLastLogin} {
		for _, desc := range []bool{false, true} {
			plans = append(plans,
				plan{fmt.Sprintf("first page by %s desc=%v", sort, desc), roster.MemberFilter{Sort: sort, Desc: desc, Limit: 50}},
				plan{fmt.Sprintf("page N by %s desc=%v", sort, desc), roster.MemberFilter{Sort: sort, Desc: desc, Limit: 50,
					After: roster.NewMemberCursor(last, sort, desc)}},
			)
		}
	}
	plans = append(plans,
		plan{"name search", roster.MemberFilter{Query: "dana", Limit: 50}},
		plan{"two-word search", roster.MemberFilter{Query: "dana me", Limit: 50}},
		plan{"email search", roster.MemberFilter{Query: "m1@", Limit: 50}},
		plan{"search, page N", roster.MemberFilter{Query: "dana", Limit: 50, After: roster.NewMemberCursor(last, roster.SortName, false)}},
		plan{"status filter", roster.MemberFilter{Status: roster.StatusPending, Sort: roster.SortStatus, Limit: 50}},
		plan{"role filter", roster.MemberFilter{Role: "Developer", Sort: roster.SortRole, Limit: 50}},
	)
	for _, p := range plans {
		query, args, err := memberListQuery(a.ID, p.f)
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		detail := explain(t, s, query, args)
		if strings.Contains(detail, "SCAN m\n") || strings.Contains(detail, "SCAN members\n") ||
			strings.Contains(detail, "SCAN member_words\n") || strings.Contains(detail, "SCAN u\n") {
			t.Errorf("%s: a full table scan:\n%s", p.name, detail)
		}
		if !strings.Contains(detail, "USING INDEX") && !strings.Contains(detail, "USING COVERING INDEX") {
			t.Errorf("%s: no index used:\n%s", p.name, detail)
		}
		if !strings.Contains(detail, "SEARCH m USING INDEX members_by_") {
			t.Errorf("%s: the members are not read from a member list index:\n%s", p.name, detail)
		}
		if p.f.Query == "" && strings.Contains(detail, "USE TEMP B-TREE FOR ORDER BY") {
			t.Errorf("%s: sorts the rows instead of reading them in index order:\n%s", p.name, detail)
		}
		if p.f.Query != "" && !strings.Contains(detail, "members_by_email (account_id=? AND email_key>? AND email_key<?)") {
			t.Errorf("%s: the email prefix is not an index range:\n%s", p.name, detail)
		}
		if len(roster.SearchWords(p.f.Query)) > 0 && !strings.Contains(detail, "SEARCH member_words USING PRIMARY KEY (account_id=? AND word>? AND word<?)") {
			t.Errorf("%s: a search word is not an index range:\n%s", p.name, detail)
		}
	}
}

// explain returns the query plan's details, one line each.
func explain(t *testing.T, s *Store, query string, args []any) string {
	t.Helper()
	rows, err := s.reader.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN: %v\n%s", err, query)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, notUsed int
		var detail string
		if err := rows.Scan(&id, &parent, &notUsed, &detail); err != nil {
			t.Fatal(err)
		}
		b.WriteString(detail + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestMemberWords checks that the search index holds exactly the words of
// each member's current name.
func TestMemberWords(t *testing.T) {
	s := open(t)
	a := storetest.NewAccount(t, s, "Acme", "bigeye")
	b := storetest.NewAccount(t, s, "Beta", "bigeye")
	u := storetest.NewUser(t, s, "Dana O'Dev-Dev", "")
	storetest.NewMember(t, s, a, u, "User", roster.StatusActive)
	storetest.NewMember(t, s, b, u, "User", roster.StatusActive)
	words := func(account string) []string {
		t.Helper()
		rows, err := s.reader.Query(`SELECT word FROM member_words WHERE account_id = ? AND user_id = ? ORDER BY word`, account, u.ID)
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
	}
	check := func(when string, account string, want []string) {
		t.Helper()
		if got := words(account); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: words in account %s = %q, want %q", when, account, got, want)
		}
	}
	check("after CreateMember", a.ID, []string{"dana", "dev", "o"})
	storetest.Write(t, s, "", func(tx roster.Tx) error { return tx.SetUserName(u.ID, "Zoë Ångström") })
	check("after SetUserName", a.ID, []string{"zoë", "ångström"})
	check("after SetUserName", b.ID, []string{"zoë", "ångström"})
	storetest.Write(t, s, a.ID, func(tx roster.Tx) error { return tx.DeleteMember(a.ID, u.ID) })
	check("after DeleteMember", a.ID, nil)
	check("in the other account after DeleteMember", b.ID, []string{"zoë", "ångström"})
}
