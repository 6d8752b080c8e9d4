package postgres

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/rosterhq/roster"
)

const messageColumns = `id, kind, recipient, account_id, user_id, data, link, status, attempts,
	next_attempt_at, last_error, created_at, sent_at, claimed_until`

func scanMessage(row interface{ Scan(...any) error }) (*roster.Message, error) {
	var m roster.Message
	var data []byte
	if err := row.Scan(&m.ID, &m.Kind, &m.To, &m.AccountID, &m.UserID, &data, &m.Link, &m.Status, &m.Attempts,
		&m.NextAttemptAt, &m.LastError, &m.CreatedAt, &m.SentAt, &m.ClaimedUntil); err != nil {
		return nil, err
	}
	var err error
	if m.Data, err = decodeMap(data); err != nil {
		return nil, err
	}
	m.NextAttemptAt = utc(m.NextAttemptAt)
	m.CreatedAt = utc(m.CreatedAt)
	m.SentAt = optUTC(m.SentAt)
	m.ClaimedUntil = optUTC(m.ClaimedUntil)
	return &m, nil
}

// EnqueueMessage stores the message as pending whatever its Status says.
func (t *tx) EnqueueMessage(m *roster.Message) error {
	data, err := encodeMap(m.Data)
	if err != nil {
		return fmt.Errorf("postgres: enqueue message: %w", err)
	}
	err = t.queryRow(`INSERT INTO outbox (kind, recipient, account_id, user_id, data, link, status, attempts,
			next_attempt_at, last_error, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $10)
		RETURNING id`,
		m.Kind, m.To, m.AccountID, m.UserID, data, m.Link, m.Attempts,
		ts(m.NextAttemptAt), m.LastError, ts(m.CreatedAt)).Scan(&m.ID)
	if err != nil {
		return writeError("enqueue message", err, "", nil)
	}
	m.Status = roster.MessagePending
	m.SentAt = nil
	return nil
}

// ClaimMessages returns the claimed messages oldest due first. FOR UPDATE
// SKIP LOCKED passes over the messages another instance is claiming at
// this moment instead of waiting for it and then claiming them again.
func (t *tx) ClaimMessages(now time.Time, lease time.Duration, limit int) ([]*roster.Message, error) {
	if limit < 1 {
		return nil, nil
	}
	now = ts(now)
	rows, err := t.query(`UPDATE outbox SET claimed_until = $1
		WHERE id IN (
			SELECT id FROM outbox
			WHERE status = 'pending' AND next_attempt_at <= $2 AND (claimed_until IS NULL OR claimed_until <= $2)
			ORDER BY next_attempt_at, id LIMIT $3
			FOR UPDATE SKIP LOCKED)
		RETURNING `+messageColumns,
		ts(now.Add(lease)), now, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: claim messages: %w", err)
	}
	defer rows.Close()
	var out []*roster.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: claim messages: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: claim messages: %w", err)
	}
	// RETURNING gives rows in no promised order.
	slices.SortFunc(out, func(a, b *roster.Message) int {
		return cmp.Or(a.NextAttemptAt.Compare(b.NextAttemptAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// messageMember returns the member a message is tied to, if any, and when
// the message was made.
func (t *tx) messageMember(id int64) (account, user string, created time.Time, err error) {
	err = t.queryRow(`SELECT account_id, user_id, created_at FROM outbox WHERE id = $1`, id).Scan(&account, &user, &created)
	return account, user, created, rowError("message", err, errMessageNotFound)
}

// setInvitationError records the delivery outcome of a message made at
// created on the member's invitation, if the message is tied to a member
// whose link was issued with it: a link and its email are made with the
// same instant, and the outcome of an older email says nothing of a newer
// link. The instants are compared for equality, not order, so that a newer
// link issued by an instance whose clock runs behind the older email's
// maker is not taken for an older one.
func (t *tx) setInvitationError(account, user string, created time.Time, errText string) error {
	if account == "" || user == "" {
		return nil
	}
	if _, err := t.exec(`WITH i AS (UPDATE invitations SET last_error = $1 WHERE account_id = $2 AND user_id = $3 AND sent_at = $4
			RETURNING account_id, user_id)
		UPDATE members m SET invitation_error = $1 FROM i WHERE m.account_id = i.account_id AND m.user_id = i.user_id`,
		errText, account, user, created); err != nil {
		return fmt.Errorf("postgres: set invitation error: %w", err)
	}
	return nil
}

func (t *tx) ReleaseMessage(id int64) error {
	return t.execOne("release message", errMessageNotFound,
		`UPDATE outbox SET claimed_until = NULL WHERE id = $1`, id)
}

func (t *tx) MarkMessageSent(id int64, at time.Time) error {
	account, user, created, err := t.messageMember(id)
	if err != nil {
		return err
	}
	if err := t.execOne("mark message sent", errMessageNotFound,
		`UPDATE outbox SET status = 'sent', sent_at = $1, link = '', claimed_until = NULL, attempts = attempts + 1
		WHERE id = $2`, ts(at), id); err != nil {
		return err
	}
	return t.setInvitationError(account, user, created, "")
}

// MarkMessageFailed records errText made storable: it is an SMTP server's
// reply, which PostgreSQL may refuse where SQLite would not.
func (t *tx) MarkMessageFailed(id int64, errText string, retryAt time.Time) error {
	errText = sanitize(errText)
	account, user, created, err := t.messageMember(id)
	if err != nil {
		return err
	}
	if retryAt.IsZero() {
		err = t.execOne("mark message failed", errMessageNotFound,
			`UPDATE outbox SET status = 'failed', link = '', claimed_until = NULL, attempts = attempts + 1, last_error = $1
			WHERE id = $2`, errText, id)
	} else {
		err = t.execOne("mark message failed", errMessageNotFound,
			`UPDATE outbox SET next_attempt_at = $1, claimed_until = NULL, attempts = attempts + 1, last_error = $2
			WHERE id = $3`, ts(retryAt), errText, id)
	}
	if err != nil {
		return err
	}
	return t.setInvitationError(account, user, created, errText)
}

func (t *tx) Message(id int64) (*roster.Message, error) {
	m, err := scanMessage(t.queryRow(`SELECT `+messageColumns+` FROM outbox WHERE id = $1`, id))
	if err != nil {
		return nil, rowError("message", err, errMessageNotFound)
	}
	return m, nil
}

// Messages lists the outbox newest first; a limit below 1 means MaxPageSize.
func (t *tx) Messages(status string, limit int) ([]*roster.Message, error) {
	if limit < 1 {
		limit = roster.MaxPageSize
	}
	var out []*roster.Message
	scan := func(query string, args ...any) error {
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
	var err error
	if status == "" {
		err = scan(`SELECT `+messageColumns+` FROM outbox ORDER BY id DESC LIMIT $1`, limit)
	} else {
		err = scan(`SELECT `+messageColumns+` FROM outbox WHERE status = $1 ORDER BY id DESC LIMIT $2`, status, limit)
	}
	if errors.Is(err, errUnstorable) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: messages: %w", err)
	}
	return out, nil
}

// RetryMessage makes a pending or failed message due at now, unless a
// sender's claim is in force (the message is being sent): that is a
// conflict. A sent message is not found among those.
func (t *tx) RetryMessage(id int64, now time.Time) error {
	// A claim being made waits for this row's lock and then sees the
	// retry, or holds the lock first, and this statement then sees the
	// claim: never both.
	err := t.execOne("retry message", errMessageBusy,
		`UPDATE outbox SET status = 'pending', next_attempt_at = $1
		WHERE id = $2 AND status IN ('pending', 'failed') AND (claimed_until IS NULL OR claimed_until <= $1)`, ts(now), id)
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
