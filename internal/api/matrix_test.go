package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rosterhq/roster"
)

// This file drives the access-control rules of SPEC §3 through the real
// server: every actor role × target (role, status, or oneself) × action of
// both built-in catalogs, by session and by API token, compared with an
// expected table written here from SPEC §2, §3 and §5. The expected table
// reads only the hand-written role tables below (copied from
// policy/decide_test.go, where they are checked against the catalog files),
// never the policy package or a catalog: a bug in either shows up here.

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

type tableRole struct {
	name string
	rank int
	can  ability
}

// roleTable is what SPEC §2 and the seed pages say of one built-in catalog.
type roleTable struct {
	catalog  string
	roles    []tableRole
	owner    string
	fallback string
}

func (tb roleTable) role(name string) tableRole {
	for _, r := range tb.roles {
		if r.name == name {
			return r
		}
	}
	panic(fmt.Sprintf("table %s: no role %q", tb.catalog, name))
}

// lowest is the first role of the lowest rank.
func (tb roleTable) lowest() tableRole {
	low := tb.roles[0]
	for _, r := range tb.roles {
		if r.rank < low.rank {
			low = r
		}
	}
	return low
}

// bigeyeRoles: SPEC §2 "bigeye". A User can add and edit other users but
// never remove or disable; an Admin does all but manage owners and transfer.
var bigeyeRoles = roleTable{
	catalog: "bigeye",
	roles: []tableRole{
		{"Owner", 3, canRead | canInvite | canEdit | canDisable | canRemove | canAudit | canTransfer},
		{"Admin", 2, canRead | canInvite | canEdit | canDisable | canRemove | canAudit},
		{"User", 1, canRead | canInvite | canEdit},
	},
	owner:    "Owner",
	fallback: "Admin",
}

// bizmetryRoles: SPEC §2 "bizmetry". Only the Organization Owner and Manager
// may open user management at all.
var bizmetryRoles = roleTable{
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

var roleTables = []roleTable{bigeyeRoles, bizmetryRoles}

// matrixAction is one request of the matrix.
type matrixAction string

const (
	actInvite         matrixAction = "invite"           // POST invitations: a new email with role R
	actInviteMember   matrixAction = "invite-member"    // POST invitations: the target's email with role R
	actSetRole        matrixAction = "set-role"         // PATCH member {"role": R}
	actDisable        matrixAction = "disable"          // PATCH member {"status": "disabled"}
	actEnable         matrixAction = "enable"           // PATCH member {"status": "active"}
	actRemove         matrixAction = "remove"           // DELETE member
	actResend         matrixAction = "resend"           // POST member/invitation/resend
	actTransfer       matrixAction = "transfer"         // POST ownership-transfer, the right password
	actTransferBadPw  matrixAction = "transfer-bad-pw"  // POST ownership-transfer, a wrong password
	actCreateToken    matrixAction = "create-token"     // POST /tokens for the account
	actTransferNoPass matrixAction = "transfer-no-pass" // POST ownership-transfer without a password
)

// okStatus is the answer to each action when it is allowed.
var okStatus = map[matrixAction]int{
	actInvite:      http.StatusCreated,
	actSetRole:     http.StatusOK,
	actDisable:     http.StatusOK,
	actEnable:      http.StatusOK,
	actRemove:      http.StatusNoContent,
	actResend:      http.StatusOK,
	actTransfer:    http.StatusOK,
	actCreateToken: http.StatusCreated,
}

// codeStatus is SPEC §5's status of each refusal code.
var codeStatus = map[string]int{
	roster.CodeForbidden:        http.StatusForbidden,
	roster.CodeInsufficientRole: http.StatusForbidden,
	roster.CodeLastOwner:        http.StatusConflict,
	roster.CodeConflict:         http.StatusConflict,
	roster.CodeNotFound:         http.StatusNotFound,
}

// fixMember is one member of a matrix fixture.
type fixMember struct {
	email  string
	userID string
	role   string
	status roster.Status
	sess   *client // signed in by cookie; nil while pending
	tok    *client // an API token of the account; nil while pending
}

func (m *fixMember) String() string {
	return m.role + "/" + string(m.status)
}

// cell is one request of the matrix.
type cell struct {
	action   matrixAction
	actor    *fixMember
	viaToken bool
	target   *fixMember // nil for invite and create-token
	role     string     // R, for invite, invite-member and set-role
	email    string     // the new email, for invite
}

func (c cell) self() bool { return c.target != nil && c.target == c.actor }

func (c cell) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s by %s", c.action, c.actor)
	if c.viaToken {
		b.WriteString(" (token)")
	}
	switch {
	case c.self():
		b.WriteString(" on self")
	case c.target != nil:
		fmt.Fprintf(&b, " on %s", c.target)
	}
	if c.role != "" {
		fmt.Fprintf(&b, " role=%q", c.role)
	}
	return b.String()
}

// expect is the expected table: the refusal code SPEC §3 and §5 give a cell,
// "" when it is allowed. owners is the number of Active owners before the
// request.
//
// Readings it encodes, the same as policy/decide_test.go's oracle:
//   - anyone but an Active member gets not_found for anything in the account
//     (SPEC §5 "anyone else gets not_found, like every account-scoped endpoint");
//   - inviting an email that is already a member is a conflict whatever that
//     member's rank (the invitation does not act on them), after rules 1–2;
//   - changing one's own role still needs members.edit; leaving needs nothing;
//   - enabling an active member and disabling a disabled one succeed and
//     change nothing, like setting the role a member already has (rule 7);
//   - a pending or disabled member's role may be changed;
//   - any Active member may create a token for themself, never with a token.
func expect(tb roleTable, owners int, c cell) string {
	if c.actor.status != roster.StatusActive {
		return roster.CodeNotFound
	}
	actor := tb.role(c.actor.role)
	var target tableRole
	if c.target != nil {
		target = tb.role(c.target.role)
	}
	self := c.self()
	targetIsActiveOwner := c.target != nil && c.target.role == tb.owner && c.target.status == roster.StatusActive
	pending := c.target != nil && c.target.status == roster.StatusPending

	var forbidden, insufficient, lastOwner, conflict bool
	lacks := func(a ability) bool { return actor.can&a == 0 }
	aboveMe := c.target != nil && !self && target.rank > actor.rank
	giveAboveMe := c.role != "" && tb.role(c.role).rank > actor.rank

	switch c.action {
	case actInvite:
		forbidden = lacks(canInvite)
		insufficient = giveAboveMe
	case actInviteMember:
		forbidden = lacks(canInvite)
		insufficient = giveAboveMe
		conflict = true
	case actSetRole:
		forbidden = lacks(canEdit)
		insufficient = giveAboveMe || aboveMe
		lastOwner = targetIsActiveOwner && owners < 2 && c.role != tb.owner
	case actDisable:
		forbidden = lacks(canDisable) || self
		insufficient = aboveMe
		lastOwner = targetIsActiveOwner && owners < 2
		conflict = pending
	case actEnable:
		forbidden = lacks(canDisable)
		insufficient = aboveMe
		conflict = pending
	case actRemove:
		forbidden = !self && lacks(canRemove)
		insufficient = aboveMe
		lastOwner = targetIsActiveOwner && owners < 2
	case actResend:
		forbidden = lacks(canInvite)
		insufficient = aboveMe
		conflict = !pending
	case actTransfer:
		forbidden = lacks(canTransfer) || c.viaToken
		insufficient = aboveMe
		// A co-owner is already what the transfer would make them.
		conflict = self || c.target.status != roster.StatusActive || c.target.role == tb.owner
	case actTransferBadPw, actTransferNoPass:
		forbidden = true // SPEC §5: "a transfer by API token or with a wrong password — forbidden"
	case actCreateToken:
		forbidden = c.viaToken
	}
	switch {
	case forbidden:
		return roster.CodeForbidden
	case insufficient:
		return roster.CodeInsufficientRole
	case lastOwner:
		return roster.CodeLastOwner
	case conflict:
		return roster.CodeConflict
	}
	return ""
}

// memberState is what the matrix compares of a member before and after.
type memberState struct {
	role   string
	status roster.Status
}

// fixture is one account of the matrix with an Active owner (the account's
// creator) and, for every role, an Active, a Disabled and a Pending member
// (with a second Active owner when owners is 2).
type fixture struct {
	h       *harness
	tb      roleTable
	owners  int
	acc     string
	members []*fixMember
	byEmail map[string]*fixMember
	// orig is every member as the fixture made it, the known state each
	// cell starts from and restore goes back to.
	orig map[string]*roster.Member
	// cells counts the requests checked; invites numbers the new emails.
	cells, invites int
}

func slug(s string) string { return strings.ToLower(strings.ReplaceAll(s, " ", "-")) }

func newFixture(h *harness, tb roleTable, owners int) *fixture {
	h.t.Helper()
	f := &fixture{h: h, tb: tb, owners: owners, byEmail: map[string]*fixMember{}}
	ownerEmail := fmt.Sprintf("creator-%d@%s.test", owners, tb.catalog)
	acc, creator := h.owner(tb.catalog, ownerEmail)
	f.acc = acc
	f.add(&fixMember{email: ownerEmail, userID: creator.userID, role: tb.owner, status: roster.StatusActive, sess: creator})
	for _, r := range tb.roles {
		for _, st := range []roster.Status{roster.StatusActive, roster.StatusDisabled, roster.StatusPending} {
			if r.name == tb.owner && st == roster.StatusActive && owners < 2 {
				continue // the creator is the only Active owner
			}
			email := fmt.Sprintf("%s-%s-%d@%s.test", slug(r.name), st, owners, tb.catalog)
			m := &fixMember{email: email, role: r.name, status: st}
			if st == roster.StatusPending {
				r := creator.json("POST", "/api/v1/accounts/"+acc+"/invitations", map[string]string{"email": email, "role": r.name})
				m.userID = decodeAs[memberBody](h.t, r, http.StatusCreated).User
			} else {
				m.sess = h.member(acc, creator, email, r.name)
				m.userID = m.sess.userID
				m.tok = m.sess.newToken(acc)
			}
			if st == roster.StatusDisabled {
				r := creator.json("PATCH", "/api/v1/accounts/"+acc+"/members/"+m.userID, map[string]string{"status": "disabled"})
				wantStatus(h.t, r, http.StatusOK)
			}
			f.add(m)
		}
	}
	f.members[0].tok = creator.newToken(acc)
	var err error
	if f.orig, err = f.read(); err != nil {
		h.t.Fatalf("read the fixture: %v", err)
	}
	if got, want := len(f.orig), len(f.members); got != want {
		h.t.Fatalf("the fixture has %d members, want %d", got, want)
	}
	for email, m := range f.orig {
		fm := f.byEmail[email]
		if fm == nil || m.Role != fm.role || m.Status != fm.status {
			h.t.Fatalf("fixture member %s is %s/%s, want %v", email, m.Role, m.Status, fm)
		}
	}
	return f
}

func (f *fixture) add(m *fixMember) {
	f.members = append(f.members, m)
	f.byEmail[m.email] = m
}

// activeOwners counts the fixture's Active owners as the expected table sees them.
func (f *fixture) activeOwners() int {
	n := 0
	for _, m := range f.members {
		if m.role == f.tb.owner && m.status == roster.StatusActive {
			n++
		}
	}
	return n
}

// read returns every member of the account, by lowercased email, straight
// from the store.
func (f *fixture) read() (map[string]*roster.Member, error) {
	out := map[string]*roster.Member{}
	err := f.h.store.Read(f.h.ctx, func(tx roster.Tx) error {
		page, err := tx.ListMembers(f.acc, roster.MemberFilter{Sort: roster.SortEmail, Limit: roster.MaxPageSize})
		if err != nil {
			return err
		}
		if page.Next != nil {
			return fmt.Errorf("more than %d members", roster.MaxPageSize)
		}
		for _, m := range page.Items {
			out[strings.ToLower(m.Email)] = m
		}
		return nil
	})
	return out, err
}

// untouched is a quick look, after a refused cell, at what it could have
// changed: the actor, the target and the number of members. When it finds
// a change, check reads the whole account to report it.
func (f *fixture) untouched(t *testing.T, c cell) bool {
	t.Helper()
	same := true
	err := f.h.store.Read(f.h.ctx, func(tx roster.Tx) error {
		n, err := tx.CountMembers(f.acc, roster.MemberFilter{})
		if err != nil {
			return err
		}
		same = n == len(f.orig)
		for _, m := range []*fixMember{c.actor, c.target} {
			if m == nil || !same {
				continue
			}
			got, err := tx.Member(f.acc, m.userID)
			if roster.ErrorCode(err) == roster.CodeNotFound {
				same = false
				continue
			} else if err != nil {
				return err
			}
			o := f.orig[m.email]
			same = got.Role == o.Role && got.Status == o.Status
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read the account: %v", err)
	}
	return same
}

// restore puts the account back as the fixture made it, in the store, and
// gives an actor whose membership was deleted (with its tokens) a new token.
func (f *fixture) restore(t *testing.T) {
	t.Helper()
	var recreated []string
	err := f.h.store.Write(f.h.ctx, f.acc, func(tx roster.Tx) error {
		page, err := tx.ListMembers(f.acc, roster.MemberFilter{Sort: roster.SortEmail, Limit: roster.MaxPageSize})
		if err != nil {
			return err
		}
		now := map[string]*roster.Member{}
		for _, m := range page.Items {
			email := strings.ToLower(m.Email)
			now[email] = m
			if f.orig[email] == nil {
				if err := tx.DeleteMember(f.acc, m.UserID); err != nil {
					return err
				}
			}
		}
		for email, o := range f.orig {
			m, ok := now[email]
			switch {
			case !ok:
				if err := tx.CreateMember(o); err != nil {
					return err
				}
				recreated = append(recreated, email)
			case m.Role != o.Role || m.Status != o.Status:
				if err := tx.UpdateMember(o); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("restore the fixture: %v", err)
	}
	for _, email := range recreated {
		if m := f.byEmail[email]; m.tok != nil {
			f.renewToken(t, m)
		}
	}
}

// renewToken gives a member a new API token (the old one went with the
// membership). A disabled member cannot create one, so it is made Active
// for the moment.
func (f *fixture) renewToken(t *testing.T, m *fixMember) {
	t.Helper()
	o := f.orig[m.email]
	setStatus := func(st roster.Status) {
		cp := *o
		cp.Status = st
		if err := f.h.store.Write(f.h.ctx, f.acc, func(tx roster.Tx) error { return tx.UpdateMember(&cp) }); err != nil {
			t.Fatalf("set %s %s: %v", m.email, st, err)
		}
	}
	if o.Status != roster.StatusActive {
		setStatus(roster.StatusActive)
		defer setStatus(o.Status)
	}
	r := m.sess.in(t).json("POST", "/api/v1/tokens", map[string]string{"name": "matrix token", "account": f.acc})
	tok := decodeAs[tokenBody](t, r, http.StatusCreated)
	m.tok = f.h.bearerClient(m.email+" by token", tok.Token)
	m.tok.userID = m.userID
}

// send makes the cell's request.
func (f *fixture) send(t *testing.T, c cell) *response {
	by := c.actor.sess
	if c.viaToken {
		by = c.actor.tok
	}
	by = by.in(t)
	base := "/api/v1/accounts/" + f.acc
	var member string
	if c.target != nil {
		member = base + "/members/" + c.target.userID
	}
	switch c.action {
	case actInvite:
		return by.json("POST", base+"/invitations", map[string]string{"email": c.email, "role": c.role, "name": "New Person"})
	case actInviteMember:
		return by.json("POST", base+"/invitations", map[string]string{"email": c.target.email, "role": c.role})
	case actSetRole:
		return by.json("PATCH", member, map[string]string{"role": c.role})
	case actDisable:
		return by.json("PATCH", member, map[string]string{"status": "disabled"})
	case actEnable:
		return by.json("PATCH", member, map[string]string{"status": "active"})
	case actRemove:
		return by.send("DELETE", member, "", nil)
	case actResend:
		return by.send("POST", member+"/invitation/resend", "", nil)
	case actTransfer:
		return by.json("POST", base+"/ownership-transfer", map[string]string{"user": c.target.userID, "password": pw})
	case actTransferBadPw:
		return by.json("POST", base+"/ownership-transfer", map[string]string{"user": c.target.userID, "password": pw + "!"})
	case actTransferNoPass:
		return by.json("POST", base+"/ownership-transfer", map[string]string{"user": c.target.userID})
	case actCreateToken:
		return by.json("POST", "/api/v1/tokens", map[string]string{"name": "matrix token", "account": f.acc})
	}
	panic("unknown action " + c.action)
}

// after is the state the expected table gives the account after an allowed cell.
func (f *fixture) after(c cell) map[string]memberState {
	out := map[string]memberState{}
	for email, m := range f.orig {
		out[email] = memberState{m.Role, m.Status}
	}
	var target string
	if c.target != nil {
		target = c.target.email
	}
	switch c.action {
	case actInvite:
		out[c.email] = memberState{c.role, roster.StatusPending}
	case actSetRole:
		out[target] = memberState{c.role, out[target].status}
	case actDisable:
		out[target] = memberState{out[target].role, roster.StatusDisabled}
	case actEnable:
		out[target] = memberState{out[target].role, roster.StatusActive}
	case actRemove:
		delete(out, target)
	case actTransfer:
		out[target] = memberState{f.tb.owner, out[target].status}
		out[c.actor.email] = memberState{f.tb.fallback, out[c.actor.email].status}
	}
	return out
}

// check runs one cell: the answer (status and code, or success with the
// member as the cell leaves it) and the account's state after it are
// compared with the expected table; then the account is restored.
func (f *fixture) check(t *testing.T, c cell) (failed bool) {
	t.Helper()
	f.cells++
	if c.action == actInvite {
		f.invites++
		c.email = fmt.Sprintf("new-%d-%d@%s.test", f.owners, f.invites, f.tb.catalog)
	}
	want := expect(f.tb, f.activeOwners(), c)
	r := f.send(t, c)
	var problems []string
	if want == "" {
		if got := r.status; got != okStatus[c.action] {
			problems = append(problems, fmt.Sprintf("status %d (body %s), want %d", got, r.body, okStatus[c.action]))
		}
	} else {
		var p problemBody
		_ = json.Unmarshal(r.body, &p)
		if r.status != codeStatus[want] || p.Code != want {
			problems = append(problems, fmt.Sprintf("status %d code %q (detail %q), want %d %q", r.status, p.Code, p.Detail, codeStatus[want], want))
		}
		if want == roster.CodeLastOwner && !strings.Contains(p.Detail, "Assign another user as "+f.tb.owner+" first") {
			problems = append(problems, fmt.Sprintf("detail %q does not say %q", p.Detail, "Assign another user as "+f.tb.owner+" first"))
		}
	}
	// The member the answer shows, for the actions that answer with one.
	if want == "" {
		var m memberBody
		switch c.action {
		case actInvite, actSetRole, actTransfer:
			_ = json.Unmarshal(r.body, &m)
			wantRole := c.role
			if c.action == actTransfer {
				wantRole = f.tb.owner
			}
			if m.Role != wantRole {
				problems = append(problems, fmt.Sprintf("answered role %q, want %q", m.Role, wantRole))
			}
		}
	}

	report := func() bool {
		if len(problems) == 0 {
			return false
		}
		t.Errorf("%s/%d owners: %s: %s", f.tb.catalog, f.owners, c, strings.Join(problems, "; "))
		return true
	}
	if want != "" && f.untouched(t, c) {
		return report()
	}

	// The whole account, compared with what the expected table leaves.
	expected := map[string]memberState{}
	for email, m := range f.orig {
		expected[email] = memberState{m.Role, m.Status}
	}
	if want == "" {
		expected = f.after(c)
	}
	got, err := f.read()
	if err != nil {
		t.Fatalf("read the account: %v", err)
	}
	changed := len(got) != len(f.orig)
	for email, m := range got {
		o := f.orig[email]
		if o == nil || o.Role != m.Role || o.Status != m.Status {
			changed = true
		}
		if e, ok := expected[email]; !ok {
			problems = append(problems, fmt.Sprintf("%s is %s/%s, want no such member", email, m.Role, m.Status))
		} else if e.role != m.Role || e.status != m.Status {
			problems = append(problems, fmt.Sprintf("%s is %s/%s, want %s/%s", email, m.Role, m.Status, e.role, e.status))
		}
	}
	for email := range expected {
		if got[email] == nil {
			problems = append(problems, fmt.Sprintf("%s is gone, want it a member", email))
		}
	}
	if changed {
		f.restore(t)
	}
	return report()
}

// actors returns the members who act in the matrix: the Active ones, and
// the Disabled ones (who get not_found for everything).
func (f *fixture) actors() []*fixMember {
	var out []*fixMember
	for _, m := range f.members {
		if m.status != roster.StatusPending {
			out = append(out, m)
		}
	}
	return out
}

// run checks the cells of the given actors.
//
// By session, an Active actor asks everything of everyone: every target
// (each role in each status, and itself) and every action, with every role
// for invite and set-role. By token, where only the credential differs, it
// asks every action of itself, of the Active member of each role and of the
// lowest role's member in each status, with set-role reduced to the lowest,
// the owner's fallback and the owner role. A Disabled actor gets not_found
// whatever it asks, so it asks each action once of itself and of one member
// in each status.
func (f *fixture) run(t *testing.T, actors []*fixMember) {
	t.Helper()
	const maxReported = 30
	failures := 0
	try := func(c cell) {
		if f.check(t, c) {
			failures++
		}
		if failures > maxReported {
			t.Fatalf("more than %d failures; stopping", maxReported)
		}
	}
	targetActions := []matrixAction{actDisable, actEnable, actRemove, actResend, actTransfer, actTransferBadPw}
	var allRoles []string
	for _, r := range f.tb.roles {
		allRoles = append(allRoles, r.name)
	}
	someRoles := []string{f.tb.lowest().name, f.tb.fallback, f.tb.owner}
	var someTargets []*fixMember // the lowest role's members, one in each status
	for _, m := range f.members {
		if m.role == f.tb.lowest().name {
			someTargets = append(someTargets, m)
		}
	}
	for _, a := range actors {
		for _, viaToken := range []bool{false, true} {
			targets, setRoles, inviteRoles := f.members, allRoles, allRoles
			switch {
			case a.status != roster.StatusActive:
				targets, setRoles, inviteRoles = append([]*fixMember{a}, someTargets...), someRoles[:1], someRoles[:1]
			case viaToken:
				targets, setRoles = tokenTargets(a, f.members, someTargets), someRoles
			}
			try(cell{action: actCreateToken, actor: a, viaToken: viaToken})
			for _, r := range inviteRoles {
				try(cell{action: actInvite, actor: a, viaToken: viaToken, role: r})
			}
			for _, tg := range targets {
				for _, r := range setRoles {
					try(cell{action: actSetRole, actor: a, viaToken: viaToken, target: tg, role: r})
				}
				// Inviting an existing member: with the lowest role, the
				// member's own role and the owner role.
				if !viaToken && a.status == roster.StatusActive {
					for _, r := range []string{f.tb.lowest().name, tg.role, f.tb.owner} {
						try(cell{action: actInviteMember, actor: a, target: tg, role: r})
					}
				}
				for _, act := range targetActions {
					try(cell{action: act, actor: a, viaToken: viaToken, target: tg})
				}
				if !viaToken && a.role == f.tb.owner {
					try(cell{action: actTransferNoPass, actor: a, target: tg})
				}
			}
		}
	}
}

// tokenTargets are the targets of an actor's token pass: itself, every
// Active member, and some.
func tokenTargets(actor *fixMember, members, some []*fixMember) []*fixMember {
	out := []*fixMember{actor}
	seen := map[*fixMember]bool{actor: true}
	for _, m := range append(append([]*fixMember(nil), members...), some...) {
		if !seen[m] && (m.status == roster.StatusActive || slices.Contains(some, m)) {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}

func TestAccessMatrix(t *testing.T) {
	// Each part runs on a server and account of its own, in parallel with
	// the others; the big catalog's actors are shared out between parts.
	type part struct {
		tb     roleTable
		owners int
		of, n  int // this part takes every actor i with i%n == of
	}
	var parts []part
	for _, tb := range roleTables {
		n := 1
		if len(tb.roles) > 3 {
			n = 3
		}
		for of := range n {
			parts = append(parts, part{tb: tb, owners: 2, of: of, n: n})
		}
		parts = append(parts, part{tb: tb, owners: 1, n: 1})
	}
	var mu sync.Mutex
	cells := map[string]int{}
	t.Run("parts", func(t *testing.T) {
		for _, p := range parts {
			t.Run(fmt.Sprintf("%s/%d-owners/%d", p.tb.catalog, p.owners, p.of), func(t *testing.T) {
				t.Parallel()
				f := newFixture(newHarness(t), p.tb, p.owners)
				if got := f.activeOwners(); got != p.owners {
					t.Fatalf("the fixture has %d active owners, want %d", got, p.owners)
				}
				var actors []*fixMember
				if p.owners == 1 {
					// The sole Active owner, where the last-owner rule
					// bites, acts on everyone and on themself.
					actors = f.members[:1]
				} else {
					for i, a := range f.actors() {
						if i%p.n == p.of {
							actors = append(actors, a)
						}
					}
				}
				f.run(t, actors)
				mu.Lock()
				cells[p.tb.catalog] += f.cells
				mu.Unlock()
			})
		}
	})
	total := 0
	for _, tb := range roleTables {
		t.Logf("%s: %d cells checked", tb.catalog, cells[tb.catalog])
		total += cells[tb.catalog]
	}
	t.Logf("access matrix: %d cells checked over HTTP (actor × target × action, by session and by token)", total)
}

// The role hierarchy holds on every path that grants a role. Invite, set
// role, resend and transfer are in the matrix above; the tests below add
// bulk invite, token creation and invitation accept, and name the resend
// and transfer cases the advisories were about.

// listAll returns every member of the account as owner sees them, by email.
func listAll(t *testing.T, owner *client, accountID string) map[string]memberBody {
	t.Helper()
	out := map[string]memberBody{}
	path := "/api/v1/accounts/" + accountID + "/members?limit=200"
	for {
		page := decodeAs[listBody[memberBody]](t, owner.in(t).get(path), http.StatusOK)
		for _, m := range page.Items {
			out[strings.ToLower(m.Email)] = m
		}
		if page.NextCursor == "" {
			return out
		}
		path = "/api/v1/accounts/" + accountID + "/members?limit=200&cursor=" + page.NextCursor
	}
}

// rankedAccount makes an account whose creator is its owner, with one
// Active member of every other role, and returns the members by role.
func rankedAccount(h *harness, tb roleTable) (string, map[string]*client) {
	h.t.Helper()
	acc, owner := h.owner(tb.catalog, "owner@"+tb.catalog+".test")
	byRole := map[string]*client{tb.owner: owner}
	for _, r := range tb.roles {
		if r.name != tb.owner {
			byRole[r.name] = h.member(acc, owner, slug(r.name)+"@"+tb.catalog+".test", r.name)
		}
	}
	return acc, byRole
}

func TestBulkInviteRespectsRank(t *testing.T) {
	h := newHarness(t)
	cells := 0
	for _, tb := range roleTables {
		t.Run(tb.catalog, func(t *testing.T) {
			acc, byRole := rankedAccount(h, tb)
			owner := byRole[tb.owner].in(t)
			existing := slug(tb.lowest().name) + "@" + tb.catalog + ".test"
			if tb.lowest().name == tb.owner {
				t.Fatal("the lowest role is the owner role")
			}
			for _, actorRole := range tb.roles {
				actor := byRole[actorRole.name].in(t)
				me := tb.role(actorRole.name)
				for _, dry := range []bool{true, false} {
					// One new person per role, one with no role, and one
					// who is already a member (asked with the lowest role
					// and with the owner role).
					var csv strings.Builder
					csv.WriteString("email,role,name\n")
					type row struct {
						email, role string
					}
					var rows []row
					for _, r := range tb.roles {
						rows = append(rows, row{fmt.Sprintf("bulk-%s-%s-%v@%s.test", slug(actorRole.name), slug(r.name), dry, tb.catalog), r.name})
					}
					rows = append(rows,
						row{fmt.Sprintf("bulk-%s-none-%v@%s.test", slug(actorRole.name), dry, tb.catalog), ""},
						row{existing, tb.lowest().name},
						row{existing, tb.owner})
					for _, r := range rows {
						fmt.Fprintf(&csv, "%s,%s,Bulk Person\n", r.email, r.role)
					}
					before := listAll(t, owner, acc)
					path := "/api/v1/accounts/" + acc + "/invitations/bulk"
					if dry {
						path += "?dry_run=true"
					}
					resp := actor.send("POST", path, "text/csv", []byte(csv.String()))
					cells++
					if me.can&canInvite == 0 {
						wantProblem(t, resp, http.StatusForbidden, roster.CodeForbidden)
						if after := listAll(t, owner, acc); len(after) != len(before) {
							t.Errorf("%s: a refused bulk invitation changed the member count from %d to %d", actorRole.name, len(before), len(after))
						}
						continue
					}
					got := decodeAs[bulkBody](t, resp, http.StatusOK)
					if len(got.Items) != len(rows) {
						t.Fatalf("%s: %d rows answered, want %d: %s", actorRole.name, len(got.Items), len(rows), resp.body)
					}
					after := listAll(t, owner, acc)
					for i, r := range rows {
						item := got.Items[i]
						code := ""
						if item.Code != nil {
							code = *item.Code
						}
						role := r.role
						if role == "" && tb.catalog == "bigeye" {
							role = "User" // SPEC §2: a Bigeye invitation without a role invites a User
						}
						wantOutcome, wantCode := "invited", ""
						switch {
						case role == "":
							wantOutcome, wantCode = "invalid", roster.CodeInvalidInput
						case tb.role(role).rank > me.rank:
							wantOutcome, wantCode = "invalid", roster.CodeInsufficientRole
						case r.email == existing:
							wantOutcome, wantCode = "already_member", roster.CodeConflict
						case dry:
							wantOutcome = "would_invite"
						}
						if item.Outcome != wantOutcome || code != wantCode {
							t.Errorf("%s (dry_run=%v): row %d (%s as %q) = %s/%q, want %s/%q",
								actorRole.name, dry, i+2, r.email, r.role, item.Outcome, code, wantOutcome, wantCode)
						}
						m, made := after[r.email]
						_, was := before[r.email]
						switch {
						case wantOutcome == "invited" && (!made || m.Role != role || m.Status != "pending"):
							t.Errorf("%s: row %d (%s as %q) made member %+v, want pending %s", actorRole.name, i+2, r.email, r.role, m, role)
						case wantOutcome != "invited" && made != was:
							t.Errorf("%s (dry_run=%v): row %d (%s) changed membership (%v → %v)", actorRole.name, dry, i+2, r.email, was, made)
						}
					}
					if e := after[existing]; e.Role != tb.lowest().name || e.Status != "active" {
						t.Errorf("%s: the existing member is now %s/%s, want %s/active", actorRole.name, e.Role, e.Status, tb.lowest().name)
					}
				}
			}
		})
	}
	t.Logf("bulk invite: %d requests checked", cells)
}

// A pending member above your rank cannot be resent by you: a resend is a
// fresh link to join with that role.
func TestResendAboveRankRefused(t *testing.T) {
	h := newHarness(t)
	for _, tb := range roleTables {
		t.Run(tb.catalog, func(t *testing.T) {
			acc, byRole := rankedAccount(h, tb)
			owner := byRole[tb.owner].in(t)
			pending := map[string]string{} // role → user id
			for _, r := range tb.roles {
				m := decodeAs[memberBody](t, owner.json("POST", "/api/v1/accounts/"+acc+"/invitations",
					map[string]string{"email": "pending-" + slug(r.name) + "@" + tb.catalog + ".test", "role": r.name}), http.StatusCreated)
				pending[r.name] = m.User
			}
			for _, actorRole := range tb.roles {
				actor := byRole[actorRole.name].in(t)
				for _, targetRole := range tb.roles {
					linkBefore := h.invitationLink(acc, pending[targetRole.name])
					r := actor.send("POST", "/api/v1/accounts/"+acc+"/members/"+pending[targetRole.name]+"/invitation/resend", "", nil)
					linkAfter := h.invitationLink(acc, pending[targetRole.name])
					switch {
					case actorRole.can&canInvite == 0:
						wantProblem(t, r, http.StatusForbidden, roster.CodeForbidden)
					case targetRole.rank > actorRole.rank:
						wantProblem(t, r, http.StatusForbidden, roster.CodeInsufficientRole)
					default:
						wantStatus(t, r, http.StatusOK)
						if linkAfter == linkBefore {
							t.Errorf("%s resending %s: no new link", actorRole.name, targetRole.name)
						}
						continue
					}
					if linkAfter != linkBefore {
						t.Errorf("%s resending %s was refused but a new link was sent", actorRole.name, targetRole.name)
					}
				}
			}
		})
	}
}

// A token acts with its creator's current role: demote the creator and the
// token loses the rights at once; it never makes tokens or transfers.
func TestTokenActsWithCreatorsCurrentRole(t *testing.T) {
	h := newHarness(t)
	for _, tb := range roleTables {
		t.Run(tb.catalog, func(t *testing.T) {
			acc, byRole := rankedAccount(h, tb)
			owner := byRole[tb.owner].in(t)
			second := byRole[tb.fallback]                         // the rank-2 role
			low := byRole[tb.lowest().name]                       // a rank-1 member to act on
			lowest, fallback := tb.lowest(), tb.role(tb.fallback) // as the table has them
			tok := second.newToken(acc).in(t)
			base := "/api/v1/accounts/" + acc
			member := func(c *client) string { return base + "/members/" + c.userID }

			// As the rank-2 role: disables and enables a rank-1 member,
			// invites at its own rank, not above.
			wantStatus(t, tok.json("PATCH", member(low), map[string]string{"status": "disabled"}), http.StatusOK)
			wantStatus(t, tok.json("PATCH", member(low), map[string]string{"status": "active"}), http.StatusOK)
			wantStatus(t, tok.json("POST", base+"/invitations", map[string]string{"email": "tok-1@" + tb.catalog + ".test", "role": tb.fallback}), http.StatusCreated)
			wantProblem(t, tok.json("POST", base+"/invitations", map[string]string{"email": "tok-2@" + tb.catalog + ".test", "role": tb.owner}),
				http.StatusForbidden, roster.CodeInsufficientRole)
			// Never more than a session could, and never what only a session may.
			wantProblem(t, tok.json("POST", "/api/v1/tokens", map[string]string{"name": "child", "account": acc}), http.StatusForbidden, roster.CodeForbidden)
			wantProblem(t, tok.json("PATCH", member(second), map[string]string{"role": tb.owner}), http.StatusForbidden, roster.CodeInsufficientRole)

			// Demoted to the lowest role: the very next request by token
			// has the lowest role's rights and no more.
			wantStatus(t, owner.json("PATCH", member(second), map[string]string{"role": lowest.name}), http.StatusOK)
			if lowest.can&canDisable == 0 {
				wantProblem(t, tok.json("PATCH", member(low), map[string]string{"status": "disabled"}), http.StatusForbidden, roster.CodeForbidden)
			}
			inviteHigh := tok.json("POST", base+"/invitations", map[string]string{"email": "tok-3@" + tb.catalog + ".test", "role": tb.fallback})
			if lowest.can&canInvite == 0 {
				wantProblem(t, inviteHigh, http.StatusForbidden, roster.CodeForbidden)
			} else {
				wantProblem(t, inviteHigh, http.StatusForbidden, roster.CodeInsufficientRole)
			}
			list := tok.get(base + "/members")
			if lowest.can&canRead == 0 {
				wantProblem(t, list, http.StatusForbidden, roster.CodeForbidden)
			} else {
				wantStatus(t, list, http.StatusOK)
			}
			// Nor can it climb back.
			climb := tok.json("PATCH", member(second), map[string]string{"role": tb.fallback})
			if lowest.can&canEdit == 0 {
				wantProblem(t, climb, http.StatusForbidden, roster.CodeForbidden)
			} else {
				wantProblem(t, climb, http.StatusForbidden, roster.CodeInsufficientRole)
			}
			me := decodeAs[meBody](t, tok.get("/api/v1/me"), http.StatusOK)
			if len(me.Memberships) != 1 || me.Memberships[0].Role != lowest.name {
				t.Errorf("the token's /me shows %+v, want one membership with role %s", me.Memberships, lowest.name)
			}

			// Given the role back, the token has its rights back: it acts
			// with the current role, whichever way it changed.
			wantStatus(t, owner.json("PATCH", member(second), map[string]string{"role": fallback.name}), http.StatusOK)
			wantStatus(t, tok.json("PATCH", member(low), map[string]string{"status": "disabled"}), http.StatusOK)
			wantStatus(t, tok.json("PATCH", member(low), map[string]string{"status": "active"}), http.StatusOK)
		})
	}
}

// Accepting an invitation gives exactly the role the member holds when
// accepting, never the one first invited with, and never a role named in
// the request. A link works once.
func TestAcceptGivesExactlyTheInvitedRole(t *testing.T) {
	h := newHarness(t)
	for _, tb := range roleTables {
		t.Run(tb.catalog, func(t *testing.T) {
			acc, owner := h.owner(tb.catalog, "owner@"+tb.catalog+".test")
			owner = owner.in(t)
			base := "/api/v1/accounts/" + acc
			invite := func(email, role string) (string, string) {
				t.Helper()
				m := decodeAs[memberBody](t, owner.json("POST", base+"/invitations", map[string]string{"email": email, "role": role}), http.StatusCreated)
				return m.User, tokenOf(t, h.invitationLink(acc, m.User))
			}
			accept := func(body any) *response {
				t.Helper()
				return h.client("invitee").in(t).json("POST", "/api/v1/invitations/accept", body)
			}
			roleOf := func(user string) memberBody {
				t.Helper()
				return decodeAs[memberBody](t, owner.get(base+"/members/"+user), http.StatusOK)
			}
			lowest := tb.lowest().name

			// Raised while pending: joins with the raised role.
			up, upTok := invite("up@"+tb.catalog+".test", lowest)
			wantStatus(t, owner.json("PATCH", base+"/members/"+up, map[string]string{"role": tb.fallback}), http.StatusOK)
			me := decodeAs[meBody](t, accept(map[string]string{"token": upTok, "name": "Up", "password": pw}), http.StatusOK)
			if len(me.Memberships) != 1 || me.Memberships[0].Role != tb.fallback || me.Memberships[0].Status != "active" {
				t.Errorf("raised while pending: memberships %+v, want active %s", me.Memberships, tb.fallback)
			}

			// Lowered while pending: joins with the lowered role, not the
			// one the link was sent with.
			down, downTok := invite("down@"+tb.catalog+".test", tb.fallback)
			wantStatus(t, owner.json("PATCH", base+"/members/"+down, map[string]string{"role": lowest}), http.StatusOK)
			wantStatus(t, accept(map[string]string{"token": downTok, "name": "Down", "password": pw}), http.StatusOK)
			if m := roleOf(down); m.Role != lowest || m.Status != "active" {
				t.Errorf("lowered while pending: member is %s/%s, want %s/active", m.Role, m.Status, lowest)
			}
			// The link works once.
			wantProblem(t, accept(map[string]string{"token": downTok, "name": "Down", "password": pw}), http.StatusBadRequest, roster.CodeInvalidToken)

			// A role smuggled into the accept request is refused, and
			// changes nothing.
			smug, smugTok := invite("smuggler@"+tb.catalog+".test", lowest)
			for _, body := range []map[string]string{
				{"token": smugTok, "name": "Smug", "password": pw, "role": tb.owner},
				{"token": smugTok, "name": "Smug", "password": pw, "Role": tb.owner},
				{"token": smugTok, "name": "Smug", "password": pw, "status": "active"},
			} {
				wantProblem(t, accept(body), http.StatusBadRequest, roster.CodeInvalidInput)
			}
			if m := roleOf(smug); m.Role != lowest || m.Status != "pending" {
				t.Errorf("after smuggled fields: member is %s/%s, want %s/pending", m.Role, m.Status, lowest)
			}
			wantStatus(t, accept(map[string]string{"token": smugTok, "name": "Smug", "password": pw}), http.StatusOK)
			if m := roleOf(smug); m.Role != lowest || m.Status != "active" {
				t.Errorf("smuggler joined as %s/%s, want %s/active", m.Role, m.Status, lowest)
			}

			// A resent invitation kills the old link; the new one gives the
			// member's role.
			re, oldTok := invite("resent@"+tb.catalog+".test", lowest)
			wantStatus(t, owner.send("POST", base+"/members/"+re+"/invitation/resend", "", nil), http.StatusOK)
			newTok := tokenOf(t, h.invitationLink(acc, re))
			if newTok == oldTok {
				t.Fatal("resend gave the same link")
			}
			wantProblem(t, accept(map[string]string{"token": oldTok, "name": "Re", "password": pw}), http.StatusBadRequest, roster.CodeInvalidToken)
			if m := roleOf(re); m.Status != "pending" {
				t.Errorf("the replaced link activated the member: %s", m.Status)
			}
			wantStatus(t, accept(map[string]string{"token": newTok, "name": "Re", "password": pw}), http.StatusOK)
			if m := roleOf(re); m.Role != lowest || m.Status != "active" {
				t.Errorf("resent: member is %s/%s, want %s/active", m.Role, m.Status, lowest)
			}

			// A revoked invitation's link is dead and makes nobody a member.
			gone, goneTok := invite("revoked@"+tb.catalog+".test", tb.fallback)
			wantStatus(t, owner.send("DELETE", base+"/members/"+gone, "", nil), http.StatusNoContent)
			wantProblem(t, accept(map[string]string{"token": goneTok, "name": "Gone", "password": pw}), http.StatusBadRequest, roster.CodeInvalidToken)
			wantProblem(t, owner.get(base+"/members/"+gone), http.StatusNotFound, roster.CodeNotFound)

			// A person who already has a password (Up, a member here)
			// proves it to join a second account; a wrong one leaves the
			// invitation pending, and the name sent is ignored.
			acc2, owner2 := h.owner(tb.catalog, "owner2@"+tb.catalog+".test")
			m := decodeAs[memberBody](t, owner2.in(t).json("POST", "/api/v1/accounts/"+acc2+"/invitations",
				map[string]string{"email": "up@" + tb.catalog + ".test", "role": lowest}), http.StatusCreated)
			if m.User != up {
				t.Errorf("the second invitation names user %s, want the existing user %s", m.User, up)
			}
			tok2 := tokenOf(t, h.invitationLink(acc2, m.User))
			if p := wantProblem(t, accept(map[string]string{"token": tok2, "name": "Mallory", "password": pw + "!"}), http.StatusUnauthorized, roster.CodeUnauthenticated); p.Field != "password" {
				t.Errorf("a wrong password's problem names field %q, want password", p.Field)
			}
			me = decodeAs[meBody](t, accept(map[string]string{"token": tok2, "name": "Mallory", "password": pw}), http.StatusOK)
			for _, ms := range me.Memberships {
				want := tb.fallback
				if ms.Account == acc2 {
					want = lowest
				}
				if ms.Role != want || ms.Status != "active" {
					t.Errorf("after joining a second account: membership of %s is %s/%s, want %s/active", ms.Account, ms.Role, ms.Status, want)
				}
			}
			if len(me.Memberships) != 2 || me.User.Name != "Up" {
				t.Errorf("after joining a second account: %d memberships, name %q; want 2, %q", len(me.Memberships), me.User.Name, "Up")
			}
		})
	}
}
