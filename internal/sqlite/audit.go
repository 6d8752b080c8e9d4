package sqlite

import (
	"fmt"
	"math"

	"github.com/rosterhq/roster"
)

// eventJSON encodes the event's before and after maps for their columns;
// a nil map is NULL.
func eventJSON(e *roster.AuditEvent) (before, after any, err error) {
	if before, err = encodeMap(e.Before); err == nil {
		after, err = encodeMap(e.After)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: append audit: %w", err)
	}
	return before, after, nil
}

func (t *tx) AppendAudit(e *roster.AuditEvent) error {
	before, after, err := eventJSON(e)
	if err != nil {
		return err
	}
	res, err := t.exec(`INSERT INTO audit_events (account_id, at, actor, action, target, before, after, ip)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		e.AccountID, micros(e.At), e.Actor, e.Action, e.Target, before, after, e.IP)
	if err != nil {
		return fmt.Errorf("sqlite: append audit: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("sqlite: append audit: %w", err)
	}
	e.ID = id
	return nil
}

// ListAudit pages by id, which AUTOINCREMENT never reuses or lowers.
func (t *tx) ListAudit(account string, after *roster.AuditCursor, limit int) (*roster.AuditPage, error) {
	if limit < 1 || limit > roster.MaxPageSize {
		return nil, roster.Invalid("limit", "The page size must be between 1 and %d.", roster.MaxPageSize)
	}
	before := int64(math.MaxInt64)
	if after != nil {
		before = after.BeforeID
	}
	rows, err := t.query(`SELECT id, account_id, at, actor, action, target, before, after, ip
		FROM audit_events WHERE account_id = ? AND id < ? ORDER BY id DESC LIMIT ?`, account, before, limit+1)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list audit: %w", err)
	}
	defer rows.Close()
	page := &roster.AuditPage{}
	for rows.Next() {
		var e roster.AuditEvent
		var at int64
		var beforeJSON, afterJSON *string
		if err := rows.Scan(&e.ID, &e.AccountID, &at, &e.Actor, &e.Action, &e.Target, &beforeJSON, &afterJSON, &e.IP); err != nil {
			return nil, fmt.Errorf("sqlite: list audit: %w", err)
		}
		e.At = fromMicros(at)
		if e.Before, err = decodeMap(beforeJSON); err != nil {
			return nil, fmt.Errorf("sqlite: list audit: %w", err)
		}
		if e.After, err = decodeMap(afterJSON); err != nil {
			return nil, fmt.Errorf("sqlite: list audit: %w", err)
		}
		page.Items = append(page.Items, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list audit: %w", err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.Next = &roster.AuditCursor{BeforeID: page.Items[limit-1].ID}
	}
	return page, nil
}
