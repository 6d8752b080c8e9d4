package sqlite

import (
	"fmt"
	"time"

	"github.com/rosterhq/roster"
)

func (t *tx) CreateSession(s *roster.Session) error {
	_, err := t.exec(`INSERT INTO sessions (id, user_id, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?)`,
		s.ID, s.UserID, micros(s.CreatedAt), micros(s.ExpiresAt), micros(s.LastSeenAt))
	return insertError("create session", err, "A session with this id already exists.", errUserNotFound)
}

func (t *tx) Session(id string) (*roster.Session, error) {
	s := roster.Session{ID: id}
	var created, expires, seen int64
	err := t.queryRow(`SELECT user_id, created_at, expires_at, last_seen_at FROM sessions WHERE id = ?`, id).
		Scan(&s.UserID, &created, &expires, &seen)
	if err := rowError("session", err, errSessionNotFound); err != nil {
		return nil, err
	}
	s.CreatedAt, s.ExpiresAt, s.LastSeenAt = fromMicros(created), fromMicros(expires), fromMicros(seen)
	return &s, nil
}

func (t *tx) TouchSession(id string, seen, expires time.Time) error {
	return t.execOne("touch session", errSessionNotFound,
		`UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?`, micros(seen), micros(expires), id)
}

func (t *tx) DeleteSession(id string) error {
	return t.execOne("delete session", errSessionNotFound, `DELETE FROM sessions WHERE id = ?`, id)
}

func (t *tx) DeleteUserSessions(user, except string) (int, error) {
	res, err := t.exec(`DELETE FROM sessions WHERE user_id = ? AND id <> ?`, user, except)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete user sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete user sessions: %w", err)
	}
	return int(n), nil
}

const tokenColumns = `id, user_id, account_id, name, hash, created_at, expires_at, last_used_at`

func (t *tx) CreateAPIToken(k *roster.APIToken) error {
	_, err := t.exec(`INSERT INTO api_tokens (`+tokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.UserID, k.AccountID, k.Name, k.Hash, micros(k.CreatedAt), optMicros(k.ExpiresAt), optMicros(k.LastUsedAt))
	return insertError("create api token", err, "An API token with this id already exists.",
		roster.Errorf(roster.CodeNotFound, "The token's user or account was not found."))
}

func scanToken(row interface{ Scan(...any) error }) (*roster.APIToken, error) {
	var k roster.APIToken
	var created, expires, used int64
	if err := row.Scan(&k.ID, &k.UserID, &k.AccountID, &k.Name, &k.Hash, &created, &expires, &used); err != nil {
		return nil, err
	}
	k.CreatedAt = fromMicros(created)
	k.ExpiresAt = optTime(expires)
	k.LastUsedAt = optTime(used)
	return &k, nil
}

func (t *tx) APITokenByHash(hash string) (*roster.APIToken, error) {
	k, err := scanToken(t.queryRow(`SELECT `+tokenColumns+` FROM api_tokens WHERE hash = ?`, hash))
	if err := rowError("api token", err, errTokenNotFound); err != nil {
		return nil, err
	}
	return k, nil
}

func (t *tx) APITokens(user string) ([]*roster.APIToken, error) {
	rows, err := t.query(`SELECT `+tokenColumns+` FROM api_tokens WHERE user_id = ?
		ORDER BY created_at DESC, id DESC`, user)
	if err != nil {
		return nil, fmt.Errorf("sqlite: api tokens: %w", err)
	}
	defer rows.Close()
	var out []*roster.APIToken
	for rows.Next() {
		k, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: api tokens: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: api tokens: %w", err)
	}
	return out, nil
}

func (t *tx) DeleteAPIToken(user, id string) error {
	return t.execOne("delete api token", errTokenNotFound,
		`DELETE FROM api_tokens WHERE user_id = ? AND id = ?`, user, id)
}

func (t *tx) TouchAPIToken(id string, used time.Time) error {
	_, err := t.exec(`UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND last_used_at < ?`, micros(used), id, micros(used))
	if err != nil {
		return fmt.Errorf("sqlite: touch api token: %w", err)
	}
	return nil
}

func (t *tx) CreatePasswordReset(r *roster.PasswordReset) error {
	_, err := t.exec(`INSERT INTO password_resets (hash, user_id, expires_at) VALUES (?, ?, ?)`,
		r.Hash, r.UserID, micros(r.ExpiresAt))
	return insertError("create password reset", err, "This reset token is already in use.", errUserNotFound)
}

func (t *tx) PasswordResetByHash(hash string) (*roster.PasswordReset, error) {
	r := roster.PasswordReset{Hash: hash}
	var expires int64
	err := t.queryRow(`SELECT user_id, expires_at FROM password_resets WHERE hash = ?`, hash).Scan(&r.UserID, &expires)
	if err := rowError("password reset", err, errResetNotFound); err != nil {
		return nil, err
	}
	r.ExpiresAt = fromMicros(expires)
	return &r, nil
}

func (t *tx) DeletePasswordResets(user string) error {
	if _, err := t.exec(`DELETE FROM password_resets WHERE user_id = ?`, user); err != nil {
		return fmt.Errorf("sqlite: delete password resets: %w", err)
	}
	return nil
}

// sweeps are Sweep's statements, each deleting up to a limit of the rows
// older than an instant, found through an index on their age
// (TestSweepReadsWhatItDeletes): the outbox's by name, or SQLite, without
// statistics, would read every sent email through outbox_due's status.
var sweeps = []struct {
	sql string
	age func(now time.Time) time.Time
}{
	{`DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions INDEXED BY sessions_by_expiry WHERE expires_at <= ? LIMIT ?)`,
		func(now time.Time) time.Time { return now }},
	{`DELETE FROM password_resets WHERE rowid IN (SELECT rowid FROM password_resets INDEXED BY password_resets_by_expiry WHERE expires_at <= ? LIMIT ?)`,
		func(now time.Time) time.Time { return now }},
	{`DELETE FROM attempts WHERE rowid IN (SELECT rowid FROM attempts INDEXED BY attempts_by_age WHERE updated_at <= ? LIMIT ?)`,
		func(now time.Time) time.Time { return now.Add(-roster.AttemptsKept) }},
	{`DELETE FROM outbox WHERE rowid IN (SELECT rowid FROM outbox INDEXED BY outbox_done
			WHERE status IN ('sent', 'failed') AND created_at <= ? LIMIT ?)`,
		func(now time.Time) time.Time { return now.Add(-roster.MessagesKept) }},
}

func (t *tx) Sweep(now time.Time, limit int) (int64, error) {
	var n int64
	for _, q := range sweeps {
		res, err := t.exec(q.sql, micros(q.age(now)), limit)
		if err != nil {
			return n, fmt.Errorf("sqlite: sweep: %w", err)
		}
		k, _ := res.RowsAffected()
		n += k
	}
	return n, nil
}

func (t *tx) DeletePasswordReset(hash string) error {
	if _, err := t.exec(`DELETE FROM password_resets WHERE hash = ?`, hash); err != nil {
		return fmt.Errorf("sqlite: delete password reset: %w", err)
	}
	return nil
}

func (t *tx) PrunePasswordResets(user string, now time.Time) (int, error) {
	if _, err := t.exec(`DELETE FROM password_resets WHERE user_id = ? AND expires_at <= ?`, user, micros(now)); err != nil {
		return 0, fmt.Errorf("sqlite: prune password resets: %w", err)
	}
	var n int
	if err := t.queryRow(`SELECT count(*) FROM password_resets WHERE user_id = ?`, user).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count password resets: %w", err)
	}
	return n, nil
}
