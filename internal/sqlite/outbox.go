package sqlite

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/rosterhq/roster"
)

const messageColumns = `id, kind, recipient, account_id, user_id, data, link, status, attempts,
	next_attempt_at, last_error, created_at, sent_at, claimed_until`

func scanMessage(row interface{ Scan(...any) error }) (*roster.Message, error) {
	var m roster.Message
	var data *string
	var next, created, sent, claimed int64
	if err := row.Scan(&m.ID, &m.Kind, &m.To, &m.AccountID, &m.UserID, &data, &m.Link, &m.Status, &m.Attempts,
		&next, &m.LastError, &created, &sent, &claimed); err != nil {
		return nil, err
	}
	var err error
	if m.Data, err = decodeMap(data); err != nil {
		return nil, err
	}
	m.NextAttemptAt = fromMicros(next)
	m.CreatedAt = fromMicros(created)
	m.SentAt = optTime(sent)
	m.ClaimedUntil = optTime(claimed)
	return &m, nil
}

// EnqueueMessage stores the message as pending whatever its Status says.
func (t *tx) EnqueueMessage(m *roster.Message) error {
	data, err := encodeMap(m.Data)
	if err != nil {
		return fmt.Errorf("sqlite: enqueue message: %w", err)
	}
	res, err := t.exec(`INSERT INTO outbox (kind, recipient, account_id, user_id, data, link, status, attempts,
			next_attempt_at, last_error, created_at, sent_at)
		VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, 0)`,
		m.Kind, m.To, m.AccountID, m.UserID, data, m.Link, m.Attempts,
		micros(m.NextAttemptAt), m.LastError, micros(m.CreatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: enqueue message: %w", err)
	}
	if m.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("sqlite: enqueue message: %w", err)
	}
	m.Status = roster.MessagePending
	m.SentAt = nil
	return nil
}

// ClaimMessages returns the claimed messages oldest due first.
func (t *tx) ClaimMessages(now time.Time, lease time.Duration, limit int) ([]*roster.Message, error) {
	if limit < 1 {
		return nil, nil
	}
	rows, err := t.query(`UPDATE outbox SET claimed_until = ?
		WHERE id IN (
			SELECT id FROM outbox
			WHERE status = 'pending' AND next_attempt_at <= ? AND claimed_until <= ?
			ORDER BY next_attempt_at, id LIMIT ?)
		RETURNING `+messageColumns,
		micros(now.Add(lease)), micros(now), micros(now), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim messages: %w", err)
	}
	defer rows.Close()
	var out []*roster.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: claim messages: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: claim messages: %w", err)
	}
	// RETURNING gives rows in no promised order.
	slices.SortFunc(out, func(a, b *roster.Message) int {
		return cmp.Or(a.NextAttemptAt.Compare(b.NextAttemptAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// messageMember returns the member a message is tied to, if any, and when
// the message was made.
func (t *tx) messageMember(id int64) (account, user string, created int64, err error) {
	err = t.queryRow(`SELECT account_id, user_id, created_at FROM outbox WHERE id = ?`, id).Scan(&account, &user, &created)
	return account, user, created, rowError("message", err, errMessageNotFound)
}

// setInvitationError records the delivery outcome of a message made at
// created on the member's invitation, if the message is tied to a member
// whose link was issued with it: a link and its email are made with the
// same instant, and the outcome of an older email says nothing of a newer
// link. The instants are compared for equality, not order, so that a newer
// link issued by an instance whose clock runs behind the older email's
// maker is not taken for an older one.
func (t *tx) setInvitationError(account, user string, created int64, errText string) error {
	if account == "" || user == "" {
		return nil
	}
	if _, err := t.exec(`UPDATE invitations SET last_error = ? WHERE account_id = ? AND user_id = ? AND sent_at = ?`,
		errText, account, user, created); err != nil {
		return fmt.Errorf("sqlite: set invitation error: %w", err)
	}
	return nil
}

func (t *tx) ReleaseMessage(id int64) error {
	return t.execOne("release message", errMessageNotFound,
		`UPDATE outbox SET claimed_until = 0 WHERE id = ?`, id)
}

func (t *tx) MarkMessageSent(id int64, at time.Time) error {
	account, user, created, err := t.messageMember(id)
	if err != nil {
		return err
	}
	if err := t.execOne("mark message sent", errMessageNotFound,
		`UPDATE outbox SET status = 'sent', sent_at = ?, link = '', claimed_until = 0, attempts = attempts + 1
		WHERE id = ?`, micros(at), id); err != nil {
		return err
	}
	t.redacted = true
	return t.setInvitationError(account, user, created, "")
}

func (t *tx) MarkMessageFailed(id int64, errText string, retryAt time.Time) error {
	account, user, created, err := t.messageMember(id)
	if err != nil {
		return err
	}
	if retryAt.IsZero() {
		err = t.execOne("mark message failed", errMessageNotFound,
			`UPDATE outbox SET status = 'failed', link = '', claimed_until = 0, attempts = attempts + 1, last_error = ?
			WHERE id = ?`, errText, id)
		t.redacted = true
	} else {
		err = t.execOne("mark message failed", errMessageNotFound,
			`UPDATE outbox SET next_attempt_at = ?, claimed_until = 0, attempts = attempts + 1, last_error = ?
			WHERE id = ?`, micros(retryAt), errText, id)
	}
	if err != nil {
		return err
	}
	return t.setInvitationError(account, user, created, errText)
}

// Messages lists the outbox newest first; a limit below 1 means MaxPageSize.
func (t *tx) Message(id int64) (*roster.Message, error) {
	m, err := scanMessage(t.queryRow(`SELECT `+messageColumns+` FROM outbox WHERE id = ?`, id))
	if err != nil {
		return nil, rowError("message", err, errMessageNotFound)
	}
	return m, nil
}

func (t *tx) Messages(status string, limit int) ([]*roster.Message, error) {
	if limit < 1 {
		limit = roster.MaxPageSize
	}
	var (
		out  []*roster.Message
		err  error
		scan = func(query string, args ...any) error {
			rows, err := t.query(query, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				m, err := scanMessage(rows)
				if err != nil {
					return err
				}
				out = append(out, m)
			}
			return rows.Err()
		}
	)
	if status == "" {
		err = scan(`SELECT `+messageColumns+` FROM outbox ORDER BY id DESC LIMIT ?`, limit)
	} else {
		err = scan(`SELECT `+messageColumns+` FROM outbox WHERE status = ? ORDER BY id DESC LIMIT ?`, status, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: messages: %w", err)
	}
	return out, nil
}

// RetryMessage makes a pending or failed message due at now, unless a
// sender's claim is in force (the message is being sent): that is a
// conflict. A sent message is not found among those.
func (t *tx) RetryMessage(id int64, now time.Time) error {
	err := t.execOne("retry message", errMessageBusy,
		`UPDATE outbox SET status = 'pending', next_attempt_at = ?
		WHERE id = ? AND status IN ('pending', 'failed') AND claimed_until <= ?`, micros(now), id, micros(now))
	if err != errMessageBusy {
		return err
	}
	// Nothing changed: the message is not there, was sent, or a sender
	// holds it.
	m, err := t.Message(id)
	switch {
	case err != nil:
		return err
	case m.Status == roster.MessageSent:
		return errMessageNotFound
	}
	return roster.MessageClaimed(*cmp.Or(m.ClaimedUntil, &now)) // nil: given back since
}
