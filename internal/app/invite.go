package app

import (
	"cmp"
	"context"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/secret"
	"github.com/rosterhq/roster/policy"
)

// Invitation is what an inviter gives.
type Invitation struct {
	Email string
	// Role is the role to give; "" means the catalog's default role, when it has one.
	Role string
	// Name is the person's full name; optional (the person sets it at activation).
	Name string
}

// validInvitation checks an invitation against the account's catalog.
func validInvitation(c *policy.Catalog, in Invitation) (Invitation, error) {
	email, err := roster.NormalizeEmail("email", in.Email)
	if err != nil {
		return in, err
	}
	role := in.Role
	if role == "" {
		role = c.DefaultRole
	}
	if role == "" {
		return in, roster.Invalid("role", "Please choose a role.")
	}
	if !c.HasRole(role) {
		return in, roster.Invalid("role", "There is no role %q in this account.", truncate(role, 80))
	}
	name := ""
	if in.Name != "" {
		if name, err = roster.ValidateName("name", in.Name); err != nil {
			return in, err
		}
	}
	return Invitation{Email: email, Role: role, Name: name}, nil
}

// Invite makes the person a pending member with the given role and sends
// them an activation link (SPEC §4). Inviting someone who is already a
// member is a conflict.
func (a *App) Invite(ctx context.Context, p roster.Principal, accountID string, in Invitation) (*roster.Member, error) {
	var out *roster.Member
	err := a.inAccount(ctx, p, accountID, func(tx roster.Tx, acc *roster.Account, me *roster.Member) error {
		valid, err := validInvitation(acc.Catalog, in)
		if err != nil {
			return err
		}
		out, err = a.invite(tx, p, acc, me, valid, a.clock())
		return err
	})
	return out, err
}

// invite applies one valid invitation inside the account's transaction.
func (a *App) invite(tx roster.Tx, p roster.Principal, acc *roster.Account, me *roster.Member, in Invitation, now time.Time) (*roster.Member, error) {
	var existing *roster.Member
	user, err := tx.UserByEmail(in.Email)
	switch roster.ErrorCode(err) {
	case "":
		if existing, err = tx.Member(acc.ID, user.ID); roster.ErrorCode(err) == roster.CodeNotFound {
			existing, err = nil, nil
		}
	case roster.CodeNotFound:
		user, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	req := policy.Request{Action: policy.ActionInvite, Actor: me.Policy(), NewRole: in.Role}
	if existing != nil {
		t := existing.Policy()
		req.Target = &t
	}
	if err := decide(acc.Catalog, req); err != nil {
		return nil, err
	}
	if user == nil {
		if user, err = a.userForInvite(tx, in.Email, in.Name, now); err != nil {
			return nil, err
		}
	}
	m := &roster.Member{
		AccountID: acc.ID, UserID: user.ID, Role: in.Role, RoleOrder: roleOrder(acc.Catalog, in.Role),
		Status: roster.StatusPending, InvitedAt: &now, InvitedBy: p.UserID,
	}
	if err := tx.CreateMember(m); err != nil {
		return nil, err
	}
	if _, err := a.issueInvitation(tx, p, acc, m, user, now, roster.AuditMemberInvited); err != nil {
		return nil, err
	}
	return tx.Member(acc.ID, user.ID)
}

// userForInvite returns the user with this email, creating one without a
// password when there is none. The user id is fixed from here on: activation
// keeps it (SPEC §5).
func (a *App) userForInvite(tx roster.Tx, email, name string, now time.Time) (*roster.User, error) {
	u, err := tx.UserByEmail(email)
	if err == nil {
		return u, nil
	}
	if roster.ErrorCode(err) != roster.CodeNotFound {
		return nil, err
	}
	u = &roster.User{ID: secret.NewID("usr_"), Email: email, Name: name, CreatedAt: now}
	if err := tx.CreateUser(u); err != nil {
		return nil, err
	}
	return u, nil
}

// issueInvitation gives the pending member a fresh link (replacing any
// earlier one), records it in the audit log and queues the email. It
// returns the queued message's id.
func (a *App) issueInvitation(tx roster.Tx, p roster.Principal, acc *roster.Account, m *roster.Member, user *roster.User, now time.Time, action string) (int64, error) {
	raw, hash := newToken(prefixInvite)
	inv := &roster.Invitation{AccountID: acc.ID, UserID: m.UserID, TokenHash: hash, ExpiresAt: now.Add(acc.InviteTTL), SentAt: now}
	if err := tx.PutInvitation(inv); err != nil {
		return 0, err
	}
	after := map[string]string{"role": m.Role, "email": user.Email, "expires_at": inv.ExpiresAt.Format(time.RFC3339)}
	if err := audit(tx, p, acc.ID, action, m.UserID, now, nil, after); err != nil {
		return 0, err
	}
	data := map[string]string{
		"account_name": acc.Name,
		"role":         m.Role,
		"name":         user.Name,
		"expires_at":   inv.ExpiresAt.Format(time.RFC3339),
	}
	// The email names whoever sent this link, or else the original inviter;
	// the first owner, invited by the operator, gets the activation message.
	kind := roster.MessageInvitation
	inviter := cmp.Or(p.UserID, m.InvitedBy)
	if inviter == "" {
		kind = roster.MessageOwnerActivation
	} else if u, err := tx.User(inviter); err == nil {
		data["inviter_name"] = u.Name
		data["inviter_email"] = u.Email
	} else {
		return 0, err
	}
	if action == roster.AuditInvitationResent {
		data["resent"] = "true"
	}
	msg := &roster.Message{
		Kind: kind, To: user.Email, AccountID: acc.ID, UserID: m.UserID,
		Data: data, Link: a.link("/activate", raw), NextAttemptAt: now, CreatedAt: now,
	}
	if err := tx.EnqueueMessage(msg); err != nil {
		return 0, err
	}
	return msg.ID, nil
}

// Resend issues a pending member a new link; the old one stops working.
func (a *App) Resend(ctx context.Context, p roster.Principal, accountID, userID string) (*roster.Member, error) {
	var out *roster.Member
	err := a.inAccount(ctx, p, accountID, func(tx roster.Tx, acc *roster.Account, me *roster.Member) error {
		t, err := target(tx, accountID, userID)
		if err != nil {
			return err
		}
		tp := t.Policy()
		if err := decide(acc.Catalog, policy.Request{
			Action: policy.ActionResend, Actor: me.Policy(), Target: &tp, Self: t.UserID == me.UserID,
		}); err != nil {
			return err
		}
		user, err := tx.User(userID)
		if err != nil {
			return err
		}
		if _, err := a.issueInvitation(tx, p, acc, t, user, a.clock(), roster.AuditInvitationResent); err != nil {
			return err
		}
		out, err = tx.Member(accountID, userID)
		return err
	})
	return out, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
