package policy_test

import (
	"testing"

	"github.com/rosterhq/roster/policy"
)

// FuzzOperations drives an in-memory account through a random sequence of
// operations, each applied only when Decide allows it, and checks after every
// step the invariants SPEC §3 promises whatever the order of requests:
//
//   - once the first owner is active, the account always has an Active owner;
//   - no member holds a role above the rank of the actor who gave it;
//   - no actor raises their own rank;
//   - no actor acts on a member of a higher rank;
//   - a transfer leaves the target owner and the actor on the fallback role,
//     and changes nobody else.
//
// The input is read four bytes at a time: operation and flags, actor, target,
// role.
func FuzzOperations(f *testing.F) {
	f.Add([]byte{})
	// Owner transfers to member 1 (with password), then tries to leave.
	f.Add([]byte{6 | 1<<4, 0, 1, 0, 5, 0, 0, 0})
	// Owner leaves, demotes self, disables self: all refused as last owner.
	f.Add([]byte{5, 0, 0, 0, 2, 0, 0, 1, 3, 0, 0, 0})
	// Owner invites a second owner, who activates; then the first leaves.
	f.Add([]byte{0, 0, 0, 0, 1, 0, 4, 0, 5, 0, 0, 0, 5, 4, 4, 0})
	// Member 1 (rank 2) tries to promote themself and demote the owner.
	f.Add([]byte{2, 1, 1, 0, 2, 1, 0, 1, 3, 1, 0, 0})
	// Pending member 3 is disabled, activated, then disabled and enabled.
	f.Add([]byte{3, 0, 3, 0, 1, 0, 3, 0, 3, 0, 3, 0, 4, 1, 3, 0})
	// Transfer by API token, and with a wrong password.
	f.Add([]byte{6 | 1<<3 | 1<<4, 0, 1, 0, 6, 0, 1, 0})
	// Two owners demote each other in turn.
	f.Add([]byte{2, 0, 1, 0, 1, 0, 1, 0, 2, 1, 0, 1, 2, 0, 1, 1})

	catalogs := make([]*policy.Catalog, len(tables))
	for i, tb := range tables {
		catalogs[i] = builtinForDecide(f, tb.catalog) // loaded once: the fuzzer runs the body many times
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for i, tb := range tables {
			runOperations(t, catalogs[i], tb, data)
		}
	})
}

type fuzzMember struct {
	id     int
	role   string
	status policy.Status
	// givenBy is the rank of the actor who gave the member its current role.
	givenBy int
}

type fuzzAccount struct {
	tb      table
	c       *policy.Catalog
	members []*fuzzMember
	nextID  int
}

const maxFuzzMembers = 12

func (a *fuzzAccount) add(role string, status policy.Status, givenBy int) *fuzzMember {
	m := &fuzzMember{id: a.nextID, role: role, status: status, givenBy: givenBy}
	a.nextID++
	a.members = append(a.members, m)
	return m
}

func (a *fuzzAccount) activeOwners() int {
	n := 0
	for _, m := range a.members {
		if m.role == a.tb.owner && m.status == policy.StatusActive {
			n++
		}
	}
	return n
}

func (a *fuzzAccount) remove(m *fuzzMember) {
	for i, x := range a.members {
		if x == m {
			a.members = append(a.members[:i], a.members[i+1:]...)
			return
		}
	}
}

func (a *fuzzAccount) has(m *fuzzMember) bool {
	for _, x := range a.members {
		if x == m {
			return true
		}
	}
	return false
}

func (a *fuzzAccount) roles() map[int]string {
	out := make(map[int]string, len(a.members))
	for _, m := range a.members {
		out[m.id] = m.role
	}
	return out
}

// runOperations is the body of FuzzOperations for one catalog. It is not a
// t.Helper: the line of the failed invariant is the useful one.
func runOperations(t *testing.T, c *policy.Catalog, tb table, data []byte) {
	rank := func(role string) int { return tb.role(t, role).rank }
	top := rank(tb.owner)

	// One active owner and a few members: the rank-2 role active, the lowest
	// role active and pending.
	acct := &fuzzAccount{tb: tb, c: c}
	acct.add(tb.owner, policy.StatusActive, top)
	acct.add(tb.roles[1].name, policy.StatusActive, top)
	acct.add(tb.roles[len(tb.roles)-1].name, policy.StatusActive, top)
	acct.add(tb.roles[len(tb.roles)-1].name, policy.StatusPending, top)

	for step := 0; len(data) >= 4; step++ {
		op, viaToken, passwordOK := data[0]%8, data[0]&(1<<3) != 0, data[0]&(1<<4) != 0
		actor := acct.members[int(data[1])%len(acct.members)]
		target := acct.members[int(data[2])%len(acct.members)]
		newRole := tb.roles[int(data[3])%len(tb.roles)].name
		data = data[4:]

		self := actor == target
		actorRankBefore := rank(actor.role)
		rolesBefore := acct.roles()
		req := policy.Request{
			Actor:        policy.Member{Role: actor.role, Status: actor.status},
			Target:       &policy.Member{Role: target.role, Status: target.status},
			Self:         self,
			ActiveOwners: acct.activeOwners(),
			ViaToken:     viaToken,
			PasswordOK:   passwordOK,
		}
		var what string
		switch op {
		case 0:
			req.Action, req.Target, req.Self, req.NewRole = policy.ActionInvite, nil, false, newRole
			what = "invite " + newRole
		case 1:
			what = "activate"
		case 2:
			req.Action, req.NewRole = policy.ActionChangeRole, newRole
			what = "change role to " + newRole
		case 3:
			req.Action, what = policy.ActionDisable, "disable"
		case 4:
			req.Action, what = policy.ActionEnable, "enable"
		case 5:
			req.Action, what = policy.ActionRemove, "remove"
		case 6:
			req.Action, what = policy.ActionTransferOwnership, "transfer ownership"
		case 7:
			req.Action, req.NewRole = policy.ActionInvite, newRole
			what = "invite an existing member as " + newRole
		}

		var d policy.Decision
		if op == 1 {
			// The invitee accepts their own invitation: no decision to ask.
			if target.status == policy.StatusPending {
				target.status = policy.StatusActive
			}
		} else {
			d = c.Decide(req)
			if d.Allowed != (d.Code == "") {
				t.Fatalf("%s step %d: Decide(%s) = %+v: Allowed and Code disagree", tb.catalog, step, describe(req), d)
			}
			if !d.Allowed && (d.Reason == "" || d.Code == policy.CodeInvalidInput) {
				t.Fatalf("%s step %d: Decide(%s) = %+v, want a refusal with a reason, not invalid_input", tb.catalog, step, describe(req), d)
			}
		}
		if d.Allowed {
			if actor.status != policy.StatusActive {
				t.Fatalf("%s step %d: Decide(%s) allowed an inactive actor", tb.catalog, step, describe(req))
			}
			if req.Target != nil && !self && op != 0 && rank(target.role) > actorRankBefore {
				t.Fatalf("%s step %d: Decide(%s) let a %s act on a higher-ranked %s", tb.catalog, step, describe(req), actor.role, target.role)
			}
			switch op {
			case 0:
				if len(acct.members) < maxFuzzMembers {
					acct.add(newRole, policy.StatusPending, actorRankBefore)
				}
			case 2:
				target.role, target.givenBy = newRole, actorRankBefore
			case 3, 4:
				if target.status == policy.StatusPending {
					t.Fatalf("%s step %d: Decide(%s) allowed to %s a pending member", tb.catalog, step, describe(req), what)
				}
				if op == 3 {
					target.status = policy.StatusDisabled
				} else {
					target.status = policy.StatusActive
				}
			case 5:
				acct.remove(target)
			case 6:
				target.role, target.givenBy = tb.owner, actorRankBefore
				actor.role, actor.givenBy = tb.fallback, actorRankBefore
			case 7:
				t.Fatalf("%s step %d: Decide(%s) = allowed, want conflict: the person is already a member", tb.catalog, step, describe(req))
			}
		}

		// Invariants.
		if got := acct.activeOwners(); got < 1 {
			t.Fatalf("%s step %d: after %s (%s): %d active owners, want at least 1", tb.catalog, step, what, describe(req), got)
		}
		for _, m := range acct.members {
			if got := rank(m.role); got > m.givenBy {
				t.Fatalf("%s step %d: after %s (%s): member %d holds %s (rank %d), given by an actor of rank %d",
					tb.catalog, step, what, describe(req), m.id, m.role, got, m.givenBy)
			}
		}
		if acct.has(actor) && op != 1 {
			if got := rank(actor.role); got > actorRankBefore {
				t.Fatalf("%s step %d: after %s (%s): actor's rank rose from %d to %d", tb.catalog, step, what, describe(req), actorRankBefore, got)
			}
		}
		if op == 6 && d.Allowed {
			if target.role != tb.owner {
				t.Fatalf("%s step %d: after transfer: target holds %q, want %q", tb.catalog, step, target.role, tb.owner)
			}
			if actor.role != tb.fallback {
				t.Fatalf("%s step %d: after transfer: actor holds %q, want %q", tb.catalog, step, actor.role, tb.fallback)
			}
			if target.status != policy.StatusActive {
				t.Fatalf("%s step %d: transfer made a %s member owner", tb.catalog, step, target.status)
			}
			for _, m := range acct.members {
				if m != actor && m != target && m.role != rolesBefore[m.id] {
					t.Fatalf("%s step %d: transfer changed member %d from %q to %q", tb.catalog, step, m.id, rolesBefore[m.id], m.role)
				}
			}
		}
	}
}
