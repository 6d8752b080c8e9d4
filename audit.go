package roster

import "time"

// Audit actions (SPEC §5). They are part of the wire format.
const (
	AuditAccountCreated     = "account.created"
	AuditAccountUpdated     = "account.updated"
	AuditMemberInvited      = "member.invited"
	AuditInvitationResent   = "member.invitation_resent"
	AuditInvitationAccepted = "member.activated"
	// Written by the outbox worker: an invitation's first failed delivery,
	// and the moment it is given up.
	AuditInvitationDeliveryFailed = "member.invitation_delivery_failed"
	AuditInvitationGivenUp        = "member.invitation_given_up"
	AuditMemberRoleChanged        = "member.role_changed"
	AuditMemberNameChanged        = "member.name_changed"
	AuditMemberDisabled           = "member.disabled"
	AuditMemberEnabled            = "member.enabled"
	AuditMemberRemoved            = "member.removed"
	AuditInvitationRevoked        = "member.invitation_revoked"
	AuditMemberLeft               = "member.left"
	AuditOwnershipTransferred     = "ownership.transferred"
	AuditProfileRoleGranted       = "profile.role_granted"
	AuditProfileRoleRevoked       = "profile.role_revoked"
	AuditTokenCreated             = "token.created"
	AuditTokenRevoked             = "token.revoked"
	// A user's own password, changed with the current one or reset by an
	// emailed link: written to every account the user is an active or
	// disabled member of, with the user as actor and target.
	AuditPasswordChanged = "user.password_changed"
	AuditPasswordReset   = "user.password_reset"
	// A user's own name, likewise: it shows in every account they joined.
	AuditNameChanged = "user.name_changed"
)

// AuditEvent is an append-only record of one change in an account.
type AuditEvent struct {
	ID        int64
	AccountID string
	At        time.Time
	// Actor is the user who made the change; "" for the operator (CLI).
	Actor string
	// Action is a dotted word such as member.role_changed.
	Action string
	// Target is the user the change was made to; "" when none.
	Target string
	// Before and After hold the fields that changed, e.g. {"role": "Admin"}.
	Before map[string]string
	After  map[string]string
	// IP is the client address the change came from; "" from the CLI.
	IP string
}

// AuditPage is one page of the audit log, newest first.
type AuditPage struct {
	Items []*AuditEvent
	Next  *AuditCursor
}
