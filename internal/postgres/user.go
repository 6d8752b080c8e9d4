package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster"
)

const userColumns = `id, email, name, password_hash, last_login_at, created_at`

func (t *tx) CreateUser(u *roster.User) error {
	return t.insert("create user", "A user with this id or email address already exists.", nil, "", nil,
		`INSERT INTO users (id, email, email_key, name, password_hash, last_login_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT DO NOTHING`,
		u.ID, u.Email, roster.EmailKey(u.Email), u.Name, u.PasswordHash, optTS(u.LastLoginAt), ts(u.CreatedAt))
}

func (t *tx) User(id string) (*roster.User, error) {
	return scanUser(t.queryRow(`SELECT `+userColumns+` FROM users WHERE id = $1`, id))
}

// byKeys is the mode of a statement that looks rows up by a list of keys,
// of one or of thousands (a bulk invitation's): it is planned for its list
// on every call, as an unnamed statement. Cached, it would be planned once
// for any list after its first five calls, and when those included a
// bulk's thousands, PostgreSQL judged the generic plan, a sequential scan
// comparing each row with every key, cheaper than their average and kept
// it: 2.2 s for 9,900 emails among 30,000 users, and 1.3 ms for one.
const byKeys = pgx.QueryExecModeExec

// UsersByID reads every user in one statement (see usersIn). Ids that no
// row can hold are no user's.
func (t *tx) UsersByID(ids []string) (map[string]*roster.User, error) {
	keep := make([]string, 0, len(ids))
	for _, id := range ids {
		if storable(id) {
			keep = append(keep, id)
		}
	}
	return t.usersIn("id", keep, "", userID)
}

// sharedUsers reads existing users FOR SHARE, for a write that copies
// them into members (their email; their name and login, for a member who
// joins: ShowUser): a concurrent SetUserName, which updates the members it
// can see, then waits for this transaction (or this one for it), and no
// member keeps a name the user no longer has.
func (t *tx) sharedUsers(ids []string) (map[string]*roster.User, error) {
	return t.usersIn("id", ids, " FOR SHARE", userID)
}

func userID(u *roster.User) string { return u.ID }

// usersIn reads the users whose column is among keys, in one statement
// planned for its list (see byKeys), with lock, a locking clause or "",
// and returns them by key(user).
func (t *tx) usersIn(column string, keys []string, lock string, key func(*roster.User) string) (map[string]*roster.User, error) {
	out := make(map[string]*roster.User, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := t.query(`SELECT `+userColumns+` FROM users WHERE `+column+` = ANY($1)`+lock, byKeys, keys)
	if err != nil {
		return nil, fmt.Errorf("postgres: users by %s: %w", column, err)
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
		return nil, fmt.Errorf("postgres: users by %s: %w", column, err)
	}
	return out, nil
}

func (t *tx) UserByEmail(email string) (*roster.User, error) {
	return scanUser(t.queryRow(`SELECT `+userColumns+` FROM users WHERE email_key = $1`, roster.EmailKey(email)))
}

func (t *tx) UserByWrittenEmail(email string) (*roster.User, error) {
	return scanUser(t.queryRow(`SELECT `+userColumns+` FROM users WHERE email_key = $1`, roster.WrittenEmailKey(email)))
}

func scanUser(row interface{ Scan(...any) error }) (*roster.User, error) {
	var u roster.User
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.LastLoginAt, &u.CreatedAt)
	if err := rowError("user", err, errUserNotFound); err != nil {
		return nil, err
	}
	u.LastLoginAt = optUTC(u.LastLoginAt)
	u.CreatedAt = utc(u.CreatedAt)
	return &u, nil
}

// SetUserName renames the user and rewrites the copies of the name that the
// member lists show, sort and search by, in every account the user has
// joined; a pending membership keeps the name its inviter gave.
func (t *tx) SetUserName(userID, name string) error {
	if err := checkValues(name); err != nil {
		return err
	}
	if err := t.execOne("set user name", errUserNotFound, `UPDATE users SET name = $1 WHERE id = $2`, name, userID); err != nil {
		return err
	}
	// Pending memberships keep the name their inviter gave.
	if _, err := t.exec(`UPDATE members SET name_key = $1, name = $2 WHERE user_id = $3 AND status <> 'pending'`,
		roster.NameKey(name), name, userID); err != nil {
		return fmt.Errorf("postgres: set user name: %w", err)
	}
	// Per membership, so that both statements find the words by
	// member_words_by_member.
	if _, err := t.exec(`DELETE FROM member_words w USING members m
		WHERE m.user_id = $1 AND m.status <> 'pending' AND w.account_id = m.account_id AND w.user_id = m.user_id`, userID); err != nil {
		return fmt.Errorf("postgres: set user name: %w", err)
	}
	if _, err := t.exec(`INSERT INTO member_words (account_id, word, name_key, user_id)
		SELECT m.account_id, w.word, m.name_key, m.user_id FROM members m, unnest($2::text[]) AS w (word)
		WHERE m.user_id = $1 AND m.status <> 'pending'`, userID, roster.IndexedWords(name)); err != nil {
		return fmt.Errorf("postgres: index member name: %w", err)
	}
	return nil
}

// insertWords indexes the words of a member's name for search, each with
// the name's sort key (members.name_key), so that the members with one word
// are a range already in name order.
func (t *tx) insertWords(account, userID, name string) error {
	words := roster.IndexedWords(name)
	if len(words) == 0 {
		return nil
	}
	if _, err := t.exec(`INSERT INTO member_words (account_id, word, name_key, user_id)
		SELECT $1::text, w.word, $3::text, $4::text FROM unnest($2::text[]) AS w (word)`,
		account, words, roster.NameKey(name), userID); err != nil {
		return fmt.Errorf("postgres: index member name: %w", err)
	}
	return nil
}

func (t *tx) SetUserPassword(userID, old, hash string) error {
	if err := checkValues(hash); err != nil {
		return err
	}
	if !storable(userID) || !storable(old) {
		return errUserNotFound
	}
	tag, err := t.exec(`UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3`, hash, userID, old)
	if err != nil {
		return fmt.Errorf("postgres: set user password: %w", err)
	}
	if tag.RowsAffected() == 1 {
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
	if err := t.execOne("set last login", errUserNotFound, `UPDATE users SET last_login_at = $1 WHERE id = $2`, ts(at), userID); err != nil {
		return err
	}
	// Pending memberships show no login (roster.Member.Shown).
	if _, err := t.exec(`UPDATE members SET last_login_at = $1 WHERE user_id = $2 AND status <> 'pending'`, loginKey(&at), userID); err != nil {
		return fmt.Errorf("postgres: set last login: %w", err)
	}
	return nil
}
