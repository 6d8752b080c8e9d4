package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// catalogCase describes one built-in catalog as the seed pages tell it.
type catalogCase struct {
	name   string // --catalog
	title  string // the account's name
	domain string // of the test users' emails
	// roles in catalog order, the owner role first.
	roles    []string
	owner    string // the owner role
	fallback string // the owner's role after a transfer
	manager  string // the rank-2 role
	low      string // a rank-1 role used for demotions
	// defaultRole is what an invitation without a role gives; "" when a
	// role is required.
	defaultRole string
	// Profile roles (SPEC §6): profileRole, granted to a profileGrantee on a
	// profile, grants profilePerm there; a profile role never grants
	// accountWidePerm, which the grantee's account role lacks.
	profileGrantee  string
	profileRole     string
	profilePerm     string
	accountWidePerm string
	// seedChecks are the seed's sentences as check API answers.
	seedChecks []seedCheck
}

type seedCheck struct {
	role, perm string
	granted    bool
}

var bigeye = catalogCase{
	name: "bigeye", title: "Bigeye Test", domain: "bigeye.test",
	roles: []string{"Owner", "Admin", "User"}, owner: "Owner", fallback: "Admin", manager: "Admin", low: "User",
	defaultRole:    "User",
	profileGrantee: "User", profileRole: "Admin", profilePerm: "settings.advanced.manage", accountWidePerm: "members.remove",
	seedChecks: []seedCheck{
		// "Owners have full access to data-related, account, and advanced
		// settings. They can also transfer the account ownership."
		{"Owner", "ownership.transfer", true},
		{"Owner", "settings.account.manage", true},
		{"Owner", "settings.advanced.manage", true},
		{"Owner", "members.remove", true},
		// "Admins have all the rights that the owner enjoys, except ..."
		{"Admin", "settings.advanced.manage", true},
		{"Admin", "settings.account.manage", true},
		{"Admin", "members.remove", true},
		{"Admin", "members.disable", true},
		{"Admin", "ownership.transfer", false},
		// "A user can add and edit other users ... cannot delete other users."
		{"User", "members.invite", true},
		{"User", "members.edit", true},
		{"User", "members.remove", false},
		{"User", "members.disable", false},
		// "Users do not have access to advanced settings and are able to..."
		{"User", "settings.advanced.manage", false},
		{"User", "collections.create", true},
		{"User", "deltas.create", true},
		{"User", "notifications.slack.create", true},
		{"User", "issues.read", true},
		{"User", "catalog.read", true},
		{"User", "issues.manage", false},
		{"User", "catalog.manage", false},
		{"User", "ownership.transfer", false},
	},
}

var bizmetry = catalogCase{
	name: "bizmetry", title: "BizMetry Test", domain: "bizmetry.test",
	roles: []string{"Organization Owner", "Organization Manager", "Architect", "Developer", "DevOps", "SRE",
		"Telemetry Operator", "Business Administrator", "Monitoring User", "Quality Assurance"},
	owner: "Organization Owner", fallback: "Organization Manager", manager: "Organization Manager", low: "Architect",
	profileGrantee: "Developer", profileRole: "Architect", profilePerm: "templates.manage", accountWidePerm: "members.invite",
	seedChecks: []seedCheck{
		{"Organization Owner", "billing.manage", true},
		{"Organization Owner", "billing.read", true},
		{"Organization Owner", "templates.manage", true},
		{"Organization Owner", "ownership.transfer", true},
		// "Can invite and manage users, configure profiles and templates.
		// Cannot access billing."
		{"Organization Manager", "members.invite", true},
		{"Organization Manager", "members.edit", true},
		{"Organization Manager", "templates.manage", true},
		{"Organization Manager", "profiles.configure", true},
		{"Organization Manager", "billing.read", false},
		{"Organization Manager", "billing.manage", false},
		{"Organization Manager", "ownership.transfer", false},
		// "Can design and manage Templates and Profile configurations.
		// Cannot manage users."
		{"Architect", "templates.manage", true},
		{"Architect", "profiles.configure", true},
		{"Architect", "members.read", false},
		{"Architect", "members.invite", false},
		{"Architect", "billing.read", false},
		// "Can configure agents, datasources, and instrumentation.
		// Read-only on templates."
		{"Developer", "agents.configure", true},
		{"Developer", "datasources.configure", true},
		{"Developer", "instrumentation.configure", true},
		{"Developer", "templates.read", true},
		{"Developer", "templates.manage", false},
		// "Can deploy, restart, and monitor agents. Cannot edit templates or profiles."
		{"DevOps", "agents.deploy", true},
		{"DevOps", "agents.restart", true},
		{"DevOps", "agents.monitor", true},
		{"DevOps", "templates.manage", false},
		{"DevOps", "profiles.configure", false},
		// "Can monitor SLAs, view logs, and manage agent operations."
		{"SRE", "slas.monitor", true},
		{"SRE", "logs.read", true},
		{"SRE", "agents.operate", true},
		{"SRE", "templates.manage", false},
		// "Read-only access to monitoring dashboards and telemetry data."
		{"Telemetry Operator", "dashboards.monitoring.read", true},
		{"Telemetry Operator", "telemetry.read", true},
		{"Telemetry Operator", "agents.configure", false},
		// "Access to analytics dashboards and KPI reports. No platform configuration."
		{"Business Administrator", "dashboards.analytics.read", true},
		{"Business Administrator", "reports.kpi.read", true},
		{"Business Administrator", "agents.configure", false},
		{"Business Administrator", "templates.manage", false},
		// "View-only access to agent status and system-level dashboards."
		{"Monitoring User", "agents.status.read", true},
		{"Monitoring User", "dashboards.system.read", true},
		{"Monitoring User", "agents.deploy", false},
		// "Access to QA environments and telemetry validation flows."
		{"Quality Assurance", "environments.qa.access", true},
		{"Quality Assurance", "telemetry.validate", true},
		{"Quality Assurance", "agents.deploy", false},
	},
}

// walk is one account taken through a seed page: its owner and one Active
// member of every other role.
type walk struct {
	s      *server
	cat    catalogCase
	acc    string
	owner  *person
	byRole map[string]*person
}

// person returns the walk's member holding roleName.
func (w *walk) person(roleName string) *person {
	if roleName == w.cat.owner {
		return w.owner
	}
	return w.byRole[roleName]
}

// email makes a test address in the walk's domain.
func (w *walk) email(local string) string { return local + "@" + w.cat.domain }

func slug(s string) string { return strings.ToLower(strings.ReplaceAll(s, " ", "-")) }

// newWalk starts a server, creates the account, activates its owner, and has
// the owner invite one member of every other role; each activates and logs
// in (SPEC §4).
func newWalk(t *testing.T, cat catalogCase) *walk {
	t.Helper()
	s := startServer(t)
	acc, owner := s.newAccount(t, cat.title, cat.name, "owner@"+cat.domain)
	w := &walk{s: s, cat: cat, acc: acc, owner: owner, byRole: map[string]*person{}}
	if m := getMember(t, owner.c, acc, owner.id); m.Role != cat.owner || m.Status != "active" {
		t.Fatalf("first owner is %s/%s; want %s/active", m.Role, m.Status, cat.owner)
	}
	for _, r := range cat.roles[1:] {
		given := r
		if r == cat.defaultRole {
			given = "" // the seed's Invite dialog: Full Name and Email only
		}
		p := s.join(t, owner.c, acc, w.email(slug(r)), given, r+" Person")
		m := getMember(t, owner.c, acc, p.id)
		if m.Role != r || m.Status != "active" || m.InvitedBy == nil || *m.InvitedBy != owner.id || m.JoinedAt == nil {
			t.Fatalf("member invited as %q (role given %q): %+v; want an active %s invited by the owner", r, given, m, r)
		}
		w.byRole[r] = p
	}
	ms := members(t, owner.c, acc)
	if len(ms) != len(cat.roles) {
		t.Fatalf("the account has %d members; want %d (one per role)", len(ms), len(cat.roles))
	}
	for _, m := range ms {
		if m.Status != "active" || m.LastLoginAt == nil || m.InvitationExpiresAt != nil {
			t.Errorf("member %s (%s): status %s, last_login_at %v, invitation_expires_at %v; want active, a last login, no invitation",
				m.Email, m.Role, m.Status, m.LastLoginAt, m.InvitationExpiresAt)
		}
	}
	return w
}

// TestBigeyeSeedWalk follows bigeye-user-roles.txt: three ranked roles where
// a User may invite and edit Users but never remove or disable anyone, and
// an Admin may do everything but manage Owners.
func TestBigeyeSeedWalk(t *testing.T) {
	t.Parallel()
	w := newWalk(t, bigeye)
	acc, owner, admin, user := w.acc, w.owner, w.byRole["Admin"], w.byRole["User"]

	// "A user can invite other users."
	user2 := w.s.join(t, user.c, acc, w.email("user2"), "", "Ursula Second")
	if m := getMember(t, owner.c, acc, user2.id); m.Role != "User" || m.InvitedBy == nil || *m.InvitedBy != user.id {
		t.Fatalf("member invited by a User: %+v; want role User invited by %s", m, user.id)
	}

	t.Run("User", func(t *testing.T) {
		// "When assigning roles, you must have an equal or greater role."
		user.c.refused(t, "insufficient_role", "POST", accPath(acc, "/invitations"),
			map[string]string{"email": w.email("would-be-admin"), "role": "Admin"})
		user.c.refused(t, "insufficient_role", "POST", accPath(acc, "/invitations"),
			map[string]string{"email": w.email("would-be-owner"), "role": "Owner"})
		// "A user can add and edit other users but not the admins and owners."
		// Setting the role a member already has succeeds and changes nothing.
		eventsBefore := len(auditLog(t, owner.c, acc, 200))
		var m member
		user.c.want(t, http.StatusOK, "PATCH", memberPath(acc, user2.id), map[string]string{"role": "User"}, &m)
		if m.Role != "User" {
			t.Errorf("User set a User's role to User: got %q", m.Role)
		}
		if n := len(auditLog(t, owner.c, acc, 200)); n != eventsBefore {
			t.Errorf("a role change to the same role wrote %d audit events; want none", n-eventsBefore)
		}
		user.c.refused(t, "insufficient_role", "PATCH", memberPath(acc, user2.id), map[string]string{"role": "Admin"})
		user.c.refused(t, "insufficient_role", "PATCH", memberPath(acc, admin.id), map[string]string{"role": "User"})
		user.c.refused(t, "insufficient_role", "PATCH", memberPath(acc, owner.id), map[string]string{"role": "User"})
		// "A member in a user role can't remove another user."
		user.c.refused(t, "forbidden", "DELETE", memberPath(acc, user2.id), nil)
		user.c.refused(t, "forbidden", "PATCH", memberPath(acc, user2.id), map[string]string{"status": "disabled"})
		user.c.refused(t, "forbidden", "PATCH", memberPath(acc, user2.id), map[string]string{"status": "active"})
		user.c.refused(t, "forbidden", "GET", accPath(acc, "/audit"), nil)
		user.c.refused(t, "forbidden", "POST", accPath(acc, "/ownership-transfer"),
			map[string]string{"user": user2.id, "password": user.password})
		if ms := members(t, user.c, acc); len(ms) != 4 {
			t.Errorf("a User lists %d members; want 4", len(ms))
		}
		// Nothing above changed anyone.
		for _, p := range []*person{owner, admin, user, user2} {
			m := getMember(t, owner.c, acc, p.id)
			want := map[*person]string{owner: "Owner", admin: "Admin", user: "User", user2: "User"}[p]
			if m.Role != want || m.Status != "active" {
				t.Errorf("after the User's refused attempts %s is %s/%s; want %s/active", p.email, m.Role, m.Status, want)
			}
		}
	})

	t.Run("BulkInvite", func(t *testing.T) {
		// Every row stands alone; a row above the inviter's rank is invalid
		// with insufficient_role (SPEC §5).
		csv := []byte("email,role,name\n" +
			w.email("bulk-user") + ",User,Bulk User\n" +
			w.email("bulk-admin") + ",Admin,Bulk Admin\n" +
			strings.ToUpper(user2.email) + ",User,Duplicate\n" +
			"not-an-email,User,Bad Address\n" +
			w.email("bulk-norole") + ",,No Role\n")
		type row struct {
			Line    int     `json:"line"`
			Email   string  `json:"email"`
			Outcome string  `json:"outcome"`
			Code    *string `json:"code"`
		}
		want := []struct {
			line          int
			outcome, code string
		}{
			{2, "invited", ""}, {3, "invalid", "insufficient_role"}, {4, "already_member", ""},
			{5, "invalid", "invalid_input"}, {6, "invited", ""},
		}
		countBefore := len(members(t, owner.c, acc))
		for _, dry := range []bool{true, false} {
			path := accPath(acc, "/invitations/bulk")
			if dry {
				path += "?dry_run=true"
			}
			r := user.c.send(t, "POST", path, "text/csv", csv)
			var out struct {
				Items []row `json:"items"`
			}
			if r.status != http.StatusOK || json.Unmarshal(r.body, &out) != nil {
				t.Fatalf("%v; want 200 with items", r)
			}
			if len(out.Items) != len(want) {
				t.Fatalf("bulk (dry run %v) answered %d rows; want %d: %s", dry, len(out.Items), len(want), r.body)
			}
			for i, got := range out.Items {
				exp := want[i]
				outcome := exp.outcome
				if dry && outcome == "invited" {
					outcome = "would_invite"
				}
				code := ""
				if got.Code != nil {
					code = *got.Code
				}
				if got.Line != exp.line || got.Outcome != outcome || (exp.code != "" && code != exp.code) {
					t.Errorf("bulk (dry run %v) row %d: %+v (code %q); want line %d, %s %s", dry, i, got, code, exp.line, outcome, exp.code)
				}
			}
			n := len(members(t, owner.c, acc))
			if dry && n != countBefore {
				t.Errorf("a dry run changed the member count from %d to %d", countBefore, n)
			}
			if !dry && n != countBefore+2 {
				t.Errorf("after the bulk invitation there are %d members; want %d", n, countBefore+2)
			}
		}
		for _, m := range members(t, owner.c, acc) {
			if strings.HasPrefix(m.Email, "bulk-") && (m.Role != "User" || m.Status != "pending") {
				t.Errorf("bulk-invited %s is %s/%s; want User/pending", m.Email, m.Role, m.Status)
			}
			if m.Email == w.email("bulk-admin") {
				t.Errorf("the refused Admin row was invited: %+v", m)
			}
		}
	})

	t.Run("Admin", func(t *testing.T) {
		// "An admin can add, edit and delete users and other administrators,
		// but not the owners."
		admin.c.refused(t, "insufficient_role", "PATCH", memberPath(acc, owner.id), map[string]string{"role": "Admin"})
		admin.c.refused(t, "insufficient_role", "PATCH", memberPath(acc, owner.id), map[string]string{"status": "disabled"})
		admin.c.refused(t, "insufficient_role", "DELETE", memberPath(acc, owner.id), nil)
		admin.c.refused(t, "insufficient_role", "POST", accPath(acc, "/invitations"),
			map[string]string{"email": w.email("admins-owner"), "role": "Owner"})
		admin.c.refused(t, "insufficient_role", "PATCH", memberPath(acc, user2.id), map[string]string{"role": "Owner"})
		admin.c.refused(t, "forbidden", "POST", accPath(acc, "/ownership-transfer"),
			map[string]string{"user": user2.id, "password": admin.password})

		var m member
		admin.c.want(t, http.StatusOK, "PATCH", memberPath(acc, user2.id), map[string]string{"role": "Admin"}, &m)
		if m.Role != "Admin" {
			t.Errorf("Admin promoted a User to Admin: role %q", m.Role)
		}
		admin.c.want(t, http.StatusOK, "PATCH", memberPath(acc, user2.id), map[string]string{"role": "User"}, &m)
		admin.c.want(t, http.StatusOK, "PATCH", memberPath(acc, user2.id), map[string]string{"status": "disabled"}, &m)
		if m.Status != "disabled" {
			t.Errorf("Admin disabled a User: status %q", m.Status)
		}
		admin.c.want(t, http.StatusOK, "PATCH", memberPath(acc, user2.id), map[string]string{"status": "active"}, &m)
		if m.Status != "active" {
			t.Errorf("Admin enabled a User: status %q", m.Status)
		}

		admin2 := w.s.join(t, admin.c, acc, w.email("admin2"), "Admin", "Adam Second")
		admin.c.want(t, http.StatusNoContent, "DELETE", memberPath(acc, admin2.id), nil, nil)
		admin.c.refused(t, "not_found", "GET", memberPath(acc, admin2.id), nil)
		// A removed member loses the account on their very next request.
		admin2.c.refused(t, "not_found", "GET", accPath(acc, "/members"), nil)
		admin.c.want(t, http.StatusOK, "GET", accPath(acc, "/audit"), nil, nil)
	})

	t.Run("Owner", func(t *testing.T) {
		// "An owner can add, edit and delete users, administrators, and other owners."
		pendingOwner := invite(t, owner.c, acc, w.email("second-owner"), "Owner", "")
		// A pending Owner is above a User and an Admin: they may not resend or revoke it.
		for _, p := range []*person{user, admin} {
			p.c.refused(t, "insufficient_role", "POST", memberPath(acc, pendingOwner.User)+"/invitation/resend", nil)
			p.c.refused(t, "insufficient_role", "PATCH", memberPath(acc, pendingOwner.User), map[string]string{"role": "User"})
		}
		admin.c.refused(t, "insufficient_role", "DELETE", memberPath(acc, pendingOwner.User), nil)
		var m member
		owner.c.want(t, http.StatusOK, "PATCH", memberPath(acc, admin.id), map[string]string{"role": "Owner"}, &m)
		if m.Role != "Owner" {
			t.Errorf("Owner promoted an Admin to Owner: role %q", m.Role)
		}
		owner.c.want(t, http.StatusOK, "PATCH", memberPath(acc, admin.id), map[string]string{"role": "Admin"}, &m)
		// Inviting a member again is a conflict, whatever the case of the email.
		owner.c.refused(t, "conflict", "POST", accPath(acc, "/invitations"),
			map[string]string{"email": strings.ToUpper(user.email), "role": "User"})
		owner.c.refused(t, "conflict", "POST", accPath(acc, "/invitations"),
			map[string]string{"email": w.email("second-owner"), "role": "User"})
	})

	w.commonFlows(t)
}

// TestBizmetrySeedWalk follows bizmetry-users-and-roles.txt: only the
// Organization Owner and Organization Manager may open user management; the
// eight rank-1 roles hold product permissions only.
func TestBizmetrySeedWalk(t *testing.T) {
	t.Parallel()
	w := newWalk(t, bizmetry)
	acc, owner, mgr := w.acc, w.owner, w.byRole["Organization Manager"]

	t.Run("InviteNeedsRole", func(t *testing.T) {
		// "Select their Role": BizMetry has no default role.
		owner.c.refused(t, "invalid_input", "POST", accPath(acc, "/invitations"),
			map[string]string{"email": w.email("no-role")})
		owner.c.refused(t, "invalid_input", "POST", accPath(acc, "/invitations"),
			map[string]string{"email": w.email("bad-role"), "role": "Viewer"})
	})

	t.Run("AdministratorAccessRequired", func(t *testing.T) {
		// "This section is only available to users with the Organization
		// Manager or Organization Owner account type."
		others := w.byRole["Developer"]
		for _, r := range bizmetry.roles[2:] {
			p := w.byRole[r]
			target := others
			if r == "Developer" {
				target = w.byRole["Architect"]
			}
			p.c.refused(t, "forbidden", "GET", accPath(acc, "/members"), nil)
			p.c.refused(t, "forbidden", "GET", accPath(acc, "/roles"), nil)
			p.c.refused(t, "forbidden", "GET", accPath(acc, "/profiles"), nil)
			p.c.refused(t, "forbidden", "GET", accPath(acc, "/audit"), nil)
			p.c.refused(t, "forbidden", "GET", memberPath(acc, target.id), nil)
			p.c.refused(t, "forbidden", "POST", accPath(acc, "/invitations"),
				map[string]string{"email": w.email("by-" + slug(r)), "role": r})
			p.c.refused(t, "forbidden", "PATCH", memberPath(acc, target.id), map[string]string{"role": r})
			p.c.refused(t, "forbidden", "PATCH", memberPath(acc, target.id), map[string]string{"status": "disabled"})
			p.c.refused(t, "forbidden", "DELETE", memberPath(acc, target.id), nil)
			p.c.refused(t, "forbidden", "POST", accPath(acc, "/check"),
				check{User: target.id, Permission: "templates.read"})
			// A member may still ask the check API about themself.
			checkOne(t, p.c, acc, check{User: p.id, Permission: "templates.read"})
		}
		if ms := members(t, owner.c, acc); len(ms) != len(bizmetry.roles) {
			t.Errorf("after the refused attempts the account has %d members; want %d", len(ms), len(bizmetry.roles))
		}
		// Leaving needs no permission (SPEC §3).
		leaver := w.s.join(t, owner.c, acc, "Lee.Leaver@BizMetry.test", "Monitoring User", "Lee Leaver")
		if m := getMember(t, owner.c, acc, leaver.id); m.Email != "Lee.Leaver@BizMetry.test" {
			t.Errorf("email shown as %q; want it as first written, Lee.Leaver@BizMetry.test", m.Email)
		}
		leaver.c.want(t, http.StatusNoContent, "DELETE", memberPath(acc, leaver.id), nil, nil)
		owner.c.refused(t, "not_found", "GET", memberPath(acc, leaver.id), nil)
		leaver.c.refused(t, "not_found", "GET", memberPath(acc, leaver.id), nil)
	})

	t.Run("OrganizationManager", func(t *testing.T) {
		// "Can invite and manage users" — down to its own rank.
		if ms := members(t, mgr.c, acc); len(ms) != len(bizmetry.roles) {
			t.Errorf("the Organization Manager lists %d members; want %d", len(ms), len(bizmetry.roles))
		}
		arch2 := invite(t, mgr.c, acc, w.email("architect2"), "Architect", "Archie Second")
		mgr2 := invite(t, mgr.c, acc, w.email("manager2"), "Organization Manager", "Manny Second")
		mgr.c.refused(t, "insufficient_role", "POST", accPath(acc, "/invitations"),
			map[string]string{"email": w.email("managers-owner"), "role": "Organization Owner"})
		dev := w.byRole["Developer"]
		var m member
		mgr.c.want(t, http.StatusOK, "PATCH", memberPath(acc, dev.id), map[string]string{"role": "DevOps"}, &m)
		if m.Role != "DevOps" {
			t.Errorf("manager changed a Developer to DevOps: role %q", m.Role)
		}
		mgr.c.want(t, http.StatusOK, "PATCH", memberPath(acc, dev.id), map[string]string{"role": "Developer"}, &m)
		mgr.c.refused(t, "insufficient_role", "PATCH", memberPath(acc, dev.id), map[string]string{"role": "Organization Owner"})
		mgr.c.refused(t, "insufficient_role", "PATCH", memberPath(acc, owner.id), map[string]string{"role": "Organization Manager"})
		mgr.c.refused(t, "insufficient_role", "PATCH", memberPath(acc, owner.id), map[string]string{"status": "disabled"})
		mgr.c.refused(t, "insufficient_role", "DELETE", memberPath(acc, owner.id), nil)
		mgr.c.refused(t, "forbidden", "POST", accPath(acc, "/ownership-transfer"),
			map[string]string{"user": dev.id, "password": mgr.password})
		qa := w.byRole["Quality Assurance"]
		mgr.c.want(t, http.StatusOK, "PATCH", memberPath(acc, qa.id), map[string]string{"status": "disabled"}, &m)
		mgr.c.want(t, http.StatusOK, "PATCH", memberPath(acc, qa.id), map[string]string{"status": "active"}, &m)
		if m.Status != "active" {
			t.Errorf("manager re-enabled QA: status %q", m.Status)
		}
		mgr.c.want(t, http.StatusNoContent, "DELETE", memberPath(acc, arch2.User), nil, nil)
		mgr.c.want(t, http.StatusNoContent, "DELETE", memberPath(acc, mgr2.User), nil, nil)
		// "Cannot access billing."
		for _, perm := range []string{"billing.read", "billing.manage"} {
			if res := checkOne(t, mgr.c, acc, check{User: mgr.id, Permission: perm}); res.Code != "not_granted" {
				t.Errorf("manager's own check of %s: %+v; want not_granted", perm, res)
			}
			if res := checkOne(t, mgr.c, acc, check{User: owner.id, Permission: perm}); res.Code != "granted" {
				t.Errorf("manager's check of the owner's %s: %+v; want granted", perm, res)
			}
		}
		mgr.c.want(t, http.StatusOK, "GET", accPath(acc, "/audit"), nil, nil)

		// Oneself: a member may lower their own role, never raise it (rule 6).
		mgr.c.want(t, http.StatusOK, "PATCH", memberPath(acc, mgr.id), map[string]string{"role": "SRE"}, &m)
		if m.Role != "SRE" {
			t.Errorf("manager lowered themself to SRE: role %q", m.Role)
		}
		mgr.c.refused(t, "forbidden", "PATCH", memberPath(acc, mgr.id), map[string]string{"role": "Organization Manager"})
		owner.c.want(t, http.StatusOK, "PATCH", memberPath(acc, mgr.id), map[string]string{"role": "Organization Manager"}, &m)
		mgr.c.refused(t, "insufficient_role", "PATCH", memberPath(acc, mgr.id), map[string]string{"role": "Organization Owner"})
	})

	w.commonFlows(t)
}
