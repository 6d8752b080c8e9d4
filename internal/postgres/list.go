package postgres

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/searchplan"
)

// order is one order of the member list: the columns of members it sorts
// by, each ending in user_id, the final tie-breaker. Every order has an
// index on (account_id, columns...).
type order struct {
	columns []string
	// key returns the cursor's values for the columns, in the same order.
	key func(c *roster.MemberCursor) []any
}

func memberOrder(sort roster.MemberSort) (order, bool) {
	switch sort {
	case roster.SortName:
		return order{[]string{"name_key", "user_id"},
			func(c *roster.MemberCursor) []any { return []any{c.Key, c.UserID} }}, true
	case roster.SortEmail:
		return order{[]string{"email_key", "user_id"},
			func(c *roster.MemberCursor) []any { return []any{c.Key, c.UserID} }}, true
	case roster.SortRole:
		return order{[]string{"role_order", "name_key", "user_id"},
			func(c *roster.MemberCursor) []any { return []any{c.Num, c.NameKey, c.UserID} }}, true
	case roster.SortStatus:
		return order{[]string{"status", "name_key", "user_id"},
			func(c *roster.MemberCursor) []any { return []any{c.Key, c.NameKey, c.UserID} }}, true
	case roster.SortLastLogin:
		return order{[]string{"last_login_at", "name_key", "user_id"},
			func(c *roster.MemberCursor) []any { return []any{loginKeyMicros(c.Num), c.NameKey, c.UserID} }}, true
	}
	return order{}, false
}

// prefixEnd is appended to a prefix to make the exclusive upper bound of the
// range of strings that start with it: U+10FFFF is the largest code point,
// so under COLLATE "C" a search is an index range and never a LIKE, in
// which % and _ would be wildcards.
const prefixEnd = "\U0010FFFF"

func (t *tx) ListMembers(account string, f roster.MemberFilter) (*roster.MemberPage, error) {
	rows, _, err := t.memberRows(account, f)
	page := &roster.MemberPage{}
	if errors.Is(err, errUnstorable) {
		return page, nil // no member has such a key
	}
	if err != nil {
		return nil, err
	}
	if rows == nil {
		return page, nil
	}
	defer rows.Close()
	// The page's members in one allocation, made with the first row. The
	// statement's LIMIT keeps them within it; a pointer taken before an
	// append that reallocated would still hold its member.
	var buf []memberRow
	var scanner *memberScanner
	for rows.Next() {
		if buf == nil {
			buf = make([]memberRow, 0, f.Limit+1)
			page.Items = make([]*roster.Member, 0, f.Limit+1)
			scanner = new(memberScanner)
		}
		buf = append(buf, memberRow{})
		r := &buf[len(buf)-1]
		if err := scanner.scan(rows, r); err != nil {
			return nil, fmt.Errorf("postgres: list members: %w", err)
		}
		page.Items = append(page.Items, &r.Member)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list members: %w", err)
	}
	rows.Close()
	if len(page.Items) > f.Limit {
		page.Items = page.Items[:f.Limit]
		page.Next = roster.NewMemberCursor(page.Items[f.Limit-1], cmp.Or(f.Sort, roster.SortName), f.Desc)
	}
	return page, nil
}

// How memberRows answered: with the rows of a plan made for the page,
// with those of the search's guess (the planning agreed), or with those of
// its kept plan, not planned again.
type answer int

const (
	answerPlanned answer = iota
	answerGuessed
	answerKept
)

func (a answer) String() string { return [...]string{"planned", "guessed", "kept"}[a] }

// memberRows runs the statement of a page of the member list and returns
// its rows, or nil for a search that matches nobody. A search whose plan is
// kept and holds is not planned (keptRows, or planSearch's gate); another
// sends its page's statement with its first planning statement when it
// can guess it (see guess.go), and a second time only when it guessed
// wrong.
func (t *tx) memberRows(account string, f roster.MemberFilter) (pgx.Rows, answer, error) {
	l, err := newMemberList(account, f)
	if err != nil {
		return nil, answerPlanned, err
	}
	if l.query == "" {
		rows, err := t.runList(l, nil)
		return rows, answerPlanned, err
	}
	key := planKey{account: account, query: l.query, byName: l.sort == roster.SortName}
	// A kept plan is run unplanned, and a plan kept, only in a Read: a
	// Write's statements each read their own snapshot, and its uncommitted
	// rows, at a list version that they may not be the rows of once it
	// commits or rolls back. There a kept plan is only a guess.
	var kept, holds *keptPlan
	if k, ok := t.store.plans.get(key); ok {
		kept = &k
		if t.snapshot {
			page, batched := l.batched(k.plan)
			if k.moved || !batched {
				// Planned unless it holds: in one round trip with its
				// page, or, for a page planned for its values on every
				// call, before it, as a search not kept is, but reading
				// nothing while the plan holds.
				holds = kept
			} else if rows, held, err := t.keptRows(l, kept, page); err != nil || held {
				return rows, answerKept, err
			}
		}
	}
	s, rows, err := t.planSearch(account, l.query, l.sort, l.guess(kept), holds)
	if err != nil {
		return nil, answerPlanned, err
	}
	how := answerGuessed
	switch {
	case s.held:
		how = answerKept
		t.store.plans.put(key, keptPlan{kept.plan, kept.version, false})
	case t.snapshot && s.version >= 0:
		moved := kept != nil && kept.version != s.version
		t.store.plans.put(key, keptPlan{s.plan(), s.version, moved})
	}
	if rows != nil {
		return rows, how, nil
	}
	if how != answerKept {
		how = answerPlanned
	}
	rows, err = t.runList(l, s)
	return rows, how, err
}

// keptRows runs page, the statement of l's page as its search's kept plan
// has it (l.batched), in one batch with a read of the account's list
// version, and returns its rows (nil for a plan that matches nobody) if
// the list version is still kept's: the plan holds. Otherwise it returns
// holds false, and the search must be planned.
func (t *tx) keptRows(l *memberList, kept *keptPlan, page statement) (rows pgx.Rows, holds bool, err error) {
	version := statement{`SELECT list_version FROM account_versions WHERE account_id = $1`, []any{l.account}}
	stmts := []statement{version}
	if page.query != "" {
		stmts = append(stmts, page)
	}
	br := t.send(stmts...)
	v := int64(-1) // no version: the account is gone
	if err := br.QueryRow().Scan(&v); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		br.Close()
		return nil, false, fmt.Errorf("postgres: list members (kept plan): %w", err)
	}
	if v != kept.version || page.query == "" {
		// No page to read: the plan matches nobody, or it no longer
		// holds and its page's rows were read for nothing.
		if err := br.Close(); err != nil {
			return nil, false, fmt.Errorf("postgres: list members (kept plan): %w", err)
		}
		return nil, v == kept.version, nil
	}
	rows, err = br.Query()
	if err != nil {
		br.Close()
		return nil, false, fmt.Errorf("postgres: list members (kept plan): %w", err)
	}
	return batchRows{rows, br}, true, nil
}

// runList runs l's statement for s (nil without a search).
func (t *tx) runList(l *memberList, s *search) (pgx.Rows, error) {
	query, args := l.statement(s)
	if query == "" {
		return nil, nil
	}
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list members: %w", err)
	}
	return rows, nil
}

// guess returns the statement of l's page for a search planned as the
// search's kept plan, if it has one (whose list version moved, or may
// have: planSearch's holds), else as firstGuess guesses. It returns nil
// when there is no guess, or no statement to send in a batch (batched).
func (l *memberList) guess(kept *keptPlan) *guess {
	var p searchplan.Plan
	ok := kept != nil
	if ok {
		p = kept.plan
	} else if l.sort == roster.SortName {
		p, ok = firstGuess(roster.SearchWords(l.query), l.f.Role != "" || l.f.Status != "")
	}
	if !ok {
		return nil
	}
	page, ok := l.batched(p)
	if !ok || page.query == "" {
		return nil
	}
	return &guess{p, page}
}

// batched returns the statement of l's page for a search planned as p
// (with no query for a plan that matches nobody), and whether it can go in
// a batch: it cannot when it names its QueryExecMode, to be planned for its
// values on every call, or holds text no row can (which ListMembers
// answers with an empty page, not a failed batch).
func (l *memberList) batched(p searchplan.Plan) (statement, bool) {
	s := &search{query: l.query, words: roster.SearchWords(l.query)}
	s.planned(p)
	query, args := l.statement(s)
	if query == "" {
		return statement{}, true
	}
	if _, ok := args[0].(pgx.QueryExecMode); ok || checkArgs(args) != nil {
		return statement{}, false
	}
	return statement{query, args}, true
}

// memberList is a valid request for a page of the member list.
type memberList struct {
	account string
	f       roster.MemberFilter
	sort    roster.MemberSort
	ord     order
	query   string // the search, trimmed and lowercase
}

// newMemberList checks f. It returns errUnstorable when a filter value is
// text no member can have.
func newMemberList(account string, f roster.MemberFilter) (*memberList, error) {
	if f.Limit < 1 || f.Limit > roster.MaxPageSize {
		return nil, roster.Invalid("limit", "The page size must be between 1 and %d.", roster.MaxPageSize)
	}
	sort := cmp.Or(f.Sort, roster.SortName)
	ord, ok := memberOrder(sort)
	if !ok {
		return nil, roster.Invalid("sort", "Unknown sort order %q.", string(f.Sort))
	}
	badCursor := roster.Invalid("cursor", "The cursor is not valid for this list; start again from the first page.")
	if f.After != nil && (f.After.Sort != sort || f.After.Desc != f.Desc) {
		return nil, badCursor
	}
	if err := checkArgs([]any{account, f.Role, string(f.Status)}); err != nil {
		return nil, err
	}
	// The cursor came from a client: text in it that no row can hold means
	// it was not issued by this store.
	if f.After != nil && checkArgs(ord.key(f.After)) != nil {
		return nil, badCursor
	}
	return &memberList{account: account, f: f, sort: sort, ord: ord, query: strings.ToLower(strings.TrimSpace(f.Query))}, nil
}

// statement returns the statement and arguments of the page for search s
// (nil without a search), or "" when s matches nobody. It builds the
// statement from fixed fragments chosen by the filter's shape and by s;
// every value a client gave is a bound parameter.
func (l *memberList) statement(s *search) (string, []any) {
	b := &listStatement{f: l.f, ord: l.ord}
	b.acct = b.arg(l.account)
	if s == nil {
		return b.page(""), b.args
	}
	// Statements run as cached prepared statements, which PostgreSQL plans
	// for their values five times, then may keep a generic plan. That is
	// right for a page without a search, for merged runs and for the few
	// matches of an email that no name matches: each has one good plan,
	// index ranges in the order of the page or the email's range sorted,
	// whatever the values (the email's range because it is read on its
	// own, see emailMatches). The best plans of the other shapes depend on
	// how many members match, by orders of magnitude: they are planned on
	// every call.
	var q string
	switch {
	case (s.shape == mergeRuns || s.shape == sortMatches) && s.driver < 0:
		return b.sorted(s), b.args
	case s.shape == mergeRuns: // a name matches, so there are runs
		return b.merged(s), b.args
	case s.shape == sortMatches:
		q = b.sorted(s)
	case s.shape == walkOrder:
		q = b.walked(s)
	default:
		return "", nil
	}
	return q, append([]any{pgx.QueryExecModeExec}, b.args...)
}

// The shapes of a search and the caps of its planning (see package
// searchplan, which decides them for both stores).
type searchShape = searchplan.Shape

const (
	noMatches   = searchplan.NoMatches
	mergeRuns   = searchplan.MergeRuns
	sortMatches = searchplan.SortMatches
	walkOrder   = searchplan.WalkOrder
	maxRuns     = searchplan.MaxRuns
	maxSorted   = searchplan.MaxSorted
)

// search is a member search and what planSearch learnt of its matches.
type search struct {
	query string   // trimmed and lowercase: an email prefix
	words []string // roster.SearchWords(query): each must start a word of the name
	shape searchShape
	// driver is the index in words of the word whose matches mergeRuns
	// and sortMatches read; -1 when no name matches every word.
	driver int
	runs   []string // mergeRuns: the name words that words[driver] starts
	emails bool     // some email starts with query
	// paired is whether mergeRuns reads the names whose first word the
	// driver starts from member_words_by_lead: for each of leads, its
	// names with a word that words[partner] starts (searchplan.ByLeads).
	paired  bool
	partner int
	leads   []string
	// version is the account's list version that the plan was made at
	// (-1: none read).
	version int64
	// held is whether the search was not planned: its kept plan held.
	held bool
}

// leadPage reports whether a mergeRuns search is a page of the range of
// first words alone (searchplan.LeadPage).
func (s *search) leadPage(f roster.MemberFilter) bool {
	return searchplan.LeadPage(s.runs, len(s.words), s.emails, f.Role != "" || f.Status != "")
}

// plan returns what planning decided of s.
func (s *search) plan() searchplan.Plan {
	return searchplan.Plan{Shape: s.shape, Driver: s.driver, Runs: s.runs, Emails: s.emails,
		Paired: s.paired, Partner: s.partner, Leads: s.leads}
}

// planned sets what planning decided of s.
func (s *search) planned(p searchplan.Plan) {
	s.shape, s.driver, s.runs, s.emails = p.Shape, p.Driver, p.Runs, p.Emails
	s.paired, s.partner, s.leads = p.Paired, p.Partner, p.Leads
}

// planSearch chooses the shape of a search for a trimmed, lowercase query.
// With g, g's statement goes in one batch with the first planning
// statement; when the search is planned as g guessed, planSearch returns
// g's rows as well, which the caller must close. With holds, a kept plan,
// the first planning statement reads its rows only when the account's
// list version moved since the plan was made: otherwise the plan holds,
// and is the search's (s.held) without planning.
func (t *tx) planSearch(account, query string, sort roster.MemberSort, g *guess, holds *keptPlan) (*search, pgx.Rows, error) {
	s := &search{query: query, words: roster.SearchWords(query), driver: -1, version: -1}
	if len(s.words) == 0 && !storable(query) {
		// Neither a name (it has no words) nor an email (it is text no
		// email holds) can match.
		return s, nil, nil
	}
	pl := &planner{t: t, guess: g, version: -1, kept: -1}
	if holds != nil {
		pl.kept = holds.version
	}
	defer pl.drop() // after an error, which is the one to report
	p, err := searchplan.Decide(s.words, sort == roster.SortName,
		func() (*searchplan.Runs, error) { return pl.searchRuns(account, s) },
		func() ([]int, int, error) { return pl.searchCounts(account, s) })
	if errors.Is(err, errPlanHolds) {
		p, err, s.held = holds.plan, nil, true
	}
	if err != nil {
		return nil, nil, err
	}
	s.planned(p)
	s.version = pl.version
	rows, err := pl.guessed(p)
	return s, rows, err
}

// errPlanHolds stops the planning of a search whose kept plan holds: the
// first planning statement found the list version it was kept at.
var errPlanHolds = errors.New("postgres: the kept plan holds")

// guess is the statement of a page, built for the plan that its search is
// guessed to have (memberRows).
type guess struct {
	plan searchplan.Plan
	statement
}

// planner runs the planning statements of a search, the first in one
// batch with its guess's statement, if it has a guess.
type planner struct {
	t     *tx
	guess *guess
	// version is the account's list version, which the planning
	// statements read with the rest (-1 until then).
	version int64
	// kept is the list version of the search's kept plan (-1: none), at
	// which the first planning statement reads nothing else.
	kept  int64
	asked bool // a planning statement was run
	sent  bool
	// pending is the batch of the first planning statement and the
	// guess's statement, until the guess's rows are taken or dropped.
	pending pgx.BatchResults
}

// gate returns the list version at which the next planning statement
// reads nothing but the version: the kept plan's, for the first (-1: it
// reads everything).
func (pl *planner) gate() int64 {
	if pl.asked {
		return -1
	}
	return pl.kept
}

// scan runs a planning statement, whose rows are a slot (a word's index,
// or -1 for the email), a word and a number, and the list version in
// versionSlot. It returns errPlanHolds when the statement was gated at
// the version it read (gate).
func (pl *planner) scan(query string, args []any, gate int64, row func(slot int, word string, n int)) error {
	rows, err := pl.rows(query, args)
	if err != nil {
		return fmt.Errorf("postgres: plan search: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var slot int
		var word *string
		var n int64
		if err := rows.Scan(&slot, &word, &n); err != nil {
			return fmt.Errorf("postgres: plan search: %w", err)
		}
		if slot == versionSlot {
			pl.version = n
			continue
		}
		if word == nil {
			word = new(string)
		}
		row(slot, *word, int(n))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: plan search: %w", err)
	}
	if gate >= 0 && pl.version == gate {
		return errPlanHolds
	}
	return nil
}

// rows runs a planning statement: the first with the guess's, the next
// after dropping the guess's rows, since a search planned by more than one
// statement is not planned as it was guessed.
func (pl *planner) rows(query string, args []any) (pgx.Rows, error) {
	if err := pl.drop(); err != nil {
		return nil, err
	}
	pl.asked = true
	if pl.guess == nil || pl.sent {
		return pl.t.query(query, args...)
	}
	pl.sent = true
	if err := checkArgs(args); err != nil {
		return nil, err
	}
	if checkArgs(pl.guess.args) != nil {
		// Text no row can hold: not a page to answer with nothing, as
		// errUnstorable would, but a guess not to send.
		return pl.t.query(query, args...)
	}
	pl.pending = pl.t.send(statement{query, args}, pl.guess.statement)
	return pl.pending.Query()
}

// guessed returns the guess's rows when the search was planned as p, as
// guessed, and drops them otherwise.
func (pl *planner) guessed(p searchplan.Plan) (pgx.Rows, error) {
	if pl.pending == nil || !p.Equal(pl.guess.plan) {
		return nil, pl.drop()
	}
	br := pl.pending
	pl.pending = nil
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, fmt.Errorf("postgres: list members (guessed): %w", err)
	}
	return batchRows{rows, br}, nil
}

// drop reads the guess's rows, if they are pending, and drops them. The
// guess's statement ran in the search's transaction: when it failed on
// the server, guessed right or not, the transaction is aborted and the
// search fails with its error, as it would had its own statement failed.
func (pl *planner) drop() error {
	if pl.pending == nil {
		return nil
	}
	err := pl.pending.Close()
	pl.pending = nil
	if err != nil {
		return fmt.Errorf("postgres: list members (guessed): %w", err)
	}
	return nil
}

// searchRuns returns, for each word of the query, the distinct name words
// of member_words it starts, up to maxRuns+1 of them (each found by one
// index seek past the one before), and "" as well when it starts the name
// key of some member (the first words of names, which member_words does
// not hold: roster.IndexedWords); the number of emails that start with
// the query, up to maxSorted; and for a query of 2 to
// searchplan.MaxPairWords words, the leads of each word and how many words
// of their names each other word starts (searchplan.Leads).
func (pl *planner) searchRuns(account string, s *search) (*searchplan.Runs, error) {
	gate := pl.gate()
	query, args := runsQuery(account, s, gate)
	runs := searchplan.NewRuns(len(s.words))
	return runs, pl.scan(query, args, gate, runs.Row)
}

// versionSlot is the slot of the row of a planning statement that holds
// the account's list version.
const versionSlot = -2

// planStatement returns a planning statement of v's shape: its common
// table expressions (with, "" for none), then its rows (arms, UNION ALL),
// then the account's list version in versionSlot, read in the statement's
// snapshot. Gated, the arms are read only when the account's list version
// is not the gate's value (a list version): a search whose kept plan holds
// then costs its planning no more than a look at the version, its page's
// statement sent with it.
func planStatement(v planShape, with, arms string) string {
	version := ` UNION ALL SELECT ` + strconv.Itoa(versionSlot) + `, NULL, list_version FROM account_versions WHERE account_id = ` + v.acct()
	if !v.gated {
		return with + arms + version
	}
	return with + `SELECT * FROM (` + arms + `) p WHERE (SELECT list_version FROM account_versions WHERE account_id = ` + v.acct() +
		`) IS DISTINCT FROM ` + v.gate() + version
}

// runsQuery returns searchRuns' statement, gated at gate unless it is -1
// (see planStatement).
func runsQuery(account string, s *search, gate int64) (string, []any) {
	v := planShapeOf(s, searchplan.LayoutOf(s.words), gate)
	return planTexts.Text(v, v.Words, buildRunsQuery), v.args(account, s, gate)
}

// buildRunsQuery returns the text of runsQuery's statement of v's shape.
func buildRunsQuery(v planShape) string {
	acct, k := v.acct(), v.Words
	var with, q strings.Builder // the common table expressions, the rows
	if k > 0 {
		with.WriteString(`WITH RECURSIVE `)
	}
	for i := range k {
		r := fmt.Sprintf("r%d", i)
		if i > 0 {
			with.WriteString(`, `)
		}
		lo, hi := v.word(i)
		with.WriteString(r + ` (word) AS (
			SELECT (SELECT word FROM member_words WHERE account_id = ` + acct + ` AND word >= ` + lo + ` AND word < ` + hi + ` ORDER BY word LIMIT 1)
			UNION ALL
			SELECT (SELECT word FROM member_words WHERE account_id = ` + acct + ` AND word > ` + r + `.word AND word < ` + hi + ` ORDER BY word LIMIT 1)
			FROM ` + r + ` WHERE ` + r + `.word IS NOT NULL)`)
	}
	pairs := searchplan.ReadsLeads(k)
	if pairs {
		// The leads of each word, each found by one seek past the one
		// before, as the runs are.
		lead := leadOf("")
		for i := range k {
			l := fmt.Sprintf("l%d", i)
			lo, hi := v.word(i)
			with.WriteString(`, ` + l + ` (lead) AS (
			SELECT (SELECT ` + lead + ` FROM member_words WHERE account_id = ` + acct + ` AND ` + lead + ` >= ` + lo + ` AND ` + lead + ` < ` + hi + ` ORDER BY 1 LIMIT 1)
			UNION ALL
			SELECT (SELECT ` + lead + ` FROM member_words WHERE account_id = ` + acct + ` AND ` + lead + ` > ` + l + `.lead AND ` + lead + ` < ` + hi + ` ORDER BY 1 LIMIT 1)
			FROM ` + l + ` WHERE ` + l + `.lead IS NOT NULL)`)
		}
	}
	// The recursion goes only as far as the LIMIT reads: for one word up
	// to maxRuns+1, for the others one more than that word's
	// (searchplan.FullRuns); for the leads, up to maxRuns+1.
	runs := strconv.Itoa(maxRuns + 1)
	for i := range k {
		limit := runs
		if i != v.Full {
			limit = fmt.Sprintf(`least(%s, 1 + (SELECT count(*) FROM (SELECT FROM r%d WHERE word IS NOT NULL LIMIT %[1]s) c))`, limit, v.Full)
		}
		fmt.Fprintf(&q, ` (SELECT %d, word, 0 FROM r%d WHERE word IS NOT NULL LIMIT %s) UNION ALL`, searchplan.RunSlot(k, i), i, limit)
		fmt.Fprintf(&q, ` (SELECT %d, '', 0 FROM (%s LIMIT 1) l) UNION ALL`, searchplan.RunSlot(k, i), leadRange(v, i))
	}
	if pairs {
		for i := range k {
			fmt.Fprintf(&q, ` (SELECT %d, lead, 0 FROM l%d WHERE lead IS NOT NULL LIMIT %s) UNION ALL`, searchplan.LeadSlot(k, i), i, runs)
			for j := range k {
				if !v.Pairs(i, j) {
					continue
				}
				// Each lead's range on its own (LATERAL), not the
				// partner's every word hashed against the leads.
				lo, hi := v.word(j)
				fmt.Fprintf(&q, ` SELECT %[1]d, NULL, (SELECT count(*) FROM (SELECT FROM (SELECT lead FROM l%[2]d WHERE lead IS NOT NULL LIMIT %[3]s) l
					CROSS JOIN LATERAL (SELECT FROM member_words p WHERE p.account_id = %[4]s AND %[5]s = l.lead AND p.word >= %[6]s AND p.word < %[7]s LIMIT %[8]d) p LIMIT %[8]d) c) UNION ALL`,
					searchplan.PairSlot(k, i, j), i, runs, acct, leadOf("p"), lo, hi, maxSorted)
			}
		}
	}
	q.WriteString(` SELECT -1, NULL, ` + emailCount(v))
	return planStatement(v, with.String(), q.String())
}

// leadOf returns the lead of the name of alias's row of member_words: its
// name key up to the first space, the expression member_words_by_lead
// indexes. A query word, which has no space, begins a name key exactly
// when it begins the key's lead.
func leadOf(alias string) string {
	if alias != "" {
		alias += "."
	}
	return `split_part(` + alias + `name_key, ' ', 1)`
}

// leadRange returns a statement of the members whose name key begins with
// word i: the word starts the name's first word, which member_words does
// not hold (roster.IndexedWords). It is ordered by the index it reads, as
// emailCount's is.
func leadRange(v planShape, i int) string {
	lo, hi := v.word(i)
	return `SELECT FROM members WHERE account_id = ` + v.acct() + ` AND name_key >= ` + lo +
		` AND name_key < ` + hi + ` ORDER BY name_key`
}

// planShape is the shape of a search's planning statement: what its text
// depends on, which is not its values. Each value has a number fixed by
// the shape: $1 the account, $2i+2 and $2i+3 the range of the query's
// word i, then the range of the emails that start with the query, when it
// is storable, then the gate. So every search of a shape has one text,
// made once (planTexts).
//
// Each value is bound as a subquery, (SELECT $n::text), which PostgreSQL
// reads before the statement runs but does not look into when it plans.
// PostgreSQL plans a prepared statement for its values five times, then
// keeps a generic plan only if that looks no costlier than those; with the
// values in view it never does (it expects fewer emails for a name than
// for an unknown prefix), and planning took twice as long as running.
// Unseen, they make every plan the same, the one right for any value:
// index seeks.
type planShape struct {
	counts bool // searchCounts' statement, else searchRuns'
	emails bool // the query is storable: some email could start with it
	gated  bool
	// Layout is the search's runs statement's; of searchCounts', its
	// number of words alone.
	searchplan.Layout
}

// planShapeOf returns the shape of s's planning statement of layout l,
// gated at gate unless it is -1.
func planShapeOf(s *search, l searchplan.Layout, gate int64) planShape {
	return planShape{emails: storable(s.query), gated: gate >= 0, Layout: l}
}

// hidden returns value $n of type typ as a subquery, which PostgreSQL
// reads before the statement runs but does not look into when it plans.
func hidden(n int, typ string) string { return `(SELECT ` + param(n) + `::` + typ + `)` }

// param returns placeholder n.
func param(n int) string { return "$" + strconv.Itoa(n) }

// acct returns the account.
func (v planShape) acct() string { return hidden(1, "text") }

// word returns the bounds of the range of word i.
func (v planShape) word(i int) (lo, hi string) { return hidden(2+2*i, "text"), hidden(3+2*i, "text") }

// email returns the bounds of the range of the emails that start with
// the query; only for a storable one.
func (v planShape) email() (lo, hi string) {
	return hidden(2+2*v.Words, "text"), hidden(3+2*v.Words, "text")
}

// gate returns the list version at which a gated statement reads nothing
// but the version.
func (v planShape) gate() string {
	n := 2 + 2*v.Words
	if v.emails {
		n += 2
	}
	return hidden(n, "bigint")
}

// args returns the values of s's planning statement of v's shape, in the
// order of their numbers.
func (v planShape) args(account string, s *search, gate int64) []any {
	args := make([]any, 0, 4+2*len(s.words))
	args = append(args, account)
	for _, w := range s.words {
		args = append(args, w, w+prefixEnd)
	}
	if v.emails {
		args = append(args, s.query, s.query+prefixEnd)
	}
	if v.gated {
		args = append(args, gate)
	}
	return args
}

// planTexts holds the planning statements' texts.
var planTexts searchplan.Texts[planShape]

// emailCount returns the expression of the number of emails that start
// with the query, up to maxSorted. Emails are storable text, so a query
// that is not matches none by its email (its words, split at every
// non-letter, always are).
//
// The counts are ordered by the index they count in, which changes
// nothing but their plan: when most rows match, PostgreSQL would otherwise
// scan the table until it has found enough, which it may not soon, if the
// account's rows are not the first in it.
func emailCount(v planShape) string {
	if !v.emails {
		return `0`
	}
	lo, hi := v.email()
	return `(SELECT count(*) FROM (SELECT FROM members WHERE account_id = ` + v.acct() +
		` AND email_key >= ` + lo + ` AND email_key < ` + hi +
		` ORDER BY email_key LIMIT ` + strconv.Itoa(maxSorted) + `) e)`
}

// searchCounts returns, for each word of the query, the number of words of
// names it starts (of member_words, and of the names' first words, each up
// to maxSorted), and the number of emails that start with the query, up to
// maxSorted.
func (pl *planner) searchCounts(account string, s *search) ([]int, int, error) {
	gate := pl.gate()
	query, args := countsQuery(account, s, gate)
	counts := make([]int, len(s.words))
	emails := 0
	err := pl.scan(query, args, gate, func(slot int, _ string, n int) {
		if slot < 0 {
			emails = n
		} else {
			counts[slot] += n
		}
	})
	return counts, emails, err
}

// countsQuery returns searchCounts' statement, gated at gate unless it is
// -1 (see planStatement).
func countsQuery(account string, s *search, gate int64) (string, []any) {
	v := planShapeOf(s, searchplan.Layout{Words: len(s.words)}, gate)
	v.counts = true
	return planTexts.Text(v, v.Words, buildCountsQuery), v.args(account, s, gate)
}

// buildCountsQuery returns the text of countsQuery's statement of v's
// shape.
func buildCountsQuery(v planShape) string {
	var q strings.Builder
	for i := range v.Words {
		lo, hi := v.word(i)
		fmt.Fprintf(&q, `SELECT %d, NULL, (SELECT count(*) FROM (SELECT FROM member_words WHERE account_id = %s AND word >= %s AND word < %s ORDER BY word LIMIT %d) w) UNION ALL `,
			i, v.acct(), lo, hi, maxSorted)
		fmt.Fprintf(&q, `SELECT %d, NULL, (SELECT count(*) FROM (%s LIMIT %d) l) UNION ALL `, i, leadRange(v, i), maxSorted)
	}
	q.WriteString(`SELECT -1, NULL, ` + emailCount(v))
	return planStatement(v, "", q.String())
}

// listStatement builds the statement of one page. Its methods return
// fragments of SQL, binding their values as they go: a placeholder's number
// need not follow the order of the text.
type listStatement struct {
	f    roster.MemberFilter
	ord  order
	acct string // the account's placeholder
	args []any
}

// arg binds v and returns its placeholder.
func (b *listStatement) arg(v any) string {
	b.args = append(b.args, v)
	return param(len(b.args))
}

// hidden binds the text v and returns it hidden from the planner, as
// planShape binds the planning statements' values (the package's hidden).
func (b *listStatement) hidden(v any) string {
	b.arg(v)
	return hidden(len(b.args), "text")
}

// columns returns the columns of the page's order, qualified by alias, each
// followed by suffix.
func (b *listStatement) columns(alias, suffix string) string {
	out := make([]string, len(b.ord.columns))
	for i, c := range b.ord.columns {
		out[i] = alias + "." + c + suffix
	}
	return strings.Join(out, ", ")
}

// after returns the condition that a row of alias comes after the cursor.
func (b *listStatement) after(alias string) string {
	if b.f.After == nil {
		return ""
	}
	op := ">"
	if b.f.Desc {
		op = "<"
	}
	key := b.ord.key(b.f.After)
	marks := make([]string, len(key))
	for i, v := range key {
		marks[i] = b.arg(v)
	}
	return ` AND (` + b.columns(alias, "") + `) ` + op + ` (` + strings.Join(marks, ", ") + `)`
}

// orderBy returns the page's ORDER BY on alias and its LIMIT, one more
// than the page to know whether there is a next.
func (b *listStatement) orderBy(alias string) string {
	dir := ""
	if b.f.Desc {
		dir = " DESC"
	}
	// Written into the text rather than bound, so that a generic plan
	// knows how few rows it reads; it is no client's text, but a number
	// from 2 to roster.MaxPageSize+1.
	return ` ORDER BY ` + b.columns(alias, dir) + ` LIMIT ` + strconv.Itoa(b.f.Limit+1)
}

// filters returns the role and status filters on alias, a row of members.
func (b *listStatement) filters(alias string) string {
	var q string
	if b.f.Role != "" {
		q += ` AND ` + alias + `.role_order = ` + b.arg(b.f.RoleOrder)
	}
	if b.f.Status != "" {
		q += ` AND ` + alias + `.status = ` + b.arg(string(b.f.Status))
	}
	return q
}

// filtersOf returns the role and status filters on the member of alias, a
// row of member_words: a scalar subquery, as in hasWords.
func (b *listStatement) filtersOf(alias string) string {
	if b.f.Role == "" && b.f.Status == "" {
		return ""
	}
	return ` AND (SELECT true FROM members f WHERE f.account_id = ` + alias + `.account_id AND f.user_id = ` + alias + `.user_id` + b.filters("f") + `)`
}

// page returns the statement of a page of members in the order's index,
// from the cursor, with cond, a condition on m.
func (b *listStatement) page(cond string) string {
	return `SELECT ` + memberColumns + memberFrom + ` WHERE m.account_id = ` + b.acct +
		b.filters("m") + cond + b.after("m") + b.orderBy("m")
}

// hasWords returns the test that every word of the query but those of
// skip (indexes in words) starts a word of the name of alias's row, which
// has account_id, user_id and name_key: the name key begins with it (the
// first word), or, when the key holds it at all, a word of member_words
// does.
//
// The index probe is a scalar subquery, (SELECT true ... LIMIT 1), rather
// than an EXISTS: PostgreSQL runs it for each candidate that strpos lets
// through, in the order the candidates are read, and stops with the page.
// An EXISTS it may turn into a join with, or a hash of, every member who
// has the word, read in full before the first row is known.
func (b *listStatement) hasWords(s *search, alias string, skip ...int) string {
	var q strings.Builder
	for i, w := range s.words {
		if !slices.Contains(skip, i) {
			lo, hi := b.arg(w), b.arg(w+prefixEnd)
			q.WriteString(` AND (` + alias + `.name_key >= ` + lo + ` AND ` + alias + `.name_key < ` + hi +
				` OR strpos(` + alias + `.name_key, ` + lo + `) > 0 AND (SELECT true FROM member_words x
				WHERE x.account_id = ` + alias + `.account_id AND x.user_id = ` + alias + `.user_id AND x.word >= ` + lo + ` AND x.word < ` + hi + ` LIMIT 1))`)
		}
	}
	return q.String()
}

// leadRun returns the condition, on alias, a row of members, that its name
// key begins with the driver, and that the name has the query's other
// words: the members whose first word the driver starts, a range of the
// name order's index. With after, the range begins after the cursor: each
// of its bounds is the tighter of the prefix's and the cursor's, so that
// the index is read from the right place whichever the planner takes.
//
// With hide, its values are hidden from the planner, as planShape hides
// them: see merged.
func (b *listStatement) leadRun(s *search, alias string, after, hide bool) string {
	w := s.words[s.driver]
	key, c := alias+`.name_key`, b.f.After
	bind := b.arg
	if hide {
		bind = b.hidden
	}
	cursor := func(op string) string {
		return `(` + key + `, ` + alias + `.user_id) ` + op + ` (` + bind(c.Key) + `, ` + bind(c.UserID) + `)`
	}
	// A bound is the cursor's where the cursor is inside the range, or the
	// whole range is on its far side. A value is bound only where the text
	// uses it, or PostgreSQL could not tell its type.
	var lo, hi string
	if after && c != nil && !b.f.Desc && c.Key >= w {
		lo = cursor(`>`)
	} else {
		lo = key + ` >= ` + bind(w)
	}
	if after && c != nil && b.f.Desc && c.Key < w+prefixEnd {
		hi = cursor(`<`)
	} else {
		hi = key + ` < ` + bind(w+prefixEnd)
	}
	return ` AND ` + lo + ` AND ` + hi + b.hasWords(s, alias, s.driver)
}

// emailRange returns the condition that alias's email starts with the
// query.
func (b *listStatement) emailRange(alias string, s *search) string {
	return alias + `.email_key >= ` + b.arg(s.query) + ` AND ` + alias + `.email_key < ` + b.arg(s.query+prefixEnd)
}

// merged returns the statement of a mergeRuns search: the page is the first
// members of a UNION of a name-ordered range for each run (of member_words
// for a word, of members' name order for "", the names whose first word
// the driver starts) and of the sorted email matches, each at most a page
// long. When the first words are the only run of a query of one word, the
// page is their range of the name order's index (searchplan.LeadPage).
//
// The page's members are joined to its hits, in their order: PostgreSQL
// then looks each up and keeps the hits' order. Written as a test that a
// member is among the hits, it also made the hits unique again (they are)
// and sorted the members after.
//
// That page's range and cursor are hidden from the planner. Seeing them,
// PostgreSQL planned the statement for its values on every call, each plan
// the same index range in order, which took as long as the rest of the
// search; not seeing them, it keeps that plan as the generic one.
func (b *listStatement) merged(s *search) string {
	if s.leadPage(b.f) {
		return `SELECT ` + memberColumns + memberFrom + ` WHERE m.account_id = ` + b.acct +
			b.leadRun(s, "m", true, true) + b.orderBy("m")
	}
	var arms []string
	for _, run := range s.runs {
		switch {
		case run == "" && s.paired:
			// For each lead, its names with a word the partner starts:
			// a range of member_words_by_lead, sorted. The account, the
			// lead and the range are hidden from the planner, which
			// otherwise, for more than one lead, planned the statement on
			// every call. The range is read up to maxSorted entries: all
			// of them when the search was planned so (searchplan.ByLeads
			// pairs words of which the leads hold fewer in all, so fewer
			// in each), and no more when a guessed plan was wrong
			// (firstGuess). The bound comes before the tests and the
			// filters, so that it bounds their probes too.
			partner := s.words[s.partner]
			for _, lead := range s.leads {
				arms = append(arms, `(SELECT DISTINCT p.name_key, p.user_id FROM (SELECT r.account_id, r.name_key, r.user_id FROM member_words r`+
					` WHERE r.account_id = (SELECT `+b.acct+`::text) AND `+leadOf("r")+` = `+b.hidden(lead)+
					` AND r.word >= `+b.hidden(partner)+` AND r.word < `+b.hidden(partner+prefixEnd)+` LIMIT `+strconv.Itoa(maxSorted)+`) p WHERE true`+
					b.hasWords(s, "p", s.driver, s.partner)+b.filtersOf("p")+b.after("p")+b.orderBy("p")+`)`)
			}
		case run == "":
			arms = append(arms, `(SELECT l.name_key, l.user_id FROM members l WHERE l.account_id = `+b.acct+
				b.filters("l")+b.leadRun(s, "l", true, false)+b.orderBy("l")+`)`)
		default:
			arms = append(arms, `(SELECT w.name_key, w.user_id FROM member_words w WHERE w.account_id = `+b.acct+` AND w.word = `+b.arg(run)+
				b.hasWords(s, "w", s.driver)+b.filtersOf("w")+b.after("w")+b.orderBy("w")+`)`)
		}
	}
	if s.emails {
		arms = append(arms, `(SELECT e.name_key, e.user_id FROM `+b.emailMatches(s, false, "e")+` WHERE true`+
			b.after("e")+b.orderBy("e")+`)`)
	}
	return `SELECT ` + memberColumns + ` FROM (SELECT hits.name_key, hits.user_id FROM (` + strings.Join(arms, ` UNION `) + `) hits` + b.orderBy("hits") + `) h` +
		` JOIN members m ON m.account_id = ` + b.acct + ` AND m.name_key = h.name_key AND m.user_id = h.user_id` +
		b.orderBy("h")
}

// emailMatches returns a subquery, named alias, of the members whose email
// starts with the query, the filters' only, read from the email's range.
//
// Its LIMIT ALL, which limits nothing, keeps PostgreSQL from merging it
// into the statements of one plan (merged runs, and a search only emails
// match, below), and from moving the page's cursor into it. Either would
// let a generic plan walk the name order's index instead, testing each
// member's email: for a range of unknown values PostgreSQL expects 0.5%
// of the account's members, and from about 500,000 members it judges
// sorting the page out of those costlier than the walk, which reads most
// of the account for a prefix its few matches share (1.4 s a search at
// 1M). On its own, the subquery is planned for all its rows (the
// statement sorts them all), and its range is its only index read; the
// matches are fewer than maxSorted. (A MATERIALIZED common table
// expression fences it as well, but copies every match whole into a store
// of its own before the sort reads them: a page of an email prefix took
// 30 µs more at 100k.)
//
// With hide, the account and the range are hidden from the planner, each
// a subquery, as planShape binds them: see sorted.
func (b *listStatement) emailMatches(s *search, hide bool, alias string) string {
	var q string
	if hide {
		q = `(SELECT ` + b.acct + `::text) AND e.email_key >= ` + b.hidden(s.query) + ` AND e.email_key < ` + b.hidden(s.query+prefixEnd)
	} else {
		q = b.acct + ` AND ` + b.emailRange("e", s)
	}
	return `(SELECT * FROM members e WHERE e.account_id = ` + q + b.filters("e") + ` LIMIT ALL) ` + alias
}

// sorted returns the statement of a sortMatches search: every match, from
// the ranges of words[driver] (in member_words, and in the name order's
// index for the first words of names) and of the email, then sorted.
//
// When only emails can match, their range is read from members itself
// (emailMatches), a statement that PostgreSQL plans in a third of the time
// of the sets below, with the account and the range hidden from the
// planner.
// The statement has one plan for any values, the range sorted; but seeing
// them, PostgreSQL expects fewer matches (of the range, of an account
// among others) than for values it cannot see, judges the generic plan
// costlier and plans the statement again on every call
// (pg_prepared_statements counted 6,000 custom plans in 6,000 calls), which
// took about as long as running it.
func (b *listStatement) sorted(s *search) string {
	if s.driver < 0 {
		return `SELECT ` + memberColumns + ` FROM ` + b.emailMatches(s, true, "m") + ` WHERE true` +
			b.after("m") + b.orderBy("m")
	}
	w := s.words[s.driver]
	sets := []string{`SELECT w.user_id FROM member_words w WHERE w.account_id = ` + b.acct +
		` AND w.word >= ` + b.arg(w) + ` AND w.word < ` + b.arg(w+prefixEnd) + b.hasWords(s, "w", s.driver),
		`SELECT l.user_id FROM members l WHERE l.account_id = ` + b.acct + b.leadRun(s, "l", false, false)}
	if s.emails {
		sets = append(sets, `SELECT e.user_id FROM members e WHERE e.account_id = `+b.acct+` AND `+b.emailRange("e", s))
	}
	matches := ` AND m.user_id IN (` + strings.Join(sets, ` UNION `) + `)`
	// The cursor's condition is wrapped in a COALESCE, which changes
	// nothing (it is never NULL) but keeps PostgreSQL from reading the
	// order's index from the cursor. It judges how many rows follow a
	// cursor by the first sort key alone, so it may think that none do
	// (when every pending member follows one in the middle of the pending,
	// by status), and walk them all testing each against the matches,
	// instead of looking the few matches up and sorting them. Of the
	// COALESCE it knows nothing, and assumes half the rows.
	after := b.after("m")
	if after != "" {
		after = ` AND coalesce(` + strings.TrimPrefix(after, ` AND `) + `, false)`
	}
	return `SELECT ` + memberColumns + memberFrom + ` WHERE m.account_id = ` + b.acct + b.filters("m") +
		matches + after + b.orderBy("m")
}

// walked returns the statement of a walkOrder search: the order's index
// walked from the cursor, testing each member.
func (b *listStatement) walked(s *search) string {
	var tests []string
	if s.emails {
		tests = append(tests, b.emailRange("m", s))
	}
	if s.driver >= 0 {
		tests = append(tests, `(true`+b.hasWords(s, "m", -1)+`)`)
	}
	return b.page(` AND (` + strings.Join(tests, ` OR `) + `)`)
}
