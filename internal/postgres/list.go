package postgres

import (
	"cmp"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster"
)

// order is one order of the member list: the columns it sorts by, each
// ending in user_id, the final tie-breaker. Every order has an index on
// (account_id, columns...).
type order struct {
	columns []string
	// key returns the cursor's values for the columns, in the same order.
	key func(c *roster.MemberCursor) []any
}

func memberOrder(sort roster.MemberSort) (order, bool) {
	switch sort {
	case roster.SortName:
		return order{[]string{"m.name_key", "m.user_id"},
			func(c *roster.MemberCursor) []any { return []any{c.Key, c.UserID} }}, true
	case roster.SortEmail:
		return order{[]string{"m.email_key", "m.user_id"},
			func(c *roster.MemberCursor) []any { return []any{c.Key, c.UserID} }}, true
	case roster.SortRole:
		return order{[]string{"m.role_order", "m.name_key", "m.user_id"},
			func(c *roster.MemberCursor) []any { return []any{c.Num, c.NameKey, c.UserID} }}, true
	case roster.SortStatus:
		return order{[]string{"m.status", "m.name_key", "m.user_id"},
			func(c *roster.MemberCursor) []any { return []any{c.Key, c.NameKey, c.UserID} }}, true
	case roster.SortLastLogin:
		return order{[]string{"m.last_login_at", "m.name_key", "m.user_id"},
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
	query, args, err := memberListQuery(account, f)
	if errors.Is(err, errUnstorable) {
		return &roster.MemberPage{}, nil // no member has such a key
	}
	if err != nil {
		return nil, err
	}
	sort := cmp.Or(f.Sort, roster.SortName)
	// Planned for its values on every call, never from a cached generic
	// plan: how many members a search matches varies by orders of
	// magnitude, and so does the best plan.
	if f.Query != "" {
		args = append([]any{pgx.QueryExecModeExec}, args...)
	}
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list members: %w", err)
	}
	defer rows.Close()
	page := &roster.MemberPage{}
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: list members: %w", err)
		}
		page.Items = append(page.Items, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list members: %w", err)
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
// member list. It builds the statement from fixed fragments chosen by the
// filter's shape; every value a client gave is a bound parameter. It
// returns errUnstorable when a filter value is text no member can have.
func memberListQuery(account string, f roster.MemberFilter) (string, []any, error) {
	if f.Limit < 1 || f.Limit > roster.MaxPageSize {
		return "", nil, roster.Invalid("limit", "The page size must be between 1 and %d.", roster.MaxPageSize)
	}
	sort := cmp.Or(f.Sort, roster.SortName)
	ord, ok := memberOrder(sort)
	if !ok {
		return "", nil, roster.Invalid("sort", "Unknown sort order %q.", string(f.Sort))
	}
	badCursor := roster.Invalid("cursor", "The cursor is not valid for this list; start again from the first page.")
	if f.After != nil && (f.After.Sort != sort || f.After.Desc != f.Desc) {
		return "", nil, badCursor
	}
	if err := checkArgs([]any{account, f.Role, string(f.Status)}); err != nil {
		return "", nil, err
	}

	var q strings.Builder
	var args []any
	// arg binds v and returns its placeholder.
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	acct := arg(account)
	q.WriteString(`SELECT ` + memberColumns + memberFrom + ` WHERE m.account_id = ` + acct)
	if f.Role != "" {
		q.WriteString(` AND m.role = ` + arg(f.Role))
	}
	if f.Status != "" {
		q.WriteString(` AND m.status = ` + arg(string(f.Status)))
	}
	if query := strings.ToLower(strings.TrimSpace(f.Query)); query != "" {
		writeSearch(&q, arg, acct, query)
	}
	op, dir := ">", ""
	if f.Desc {
		op, dir = "<", " DESC"
	}
	if f.After != nil {
		key := ord.key(f.After)
		// The cursor came from a client: text in it that no row can hold
		// means it was not issued by this store.
		if checkArgs(key) != nil {
			return "", nil, badCursor
		}
		marks := make([]string, len(key))
		for i, v := range key {
			marks[i] = arg(v)
		}
		q.WriteString(` AND (` + strings.Join(ord.columns, ", ") + `) ` + op + ` (` + strings.Join(marks, ", ") + `)`)
	}
	q.WriteString(` ORDER BY ` + strings.Join(ord.columns, dir+", ") + dir + ` LIMIT ` + arg(f.Limit+1))
	return q.String(), args, nil
}

// writeSearch adds the condition of roster.MatchesQuery for a trimmed,
// lowercase query: the members some word of whose name starts with each
// word of the query (an INTERSECT of prefix ranges on member_words), or
// whose email starts with the whole query (a prefix range on email_key).
// acct is the account's placeholder.
func writeSearch(q *strings.Builder, arg func(any) string, acct, query string) {
	var parts []string
	if words := roster.SearchWords(query); len(words) > 0 {
		ranges := make([]string, len(words))
		for i, w := range words {
			ranges[i] = `SELECT user_id FROM member_words WHERE account_id = ` + acct +
				` AND word >= ` + arg(w) + ` AND word < ` + arg(w+prefixEnd)
		}
		parts = append(parts, `(`+strings.Join(ranges, ` INTERSECT `)+`)`)
	}
	// Emails are storable text, so a query that is not matches none by
	// its email (its words, split at every non-letter, always are).
	if storable(query) {
		parts = append(parts, `SELECT user_id FROM members WHERE account_id = `+acct+
			` AND email_key >= `+arg(query)+` AND email_key < `+arg(query+prefixEnd))
	}
	if len(parts) == 0 {
		q.WriteString(` AND false`)
		return
	}
	q.WriteString(` AND m.user_id IN (` + strings.Join(parts, ` UNION `) + `)`)
}
