package app

import (
	"context"
	"errors"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/password"
	"github.com/rosterhq/roster/internal/secret"
)

// InvitationView is what the activation page shows about a link.
type InvitationView struct {
	AccountName string
	Email       string
	Name        string
	Role        string
	InviterName string
	ExpiresAt   time.Time
	// Registered is true when the person already has a password (a member
	// elsewhere): they accept by proving who they are with it.
	Registered bool
}

// errBadInvitation is the one answer for a link that was used, revoked,
// replaced by a newer one, or never existed: they cannot be told apart
// without revealing more than the link's holder should learn.
func errBadInvitation() error {
	return roster.Errorf(roster.CodeInvalidToken, "This invitation link is not valid: it has been used, revoked or replaced by a newer one. Ask the person who invited you to send a new one.")
}

func errExpiredInvitation(at time.Time) error {
	return roster.Errorf(roster.CodeInvalidToken, "This invitation link expired on %s. Ask the person who invited you to send a new one.", at.Format("2 January 2006 15:04 MST"))
}

// lookupInvitation finds the invitation of a raw token, refusing expired ones.
func (a *App) lookupInvitation(tx roster.Tx, token string) (*roster.Invitation, error) {
	if !secret.LooksLikeToken(prefixInvite, token) {
		return nil, errBadInvitation()
	}
	inv, err := tx.InvitationByToken(secret.Hash(token))
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil, errBadInvitation()
	} else if err != nil {
		return nil, err
	}
	if inv.Expired(a.clock()) {
		return nil, errExpiredInvitation(inv.ExpiresAt)
	}
	return inv, nil
}

// pendingMember returns the member of an invitation, which is valid only
// while they are pending: a link left on a member who has joined, or has
// been disabled since, must not activate them again.
func pendingMember(tx roster.Tx, inv *roster.Invitation) (*roster.Member, error) {
	m, err := tx.Member(inv.AccountID, inv.UserID)
	if roster.ErrorCode(err) == roster.CodeNotFound || err == nil && m.Status != roster.StatusPending {
		return nil, errBadInvitation()
	}
	return m, err
}

// Invitation describes a valid invitation link for the activation page.
func (a *App) Invitation(ctx context.Context, token string) (*InvitationView, error) {
	var out *InvitationView
	err := a.store.Read(ctx, func(tx roster.Tx) error {
		inv, err := a.lookupInvitation(tx, token)
		if err != nil {
			return err
		}
		acc, err := a.account(tx, inv.AccountID)
		if err != nil {
			return err
		}
		m, err := pendingMember(tx, inv)
		if err != nil {
			return err
		}
		user, err := tx.User(inv.UserID)
		if err != nil {
			return err
		}
		// The name the inviter gave: a new user's suggestion for their own.
		out = &InvitationView{
			AccountName: acc.Name, Email: user.Email, Name: m.Name, Role: m.Role,
			ExpiresAt: inv.ExpiresAt, Registered: user.Registered(),
		}
		if m.InvitedBy != "" {
			if inviter, err := tx.User(m.InvitedBy); err == nil {
				out.InviterName = inviter.Name
			}
		}
		return nil
	})
	return out, err
}

// Acceptance is what the invited person gives to accept.
type Acceptance struct {
	Token    string
	Name     string // new users only; ignored for a user who has a password
	Password string
}

// Accepted is the result of accepting: the now Active member and a session.
type Accepted struct {
	Member  *roster.Member
	User    *roster.User
	Session string // raw session token for the cookie
}

// AcceptInvitation activates a pending member (SPEC §4). A new user sets
// their name and password; a user who already has a password proves who
// they are with it. The link is single-use, even under concurrent attempts:
// the token is looked up again inside the account's write transaction.
func (a *App) AcceptInvitation(ctx context.Context, ip string, in Acceptance) (*Accepted, error) {
	out, err := a.accept(ctx, ip, in)
	if errors.Is(err, errPasswordChanged) {
		// A new person accepting two invitations at once: the other
		// acceptance set their password first. Once more, this one checks
		// the given password against it, as for anyone registered: the
		// same person sending the same password joins.
		out, err = a.accept(ctx, ip, in)
	}
	if errors.Is(err, errPasswordChanged) {
		err = errChangedMeanwhile()
	}
	return out, err
}

// errPasswordChanged is the refusal of an acceptance whose user's password
// changed between its check and the account's lock.
var errPasswordChanged = errors.New("app: the password changed since it was checked")

func (a *App) accept(ctx context.Context, ip string, in Acceptance) (*Accepted, error) {
	// Look the link up and do the slow password work before taking the
	// account's write lock.
	var (
		inv  *roster.Invitation
		user *roster.User
	)
	err := a.store.Read(ctx, func(tx roster.Tx) error {
		var err error
		if inv, err = a.lookupInvitation(tx, in.Token); err != nil {
			return err
		}
		user, err = tx.User(inv.UserID)
		return err
	})
	if err != nil {
		return nil, err
	}
	var name, hash string
	if user.Registered() {
		ok, err := a.hasher.Verify(ctx, in.Password, user.PasswordHash)
		if err != nil {
			return nil, err
		}
		if !ok {
			e := roster.Errorf(roster.CodeUnauthenticated, "The password is not correct for %s.", user.Email)
			e.Field = "password" // the form's field at fault, as a transfer's
			return nil, e
		}
	} else {
		if name, err = roster.ValidateName("name", in.Name); err != nil {
			return nil, err
		}
		if err := password.Validate("password", in.Password, user.Email); err != nil {
			return nil, err
		}
		if hash, err = a.hasher.Hash(ctx, in.Password); err != nil {
			return nil, err
		}
	}

	var out *Accepted
	err = a.store.Write(ctx, inv.AccountID, func(tx roster.Tx) error {
		again, err := a.lookupInvitation(tx, in.Token)
		if err != nil {
			return err // used or revoked meanwhile
		}
		m, err := pendingMember(tx, again)
		if err != nil {
			return err
		}
		now := a.clock()
		// The login first: it writes the user's row, so that (on
		// PostgreSQL) a password reset or change cannot commit between the
		// check below and this commit (it holds no lock of this account);
		// and two acceptances by one person in two accounts take the row
		// in turn (ShowUser's shared lock taken first by both would
		// deadlock them).
		if err := tx.SetLastLogin(again.UserID, now); err != nil {
			return err
		}
		fresh, err := tx.User(again.UserID)
		if err != nil {
			return err
		}
		if fresh.PasswordHash != user.PasswordHash {
			// The password changed (or was set by another acceptance,
			// perhaps in another account) since it was checked.
			return errPasswordChanged
		}
		p := roster.Principal{UserID: fresh.ID, IP: ip}
		if hash != "" {
			// Conditional on the hash read under this account's lock: an
			// acceptance in another account holds another lock.
			if err := tx.SetUserPassword(fresh.ID, fresh.PasswordHash, hash); roster.ErrorCode(err) == roster.CodeConflict {
				return errPasswordChanged
			} else if err != nil {
				return err
			}
		}
		if hash != "" {
			if err := tx.SetUserName(fresh.ID, name); err != nil {
				return err
			}
		}
		m.Status, m.JoinedAt = roster.StatusActive, &now
		if err := tx.UpdateMember(m); err != nil {
			return err
		}
		// Joined, the member shows the person's own name and last login
		// instead of the name the inviter gave.
		if err := tx.ShowUser(again.AccountID, fresh.ID); err != nil {
			return err
		}
		if err := tx.DeleteInvitation(again.AccountID, fresh.ID); err != nil {
			return err
		}
		if err := audit(tx, p, again.AccountID, roster.AuditInvitationAccepted, fresh.ID, now,
			map[string]string{"status": string(roster.StatusPending)},
			map[string]string{"status": string(roster.StatusActive), "role": m.Role}); err != nil {
			return err
		}
		raw, err := a.startSession(tx, fresh.ID, now)
		if err != nil {
			return err
		}
		if m, err = tx.Member(again.AccountID, fresh.ID); err != nil {
			return err
		}
		if fresh, err = tx.User(fresh.ID); err != nil {
			return err
		}
		out = &Accepted{Member: m, User: fresh, Session: raw}
		return nil
	})
	return out, err
}

func errChangedMeanwhile() error {
	return roster.Errorf(roster.CodeConflict, "Your account changed while this was being processed; please try again.")
}
