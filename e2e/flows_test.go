package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// commonFlows runs the flows both seed pages share (SPEC §3–§6) on the
// walk's account, in order: each leaves the account as it found it, but
// for the audit trail and a few extra members.
func (w *walk) commonFlows(t *testing.T) {
	t.Run("LastOwner", w.lastOwner)
	t.Run("TransferOwnership", w.transferOwnership)
	t.Run("DisabledMemberLockedOut", w.disabledLockedOut)
	t.Run("RoleChangeNextRequest", w.roleChangeNextRequest)
	t.Run("PendingMember", w.pendingMember)
	t.Run("CheckAPI", w.checkAPI)
	t.Run("ProfileRoles", w.profileRoles)
	t.Run("RolesAssignable", w.rolesAssignable)
	t.Run("AuditLog", w.auditLog)
}

// activeOwners counts the account's Active owners as the owner sees them.
func (w *walk) activeOwners(t *testing.T, c *client) []member {
	t.Helper()
	var out []member
	for _, m := range members(t, c, w.acc) {
		if m.Role == w.cat.owner && m.Status == "active" {
			out = append(out, m)
		}
	}
	return out
}

func wantLastOwnerDetail(t *testing.T, p problem, ownerRole string) {
	t.Helper()
	if !strings.Contains(p.Detail, "Assign another user as "+ownerRole) {
		t.Errorf("last_owner detail %q; want it to say \"Assign another user as %s first\"", p.Detail, ownerRole)
	}
}

// lastOwner: "You cannot remove or disable the last Organization Owner of an
// account. Assign another user as Owner first." (SPEC §3 rules 4 and 6)
func (w *walk) lastOwner(t *testing.T) {
	acc, o, cat := w.acc, w.owner, w.cat
	self := memberPath(acc, o.id)
	wantLastOwnerDetail(t, o.c.refused(t, "last_owner", "PATCH", self, map[string]string{"role": cat.fallback}), cat.owner)
	wantLastOwnerDetail(t, o.c.refused(t, "last_owner", "DELETE", self, nil), cat.owner)
	// Disabling oneself is refused before rule 4 is even asked (SPEC §5).
	o.c.refused(t, "forbidden", "PATCH", self, map[string]string{"status": "disabled"})
	// Raising oneself is never allowed, and keeping one's role changes nothing.
	var m member
	o.c.want(t, http.StatusOK, "PATCH", self, map[string]string{"role": cat.owner}, &m)
	if m.Role != cat.owner || m.Status != "active" {
		t.Fatalf("the sole owner after the refusals: %s/%s; want %s/active", m.Role, m.Status, cat.owner)
	}

	// With a second Active owner, the first may step down...
	co := w.s.join(t, o.c, acc, w.email("co-owner"), cat.owner, "Cora Owner")
	o.c.want(t, http.StatusOK, "PATCH", self, map[string]string{"role": cat.fallback}, &m)
	if m.Role != cat.fallback {
		t.Fatalf("owner stepped down to %s: role %q", cat.fallback, m.Role)
	}
	// ...and now the co-owner is the last one.
	coPath := memberPath(acc, co.id)
	wantLastOwnerDetail(t, co.c.refused(t, "last_owner", "PATCH", coPath, map[string]string{"role": cat.fallback}), cat.owner)
	wantLastOwnerDetail(t, co.c.refused(t, "last_owner", "DELETE", coPath, nil), cat.owner)
	o.c.refused(t, "insufficient_role", "PATCH", coPath, map[string]string{"role": cat.fallback})
	// The former owner may not raise themself back.
	o.c.refused(t, "insufficient_role", "PATCH", self, map[string]string{"role": cat.owner})
	co.c.want(t, http.StatusOK, "PATCH", self, map[string]string{"role": cat.owner}, &m)

	// Only Active owners count: with the co-owner disabled the owner is the last.
	o.c.want(t, http.StatusOK, "PATCH", coPath, map[string]string{"status": "disabled"}, &m)
	wantLastOwnerDetail(t, o.c.refused(t, "last_owner", "DELETE", self, nil), cat.owner)
	wantLastOwnerDetail(t, o.c.refused(t, "last_owner", "PATCH", self, map[string]string{"role": cat.fallback}), cat.owner)
	o.c.want(t, http.StatusOK, "PATCH", coPath, map[string]string{"status": "active"}, &m)

	// An owner may leave while another remains; then they are gone at once.
	co.c.want(t, http.StatusNoContent, "DELETE", coPath, nil, nil)
	co.c.refused(t, "not_found", "GET", accPath(acc, "/members"), nil)
	if owners := w.activeOwners(t, o.c); len(owners) != 1 || owners[0].User != o.id {
		t.Errorf("active owners after the co-owner left: %+v; want only %s", owners, o.id)
	}
}

// transferOwnership: SPEC §3 rule 5 and its refusal codes (§5).
func (w *walk) transferOwnership(t *testing.T) {
	acc, o, cat := w.acc, w.owner, w.cat
	mgr, low := w.byRole[cat.manager], w.byRole[cat.low]
	path := accPath(acc, "/ownership-transfer")
	body := func(user, password string) map[string]string {
		return map[string]string{"user": user, "password": password}
	}

	w.s.bearer(apiToken(t, o.c, acc, "owner token")).refused(t, "forbidden", "POST", path, body(mgr.id, o.password))
	o.c.refused(t, "forbidden", "POST", path, body(mgr.id, "not-the-password-at-all"))
	o.c.refused(t, "conflict", "POST", path, body(o.id, o.password))
	pending := invite(t, o.c, acc, w.email("transfer-pending"), cat.low, "Pat Pending")
	o.c.refused(t, "conflict", "POST", path, body(pending.User, o.password))
	o.c.want(t, http.StatusNoContent, "DELETE", memberPath(acc, pending.User), nil, nil)
	o.c.want(t, http.StatusOK, "PATCH", memberPath(acc, low.id), map[string]string{"status": "disabled"}, nil)
	o.c.refused(t, "conflict", "POST", path, body(low.id, o.password))
	o.c.want(t, http.StatusOK, "PATCH", memberPath(acc, low.id), map[string]string{"status": "active"}, nil)
	o.c.refused(t, "not_found", "POST", path, body("usr_nosuchuser00000", o.password))
	mgr.c.refused(t, "forbidden", "POST", path, body(o.id, mgr.password))
	if m := getMember(t, o.c, acc, o.id); m.Role != cat.owner {
		t.Fatalf("after refused transfers the owner's role is %q; want %q", m.Role, cat.owner)
	}

	var m member
	o.c.want(t, http.StatusOK, "POST", path, body(mgr.id, o.password), &m)
	if m.User != mgr.id || m.Role != cat.owner {
		t.Errorf("transfer answered %+v; want %s as %s", m, mgr.id, cat.owner)
	}
	if m := getMember(t, o.c, acc, o.id); m.Role != cat.fallback || m.Status != "active" {
		t.Errorf("the previous owner is %s/%s; want %s/active", m.Role, m.Status, cat.fallback)
	}
	if owners := w.activeOwners(t, o.c); len(owners) != 1 || owners[0].User != mgr.id {
		t.Errorf("active owners after the transfer: %+v; want only %s", owners, mgr.id)
	}
	// The previous owner has lost ownership.transfer at once.
	o.c.refused(t, "forbidden", "POST", path, body(mgr.id, o.password))

	// And back, so that the walk goes on with the same roles.
	mgr.c.want(t, http.StatusOK, "POST", path, body(o.id, mgr.password), &m)
	if m.User != o.id || m.Role != cat.owner {
		t.Errorf("transfer back answered %+v; want %s as %s", m, o.id, cat.owner)
	}
	if m := getMember(t, o.c, acc, mgr.id); m.Role != cat.fallback {
		t.Errorf("after the transfer back the manager is %q; want %q", m.Role, cat.fallback)
	}
	if cat.fallback != cat.manager {
		o.c.want(t, http.StatusOK, "PATCH", memberPath(acc, mgr.id), map[string]string{"role": cat.manager}, nil)
	}
}

// disabledLockedOut: a disabled member loses the account on their very next
// request, by session and by API token alike (SPEC §4).
func (w *walk) disabledLockedOut(t *testing.T) {
	acc, o, mgr := w.acc, w.owner, w.byRole[w.cat.manager]
	tok := w.s.bearer(apiToken(t, mgr.c, acc, "manager token"))
	list := accPath(acc, "/members")
	mgr.c.want(t, http.StatusOK, "GET", list, nil, nil)
	tok.want(t, http.StatusOK, "GET", list, nil, nil)

	var m member
	o.c.want(t, http.StatusOK, "PATCH", memberPath(acc, mgr.id), map[string]string{"status": "disabled"}, &m)
	if m.Status != "disabled" {
		t.Fatalf("disabled member's status %q", m.Status)
	}
	mgr.c.refused(t, "not_found", "GET", list, nil)
	tok.refused(t, "not_found", "GET", list, nil)
	tok.refused(t, "not_found", "POST", accPath(acc, "/invitations"),
		map[string]string{"email": w.email("by-disabled"), "role": w.cat.low})
	if res := checkOne(t, o.c, acc, check{User: mgr.id, Permission: "members.read"}); res.Code != "disabled" || res.Allowed {
		t.Errorf("check of a disabled member: %+v; want disabled", res)
	}
	// With no Active membership anywhere, logging in fails like a wrong password.
	asProblem(t, w.s.newClient().do(t, "POST", "/api/v1/session",
		map[string]string{"email": mgr.email, "password": mgr.password}), "unauthenticated")

	o.c.want(t, http.StatusOK, "PATCH", memberPath(acc, mgr.id), map[string]string{"status": "active"}, &m)
	mgr.c.want(t, http.StatusOK, "GET", list, nil, nil)
	tok.want(t, http.StatusOK, "GET", list, nil, nil)
}

// roleChangeNextRequest: "Role changes take effect on the user's next page
// load or login."
func (w *walk) roleChangeNextRequest(t *testing.T) {
	acc, o, mgr := w.acc, w.owner, w.byRole[w.cat.manager]
	tok := w.s.bearer(apiToken(t, mgr.c, acc, "manager token 2"))
	audit := accPath(acc, "/audit")
	mgr.c.want(t, http.StatusOK, "GET", audit, nil, nil)
	tok.want(t, http.StatusOK, "GET", audit, nil, nil)

	o.c.want(t, http.StatusOK, "PATCH", memberPath(acc, mgr.id), map[string]string{"role": w.cat.low}, nil)
	mgr.c.refused(t, "forbidden", "GET", audit, nil)
	tok.refused(t, "forbidden", "GET", audit, nil)
	if res := checkOne(t, mgr.c, acc, check{User: mgr.id, Permission: "members.disable"}); res.Code != "not_granted" {
		t.Errorf("demoted member's own check of members.disable: %+v; want not_granted", res)
	}

	o.c.want(t, http.StatusOK, "PATCH", memberPath(acc, mgr.id), map[string]string{"role": w.cat.manager}, nil)
	mgr.c.want(t, http.StatusOK, "GET", audit, nil, nil)
	tok.want(t, http.StatusOK, "GET", audit, nil, nil)
}

// acceptRefused checks that an invitation token no longer works.
func (w *walk) acceptRefused(t *testing.T, token, email string) {
	t.Helper()
	r := w.s.newClient().do(t, "POST", "/api/v1/invitations/accept",
		map[string]string{"token": token, "name": "Nobody Atall", "password": passwordFor(email)})
	asProblem(t, r, "invalid_token")
}

// pendingMember: resend gives a new link and kills the old one; revoke
// removes the invitation (SPEC §4, rule 7).
func (w *walk) pendingMember(t *testing.T) {
	acc, o, cat := w.acc, w.owner, w.cat
	email := w.email("pending1")
	p := invite(t, o.c, acc, email, cat.low, "Penny Pendng")
	first := w.s.waitToken(t, email, "/activate", "")

	var m member
	o.c.want(t, http.StatusOK, "POST", memberPath(acc, p.User)+"/invitation/resend", nil, &m)
	if m.Status != "pending" || m.User != p.User || m.InvitationExpiresAt == nil {
		t.Errorf("resend answered %+v; want the same pending member", m)
	}
	second := w.s.waitToken(t, email, "/activate", first)
	w.acceptRefused(t, first, email)

	// A pending member's role can change; it cannot be disabled or enabled.
	o.c.want(t, http.StatusOK, "PATCH", memberPath(acc, p.User), map[string]string{"role": cat.manager}, &m)
	if m.Role != cat.manager || m.Status != "pending" {
		t.Errorf("pending member after a role change: %s/%s; want %s/pending", m.Role, m.Status, cat.manager)
	}
	o.c.refused(t, "conflict", "PATCH", memberPath(acc, p.User), map[string]string{"status": "disabled"})
	o.c.refused(t, "conflict", "PATCH", memberPath(acc, p.User), map[string]string{"status": "active"})
	o.c.want(t, http.StatusOK, "PATCH", memberPath(acc, p.User), map[string]string{"name": "Penny Pending"}, &m)
	if m.Name != "Penny Pending" {
		t.Errorf("mended name %q; want %q", m.Name, "Penny Pending")
	}

	// The new link works once.
	c, me := w.s.activate(t, second, "Penny Pending", passwordFor(email))
	if me.User.ID != p.User {
		t.Errorf("activated user %s; want %s", me.User.ID, p.User)
	}
	if m := getMember(t, o.c, acc, p.User); m.Status != "active" || m.Role != cat.manager || m.InvitationExpiresAt != nil {
		t.Errorf("member after activation: %+v; want active %s without an invitation", m, cat.manager)
	}
	w.acceptRefused(t, second, email)
	o.c.refused(t, "conflict", "POST", memberPath(acc, p.User)+"/invitation/resend", nil)

	// Removing a member locks them out on their next request.
	c.want(t, http.StatusOK, "GET", accPath(acc, "/members"), nil, nil)
	o.c.want(t, http.StatusNoContent, "DELETE", memberPath(acc, p.User), nil, nil)
	c.refused(t, "not_found", "GET", accPath(acc, "/members"), nil)
	o.c.refused(t, "not_found", "GET", memberPath(acc, p.User), nil)

	// Revoking a pending invitation kills its link.
	email2 := w.email("pending2")
	p2 := invite(t, o.c, acc, email2, cat.low, "Paul Pending")
	tok := w.s.waitToken(t, email2, "/activate", "")
	o.c.want(t, http.StatusNoContent, "DELETE", memberPath(acc, p2.User), nil, nil)
	o.c.refused(t, "not_found", "GET", memberPath(acc, p2.User), nil)
	o.c.refused(t, "not_found", "POST", memberPath(acc, p2.User)+"/invitation/resend", nil)
	w.acceptRefused(t, tok, email2)
	for _, m := range members(t, o.c, acc) {
		if m.User == p.User || m.User == p2.User {
			t.Errorf("removed member %s still listed: %+v", m.Email, m)
		}
	}
	if res := checkOne(t, o.c, acc, check{User: p2.User, Permission: "members.read"}); res.Code != "not_member" {
		t.Errorf("check of a revoked invitee: %+v; want not_member", res)
	}
}

// checkAPI: the check API answers for every permission of every role
// exactly as GET /roles lists them, and as the seed sentences say (SPEC §5).
func (w *walk) checkAPI(t *testing.T) {
	acc, o, cat := w.acc, w.owner, w.cat
	rs := roles(t, o.c, acc)
	perms := map[string][]string{}
	var universe []string
	for _, r := range rs {
		perms[r.Name] = r.Permissions
		for _, p := range r.Permissions {
			if !slices.Contains(universe, p) {
				universe = append(universe, p)
			}
		}
	}
	if len(rs) != len(cat.roles) {
		t.Fatalf("GET /roles lists %d roles; want %d", len(rs), len(cat.roles))
	}
	for _, roleName := range cat.roles {
		p := w.person(roleName)
		for start := 0; start < len(universe); start += 100 {
			chunk := universe[start:min(start+100, len(universe))]
			var qs []check
			for _, perm := range chunk {
				qs = append(qs, check{User: p.id, Permission: perm})
			}
			var out struct {
				Results []checkResult `json:"results"`
			}
			o.c.want(t, http.StatusOK, "POST", accPath(acc, "/check/batch"), map[string]any{"checks": qs}, &out)
			if len(out.Results) != len(qs) {
				t.Fatalf("batch of %d checks answered %d results", len(qs), len(out.Results))
			}
			for i, res := range out.Results {
				want := "not_granted"
				if slices.Contains(perms[roleName], chunk[i]) {
					want = "granted"
				}
				if res.Code != want || res.Allowed != (want == "granted") {
					t.Errorf("check %s holds %s: %+v; want %s", roleName, chunk[i], res, want)
				}
			}
		}
	}
	for _, sc := range cat.seedChecks {
		want := map[bool]string{true: "granted", false: "not_granted"}[sc.granted]
		if res := checkOne(t, o.c, acc, check{User: w.person(sc.role).id, Permission: sc.perm}); res.Code != want {
			t.Errorf("seed: %s %s: %+v; want %s", sc.role, sc.perm, res, want)
		}
	}

	// Statuses: pending, disabled, not a member.
	pend := invite(t, o.c, acc, w.email("check-pending"), cat.low, "")
	if res := checkOne(t, o.c, acc, check{User: pend.User, Permission: perms[cat.low][0]}); res.Code != "pending" || res.Allowed {
		t.Errorf("check of a pending member: %+v; want pending", res)
	}
	low := w.byRole[cat.low]
	o.c.want(t, http.StatusOK, "PATCH", memberPath(acc, low.id), map[string]string{"status": "disabled"}, nil)
	if res := checkOne(t, o.c, acc, check{User: low.id, Permission: perms[cat.low][0]}); res.Code != "disabled" || res.Allowed {
		t.Errorf("check of a disabled member: %+v; want disabled", res)
	}
	o.c.want(t, http.StatusOK, "PATCH", memberPath(acc, low.id), map[string]string{"status": "active"}, nil)
	if res := checkOne(t, o.c, acc, check{User: "usr_nosuchuser00000", Permission: "members.read"}); res.Code != "not_member" {
		t.Errorf("check of a stranger: %+v; want not_member", res)
	}

	// Bad questions.
	o.c.refused(t, "invalid_input", "POST", accPath(acc, "/check"), check{User: o.id, Permission: "no.such.permission"})
	o.c.refused(t, "invalid_input", "POST", accPath(acc, "/check"), check{User: o.id, Permission: "members.read", Profile: "no-such-profile"})
	o.c.refused(t, "invalid_input", "POST", accPath(acc, "/check"), check{Permission: "members.read"})
	o.c.refused(t, "invalid_input", "POST", accPath(acc, "/check/batch"), map[string]any{"checks": []check{
		{User: o.id, Permission: "members.read"}, {User: o.id, Permission: "no.such.permission"},
	}})
	o.c.refused(t, "invalid_input", "POST", accPath(acc, "/check/batch"), map[string]any{"checks": []check{}})
	many := make([]check, 101)
	for i := range many {
		many[i] = check{User: o.id, Permission: "members.read"}
	}
	o.c.refused(t, "invalid_input", "POST", accPath(acc, "/check/batch"), map[string]any{"checks": many})

	// Who may ask: anyone about themself; about others, members.read.
	for _, roleName := range cat.roles {
		p := w.person(roleName)
		if res := checkOne(t, p.c, acc, check{User: p.id, Permission: perms[roleName][0]}); res.Code != "granted" {
			t.Errorf("%s's own check of %s: %+v; want granted", roleName, perms[roleName][0], res)
		}
		other := check{User: o.id, Permission: "members.read"}
		if roleName == cat.owner {
			other.User = low.id
		}
		if slices.Contains(perms[roleName], "members.read") {
			checkOne(t, p.c, acc, other)
		} else {
			p.c.refused(t, "forbidden", "POST", accPath(acc, "/check"), other)
		}
	}
	// The platform asks with an API token.
	bt := w.s.bearer(apiToken(t, o.c, acc, "platform"))
	if res := checkOne(t, bt, acc, check{User: low.id, Permission: perms[cat.low][0]}); res.Code != "granted" {
		t.Errorf("token check: %+v; want granted", res)
	}
	o.c.want(t, http.StatusNoContent, "DELETE", memberPath(acc, pend.User), nil, nil)
}

// profileRoles: a role on a profile grants its permissions there, never
// members.* (SPEC §6).
func (w *walk) profileRoles(t *testing.T) {
	acc, o, cat := w.acc, w.owner, w.cat
	g, mgr := w.byRole[cat.profileGrantee], w.byRole[cat.manager]
	prod := memberPath(acc, g.id) + "/profiles/prod"
	ops := memberPath(acc, g.id) + "/profiles/ops"

	if res := checkOne(t, o.c, acc, check{User: g.id, Permission: cat.profilePerm}); res.Code != "not_granted" {
		t.Fatalf("before any profile role, %s %s: %+v; want not_granted", cat.profileGrantee, cat.profilePerm, res)
	}
	var m member
	o.c.want(t, http.StatusOK, "PUT", prod, map[string]string{"role": cat.profileRole}, &m)
	if m.ProfileRoles["prod"] != cat.profileRole {
		t.Errorf("profile_roles after the grant: %v; want prod: %s", m.ProfileRoles, cat.profileRole)
	}
	if res := checkOne(t, o.c, acc, check{User: g.id, Permission: cat.profilePerm, Profile: "prod"}); res.Code != "granted" {
		t.Errorf("check %s on prod: %+v; want granted", cat.profilePerm, res)
	}
	if res := checkOne(t, o.c, acc, check{User: g.id, Permission: cat.profilePerm}); res.Code != "not_granted" {
		t.Errorf("check %s account-wide: %+v; want not_granted", cat.profilePerm, res)
	}
	// Managing people is account-wide: the manager role on a profile gives none of it.
	o.c.want(t, http.StatusOK, "PUT", ops, map[string]string{"role": cat.manager}, &m)
	if res := checkOne(t, o.c, acc, check{User: g.id, Permission: cat.accountWidePerm, Profile: "ops"}); res.Code != "not_granted" {
		t.Errorf("check %s on ops with the profile role %s: %+v; want not_granted", cat.accountWidePerm, cat.manager, res)
	}
	var ps page[struct {
		Name string `json:"name"`
	}]
	o.c.want(t, http.StatusOK, "GET", accPath(acc, "/profiles"), nil, &ps)
	var names []string
	for _, p := range ps.Items {
		names = append(names, p.Name)
	}
	if !slices.Contains(names, "prod") || !slices.Contains(names, "ops") {
		t.Errorf("profiles %v; want prod and ops", names)
	}
	if m := getMember(t, o.c, acc, g.id); m.ProfileRoles["prod"] != cat.profileRole || m.ProfileRoles["ops"] != cat.manager {
		t.Errorf("member's profile_roles %v; want prod: %s, ops: %s", m.ProfileRoles, cat.profileRole, cat.manager)
	}

	// Granting follows rules 1–3.
	mgr.c.refused(t, "insufficient_role", "PUT", prod, map[string]string{"role": cat.owner})
	// Nobody raises themself: a member granting themself a profile role above
	// their own is refused (forbidden, or insufficient_role by rule 2).
	if r := g.c.do(t, "PUT", prod, map[string]string{"role": cat.profileRole}); r.status != http.StatusForbidden {
		t.Errorf("%v; want 403 forbidden or insufficient_role", r)
	} else {
		var p problem
		if err := json.Unmarshal(r.body, &p); err != nil || (p.Code != "forbidden" && p.Code != "insufficient_role") {
			t.Errorf("%v; want code forbidden or insufficient_role", r)
		}
	}
	o.c.refused(t, "invalid_input", "PUT", memberPath(acc, g.id)+"/profiles/Not_A_Slug", map[string]string{"role": cat.low})
	o.c.refused(t, "invalid_input", "PUT", prod, map[string]string{"role": "No Such Role"})

	// Revoking.
	o.c.want(t, http.StatusNoContent, "DELETE", prod, nil, nil)
	if res := checkOne(t, o.c, acc, check{User: g.id, Permission: cat.profilePerm, Profile: "prod"}); res.Code != "not_granted" {
		t.Errorf("check %s on prod after the revoke: %+v; want not_granted", cat.profilePerm, res)
	}
	o.c.refused(t, "not_found", "DELETE", prod, nil)
	o.c.want(t, http.StatusNoContent, "DELETE", ops, nil, nil)
	if m := getMember(t, o.c, acc, g.id); len(m.ProfileRoles) != 0 {
		t.Errorf("profile_roles after revoking both: %v; want none", m.ProfileRoles)
	}
}

// rolesAssignable: GET /roles marks, for the caller, the roles it may give.
func (w *walk) rolesAssignable(t *testing.T) {
	acc, cat := w.acc, w.cat
	all := roles(t, w.owner.c, acc)
	rank := map[string]int{}
	perms := map[string][]string{}
	owners := 0
	for i, r := range all {
		if r.Name != cat.roles[i] {
			t.Errorf("role %d is %q; want %q (catalog order, most powerful first)", i, r.Name, cat.roles[i])
		}
		if i > 0 && r.Rank > all[i-1].Rank {
			t.Errorf("role %q (rank %d) listed after %q (rank %d); want most powerful first", r.Name, r.Rank, all[i-1].Name, all[i-1].Rank)
		}
		if slices.Contains(r.Permissions, "ownership.transfer") {
			owners++
			if r.Name != cat.owner {
				t.Errorf("role %q holds ownership.transfer; only %q should", r.Name, cat.owner)
			}
		}
		rank[r.Name], perms[r.Name] = r.Rank, r.Permissions
	}
	if owners != 1 {
		t.Errorf("%d roles hold ownership.transfer; want exactly 1", owners)
	}
	for _, roleName := range cat.roles {
		p := w.person(roleName)
		if !slices.Contains(perms[roleName], "members.read") {
			p.c.refused(t, "forbidden", "GET", accPath(acc, "/roles"), nil)
			continue
		}
		var got []string
		for _, r := range roles(t, p.c, acc) {
			if r.Assignable {
				got = append(got, r.Name)
			}
		}
		var want []string
		if slices.Contains(perms[roleName], "members.invite") {
			for _, r := range cat.roles {
				if rank[r] <= rank[roleName] {
					want = append(want, r)
				}
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("roles assignable by %s: %q; want %q", roleName, got, want)
		}
	}
}

// auditLog: the owner reads every change, newest first (SPEC §4).
func (w *walk) auditLog(t *testing.T) {
	acc, o, cat := w.acc, w.owner, w.cat
	mgr := w.byRole[cat.manager]
	events := auditLog(t, o.c, acc, 7)
	seen := map[int64]bool{}
	for i, e := range events {
		if seen[e.ID] {
			t.Errorf("audit event %d listed twice", e.ID)
		}
		seen[e.ID] = true
		if i > 0 && (e.ID >= events[i-1].ID || e.At.After(events[i-1].At)) {
			t.Errorf("audit event %d (%s at %s) follows %d (%s at %s); want newest first",
				e.ID, e.Action, e.At, events[i-1].ID, events[i-1].Action, events[i-1].At)
		}
	}
	has := func(action, actor, target string, before, after map[string]string) bool {
		for _, e := range events {
			if e.Action != action || (actor != "" && (e.Actor == nil || *e.Actor != actor)) ||
				(target != "" && (e.Target == nil || *e.Target != target)) {
				continue
			}
			match := true
			for k, v := range before {
				match = match && e.Before[k] == v
			}
			for k, v := range after {
				match = match && e.After[k] == v
			}
			if match {
				return true
			}
		}
		return false
	}
	for _, a := range []string{"member.invited", "member.role_changed", "member.disabled", "member.enabled", "member.removed", "ownership.transferred"} {
		if !has(a, "", "", nil, nil) {
			t.Errorf("the audit log has no %s event", a)
		}
	}
	if !has("ownership.transferred", o.id, mgr.id, nil, nil) {
		t.Errorf("no ownership.transferred event by %s to %s", o.id, mgr.id)
	}
	if !has("member.disabled", o.id, mgr.id, map[string]string{"status": "active"}, map[string]string{"status": "disabled"}) {
		t.Errorf("no member.disabled event by %s on %s (active → disabled)", o.id, mgr.id)
	}
	if !has("member.enabled", o.id, mgr.id, map[string]string{"status": "disabled"}, map[string]string{"status": "active"}) {
		t.Errorf("no member.enabled event by %s on %s (disabled → active)", o.id, mgr.id)
	}
	if !has("member.role_changed", o.id, mgr.id, map[string]string{"role": cat.manager}, map[string]string{"role": cat.low}) {
		t.Errorf("no member.role_changed event by %s on %s (%s → %s)", o.id, mgr.id, cat.manager, cat.low)
	}
	if !has("member.invited", o.id, w.byRole[cat.low].id, nil, map[string]string{"role": cat.low}) {
		t.Errorf("no member.invited event by %s of %s as %s", o.id, w.byRole[cat.low].id, cat.low)
	}
	for _, e := range events {
		if e.Action == "ownership.transferred" && (e.IP == nil || *e.IP != "127.0.0.1") {
			t.Errorf("ownership.transferred event %d has ip %v; want 127.0.0.1", e.ID, e.IP)
		}
	}
	// The default page is at most 50 events; the rank-1 roles may not read it.
	var first page[auditEvent]
	o.c.want(t, http.StatusOK, "GET", accPath(acc, "/audit"), nil, &first)
	if len(first.Items) == 0 || len(first.Items) > 50 || first.Items[0].ID != events[0].ID {
		t.Errorf("default audit page: %d items starting at %v; want 1–50 starting at %d", len(first.Items), first.Items, events[0].ID)
	}
	w.byRole[cat.low].c.refused(t, "forbidden", "GET", accPath(acc, "/audit"), nil)
}
