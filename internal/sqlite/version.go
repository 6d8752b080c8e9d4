package sqlite

import "context"

// AccountVersion returns the account's version: one indexed read outside
// any transaction, on the check path's every request.
func (s *Store) AccountVersion(ctx context.Context, account string) (int64, error) {
	var v int64
	err := s.reader.QueryRowContext(ctx, `SELECT version FROM accounts WHERE id = ?`, account).Scan(&v)
	return v, rowError("account version", err, errAccountNotFound)
}
