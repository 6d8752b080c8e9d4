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
	email, err := roster.NormalizeNewEmail("email", in.Email)
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
		return in, roster.Invalid("role", "There is no role %q in this account.", roster.Truncate(role, 80))
	}
	name, err := roster.ValidateOptionalName("name", in.Name)
	if err != nil {
		return in, err
	}
	return Invitation{Email: email, Role: role, Name: name}, nil
}

// Invite makes the person a pending member with the given role and sends
// them an activation link (SPEC §4). Inviting someone who is already a
// member is a conflict.
func (a *App) Invite(ctx context.Context, p roster.Principal, accountID string, in Invitation) (*roster.Member, error) {
	var out *roster.Member
	err := a.inAccount(ctx, p, accountID, func(tx roster.Tx, acc *roster.Account, me *roster.Member) error {
		// Someone who may not invite at all learns nothing from validation
		// (not which role names exist): forbidden comes first (SPEC §3).
		if d := acc.Catalog.Decide(inviteProbe(acc, me)); d.Code == policy.CodeForbidden {
			return roster.Errorf(d.Code, "%s", d.Reason)
		}
		valid, err := validInvitation(acc.Catalog, in)
		if err != nil {
			return err
		}
		b, err := a.newInviteBatch(tx, p, acc, me, []string{valid.Email}, a.clock())
		if err != nil {
			return err
		}
		m, err := b.add(valid)
		if err != nil {
			return err
		}
		if err := b.write(); err != nil {
			return err
		}
		out, err = tx.Member(acc.ID, m.UserID)
		return err
	})
	return out, err
}

// inviteBatch invites people into one account inside its transaction: it
// decides each invitation as it is added, against the store and the ones
// added before it, and writes them all at once (roster.Tx.AddInvitees).
type inviteBatch struct {
	a       *App
	tx      roster.Tx
	p       roster.Principal
	acc     *roster.Account
	me      *roster.Member
	now     time.Time
	inviter *roster.User // nil when the operator invites

	users   map[string]*roster.User   // by email key: the store's, then the batch's new ones
	members map[string]*roster.Member // by user id: the store's users' memberships (nil for none), then the batch's
	out     []roster.Invitee
	added   map[string]bool // user ids invited by this batch
}

// newInviteBatch starts a batch, looking up at once the users with these
// emails (those of the invitations to come) and which of them are members
// already.
func (a *App) newInviteBatch(tx roster.Tx, p roster.Principal, acc *roster.Account, me *roster.Member, emails []string, now time.Time) (*inviteBatch, error) {
	users, err := tx.UsersByEmail(emails)
	if err != nil {
		return nil, err
	}
	b := &inviteBatch{a: a, tx: tx, p: p, acc: acc, me: me, now: now, users: users, members: make(map[string]*roster.Member, len(users))}
	if len(users) > 0 {
		ids := make([]string, 0, len(users))
		for _, u := range users {
			ids = append(ids, u.ID)
		}
		members, err := tx.MembersByUser(acc.ID, ids)
		if err != nil {
			return nil, err
		}
		for _, id := range ids { // by the ids asked about only
			b.members[id] = members[id] // nil: not a member
		}
	}
	if p.UserID != "" {
		if b.inviter, err = tx.User(p.UserID); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// add decides one valid invitation and, when allowed, adds it to the batch.
// Someone already a member, in the store or earlier in the batch, is a
// conflict.
func (b *inviteBatch) add(in Invitation) (*roster.Member, error) {
	key := roster.EmailKey(in.Email)
	user := b.users[key]
	var existing *roster.Member
	if user != nil {
		existing = b.members[user.ID]
	}
	req := policy.Request{Action: policy.ActionInvite, Actor: b.me.Policy(), NewRole: in.Role}
	if existing != nil {
		t := existing.Policy()
		req.Target = &t
	}
	if err := decide(b.acc.Catalog, req); err != nil {
		if roster.ErrorCode(err) == roster.CodeConflict && b.added[user.ID] {
			// Not "already invited, resend": no one was, before this file.
			return nil, roster.Errorf(roster.CodeConflict, "This email is on an earlier line of the file.")
		}
		return nil, err
	}
	newUser := user == nil
	if newUser {
		// The user id is fixed from here on: activation keeps it (SPEC §5).
		user = &roster.User{ID: secret.NewID("usr_"), Email: in.Email, Name: in.Name, CreatedAt: b.now}
		b.users[key] = user
	}
	now := b.now
	// The member shows the name given here until they join, even when the
	// person is already in Roster under another (roster.Member.Shown).
	m := &roster.Member{
		AccountID: b.acc.ID, UserID: user.ID, Email: user.Email, Name: in.Name,
		Role: in.Role, RoleOrder: b.acc.Catalog.Order(in.Role),
		Status: roster.StatusPending, InvitedAt: &now, InvitedBy: b.p.UserID,
	}
	b.members[user.ID] = m
	if b.added == nil {
		b.added = map[string]bool{}
	}
	b.added[user.ID] = true
	inv, event, msg := b.a.invitation(b.p, b.acc, m, user, b.inviter, now, roster.AuditMemberInvited)
	b.out = append(b.out, roster.Invitee{User: user, NewUser: newUser, Member: m, Invitation: inv, Event: event, Message: msg})
	return m, nil
}

// write stores every invitation added.
func (b *inviteBatch) write() error {
	if len(b.out) == 0 {
		return nil
	}
	return b.tx.AddInvitees(b.out)
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
	var inviter *roster.User
	if id := cmp.Or(p.UserID, m.InvitedBy); id != "" {
		var err error
		if inviter, err = tx.User(id); err != nil {
			return 0, err
		}
	}
	inv, event, msg := a.invitation(p, acc, m, user, inviter, now, action)
	if err := tx.PutInvitation(inv); err != nil {
		return 0, err
	}
	if err := tx.AppendAudit(event); err != nil {
		return 0, err
	}
	if err := tx.EnqueueMessage(msg); err != nil {
		return 0, err
	}
	return msg.ID, nil
}

// invitation makes what issuing a link writes: the invitation with a
// fresh token, its audit event and its email. The email names inviter,
// who sent this link or else invited the member first; with no inviter
// (the operator invited the first owner) it is the owner's activation
// message.
func (a *App) invitation(p roster.Principal, acc *roster.Account, m *roster.Member, user, inviter *roster.User, now time.Time, action string) (*roster.Invitation, *roster.AuditEvent, *roster.Message) {
	raw, hash := newToken(prefixInvite)
	inv := &roster.Invitation{AccountID: acc.ID, UserID: m.UserID, TokenHash: hash, ExpiresAt: now.Add(acc.InviteTTL), SentAt: now}
	event := &roster.AuditEvent{
		AccountID: acc.ID, At: now, Actor: p.UserID, Action: action, Target: m.UserID, IP: p.IP,
		After: map[string]string{"role": m.Role, "email": user.Email, "expires_at": inv.ExpiresAt.Format(time.RFC3339)},
	}
	if m.Name != "" {
		event.After["name"] = m.Name // the name the account gave them
	}
	data := map[string]string{
		"account_name": acc.Name,
		"role":         m.Role,
		"name":         m.Name,
		"expires_at":   inv.ExpiresAt.Format(time.RFC3339),
	}
	kind := roster.MessageInvitation
	if inviter == nil {
		kind = roster.MessageOwnerActivation
	} else {
		data["inviter_name"] = inviter.Name
		data["inviter_email"] = inviter.Email
	}
	if action == roster.AuditInvitationResent {
		data["resent"] = "true"
	}
	msg := &roster.Message{
		Kind: kind, To: user.Email, AccountID: acc.ID, UserID: m.UserID,
		Data: data, Link: a.link("/activate", raw), NextAttemptAt: now, CreatedAt: now,
	}
	return inv, event, msg
}

// resendBurst is how many times a member may resend one invitation at
// once; then once a minute.
const resendBurst = 3

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
		// A resend mails someone who did not ask for it: each member may
		// resend an invitation a few times at once, then once a minute,
		// from whichever instance (a loop of resends mailed the address
		// every second).
		now := a.clock()
		ok, _, err := tx.TakeAttempt("resend:"+accountID+":"+userID+":"+p.UserID, resendBurst, time.Minute, now)
		if err != nil {
			return err
		}
		if !ok {
			return roster.Errorf(roster.CodeRateLimited, "This invitation was sent again only just now; wait a minute before sending it once more.")
		}
		user, err := tx.User(userID)
		if err != nil {
			return err
		}
		if _, err := a.issueInvitation(tx, p, acc, t, user, now, roster.AuditInvitationResent); err != nil {
			return err
		}
		out, err = tx.Member(accountID, userID)
		return err
	})
	return out, err
}
