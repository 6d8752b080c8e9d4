package postgres

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/storetest"
)

// TestQueryPlans checks that the member list, its searches and its later
// pages read the account's members from the member list indexes, never by a
// scan of a whole table, so that they stay fast at 100,000 members in one
// account. ListMembers plans each page for its values (it never runs from a
// cached generic plan), which is what EXPLAIN with the values shows.
//
// A search for a word most names share is the exception: there PostgreSQL
// may rightly prefer to read the account's members in one sequential pass
// over thousands of index probes. That plan is checked with enable_seqscan
// off, which shows that the indexes exist and serve it when they are the
// cheaper way.
func TestQueryPlans(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	a := storetest.NewAccount(t, s, "Acme", "bizmetry")
	b := storetest.NewAccount(t, s, "Other", "bizmetry")
	// Enough rows that a full scan is a real choice for the planner, with
	// more users in other accounts than in the one listed, as on a shared
	// database; written in bulk, as the store would write them. The names
	// are like the benchmark's: a first name of 14 and a numbered last name
	// of 10 ("Dana Dev123").
	for _, fill := range []struct {
		acct *roster.Account
		n    int
	}{{a, 10000}, {b, 40000}} {
		for _, stmt := range []string{
			`INSERT INTO users (id, email, email_key, name, created_at)
			SELECT $1 || '-' || i, 'm' || i || '@' || $1 || '.test', 'm' || i || '@' || lower($1) || '.test',
				(ARRAY['Dana', 'Alex', 'Sam', 'Robin', 'Kim', 'Lee', 'Chris', 'Pat', 'Jo', 'Max', 'Zed', 'Ann', 'Bob', 'Eve'])[1 + i % 14]
				|| ' ' || (ARRAY['Dev', 'Smith', 'Jones', 'Brown', 'Miller', 'Davis', 'Garcia', 'Wilson', 'Moore', 'Taylor'])[1 + i % 10] || i,
				now()
			FROM generate_series(1, $2::int) AS i`,
			`INSERT INTO members (account_id, user_id, role, role_order, status, name_key, email_key, last_login_at)
			SELECT $1, u.id, 'Developer', 3, (ARRAY['active', 'pending', 'disabled'])[1 + i % 3],
				lower(u.name), u.email_key, CASE WHEN i % 2 = 0 THEN '-infinity' ELSE now() - i * interval '1 minute' END
			FROM generate_series(1, $2::int) AS i JOIN users u ON u.id = $1 || '-' || i`,
			`INSERT INTO member_words (account_id, word, user_id)
			SELECT m.account_id, w.word, m.user_id
			FROM members m, unnest(string_to_array(m.name_key, ' ')) AS w (word)
			WHERE m.account_id = $1 AND $2::int > 0`,
			`INSERT INTO invitations (account_id, user_id, token_hash, expires_at, sent_at)
			SELECT $1, user_id, 'hash-' || user_id, now(), now()
			FROM members WHERE account_id = $1 AND status = 'pending' AND $2::int > 0`,
		} {
			if _, err := s.pool.Exec(ctx, stmt, fill.acct.ID, fill.n); err != nil {
				t.Fatalf("fill account %s: %v", fill.acct.ID, err)
			}
		}
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	var mid *roster.Member
	storetest.Read(t, s, func(tx roster.Tx) error {
		var err error
		mid, err = tx.Member(a.ID, a.ID+"-2506")
		return err
	})

	type plan struct {
		name string
		f    roster.MemberFilter
		// noSeqScan runs EXPLAIN with enable_seqscan off.
		noSeqScan bool
	}
	var plans []plan
	for _, sort := range []roster.MemberSort{roster.SortName, roster.SortEmail, roster.SortRole, roster.SortStatus, roster.SortLastLogin} {
		for _, desc := range []bool{false, true} {
			plans = append(plans,
				plan{fmt.Sprintf("first page by %s desc=%v", sort, desc), roster.MemberFilter{Sort: sort, Desc: desc, Limit: 50}, false},
				plan{fmt.Sprintf("page N by %s desc=%v", sort, desc), roster.MemberFilter{Sort: sort, Desc: desc, Limit: 50,
					After: roster.NewMemberCursor(mid, sort, desc)}, false},
			)
		}
	}
	plans = append(plans,
		plan{"common name search", roster.MemberFilter{Query: "dana", Limit: 50}, true},
		plan{"rare name search", roster.MemberFilter{Query: "garcia2506", Limit: 50}, false},
		plan{"two-word search", roster.MemberFilter{Query: "dana garcia25", Limit: 50}, false},
		plan{"email search", roster.MemberFilter{Query: "m1@", Limit: 50}, false},
		plan{"common name search, page N", roster.MemberFilter{Query: "dana", Limit: 50, After: roster.NewMemberCursor(mid, roster.SortName, false)}, true},
		plan{"rare name search, page N", roster.MemberFilter{Query: "garcia25", Limit: 2, After: roster.NewMemberCursor(mid, roster.SortName, false)}, false},
		plan{"status filter", roster.MemberFilter{Status: roster.StatusPending, Sort: roster.SortStatus, Limit: 50}, false},
		plan{"role filter", roster.MemberFilter{Role: "Developer", Sort: roster.SortRole, Limit: 50}, false},
	)

	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for _, p := range plans {
		query, args, err := memberListQuery(a.ID, p.f)
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		// The query must return what it is meant to; a broken one could
		// have a fine plan.
		storetest.Read(t, s, func(tx roster.Tx) error {
			page, err := tx.ListMembers(a.ID, p.f)
			if err == nil && len(page.Items) == 0 && p.f.Status == "" {
				t.Errorf("%s: an empty page", p.name)
			}
			return err
		})
		setting := "on"
		if p.noSeqScan {
			setting = "off"
		}
		if _, err := conn.Exec(ctx, "SET enable_seqscan = "+setting); err != nil {
			t.Fatal(err)
		}
		// Sent as ListMembers sends it, parameter types included.
		checkPlan(t, p.name, p.f, explain(t, conn, "EXPLAIN "+query, append([]any{pgx.QueryExecModeExec}, args...)...))
	}
}

// Plan lines that the checks look for.
var (
	seqScan         = regexp.MustCompile(`Seq Scan on (members|member_words|users|invitations)\b`)
	listIndexScan   = regexp.MustCompile(`Index (Only )?Scan (Backward )?using members_by_\w+ on members m\b`)
	keysetRange     = regexp.MustCompile(`using members_by_\w+ on members m\b[^\n]*\n\s*Index Cond: \(\(account_id = [^\n]*\) AND \(ROW\(`)
	memberIndexScan = regexp.MustCompile(`(Index (Only )?Scan (Backward )?using|Bitmap Index Scan on) members_\w+( on members m\b)?`)
	value           = `('(?:[^']|'')*'::text|\$\d+)`
	indexCond       = `(Index (Only )?Scan using|Bitmap Index Scan on) %s[^\n]*\n\s*Index Cond: \(\(account_id = ` + value +
		`\) AND \(%[2]s >= ` + value + `\) AND \(%[2]s < ` + value + `\)\)`
	emailRange = regexp.MustCompile(fmt.Sprintf(indexCond, "members_by_email", "email_key"))
	wordRange  = regexp.MustCompile(fmt.Sprintf(indexCond, "member_words_pkey", "word"))
)

// checkPlan fails t unless plan reads the members from a member list
// index, a search's words and email from index ranges, and nothing by a
// sequential scan.
func checkPlan(t *testing.T, name string, f roster.MemberFilter, plan string) {
	t.Helper()
	if m := seqScan.FindString(plan); m != "" {
		t.Errorf("%s: %s:\n%s", name, m, plan)
	}
	switch {
	case f.Query == "" && !listIndexScan.MatchString(plan):
		t.Errorf("%s: the members are not read in order from a member list index:\n%s", name, plan)
	case f.Query != "" && !memberIndexScan.MatchString(plan):
		t.Errorf("%s: the members are not read from an index:\n%s", name, plan)
	}
	if f.Query == "" && f.After != nil && !keysetRange.MatchString(plan) {
		t.Errorf("%s: the page does not start at the cursor in the index:\n%s", name, plan)
	}
	if f.Query == "" && strings.Contains(plan, "Sort Key") {
		t.Errorf("%s: sorts the rows instead of reading them in index order:\n%s", name, plan)
	}
	if f.Query != "" && !emailRange.MatchString(plan) {
		t.Errorf("%s: the email prefix is not an index range:\n%s", name, plan)
	}
	if len(roster.SearchWords(f.Query)) > 0 && !wordRange.MatchString(plan) {
		t.Errorf("%s: a search word is not an index range:\n%s", name, plan)
	}
}

// explain runs an EXPLAIN statement and returns the plan, one node a line.
func explain(t *testing.T, conn *pgxpool.Conn, query string, args ...any) string {
	t.Helper()
	rows, err := conn.Query(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		b.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	return b.String()
}
