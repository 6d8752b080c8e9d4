// Package policy holds every permission decision Roster makes (SPEC §3) and
// the role catalogs those decisions read. It is pure: no I/O, no clock, no
// store. The API, the web UI, the CLI and the check endpoint all ask it.
package policy

import (
	"fmt"
	"slices"
	"strings"
)

// Decision codes: the same strings as roster's error codes, so a refusal
// travels to the client unchanged.
const (
	CodeForbidden        = "forbidden"
	CodeInsufficientRole = "insufficient_role"
	CodeLastOwner        = "last_owner"
	CodeConflict         = "conflict"
	CodeInvalidInput     = "invalid_input"
)

// Status is a member's status.
type Status string

const (
	StatusPending  Status = "pending"
	StatusActive   Status = "active"
	StatusDisabled Status = "disabled"
)

// Action is something a member asks to do in an account.
type Action string

const (
	ActionListMembers       Action = "members.list"   // list members, read roles and profiles; read one member (oneself, with Self, needs nothing)
	ActionReadAudit         Action = "audit.read"     // read the audit log
	ActionInvite            Action = "member.invite"  // invite a person with NewRole
	ActionResend            Action = "member.resend"  // resend a pending invitation
	ActionChangeRole        Action = "member.role"    // give Target the role NewRole
	ActionEditName          Action = "member.name"    // mend a pending member's name
	ActionDisable           Action = "member.disable" // disable Target
	ActionEnable            Action = "member.enable"  // enable Target
	ActionRemove            Action = "member.remove"  // remove Target, revoke its invitation, or leave (Self)
	ActionGrantProfileRole  Action = "profile.grant"  // give Target NewRole on a profile
	ActionRevokeProfileRole Action = "profile.revoke" // take the profile role NewRole away from Target
	ActionTransferOwnership Action = "ownership.transfer"
	ActionCreateToken       Action = "token.create" // create an API token acting in the account
	ActionCheckOther        Action = "check.other"  // ask the check API about another user (with Self, about oneself: needs nothing)
)

// Member is what the policy needs to know of a membership.
type Member struct {
	Role   string
	Status Status
}

// Admits reports whether a member may act in their account at all: only an
// Active one may. Everyone else, pending, disabled or no member (nil), is
// told that the account does not exist, so that it cannot be probed.
func Admits(m *Member) bool {
	return m != nil && m.Status == StatusActive
}

// TokenReaches reports whether a principal may reach account at all: with
// an API token (viaToken), only the account the token was made in
// (tokenAccount); signed in with a session, any of the person's accounts.
func TokenReaches(viaToken bool, tokenAccount, account string) bool {
	return !viaToken || tokenAccount == account
}

// Request describes one attempted action. The caller fills in the facts; the
// policy draws the conclusion.
type Request struct {
	Action Action
	// Actor is the member asking.
	Actor Member
	// Target is the member acted on, nil when there is none: listing, reading
	// the audit log, creating a token, or inviting a person who is not a member.
	Target *Member
	// Self is true when Target is the actor.
	Self bool
	// NewRole is the role given (invite, change role, grant profile role) or,
	// for ActionRevokeProfileRole, the profile role taken away.
	NewRole string
	// ActiveOwners is the number of Active members holding the owner role,
	// counted inside the transaction that will apply the change.
	ActiveOwners int
	// ViaToken is true when the actor authenticated with an API token.
	ViaToken bool
	// PasswordOK is true when the actor re-entered their password correctly
	// (ownership transfer only).
	PasswordOK bool
}

// Decision is the policy's answer. When Allowed is false, Code is one of the
// Code* constants and Reason is a sentence for the person who asked.
type Decision struct {
	Allowed bool
	Code    string
	Reason  string
	// Field names the request's input the refusal is about (the password
	// re-entered for a transfer), when there is one.
	Field string
}

// Allow is the decision that lets an action go ahead.
var allow = Decision{Allowed: true}

func deny(code, format string, args ...any) Decision {
	return Decision{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// What each action needs, and how to name it in a refusal.
var actionPermission = map[Action]struct{ perm, doing string }{
	ActionListMembers:       {PermMembersRead, "see the members of this account"},
	ActionReadAudit:         {PermAuditRead, "read the audit log"},
	ActionInvite:            {PermMembersInvite, "invite people"},
	ActionResend:            {PermMembersInvite, "resend invitations"},
	ActionChangeRole:        {PermMembersEdit, "change members' roles"},
	ActionEditName:          {PermMembersEdit, "edit members"},
	ActionDisable:           {PermMembersDisable, "disable members"},
	ActionEnable:            {PermMembersDisable, "enable members"},
	ActionRemove:            {PermMembersRemove, "remove members"},
	ActionGrantProfileRole:  {PermMembersEdit, "grant profile roles"},
	ActionRevokeProfileRole: {PermMembersEdit, "revoke profile roles"},
	ActionTransferOwnership: {PermOwnershipTransfer, "transfer ownership"},
	ActionCheckOther:        {PermMembersRead, "ask about other members' permissions"},
}

// Decide applies rules 1–7 of SPEC §3 to one request. When several rules
// refuse, the code is the first that applies in this order: forbidden,
// insufficient_role, last_owner, conflict.
func (c *Catalog) Decide(r Request) Decision {
	actor, ok := c.Role(r.Actor.Role)
	if !ok || !Admits(&r.Actor) {
		return deny(CodeForbidden, "Only active members of this account can do this.")
	}
	var target Role
	if r.Target != nil {
		if target, ok = c.Role(r.Target.Role); !ok {
			return deny(CodeInvalidInput, "The member's role %q is not in this account's catalog.", r.Target.Role)
		}
	}
	var newRole Role
	if r.NewRole != "" {
		if newRole, ok = c.Role(r.NewRole); !ok {
			return deny(CodeInvalidInput, "There is no role %q in this account.", r.NewRole)
		}
	}
	if r.Target == nil && needsTarget(r.Action) {
		return deny(CodeInvalidInput, "This action needs a member to act on.")
	}
	if r.NewRole == "" && needsRole(r.Action) {
		return deny(CodeInvalidInput, "This action needs a role.")
	}

	// Rule 1: permission (and the other forbidden refusals of rules 5 and 6).
	if d := c.permitted(r, actor); !d.Allowed {
		return d
	}

	// Rules 3 and 2: rank, whom one acts on first (the reason that holds
	// whatever the role asked for), then the role given.
	if r.Target != nil && !r.Self && r.Action != ActionInvite && target.Rank > actor.Rank {
		return deny(CodeInsufficientRole, "You can only act on someone at or below your own role (%s).", actor.Name)
	}
	if needsRole(r.Action) && r.Action != ActionRevokeProfileRole && newRole.Rank > actor.Rank {
		return deny(CodeInsufficientRole, "You can only give a role equal to or below your own (%s).", actor.Name)
	}
	if r.Action == ActionRevokeProfileRole && newRole.Rank > actor.Rank {
		return deny(CodeInsufficientRole, "You can only take away a role equal to or below your own (%s).", actor.Name)
	}

	// Rule 6: nobody raises their own role, in rank (above) nor in
	// permissions: with a catalog of the operator's own, a role of the
	// same rank may hold more.
	if r.Action == ActionChangeRole && r.Self {
		if extra := c.lacks(actor, newRole); extra != "" {
			return deny(CodeForbidden, "You cannot give yourself a role with permissions your own lacks (%s).", extra)
		}
	}

	// Rule 4: the account never loses its last Active owner.
	if r.Target != nil && c.losesOwner(r) && r.ActiveOwners <= 1 {
		return deny(CodeLastOwner, "This is the last active %s of the account. Assign another user as %s first.", c.Owner, c.Owner)
	}

	// State conflicts (rules 5 and 7, and inviting an existing member).
	return c.conflicts(r)
}

func needsTarget(a Action) bool {
	switch a {
	case ActionListMembers, ActionReadAudit, ActionInvite, ActionCreateToken, ActionCheckOther:
		return false
	}
	return true
}

func needsRole(a Action) bool {
	switch a {
	case ActionInvite, ActionChangeRole, ActionGrantProfileRole, ActionRevokeProfileRole:
		return true
	}
	return false
}

// permitted applies rule 1 and the self and token rules whose code is forbidden.
func (c *Catalog) permitted(r Request, actor Role) Decision {
	switch r.Action {
	case ActionListMembers, ActionCheckOther:
		if r.Self {
			return allow // reading oneself, or asking about oneself, needs no permission (SPEC §5)
		}
	case ActionRemove:
		if r.Self {
			return allow // leaving needs no permission (rule 6); rule 4 still applies
		}
	case ActionCreateToken:
		if r.ViaToken {
			return deny(CodeForbidden, "API tokens cannot create tokens; sign in to create one.")
		}
		return allow
	case ActionDisable:
		if r.Self {
			return deny(CodeForbidden, "You cannot disable yourself.")
		}
	case ActionGrantProfileRole:
		if r.Self {
			return deny(CodeForbidden, "You cannot grant yourself a role; ask another administrator.")
		}
	}
	need, ok := actionPermission[r.Action]
	if !ok {
		return deny(CodeForbidden, "Unknown action %q.", r.Action)
	}
	if bit := c.bit(need.perm); !actor.perms.has(bit) {
		if holders := c.rolesWith(bit); holders != "" {
			return deny(CodeForbidden, "Your role (%s) does not allow you to %s; that takes %s.", actor.Name, need.doing, holders)
		}
		return deny(CodeForbidden, "Your role (%s) does not allow you to %s.", actor.Name, need.doing)
	}
	if r.Action == ActionTransferOwnership {
		if r.ViaToken {
			return deny(CodeForbidden, "Ownership can only be transferred from a signed-in session, not with an API token.")
		}
		if !r.PasswordOK {
			d := deny(CodeForbidden, "The password is not correct.")
			d.Field = "password"
			return d
		}
	}
	return allow
}

// bit returns the permission's bit, or -1 (never set) when no role holds it.
func (c *Catalog) bit(perm string) int {
	if b, ok := c.index[perm]; ok {
		return b
	}
	return -1
}

// lacks returns the first permission of role that actor does not hold, or
// "" when it holds them all.
func (c *Catalog) lacks(actor, role Role) string {
	for _, p := range role.Permissions {
		if !actor.perms.has(c.bit(p)) {
			return p
		}
	}
	return ""
}

// losesOwner reports whether the request would take the owner role, or
// activity, away from an Active owner.
func (c *Catalog) losesOwner(r Request) bool {
	t := r.Target
	if t.Role != c.Owner || t.Status != StatusActive {
		return false
	}
	switch r.Action {
	case ActionChangeRole:
		return r.NewRole != c.Owner
	case ActionDisable, ActionRemove:
		return true
	}
	return false
}

// ReasonAlreadyInvited is the refusal of inviting someone whose
// invitation is pending, to an inviter who may resend it; ReasonAskToResend,
// to one who may not (a pending member above their role, say). The web UI
// tells the first apart from the other conflicts by it, to say what an
// inviter without the list, and so without its Resend, can do.
const (
	ReasonAlreadyInvited = "This person is already invited; resend the invitation to send them a new link."
	ReasonAskToResend    = "This person is already invited and has not joined yet. If they need a new link, ask one of the account's administrators to resend the invitation."
)

func (c *Catalog) conflicts(r Request) Decision {
	t := r.Target
	switch r.Action {
	case ActionInvite:
		if t != nil && t.Status == StatusPending {
			resend := Request{Action: ActionResend, Actor: r.Actor, Target: t, ViaToken: r.ViaToken}
			if !c.Decide(resend).Allowed {
				return deny(CodeConflict, ReasonAskToResend)
			}
			return deny(CodeConflict, ReasonAlreadyInvited)
		}
		if t != nil {
			return deny(CodeConflict, "This person is already a member of the account.")
		}
	case ActionResend:
		if t.Status != StatusPending {
			return deny(CodeConflict, "Only a pending invitation can be resent; this member has already joined.")
		}
	case ActionEditName:
		if t.Status != StatusPending {
			return deny(CodeConflict, "Only a pending member's name can be edited; a member who has joined changes their own.")
		}
	case ActionDisable, ActionEnable:
		if t.Status == StatusPending {
			return deny(CodeConflict, "A pending invitation cannot be disabled or enabled; resend or revoke it instead.")
		}
	case ActionTransferOwnership:
		if r.Self {
			return deny(CodeConflict, "You are already the %s.", c.Owner)
		}
		if t.Status != StatusActive {
			return deny(CodeConflict, "Ownership can only go to an active member.")
		}
		// Handing it to a co-owner would change nothing but the actor's
		// own role, and tell the co-owner they became what they were.
		if t.Role == c.Owner {
			return deny(CodeConflict, "This member already holds the role %s; to step down, change your own role.", c.Owner)
		}
	}
	return allow
}

// rolesWith names the roles that hold a permission, lowest rank first, as a
// refusal names them ("Organization Manager or Organization Owner", as
// BizMetry's page says who may manage users); "" when none does.
func (c *Catalog) rolesWith(bit int) string {
	var holders []*Role
	for i := range c.Roles {
		if bit >= 0 && c.Roles[i].perms.has(bit) {
			holders = append(holders, &c.Roles[i])
		}
	}
	slices.SortStableFunc(holders, func(a, b *Role) int { return a.Rank - b.Rank })
	names := make([]string, len(holders))
	for i, r := range holders {
		names[i] = r.Name
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return "the role " + names[0]
	}
	return "the role " + strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
