package sqlite

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/rosterhq/roster"
)

// UsersByEmail reads every user in one statement (see usersIn).
func (t *tx) UsersByEmail(emails []string) (map[string]*roster.User, error) {
	keys := make([]string, len(emails))
	for i, e := range emails {
		keys[i] = roster.EmailKey(e)
	}
	return t.usersIn("email_key", keys, func(u *roster.User) string { return roster.EmailKey(u.Email) })
}

// UsersByID reads every user in one statement (see usersIn).
func (t *tx) UsersByID(ids []string) (map[string]*roster.User, error) {
	return t.usersIn("id", ids, func(u *roster.User) string { return u.ID })
}

// usersIn reads the users whose column is among keys, in one statement,
// the keys passed as one JSON array (jsonKeys), and returns them by
// key(user).
func (t *tx) usersIn(column string, keys []string, key func(*roster.User) string) (map[string]*roster.User, error) {
	out := make(map[string]*roster.User, len(keys))
	list, ok := jsonKeys(keys)
	if !ok {
		return out, nil
	}
	rows, err := t.query(`SELECT `+userColumns+` FROM users WHERE `+column+` IN (SELECT value FROM json_each(?))`, list)
	if err != nil {
		return nil, fmt.Errorf("sqlite: users by %s: %w", column, err)
	}
	defer rows.Close()
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out[key(u)] = u
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: users by %s: %w", column, err)
	}
	return out, nil
}

// jsonKeys returns keys as a JSON array for json_each, leaving out those
// that are not UTF-8, which no id or email is (JSON would turn their bytes
// into U+FFFD, and another key), and false when none is left.
func jsonKeys(keys []string) (string, bool) {
	valid := make([]string, 0, len(keys))
	for _, k := range keys {
		if utf8.ValidString(k) {
			valid = append(valid, k)
		}
	}
	if len(valid) == 0 {
		return "", false
	}
	b, _ := json.Marshal(valid) // a []string always encodes
	return string(b), true
}

// memberNameKey is the position of name_key in AddInvitees' rows of members.
const memberNameKey = 8

// AddInvitees writes the batch table by table, many rows per INSERT: a
// statement costs SQLite more to run than one more row in it.
func (t *tx) AddInvitees(batch []roster.Invitee) error {
	var users, members, invitations, events, messages [][]any
	for _, in := range batch {
		u, m, inv, e, msg := in.User, in.Member, in.Invitation, in.Event, in.Message
		if in.NewUser {
			users = append(users, []any{u.ID, u.Email, roster.EmailKey(u.Email), u.Name, u.PasswordHash,
				optMicros(u.LastLoginAt), micros(u.CreatedAt)})
		}
		name, login := m.Shown(u)
		members = append(members, []any{m.AccountID, m.UserID, m.Role, m.RoleOrder, string(m.Status),
			optMicros(m.InvitedAt), m.InvitedBy, optMicros(m.JoinedAt),
			roster.NameKey(name), roster.EmailKey(u.Email), optMicros(login), u.Email, name})
		invitations = append(invitations, []any{inv.AccountID, inv.UserID, inv.TokenHash,
			micros(inv.ExpiresAt), micros(inv.SentAt), inv.LastError})
		before, after, err := eventJSON(e)
		if err != nil {
			return err
		}
		events = append(events, []any{e.AccountID, micros(e.At), e.Actor, e.Action, e.Target, before, after, e.IP})
		data, err := encodeMap(msg.Data)
		if err != nil {
			return fmt.Errorf("sqlite: enqueue message: %w", err)
		}
		messages = append(messages, []any{msg.Kind, msg.To, msg.AccountID, msg.UserID, data, msg.Link, "pending",
			msg.Attempts, micros(msg.NextAttemptAt), msg.LastError, micros(msg.CreatedAt)})
	}
	// Members and their name words go in in the order of their indexes,
	// not the batch's: most of members' indexes continue (account_id,
	// role_order or status or last login) with name_key, which a bulk's
	// rows share or nearly so, and member_words is keyed by the word. In a
	// large account a statement then changes runs of neighbouring pages
	// rather than a page per row, each of which it would also copy to its
	// statement journal. (User ids grow with time: secret.NewID.)
	sortRows(members, memberNameKey)
	var words [][]any
	for _, in := range batch {
		name, _ := in.Member.Shown(in.User)
		key := roster.NameKey(name)
		for _, w := range roster.IndexedWords(name) {
			words = append(words, []any{in.Member.AccountID, w, key, in.Member.UserID})
		}
	}
	sortRows(words, 1, 2) // word, name_key
	const conflict = "One of these people is already a user or a member."
	if err := t.insertRows(`INSERT INTO users (id, email, email_key, name, password_hash, last_login_at, created_at)`, users); err != nil {
		return insertError("add users", err, conflict, nil)
	}
	if err := t.insertRows(`INSERT INTO members (account_id, user_id, role, role_order, status,
		invited_at, invited_by, joined_at, name_key, email_key, last_login_at, email, name)`, members); err != nil {
		return insertError("add members", err, conflict, errAccountNotFound)
	}
	if err := t.insertRows(`INSERT INTO member_words (account_id, word, name_key, user_id)`, words); err != nil {
		return fmt.Errorf("sqlite: index member names: %w", err)
	}
	if err := t.insertRows(`INSERT INTO invitations (account_id, user_id, token_hash, expires_at, sent_at, last_error)`, invitations); err != nil {
		return insertError("add invitations", err, conflict, errMemberNotFound)
	}
	if err := t.insertRows(`INSERT INTO audit_events (account_id, at, actor, action, target, before, after, ip)`, events); err != nil {
		return insertError("append audit", err, conflict, nil)
	}
	if err := t.insertRows(`INSERT INTO outbox (kind, recipient, account_id, user_id, data, link, status, attempts,
		next_attempt_at, last_error, created_at)`, messages); err != nil {
		return insertError("enqueue messages", err, conflict, nil)
	}
	for _, in := range batch {
		in.Message.Status = roster.MessagePending
		in.Message.SentAt = nil
	}
	return nil
}

// sortRows sorts rows by their text columns at these positions.
func sortRows(rows [][]any, cols ...int) {
	slices.SortFunc(rows, func(a, b []any) int {
		for _, i := range cols {
			if n := strings.Compare(a[i].(string), b[i].(string)); n != 0 {
				return n
			}
		}
		return 0
	})
}

// rowsPerInsert is how many rows insertRows puts in one statement; with
// a dozen columns, well under SQLite's limit of 32,766 parameters.
const rowsPerInsert = 200

// insertRows runs insert (INSERT INTO table (columns)) with VALUES for
// the rows, rowsPerInsert at a time, in their order. Full statements
// share one text, so one prepared statement kept by the store.
func (t *tx) insertRows(insert string, rows [][]any) error {
	for len(rows) > 0 {
		n := min(len(rows), rowsPerInsert)
		row := "(" + placeholders(len(rows[0])) + ")"
		var q strings.Builder
		q.WriteString(insert + " VALUES " + row)
		args := make([]any, 0, n*len(rows[0]))
		args = append(args, rows[0]...)
		for _, r := range rows[1:n] {
			q.WriteString(", " + row)
			args = append(args, r...)
		}
		exec := t.exec
		if n < rowsPerInsert {
			// The last, partial statement's text depends on the batch's
			// size: prepared for this transaction, not kept.
			exec = t.execOnce
		}
		if _, err := exec(q.String(), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}
