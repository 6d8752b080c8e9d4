package postgres

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/rosterhq/roster"
)

// CreateMember copies the user's email and what the member shows of them
// (roster.Member.Shown), with its sort keys and name words, into the
// account's member tables; the member's own Email field is not read.
func (t *tx) CreateMember(m *roster.Member) error {
	users, err := t.sharedUsers([]string{m.UserID})
	if errors.Is(err, errUnstorable) {
		return errUserNotFound
	}
	if err != nil {
		return err
	}
	u := users[m.UserID]
	if u == nil {
		return errUserNotFound
	}
	name, login := m.Shown(u)
	// Inserted only if the account exists, so that a missing account is
	// not_found without a failed statement.
	err = t.insert("create member", "This user is already a member of the account.", errAccountNotFound,
		`SELECT 1 FROM members WHERE account_id = $1 AND user_id = $2`, []any{m.AccountID, m.UserID},
		`INSERT INTO members (account_id, user_id, role, role_order, status,
			invited_at, invited_by, joined_at, name_key, email_key, last_login_at, email, name)
		SELECT $1::text, $2::text, $3::text, $4::integer, $5::text, $6::timestamptz, $7::text,
			$8::timestamptz, $9::text, $10::text, $11::timestamptz, $12::text, $13::text
		WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $1)
		ON CONFLICT DO NOTHING`,
		m.AccountID, m.UserID, m.Role, m.RoleOrder, string(m.Status),
		optTS(m.InvitedAt), m.InvitedBy, optTS(m.JoinedAt),
		roster.NameKey(name), roster.EmailKey(u.Email), loginKey(login), u.Email, name)
	if err != nil {
		return err
	}
	return t.insertWords(m.AccountID, m.UserID, name)
}

func (t *tx) SetMemberName(account, user, name string) error {
	if err := checkValues(name); err != nil {
		return err
	}
	if err := t.execOne("set member name", errMemberNotFound, `UPDATE members SET name_key = $1, name = $2
		WHERE account_id = $3 AND user_id = $4`, roster.NameKey(name), name, account, user); err != nil {
		return err
	}
	return t.reindexWords(account, user, name)
}

// ShowUser reads the user FOR SHARE: a rename (SetUserName, which takes no
// account lock) either committed before, and is read, or waits for this
// transaction and then finds the membership joined.
func (t *tx) ShowUser(account, user string) error {
	users, err := t.sharedUsers([]string{user})
	if errors.Is(err, errUnstorable) {
		return errUserNotFound
	}
	if err != nil {
		return err
	}
	u := users[user]
	if u == nil {
		return errUserNotFound
	}
	if err := t.execOne("show user", errMemberNotFound, `UPDATE members SET name_key = $1, name = $2, last_login_at = $3
		WHERE account_id = $4 AND user_id = $5`, roster.NameKey(u.Name), u.Name, loginKey(u.LastLoginAt), account, user); err != nil {
		return err
	}
	return t.reindexWords(account, user, u.Name)
}

// reindexWords replaces the name words of a membership.
func (t *tx) reindexWords(account, user, name string) error {
	if _, err := t.exec(`DELETE FROM member_words WHERE account_id = $1 AND user_id = $2`, account, user); err != nil {
		return fmt.Errorf("postgres: index member name: %w", err)
	}
	return t.insertWords(account, user, name)
}

// memberColumns are what scanMember reads from members m: everything is a
// column of members (migrations 005 and 006). The invitation is shown only
// while the member is pending.
const memberColumns = `m.account_id, m.user_id, m.email, m.name, m.role, m.role_order, m.status,
	m.last_login_at, m.invited_at, m.invited_by, m.joined_at,
	CASE WHEN m.status = 'pending' THEN m.invitation_expires_at END,
	CASE WHEN m.status = 'pending' THEN m.invitation_error END,
	m.profile_roles`

const memberFrom = ` FROM members m`

// scanMember reads a row of memberColumns.
func scanMember(row pgx.Row) (*roster.Member, error) {
	r := new(memberRow)
	if err := new(memberScanner).scan(row, r); err != nil {
		return nil, err
	}
	return &r.Member, nil
}

// memberRow is a member with room for its times, so that a page of members
// is one allocation (ListMembers) rather than a member and up to four times
// for each of its 51 rows.
type memberRow struct {
	roster.Member
	times [4]time.Time
}

// memberScanner reads rows of memberColumns into memberRows. It holds what
// a row's columns are read into before they are converted, so that reading
// a page allocates them once, not for each row: decoding a page was a fifth
// of its time. Times are read as values, and profile roles are decoded only
// when there are some.
type memberScanner struct {
	status string
	times  [4]pgtype.Timestamptz // last login, invited, joined, invitation expires
	invErr pgtype.Text
	roles  []byte
	dest   [14]any
}

// scan reads the row into r.
func (s *memberScanner) scan(row pgx.Row, r *memberRow) error {
	m := &r.Member
	s.dest = [...]any{&m.AccountID, &m.UserID, &m.Email, &m.Name, &m.Role, &m.RoleOrder, &s.status,
		&s.times[0], &s.times[1], &m.InvitedBy, &s.times[2], &s.times[3], &s.invErr, &s.roles}
	if err := row.Scan(s.dest[:]...); err != nil {
		return err
	}
	m.Status = roster.Status(s.status)
	m.LastLoginAt = r.time(0, s.times[0]) // -infinity: never
	m.InvitedAt = r.time(1, s.times[1])
	m.JoinedAt = r.time(2, s.times[2])
	m.InvitationExpiresAt = r.time(3, s.times[3])
	if m.InvitationExpiresAt != nil {
		m.InvitationError = s.invErr.String
	}
	if len(s.roles) > 0 && string(s.roles) != "{}" {
		if err := json.Unmarshal(s.roles, &m.ProfileRoles); err != nil {
			return fmt.Errorf("postgres: decode profile roles: %w", err)
		}
	}
	if m.ProfileRoles == nil {
		m.ProfileRoles = map[string]string{}
	}
	return nil
}

// time keeps t, read from the database, in r's slot i and returns it in
// UTC, or nil for NULL or an infinity.
func (r *memberRow) time(i int, t pgtype.Timestamptz) *time.Time {
	if !t.Valid || t.InfinityModifier != pgtype.Finite {
		return nil
	}
	r.times[i] = t.Time.UTC()
	return &r.times[i]
}

func (t *tx) Member(account, user string) (*roster.Member, error) {
	m, err := scanMember(t.queryRow(`SELECT `+memberColumns+memberFrom+
		` WHERE m.account_id = $1 AND m.user_id = $2`, account, user))
	if err := rowError("member", err, errMemberNotFound); err != nil {
		return nil, err
	}
	return m, nil
}

// MembersByUser reads the memberships in one statement, planned for its
// list (see byKeys). Ids that no row can hold are no member's.
func (t *tx) MembersByUser(account string, users []string) (map[string]*roster.Member, error) {
	out := make(map[string]*roster.Member, len(users))
	ids := make([]string, 0, len(users))
	for _, id := range users {
		if storable(id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 || !storable(account) {
		return out, nil
	}
	rows, err := t.query(`SELECT `+memberColumns+memberFrom+` WHERE m.account_id = $1 AND m.user_id = ANY($2)`, byKeys, account, ids)
	if err != nil {
		return nil, fmt.Errorf("postgres: members by user: %w", err)
	}
	defer rows.Close()
	scanner := new(memberScanner)
	for rows.Next() {
		r := new(memberRow)
		if err := scanner.scan(rows, r); err != nil {
			return nil, fmt.Errorf("postgres: members by user: %w", err)
		}
		out[r.UserID] = &r.Member
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: members by user: %w", err)
	}
	return out, nil
}

// memberExists returns not_found unless the membership exists.
func (t *tx) memberExists(account, user string) error {
	ok, err := t.exists("member", `SELECT 1 FROM members WHERE account_id = $1 AND user_id = $2`, account, user)
	if err != nil {
		return err
	}
	if !ok {
		return errMemberNotFound
	}
	return nil
}

func (t *tx) UpdateMember(m *roster.Member) error {
	if err := checkValues(m.Role, string(m.Status)); err != nil {
		return err
	}
	return t.execOne("update member", errMemberNotFound,
		`UPDATE members SET role = $1, role_order = $2, status = $3, joined_at = $4 WHERE account_id = $5 AND user_id = $6`,
		m.Role, m.RoleOrder, string(m.Status), optTS(m.JoinedAt), m.AccountID, m.UserID)
}

// DeleteMember deletes the membership; its invitation and profile roles go
// with it by ON DELETE CASCADE, its name words (which have no foreign key,
// migration 007) and API tokens explicitly.
func (t *tx) DeleteMember(account, user string) error {
	if err := t.execOne("delete member", errMemberNotFound,
		`DELETE FROM members WHERE account_id = $1 AND user_id = $2`, account, user); err != nil {
		return err
	}
	if _, err := t.exec(`DELETE FROM member_words WHERE account_id = $1 AND user_id = $2`, account, user); err != nil {
		return fmt.Errorf("postgres: delete member's name words: %w", err)
	}
	if _, err := t.exec(`DELETE FROM api_tokens WHERE account_id = $1 AND user_id = $2`, account, user); err != nil {
		return fmt.Errorf("postgres: delete member's tokens: %w", err)
	}
	return nil
}

func (t *tx) CountMembers(account string, f roster.MemberFilter) (int, error) {
	var n int
	var err error
	// One statement per shape, so that each is planned for its index.
	switch role, status := f.Role, f.Status; {
	case role != "" && status != "":
		err = t.queryRow(`SELECT COUNT(*) FROM members WHERE account_id = $1 AND role_order = $2 AND status = $3`,
			account, f.RoleOrder, string(status)).Scan(&n)
	case role != "":
		err = t.queryRow(`SELECT COUNT(*) FROM members WHERE account_id = $1 AND role_order = $2`, account, f.RoleOrder).Scan(&n)
	case status != "":
		err = t.queryRow(`SELECT COUNT(*) FROM members WHERE account_id = $1 AND status = $2`, account, string(status)).Scan(&n)
	default:
		err = t.queryRow(`SELECT COUNT(*) FROM members WHERE account_id = $1`, account).Scan(&n)
	}
	if errors.Is(err, errUnstorable) {
		return 0, nil // no member has such a key
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: count members: %w", err)
	}
	return n, nil
}

func (t *tx) Memberships(user string) ([]roster.Membership, error) {
	rows, err := t.query(`SELECT a.id, a.name, m.role, m.status
		FROM members m JOIN accounts a ON a.id = m.account_id
		WHERE m.user_id = $1
		ORDER BY a.name, a.id`, user)
	if errors.Is(err, errUnstorable) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: memberships: %w", err)
	}
	defer rows.Close()
	var out []roster.Membership
	for rows.Next() {
		var ms roster.Membership
		var status string
		if err := rows.Scan(&ms.AccountID, &ms.AccountName, &ms.Role, &status); err != nil {
			return nil, fmt.Errorf("postgres: memberships: %w", err)
		}
		ms.Status = roster.Status(status)
		out = append(out, ms)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: memberships: %w", err)
	}
	return out, nil
}
