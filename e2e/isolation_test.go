package e2e

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// attempt is one request against an account-scoped endpoint.
type attempt struct {
	method, path, ctype string
	body                []byte
}

func jsonAttempt(method, path string, body any) attempt {
	a := attempt{method: method, path: path}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			panic(err)
		}
		a.ctype, a.body = "application/json", b
	}
	return a
}

// victim names what an intruder aims at in another account.
type victim struct {
	account  string
	member   string // an Active member
	owner    string // the account's owner
	pending  string // a pending invitee
	profile  string // a profile the member holds a role on
	intruder string // the intruder's own user id
	password string // the intruder's password
	roleName string // a role of the account's catalog
}

// accountAttempts is every account-scoped endpoint of SPEC §5, aimed with
// real ids at the victim's account.
func accountAttempts(v victim) []attempt {
	acc := func(rest string) string { return accPath(v.account, rest) }
	mem := func(id, rest string) string { return memberPath(v.account, id) + rest }
	csv := []byte("email,role,name\nintruder-bulk@alpha.test," + v.roleName + ",Bulk Intruder\n")
	return []attempt{
		jsonAttempt("GET", acc("/members"), nil),
		jsonAttempt("GET", acc("/members?q=o&status=active&sort=-name&limit=5"), nil),
		jsonAttempt("GET", mem(v.member, ""), nil),
		jsonAttempt("GET", mem(v.owner, ""), nil),
		jsonAttempt("GET", mem(v.pending, ""), nil),
		jsonAttempt("GET", mem(v.intruder, ""), nil),
		jsonAttempt("PATCH", mem(v.member, ""), map[string]string{"role": v.roleName}),
		jsonAttempt("PATCH", mem(v.member, ""), map[string]string{"status": "disabled"}),
		jsonAttempt("PATCH", mem(v.owner, ""), map[string]string{"status": "disabled"}),
		jsonAttempt("PATCH", mem(v.pending, ""), map[string]string{"name": "Renamed By Intruder"}),
		jsonAttempt("PATCH", mem(v.intruder, ""), map[string]string{"role": v.roleName}),
		jsonAttempt("DELETE", mem(v.member, ""), nil),
		jsonAttempt("DELETE", mem(v.pending, ""), nil),
		jsonAttempt("DELETE", mem(v.intruder, ""), nil),
		jsonAttempt("POST", mem(v.pending, "/invitation/resend"), nil),
		jsonAttempt("POST", acc("/invitations"), map[string]string{"email": "intruder@alpha.test", "role": v.roleName, "name": "In Truder"}),
		{method: "POST", path: acc("/invitations/bulk"), ctype: "text/csv", body: csv},
		{method: "POST", path: acc("/invitations/bulk?dry_run=true"), ctype: "text/csv", body: csv},
		jsonAttempt("POST", acc("/ownership-transfer"), map[string]string{"user": v.intruder, "password": v.password}),
		jsonAttempt("POST", acc("/ownership-transfer"), map[string]string{"user": v.member, "password": v.password}),
		jsonAttempt("GET", acc("/roles"), nil),
		jsonAttempt("GET", acc("/profiles"), nil),
		jsonAttempt("PUT", mem(v.member, "/profiles/"+v.profile), map[string]string{"role": v.roleName}),
		jsonAttempt("PUT", mem(v.intruder, "/profiles/intruded"), map[string]string{"role": v.roleName}),
		jsonAttempt("DELETE", mem(v.member, "/profiles/"+v.profile), nil),
		jsonAttempt("GET", acc("/audit"), nil),
		jsonAttempt("GET", acc("/audit?limit=1"), nil),
		jsonAttempt("POST", acc("/check"), check{User: v.member, Permission: "members.read"}),
		jsonAttempt("POST", acc("/check"), check{User: v.intruder, Permission: "members.read"}),
		jsonAttempt("POST", acc("/check"), check{User: v.member, Permission: "members.read", Profile: v.profile}),
		jsonAttempt("POST", acc("/check/batch"), map[string]any{"checks": []check{
			{User: v.member, Permission: "members.read"}, {User: v.owner, Permission: "ownership.transfer"},
		}}),
		jsonAttempt("POST", "/api/v1/tokens", map[string]string{"name": "intruder", "account": v.account}),
	}
}

// sweep sends every attempt and wants 404 not_found each time, with the
// very answer an account that does not exist gets: an intruder learns
// nothing, not even that the account exists.
func sweep(t *testing.T, c *client, v victim) {
	t.Helper()
	bogus := v
	bogus.account = "acc_doesnotexist00"
	ghosts := accountAttempts(bogus)
	for i, a := range accountAttempts(v) {
		r := c.send(t, a.method, a.path, a.ctype, a.body)
		p, ok := asProblem(t, r, "not_found")
		if !ok {
			continue
		}
		g := ghosts[i]
		gp, ok := asProblem(t, c.send(t, g.method, g.path, g.ctype, g.body), "not_found")
		if ok && gp.Detail != p.Detail {
			t.Errorf("%s %s: detail %q, but %q for an account that does not exist; want the same answer",
				a.method, a.path, p.Detail, gp.Detail)
		}
	}
}

// accountState is what an intruder must not change.
type accountState struct {
	Members []member
	Audit   []auditEvent
}

func stateOf(t *testing.T, c *client, accountID string) accountState {
	t.Helper()
	return accountState{Members: members(t, c, accountID), Audit: auditLog(t, c, accountID, 200)}
}

func wantUnchanged(t *testing.T, before, after accountState) {
	t.Helper()
	if !reflect.DeepEqual(before.Members, after.Members) {
		b, _ := json.Marshal(before.Members)
		a, _ := json.Marshal(after.Members)
		t.Errorf("the victim's members changed:\nbefore %s\nafter  %s", b, a)
	}
	if !reflect.DeepEqual(before.Audit, after.Audit) {
		n := min(3, len(after.Audit))
		a, _ := json.Marshal(after.Audit[:n])
		t.Errorf("the victim's audit log changed: %d events before, %d after; newest now %s", len(before.Audit), len(after.Audit), a)
	}
}

// TestTenantIsolation: an Active member of account A, by session or by API
// token, reaches nothing of account B: every account-scoped endpoint answers
// not_found and B stays as it was. A token stays bound to its account even
// when its user is also a member of another one (SPEC §1, §5).
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	accA, ownerA := s.newAccount(t, "Alpha", "bizmetry", "owner@alpha.test")
	accB, ownerB := s.newAccount(t, "Beta", "bigeye", "owner@beta.test")
	memberB := s.join(t, ownerB.c, accB, "member@beta.test", "Admin", "Bea Member")
	pendingB := invite(t, ownerB.c, accB, "pending@beta.test", "User", "Pia Pending")
	ownerB.c.want(t, http.StatusOK, "PUT", memberPath(accB, memberB.id)+"/profiles/beta-prof", map[string]string{"role": "User"}, nil)
	tokA := s.bearer(apiToken(t, ownerA.c, accA, "alpha token"))
	tokA.want(t, http.StatusOK, "GET", accPath(accA, "/members"), nil, nil)

	v := victim{account: accB, member: memberB.id, owner: ownerB.id, pending: pendingB.User, profile: "beta-prof",
		intruder: ownerA.id, password: ownerA.password, roleName: "User"}

	t.Run("Stranger", func(t *testing.T) {
		before := stateOf(t, ownerB.c, accB)
		t.Run("Cookie", func(t *testing.T) { sweep(t, ownerA.c, v) })
		t.Run("Token", func(t *testing.T) { sweep(t, tokA, v) })
		wantUnchanged(t, before, stateOf(t, ownerB.c, accB))
	})

	t.Run("OtherUsersTokens", func(t *testing.T) {
		// B's owner's token cannot be seen or revoked by A's owner.
		var created struct {
			ID    string `json:"id"`
			Token string `json:"token"`
		}
		ownerB.c.want(t, http.StatusCreated, "POST", "/api/v1/tokens", map[string]string{"name": "beta ops", "account": accB}, &created)
		for _, c := range []*client{ownerA.c, tokA} {
			c.refused(t, "not_found", "DELETE", "/api/v1/tokens/"+created.ID, nil)
			var list page[struct {
				ID string `json:"id"`
			}]
			c.want(t, http.StatusOK, "GET", "/api/v1/tokens", nil, &list)
			for _, tok := range list.Items {
				if tok.ID == created.ID {
					t.Errorf("A's owner lists B's owner's token %s", created.ID)
				}
			}
		}
		s.bearer(created.Token).want(t, http.StatusOK, "GET", accPath(accB, "/members"), nil, nil)
	})

	t.Run("OtherAccountsIdsUnderOwnAccount", func(t *testing.T) {
		// B's member ids under A's path are simply not members of A.
		for _, c := range []*client{ownerA.c, tokA} {
			for _, id := range []string{memberB.id, pendingB.User, ownerB.id} {
				c.refused(t, "not_found", "GET", memberPath(accA, id), nil)
				c.refused(t, "not_found", "PATCH", memberPath(accA, id), map[string]string{"status": "disabled"})
				c.refused(t, "not_found", "DELETE", memberPath(accA, id), nil)
				c.refused(t, "not_found", "POST", memberPath(accA, id)+"/invitation/resend", nil)
				c.refused(t, "not_found", "PUT", memberPath(accA, id)+"/profiles/beta-prof", map[string]string{"role": "Architect"})
				transfer := map[string]string{"user": id, "password": ownerA.password}
				if c == tokA {
					// An API token may never transfer: that refusal comes first.
					c.refused(t, "forbidden", "POST", accPath(accA, "/ownership-transfer"), transfer)
				} else {
					c.refused(t, "not_found", "POST", accPath(accA, "/ownership-transfer"), transfer)
				}
			}
			if res := checkOne(t, c, accA, check{User: memberB.id, Permission: "members.read"}); res.Code != "not_member" {
				t.Errorf("A's check of B's member: %+v; want not_member", res)
			}
		}
		// Nothing above touched A either.
		if ms := members(t, ownerA.c, accA); len(ms) != 1 {
			t.Errorf("A has %d members; want 1", len(ms))
		}
	})

	t.Run("TokenBoundToItsAccount", func(t *testing.T) {
		// A's owner becomes a member of B as well, accepting with their password.
		old := s.lastToken(ownerA.email, "/activate")
		inv := invite(t, ownerB.c, accB, strings.ToUpper(ownerA.email), "Admin", "")
		if inv.User != ownerA.id {
			t.Errorf("inviting A's owner into B made user %s; want the existing user %s", inv.User, ownerA.id)
		}
		link := s.waitToken(t, ownerA.email, "/activate", old)
		// A user who has a password proves who they are with it: a link
		// alone is not enough to join.
		r := s.newClient().do(t, "POST", "/api/v1/invitations/accept",
			map[string]string{"token": link, "name": "Mallory", "password": "Guessed-Password-123"})
		if r.status < 400 || r.status >= 500 {
			t.Errorf("%v; want a 4xx refusal for a wrong password", r)
		}
		if m := getMember(t, ownerB.c, accB, ownerA.id); m.Status != "pending" {
			t.Errorf("after a refused acceptance the invitee is %s; want pending", m.Status)
		}
		var me meBody
		s.newClient().want(t, http.StatusOK, "POST", "/api/v1/invitations/accept", map[string]string{
			"token": link, "name": "", "password": ownerA.password,
		}, &me)
		if me.User.Name != ownerA.name {
			t.Errorf("accepting as an existing user changed the name to %q; want %q kept", me.User.Name, ownerA.name)
		}
		if me.User.ID != ownerA.id || len(me.Memberships) != 2 {
			t.Fatalf("A's owner after joining B: %+v; want %s with two memberships", me, ownerA.id)
		}
		// The session reaches both accounts...
		ownerA.c.want(t, http.StatusOK, "GET", accPath(accB, "/members"), nil, nil)
		ownerA.c.want(t, http.StatusOK, "GET", accPath(accA, "/members"), nil, nil)
		// ...the token of A still reaches A only.
		before := stateOf(t, ownerB.c, accB)
		sweep(t, tokA, v)
		wantUnchanged(t, before, stateOf(t, ownerB.c, accB))
		tokA.want(t, http.StatusOK, "GET", accPath(accA, "/members"), nil, nil)
		// A token made for B works in B and nowhere else.
		tokB := s.bearer(apiToken(t, ownerA.c, accB, "beta token"))
		tokB.want(t, http.StatusOK, "GET", accPath(accB, "/members"), nil, nil)
		tokB.refused(t, "not_found", "GET", accPath(accA, "/members"), nil)
		tokB.refused(t, "not_found", "GET", accPath(accA, "/audit"), nil)
		tokB.refused(t, "not_found", "POST", accPath(accA, "/check"), check{User: ownerA.id, Permission: "members.read"})
	})
}
