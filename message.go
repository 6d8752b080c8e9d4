package roster

import "time"

// Kinds of outgoing messages.
const (
	MessageInvitation      = "invitation"
	MessageOwnerActivation = "owner_activation"
	MessagePasswordReset   = "password_reset"
	MessagePasswordChanged = "password_changed"
	MessageOwnerNotice     = "owner_notice"
)

// Message statuses in the outbox.
const (
	MessagePending = "pending"
	MessageSent    = "sent"
	MessageFailed  = "failed" // given up after the last attempt
)

// Message is an outgoing email in the transactional outbox. It is written in
// the same transaction as the change that causes it and rendered at delivery.
type Message struct {
	ID   int64
	Kind string
	To   string
	// AccountID and UserID tie the message to a member (for invitation_error);
	// either may be "".
	AccountID string
	UserID    string
	// Data holds the template's values; nothing secret.
	Data map[string]string
	// Link holds the secret link (with its raw token). Stores clear it once the
	// message is sent or given up.
	Link string

	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	SentAt        *time.Time
	// ClaimedUntil is the end of the last sender's claim, nil when it was
	// given back: a pending message is being sent while it is in the
	// future (or was, by an instance that stopped).
	ClaimedUntil *time.Time
}

// MessageClaimed is the refusal to retry a message a sender's claim holds
// until until: it is being sent, or the instance sending it stopped and the
// claim has not lapsed yet (a retry meanwhile would be overwritten by that
// attempt's outcome).
func MessageClaimed(until time.Time) error {
	return Errorf(CodeConflict, "The message is being sent, or was by an instance that stopped; its sender's claim ends at %s UTC. Try again after that.",
		until.UTC().Format("15:04:05"))
}
