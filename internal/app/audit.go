package app

import (
	"context"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/policy"
)

// Audit returns a page of the account's audit log, newest first (needs audit.read).
func (a *App) Audit(ctx context.Context, p roster.Principal, accountID, cursor string, limit int) (*roster.AuditPage, error) {
	switch {
	case limit == 0:
		limit = roster.DefaultPageSize
	case limit < 1 || limit > roster.MaxPageSize:
		return nil, roster.Invalid("limit", "limit must be between 1 and %d.", roster.MaxPageSize)
	}
	var after *roster.AuditCursor
	if cursor != "" {
		c, err := roster.DecodeAuditCursor(cursor)
		if err != nil {
			return nil, err
		}
		after = &c
	}
	var out *roster.AuditPage
	err := a.readAccount(ctx, p, accountID, func(tx roster.Tx, acc *roster.Account, me *roster.Member) error {
		if err := decide(acc.Catalog, policy.Request{Action: policy.ActionReadAudit, Actor: me.Policy()}); err != nil {
			return err
		}
		var err error
		out, err = tx.ListAudit(accountID, after, limit)
		return err
	})
	return out, err
}
