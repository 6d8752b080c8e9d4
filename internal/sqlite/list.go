package sqlite

import (
	"cmp"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

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
			func(c *roster.MemberCursor) []any { return []any{c.Num, c.NameKey, c.UserID} }}, true
	}
	return order{}, false
}

// prefixEnd is appended to a prefix to make the exclusive upper bound of the
// range of strings that start with it: U+10FFFF is the largest code point,
// so a search is an index range and never a LIKE, in which % and _ would
// be wildcards.
const prefixEnd = ` || char(1114111)`

func (t *tx) ListMembers(account string, f roster.MemberFilter) (*roster.MemberPage, error) {
	query, args, err := t.memberListQuery(account, f)
	if err != nil {
		return nil, err
	}
	page := &roster.MemberPage{}
	if query == "" {
		return page, nil
	}
	sort := cmp.Or(f.Sort, roster.SortName)
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list members: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list members: %w", err)
		}
		page.Items = append(page.Items, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list members: %w", err)
	}
	rows.Close()
	if len(page.Items) > f.Limit {
		page.Items = page.Items[:f.Limit]
		page.Next = roster.NewMemberCursor(page.Items[f.Limit-1], sort, f.Desc)
	}
	if err := t.loadProfileRoles(account, page.Items); err != nil {
		return nil, err
	}
	return page, nil
}

// memberListQuery returns the statement and arguments of a page of the
// member list, or "" for a search that planSearch found nothing matches.
// It builds the statement from fixed fragments chosen by the filter's shape
// and, for a search, by planSearch; every value a client gave is a bound
// parameter.
func (t *tx) memberListQuery(account string, f roster.MemberFilter) (string, []any, error) {
	if f.Limit < 1 || f.Limit > roster.MaxPageSize {
		return "", nil, roster.Invalid("limit", "The page size must be between 1 and %d.", roster.MaxPageSize)
	}
	sort := cmp.Or(f.Sort, roster.SortName)
	ord, ok := memberOrder(sort)
	if !ok {
		return "", nil, roster.Invalid("sort", "Unknown sort order %q.", string(f.Sort))
	}
	if f.After != nil && (f.After.Sort != sort || f.After.Desc != f.Desc) {
		return "", nil, roster.Invalid("cursor", "The cursor is not valid for this list; start again from the first page.")
	}
	b := &listStatement{f: f, ord: ord, account: account}
	query := strings.ToLower(strings.TrimSpace(f.Query))
	if query == "" {
		index, err := t.filterIndex(account, f, sort)
		if err != nil {
			return "", nil, err
		}
		b.filtered(index)
		return b.q.String(), b.args, nil
	}
	s, err := t.planSearch(account, query, sort)
	if err != nil {
		return "", nil, err
	}
	switch {
	case (s.shape == mergeRuns || s.shape == sortMatches) && s.driver < 0:
		b.emailsOnly(s)
	case s.shape == mergeRuns:
		b.merged(s)
	case s.shape == sortMatches:
		b.sorted(s)
	case s.shape == walkOrder:
		b.walked(s)
	default:
		return "", nil, nil
	}
	return b.q.String(), b.args, nil
}

// placeholders returns n comma-separated question marks.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
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
}

// planSearch chooses the shape of a search for a trimmed, lowercase query.
func (t *tx) planSearch(account, query string, sort roster.MemberSort) (*search, error) {
	s := &search{query: query, words: roster.SearchWords(query), driver: -1}
	p, err := searchplan.Decide(s.words, sort == roster.SortName,
		func() (*searchplan.Runs, error) { return t.searchRuns(account, s) },
		func() ([]int, int, error) { return t.searchCounts(account, s) })
	if err != nil {
		return nil, err
	}
	s.shape, s.driver, s.runs, s.emails = p.Shape, p.Driver, p.Runs, p.Emails
	s.paired, s.partner, s.leads = p.Paired, p.Partner, p.Leads
	return s, nil
}

// searchRuns returns, for each word of the query, the distinct name words
// of member_words it starts, up to maxRuns+1 of them (each found by one
// index seek past the one before), and "" as well when it starts the name
// key of some member (the first words of names, which member_words does
// not hold: roster.IndexedWords); the number of emails that start with
// the query, up to maxSorted; and for a query of 2 to
// searchplan.MaxPairWords words, the leads of each word and how many words
// of their names each other word starts (searchplan.Leads).
func (t *tx) searchRuns(account string, s *search) (*searchplan.Runs, error) {
	query, args := runsQuery(account, s)
	runs := searchplan.NewRuns(len(s.words))
	return runs, t.scanPlan(query, args, runs.Row)
}

// runsQuery returns searchRuns' statement.
func runsQuery(account string, s *search) (string, []any) {
	l := searchplan.LayoutOf(s.words)
	// A query of no words (an email prefix) has no runs to bound.
	return planTexts.Text(planShape{Layout: l}, l.Words, buildRunsQuery), planArgs(account, s, l.Words > 0)
}

// buildRunsQuery returns the text of runsQuery's statement of a shape.
func buildRunsQuery(shape planShape) string {
	k := shape.Words
	runs := planRuns(k)
	var q strings.Builder
	if k > 0 {
		q.WriteString(`WITH RECURSIVE `)
	}
	// One word's recursion goes up to maxRuns+1 words, the others' up to
	// one more than that word's (searchplan.FullRuns), which comes first in
	// the WITH.
	var order []int
	for i := range k {
		if i == shape.Full {
			order = append([]int{i}, order...)
		} else {
			order = append(order, i)
		}
	}
	for n, i := range order {
		r := fmt.Sprintf("r%d", i)
		if n > 0 {
			q.WriteString(`, `)
		}
		limit := runs
		if i != shape.Full {
			limit = fmt.Sprintf(`min(%s, 1 + (SELECT count(*) FROM r%d WHERE word IS NOT NULL))`, runs, shape.Full)
		}
		w := planWord(i)
		q.WriteString(r + ` (word) AS (
			SELECT (SELECT word FROM member_words WHERE account_id = ` + planAcct + ` AND word >= ` + w + ` AND word < ` + w + prefixEnd + ` ORDER BY word LIMIT 1)
			UNION ALL
			SELECT (SELECT word FROM member_words WHERE account_id = ` + planAcct + ` AND word > ` + r + `.word AND word < ` + w + prefixEnd + ` ORDER BY word LIMIT 1)
			FROM ` + r + ` WHERE ` + r + `.word IS NOT NULL LIMIT ` + limit + `)`)
	}
	pairs := searchplan.ReadsLeads(k)
	if pairs {
		// The leads of each word, each found by one seek past the one
		// before, as the runs are.
		lead := leadOf("")
		for i := range k {
			l, w := fmt.Sprintf("l%d", i), planWord(i)
			q.WriteString(`, ` + l + ` (lead) AS (
			SELECT (SELECT ` + lead + ` FROM member_words INDEXED BY member_words_by_lead
				WHERE account_id = ` + planAcct + ` AND ` + lead + ` >= ` + w + ` AND ` + lead + ` < ` + w + prefixEnd + ` ORDER BY 1 LIMIT 1)
			UNION ALL
			SELECT (SELECT ` + lead + ` FROM member_words INDEXED BY member_words_by_lead
				WHERE account_id = ` + planAcct + ` AND ` + lead + ` > ` + l + `.lead AND ` + lead + ` < ` + w + prefixEnd + ` ORDER BY 1 LIMIT 1)
			FROM ` + l + ` WHERE ` + l + `.lead IS NOT NULL LIMIT ` + runs + `)`)
		}
	}
	for i := range k {
		fmt.Fprintf(&q, ` SELECT %d, word, 0 FROM r%d WHERE word IS NOT NULL UNION ALL`, searchplan.RunSlot(k, i), i)
		fmt.Fprintf(&q, ` SELECT %d, '', 0 FROM (SELECT 1 FROM members `+leadRange(planAcct, planWord(i))+` LIMIT 1) UNION ALL`, searchplan.RunSlot(k, i))
	}
	if pairs {
		for i := range k {
			fmt.Fprintf(&q, ` SELECT %d, lead, 0 FROM l%d WHERE lead IS NOT NULL UNION ALL`, searchplan.LeadSlot(k, i), i)
			for j := range k {
				if !shape.Pairs(i, j) {
					continue
				}
				fmt.Fprintf(&q, ` SELECT %[1]d, NULL, (SELECT count(*) FROM (SELECT 1 FROM l%[2]d CROSS JOIN member_words p INDEXED BY member_words_by_lead
					WHERE l%[2]d.lead IS NOT NULL AND p.account_id = %[3]s AND %[4]s = l%[2]d.lead AND p.word >= %[5]s AND p.word < %[5]s`+prefixEnd+` LIMIT %[6]s)) UNION ALL`,
					searchplan.PairSlot(k, i, j), i, planAcct, leadOf("p"), planWord(j), planSorted)
			}
		}
	}
	q.WriteString(` SELECT -1, NULL, ` + emailCount(planAcct, planQuery(k), planSorted))
	return q.String()
}

// planShape is the shape of a search's planning statement: what its text
// depends on, which is not its values. Each value has a number fixed by
// the shape, and is bound once, wherever the text uses it: the statement
// of a query of two words uses its values 42 times, and with a parameter
// for each use, SQLite ran it in 0.25 ms, against 0.03 ms numbered (or
// with either its numbers or its text written into it). So every search
// of a shape has one text, made once (planTexts), and one prepared
// statement.
type planShape struct {
	counts bool // searchCounts' statement, else searchRuns'
	// Layout is the search's runs statement's; of searchCounts', its
	// number of words alone.
	searchplan.Layout
}

// The numbers of a planning statement's values (planArgs): the account,
// maxSorted, each word of the query, the query, then (for the runs
// statement of some words alone) maxRuns+1.
const (
	planAcct   = "?1"
	planSorted = "?2"
)

func planWord(i int) string  { return "?" + strconv.Itoa(3+i) }
func planQuery(k int) string { return planWord(k) }
func planRuns(k int) string  { return planWord(k + 1) }

// planArgs returns the values of s's planning statements, in the order of
// their numbers; with runs, maxRuns+1 as well.
func planArgs(account string, s *search, runs bool) []any {
	args := make([]any, 0, 4+len(s.words))
	args = append(args, account, maxSorted)
	for _, w := range s.words {
		args = append(args, w)
	}
	args = append(args, s.query)
	if runs {
		args = append(args, maxRuns+1)
	}
	return args
}

// planTexts holds the planning statements' texts.
var planTexts searchplan.Texts[planShape]

// leadOf returns the lead of the name of alias's row of member_words: its
// name key up to the first space, the expression member_words_by_lead
// indexes. A query word, which has no space, begins a name key exactly
// when it begins the key's lead.
func leadOf(alias string) string {
	if alias != "" {
		alias += "."
	}
	return `substr(` + alias + `name_key, 1, instr(` + alias + `name_key || ' ', ' ') - 1)`
}

// leadRange returns the condition, on a row of members, that its name key
// begins with a word: the word starts the name's first word, which
// member_words does not hold (roster.IndexedWords); acct and w are the
// parameters of the account and the word.
func leadRange(acct, w string) string {
	return `INDEXED BY members_by_name WHERE account_id = ` + acct + ` AND name_key >= ` + w + ` AND name_key < ` + w + prefixEnd
}

// emailCount returns the number of emails that start with a query, up to a
// limit; its arguments are the parameters of the account, the query and
// the limit.
func emailCount(acct, query, limit string) string {
	return `(SELECT count(*) FROM (SELECT 1 FROM members WHERE account_id = ` + acct + ` AND email_key >= ` + query + ` AND email_key < ` + query + prefixEnd + ` LIMIT ` + limit + `))`
}

// searchCounts returns, for each word of the query, the number of words of
// names it starts (of member_words, and of the names' first words, each up
// to maxSorted), and the number of emails that start with the query, up to
// maxSorted.
func (t *tx) searchCounts(account string, s *search) ([]int, int, error) {
	query, args := countsQuery(account, s)
	counts := make([]int, len(s.words))
	emails := 0
	err := t.scanPlan(query, args, func(slot int, _ string, n int) {
		if slot < 0 {
			emails = n
		} else {
			counts[slot] += n
		}
	})
	return counts, emails, err
}

// countsQuery returns searchCounts' statement.
func countsQuery(account string, s *search) (string, []any) {
	k := len(s.words)
	return planTexts.Text(planShape{counts: true, Layout: searchplan.Layout{Words: k}}, k, buildCountsQuery), planArgs(account, s, false)
}

// buildCountsQuery returns the text of countsQuery's statement of a shape.
func buildCountsQuery(shape planShape) string {
	var q strings.Builder
	for i := range shape.Words {
		w := planWord(i)
		fmt.Fprintf(&q, `SELECT %[1]d, NULL, (SELECT count(*) FROM (SELECT 1 FROM member_words WHERE account_id = %[2]s AND word >= %[3]s AND word < %[3]s`+prefixEnd+` LIMIT %[4]s)) UNION ALL `, i, planAcct, w, planSorted)
		fmt.Fprintf(&q, `SELECT %d, NULL, (SELECT count(*) FROM (SELECT 1 FROM members `+leadRange(planAcct, w)+` LIMIT %s)) UNION ALL `, i, planSorted)
	}
	q.WriteString(`SELECT -1, NULL, ` + emailCount(planAcct, planQuery(shape.Words), planSorted))
	return q.String()
}

// scanPlan runs one of planSearch's statements, whose rows are a slot (a
// word's index, or -1 for the email), a word and a number.
func (t *tx) scanPlan(query string, args []any, row func(slot int, word string, n int)) error {
	rows, err := t.query(query, args...)
	if err != nil {
		return fmt.Errorf("sqlite: plan search: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var slot, n int
		var word sql.NullString
		if err := rows.Scan(&slot, &word, &n); err != nil {
			return fmt.Errorf("sqlite: plan search: %w", err)
		}
		row(slot, word.String, n)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: plan search: %w", err)
	}
	return nil
}

// listStatement builds the statement of one page.
type listStatement struct {
	f       roster.MemberFilter
	ord     order
	account string
	q       strings.Builder
	args    []any
}

func (b *listStatement) add(sql string, args ...any) {
	b.q.WriteString(sql)
	b.args = append(b.args, args...)
}

// columns returns the columns of the page's order on alias, each written
// as prefix + alias.column + suffix.
func (b *listStatement) columns(prefix, alias, suffix string) string {
	out := make([]string, len(b.ord.columns))
	for i, c := range b.ord.columns {
		out[i] = prefix + alias + "." + c + suffix
	}
	return strings.Join(out, ", ")
}

// noIndex is a prefix of columns that keeps SQLite from reading rows by an
// index on them: the unary + changes no value, but it is SQLite's
// documented way of keeping a term from using an index. The members of a
// sortMatches search have their ORDER BY and cursor written so, or SQLite
// would walk the order's index from the cursor to find them, rather than
// look each one up by its primary key and sort them.
const noIndex = "+"

// after adds the condition that a row of alias comes after the cursor;
// prefix is "" or noIndex.
func (b *listStatement) after(prefix, alias string) {
	if b.f.After == nil {
		return
	}
	op := ">"
	if b.f.Desc {
		op = "<"
	}
	key := b.ord.key(b.f.After)
	b.add(` AND (`+b.columns(prefix, alias, "")+`) `+op+` (`+placeholders(len(key))+`)`, key...)
}

// orderBy adds the page's ORDER BY on alias and its LIMIT, one more than
// the page to know whether there is a next; prefix is "" or noIndex.
func (b *listStatement) orderBy(prefix, alias string) {
	dir := ""
	if b.f.Desc {
		dir = " DESC"
	}
	b.add(` ORDER BY `+b.columns(prefix, alias, dir)+` LIMIT ?`, b.f.Limit+1)
}

// filters adds the role and status filters on alias, a row of members: a
// role by its order, which members_by_role ranges over.
func (b *listStatement) filters(alias string) {
	if b.f.Role != "" {
		b.add(` AND `+alias+`.role_order = ?`, b.f.RoleOrder)
	}
	if b.f.Status != "" {
		b.add(` AND `+alias+`.status = ?`, string(b.f.Status))
	}
}

// filtersOf adds the role and status filters on the member of alias, a
// row of member_words.
func (b *listStatement) filtersOf(alias string) {
	if b.f.Role != "" || b.f.Status != "" {
		b.add(` AND EXISTS (SELECT 1 FROM members f WHERE f.account_id = ` + alias + `.account_id AND f.user_id = ` + alias + `.user_id`)
		b.filters("f")
		b.add(`)`)
	}
}

// page adds the whole statement of a page of members read in the order's
// index from the cursor; cond, if not nil, adds a condition on m.
func (b *listStatement) page(cond func()) {
	b.add(`SELECT `+memberColumns+memberFrom+` WHERE m.account_id = ?`, b.account)
	b.filters("m")
	if cond != nil {
		cond()
	}
	b.after("", "m")
	b.orderBy("", "m")
}

// filterIndex returns the index of a role or status filter to read a page
// from and sort, or "" to walk the order's index from the cursor, testing
// the filters on each member. Walking finds a page soon when many members
// pass, and reads the whole account when few do ("disabled, by email": the
// few disabled members of 100,000 were a walk of all of them): when no
// index serves both the filter and the order, the filter whose members are
// fewest is read and sorted if they are at most maxSorted, counted up to
// that by one index range each.
func (t *tx) filterIndex(account string, f roster.MemberFilter, sort roster.MemberSort) (string, error) {
	byName := sort == roster.SortName
	switch {
	case f.Role == "" && f.Status == "":
		return "", nil
	case f.Status == "" && (byName || sort == roster.SortRole):
		return "", nil // members_by_role is (role_order, name_key)
	case f.Role == "" && (byName || sort == roster.SortStatus):
		return "", nil // members_by_status is (status, name_key)
	}
	index, fewest := "", maxSorted+1
	for _, c := range []struct {
		index, column string
		value         any
		set           bool
	}{
		{"members_by_role", "role_order", f.RoleOrder, f.Role != ""},
		{"members_by_status", "status", string(f.Status), f.Status != ""},
	} {
		if !c.set {
			continue
		}
		var n int
		err := t.queryRow(`SELECT count(*) FROM (SELECT 1 FROM members INDEXED BY `+c.index+`
			WHERE account_id = ? AND `+c.column+` = ? LIMIT ?)`, account, c.value, maxSorted+1).Scan(&n)
		if err != nil {
			return "", fmt.Errorf("sqlite: list members: %w", err)
		}
		if n < fewest {
			index, fewest = c.index, n
		}
	}
	return index, nil
}

// filtered adds the whole statement of a page of members read from index,
// the index of a filter (see filterIndex), and sorted, or from the order's
// index when index is "".
func (b *listStatement) filtered(index string) {
	if index == "" {
		b.page(nil)
		return
	}
	b.add(`SELECT `+memberColumns+` FROM members m INDEXED BY `+index+invitationJoin+` WHERE m.account_id = ?`, b.account)
	b.filters("m")
	b.after("", "m")
	b.orderBy("", "m")
}

// hasWords adds the test that every word of the query but those of skip
// (indexes in words) starts a word of the name of alias's row, which has
// account_id, user_id and name_key: the name key begins with it (the first
// word), or, when the key holds it at all, a word of member_words does.
func (b *listStatement) hasWords(s *search, alias string, skip ...int) {
	for i, w := range s.words {
		if !slices.Contains(skip, i) {
			b.add(` AND (`+alias+`.name_key >= ? AND `+alias+`.name_key < ?`+prefixEnd+
				` OR instr(`+alias+`.name_key, ?) > 0 AND EXISTS (SELECT 1 FROM member_words x
				WHERE x.account_id = `+alias+`.account_id AND x.user_id = `+alias+`.user_id AND x.word >= ? AND x.word < ?`+prefixEnd+`))`,
				w, w, w, w, w)
		}
	}
}

// leadRun adds the condition, on alias, a row of members, that its name key
// begins with the driver, and that the name has the query's other words:
// the members whose first word the driver starts, a range of the name
// order's index. With after, the range begins after the cursor: each of
// its bounds is the tighter of the prefix's and the cursor's, since SQLite
// seeks by one bound on each side and tests the other on every row it
// reads (a later page of "dana", descending, would read every Dana after
// the page to skip them).
func (b *listStatement) leadRun(s *search, alias string, after bool) {
	w := s.words[s.driver]
	lo, hi := alias+`.name_key >= ?`, alias+`.name_key < ?`+prefixEnd
	loArgs, hiArgs := []any{w}, []any{w}
	if c := b.f.After; after && c != nil {
		cursor := `(` + alias + `.name_key, ` + alias + `.user_id) `
		if !b.f.Desc && c.Key >= w {
			lo, loArgs = cursor+`> (?, ?)`, []any{c.Key, c.UserID}
		} else if b.f.Desc && c.Key < w+string(utf8.MaxRune) {
			hi, hiArgs = cursor+`< (?, ?)`, []any{c.Key, c.UserID}
		}
		// Otherwise the whole range is on the cursor's far side.
	}
	b.add(` AND `+lo, loArgs...)
	b.add(` AND `+hi, hiArgs...)
	b.hasWords(s, alias, s.driver)
}

// emailRange returns the condition that alias's email starts with the
// query; prefix is "" or noIndex.
func emailRange(prefix, alias string) string {
	return prefix + alias + `.email_key >= ? AND ` + prefix + alias + `.email_key < ?` + prefixEnd
}

// merged adds the statement of a mergeRuns search: the page is the first
// members of a UNION of a name-ordered range for each run (of member_words
// for a word, of members' name order for "", the names whose first word the
// driver starts) and of the sorted email matches, each at most a page long,
// looked up by primary key in that order (SQLite reads h in its order, so
// the page is not sorted again). When the first words are the only run of
// a query of one word, unfiltered, the page is their range of the name
// order's index (searchplan.LeadPage).
func (b *listStatement) merged(s *search) {
	if searchplan.LeadPage(s.runs, len(s.words), s.emails, b.f.Role != "" || b.f.Status != "") {
		b.add(`SELECT `+memberColumns+memberFrom+` WHERE m.account_id = ?`, b.account)
		b.filters("m")
		b.leadRun(s, "m", true)
		b.orderBy("", "m")
		return
	}
	b.add(`SELECT ` + memberColumns + ` FROM (SELECT name_key, user_id FROM (`)
	arms := 0
	union := func() {
		if arms > 0 {
			b.add(` UNION `)
		}
		arms++
	}
	for _, run := range s.runs {
		switch {
		case run == "" && s.paired:
			// For each lead, its names with a word the partner starts:
			// a range of member_words_by_lead, sorted.
			p := s.words[s.partner]
			for _, lead := range s.leads {
				union()
				b.add(`SELECT * FROM (SELECT DISTINCT p.name_key, p.user_id FROM member_words p INDEXED BY member_words_by_lead
					WHERE p.account_id = ? AND `+leadOf("p")+` = ? AND p.word >= ? AND p.word < ?`+prefixEnd, b.account, lead, p, p)
				b.hasWords(s, "p", s.driver, s.partner)
				b.filtersOf("p")
				b.after("", "p")
				b.orderBy("", "p")
				b.add(`)`)
			}
		case run == "":
			union()
			b.add(`SELECT * FROM (SELECT l.name_key, l.user_id FROM members l INDEXED BY members_by_name WHERE l.account_id = ?`, b.account)
			b.filters("l")
			b.leadRun(s, "l", true)
			b.orderBy("", "l")
			b.add(`)`)
		default:
			union()
			b.add(`SELECT * FROM (SELECT w.name_key, w.user_id FROM member_words w WHERE w.account_id = ? AND w.word = ?`, b.account, run)
			b.hasWords(s, "w", s.driver)
			b.filtersOf("w")
			b.after("", "w")
			b.orderBy("", "w")
			b.add(`)`)
		}
	}
	if s.emails {
		union()
		// INDEXED BY: the few email matches sorted, never the account
		// walked in name order to find them.
		b.add(`SELECT * FROM (SELECT e.name_key, e.user_id FROM members e INDEXED BY members_by_email
			WHERE e.account_id = ? AND `+emailRange("", "e"), b.account, s.query, s.query)
		b.filters("e")
		b.after("", "e")
		b.orderBy("", "e")
		b.add(`)`)
	}
	b.add(`) hits`)
	b.orderBy("", "hits")
	b.add(`) h CROSS JOIN members m`+invitationJoin+` WHERE m.account_id = ? AND m.user_id = h.user_id`, b.account)
	b.orderBy("", "h")
}

// emailsOnly adds the statement of a mergeRuns or sortMatches search that
// no name matches: the few members whose email starts with the query, read
// from their range of members_by_email and sorted. (Merged, they would be
// sorted by name twice and looked up a second time by name.)
func (b *listStatement) emailsOnly(s *search) {
	b.add(`SELECT `+memberColumns+` FROM members m INDEXED BY members_by_email`+invitationJoin+
		` WHERE m.account_id = ? AND `+emailRange("", "m"), b.account, s.query, s.query)
	b.filters("m")
	b.after(noIndex, "m")
	b.orderBy(noIndex, "m")
}

// sorted adds the statement of a sortMatches search: every match, from the
// ranges of words[driver] (in member_words, and in the name order's index
// for the first words of names) and of the email, then sorted.
func (b *listStatement) sorted(s *search) {
	b.add(`SELECT `+memberColumns+memberFrom+` WHERE m.account_id = ? AND m.user_id IN (`, b.account)
	if s.driver >= 0 {
		w := s.words[s.driver]
		b.add(`SELECT w.user_id FROM member_words w WHERE w.account_id = ? AND w.word >= ? AND w.word < ?`+prefixEnd, b.account, w, w)
		b.hasWords(s, "w", s.driver)
		b.add(` UNION SELECT l.user_id FROM members l INDEXED BY members_by_name WHERE l.account_id = ?`, b.account)
		b.leadRun(s, "l", false)
	}
	if s.emails {
		if s.driver >= 0 {
			b.add(` UNION `)
		}
		b.add(`SELECT e.user_id FROM members e INDEXED BY members_by_email WHERE e.account_id = ? AND `+emailRange("", "e"),
			b.account, s.query, s.query)
	}
	b.add(`)`)
	b.filters("m")
	b.after(noIndex, "m")
	b.orderBy(noIndex, "m")
}

// walked adds the statement of a walkOrder search: the order's index walked
// from the cursor, testing each member.
func (b *listStatement) walked(s *search) {
	b.page(func() {
		b.add(` AND (`)
		if s.emails {
			// Unless the order is the email's, the many email matches are
			// found in the order's index, not read from their own range
			// and sorted.
			prefix := noIndex
			if b.f.Sort == roster.SortEmail {
				prefix = ""
			}
			b.add(emailRange(prefix, "m"), s.query, s.query)
		}
		if s.driver >= 0 {
			if s.emails {
				b.add(` OR `)
			}
			b.add(`(1`)
			b.hasWords(s, "m", -1)
			b.add(`)`)
		}
		b.add(`)`)
	})
}
