package postgres

import (
	"errors"
	"fmt"
	"math"

	"github.com/rosterhq/roster"
)

func (t *tx) AppendAudit(e *roster.AuditEvent) error {
	before, after, err := eventJSON(e)
	if err != nil {
		return err
	}
	err = t.queryRow(`INSERT INTO audit_events (account_id, at, actor, action, target, before, after, ip)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		e.AccountID, ts(e.At), e.Actor, e.Action, e.Target, before, after, e.IP).Scan(&e.ID)
	return writeError("append audit", err, "", nil)
}

// eventJSON encodes the event's before and after maps for their json
// columns; a nil map is NULL.
func eventJSON(e *roster.AuditEvent) (before, after []byte, err error) {
	if before, err = encodeMap(e.Before); err == nil {
		after, err = encodeMap(e.After)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: append audit: %w", err)
	}
	return before, after, nil
}

// ListAudit pages by id. Ids come from an identity sequence: they never
// repeat, and the account write lock orders the events of one account.
func (t *tx) ListAudit(account string, after *roster.AuditCursor, limit int) (*roster.AuditPage, error) {
	if limit < 1 || limit > roster.MaxPageSize {
		return nil, roster.Invalid("limit", "The page size must be between 1 and %d.", roster.MaxPageSize)
	}
	before := int64(math.MaxInt64)
	if after != nil {
		before = after.BeforeID
	}
	page := &roster.AuditPage{}
	rows, err := t.query(`SELECT id, account_id, at, actor, action, target, before, after, ip
		FROM audit_events WHERE account_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, account, before, limit+1)
	if errors.Is(err, errUnstorable) {
		return page, nil
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: list audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e roster.AuditEvent
		var beforeJSON, afterJSON []byte
		if err := rows.Scan(&e.ID, &e.AccountID, &e.At, &e.Actor, &e.Action, &e.Target, &beforeJSON, &afterJSON, &e.IP); err != nil {
			return nil, fmt.Errorf("postgres: list audit: %w", err)
		}
		e.At = utc(e.At)
		if e.Before, err = decodeMap(beforeJSON); err != nil {
			return nil, fmt.Errorf("postgres: list audit: %w", err)
		}
		if e.After, err = decodeMap(afterJSON); err != nil {
			return nil, fmt.Errorf("postgres: list audit: %w", err)
		}
		page.Items = append(page.Items, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list audit: %w", err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.Next = &roster.AuditCursor{BeforeID: page.Items[limit-1].ID}
	}
	return page, nil
}
