package policy_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rosterhq/roster/policy"
)

// This file checks Decide against an oracle written independently of it, from
// SPEC §2, §3 and §5 and the two seed pages. The oracle reads hand-written
// tables of each built-in catalog (below), never the catalog's own Role or
// Grants, so a wrong rank or permission in a catalog file shows up here too.

// ability is one of the member-management abilities SPEC §3 gates.
type ability uint8

const (
	canRead     ability = 1 << iota // members.read
	canInvite                       // members.invite
	canEdit                         // members.edit
	canDisable                      // members.disable
	canRemove                       // members.remove
	canAudit                        // audit.read
	canTransfer                     // ownership.transfer
)

// abilityPermission names the catalog permission of each ability; used only
// to check the catalog files against the tables, never to compute a want.
var abilityPermission = map[ability]string{
	canRead:     "members.read",
	canInvite:   "members.invite",
	canEdit:     "members.edit",
	canDisable:  "members.disable",
	canRemove:   "members.remove",
	canAudit:    "audit.read",
	canTransfer: "ownership.transfer",
}

type tableRole struct {
	name string
	rank int
	can  ability
}

// table is what SPEC §2 and the seed pages say of one built-in catalog.
type table struct {
	catalog  string
	roles    []tableRole
	owner    string
	fallback string
}

func (tb table) role(t *testing.T, name string) tableRole {
	t.Helper()
	for _, r := range tb.roles {
		if r.name == name {
			return r
		}
	}
	t.Fatalf("table %s: no role %q", tb.catalog, name)
	return tableRole{}
}

// bigeyeTable: SPEC §2 "bigeye" and bigeye-user-roles.txt. A User "can add
// and edit other users" but "cannot delete other users"; an Admin does all
// but manage owners and transfer; audit.read is the owner's and the rank-2
// role's (SPEC §3).
var bigeyeTable = table{
	catalog: "bigeye",
	roles: []tableRole{
		{"Owner", 3, canRead | canInvite | canEdit | canDisable | canRemove | canAudit | canTransfer},
		{"Admin", 2, canRead | canInvite | canEdit | canDisable | canRemove | canAudit},
		{"User", 1, canRead | canInvite | canEdit},
	},
	owner:    "Owner",
	fallback: "Admin",
}

// bizmetryTable: SPEC §2 "bizmetry" and bizmetry-users-and-roles.txt. Only
// the Organization Owner and Manager may open user management at all
// ("Administrator Access Required"); the eight other roles have rank 1 and no
// member ability.
var bizmetryTable = table{
	catalog: "bizmetry",
	roles: []tableRole{
		{"Organization Owner", 3, canRead | canInvite | canEdit | canDisable | canRemove | canAudit | canTransfer},
		{"Organization Manager", 2, canRead | canInvite | canEdit | canDisable | canRemove | canAudit},
		{"Architect", 1, 0},
		{"Developer", 1, 0},
		{"DevOps", 1, 0},
		{"SRE", 1, 0},
		{"Telemetry Operator", 1, 0},
		{"Business Administrator", 1, 0},
		{"Monitoring User", 1, 0},
		{"Quality Assurance", 1, 0},
	},
	owner:    "Organization Owner",
	fallback: "Organization Manager",
}

var tables = []table{bigeyeTable, bizmetryTable}

// allActions is every Action constant of decide.go.
var allActions = []policy.Action{
	policy.ActionListMembers,
	policy.ActionReadAudit,
	policy.ActionInvite,
	policy.ActionResend,
	policy.ActionChangeRole,
	policy.ActionEditName,
	policy.ActionDisable,
	policy.ActionEnable,
	policy.ActionRemove,
	policy.ActionGrantProfileRole,
	policy.ActionRevokeProfileRole,
	policy.ActionTransferOwnership,
	policy.ActionCreateToken,
	policy.ActionCheckOther,
}

var allStatuses = []policy.Status{policy.StatusPending, policy.StatusActive, policy.StatusDisabled}

// builtinForDecide returns a built-in catalog or stops the test.
func builtinForDecide(t testing.TB, name string) *policy.Catalog {
	t.Helper()
	c, err := policy.Builtin(name)
	if err != nil {
		t.Fatalf("policy.Builtin(%q) returned error: %v", name, err)
	}
	return c
}

// TestBuiltinCatalogsMatchTables makes a failure of the exhaustive test easy
// to place: if this fails, the catalog file (not Decide) disagrees with SPEC §2.
func TestBuiltinCatalogsMatchTables(t *testing.T) {
	for _, tb := range tables {
		t.Run(tb.catalog, func(t *testing.T) {
			c := builtinForDecide(t, tb.catalog)
			if c.Owner != tb.owner {
				t.Errorf("Owner = %q, want %q", c.Owner, tb.owner)
			}
			if c.Fallback != tb.fallback {
				t.Errorf("Fallback = %q, want %q", c.Fallback, tb.fallback)
			}
			if got, want := len(c.Roles), len(tb.roles); got != want {
				t.Errorf("len(Roles) = %d, want %d", got, want)
			}
			for _, tr := range tb.roles {
				got, ok := c.Role(tr.name)
				if !ok {
					t.Errorf("Role(%q) not found", tr.name)
					continue
				}
				if got.Rank != tr.rank {
					t.Errorf("Role(%q).Rank = %d, want %d", tr.name, got.Rank, tr.rank)
				}
				for a, perm := range abilityPermission {
					if got, want := c.Grants(tr.name, perm), tr.can&a != 0; got != want {
						t.Errorf("Grants(%q, %q) = %v, want %v", tr.name, perm, got, want)
					}
				}
			}
		})
	}
}

// actionNeeds is the ability SPEC §3's table asks for each action.
var actionNeeds = map[policy.Action]ability{
	policy.ActionListMembers:       canRead,
	policy.ActionCheckOther:        canRead,
	policy.ActionReadAudit:         canAudit,
	policy.ActionInvite:            canInvite,
	policy.ActionResend:            canInvite,
	policy.ActionChangeRole:        canEdit,
	policy.ActionEditName:          canEdit,
	policy.ActionGrantProfileRole:  canEdit,
	policy.ActionRevokeProfileRole: canEdit,
	policy.ActionDisable:           canDisable,
	policy.ActionEnable:            canDisable,
	policy.ActionRemove:            canRemove,
	policy.ActionTransferOwnership: canTransfer,
	policy.ActionCreateToken:       0, // any member creates tokens for themself (§4)
}

// oracle computes the code SPEC §3 gives a request ("" when allowed) from the
// hand-written table. It collects every rule that refuses, then picks the
// first in the order forbidden, insufficient_role, last_owner, conflict.
//
// Readings of the SPEC it encodes, where the SPEC is not literal:
//   - CheckOther is modelled without a Target (decide.go's contract: Target is
//     nil for it); SPEC §5 says a caller with members.read "may ask about any
//     user", so no rank rule applies.
//   - Invite with a Target means the email is already a member: conflict, and
//     the existing member's rank does not matter (rule 3 is about acting on a
//     member, and the invite does not act on them).
//   - Changing one's own role still needs members.edit (rule 6 lists what a
//     member "may" do on top of rules 1–3, not instead of them); leaving is the
//     one self action that needs no permission (§3 table: "none").
//   - Revoking a profile role follows rules 1–3 (§6) with NewRole as the role
//     taken away: you may take away at most your own rank.
//   - Granting oneself a profile role is forbidden (a project decision, like
//     "may never raise it" for the account role); revoking one's own is not.
//   - Enabling an active member and disabling a disabled one are silently
//     allowed (the SPEC is silent; rule 7 makes "set what is already set"
//     succeed for roles, and decide.go reads it the same way for status).
//   - Profile grants to a pending or disabled member are allowed (§6 is silent).
//   - Transferring ownership to a co-owner is a conflict: it would change
//     only the actor's own role (a project decision).
func oracle(t *testing.T, tb table, r policy.Request) string {
	t.Helper()
	var forbidden, insufficient, lastOwner, conflict bool

	actor := tb.role(t, r.Actor.Role)
	var target tableRole
	if r.Target != nil {
		target = tb.role(t, r.Target.Role)
	}
	var newRole tableRole
	if r.NewRole != "" {
		newRole = tb.role(t, r.NewRole)
	}

	// Rule 1: an Active member, whose role grants the permission.
	if r.Actor.Status != policy.StatusActive {
		forbidden = true
	}
	needs := actionNeeds[r.Action]
	if r.Action == policy.ActionRemove && r.Self {
		needs = 0 // leaving needs no permission
	}
	if (r.Action == policy.ActionListMembers || r.Action == policy.ActionCheckOther) && r.Self {
		needs = 0 // reading oneself, or asking about oneself, needs none (§5)
	}
	if actor.can&needs != needs {
		forbidden = true
	}
	// Rules 5–6 and §5's codes: refusals that are forbidden.
	switch {
	case r.Action == policy.ActionDisable && r.Self:
		forbidden = true // "disabling oneself ... forbidden"
	case r.Action == policy.ActionGrantProfileRole && r.Self:
		forbidden = true // project decision
	case r.Action == policy.ActionTransferOwnership && (r.ViaToken || !r.PasswordOK):
		forbidden = true // "a transfer by API token or with a wrong password — forbidden"
	case r.Action == policy.ActionCreateToken && r.ViaToken:
		forbidden = true // a token never makes more tokens
	}

	// Rule 2 (and rule 6, "may never raise it"): the role given or taken
	// away is at most the actor's own.
	if r.NewRole != "" && newRole.rank > actor.rank {
		insufficient = true
	}
	// Rule 3: the target is at most the actor's own rank.
	if r.Target != nil && r.Action != policy.ActionInvite && target.rank > actor.rank {
		insufficient = true
	}

	// Rule 4: never lose the last Active owner.
	if r.Target != nil && r.Target.Role == tb.owner && r.Target.Status == policy.StatusActive && r.ActiveOwners < 2 {
		switch r.Action {
		case policy.ActionRemove, policy.ActionDisable:
			lastOwner = true
		case policy.ActionChangeRole:
			lastOwner = r.NewRole != tb.owner
		}
	}

	// Rules 5 and 7, and §4: state conflicts.
	if r.Target != nil {
		pending := r.Target.Status == policy.StatusPending
		switch r.Action {
		case policy.ActionInvite:
			conflict = true // "Inviting an email that is already a member is a clear conflict"
		case policy.ActionResend, policy.ActionEditName:
			conflict = !pending
		case policy.ActionDisable, policy.ActionEnable:
			conflict = pending
		case policy.ActionTransferOwnership:
			// A co-owner is already what a transfer would make them.
			conflict = r.Self || r.Target.Status != policy.StatusActive || r.Target.Role == tb.owner
		}
	}

	switch {
	case forbidden:
		return policy.CodeForbidden
	case insufficient:
		return policy.CodeInsufficientRole
	case lastOwner:
		return policy.CodeLastOwner
	case conflict:
		return policy.CodeConflict
	}
	return ""
}

// Which parts of a Request apply to an action.
func hasTarget(a policy.Action) bool {
	switch a {
	case policy.ActionListMembers, policy.ActionReadAudit, policy.ActionCreateToken, policy.ActionCheckOther:
		return false
	}
	return true
}

func hasNewRole(a policy.Action) bool {
	switch a {
	case policy.ActionInvite, policy.ActionChangeRole, policy.ActionGrantProfileRole, policy.ActionRevokeProfileRole:
		return true
	}
	return false
}

func describe(r policy.Request) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s by %s/%s", r.Action, r.Actor.Role, r.Actor.Status)
	switch {
	case r.Self:
		b.WriteString(" on self")
	case r.Target != nil:
		fmt.Fprintf(&b, " on %s/%s", r.Target.Role, r.Target.Status)
	}
	if r.NewRole != "" {
		fmt.Fprintf(&b, " role=%q", r.NewRole)
	}
	fmt.Fprintf(&b, " owners=%d token=%v password=%v", r.ActiveOwners, r.ViaToken, r.PasswordOK)
	return b.String()
}

// requests enumerates every request of the table's catalog: every action,
// actor role and status, target role and status (and self, the actor itself),
// new role, one or two active owners, token or session, password right or
// wrong. Combinations whose owner count cannot be (fewer active owners than the
// request itself shows) are left out.
func requests(tb table) []policy.Request {
	var out []policy.Request
	for _, action := range allActions {
		for _, a := range tb.roles {
			for _, aStatus := range allStatuses {
				actor := policy.Member{Role: a.name, Status: aStatus}

				type tgt struct {
					m    *policy.Member
					self bool
				}
				var targets []tgt
				if !hasTarget(action) || action == policy.ActionInvite {
					targets = append(targets, tgt{}) // no target (a new person, for invite)
				}
				if action == policy.ActionListMembers || action == policy.ActionCheckOther {
					targets = append(targets, tgt{self: true}) // reading, or asking about, oneself
				}
				if hasTarget(action) {
					for _, tr := range tb.roles {
						for _, ts := range allStatuses {
							targets = append(targets, tgt{m: &policy.Member{Role: tr.name, Status: ts}})
						}
					}
					if action != policy.ActionInvite {
						self := actor
						targets = append(targets, tgt{m: &self, self: true})
					}
				}

				newRoles := []string{""}
				if hasNewRole(action) {
					newRoles = newRoles[:0]
					for _, nr := range tb.roles {
						newRoles = append(newRoles, nr.name)
					}
				}

				for _, tg := range targets {
					shown := 0 // active owners the request itself shows
					if actor.Role == tb.owner && actor.Status == policy.StatusActive {
						shown++
					}
					if tg.m != nil && !tg.self && tg.m.Role == tb.owner && tg.m.Status == policy.StatusActive {
						shown++
					}
					for _, nr := range newRoles {
						for owners := 1; owners <= 2; owners++ {
							if owners < shown {
								continue
							}
							for _, token := range []bool{false, true} {
								for _, pw := range []bool{false, true} {
									out = append(out, policy.Request{
										Action:       action,
										Actor:        actor,
										Target:       tg.m,
										Self:         tg.self,
										NewRole:      nr,
										ActiveOwners: owners,
										ViaToken:     token,
										PasswordOK:   pw,
									})
								}
							}
						}
					}
				}
			}
		}
	}
	return out
}

func TestDecideExhaustive(t *testing.T) {
	const maxReported = 40
	for _, tb := range tables {
		t.Run(tb.catalog, func(t *testing.T) {
			c := builtinForDecide(t, tb.catalog)
			reqs := requests(tb)
			failures := 0
			perAction := map[policy.Action]int{}
			for _, r := range reqs {
				got := c.Decide(r)
				want := oracle(t, tb, r)
				ok := got.Code == want && got.Allowed == (want == "")
				if !got.Allowed && got.Reason == "" {
					ok = false
				}
				if ok {
					continue
				}
				failures++
				perAction[r.Action]++
				if failures <= maxReported {
					t.Errorf("Decide(%s) = {Allowed:%v Code:%q Reason:%q}, want Code %q",
						describe(r), got.Allowed, got.Code, got.Reason, want)
				}
			}
			if failures > maxReported {
				t.Errorf("%d more failures not shown; failures per action: %v", failures-maxReported, perAction)
			}
			if len(reqs) < 1000 {
				t.Errorf("only %d requests enumerated; the enumeration is broken", len(reqs))
			}
		})
	}
}

// TestDecideExhaustiveCoversEveryCode guards the oracle against being vacuous:
// across both catalogs every refusal code, and allowing, must be reached for
// the actions where the SPEC says it can be.
func TestDecideExhaustiveCoversEveryCode(t *testing.T) {
	seen := map[policy.Action]map[string]bool{}
	for _, tb := range tables {
		for _, r := range requests(tb) {
			if seen[r.Action] == nil {
				seen[r.Action] = map[string]bool{}
			}
			seen[r.Action][oracle(t, tb, r)] = true
		}
	}
	want := map[policy.Action][]string{
		policy.ActionListMembers:       {"", policy.CodeForbidden},
		policy.ActionReadAudit:         {"", policy.CodeForbidden},
		policy.ActionInvite:            {"", policy.CodeForbidden, policy.CodeInsufficientRole, policy.CodeConflict},
		policy.ActionResend:            {"", policy.CodeForbidden, policy.CodeInsufficientRole, policy.CodeConflict},
		policy.ActionChangeRole:        {"", policy.CodeForbidden, policy.CodeInsufficientRole, policy.CodeLastOwner},
		policy.ActionEditName:          {"", policy.CodeForbidden, policy.CodeInsufficientRole, policy.CodeConflict},
		policy.ActionDisable:           {"", policy.CodeForbidden, policy.CodeInsufficientRole, policy.CodeConflict},
		policy.ActionEnable:            {"", policy.CodeForbidden, policy.CodeInsufficientRole, policy.CodeConflict},
		policy.ActionRemove:            {"", policy.CodeForbidden, policy.CodeInsufficientRole, policy.CodeLastOwner},
		policy.ActionGrantProfileRole:  {"", policy.CodeForbidden, policy.CodeInsufficientRole},
		policy.ActionRevokeProfileRole: {"", policy.CodeForbidden, policy.CodeInsufficientRole},
		policy.ActionTransferOwnership: {"", policy.CodeForbidden, policy.CodeConflict},
		policy.ActionCreateToken:       {"", policy.CodeForbidden},
		policy.ActionCheckOther:        {"", policy.CodeForbidden},
	}
	for _, a := range allActions {
		for _, code := range want[a] {
			if !seen[a][code] {
				t.Errorf("no enumerated %s request has expected code %q", a, code)
			}
		}
	}
}

// TestDecideSeedSentences are the seed pages' and SPEC's own sentences, one
// row each.
func TestDecideSeedSentences(t *testing.T) {
	active := func(role string) policy.Member { return policy.Member{Role: role, Status: policy.StatusActive} }
	ptr := func(m policy.Member) *policy.Member { return &m }

	tests := []struct {
		name    string
		catalog string
		req     policy.Request
		want    string // "" when allowed
	}{
		{
			name:    "A member in a user role can't remove another user",
			catalog: "bigeye",
			req:     policy.Request{Action: policy.ActionRemove, Actor: active("User"), Target: ptr(active("User")), ActiveOwners: 1},
			want:    policy.CodeForbidden,
		},
		{
			name:    "A user can invite other users",
			catalog: "bigeye",
			req:     policy.Request{Action: policy.ActionInvite, Actor: active("User"), NewRole: "User", ActiveOwners: 1},
			want:    "",
		},
		{
			name:    "A user can edit other users but not the admins",
			catalog: "bigeye",
			req:     policy.Request{Action: policy.ActionChangeRole, Actor: active("User"), Target: ptr(active("Admin")), NewRole: "User", ActiveOwners: 1},
			want:    policy.CodeInsufficientRole,
		},
		{
			name:    "A user cannot disable anyone",
			catalog: "bigeye",
			req:     policy.Request{Action: policy.ActionDisable, Actor: active("User"), Target: ptr(active("User")), ActiveOwners: 1},
			want:    policy.CodeForbidden,
		},
		{
			name:    "Admin cannot manage the permissions of an owner",
			catalog: "bigeye",
			req:     policy.Request{Action: policy.ActionChangeRole, Actor: active("Admin"), Target: ptr(active("Owner")), NewRole: "Admin", ActiveOwners: 2},
			want:    policy.CodeInsufficientRole,
		},
		{
			name:    "An admin can delete other administrators",
			catalog: "bigeye",
			req:     policy.Request{Action: policy.ActionRemove, Actor: active("Admin"), Target: ptr(active("Admin")), ActiveOwners: 1},
			want:    "",
		},
		{
			name:    "An owner can delete other owners",
			catalog: "bigeye",
			req:     policy.Request{Action: policy.ActionRemove, Actor: active("Owner"), Target: ptr(active("Owner")), ActiveOwners: 2},
			want:    "",
		},
		{
			name:    "You must have an equal or greater role than the one you're assigning",
			catalog: "bigeye",
			req:     policy.Request{Action: policy.ActionInvite, Actor: active("Admin"), NewRole: "Owner", ActiveOwners: 1},
			want:    policy.CodeInsufficientRole,
		},
		{
			name:    "An equal role may be assigned",
			catalog: "bigeye",
			req:     policy.Request{Action: policy.ActionChangeRole, Actor: active("Admin"), Target: ptr(active("User")), NewRole: "Admin", ActiveOwners: 1},
			want:    "",
		},
		{
			name:    "When editing the user, you must have an equal or greater role than the user you're editing",
			catalog: "bigeye",
			req:     policy.Request{Action: policy.ActionChangeRole, Actor: active("Admin"), Target: ptr(active("Owner")), NewRole: "Owner", ActiveOwners: 2},
			want:    policy.CodeInsufficientRole,
		},
		{
			name:    "Only the owner can transfer the account ownership",
			catalog: "bigeye",
			req:     policy.Request{Action: policy.ActionTransferOwnership, Actor: active("Admin"), Target: ptr(active("User")), ActiveOwners: 1, PasswordOK: true},
			want:    policy.CodeForbidden,
		},
		{
			name:    "The owner can transfer the account ownership to another active user",
			catalog: "bigeye",
			req:     policy.Request{Action: policy.ActionTransferOwnership, Actor: active("Owner"), Target: ptr(active("User")), ActiveOwners: 1, PasswordOK: true},
			want:    "",
		},
		{
			name:    "BizMetry Monitoring User cannot list members",
			catalog: "bizmetry",
			req:     policy.Request{Action: policy.ActionListMembers, Actor: active("Monitoring User"), ActiveOwners: 1},
			want:    policy.CodeForbidden,
		},
		{
			name:    "Users & Roles is available to the Organization Manager",
			catalog: "bizmetry",
			req:     policy.Request{Action: policy.ActionListMembers, Actor: active("Organization Manager"), ActiveOwners: 1},
			want:    "",
		},
		{
			name:    "An Architect cannot manage users",
			catalog: "bizmetry",
			req:     policy.Request{Action: policy.ActionInvite, Actor: active("Architect"), NewRole: "Developer", ActiveOwners: 1},
			want:    policy.CodeForbidden,
		},
		{
			name:    "The Organization Manager can invite and manage users",
			catalog: "bizmetry",
			req:     policy.Request{Action: policy.ActionDisable, Actor: active("Organization Manager"), Target: ptr(active("SRE")), ActiveOwners: 1},
			want:    "",
		},
		{
			name:    "Last Owner Warning: you cannot remove the last Organization Owner of an account",
			catalog: "bizmetry",
			req:     policy.Request{Action: policy.ActionRemove, Actor: active("Organization Owner"), Target: ptr(active("Organization Owner")), Self: true, ActiveOwners: 1},
			want:    policy.CodeLastOwner,
		},
		{
			name:    "Last Owner Warning: the last owner cannot demote themself",
			catalog: "bizmetry",
			req:     policy.Request{Action: policy.ActionChangeRole, Actor: active("Organization Owner"), Target: ptr(active("Organization Owner")), Self: true, NewRole: "Organization Manager", ActiveOwners: 1},
			want:    policy.CodeLastOwner,
		},
		{
			name:    "With a second owner the first may leave",
			catalog: "bizmetry",
			req:     policy.Request{Action: policy.ActionRemove, Actor: active("Organization Owner"), Target: ptr(active("Organization Owner")), Self: true, ActiveOwners: 2},
			want:    "",
		},
		{
			name:    "Last Owner Warning: you cannot disable the last Owner, oneself, either",
			catalog: "bigeye",
			req:     policy.Request{Action: policy.ActionDisable, Actor: active("Owner"), Target: ptr(active("Owner")), Self: true, ActiveOwners: 1},
			want:    policy.CodeForbidden, // disabling oneself is forbidden, and forbidden comes first
		},
		{
			name:    "A member with no member permission may still leave",
			catalog: "bizmetry",
			req:     policy.Request{Action: policy.ActionRemove, Actor: active("Quality Assurance"), Target: ptr(active("Quality Assurance")), Self: true, ActiveOwners: 1},
			want:    "",
		},
		{
			name:    "A pending invitation can be revoked",
			catalog: "bizmetry",
			req:     policy.Request{Action: policy.ActionRemove, Actor: active("Organization Manager"), Target: ptr(policy.Member{Role: "DevOps", Status: policy.StatusPending}), ActiveOwners: 1},
			want:    "",
		},
		{
			name:    "A pending invitation cannot be disabled",
			catalog: "bizmetry",
			req:     policy.Request{Action: policy.ActionDisable, Actor: active("Organization Manager"), Target: ptr(policy.Member{Role: "DevOps", Status: policy.StatusPending}), ActiveOwners: 1},
			want:    policy.CodeConflict,
		},
		{
			name:    "Ownership cannot be transferred with an API token",
			catalog: "bizmetry",
			req:     policy.Request{Action: policy.ActionTransferOwnership, Actor: active("Organization Owner"), Target: ptr(active("Organization Manager")), ActiveOwners: 1, ViaToken: true, PasswordOK: true},
			want:    policy.CodeForbidden,
		},
		{
			name:    "Ownership cannot go to a disabled member",
			catalog: "bizmetry",
			req:     policy.Request{Action: policy.ActionTransferOwnership, Actor: active("Organization Owner"), Target: ptr(policy.Member{Role: "SRE", Status: policy.StatusDisabled}), ActiveOwners: 1, PasswordOK: true},
			want:    policy.CodeConflict,
		},
		{
			name:    "A disabled member can do nothing, not even list",
			catalog: "bizmetry",
			req:     policy.Request{Action: policy.ActionListMembers, Actor: policy.Member{Role: "Organization Owner", Status: policy.StatusDisabled}, ActiveOwners: 1},
			want:    policy.CodeForbidden,
		},
		{
			name:    "An unknown role is invalid input",
			catalog: "bigeye",
			req:     policy.Request{Action: policy.ActionInvite, Actor: active("Owner"), NewRole: "Superuser", ActiveOwners: 1},
			want:    policy.CodeInvalidInput,
		},
		{
			name:    "A role of the other catalog is invalid input",
			catalog: "bigeye",
			req:     policy.Request{Action: policy.ActionInvite, Actor: active("Owner"), NewRole: "Organization Manager", ActiveOwners: 1},
			want:    policy.CodeInvalidInput,
		},
		{
			name:    "Role names are exact: case matters",
			catalog: "bizmetry",
			req:     policy.Request{Action: policy.ActionInvite, Actor: active("Organization Owner"), NewRole: "sre", ActiveOwners: 1},
			want:    policy.CodeInvalidInput,
		},
		{
			name:    "An actor whose role is not in the catalog is refused",
			catalog: "bizmetry",
			req:     policy.Request{Action: policy.ActionListMembers, Actor: active("Owner"), ActiveOwners: 1},
			want:    policy.CodeForbidden,
		},
		{
			name:    "Changing a member's role needs a role",
			catalog: "bigeye",
			req:     policy.Request{Action: policy.ActionChangeRole, Actor: active("Owner"), Target: ptr(active("User")), ActiveOwners: 1},
			want:    policy.CodeInvalidInput,
		},
		{
			name:    "Disabling needs a member to act on",
			catalog: "bigeye",
			req:     policy.Request{Action: policy.ActionDisable, Actor: active("Owner"), ActiveOwners: 1},
			want:    policy.CodeInvalidInput,
		},
		{
			name:    "An unknown action is refused",
			catalog: "bigeye",
			req:     policy.Request{Action: "members.everything", Actor: active("Owner"), Target: ptr(active("User")), ActiveOwners: 1},
			want:    policy.CodeForbidden,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := builtinForDecide(t, tc.catalog)
			got := c.Decide(tc.req)
			if got.Code != tc.want || got.Allowed != (tc.want == "") {
				t.Errorf("Decide(%s) = {Allowed:%v Code:%q Reason:%q}, want Code %q",
					describe(tc.req), got.Allowed, got.Code, got.Reason, tc.want)
			}
			if !got.Allowed && got.Reason == "" {
				t.Errorf("Decide(%s).Reason = \"\", want a sentence", describe(tc.req))
			}
		})
	}
}

func TestAdmits(t *testing.T) {
	for _, c := range []struct {
		m    *policy.Member
		want bool
	}{
		{nil, false},
		{&policy.Member{Role: "Owner", Status: policy.StatusPending}, false},
		{&policy.Member{Role: "Owner", Status: policy.StatusDisabled}, false},
		{&policy.Member{Role: "Owner", Status: ""}, false},
		{&policy.Member{Role: "User", Status: policy.StatusActive}, true},
	} {
		if got := policy.Admits(c.m); got != c.want {
			t.Errorf("Admits(%+v) = %v, want %v", c.m, got, c.want)
		}
	}
}

func TestTokenReaches(t *testing.T) {
	for _, c := range []struct {
		viaToken              bool
		tokenAccount, account string
		want                  bool
	}{
		{false, "", "acc_a", true},
		{true, "acc_a", "acc_a", true},
		{true, "acc_a", "acc_b", false},
		{true, "", "acc_a", false},
	} {
		if got := policy.TokenReaches(c.viaToken, c.tokenAccount, c.account); got != c.want {
			t.Errorf("TokenReaches(%v, %q, %q) = %v, want %v", c.viaToken, c.tokenAccount, c.account, got, c.want)
		}
	}
}

// A refusal for want of a permission names the roles that hold it, lowest
// first, as BizMetry's page does ("only available to users with the
// Organization Manager or Organization Owner account type").
func TestRefusalNamesTheRolesThatMay(t *testing.T) {
	active := func(role string) policy.Member { return policy.Member{Role: role, Status: policy.StatusActive} }
	for _, tc := range []struct {
		catalog string
		req     policy.Request
		want    string
	}{
		{"bizmetry", policy.Request{Action: policy.ActionListMembers, Actor: active("Developer"), ActiveOwners: 1},
			"Your role (Developer) does not allow you to see the members of this account; that takes the role Organization Manager or Organization Owner."},
		{"bigeye", policy.Request{Action: policy.ActionDisable, Actor: active("User"), Target: &policy.Member{Role: "User", Status: policy.StatusActive}, ActiveOwners: 1},
			"Your role (User) does not allow you to disable members; that takes the role Admin or Owner."},
	} {
		c, err := policy.Builtin(tc.catalog)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Decide(tc.req).Reason; got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.catalog, tc.req.Action, got, tc.want)
		}
	}
}

// A conflict says what the person is, and what to do instead.
func TestConflictsSayWhatToDo(t *testing.T) {
	active := func(role string) policy.Member { return policy.Member{Role: role, Status: policy.StatusActive} }
	for _, tc := range []struct {
		req  policy.Request
		want string
	}{
		{policy.Request{Action: policy.ActionInvite, Actor: active("Owner"), Target: &policy.Member{Role: "User", Status: policy.StatusPending}, NewRole: "User", ActiveOwners: 1},
			"This person is already invited; resend the invitation to send them a new link."},
		// One who may not resend it (a User, of a pending Admin) is told
		// to ask, not to resend.
		{policy.Request{Action: policy.ActionInvite, Actor: active("User"), Target: &policy.Member{Role: "Admin", Status: policy.StatusPending}, NewRole: "User", ActiveOwners: 1},
			"This person is already invited and has not joined yet. If they need a new link, ask one of the account's administrators to resend the invitation."},
		{policy.Request{Action: policy.ActionInvite, Actor: active("User"), Target: &policy.Member{Role: "User", Status: policy.StatusPending}, NewRole: "User", ActiveOwners: 1},
			"This person is already invited; resend the invitation to send them a new link."},
		{policy.Request{Action: policy.ActionInvite, Actor: active("Owner"), Target: &policy.Member{Role: "User", Status: policy.StatusDisabled}, NewRole: "User", ActiveOwners: 1},
			"This person is already a member of the account."},
		{policy.Request{Action: policy.ActionTransferOwnership, Actor: active("Owner"), Target: &policy.Member{Role: "Owner", Status: policy.StatusActive}, ActiveOwners: 2, PasswordOK: true},
			"This member already holds the role Owner; to step down, change your own role."},
	} {
		c, err := policy.Builtin("bigeye")
		if err != nil {
			t.Fatal(err)
		}
		if d := c.Decide(tc.req); d.Code != policy.CodeConflict || d.Reason != tc.want {
			t.Errorf("%s on a %s %s: %s %q, want conflict %q", tc.req.Action, tc.req.Target.Status, tc.req.Target.Role, d.Code, d.Reason, tc.want)
		}
	}
}

// TestNoSelfRaiseByPermissions: rule 6 (nobody raises their own role)
// holds for a role of the same rank that holds more permissions, which a
// catalog of the operator's own may have; a lateral move to one holding no
// more, or a step down, stays allowed.
func TestNoSelfRaiseByPermissions(t *testing.T) {
	c, err := policy.Parse("same-rank.yaml", []byte(`name: same-rank
owner_fallback: Lead
roles:
  - {name: Owner, rank: 3, permissions: [members.read, members.invite, members.edit, members.disable, members.remove, ownership.transfer, billing.manage]}
  - {name: Boss, rank: 2, permissions: [members.read, members.invite, members.edit, billing.manage]}
  - {name: Lead, rank: 2, permissions: [members.read, members.invite, members.edit]}
  - {name: Peer, rank: 2, permissions: [members.read, members.edit]}
  - {name: Viewer, rank: 1, permissions: [members.read]}
`))
	if err != nil {
		t.Fatal(err)
	}
	lead := policy.Member{Role: "Lead", Status: policy.StatusActive}
	for role, want := range map[string]string{"Boss": policy.CodeForbidden, "Peer": "", "Viewer": "", "Owner": policy.CodeInsufficientRole} {
		d := c.Decide(policy.Request{Action: policy.ActionChangeRole, Actor: lead, Target: &lead, Self: true, NewRole: role, ActiveOwners: 1})
		if d.Code != want || d.Allowed != (want == "") {
			t.Errorf("a Lead changing their own role to %s: %+v, want code %q", role, d, want)
		}
		if role == "Boss" && !strings.Contains(d.Reason, "billing.manage") {
			t.Errorf("the refusal does not name the permission gained: %q", d.Reason)
		}
	}
	// Giving Boss to someone else at one's rank is rule 2's business, as before.
	other := policy.Member{Role: "Peer", Status: policy.StatusActive}
	if d := c.Decide(policy.Request{Action: policy.ActionChangeRole, Actor: lead, Target: &other, NewRole: "Boss", ActiveOwners: 1}); !d.Allowed {
		t.Errorf("a Lead giving Boss to a Peer: %+v, want allowed", d)
	}
}

// TestPermissionNoRoleHolds: a catalog of the operator's own need not give
// any role every permission Roster reads (here no audit.read, no
// members.disable, no members.remove); asking for one is refused, never a
// panic.
func TestPermissionNoRoleHolds(t *testing.T) {
	c, err := policy.Parse("small.yaml", []byte(`name: small
owner_fallback: Member
roles:
  - {name: Owner, rank: 2, permissions: [members.read, members.invite, members.edit, ownership.transfer]}
  - {name: Member, rank: 1, permissions: [members.read]}
`))
	if err != nil {
		t.Fatal(err)
	}
	owner := policy.Member{Role: "Owner", Status: policy.StatusActive}
	member := policy.Member{Role: "Member", Status: policy.StatusActive}
	for _, a := range []policy.Action{policy.ActionReadAudit, policy.ActionDisable, policy.ActionEnable, policy.ActionRemove} {
		d := c.Decide(policy.Request{Action: a, Actor: owner, Target: &member, PasswordOK: true, ActiveOwners: 1})
		if d.Allowed || d.Code != policy.CodeForbidden {
			t.Errorf("%s with no role holding its permission: %+v, want forbidden", a, d)
		}
	}
}
