package sqlite

import (
	"fmt"
	"time"

	"github.com/rosterhq/roster"
)

const userColumns = `id, email, name, password_hash, last_login_at, created_at`

func (t *tx) CreateUser(u *roster.User) error {
	_, err := t.exec(`INSERT INTO users (id, email, email_key, name, password_hash, last_login_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Email, roster.EmailKey(u.Email), u.Name, u.PasswordHash, optMicros(u.LastLoginAt), micros(u.CreatedAt))
	return insertError("create user", err, "A user with this id or email address already exists.", nil)
}

func (t *tx) User(id string) (*roster.User, error) {
	return scanUser(t.queryRow(`SELECT `+userColumns+` FROM users WHERE id = ?`, id))
}

func (t *tx) UserByEmail(email string) (*roster.User, error) {
	return scanUser(t.queryRow(`SELECT `+userColumns+` FROM users WHERE email_key = ?`, roster.EmailKey(email)))
}

func (t *tx) UserByWrittenEmail(email string) (*roster.User, error) {
	return scanUser(t.queryRow(`SELECT `+userColumns+` FROM users WHERE email_key = ?`, roster.WrittenEmailKey(email)))
}

func scanUser(row interface{ Scan(...any) error }) (*roster.User, error) {
	var u roster.User
	var lastLogin, created int64
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &lastLogin, &created)
	if err := rowError("user", err, errUserNotFound); err != nil {
		return nil, err
	}
	u.LastLoginAt = optTime(lastLogin)
	u.CreatedAt = fromMicros(created)
	return &u, nil
}

// SetUserName renames the user and rewrites the copies of the name that the
// member lists show, sort and search by, in every account the user has
// joined; a pending membership keeps the name its inviter gave.
func (t *tx) SetUserName(userID, name string) error {
	if err := t.execOne("set user name", errUserNotFound, `UPDATE users SET name = ? WHERE id = ?`, name, userID); err != nil {
		return err
	}
	// Pending memberships keep the name their inviter gave.
	if _, err := t.exec(`UPDATE members SET name_key = ?, name = ? WHERE user_id = ? AND status <> 'pending'`,
		roster.NameKey(name), name, userID); err != nil {
		return fmt.Errorf("sqlite: set user name: %w", err)
	}
	accounts, err := t.userAccounts(userID)
	if err != nil {
		return err
	}
	for _, account := range accounts {
		if err := t.reindexWords(account, userID, name); err != nil {
			return err
		}
	}
	return nil
}

// reindexWords replaces the name words of a membership.
func (t *tx) reindexWords(account, userID, name string) error {
	if _, err := t.exec(`DELETE FROM member_words WHERE account_id = ? AND user_id = ?`, account, userID); err != nil {
		return fmt.Errorf("sqlite: index member name: %w", err)
	}
	return t.insertWords(account, userID, name)
}

// userAccounts returns the ids of the accounts the user has joined (is an
// active or disabled member of).
func (t *tx) userAccounts(userID string) ([]string, error) {
	rows, err := t.query(`SELECT account_id FROM members WHERE user_id = ? AND status <> 'pending'`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: user accounts: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlite: user accounts: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: user accounts: %w", err)
	}
	return out, nil
}

// insertWords indexes the words of a member's name for search, each with
// the name's sort key (members.name_key), so that the members with one word
// are a range already in name order.
func (t *tx) insertWords(account, userID, name string) error {
	for _, w := range roster.IndexedWords(name) {
		if _, err := t.exec(`INSERT INTO member_words (account_id, word, name_key, user_id) VALUES (?, ?, ?, ?)`,
			account, w, roster.NameKey(name), userID); err != nil {
			return fmt.Errorf("sqlite: index member name: %w", err)
		}
	}
	return nil
}

func (t *tx) SetUserPassword(userID, old, hash string) error {
	res, err := t.exec(`UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?`, hash, userID, old)
	if err != nil {
		return fmt.Errorf("sqlite: set user password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	if _, err := t.User(userID); err != nil {
		return err
	}
	return errPasswordChanged
}

// SetLastLogin records the login on the user and on the copies the member
// lists sort by.
func (t *tx) SetLastLogin(userID string, at time.Time) error {
	if err := t.execOne("set last login", errUserNotFound, `UPDATE users SET last_login_at = ? WHERE id = ?`, micros(at), userID); err != nil {
		return err
	}
	// Pending memberships show no login (roster.Member.Shown).
	if _, err := t.exec(`UPDATE members SET last_login_at = ? WHERE user_id = ? AND status <> 'pending'`, micros(at), userID); err != nil {
		return fmt.Errorf("sqlite: set last login: %w", err)
	}
	return nil
}
