package sqlite

import (
	"github.com/rosterhq/roster"
)

// PutInvitation inserts the member's invitation or replaces the one it had,
// token, expiry and last error included.
func (t *tx) PutInvitation(inv *roster.Invitation) error {
	if err := t.memberExists(inv.AccountID, inv.UserID); err != nil {
		return err
	}
	_, err := t.exec(`INSERT INTO invitations (account_id, user_id, token_hash, expires_at, sent_at, last_error)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (account_id, user_id) DO UPDATE SET
			token_hash = excluded.token_hash, expires_at = excluded.expires_at,
			sent_at = excluded.sent_at, last_error = excluded.last_error`,
		inv.AccountID, inv.UserID, inv.TokenHash, micros(inv.ExpiresAt), micros(inv.SentAt), inv.LastError)
	return insertError("put invitation", err, "This invitation token is already in use.", errMemberNotFound)
}

func (t *tx) InvitationByToken(hash string) (*roster.Invitation, error) {
	return t.invitation(`token_hash = ?`, hash)
}

func (t *tx) Invitation(account, user string) (*roster.Invitation, error) {
	return t.invitation(`account_id = ? AND user_id = ?`, account, user)
}

// invitation returns the invitation where cond holds.
func (t *tx) invitation(cond string, args ...any) (*roster.Invitation, error) {
	var inv roster.Invitation
	var expires, sent int64
	err := t.queryRow(`SELECT account_id, user_id, token_hash, expires_at, sent_at, last_error
		FROM invitations WHERE `+cond, args...).
		Scan(&inv.AccountID, &inv.UserID, &inv.TokenHash, &expires, &sent, &inv.LastError)
	if err := rowError("invitation", err, errInvitationNotFound); err != nil {
		return nil, err
	}
	inv.ExpiresAt = fromMicros(expires)
	inv.SentAt = fromMicros(sent)
	return &inv, nil
}

func (t *tx) DeleteInvitation(account, user string) error {
	return t.execOne("delete invitation", errInvitationNotFound,
		`DELETE FROM invitations WHERE account_id = ? AND user_id = ?`, account, user)
}
