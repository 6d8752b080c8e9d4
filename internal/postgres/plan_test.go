package postgres

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/searchplan"
	"github.com/rosterhq/roster/internal/storetest"
)

// TestQueryPlans checks, with EXPLAIN, that every page of the member list,
// with or without a search, reads index ranges of the account's rows and
// never a whole table, so that it stays fast at 100,000 members in one
// account: a page without a search, and a search walked in the page's
// order, read the order's index from the cursor without sorting; a search
// merged in name order reads a range of member_words per run and the range
// of the name order's index that the driver starts (the names' first
// words), or a page of that range alone when it is the only run; a search
// with few matches reads them by index ranges, then looks the members up. No
// plan has parallel workers, whose start a page would wait for, or hashes
// every member with a word, and no statement has an OFFSET.
//
// Each plan is the one for the statement's values, as PostgreSQL plans a
// statement the first times it runs; ListMembers sends the searches of
// other shapes than mergeRuns, but for those only emails match, to be
// planned so on every call.
func TestQueryPlans(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	a := storetest.NewAccount(t, s, "Acme", "bizmetry")
	b := storetest.NewAccount(t, s, "Other", "bizmetry")
	// Enough members that PostgreSQL would rather look a few up than read
	// them all, and that more than maxSorted match "d" (and fewer the
	// other searches), as the benchmarks fill them; with more in another
	// account, as on a shared database.
	const n = 20000
	fillMembers(t, s, a, n)
	fillMembers(t, s, b, 2*n)
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
					plan{fmt.Sprintf("few matches by %s desc=%v", sort, desc), roster.MemberFilter{Query: "dana smith9", Sort: sort, Desc: desc, Limit: 50,
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
		plan{"role filter by email", roster.MemberFilter{Role: "Developer", RoleOrder: dev, Sort: roster.SortEmail, Limit: 50}, noMatches},
		plan{"status filter", roster.MemberFilter{Status: roster.StatusPending, Sort: roster.SortStatus, Limit: 50}, noMatches},
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
		plan{"a first word and emails", roster.MemberFilter{Query: "user00002", Limit: 50}, mergeRuns},
		plan{"a later word and a first word", roster.MemberFilter{Query: "alexa1 kim", Limit: 50}, mergeRuns},
		plan{"an email", roster.MemberFilter{Query: "user00001", Limit: 50}, mergeRuns},
		plan{"an email, page N", roster.MemberFilter{Query: "user00001", Limit: 50, After: byName(false)}, mergeRuns},
		plan{"an email by role, page N", roster.MemberFilter{Query: "user00001", Sort: roster.SortRole, Limit: 50,
			After: roster.NewMemberCursor(mid, roster.SortRole, false)}, sortMatches},
		plan{"an email by last login, descending, filtered", roster.MemberFilter{Query: "user00001", Sort: roster.SortLastLogin, Desc: true,
			Role: "Developer", RoleOrder: dev, Status: roster.StatusActive, Limit: 50}, sortMatches},
		plan{"a word, filtered", roster.MemberFilter{Query: "dana", Role: "Developer", RoleOrder: dev, Status: roster.StatusActive, Limit: 50, After: byName(false)}, mergeRuns},
		plan{"a prefix of many words", roster.MemberFilter{Query: "dev1", Limit: 50, After: byName(false)}, sortMatches},
		plan{"many emails by email", roster.MemberFilter{Query: "user", Sort: roster.SortEmail, Limit: 50}, walkOrder},
		plan{"many emails by name", roster.MemberFilter{Query: "user", Limit: 50}, walkOrder},
		plan{"many matches, filtered", roster.MemberFilter{Query: "d", Role: "Developer", RoleOrder: dev, Status: roster.StatusActive, Limit: 50}, walkOrder},
		plan{"no match", roster.MemberFilter{Query: "zzz", Limit: 50}, noMatches},
	)

	// The searches whose first words are read from member_words_by_lead
	// (searchplan.ByLeads), and one whose words cannot be.
	paired := map[string]bool{"two words": true, "two words, page N among its matches, descending": true,
		"two words, filtered": true, "three words": true, "two words, one starting the other": false}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for _, p := range plans {
		var query string
		var args []any
		srch := &search{}
		storetest.Read(t, s, func(rtx roster.Tx) error {
			tx := rtx.(*tx)
			var err error
			if q := strings.ToLower(strings.TrimSpace(p.f.Query)); q != "" {
				if srch, _, err = tx.planSearch(a.ID, q, sortOf(p.f), nil, nil); err != nil {
					return err
				}
				// The statements that plan the search are index reads too,
				// and gated at the list version the plan is kept at, they
				// read nothing else while it is the version.
				for _, gate := range []int64{-1, srch.version} {
					for _, statement := range []func(string, *search, int64) (string, []any){runsQuery, countsQuery} {
						q, args := statement(a.ID, srch, gate)
						checkPlanStatement(t, p.name, explain(t, conn, "EXPLAIN "+q, args...))
						if gate >= 0 {
							checkGated(t, p.name, explain(t, conn, "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) "+q, args...))
						}
					}
				}
			}
			query, args, err = tx.memberListQuery(a.ID, p.f)
			return err
		})
		if srch.shape != p.shape {
			t.Errorf("%s: a search of shape %d, want %d", p.name, srch.shape, p.shape)
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
		// Planned for its values, as the first calls are, parameter types
		// included.
		cached := len(args) == 0 || args[0] != pgx.QueryExecModeExec
		if cached {
			args = append([]any{pgx.QueryExecModeExec}, args...)
		}
		plan := explain(t, conn, "EXPLAIN "+query, args...)
		checkPlan(t, p.name, p.f, srch, plan)
		// (A lead's arm reads its few names whatever the cursor.)
		if strings.Contains(p.name, "among its matches") && !srch.paired && !cursorBound.MatchString(plan) {
			t.Errorf("%s: the range of first words does not start at the cursor:\n%s", p.name, plan)
		}
		// ListMembers sends a page, a merged search and a search only
		// emails match as cached prepared statements, which PostgreSQL may
		// plan once for any values after five calls: that generic plan
		// must be as good.
		if cached {
			checkPlan(t, p.name+" (generic plan)", p.f, srch, explainGeneric(t, conn, query, args[1:]))
		}
	}
	checkGenericPlansKept(t, s, a.ID, dev)
}

// checkGenericPlansKept checks that PostgreSQL keeps the generic plan of
// the cached statements whose plan suits any values: a page, merged runs
// and a search only emails match. Planned again on every call, each would
// take about twice as long.
func checkGenericPlansKept(t *testing.T, s *Store, account string, dev int) {
	t.Helper()
	for _, c := range []struct {
		name string
		f    roster.MemberFilter
	}{
		{"a page", roster.MemberFilter{Limit: 50}},
		{"a page of first words", roster.MemberFilter{Query: "dana", Limit: 50}},
		{"a page of first words, page N", roster.MemberFilter{Query: "dana", Limit: 50, After: &roster.MemberCursor{Sort: roster.SortName, Key: "dana m", UserID: "x"}}},
		{"merged runs", roster.MemberFilter{Query: "smith999", Limit: 50}},
		{"merged runs with first words", roster.MemberFilter{Query: "alex", Limit: 50}},
		{"merged runs with first words paired", roster.MemberFilter{Query: "dana dev1", Limit: 50}},
		{"a search only emails match", roster.MemberFilter{Query: "user00001", Limit: 50}},
		{"a search only emails match, filtered", roster.MemberFilter{Query: "user00001", Limit: 50, Status: roster.StatusActive}},
		{"a search only emails match, by role", roster.MemberFilter{Query: "user00001", Limit: 50, Role: "Developer", RoleOrder: dev}},
		{"a search only emails match, page N", roster.MemberFilter{Query: "user00001", Limit: 50, After: &roster.MemberCursor{Sort: roster.SortName, Key: "m", UserID: "x"}}},
	} {
		f := c.f
		// One transaction, so one connection: prepared statements and
		// their plans are the connection's.
		storetest.Read(t, s, func(rtx roster.Tx) error {
			tx := rtx.(*tx)
			query, _, err := tx.memberListQuery(account, f)
			if err != nil {
				return err
			}
			const calls = 10
			for range calls {
				if _, err := tx.ListMembers(account, f); err != nil {
					return err
				}
			}
			var generic, custom int64
			if err := tx.queryRow(`SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1`,
				query).Scan(&generic, &custom); err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			// PostgreSQL plans a statement for its values its first five
			// times, then compares.
			if generic < calls-5 {
				t.Errorf("%s: %d generic and %d custom plans in %d calls: PostgreSQL plans it on every call\n%s",
					c.name, generic, custom, calls, query)
			}
			return nil
		})
	}
}

// explainGeneric returns the generic plan of query: prepared, planned
// without its values (plan_cache_mode = force_generic_plan), and explained
// for these.
func explainGeneric(t *testing.T, conn *pgxpool.Conn, query string, args []any) string {
	t.Helper()
	ctx := context.Background()
	for _, stmt := range []string{`SET plan_cache_mode = force_generic_plan`, `PREPARE generic_plan AS ` + query} {
		if _, err := conn.Exec(ctx, stmt, pgx.QueryExecModeSimpleProtocol); err != nil {
			t.Fatalf("%v\n%s", err, stmt)
		}
	}
	defer conn.Exec(ctx, `DEALLOCATE generic_plan; RESET plan_cache_mode`, pgx.QueryExecModeSimpleProtocol)
	// EXECUTE takes its values as SQL literals, which PostgreSQL converts
	// to the statement's parameter types.
	values := make([]string, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			values[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
		case int, int32, int64:
			values[i] = fmt.Sprint(v)
		case pgtype.Timestamptz:
			if v.InfinityModifier == pgtype.NegativeInfinity {
				values[i] = "'-infinity'"
			} else {
				values[i] = "'" + v.Time.Format(time.RFC3339Nano) + "'"
			}
		default:
			t.Fatalf("no literal for %T", a)
		}
	}
	return explain(t, conn, `EXPLAIN EXECUTE generic_plan(`+strings.Join(values, ", ")+`)`, pgx.QueryExecModeSimpleProtocol)
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
	seqScan  = regexp.MustCompile(`Seq Scan on \w+`)
	parallel = regexp.MustCompile(`Gather|Parallel`)
	hashed   = regexp.MustCompile(`hashed SubPlan|Hash Semi Join|Hash Join`)
	// Every word of the account: an index read by the account alone.
	allWords = regexp.MustCompile(`on member_words \w+[^\n]*\n\s*Index Cond: \(account_id = [^\n]*\)\n`)
	// The page's members read in the order of an index, from the
	// cursor's position when there is one.
	orderWalk = regexp.MustCompile(`Index (Only )?Scan (Backward )?using members_by_\w+ on members m\b`)
	keyset    = regexp.MustCompile(`using members_by_\w+ on members m\b[^\n]*\n\s*Index Cond: \(\(account_id = [^\n]*\) AND \(ROW\(`)
	emailWalk = regexp.MustCompile(`Index Scan (Backward )?using members_by_email on members m\b[^\n]*\n\s*Index Cond: \(\(account_id = [^\n]*\) AND \(email_key >= [^\n]*\) AND \(email_key < [^\n]*\)\)`)
	// mergeRuns: a range of member_words per run, read in name order;
	// sortMatches: the range of a word's prefix.
	runRange  = regexp.MustCompile(`Index Only Scan (Backward )?using member_words_pkey on member_words w(_\d+)?\b[^\n]*\n\s*Index Cond: \(\(account_id = [^\n]*\) AND \(word = [^\n]*\)( AND \(ROW\([^\n]*\))?\)`)
	runLimit  = regexp.MustCompile(`Limit [^\n]*\n\s*->  Index Only Scan (Backward )?using member_words_pkey on member_words w(_\d+)?\b`)
	wordRange = regexp.MustCompile(`(Index (Only )?Scan using|Bitmap Index Scan on) member_words_pkey( on member_words w)?[^\n]*\n\s*Index Cond: \(\(account_id = [^\n]*\) AND \(word >= [^\n]*\) AND \(word < [^\n]*\)\)`)
	// The names of a lead with a word the partner starts (searchplan.ByLeads),
	// up to a bound.
	pairArm = regexp.MustCompile(`Limit [^\n]*\n(\s*InitPlan [^\n]*\n\s*->  Result [^\n]*\n)*\s*->  Index Only Scan using member_words_by_lead on member_words r(_\d+)?\b[^\n]*\n\s*Index Cond: \(\(account_id = [^\n]*\) AND \(\(split_part\(name_key, ' '::text, 1\)\) = [^\n]*\) AND \(word >= [^\n]*\) AND \(word < [^\n]*\)\)`)
	// The names whose first word the driver starts, a range of the name
	// order's index: an arm of mergeRuns and sortMatches, or a page.
	leadArm  = regexp.MustCompile(`(Index (Only )?Scan (Backward )?using members_by_(name|role|status) on members l|Bitmap Index Scan on members_by_(name|role|status))\b[^\n]*\n\s*Index Cond: \(\(account_id = [^\n]*name_key`)
	leadPage = regexp.MustCompile(`Index Scan (Backward )?using members_by_(name|role|status) on members m\b[^\n]*\n\s*Index Cond: \(\(account_id = [^\n]*name_key`)
	// A range of first words that starts at the cursor.
	cursorBound = regexp.MustCompile(`using members_by_\w+ on members [lm]\b[^\n]*\n\s*Index Cond: \(\(account_id = [^\n]*ROW\(`)
	// The members of mergeRuns and sortMatches, looked up one by one.
	lookup = regexp.MustCompile(`Index Scan using (members_by_user|members_pkey|members_by_name) on members m\b[^\n]*\n\s*Index Cond: \(\(?(user_id|account_id) = `)
	// The email matches' range, as a set of them or read from members on
	// its own: a subquery, m when only emails match, e as an arm of merged
	// runs.
	emailRange = regexp.MustCompile(`(using members_by_email on members e(_\d+)?\b|Bitmap Index Scan on members_by_email)[^\n]*\n\s*Index Cond: \(\(account_id = [^\n]*\) AND \(email_key >= [^\n]*\) AND \(email_key < [^\n]*\)\)`)
	emailOwn   = func(name string) *regexp.Regexp {
		return regexp.MustCompile(`Subquery Scan on ` + name + `\b[^\n]*\n(\s+\w[^\n]*\n)*\s*->  (Index Scan using members_by_email on members e|Bitmap Heap Scan on members e)(_\d+)?\b`)
	}
	// A candidate's other words, tested with an index probe each.
	otherWord = regexp.MustCompile(`Index Only Scan using member_words_by_member on member_words x\b[^\n]*\n\s*Index Cond: \(\(account_id = \w+\.account_id\) AND \(user_id = \w+\.user_id\) AND \(word >= [^\n]*\) AND \(word < [^\n]*\)\)`)
)

// checkPlan fails t unless plan, the plan of f's page, has the index reads
// of the search's shape, and no sequential scan, parallel workers or hash of
// a word's members.
func checkPlan(t *testing.T, name string, f roster.MemberFilter, s *search, plan string) {
	t.Helper()
	need := func(ok bool, what string) {
		t.Helper()
		if !ok {
			t.Errorf("%s: %s:\n%s", name, what, plan)
		}
	}
	need(!seqScan.MatchString(plan), "a sequential scan")
	need(!parallel.MatchString(plan), "parallel workers")
	need(!hashed.MatchString(plan), "a hash of a word's members")
	need(!allWords.MatchString(plan), "every word of the account is read")
	switch {
	case s.shape == noMatches || s.shape == walkOrder:
		if f.Query != "" && f.Sort == roster.SortEmail && s.driver < 0 {
			need(emailWalk.MatchString(plan), "the members are not read from the email range in order")
		} else {
			need(orderWalk.MatchString(plan), "the members are not read in order from the order's index")
		}
		if f.After != nil {
			need(keyset.MatchString(plan), "the page does not start at the cursor in the index")
		}
		need(!strings.Contains(plan, "Sort Key"), "the rows are sorted instead of read in index order")
		if f.Query != "" && s.driver >= 0 {
			need(otherWord.MatchString(plan), "a word is not tested with an index probe")
		}
		return
	case s.driver < 0: // only emails match, read from members
		need(emailOwn("m").MatchString(plan), "the email matches are not read on their own")
		need(emailRange.MatchString(plan), "the email prefix is not an index range")
		return
	case s.shape == mergeRuns && searchplan.LeadPage(s.runs, len(s.words), s.emails, f.Role != "" || f.Status != ""):
		need(leadPage.MatchString(plan), "the first words are not a page of the name order's range")
		need(!strings.Contains(plan, "Sort Key"), "the rows are sorted instead of read in index order")
		if len(s.words) > 1 {
			need(otherWord.MatchString(plan), "another word is not tested with an index probe")
		}
		return
	case s.shape == mergeRuns:
		words := len(s.runs)
		if slices.Contains(s.runs, "") {
			words--
			if s.paired {
				need(len(pairArm.FindAllString(plan, -1)) == len(s.leads), "the first words are not a bounded range of member_words_by_lead per lead")
			} else {
				need(leadArm.MatchString(plan), "the first words are not a range of the name order's index")
			}
		}
		need(!strings.Contains(plan, "Sort Key: m."), "the members are sorted after they are looked up, not read in their hits' order")
		runs := len(runRange.FindAllString(plan, -1))
		need(runs == words, "a run is not a range of member_words")
		need(len(runLimit.FindAllString(plan, -1)) == runs, "a run is not read in name order up to a page")
	case s.shape == sortMatches:
		need(wordRange.MatchString(plan), "a word is not an index range")
		need(leadArm.MatchString(plan), "the first words are not a range of the name order's index")
	}
	need(lookup.MatchString(plan), "the members are not looked up by an index")
	// Words other than the driver are tested on each candidate; of
	// merged runs, but for the partner on the lead's arms, which read its
	// range, and on the range of first words for words that start the
	// driver, which every name it leads has (PostgreSQL drops that test).
	test := len(s.words) > 1
	if s.shape == mergeRuns {
		test = test && slices.ContainsFunc(s.runs, func(r string) bool { return r != "" }) ||
			s.paired && len(s.words) > 2 && len(s.leads) > 0
		for j, w := range s.words {
			if j != s.driver && (!s.paired || j != s.partner) && searchplan.Paired(s.words[s.driver], w) {
				test = true
			}
		}
	}
	if test {
		need(otherWord.MatchString(plan), "another word is not tested with an index probe")
	}
	if s.emails {
		need(emailRange.MatchString(plan), "the email prefix is not an index range")
		if s.shape == mergeRuns {
			need(emailOwn("e").MatchString(plan), "the email matches are not read on their own")
		}
	}
}

// checkPlanStatement fails t unless plan, the plan of one of planSearch's
// statements, reads index ranges only, but for its account's row of
// account_versions: a table of a row per account, which PostgreSQL reads
// whole while it is a page or two, as in these tests, and by its primary
// key after.
func checkPlanStatement(t *testing.T, name, plan string) {
	t.Helper()
	for _, m := range seqScan.FindAllString(plan, -1) {
		if m != "Seq Scan on account_versions" {
			t.Errorf("%s: planning the search: %s:\n%s", name, m, plan)
		}
	}
	if !strings.Contains(plan, "Index Only Scan using members_by_email on members") {
		t.Errorf("%s: planning the search does not count the emails in their range:\n%s", name, plan)
	}
}

// checkGated fails t unless plan, of a planning statement gated at the
// list version it ran at (EXPLAIN ANALYZE), read no index but for the
// account's row of account_versions.
func checkGated(t *testing.T, name, plan string) {
	t.Helper()
	for _, line := range strings.Split(plan, "\n") {
		if strings.Contains(line, "Scan") && !strings.Contains(line, "account_versions") && !strings.Contains(line, "(never executed)") {
			t.Errorf("%s: the planning gated at the list version read %s:\n%s", name, strings.TrimSpace(line), plan)
		}
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

// TestUserLookupsNeverScanUsers checks that looking one user up by email
// or by id, as an invitation does, reads the index, whatever lookups the
// connection made before and however the table grew since. A cached
// statement would be planned once for any list after its first five
// calls; when those included a bulk invitation's thousands of keys,
// PostgreSQL judged a generic plan cheaper than their average and kept it.
// Planned while users was small, that plan was a sequential scan, which it
// kept as the table grew: a bulk of 9,900 emails compared every user with
// every email (2.2 s among 30,000 users, where a plan for the list hashes
// them), and one invitation's email took 1.3 ms.
func TestUserLookupsNeverScanUsers(t *testing.T) {
	s := open(t)
	a := storetest.NewAccount(t, s, "Acme", "bizmetry")
	owner := storetest.NewUser(t, s, "Olive Owner", "")
	var many, manyIDs []string
	for i := range 10000 {
		many, manyIDs = append(many, fmt.Sprintf("nobody%d@example.test", i)), append(manyIDs, fmt.Sprintf("usr_nobody%d", i))
	}
	// One transaction, so one connection: prepared statements and their
	// plans are the connection's, and pg_stat_xact_user_tables counts the
	// transaction's scans.
	storetest.Write(t, s, a.ID, func(rtx roster.Tx) error {
		tx := rtx.(*tx)
		lookUp := func(emails, ids []string) {
			found, err := tx.UsersByEmail(emails)
			if err == nil {
				var shared map[string]*roster.User
				if shared, err = tx.sharedUsers(ids); err == nil && len(shared) != len(found) {
					err = fmt.Errorf("found %d users by email and %d by id", len(found), len(shared))
				}
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		// As invitations come to a new Roster: mostly one at a time, and a
		// bulk.
		for i := range 8 {
			if i == 2 {
				lookUp(many, manyIDs)
			} else {
				lookUp([]string{owner.Email}, []string{owner.ID})
			}
		}
		// Then many more users, whom autovacuum has not analyzed yet.
		if _, err := tx.exec(`INSERT INTO users (id, email, email_key, name, created_at)
			SELECT 'usr_' || i, 'User' || i || '@Example.test', 'user' || i || '@example.test', 'User ' || i, now()
			FROM generate_series(1, 20000) AS i`); err != nil {
			return err
		}
		seqScans := func() (n int64) {
			if err := tx.queryRow(`SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = 'users'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := seqScans()
		for range 4 {
			lookUp([]string{owner.Email}, []string{owner.ID})
		}
		if scans := seqScans() - before; scans != 0 {
			t.Errorf("%d sequential scans of 20,000 users in 8 lookups of one of them by email and by id", scans)
		}
		return nil
	})
}

// TestSweepReadsWhatItDeletes: with a large account's invitations sent,
// many sessions and reset links, and the rate-limit buckets a guessing run
// from many addresses leaves, none of them old enough to go, the hourly
// sweep finds what has run out through an index on its age, rather than
// reading the whole tables every hour.
func TestSweepReadsWhatItDeletes(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	u := storetest.NewUser(t, s, "Olive Owner", "")
	for _, q := range []string{
		`INSERT INTO outbox (kind, recipient, data, status, attempts, next_attempt_at, created_at, sent_at)
			SELECT 'invitation', 'p' || i || '@example.test', '{"name": "P"}', 'sent', 1, now(), now(), now()
			FROM generate_series(1, 20000) AS i`,
		`INSERT INTO sessions (id, user_id, created_at, expires_at, last_seen_at)
			SELECT 'ses_' || i, $1, now(), now() + interval '30 days', now() FROM generate_series(1, 20000) AS i`,
		`INSERT INTO password_resets (hash, user_id, expires_at)
			SELECT 'hash-' || i, $1, now() + interval '1 hour' FROM generate_series(1, 20000) AS i`,
		`INSERT INTO attempts (key, tokens, updated_at)
			SELECT 'key-' || i, 4, now() FROM generate_series(1, 20000) AS i`,
		`ANALYZE outbox`, `ANALYZE sessions`, `ANALYZE password_resets`, `ANALYZE attempts`,
	} {
		var args []any
		if strings.Contains(q, "$1") {
			args = append(args, u.ID)
		}
		if _, err := s.pool.Exec(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	want := map[string]string{"sessions": "sessions_by_expiry", "password_resets": "password_resets_by_expiry",
		"attempts": "attempts_by_age", "outbox": "outbox_done"}
	for _, q := range sweeps {
		table := strings.Fields(q.sql)[2]
		plan := explain(t, conn, "EXPLAIN "+q.sql, q.age(time.Now()), 100)
		if w, ok := want[table]; ok && (!strings.Contains(plan, "Index Scan using "+w) && !strings.Contains(plan, "Index Only Scan using "+w) || strings.Contains(plan, "Seq Scan on "+table)) {
			t.Errorf("the sweep of %s does not read %s:\n%s", table, w, plan)
		}
	}
}

// memberListQuery returns the statement and arguments of a page of the
// member list, or "" for a search that planSearch found nothing matches,
// as memberRows would run it without a guess: what the plan tests explain.
func (t *tx) memberListQuery(account string, f roster.MemberFilter) (string, []any, error) {
	l, err := newMemberList(account, f)
	if err != nil {
		return "", nil, err
	}
	var s *search
	if l.query != "" {
		if s, _, err = t.planSearch(account, l.query, l.sort, nil, nil); err != nil {
			return "", nil, err
		}
	}
	query, args := l.statement(s)
	return query, args, nil
}
