package policy

import (
	"encoding/binary"
	"maps"
	"slices"
	"strings"
	"unique"
)

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
	if member == nil {
		return c.CheckSubject(nil, permission, "")
	}
	const theProfile = "\x00" // no real profile name: slugs are [a-z0-9-]
	s := c.Subject(*member, map[string]string{theProfile: profileRole})
	if profileRole == "" {
		return c.CheckSubject(&s, permission, "")
	}
	return c.CheckSubject(&s, permission, theProfile)
}

// Subject is a member as the check path keeps it: the role and profile
// roles resolved against the catalog once, so that each check is a few
// lookups and no allocation. It is small (16 bytes) and shares what it
// points to: a large account's cache of subjects is read at random, and
// each byte more, or each pointer to memory of its own, is more of it
// outside the CPU's caches.
type Subject struct {
	state subjectState
	role  int32 // index in Roles; -1 for an unknown role
	// profiles is the member's profile roles, encoded by encodeProfiles
	// and interned: the members who hold the same roles on the same
	// profiles share it, so where many do, reading it is rarely one more
	// trip to memory. The zero Handle is no profile role.
	profiles unique.Handle[string]
}

// subjectState is a Status as a number: comparing it touches no string data,
// which on a large account would be one more trip to memory per check.
type subjectState uint8

const (
	subjectDisabled subjectState = iota // and anything unknown
	subjectActive
	subjectPending
)

// SubjectMember is the member a subject was resolved from, as Decide reads
// it: its status and its role ("" for a role the catalog lacks, which
// Decide refuses as it does "").
func (c *Catalog) SubjectMember(s *Subject) Member {
	m := Member{Status: StatusDisabled}
	switch s.state {
	case subjectActive:
		m.Status = StatusActive
	case subjectPending:
		m.Status = StatusPending
	}
	if s.role >= 0 {
		m.Role = c.Roles[s.role].Name
	}
	return m
}

// Subject resolves a member and its profile roles (profile → role name).
func (c *Catalog) Subject(m Member, profileRoles map[string]string) Subject {
	s := Subject{role: -1}
	switch m.Status {
	case StatusActive:
		s.state = subjectActive
	case StatusPending:
		s.state = subjectPending
	}
	if i, ok := c.byName[m.Role]; ok {
		s.role = int32(i)
	}
	if enc := c.encodeProfiles(profileRoles); enc != "" {
		s.profiles = unique.Make(enc)
	}
	return s
}

var (
	notMember  = CheckResult{Code: CheckNotMember, Reason: "The user is not a member of this account."}
	pending    = CheckResult{Code: CheckPending, Reason: "The user has not accepted the invitation yet."}
	disabled   = CheckResult{Code: CheckDisabled, Reason: "The user's access to this account is disabled."}
	notGranted = CheckResult{Code: CheckNotGranted, Reason: "None of the user's roles grants this permission."}
)

// CheckSubject answers a check for a resolved subject (nil: not a member),
// on profile when it is not "". It does not allocate.
func (c *Catalog) CheckSubject(s *Subject, permission, profile string) CheckResult {
	switch {
	case s == nil:
		return notMember
	case s.state == subjectPending:
		return pending
	case s.state != subjectActive:
		return disabled
	}
	bit, ok := c.index[permission]
	if !ok || s.role < 0 {
		return notGranted
	}
	if r := &c.Roles[s.role]; r.perms.has(bit) {
		return CheckResult{Allowed: true, Code: CheckGranted, Reason: r.grantedReason}
	}
	if profile != "" && s.profiles != noProfiles && !c.accountWide.has(bit) {
		if i, ok := profileRoleIn(s.profiles.Value(), profile); ok && c.Roles[i].perms.has(bit) {
			return CheckResult{Allowed: true, Code: CheckGranted, Reason: c.Roles[i].grantedProfileReason}
		}
	}
	return notGranted
}

// noProfiles is the profiles of a Subject without profile roles.
var noProfiles unique.Handle[string]

// encodeProfiles encodes profile roles (profile → role name) for a Subject,
// in profile order: each profile's name, preceded by its length (a
// uvarint), then the index of its role in Roles as one byte (a catalog has
// at most maxRoles roles). Roles the catalog lacks are left out.
func (c *Catalog) encodeProfiles(profileRoles map[string]string) string {
	var b []byte
	for _, p := range slices.Sorted(maps.Keys(profileRoles)) {
		if i, ok := c.byName[profileRoles[p]]; ok {
			b = append(append(binary.AppendUvarint(b, uint64(len(p))), p...), byte(i))
		}
	}
	return string(b)
}

// The role indexes of encodeProfiles fit in a byte.
const _ = uint8(maxRoles - 1)

// profileRoleIn returns the index in Roles of the role that enc, from
// encodeProfiles, gives on profile.
func profileRoleIn(enc, profile string) (int, bool) {
	for len(enc) > 0 {
		n, w := binary.Uvarint([]byte(enc[:min(len(enc), binary.MaxVarintLen64)]))
		name, role := enc[w:w+int(n)], enc[w+int(n)]
		if name == profile {
			return int(role), true
		}
		enc = enc[w+int(n)+1:]
	}
	return 0, false
}

// accountWide reports whether a permission can only come from the account
// role, never from a profile role.
func accountWide(permission string) bool {
	return strings.HasPrefix(permission, "members.") || strings.HasPrefix(permission, "ownership.")
}

// CanAssign reports whether a member with actorRole may invite someone
// with role: the roles an Invite dialog offers.
func (c *Catalog) CanAssign(actorRole, role string) bool {
	return c.Decide(Request{
		Action:  ActionInvite,
		Actor:   Member{Role: actorRole, Status: StatusActive},
		NewRole: role,
	}).Allowed
}

// CanGive reports whether a member with actorRole may give role to someone
// at all: by invitation, or by changing the role of a member of the least
// powerful role, on whom rule 3 lets every rank act. A catalog of the
// operator's own may grant members.edit without members.invite.
func (c *Catalog) CanGive(actorRole, role string) bool {
	if c.CanAssign(actorRole, role) {
		return true
	}
	least := slices.MinFunc(c.Roles, func(a, b Role) int { return a.Rank - b.Rank })
	return c.Decide(Request{
		Action:       ActionChangeRole,
		Actor:        Member{Role: actorRole, Status: StatusActive},
		Target:       &Member{Role: least.Name, Status: StatusActive},
		NewRole:      role,
		ActiveOwners: 2, // a hypothetical member, never the last owner
	}).Allowed
}
