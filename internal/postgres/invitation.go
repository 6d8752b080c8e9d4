package postgres

import (
	"github.com/rosterhq/roster"
)

// PutInvitation inserts the member's invitation or replaces the one it had,
// token, expiry and last error included.
func (t *tx) PutInvitation(inv *roster.Invitation) error {
	if err := t.memberExists(inv.AccountID, inv.UserID); err != nil {
		return err
	}
	const conflict = "This invitation token is already in use."
	taken, err := t.exists("put invitation", `SELECT 1 FROM invitations
		WHERE token_hash = $1 AND (account_id, user_id) <> ($2, $3)`, inv.TokenHash, inv.AccountID, inv.UserID)
	if err != nil {
		return err
	}
	if taken {
		return errConflict(conflict)
	}
	_, err = t.exec(`WITH i AS (INSERT INTO invitations (account_id, user_id, token_hash, expires_at, sent_at, last_error)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (account_id, user_id) DO UPDATE SET
				token_hash = excluded.token_hash, expires_at = excluded.expires_at,
				sent_at = excluded.sent_at, last_error = excluded.last_error
			RETURNING account_id, user_id, expires_at, last_error)
		UPDATE members m SET invitation_expires_at = i.expires_at, invitation_error = i.last_error
		FROM i WHERE m.account_id = i.account_id AND m.user_id = i.user_id`,
		inv.AccountID, inv.UserID, inv.TokenHash, ts(inv.ExpiresAt), ts(inv.SentAt), inv.LastError)
	return writeError("put invitation", err, conflict, errMemberNotFound)
}

func (t *tx) InvitationByToken(hash string) (*roster.Invitation, error) {
	return t.invitation(`token_hash = $1`, hash)
}

func (t *tx) Invitation(account, user string) (*roster.Invitation, error) {
	return t.invitation(`account_id = $1 AND user_id = $2`, account, user)
}

// invitation returns the invitation where cond holds.
func (t *tx) invitation(cond string, args ...any) (*roster.Invitation, error) {
	var inv roster.Invitation
	err := t.queryRow(`SELECT account_id, user_id, token_hash, expires_at, sent_at, last_error
		FROM invitations WHERE `+cond, args...).
		Scan(&inv.AccountID, &inv.UserID, &inv.TokenHash, &inv.ExpiresAt, &inv.SentAt, &inv.LastError)
	if err := rowError("invitation", err, errInvitationNotFound); err != nil {
		return nil, err
	}
	inv.ExpiresAt = utc(inv.ExpiresAt)
	inv.SentAt = utc(inv.SentAt)
	return &inv, nil
}

func (t *tx) DeleteInvitation(account, user string) error {
	return t.execOne("delete invitation", errInvitationNotFound,
		`WITH i AS (DELETE FROM invitations WHERE account_id = $1 AND user_id = $2 RETURNING account_id, user_id)
		UPDATE members m SET invitation_expires_at = NULL, invitation_error = NULL
		FROM i WHERE m.account_id = i.account_id AND m.user_id = i.user_id`, account, user)
}
