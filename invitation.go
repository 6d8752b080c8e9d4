package roster

import "time"

// Invitation is the activation link of a pending member. There is at most one
// per member: resending replaces its token and expiry, which kills the old link.
type Invitation struct {
	AccountID string
	UserID    string
	// TokenHash is the SHA-256 of the token in the link, hex-encoded.
	TokenHash string
	ExpiresAt time.Time
	// SentAt is when the latest link was issued: the CreatedAt of the
	// message carrying it, written in the same transaction. That equality
	// is how a message is told to be its member's latest invitation: the
	// stores record a delivery failure only on that one
	// (MarkMessageFailed), and an operator's retry refuses a message whose
	// invitation was issued again since (App.RetryMessage).
	SentAt time.Time
	// LastError is the last delivery failure of the latest message, "" once delivered.
	LastError string
}

// Expired reports whether the link has expired at now.
func (i *Invitation) Expired(now time.Time) bool { return !now.Before(i.ExpiresAt) }

// An Invitee is everything inviting one person writes (Tx.AddInvitees):
// the user when they are new to Roster, the pending member, the
// invitation, its audit event and its email.
type Invitee struct {
	User       *User
	NewUser    bool
	Member     *Member
	Invitation *Invitation
	Event      *AuditEvent
	Message    *Message
}
