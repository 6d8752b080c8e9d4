package sqlite

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/searchplan"
	"github.com/rosterhq/roster/internal/storetest"
)

// TestQueryPlans checks, with EXPLAIN QUERY PLAN, that every page of the
// member list, with or without a search, reads index ranges of the
// account's rows and never a whole table, so that it stays fast at 100,000
// members in one account: a page without a search, and a search walked in
// the page's order, read the order's index from the cursor without
// sorting; a search merged in name order reads a range of member_words per
// run and the range of the name order's index that the driver starts, then
// looks the page's members up by primary key, or reads a page of that range
// alone when it is the only run; a search with few matches reads them by
// index ranges, then looks the members up by primary key; a search only
// emails match reads their range of members. No statement has an OFFSET.
func TestQueryPlans(t *testing.T) {
	s := open(t)
	a := storetest.NewAccount(t, s, "Acme", "bizmetry")
	b := storetest.NewAccount(t, s, "Other", "bizmetry")
	// Enough members that more than maxSorted match "d" (and fewer match
	// the other searches), as the benchmarks fill them, with as many in
	// another account.
	const n = 5000
	fillMembers(t, s, a, n)
	fillMembers(t, s, b, n)
	storetest.AddFirstWordNames(t, s, a.ID)
	mid := memberAt(t, s, a.ID, n/2)

	type plan struct {
		name  string
		f     roster.MemberFilter
		shape searchShape // of a search
	}
	var plans []plan
	for _, sort := range []roster.MemberSort{roster.SortName, roster.SortEmail, roster.SortRole, roster.SortStatus, roster.SortLastLogin} {
		for _, desc := range []bool{false, true} {
			plans = append(plans,
				plan{fmt.Sprintf("first page by %s desc=%v", sort, desc), roster.MemberFilter{Sort: sort, Desc: desc, Limit: 50}, noMatches},
				plan{fmt.Sprintf("page N by %s desc=%v", sort, desc), roster.MemberFilter{Sort: sort, Desc: desc, Limit: 50,
					After: roster.NewMemberCursor(mid, sort, desc)}, noMatches},
				plan{fmt.Sprintf("many matches by %s desc=%v", sort, desc), roster.MemberFilter{Query: "d", Sort: sort, Desc: desc, Limit: 50,
					After: roster.NewMemberCursor(mid, sort, desc)}, walkOrder},
			)
			if sort != roster.SortName {
				plans = append(plans,
					plan{fmt.Sprintf("few matches by %s desc=%v", sort, desc), roster.MemberFilter{Query: "dana d", Sort: sort, Desc: desc, Limit: 50,
						After: roster.NewMemberCursor(mid, sort, desc)}, sortMatches})
			}
		}
	}
	dev := storetest.RoleOrder(t, a.Catalog, "Developer")
	byName := func(desc bool) *roster.MemberCursor { return roster.NewMemberCursor(mid, roster.SortName, desc) }
	// Cursors in the middle of the Danas and of the Alexes.
	danaMid := func(desc bool) *roster.MemberCursor {
		return roster.NewMemberCursor(&roster.Member{UserID: mid.UserID, Name: "Dana Jones5"}, roster.SortName, desc)
	}
	alexMid := roster.NewMemberCursor(&roster.Member{UserID: mid.UserID, Name: "Alex Jones5"}, roster.SortName, false)
	plans = append(plans,
		plan{"role filter", roster.MemberFilter{Role: "Developer", RoleOrder: dev, Sort: roster.SortRole, Limit: 50}, noMatches},
		plan{"role filter by name", roster.MemberFilter{Role: "Developer", RoleOrder: dev, Limit: 50, After: byName(false)}, noMatches},
		// A role's members are fewer than maxSorted, a status's more.
		plan{"role filter by email", roster.MemberFilter{Role: "Developer", RoleOrder: dev, Sort: roster.SortEmail, Limit: 50}, noMatches},
		plan{"role and status filters by last login, page N", roster.MemberFilter{Role: "Developer", RoleOrder: dev, Status: roster.StatusActive,
			Sort: roster.SortLastLogin, Limit: 50, After: roster.NewMemberCursor(mid, roster.SortLastLogin, false)}, noMatches},
		plan{"status filter", roster.MemberFilter{Status: roster.StatusPending, Sort: roster.SortStatus, Limit: 50}, noMatches},
		plan{"status filter by email", roster.MemberFilter{Status: roster.StatusPending, Sort: roster.SortEmail, Desc: true, Limit: 50}, noMatches},
		plan{"a word", roster.MemberFilter{Query: "dana", Limit: 50}, mergeRuns},
		plan{"a word, page N, descending", roster.MemberFilter{Query: "dana", Desc: true, Limit: 50, After: byName(true)}, mergeRuns},
		plan{"a prefix of several words", roster.MemberFilter{Query: "smith99", Limit: 50, After: byName(false)}, mergeRuns},
		plan{"two words", roster.MemberFilter{Query: "dana dev1", Limit: 50}, mergeRuns},
		plan{"two words, page N among its matches, descending", roster.MemberFilter{Query: "dana dev1", Desc: true, Limit: 50, After: danaMid(true)}, mergeRuns},
		plan{"two words, filtered", roster.MemberFilter{Query: "dana dev1", Role: "Developer", RoleOrder: dev, Status: roster.StatusActive, Limit: 50}, mergeRuns},
		plan{"three words", roster.MemberFilter{Query: "dana dev1 d", Limit: 50}, mergeRuns},
		plan{"two words, one starting the other", roster.MemberFilter{Query: "dana dan", Limit: 50}, mergeRuns},
		plan{"a word, page N among its matches", roster.MemberFilter{Query: "dana", Limit: 50, After: danaMid(false)}, mergeRuns},
		plan{"a word, page N among its matches, descending", roster.MemberFilter{Query: "dana", Desc: true, Limit: 50, After: danaMid(true)}, mergeRuns},
		plan{"a word, filtered, page N among its matches, descending", roster.MemberFilter{Query: "dana", Desc: true, Status: roster.StatusActive, Limit: 50, After: danaMid(true)}, mergeRuns},
		plan{"a word that starts first and later words", roster.MemberFilter{Query: "alex", Limit: 50}, mergeRuns},
		plan{"a word that starts first and later words, page N among its matches", roster.MemberFilter{Query: "alex", Limit: 50, After: alexMid}, mergeRuns},
		plan{"a word that starts first and later words, page N, descending", roster.MemberFilter{Query: "alex", Desc: true, Limit: 50, After: byName(true)}, mergeRuns},
		plan{"a first word and emails", roster.MemberFilter{Query: "user00002", Limit: 50}, mergeRuns},
		plan{"a later word and a first word", roster.MemberFilter{Query: "alexa1 kim", Limit: 50}, mergeRuns},
		plan{"an email", roster.MemberFilter{Query: "user00001", Limit: 50}, mergeRuns},
		plan{"an email, page N", roster.MemberFilter{Query: "user00001", Limit: 50, After: byName(false)}, mergeRuns},
		plan{"an email by role, page N", roster.MemberFilter{Query: "user00001", Sort: roster.SortRole, Limit: 50,
			After: roster.NewMemberCursor(mid, roster.SortRole, false)}, sortMatches},
		plan{"an email by last login, descending, filtered", roster.MemberFilter{Query: "user00001", Sort: roster.SortLastLogin, Desc: true,
			Role: "Developer", RoleOrder: dev, Status: roster.StatusActive, Limit: 50}, sortMatches},
		plan{"a word, filtered", roster.MemberFilter{Query: "dana", Role: "Developer", RoleOrder: dev, Status: roster.StatusActive, Limit: 50, After: byName(false)}, mergeRuns},
		plan{"a prefix of many words", roster.MemberFilter{Query: "dev", Limit: 50, After: byName(false)}, sortMatches},
		plan{"many emails by email", roster.MemberFilter{Query: "user", Sort: roster.SortEmail, Limit: 50}, walkOrder},
		plan{"many emails by name", roster.MemberFilter{Query: "user", Limit: 50}, walkOrder},
		plan{"many matches, filtered", roster.MemberFilter{Query: "d", Role: "Developer", RoleOrder: dev, Status: roster.StatusActive, Limit: 50}, walkOrder},
		plan{"no match", roster.MemberFilter{Query: "zzz", Limit: 50}, noMatches},
	)

	// The pages of a filter with fewer than maxSorted members read them
	// from its index and sort them (see filterIndex): a role's members
	// here, not a status's.
	filterIndexes := map[string]string{
		"role filter by email":                          "members_by_role",
		"role and status filters by last login, page N": "members_by_role",
	}
	// The searches whose first words are read from member_words_by_lead
	// (searchplan.ByLeads), and one whose words cannot be.
	paired := map[string]bool{"two words": true, "two words, page N among its matches, descending": true,
		"two words, filtered": true, "three words": true, "two words, one starting the other": false}
	for _, p := range plans {
		var query string
		var args []any
		srch := &search{}
		storetest.Read(t, s, func(rtx roster.Tx) error {
			tx := rtx.(*tx)
			var err error
			if q := strings.ToLower(strings.TrimSpace(p.f.Query)); q != "" {
				s, err := tx.planSearch(a.ID, q, sortOf(p.f))
				if err != nil {
					return err
				}
				srch = s
				// The statements that plan the search are index reads too.
				q, args := runsQuery(a.ID, s)
				checkPlanStatement(t, p.name, explain(t, tx, q, args))
				q, args = countsQuery(a.ID, s)
				checkPlanStatement(t, p.name, explain(t, tx, q, args))
			}
			query, args, err = tx.memberListQuery(a.ID, p.f)
			return err
		})
		if shape := srch.shape; shape != p.shape {
			t.Errorf("%s: a search of shape %d, want %d", p.name, shape, p.shape)
			continue
		}
		if want, ok := paired[p.name]; ok && srch.paired != want {
			t.Errorf("%s: paired %v, want %v", p.name, srch.paired, want)
		}
		if p.name == "two words" && !slices.Equal(srch.leads, []string{"dana", "danae"}) {
			t.Errorf("%s: leads %q, want dana and danae (storetest.AddFirstWordNames)", p.name, srch.leads)
		}
		if strings.Contains(strings.ToUpper(query), "OFFSET") {
			t.Errorf("%s: an OFFSET:\n%s", p.name, query)
		}
		if p.f.Query != "" && srch.shape == noMatches {
			if query != "" {
				t.Errorf("%s: a statement for a search that matches nobody:\n%s", p.name, query)
			}
			continue
		}
		// The statement must find members; a broken one could have a
		// fine plan.
		if p.f.After == nil {
			storetest.Read(t, s, func(tx roster.Tx) error {
				page, err := tx.ListMembers(a.ID, p.f)
				if err == nil && len(page.Items) == 0 {
					t.Errorf("%s: an empty page", p.name)
				}
				return err
			})
		}
		var detail string
		storetest.Read(t, s, func(rtx roster.Tx) error {
			detail = explain(t, rtx.(*tx), query, args)
			return nil
		})
		if index := filterIndexes[p.name]; index != "" {
			want := "SEARCH m USING INDEX " + index + " (account_id=? AND "
			if !strings.HasPrefix(detail, want) || !strings.Contains(detail, sorts) || tableScan.MatchString(detail) {
				t.Errorf("%s: the filter's index is not read and sorted:\n%s", p.name, detail)
			}
			continue
		}
		checkPlan(t, p.name, p.f, srch, detail)
		// (A lead's arm reads its few names whatever the cursor.)
		if strings.Contains(p.name, "among its matches") && !srch.paired && !cursorBound.MatchString(detail) {
			t.Errorf("%s: the range of first words does not start at the cursor:\n%s", p.name, detail)
		}
	}
}

// sortOf returns the order f asks for.
func sortOf(f roster.MemberFilter) roster.MemberSort {
	if f.Sort == "" {
		return roster.SortName
	}
	return f.Sort
}

// Plan lines that the checks look for.
var (
	// A SCAN of a table reads all of it. (Those of a subquery's rows, or
	// of a SELECT without FROM, do not match.)
	tableScan = regexp.MustCompile(`(?m)^SCAN (\w+)$`)
	// Every word of the account: a search of an index by the account alone.
	allWords = regexp.MustCompile(`(?m)^SEARCH \w+ USING (COVERING )?INDEX member_words_by_member \(account_id=\?\)$`)
	// The page's members read in the order of an index from the
	// cursor's position, or from the account's start.
	orderWalk = regexp.MustCompile(`(?m)^SEARCH m USING (COVERING )?INDEX members_by_\w+ \(account_id=\?( AND \w+=\?)*( AND \(\w+(,\w+)*\)[<>]\(\?(,\?)*\))?\)$`)
	emailWalk = regexp.MustCompile(`(?m)^SEARCH m USING (COVERING )?INDEX members_by_email \(account_id=\? AND email_key>\? AND email_key<\?\)$`)
	// mergeRuns: a range of member_words per run, the range of the name
	// order's index that the driver starts (the names' first words), and
	// the email matches from their range, merged (h, the page of them, is
	// read in its order, not sorted), then the page's members looked up by
	// primary key. The first words alone are a page of their range.
	runRange = regexp.MustCompile(`(?m)^SEARCH w USING PRIMARY KEY \(account_id=\? AND word=\?( AND \(name_key,user_id\)[<>]\(\?,\?\))?\)$`)
	// The names of a lead with a word the partner starts (searchplan.ByLeads).
	pairArm = regexp.MustCompile(`(?m)^SEARCH p USING COVERING INDEX member_words_by_lead \(account_id=\? AND <expr>=\? AND word>\? AND word<\?\)$`)
	// The range's bounds are the prefix's or the cursor's.
	leadArm  = regexp.MustCompile(`(?m)^SEARCH l USING (COVERING )?INDEX members_by_name \(account_id=\? AND ` + leadBounds + `\)$`)
	leadPage = regexp.MustCompile(`(?m)^SEARCH m USING INDEX members_by_(name|role|status) \(account_id=\?( AND \w+=\?)? AND ` + leadBounds + `\)$`)
	// sortMatches: the ranges of a word and of the email, the members
	// looked up by primary key.
	wordRange = "SEARCH w USING PRIMARY KEY (account_id=? AND word>? AND word<?)"
	byKey     = "SEARCH m USING INDEX sqlite_autoindex_members_1 (account_id=? AND user_id=?)"
	emailArm  = regexp.MustCompile(`(?m)^SEARCH e USING (COVERING )?INDEX members_by_email \(account_id=\? AND email_key>\? AND email_key<\?\)$`)
	// A search only emails match: their range of members, sorted.
	emailsOnly = regexp.MustCompile(`(?m)^SEARCH m USING INDEX members_by_email \(account_id=\? AND email_key>\? AND email_key<\?\)$`)
	// A candidate's other words, tested with an index probe each (a
	// correlated subquery, for it is one arm of an OR).
	otherWord = "SEARCH x USING COVERING INDEX member_words_by_member (account_id=? AND user_id=? AND word>? AND word<?)"
	filterRow = "SEARCH f EXISTS USING INDEX sqlite_autoindex_members_1 (account_id=? AND user_id=?)"
	sorts     = "USE TEMP B-TREE FOR ORDER BY"
)

// A range of first words that starts at the cursor, within it.
var cursorBound = regexp.MustCompile(`(?m)^SEARCH [lm] USING (COVERING )?INDEX members_by_\w+ \(account_id=\?( AND \w+=\?)? AND (\(name_key,user_id\)>\(\?,\?\) AND name_key<\?|name_key>\? AND \(name_key,user_id\)<\(\?,\?\))\)$`)

const leadBounds = `(name_key>\? AND name_key<\?|\(name_key,user_id\)>\(\?,\?\) AND name_key<\?|name_key>\? AND \(name_key,user_id\)<\(\?,\?\))`

// checkPlan fails t unless detail, the plan of f's page, has the index
// reads of the search's shape and no scan of a table.
func checkPlan(t *testing.T, name string, f roster.MemberFilter, s *search, detail string) {
	t.Helper()
	for _, m := range tableScan.FindAllStringSubmatch(detail, -1) {
		if m[1] != "hits" && m[1] != "h" { // the merged runs' rows, and the page of them
			t.Errorf("%s: a full scan of %s:\n%s", name, m[1], detail)
		}
	}
	words := s.words
	need := func(ok bool, what string) {
		t.Helper()
		if !ok {
			t.Errorf("%s: %s:\n%s", name, what, detail)
		}
	}
	need(!allWords.MatchString(detail), "every word of the account is read")
	switch s.shape {
	case noMatches, walkOrder:
		if f.Query != "" && f.Sort == roster.SortEmail && s.driver < 0 {
			need(emailWalk.MatchString(detail), "the members are not read from the email range in order")
		} else {
			need(orderWalk.MatchString(detail), "the members are not read in order from the order's index")
		}
		need(!strings.Contains(detail, sorts), "the rows are sorted instead of read in index order")
		if f.Query != "" && s.driver >= 0 {
			need(strings.Contains(detail, otherWord), "a word is not tested with an index probe")
		}
	case mergeRuns, sortMatches:
		if s.driver < 0 {
			need(emailsOnly.MatchString(detail), "the members are not read from the email range")
			return
		}
	}
	switch s.shape {
	case mergeRuns:
		if searchplan.LeadPage(s.runs, len(s.words), s.emails, f.Role != "" || f.Status != "") {
			need(leadPage.MatchString(detail), "the first words are not a page of the name order's range")
			need(!strings.Contains(detail, sorts), "the rows are sorted instead of read in index order")
			break
		}
		for _, run := range s.runs {
			switch {
			case run == "" && s.paired:
				need(len(pairArm.FindAllString(detail, -1)) == len(s.leads), "the first words are not a range of member_words_by_lead per lead")
			case run == "":
				need(leadArm.MatchString(detail), "the first words are not a range of the name order's index")
			default:
				need(runRange.MatchString(detail), "a run is not a range of member_words in name order")
			}
		}
		need(strings.Contains(detail, byKey), "the members are not looked up by primary key")
		need(!strings.HasSuffix(strings.TrimSpace(detail), sorts), "the merged page is sorted again")
		// Words other than the driver are tested on each candidate, but
		// for the partner on the lead's arms, which read its range.
		wordRuns := slices.ContainsFunc(s.runs, func(r string) bool { return r != "" })
		if len(words) > 2 || len(words) == 2 && (!s.paired || wordRuns) {
			need(strings.Contains(detail, otherWord), "another word is not tested with an index probe")
		}
		if (f.Role != "" || f.Status != "") && (wordRuns || s.paired && len(s.leads) > 0) {
			need(strings.Contains(detail, filterRow), "the filters are not tested with a primary key probe")
		}
	case sortMatches:
		need(strings.Contains(detail, wordRange), "a word is not an index range")
		need(leadArm.MatchString(detail), "the first words are not a range of the name order's index")
		need(strings.Contains(detail, byKey), "the members are not looked up by primary key")
		if len(words) > 1 {
			need(strings.Contains(detail, otherWord), "another word is not tested with an index probe")
		}
	}
	if s.emails && (s.shape == mergeRuns || s.shape == sortMatches) {
		need(emailArm.MatchString(detail), "the email prefix is not an index range")
	}
}

// checkPlanStatement fails t unless detail, the plan of one of
// planSearch's statements, reads index ranges only.
func checkPlanStatement(t *testing.T, name, detail string) {
	t.Helper()
	for _, m := range tableScan.FindAllStringSubmatch(detail, -1) {
		if !regexp.MustCompile(`^[rl]\d+$`).MatchString(m[1]) { // the rows of a CTE (runs, leads)
			t.Errorf("%s: planning the search scans %s:\n%s", name, m[1], detail)
		}
	}
	if !strings.Contains(detail, "members_by_email (account_id=? AND email_key>? AND email_key<?)") {
		t.Errorf("%s: planning the search does not count the emails in their range:\n%s", name, detail)
	}
}

// explain returns the query plan's details, one line each.
func explain(t *testing.T, tx *tx, query string, args []any) string {
	t.Helper()
	rows, err := tx.q.Query("EXPLAIN QUERY PLAN "+query, args...)
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

// TestSweepReadsWhatItDeletes: the hourly sweep finds expired sessions,
// reset links and rate-limit buckets, and old sent or failed emails,
// through an index on their age, rather than reading every row (with a
// large account's invitations in the outbox, that filled the writer's page
// cache at every start: 92 MB for an idle server instead of 26; and a
// guessing run from many addresses leaves a bucket for each).
func TestSweepReadsWhatItDeletes(t *testing.T) {
	s := open(t)
	want := map[string]string{
		"sessions":        "SEARCH sessions USING COVERING INDEX sessions_by_expiry (expires_at<?)",
		"password_resets": "SEARCH password_resets USING COVERING INDEX password_resets_by_expiry (expires_at<?)",
		"attempts":        "SEARCH attempts USING COVERING INDEX attempts_by_age (updated_at<?)",
		"outbox":          "SEARCH outbox USING INDEX outbox_done (created_at<?)",
	}
	storetest.Read(t, s, func(rtx roster.Tx) error {
		tx := rtx.(*tx)
		for _, q := range sweeps {
			table := strings.Fields(q.sql)[2]
			plan := explain(t, tx, q.sql, []any{int64(0), 100})
			if w, ok := want[table]; ok && !strings.Contains(plan, w) {
				t.Errorf("the sweep of %s does not read its index:\n%s\nwant %s", table, plan, w)
			}
		}
		return nil
	})
}
