package policy

import "strings"

// Answers of the check API (SPEC §5).
const (
	CheckGranted    = "granted"
	CheckNotGranted = "not_granted"
	CheckNotMember  = "not_member"
	CheckPending    = "pending"
	CheckDisabled   = "disabled"
)

// CheckResult answers "may this member do this here?".
type CheckResult struct {
	Allowed bool
	Code    string
	Reason  string
}

// Check answers whether a member holds a permission, account-wide or, when
// profileRole is not "", on a profile where the member holds that role
// (SPEC §6). member is nil when the user is not a member of the account.
// A profile role's members.* and ownership.* permissions count for nothing:
// managing people is account-wide.
func (c *Catalog) Check(member *Member, profileRole, permission string) CheckResult {
	switch {
	case member == nil:
		return CheckResult{Code: CheckNotMember, Reason: "The user is not a member of this account."}
	case member.Status == StatusPending:
		return CheckResult{Code: CheckPending, Reason: "The user has not accepted the invitation yet."}
	case member.Status != StatusActive:
		return CheckResult{Code: CheckDisabled, Reason: "The user's access to this account is disabled."}
	}
	if c.Grants(member.Role, permission) {
		return CheckResult{Allowed: true, Code: CheckGranted, Reason: "Granted by the role " + member.Role + "."}
	}
	if profileRole != "" && !accountWide(permission) && c.Grants(profileRole, permission) {
		return CheckResult{Allowed: true, Code: CheckGranted, Reason: "Granted by the profile role " + profileRole + "."}
	}
	return CheckResult{Code: CheckNotGranted, Reason: "No role of the user grants " + permission + "."}
}

// accountWide reports whether a permission can only come from the account
// role, never from a profile role.
func accountWide(permission string) bool {
	return strings.HasPrefix(permission, "members.") || strings.HasPrefix(permission, "ownership.")
}

// CanAssign reports whether a member with actorRole may give role to someone:
// the roles an Invite dialog offers.
func (c *Catalog) CanAssign(actorRole, role string) bool {
	return c.Decide(Request{
		Action:  ActionInvite,
		Actor:   Member{Role: actorRole, Status: StatusActive},
		NewRole: role,
	}).Allowed
}
