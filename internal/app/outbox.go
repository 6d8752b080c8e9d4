package app

import (
	"context"

	"github.com/rosterhq/roster"
)

// Outbox lists outgoing messages for the operator, newest first; status may
// be "" for all, or pending, sent or failed.
func (a *App) Outbox(ctx context.Context, status string, limit int) ([]*roster.Message, error) {
	switch status {
	case "", roster.MessagePending, roster.MessageSent, roster.MessageFailed:
	default:
		return nil, roster.Invalid("status", "status must be pending, sent or failed.")
	}
	var out []*roster.Message
	err := a.store.Read(ctx, func(tx roster.Tx) error {
		var err error
		out, err = tx.Messages(status, limit)
		return err
	})
	return out, err
}

// RetryMessage makes a message due now. A given-up invitation lost its link
// (links are not kept once a message is done with), so it is resent instead:
// a fresh link in a new message, the old one dead. It returns the id of the
// message that will go out.
func (a *App) RetryMessage(ctx context.Context, id int64) (int64, error) {
	var out int64
	err := a.store.Write(ctx, "", func(tx roster.Tx) error {
		m, err := tx.Message(id)
		if roster.ErrorCode(err) == roster.CodeNotFound {
			return roster.Errorf(roster.CodeNotFound, "No message %d in the outbox.", id)
		} else if err != nil {
			return err
		}
		if m.Status == roster.MessageSent {
			return roster.Errorf(roster.CodeConflict, "Message %d was delivered already.", id)
		}
		if m.Link != "" || (m.Kind != roster.MessageInvitation && m.Kind != roster.MessageOwnerActivation) {
			if m.Kind == roster.MessagePasswordReset && m.Link == "" {
				return roster.Errorf(roster.CodeConflict, "The reset link of message %d is gone; the person can ask for a new one.", id)
			}
			out = id
			return tx.RetryMessage(id, a.clock())
		}
		// Under the account's lock, as every writer of its members and log:
		// otherwise an acceptance could commit between reading the member
		// as pending and writing a new invitation for them.
		if err := tx.LockAccount(m.AccountID); err != nil {
			return err
		}
		member, err := tx.Member(m.AccountID, m.UserID)
		if roster.ErrorCode(err) == roster.CodeNotFound || (err == nil && member.Status != roster.StatusPending) {
			return roster.Errorf(roster.CodeConflict, "Message %d's invitation is no longer pending; nothing to resend.", id)
		} else if err != nil {
			return err
		}
		inv, err := tx.Invitation(m.AccountID, m.UserID)
		if err != nil && roster.ErrorCode(err) != roster.CodeNotFound {
			return err
		}
		if replaced(m, inv) {
			return roster.Errorf(roster.CodeConflict, "Message %d's invitation has been sent again since (resent, or this message retried before); a fresh link now would stop the newer one working. roster outbox list shows the newer message.", id)
		}
		acc, err := a.account(tx, m.AccountID)
		if err != nil {
			return err
		}
		user, err := tx.User(m.UserID)
		if err != nil {
			return err
		}
		out, err = a.issueInvitation(tx, roster.Principal{}, acc, member, user, a.clock(), roster.AuditInvitationResent)
		return err
	})
	return out, err
}

// replaced reports whether inv, a member's invitation (nil if none), was
// issued after the invitation message m: an invitation and the message of
// its link are written together, at one time, which is how the stores tell
// a message's invitation from a newer one (setInvitationError).
func replaced(m *roster.Message, inv *roster.Invitation) bool {
	return inv != nil && !inv.SentAt.Equal(m.CreatedAt)
}

// OperatorActor returns the principal of the Active member with this email,
// for operator commands that act as someone (roster invite --as).
func (a *App) OperatorActor(ctx context.Context, email string) (roster.Principal, error) {
	var p roster.Principal
	err := a.store.Read(ctx, func(tx roster.Tx) error {
		u, err := tx.UserByEmail(email)
		if roster.ErrorCode(err) == roster.CodeNotFound {
			return roster.Errorf(roster.CodeNotFound, "No user with the email %q.", email)
		} else if err != nil {
			return err
		}
		p = roster.Principal{UserID: u.ID}
		return nil
	})
	return p, err
}
