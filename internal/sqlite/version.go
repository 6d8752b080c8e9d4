package sqlite

import (
	"context"

	"github.com/rosterhq/roster"
)

const (
	versionQuery      = `SELECT version FROM accounts WHERE id = ?`
	tokenVersionQuery = `SELECT t.id, t.user_id, t.account_id, t.name, t.hash,
		t.created_at, t.expires_at, t.last_used_at, a.version
		FROM api_tokens t JOIN accounts a ON a.id = t.account_id WHERE t.hash = ?`
)

// AccountVersion returns the account's version: one indexed read outside
// any transaction, on the check path's every request.
func (s *Store) AccountVersion(ctx context.Context, account string) (int64, error) {
	var v int64
	err := s.versionStmt.QueryRowContext(ctx, account).Scan(&v)
	return v, rowError("account version", err, errAccountNotFound)
}

func (s *Store) APITokenVersion(ctx context.Context, hash string) (*roster.APIToken, int64, error) {
	var k roster.APIToken
	var created, expires, used, version int64
	err := s.tokenStmt.QueryRowContext(ctx, hash).Scan(&k.ID, &k.UserID, &k.AccountID, &k.Name, &k.Hash, &created, &expires, &used, &version)
	if err := rowError("api token", err, errTokenNotFound); err != nil {
		return nil, 0, err
	}
	k.CreatedAt = fromMicros(created)
	k.ExpiresAt = optTime(expires)
	k.LastUsedAt = optTime(used)
	return &k, version, nil
}
