package sqlite

import (
	"fmt"

	"github.com/rosterhq/roster"
)

// CreateMember copies the user's email and what the member shows of them
// (roster.Member.Shown), with its sort keys and name words, into the
// account's member tables; the member's own Email field is not read.
func (t *tx) CreateMember(m *roster.Member) error {
	u, err := t.User(m.UserID)
	if err != nil {
		return err
	}
	return t.createMember(m, u)
}

// createMember stores m, a membership of u.
func (t *tx) createMember(m *roster.Member, u *roster.User) error {
	name, login := m.Shown(u)
	_, err := t.exec(`INSERT INTO members (account_id, user_id, role, role_order, status,
			invited_at, invited_by, joined_at, name_key, email_key, last_login_at, email, name)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.AccountID, m.UserID, m.Role, m.RoleOrder, string(m.Status),
		optMicros(m.InvitedAt), m.InvitedBy, optMicros(m.JoinedAt),
		roster.NameKey(name), roster.EmailKey(u.Email), optMicros(login), u.Email, name)
	if err := insertError("create member", err, "This user is already a member of the account.", errAccountNotFound); err != nil {
		return err
	}
	return t.insertWords(m.AccountID, m.UserID, name)
}

func (t *tx) SetMemberName(account, user, name string) error {
	if err := t.execOne("set member name", errMemberNotFound, `UPDATE members SET name_key = ?, name = ?
		WHERE account_id = ? AND user_id = ?`, roster.NameKey(name), name, account, user); err != nil {
		return err
	}
	return t.reindexWords(account, user, name)
}

func (t *tx) ShowUser(account, user string) error {
	u, err := t.User(user)
	if err != nil {
		return err
	}
	if err := t.execOne("show user", errMemberNotFound, `UPDATE members SET name_key = ?, name = ?, last_login_at = ?
		WHERE account_id = ? AND user_id = ?`, roster.NameKey(u.Name), u.Name, optMicros(u.LastLoginAt), account, user); err != nil {
		return err
	}
	return t.reindexWords(account, user, u.Name)
}

// memberColumns are what scanMember reads, from members m left-joined with
// invitations i. Only a pending member's invitation is looked up: the
// join's first term needs no row of invitations.
const memberColumns = `m.account_id, m.user_id, m.email, m.name, m.role, m.role_order, m.status,
	m.last_login_at, m.invited_at, m.invited_by, m.joined_at, i.expires_at, i.last_error`

const memberFrom = ` FROM members m` + invitationJoin

const invitationJoin = `
	LEFT JOIN invitations i ON m.status = 'pending' AND i.account_id = m.account_id AND i.user_id = m.user_id`

func scanMember(row interface{ Scan(...any) error }) (*roster.Member, error) {
	var m roster.Member
	var status string
	var lastLogin, invitedAt, joinedAt int64
	var expires *int64
	var invErr *string
	if err := row.Scan(&m.AccountID, &m.UserID, &m.Email, &m.Name, &m.Role, &m.RoleOrder, &status,
		&lastLogin, &invitedAt, &m.InvitedBy, &joinedAt, &expires, &invErr); err != nil {
		return nil, err
	}
	m.Status = roster.Status(status)
	m.LastLoginAt = optTime(lastLogin)
	m.InvitedAt = optTime(invitedAt)
	m.JoinedAt = optTime(joinedAt)
	// The invitation shows only while the member is pending: an activated
	// member's old invitation row, if one is left, means nothing.
	if m.Status == roster.StatusPending && expires != nil {
		m.InvitationExpiresAt = optTime(*expires)
		if invErr != nil {
			m.InvitationError = *invErr
		}
	}
	m.ProfileRoles = map[string]string{}
	return &m, nil
}

func (t *tx) Member(account, user string) (*roster.Member, error) {
	m, err := scanMember(t.queryRow(`SELECT `+memberColumns+memberFrom+
		` WHERE m.account_id = ? AND m.user_id = ?`, account, user))
	if err := rowError("member", err, errMemberNotFound); err != nil {
		return nil, err
	}
	if err := t.loadProfileRoles(account, []*roster.Member{m}); err != nil {
		return nil, err
	}
	return m, nil
}

// MembersByUser reads the memberships in one statement and their profile
// roles in another, the users passed as one JSON array (jsonKeys).
func (t *tx) MembersByUser(account string, users []string) (map[string]*roster.Member, error) {
	out := make(map[string]*roster.Member, len(users))
	list, ok := jsonKeys(users)
	if !ok {
		return out, nil
	}
	rows, err := t.query(`SELECT `+memberColumns+memberFrom+
		` WHERE m.account_id = ? AND m.user_id IN (SELECT value FROM json_each(?))`, account, list)
	if err != nil {
		return nil, fmt.Errorf("sqlite: members by user: %w", err)
	}
	defer rows.Close()
	var members []*roster.Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: members by user: %w", err)
		}
		members = append(members, m)
		out[m.UserID] = m
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: members by user: %w", err)
	}
	rows.Close()
	if err := t.loadProfileRoles(account, members); err != nil {
		return nil, err
	}
	return out, nil
}

// loadProfileRoles fills in the ProfileRoles of members of one account, in
// one statement, the users passed as one JSON array (jsonKeys).
func (t *tx) loadProfileRoles(account string, members []*roster.Member) error {
	byUser := make(map[string]*roster.Member, len(members))
	ids := make([]string, len(members))
	for i, m := range members {
		byUser[m.UserID] = m
		ids[i] = m.UserID
	}
	list, ok := jsonKeys(ids)
	if !ok {
		return nil
	}
	rows, err := t.query(`SELECT user_id, profile, role FROM profile_roles
		WHERE account_id = ? AND user_id IN (SELECT value FROM json_each(?))`, account, list)
	if err != nil {
		return fmt.Errorf("sqlite: profile roles: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var user, profile, role string
		if err := rows.Scan(&user, &profile, &role); err != nil {
			return fmt.Errorf("sqlite: profile roles: %w", err)
		}
		if m := byUser[user]; m != nil {
			m.ProfileRoles[profile] = role
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: profile roles: %w", err)
	}
	return nil
}

// memberExists returns not_found unless the membership exists.
func (t *tx) memberExists(account, user string) error {
	var one int
	err := t.queryRow(`SELECT 1 FROM members WHERE account_id = ? AND user_id = ?`, account, user).Scan(&one)
	return rowError("member", err, errMemberNotFound)
}

func (t *tx) UpdateMember(m *roster.Member) error {
	return t.execOne("update member", errMemberNotFound,
		`UPDATE members SET role = ?, role_order = ?, status = ?, joined_at = ? WHERE account_id = ? AND user_id = ?`,
		m.Role, m.RoleOrder, string(m.Status), optMicros(m.JoinedAt), m.AccountID, m.UserID)
}

// DeleteMember deletes the membership; its name words, invitation and
// profile roles go with it by ON DELETE CASCADE, its API tokens explicitly.
func (t *tx) DeleteMember(account, user string) error {
	if err := t.execOne("delete member", errMemberNotFound,
		`DELETE FROM members WHERE account_id = ? AND user_id = ?`, account, user); err != nil {
		return err
	}
	if _, err := t.exec(`DELETE FROM api_tokens WHERE account_id = ? AND user_id = ?`, account, user); err != nil {
		return fmt.Errorf("sqlite: delete member's tokens: %w", err)
	}
	return nil
}

func (t *tx) CountMembers(account string, f roster.MemberFilter) (int, error) {
	var n int
	var err error
	switch role, status := f.Role, f.Status; {
	case role != "" && status != "":
		err = t.queryRow(`SELECT COUNT(*) FROM members WHERE account_id = ? AND role_order = ? AND status = ?`,
			account, f.RoleOrder, string(status)).Scan(&n)
	case role != "":
		err = t.queryRow(`SELECT COUNT(*) FROM members WHERE account_id = ? AND role_order = ?`, account, f.RoleOrder).Scan(&n)
	case status != "":
		err = t.queryRow(`SELECT COUNT(*) FROM members WHERE account_id = ? AND status = ?`, account, string(status)).Scan(&n)
	default:
		err = t.queryRow(`SELECT COUNT(*) FROM members WHERE account_id = ?`, account).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: count members: %w", err)
	}
	return n, nil
}

func (t *tx) Memberships(user string) ([]roster.Membership, error) {
	rows, err := t.query(`SELECT a.id, a.name, m.role, m.status
		FROM members m JOIN accounts a ON a.id = m.account_id
		WHERE m.user_id = ?
		ORDER BY a.name, a.id`, user)
	if err != nil {
		return nil, fmt.Errorf("sqlite: memberships: %w", err)
	}
	defer rows.Close()
	var out []roster.Membership
	for rows.Next() {
		var ms roster.Membership
		var status string
		if err := rows.Scan(&ms.AccountID, &ms.AccountName, &ms.Role, &status); err != nil {
			return nil, fmt.Errorf("sqlite: memberships: %w", err)
		}
		ms.Status = roster.Status(status)
		out = append(out, ms)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: memberships: %w", err)
	}
	return out, nil
}
