package postgres

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rosterhq/roster"
)

// UsersByEmail reads every user in one statement (see usersIn).
func (t *tx) UsersByEmail(emails []string) (map[string]*roster.User, error) {
	keys := make([]string, 0, len(emails))
	for _, e := range emails {
		if k := roster.EmailKey(e); storable(k) { // no user has any other
			keys = append(keys, k)
		}
	}
	return t.usersIn("email_key", keys, "", func(u *roster.User) string { return roster.EmailKey(u.Email) })
}

// AddInvitees writes the batch with one COPY per table (pgx's CopyFrom, in
// PostgreSQL's binary format): a handful of round trips for any number of
// invitees, where the single writes take a few each per invitee. COPY
// assigns the events' and messages' IDs in the batch's order.
func (t *tx) AddInvitees(batch []roster.Invitee) error {
	users := copyTable{"add users", "users", []string{"id", "email", "email_key", "name", "password_hash", "last_login_at", "created_at"}, nil}
	members := copyTable{"add members", "members", []string{"account_id", "user_id", "role", "role_order", "status",
		"invited_at", "invited_by", "joined_at", "name_key", "email_key", "last_login_at", "email", "name",
		"invitation_expires_at", "invitation_error"}, nil}
	words := copyTable{"index member names", "member_words", []string{"account_id", "word", "name_key", "user_id"}, nil}
	invites := copyTable{"add invitations", "invitations", []string{"account_id", "user_id", "token_hash", "expires_at", "sent_at", "last_error"}, nil}
	events := copyTable{"append audit", "audit_events", []string{"account_id", "at", "actor", "action", "target", "before", "after", "ip"}, nil}
	messages := copyTable{"enqueue messages", "outbox", []string{"kind", "recipient", "account_id", "user_id", "data", "link", "status",
		"attempts", "next_attempt_at", "last_error", "created_at"}, nil}
	// The copies of existing users' emails are made from the users as they
	// are now, read FOR SHARE (see sharedUsers), not as the caller read
	// them before deciding.
	var existing []string
	for _, in := range batch {
		if !in.NewUser {
			existing = append(existing, in.User.ID)
		}
	}
	current, err := t.sharedUsers(existing)
	if errors.Is(err, errUnstorable) {
		return errUserNotFound
	}
	if err != nil {
		return err
	}
	for _, in := range batch {
		u, m, inv, e, msg := in.User, in.Member, in.Invitation, in.Event, in.Message
		if !in.NewUser {
			if u = current[u.ID]; u == nil {
				return errUserNotFound
			}
		}
		if in.NewUser {
			users.add(u.ID, u.Email, roster.EmailKey(u.Email), u.Name, u.PasswordHash, optTS(u.LastLoginAt), ts(u.CreatedAt))
		}
		name, login := m.Shown(u)
		nameKey := roster.NameKey(name)
		members.add(m.AccountID, m.UserID, m.Role, int32(m.RoleOrder), string(m.Status),
			optTS(m.InvitedAt), m.InvitedBy, optTS(m.JoinedAt), nameKey, roster.EmailKey(u.Email), loginKey(login),
			u.Email, name, ts(inv.ExpiresAt), inv.LastError)
		for _, w := range roster.IndexedWords(name) {
			words.add(m.AccountID, w, nameKey, m.UserID)
		}
		invites.add(inv.AccountID, inv.UserID, inv.TokenHash, ts(inv.ExpiresAt), ts(inv.SentAt), inv.LastError)
		before, after, err := eventJSON(e)
		if err != nil {
			return err
		}
		events.add(e.AccountID, ts(e.At), e.Actor, e.Action, e.Target, before, after, e.IP)
		data, err := encodeMap(msg.Data)
		if err != nil {
			return fmt.Errorf("postgres: enqueue message: %w", err)
		}
		messages.add(msg.Kind, msg.To, msg.AccountID, msg.UserID, data, msg.Link, string(roster.MessagePending),
			int32(msg.Attempts), ts(msg.NextAttemptAt), msg.LastError, ts(msg.CreatedAt))
	}
	// Members and their name words go in in the order of most of their
	// indexes (by name; words by word) rather than the batch's, as on
	// SQLite: neighbouring rows of a large account's indexes are then
	// changed together. (User ids grow with time: secret.NewID.)
	members.sortBy(8)
	words.sortBy(1, 2)
	const conflict = "One of these people was added to Roster, or to the account, at the same moment; try again."
	for _, c := range []*copyTable{&users, &members, &words, &invites, &events, &messages} {
		if len(c.rows) == 0 {
			continue // no new users, or no names with words
		}
		if err := t.copyFrom(c); err != nil {
			err = writeError(c.op, err, conflict, errAccountNotFound)
			if c.table == "users" && roster.ErrorCode(err) == roster.CodeConflict {
				// The caller found no such user under its account's lock,
				// which does not cover users: another account's
				// transaction added them since. Run again, it finds them.
				err = errRaced{err}
			}
			return err
		}
	}
	for _, in := range batch {
		in.Message.Status = roster.MessagePending
		in.Message.SentAt = nil
	}
	return nil
}

// copyTable is the rows of one table that AddInvitees copies in.
type copyTable struct {
	op, table string
	columns   []string
	rows      [][]any
}

func (c *copyTable) add(values ...any) { c.rows = append(c.rows, values) }

// sortBy sorts the rows by the text columns at these positions.
func (c *copyTable) sortBy(cols ...int) {
	slices.SortFunc(c.rows, func(a, b []any) int {
		for _, i := range cols {
			if n := strings.Compare(a[i].(string), b[i].(string)); n != 0 {
				return n
			}
		}
		return 0
	})
}
