package postgres

import (
	"errors"
	"fmt"
	"time"

	"github.com/rosterhq/roster"
)

func (t *tx) CreateSession(s *roster.Session) error {
	return t.insert("create session", "A session with this id already exists.", errUserNotFound,
		`SELECT 1 FROM sessions WHERE id = $1`, []any{s.ID},
		`INSERT INTO sessions (id, user_id, created_at, expires_at, last_seen_at)
		SELECT $1::text, $2::text, $3::timestamptz, $4::timestamptz, $5::timestamptz WHERE EXISTS (SELECT 1 FROM users WHERE id = $2)
		ON CONFLICT DO NOTHING`,
		s.ID, s.UserID, ts(s.CreatedAt), ts(s.ExpiresAt), ts(s.LastSeenAt))
}

func (t *tx) Session(id string) (*roster.Session, error) {
	s := roster.Session{ID: id}
	err := t.queryRow(`SELECT user_id, created_at, expires_at, last_seen_at FROM sessions WHERE id = $1`, id).
		Scan(&s.UserID, &s.CreatedAt, &s.ExpiresAt, &s.LastSeenAt)
	if err := rowError("session", err, errSessionNotFound); err != nil {
		return nil, err
	}
	s.CreatedAt, s.ExpiresAt, s.LastSeenAt = utc(s.CreatedAt), utc(s.ExpiresAt), utc(s.LastSeenAt)
	return &s, nil
}

func (t *tx) TouchSession(id string, seen, expires time.Time) error {
	return t.execOne("touch session", errSessionNotFound,
		`UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id = $3`, ts(seen), ts(expires), id)
}

func (t *tx) DeleteSession(id string) error {
	return t.execOne("delete session", errSessionNotFound, `DELETE FROM sessions WHERE id = $1`, id)
}

func (t *tx) DeleteUserSessions(user, except string) (int, error) {
	if !storable(except) {
		except = "" // no session has this id, so none is spared
	}
	tag, err := t.exec(`DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, user, except)
	if errors.Is(err, errUnstorable) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: delete user sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

const tokenColumns = `id, user_id, account_id, name, hash, created_at, expires_at, last_used_at`

func (t *tx) CreateAPIToken(k *roster.APIToken) error {
	return t.insert("create api token", "An API token with this id already exists.",
		roster.Errorf(roster.CodeNotFound, "The token's user or account was not found."),
		`SELECT 1 FROM api_tokens WHERE id = $1 OR hash = $2`, []any{k.ID, k.Hash},
		`INSERT INTO api_tokens (`+tokenColumns+`)
		SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::timestamptz, $7::timestamptz, $8::timestamptz
		WHERE EXISTS (SELECT 1 FROM users WHERE id = $2) AND EXISTS (SELECT 1 FROM accounts WHERE id = $3)
		ON CONFLICT DO NOTHING`,
		k.ID, k.UserID, k.AccountID, k.Name, k.Hash, ts(k.CreatedAt), optTS(k.ExpiresAt), optTS(k.LastUsedAt))
}

func scanToken(row interface{ Scan(...any) error }) (*roster.APIToken, error) {
	var k roster.APIToken
	if err := row.Scan(&k.ID, &k.UserID, &k.AccountID, &k.Name, &k.Hash, &k.CreatedAt, &k.ExpiresAt, &k.LastUsedAt); err != nil {
		return nil, err
	}
	k.CreatedAt = utc(k.CreatedAt)
	k.ExpiresAt = optUTC(k.ExpiresAt)
	k.LastUsedAt = optUTC(k.LastUsedAt)
	return &k, nil
}

func (t *tx) APITokenByHash(hash string) (*roster.APIToken, error) {
	k, err := scanToken(t.queryRow(`SELECT `+tokenColumns+` FROM api_tokens WHERE hash = $1`, hash))
	if err := rowError("api token", err, errTokenNotFound); err != nil {
		return nil, err
	}
	return k, nil
}

func (t *tx) APITokens(user string) ([]*roster.APIToken, error) {
	rows, err := t.query(`SELECT `+tokenColumns+` FROM api_tokens WHERE user_id = $1
		ORDER BY created_at DESC, id DESC`, user)
	if errors.Is(err, errUnstorable) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: api tokens: %w", err)
	}
	defer rows.Close()
	var out []*roster.APIToken
	for rows.Next() {
		k, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: api tokens: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: api tokens: %w", err)
	}
	return out, nil
}

func (t *tx) DeleteAPIToken(user, id string) error {
	return t.execOne("delete api token", errTokenNotFound,
		`DELETE FROM api_tokens WHERE user_id = $1 AND id = $2`, user, id)
}

func (t *tx) TouchAPIToken(id string, used time.Time) error {
	_, err := t.exec(`UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)`, ts(used), id)
	if err != nil {
		return fmt.Errorf("postgres: touch api token: %w", err)
	}
	return nil
}

func (t *tx) CreatePasswordReset(r *roster.PasswordReset) error {
	return t.insert("create password reset", "This reset token is already in use.", errUserNotFound,
		`SELECT 1 FROM password_resets WHERE hash = $1`, []any{r.Hash},
		`INSERT INTO password_resets (hash, user_id, expires_at)
		SELECT $1::text, $2::text, $3::timestamptz WHERE EXISTS (SELECT 1 FROM users WHERE id = $2)
		ON CONFLICT DO NOTHING`,
		r.Hash, r.UserID, ts(r.ExpiresAt))
}

func (t *tx) PasswordResetByHash(hash string) (*roster.PasswordReset, error) {
	r := roster.PasswordReset{Hash: hash}
	err := t.queryRow(`SELECT user_id, expires_at FROM password_resets WHERE hash = $1`, hash).Scan(&r.UserID, &r.ExpiresAt)
	if err := rowError("password reset", err, errResetNotFound); err != nil {
		return nil, err
	}
	r.ExpiresAt = utc(r.ExpiresAt)
	return &r, nil
}

func (t *tx) DeletePasswordResets(user string) error {
	if _, err := t.exec(`DELETE FROM password_resets WHERE user_id = $1`, user); err != nil && !errors.Is(err, errUnstorable) {
		return fmt.Errorf("postgres: delete password resets: %w", err)
	}
	return nil
}

// sweeps are Sweep's statements, each deleting up to a limit of the rows
// older than an instant, found through an index on their age
// (TestSweepReadsWhatItDeletes).
var sweeps = []struct {
	sql string
	age func(now time.Time) time.Time
}{
	{`DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at <= $1 LIMIT $2)`,
		func(now time.Time) time.Time { return now }},
	{`DELETE FROM password_resets WHERE hash IN (SELECT hash FROM password_resets WHERE expires_at <= $1 LIMIT $2)`,
		func(now time.Time) time.Time { return now }},
	{`DELETE FROM attempts WHERE key IN (SELECT key FROM attempts WHERE updated_at <= $1 LIMIT $2)`,
		func(now time.Time) time.Time { return now.Add(-roster.AttemptsKept) }},
	{`DELETE FROM outbox WHERE id IN (SELECT id FROM outbox
			WHERE status IN ('sent', 'failed') AND created_at <= $1 LIMIT $2)`,
		func(now time.Time) time.Time { return now.Add(-roster.MessagesKept) }},
}

func (t *tx) Sweep(now time.Time, limit int) (int64, error) {
	var n int64
	for _, q := range sweeps {
		tag, err := t.exec(q.sql, q.age(now), limit)
		if err != nil {
			return n, fmt.Errorf("postgres: sweep: %w", err)
		}
		n += tag.RowsAffected()
	}
	return n, nil
}

func (t *tx) DeletePasswordReset(hash string) error {
	if _, err := t.exec(`DELETE FROM password_resets WHERE hash = $1`, hash); err != nil && !errors.Is(err, errUnstorable) {
		return fmt.Errorf("postgres: delete password reset: %w", err)
	}
	return nil
}

func (t *tx) PrunePasswordResets(user string, now time.Time) (int, error) {
	var n int
	err := t.queryRow(`WITH pruned AS (DELETE FROM password_resets WHERE user_id = $1 AND expires_at <= $2)
		SELECT count(*) FROM password_resets WHERE user_id = $1 AND expires_at > $2`, user, now).Scan(&n)
	if errors.Is(err, errUnstorable) {
		return 0, nil // no user has such an id
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: prune password resets: %w", err)
	}
	return n, nil
}
