package sqlite

import (
	"cmp"
	"fmt"
	"strings"

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
	query, args, err := memberListQuery(account, f)
	if err != nil {
		return nil, err
	}
	sort := cmp.Or(f.Sort, roster.SortName)
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list members: %w", err)
	}
	defer rows.Close()
	page := &roster.MemberPage{}
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
// member list. It builds the statement from fixed fragments chosen by the
// filter's shape; every value a client gave is a bound parameter.
func memberListQuery(account string, f roster.MemberFilter) (string, []any, error) {
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

	var q strings.Builder
	args := []any{account}
	q.WriteString(`SELECT ` + memberColumns + memberFrom + ` WHERE m.account_id = ?`)
	if f.Role != "" {
		q.WriteString(` AND m.role = ?`)
		args = append(args, f.Role)
	}
	if f.Status != "" {
		q.WriteString(` AND m.status = ?`)
		args = append(args, string(f.Status))
	}
	if query := strings.ToLower(strings.TrimSpace(f.Query)); query != "" {
		args = appendSearch(&q, args, account, query)
	}
	op, dir := ">", ""
	if f.Desc {
		op, dir = "<", " DESC"
	}
	if f.After != nil {
		key := ord.key(f.After)
		q.WriteString(` AND (` + strings.Join(ord.columns, ", ") + `) ` + op + ` (` + placeholders(len(key)) + `)`)
		args = append(args, key...)
	}
	q.WriteString(` ORDER BY ` + strings.Join(ord.columns, dir+", ") + dir + ` LIMIT ?`)
	args = append(args, f.Limit+1)
	return q.String(), args, nil
}

// placeholders returns n comma-separated question marks.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// appendSearch adds the condition of roster.MatchesQuery for a trimmed,
// lowercase query: the members some word of whose name starts with each
// word of the query (an INTERSECT of prefix ranges on member_words), or
// whose email starts with the whole query (a prefix range on email_key).
func appendSearch(q *strings.Builder, args []any, account, query string) []any {
	q.WriteString(` AND m.user_id IN (`)
	words := roster.SearchWords(query)
	for i, w := range words {
		if i > 0 {
			q.WriteString(` INTERSECT `)
		}
		q.WriteString(`SELECT user_id FROM member_words WHERE account_id = ? AND word >= ? AND word < ?` + prefixEnd)
		args = append(args, account, w, w)
	}
	if len(words) > 0 {
		// Compound operators bind left to right, so the UNION applies to
		// the whole intersection.
		q.WriteString(` UNION `)
	}
	q.WriteString(`SELECT user_id FROM members WHERE account_id = ? AND email_key >= ? AND email_key < ?` + prefixEnd + `)`)
	return append(args, account, query, query)
}
