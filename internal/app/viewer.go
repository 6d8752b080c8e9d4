package app

import (
	"context"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/policy"
)

// Viewer is a signed-in member looking at one account, with what the policy
// says they may do there. The web UI reads it to choose which controls to
// show; it decides nothing by itself. Every action still goes through its
// use case, which asks the policy again inside the account's transaction, so
// a Viewer that went stale between page and click can only hide or show a
// control too many, never let an action through.
type Viewer struct {
	Account *roster.Account
	// Member is the viewer's own, Active, membership.
	Member *roster.Member
	// ActiveOwners is the number of Active owners when the Viewer was read,
	// so that the last-owner rule can be foreseen.
	ActiveOwners int
}

// Viewer returns the principal as an Active member of the account. Anyone
// else gets not_found, as from every account-scoped use case.
func (a *App) Viewer(ctx context.Context, p roster.Principal, accountID string) (*Viewer, error) {
	var out *Viewer
	err := a.readAccount(ctx, p, accountID, func(tx roster.Tx, acc *roster.Account, me *roster.Member) error {
		n, err := activeOwners(tx, acc)
		if err != nil {
			return err
		}
		out = &Viewer{Account: acc, Member: me, ActiveOwners: n}
		return nil
	})
	return out, err
}

// Catalog is the account's role catalog.
func (v *Viewer) Catalog() *policy.Catalog { return v.Account.Catalog }

func (v *Viewer) decide(r policy.Request) policy.Decision {
	r.Actor = v.Member.Policy()
	r.ActiveOwners = v.ActiveOwners
	return v.Account.Catalog.Decide(r)
}

// CanList reports whether the viewer may see the member list and the roles:
// the "Users & Roles" entry of the main menu.
func (v *Viewer) CanList() bool {
	return v.decide(policy.Request{Action: policy.ActionListMembers}).Allowed
}

// CanReadAudit reports whether the viewer may read the audit log.
func (v *Viewer) CanReadAudit() bool {
	return v.decide(policy.Request{Action: policy.ActionReadAudit}).Allowed
}

// CanInvite reports whether the viewer may invite anyone at all, that is
// with the least powerful role (the same probe BulkInvite uses).
func (v *Viewer) CanInvite() bool {
	return v.Account.Catalog.Decide(inviteProbe(v.Account, v.Member)).Allowed
}

// CanTransfer reports whether the viewer may hand ownership to some Active
// member: asked about a hypothetical Active member of the lowest rank, with
// the password taken as given (the dialog asks for it).
func (v *Viewer) CanTransfer() bool {
	lowest := inviteProbe(v.Account, v.Member).NewRole
	return v.decide(policy.Request{
		Action:     policy.ActionTransferOwnership,
		Target:     &policy.Member{Role: lowest, Status: policy.StatusActive},
		PasswordOK: true,
	}).Allowed
}

// AssignableRoles returns the roles the viewer may give, in catalog order:
// the only ones the Invite and Edit dialogs offer.
func (v *Viewer) AssignableRoles() []policy.Role {
	var out []policy.Role
	for _, r := range v.Account.Catalog.Roles {
		if v.Account.Catalog.CanAssign(v.Member.Role, r.Name) {
			out = append(out, r)
		}
	}
	return out
}

// MemberActions is the policy's answer, for one member of the list, to each
// action the Users panel offers on a row. A refused action carries its code
// and sentence; the UI shows a control when it is Allowed and, for the
// last-owner rule, also when it is refused with last_owner, so that trying
// it shows the Last Owner Warning instead of hiding the reason.
type MemberActions struct {
	Self     bool
	Edit     policy.Decision // open the Edit dialog (change the role; oneself's, to another)
	EditName policy.Decision // mend a pending member's name
	Disable  policy.Decision
	Enable   policy.Decision
	Remove   policy.Decision // remove an Active or Disabled member, or leave (Self)
	Resend   policy.Decision // resend a pending invitation
	Revoke   policy.Decision // revoke a pending invitation
	Transfer policy.Decision // make this member the owner
}

// On returns what the viewer may do to member m. Actions that do not apply
// to m's status (Disable on a pending member, Resend on an Active one) are
// refused with the policy's conflict, like any other refusal.
func (v *Viewer) On(m *roster.Member) MemberActions {
	t := m.Policy()
	self := m.UserID == v.Member.UserID
	req := func(action policy.Action, newRole string) policy.Decision {
		return v.decide(policy.Request{Action: action, Target: &t, Self: self, NewRole: newRole, PasswordOK: true})
	}
	out := MemberActions{
		Self:     self,
		Edit:     req(policy.ActionChangeRole, m.Role),
		EditName: req(policy.ActionEditName, ""),
		Disable:  req(policy.ActionDisable, ""),
		Enable:   req(policy.ActionEnable, ""),
		Resend:   req(policy.ActionResend, ""),
		Transfer: req(policy.ActionTransferOwnership, ""),
	}
	if self {
		out.Edit = v.changeOwnRole(m)
	}
	remove := req(policy.ActionRemove, "")
	notPending := policy.Decision{Code: policy.CodeConflict, Reason: "This member has joined; remove them instead."}
	if m.Status == roster.StatusPending {
		out.Revoke = remove
		out.Remove = policy.Decision{Code: policy.CodeConflict, Reason: "This invitation is pending; revoke it instead."}
	} else {
		out.Remove = remove
		out.Revoke = notPending
	}
	switch m.Status {
	case roster.StatusActive:
		out.Enable = policy.Decision{Code: policy.CodeConflict, Reason: "This member is already active."}
	case roster.StatusDisabled:
		out.Disable = policy.Decision{Code: policy.CodeConflict, Reason: "This member is already disabled."}
	}
	return out
}

// ChangeRole is the policy's answer to giving member m the role.
func (v *Viewer) ChangeRole(m *roster.Member, role string) policy.Decision {
	t := m.Policy()
	return v.decide(policy.Request{Action: policy.ActionChangeRole, Target: &t, Self: m.UserID == v.Member.UserID, NewRole: role})
}

// changeOwnRole is whether the viewer may change their own role to another:
// their Edit dialog offers nothing else (no profile role for oneself, no
// Remove), so a Bigeye User, who may give no role but their own, has none.
// It is the first role the policy allows, else its refusal, the last-owner
// one first so that the last owner sees the warning when they try.
func (v *Viewer) changeOwnRole(m *roster.Member) policy.Decision {
	var refused policy.Decision
	for _, r := range v.Account.Catalog.Roles {
		if r.Name == m.Role {
			continue
		}
		d := v.ChangeRole(m, r.Name)
		if d.Allowed {
			return d
		}
		if refused.Code == "" || d.Code == policy.CodeLastOwner {
			refused = d
		}
	}
	if refused.Code == "" {
		refused = policy.Decision{Code: policy.CodeConflict, Reason: "This account has no other role."}
	}
	return refused
}

// ProfileGrants returns the roles the viewer may give member m on a
// profile, in catalog order (SPEC §6: members.edit, at most their own
// rank); none when they may not grant at all.
func (v *Viewer) ProfileGrants(m *roster.Member) []policy.Role {
	t := m.Policy()
	var out []policy.Role
	for _, r := range v.Account.Catalog.Roles {
		if v.decide(policy.Request{Action: policy.ActionGrantProfileRole, Target: &t,
			Self: m.UserID == v.Member.UserID, NewRole: r.Name}).Allowed {
			out = append(out, r)
		}
	}
	return out
}

// RevokeProfile is the policy's answer to taking member m's role on a
// profile away.
func (v *Viewer) RevokeProfile(m *roster.Member, role string) policy.Decision {
	t := m.Policy()
	return v.decide(policy.Request{Action: policy.ActionRevokeProfileRole, Target: &t,
		Self: m.UserID == v.Member.UserID, NewRole: role})
}

// Shown reports whether a control for a decision belongs on the page: it is
// allowed, or refused only by the last-owner rule (whose warning the person
// should see when they try).
func Shown(d policy.Decision) bool {
	return d.Allowed || d.Code == policy.CodeLastOwner
}
