package postgres

import (
	"context"

	"github.com/rosterhq/roster"
)

// AccountVersion returns the account's version: one indexed read outside
// any transaction, on the check path's every request.
func (s *Store) AccountVersion(ctx context.Context, account string) (int64, error) {
	if !storable(account) {
		return 0, errAccountNotFound
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var v int64
	err := s.pool.QueryRow(ctx, `SELECT version FROM account_versions WHERE account_id = $1`, account).Scan(&v)
	return v, rowError("account version", err, errAccountNotFound)
}

func (s *Store) APITokenVersion(ctx context.Context, hash string) (*roster.APIToken, int64, error) {
	if !storable(hash) {
		return nil, 0, errTokenNotFound
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var k roster.APIToken
	var version int64
	err := s.pool.QueryRow(ctx, `SELECT t.id, t.user_id, t.account_id, t.name, t.hash,
		t.created_at, t.expires_at, t.last_used_at, v.version
		FROM api_tokens t JOIN account_versions v ON v.account_id = t.account_id WHERE t.hash = $1`, hash).
		Scan(&k.ID, &k.UserID, &k.AccountID, &k.Name, &k.Hash, &k.CreatedAt, &k.ExpiresAt, &k.LastUsedAt, &version)
	if err := rowError("api token", err, errTokenNotFound); err != nil {
		return nil, 0, err
	}
	k.CreatedAt = utc(k.CreatedAt)
	k.ExpiresAt = optUTC(k.ExpiresAt)
	k.LastUsedAt = optUTC(k.LastUsedAt)
	return &k, version, nil
}
