package postgres

import (
	"fmt"
	"reflect"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/rosterhq/roster"
)

// UsersByEmail reads every user in one statement.
func (t *tx) UsersByEmail(emails []string) (map[string]*roster.User, error) {
	keys := make([]string, 0, len(emails))
	for _, e := range emails {
		if k := roster.EmailKey(e); storable(k) { // no user has any other
			keys = append(keys, k)
		}
	}
	rows, err := t.query(`SELECT `+userColumns+` FROM users WHERE email_key = ANY($1)`, keys)
	if err != nil {
		return nil, fmt.Errorf("postgres: users by email: %w", err)
	}
	defer rows.Close()
	out := make(map[string]*roster.User, len(keys))
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out[roster.EmailKey(u.Email)] = u
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: users by email: %w", err)
	}
	return out, nil
}

// AddInvitees writes the batch with one INSERT ... SELECT FROM unnest(...)
// per table: a handful of round trips for any number of invitees, where
// the single writes take a few each per invitee. WITH ORDINALITY keeps
// the events' and messages' IDs in the batch's order.
func (t *tx) AddInvitees(batch []roster.Invitee) error {
	var (
		users    userColumnsIn
		members  memberColumnsIn
		words    [4][]string // account_id, word, name_key, user_id
		invites  invitationColumnsIn
		events   auditColumnsIn
		messages messageColumnsIn
	)
	for _, in := range batch {
		if in.NewUser {
			users.add(in.User)
		}
		members.add(in.Member, in.User, in.Invitation)
		for _, w := range roster.SearchWords(in.User.Name) {
			words[0] = append(words[0], in.Member.AccountID)
			words[1] = append(words[1], w)
			words[2] = append(words[2], roster.NameKey(in.User.Name))
			words[3] = append(words[3], in.Member.UserID)
		}
		invites.add(in.Invitation)
		if err := events.add(in.Event); err != nil {
			return err
		}
		if err := messages.add(in.Message); err != nil {
			return err
		}
	}
	const conflict = "One of these people was added to Roster, or to the account, at the same moment; try again."
	steps := []struct {
		op, query string
		args      []any
	}{
		{"add users", `INSERT INTO users (id, email, email_key, name, password_hash, last_login_at, created_at)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[])`,
			[]any{users.id, users.email, users.emailKey, users.name, users.passwordHash, users.lastLogin, users.created}},
		{"add members", `INSERT INTO members (account_id, user_id, role, role_order, status,
				invited_at, invited_by, joined_at, name_key, email_key, last_login_at, email, name,
				invitation_expires_at, invitation_error)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::text[],
				$6::timestamptz[], $7::text[], $8::timestamptz[], $9::text[], $10::text[], $11::timestamptz[],
				$12::text[], $13::text[], $14::timestamptz[], $15::text[])`,
			[]any{members.account, members.user, members.role, members.roleOrder, members.status,
				members.invitedAt, members.invitedBy, members.joinedAt, members.nameKey, members.emailKey, members.lastLogin,
				members.email, members.name, members.invitationExpires, members.invitationError}},
		{"index member names", `INSERT INTO member_words (account_id, word, name_key, user_id)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])`,
			[]any{words[0], words[1], words[2], words[3]}},
		{"add invitations", `INSERT INTO invitations (account_id, user_id, token_hash, expires_at, sent_at, last_error)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[])`,
			[]any{invites.account, invites.user, invites.tokenHash, invites.expires, invites.sent, invites.lastError}},
		{"append audit", `INSERT INTO audit_events (account_id, at, actor, action, target, before, after, ip)
			SELECT a, t, ac, act, tg, b::json, af::json, ip
			FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
				WITH ORDINALITY AS e (a, t, ac, act, tg, b, af, ip, n)
			ORDER BY n`,
			[]any{events.account, events.at, events.actor, events.action, events.target, events.before, events.after, events.ip}},
		{"enqueue messages", `INSERT INTO outbox (kind, recipient, account_id, user_id, data, link, status, attempts,
				next_attempt_at, last_error, created_at)
			SELECT k, r, a, u, d::json, l, 'pending', at, due, le, c
			FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::integer[],
				$8::timestamptz[], $9::text[], $10::timestamptz[]) WITH ORDINALITY AS m (k, r, a, u, d, l, at, due, le, c, n)
			ORDER BY n`,
			[]any{messages.kind, messages.to, messages.account, messages.user, messages.data, messages.link,
				messages.attempts, messages.due, messages.lastError, messages.created}},
	}
	for _, s := range steps {
		if reflect.ValueOf(s.args[0]).Len() == 0 {
			continue // no new users, or no names with words
		}
		if _, err := t.exec(s.query, s.args...); err != nil {
			err = writeError(s.op, err, conflict, errAccountNotFound)
			if s.op == "add users" && roster.ErrorCode(err) == roster.CodeConflict {
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

// The columns of each table, one slice per column, for unnest.

type userColumnsIn struct {
	id, email, emailKey, name, passwordHash []string
	lastLogin                               []*time.Time
	created                                 []time.Time
}

func (c *userColumnsIn) add(u *roster.User) {
	c.id = append(c.id, u.ID)
	c.email = append(c.email, u.Email)
	c.emailKey = append(c.emailKey, roster.EmailKey(u.Email))
	c.name = append(c.name, u.Name)
	c.passwordHash = append(c.passwordHash, u.PasswordHash)
	c.lastLogin = append(c.lastLogin, optTS(u.LastLoginAt))
	c.created = append(c.created, ts(u.CreatedAt))
}

type memberColumnsIn struct {
	account, user, role, status, invitedBy, nameKey, emailKey []string
	email, name, invitationError                              []string
	roleOrder                                                 []int32
	invitedAt, joinedAt                                       []*time.Time
	invitationExpires                                         []time.Time
	lastLogin                                                 []pgtype.Timestamptz
}

// add adds m, a membership of u invited by inv (with CreateMember's copies
// of u's fields and PutInvitation's of inv's).
func (c *memberColumnsIn) add(m *roster.Member, u *roster.User, inv *roster.Invitation) {
	c.account = append(c.account, m.AccountID)
	c.user = append(c.user, m.UserID)
	c.role = append(c.role, m.Role)
	c.roleOrder = append(c.roleOrder, int32(m.RoleOrder))
	c.status = append(c.status, string(m.Status))
	c.invitedAt = append(c.invitedAt, optTS(m.InvitedAt))
	c.invitedBy = append(c.invitedBy, m.InvitedBy)
	c.joinedAt = append(c.joinedAt, optTS(m.JoinedAt))
	c.nameKey = append(c.nameKey, roster.NameKey(u.Name))
	c.emailKey = append(c.emailKey, roster.EmailKey(u.Email))
	c.lastLogin = append(c.lastLogin, loginKey(u.LastLoginAt))
	c.email = append(c.email, u.Email)
	c.name = append(c.name, u.Name)
	c.invitationExpires = append(c.invitationExpires, ts(inv.ExpiresAt))
	c.invitationError = append(c.invitationError, inv.LastError)
}

type invitationColumnsIn struct {
	account, user, tokenHash, lastError []string
	expires, sent                       []time.Time
}

func (c *invitationColumnsIn) add(inv *roster.Invitation) {
	c.account = append(c.account, inv.AccountID)
	c.user = append(c.user, inv.UserID)
	c.tokenHash = append(c.tokenHash, inv.TokenHash)
	c.expires = append(c.expires, ts(inv.ExpiresAt))
	c.sent = append(c.sent, ts(inv.SentAt))
	c.lastError = append(c.lastError, inv.LastError)
}

type auditColumnsIn struct {
	account, actor, action, target, ip []string
	before, after                      []*string
	at                                 []time.Time
}

func (c *auditColumnsIn) add(e *roster.AuditEvent) error {
	before, err := jsonText(e.Before)
	if err != nil {
		return fmt.Errorf("postgres: append audit: %w", err)
	}
	after, err := jsonText(e.After)
	if err != nil {
		return fmt.Errorf("postgres: append audit: %w", err)
	}
	c.account = append(c.account, e.AccountID)
	c.at = append(c.at, ts(e.At))
	c.actor = append(c.actor, e.Actor)
	c.action = append(c.action, e.Action)
	c.target = append(c.target, e.Target)
	c.before = append(c.before, before)
	c.after = append(c.after, after)
	c.ip = append(c.ip, e.IP)
	return nil
}

type messageColumnsIn struct {
	kind, to, account, user, link, lastError []string
	data                                     []*string
	attempts                                 []int32
	due, created                             []time.Time
}

func (c *messageColumnsIn) add(m *roster.Message) error {
	data, err := jsonText(m.Data)
	if err != nil {
		return fmt.Errorf("postgres: enqueue message: %w", err)
	}
	c.kind = append(c.kind, m.Kind)
	c.to = append(c.to, m.To)
	c.account = append(c.account, m.AccountID)
	c.user = append(c.user, m.UserID)
	c.data = append(c.data, data)
	c.link = append(c.link, m.Link)
	c.attempts = append(c.attempts, int32(m.Attempts))
	c.due = append(c.due, ts(m.NextAttemptAt))
	c.lastError = append(c.lastError, m.LastError)
	c.created = append(c.created, ts(m.CreatedAt))
	return nil
}

// jsonText is encodeMap as text for a json[] column: nil stays NULL.
func jsonText(m map[string]string) (*string, error) {
	b, err := encodeMap(m)
	if b == nil || err != nil {
		return nil, err
	}
	s := string(b)
	return &s, nil
}
