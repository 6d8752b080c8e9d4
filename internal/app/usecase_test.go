package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/policy"
)

// snapshot counts what a refused request must leave unchanged.
func (e *env) snapshot(accID string) string {
	e.t.Helper()
	var s string
	err := e.store.Read(e.ctx, func(tx roster.Tx) error {
		n, err := tx.CountMembers(accID, roster.MemberFilter{})
		if err != nil {
			return err
		}
		audit, err := tx.ListAudit(accID, nil, roster.MaxPageSize)
		if err != nil {
			return err
		}
		msgs, err := tx.Messages("", 10000)
		if err != nil {
			return err
		}
		page, err := tx.ListMembers(accID, roster.MemberFilter{Sort: roster.SortName, Limit: roster.MaxPageSize})
		if err != nil {
			return err
		}
		var b strings.Builder
		for _, m := range page.Items {
			fmt.Fprintf(&b, "%s/%s/%s/%s;", m.UserID, m.Name, m.Role, m.Status)
		}
		s = fmt.Sprintf("members=%d audit=%d messages=%d %s", n, len(audit.Items), len(msgs), b.String())
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func TestBadInputChangesNothing(t *testing.T) {
	e := newEnv(t)
	accID, owner := e.account("bizmetry", "olive@acme.test")
	dev := e.member(accID, owner, "dev@acme.test", "Developer")
	pending, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "pending@acme.test", Role: "SRE"})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 10000)
	cases := map[string]func() error{
		"invalid email": func() error {
			_, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "not-an-email", Role: "SRE"})
			return err
		},
		"email with a display name": func() error {
			_, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "Eve <eve@acme.test>", Role: "SRE"})
			return err
		},
		"10k email": func() error {
			_, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: long + "@acme.test", Role: "SRE"})
			return err
		},
		"unknown role": func() error {
			_, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "x@acme.test", Role: "Wizard"})
			return err
		},
		"role in the wrong case": func() error {
			_, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "x@acme.test", Role: "sre"})
			return err
		},
		"no role (bizmetry has no default)": func() error {
			_, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "x@acme.test"})
			return err
		},
		"10k name": func() error {
			_, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "x@acme.test", Role: "SRE", Name: long})
			return err
		},
		"control characters in name": func() error {
			_, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "x@acme.test", Role: "SRE", Name: "Bob\x00"})
			return err
		},
		"change to unknown role": func() error {
			_, err := e.app.ChangeRole(e.ctx, owner, accID, dev.UserID, "Wizard")
			return err
		},
		"change to empty role": func() error {
			_, err := e.app.ChangeRole(e.ctx, owner, accID, dev.UserID, "")
			return err
		},
		"status pending": func() error {
			_, err := e.app.SetStatus(e.ctx, owner, accID, dev.UserID, "pending")
			return err
		},
		"status 10k": func() error {
			_, err := e.app.SetStatus(e.ctx, owner, accID, dev.UserID, long)
			return err
		},
		"10k pending name": func() error {
			_, err := e.app.SetPendingName(e.ctx, owner, accID, pending.UserID, long)
			return err
		},
		"bad profile slug": func() error {
			_, err := e.app.GrantProfileRole(e.ctx, owner, accID, dev.UserID, "Prod Env", "SRE")
			return err
		},
		"10k profile": func() error {
			_, err := e.app.GrantProfileRole(e.ctx, owner, accID, dev.UserID, long, "SRE")
			return err
		},
		"profile unknown role": func() error {
			_, err := e.app.GrantProfileRole(e.ctx, owner, accID, dev.UserID, "prod", "Wizard")
			return err
		},
		"list limit 0 is default but 201 is not": func() error {
			_, err := e.app.ListMembers(e.ctx, owner, accID, app.MemberQuery{Limit: 201})
			return err
		},
		"negative limit": func() error {
			_, err := e.app.ListMembers(e.ctx, owner, accID, app.MemberQuery{Limit: -1})
			return err
		},
		"unknown sort": func() error {
			_, err := e.app.ListMembers(e.ctx, owner, accID, app.MemberQuery{Sort: "age"})
			return err
		},
		"garbage cursor": func() error {
			_, err := e.app.ListMembers(e.ctx, owner, accID, app.MemberQuery{Cursor: "!!!"})
			return err
		},
		"10k query": func() error {
			_, err := e.app.ListMembers(e.ctx, owner, accID, app.MemberQuery{Query: long})
			return err
		},
		"unknown status filter": func() error {
			_, err := e.app.ListMembers(e.ctx, owner, accID, app.MemberQuery{Status: "gone"})
			return err
		},
		"token empty name": func() error {
			_, _, err := e.app.CreateToken(e.ctx, owner, app.NewToken{Name: "", AccountID: accID})
			return err
		},
		"token expiry in the past": func() error {
			past := e.now.Add(-time.Hour)
			_, _, err := e.app.CreateToken(e.ctx, owner, app.NewToken{Name: "t", AccountID: accID, ExpiresAt: &past})
			return err
		},
		"check unknown permission": func() error {
			_, err := e.app.CheckPermission(e.ctx, owner, accID, app.Check{User: dev.UserID, Permission: "nuclear.launch"})
			return err
		},
		"check unknown profile": func() error {
			_, err := e.app.CheckPermission(e.ctx, owner, accID, app.Check{User: dev.UserID, Permission: "agents.deploy", Profile: "nope"})
			return err
		},
		"weak password at accept": func() error {
			m, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "weak@acme.test", Role: "SRE"})
			if err != nil {
				return err
			}
			before := e.snapshot(accID)
			_, err = e.app.AcceptInvitation(e.ctx, "", app.Acceptance{Token: tokenOf(t, e.lastLink(accID, m.UserID)), Name: "W", Password: "qwertyuiop"})
			if after := e.snapshot(accID); after != before {
				t.Errorf("weak password changed state:\n%s\n%s", before, after)
			}
			e.app.Remove(e.ctx, owner, accID, m.UserID)
			return err
		},
	}
	for name, call := range cases {
		t.Run(name, func(t *testing.T) {
			before := e.snapshot(accID)
			err := call()
			if got := roster.ErrorCode(err); got != roster.CodeInvalidInput {
				t.Errorf("code = %q (%v), want invalid_input", got, err)
			}
			if roster.ErrorMessage(err) == "" {
				t.Error("no message")
			}
			if after := e.snapshot(accID); after != before && name != "weak password at accept" {
				t.Errorf("state changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

func TestTenantIsolation(t *testing.T) {
	e := newEnv(t)
	accA, ownerA := e.account("bigeye", "a@acme.test")
	accB, ownerB := e.account("bigeye", "b@beta.test")
	memberB := e.member(accB, ownerB, "bob@beta.test", "User")
	_ = accA
	calls := map[string]func() error{
		"list": func() error { _, err := e.app.ListMembers(e.ctx, ownerA, accB, app.MemberQuery{}); return err },
		"invite": func() error {
			_, err := e.app.Invite(e.ctx, ownerA, accB, app.Invitation{Email: "x@x.test", Role: "User"})
			return err
		},
		"role":   func() error { _, err := e.app.ChangeRole(e.ctx, ownerA, accB, memberB.UserID, "Admin"); return err },
		"status": func() error { _, err := e.app.SetStatus(e.ctx, ownerA, accB, memberB.UserID, "disabled"); return err },
		"remove": func() error { return e.app.Remove(e.ctx, ownerA, accB, memberB.UserID) },
		"transfer": func() error {
			_, err := e.app.TransferOwnership(e.ctx, ownerA, accB, memberB.UserID, pw)
			return err
		},
		"roles":    func() error { _, err := e.app.Roles(e.ctx, ownerA, accB); return err },
		"audit":    func() error { _, err := e.app.Audit(e.ctx, ownerA, accB, "", 0); return err },
		"profiles": func() error { _, err := e.app.Profiles(e.ctx, ownerA, accB); return err },
		"grant": func() error {
			_, err := e.app.GrantProfileRole(e.ctx, ownerA, accB, memberB.UserID, "prod", "User")
			return err
		},
		"check": func() error {
			_, err := e.app.CheckPermission(e.ctx, ownerA, accB, app.Check{User: memberB.UserID, Permission: "issues.read"})
			return err
		},
		"token": func() error {
			_, _, err := e.app.CreateToken(e.ctx, ownerA, app.NewToken{Name: "t", AccountID: accB})
			return err
		},
		"resend": func() error { _, err := e.app.Resend(e.ctx, ownerA, accB, memberB.UserID); return err },
		"nonexistent account": func() error {
			_, err := e.app.ListMembers(e.ctx, ownerA, "acc_nonexistent", app.MemberQuery{})
			return err
		},
	}
	before := e.snapshot(accB)
	for name, call := range calls {
		if err := call(); roster.ErrorCode(err) != roster.CodeNotFound {
			t.Errorf("%s: %v, want not_found", name, err)
		}
	}
	if after := e.snapshot(accB); after != before {
		t.Errorf("account B changed:\n%s\n%s", before, after)
	}
}

func TestBulkInvite(t *testing.T) {
	e := newEnv(t)
	accID, owner := e.account("bigeye", "olive@acme.test")
	user := e.member(accID, owner, "uma@acme.test", "User")
	var b strings.Builder
	b.WriteString("email,role,name\n")
	for i := 0; i < 1000; i++ {
		switch {
		case i%20 == 0:
			fmt.Fprintf(&b, "bad-%d,User,Bad Row\n", i) // 50 bad rows
		default:
			fmt.Fprintf(&b, "person%d@acme.test,User,\"Person, %d\"\n", i, i)
		}
	}
	b.WriteString("olive@acme.test,Admin,Olive\n") // already a member
	b.WriteString("person1@acme.test,User,Dup\n")  // repeated in the file

	dry, err := e.app.BulkInvite(e.ctx, owner, accID, strings.NewReader(b.String()), true)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.countMembers(accID); n != 2 {
		t.Fatalf("dry run created members: %d", n)
	}
	rows, err := e.app.BulkInvite(e.ctx, owner, accID, strings.NewReader(b.String()), false)
	if err != nil {
		t.Fatal(err)
	}
	count := func(rows []app.BulkRow) map[string]int {
		m := map[string]int{}
		for _, r := range rows {
			m[r.Outcome]++
		}
		return m
	}
	if got := count(dry); got[app.OutcomeWouldInvite] != 950 || got[app.OutcomeInvalid] != 50 || got[app.OutcomeAlreadyMember] != 2 {
		t.Errorf("dry run outcomes = %v", got)
	}
	if got := count(rows); got[app.OutcomeInvited] != 950 || got[app.OutcomeInvalid] != 50 || got[app.OutcomeAlreadyMember] != 2 {
		t.Errorf("outcomes = %v", got)
	}
	if rows[0].Line != 2 || rows[0].Code != roster.CodeInvalidInput {
		t.Errorf("first row = %+v, want line 2 invalid", rows[0])
	}
	// The repeated row says so, in a dry run as in a real one.
	for _, rs := range [][]app.BulkRow{dry, rows} {
		if last := rs[len(rs)-1]; last.Detail != "This email is on an earlier line of the file." {
			t.Errorf("the repeated row = %+v", last)
		}
	}
	if n := e.countMembers(accID); n != 952 {
		t.Errorf("members = %d, want 952", n)
	}
	// A Bigeye User may invite Users but not Admins: such a row is invalid with insufficient_role.
	rows, err = e.app.BulkInvite(e.ctx, user, accID, strings.NewReader("email,role,name\nx1@acme.test,Admin,X\nx2@acme.test,User,Y\n"), false)
	if err != nil {
		t.Fatal(err)
	}
	if rows[0].Outcome != app.OutcomeInvalid || rows[0].Code != roster.CodeInsufficientRole || rows[1].Outcome != app.OutcomeInvited {
		t.Errorf("rows = %+v", rows)
	}
	for _, bad := range []string{"", "name,role\nx,y\n", "email,email\n", "email,age\n"} {
		_, err := e.app.BulkInvite(e.ctx, owner, accID, strings.NewReader(bad), false)
		if roster.ErrorCode(err) != roster.CodeInvalidInput {
			t.Errorf("header %q: %v, want invalid_input", bad, err)
		}
		// Who may not invite, or is not in the account, is refused before
		// the file is read.
		_, err = e.app.BulkInvite(e.ctx, owner, "acc_nowhere", strings.NewReader(bad), false)
		wantCode(t, err, roster.CodeNotFound)
	}
}

func (e *env) countMembers(accID string) int {
	e.t.Helper()
	var n int
	if err := e.store.Read(e.ctx, func(tx roster.Tx) error {
		var err error
		n, err = tx.CountMembers(accID, roster.MemberFilter{})
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// readCounter counts the read transactions run on a store.
type readCounter struct {
	roster.Store
	reads int
}

func (c *readCounter) Read(ctx context.Context, fn func(roster.Tx) error) error {
	c.reads++
	return c.Store.Read(ctx, fn)
}

func TestCheck(t *testing.T) {
	e := newEnv(t)
	accID, owner := e.account("bizmetry", "olive@acme.test")
	dev := e.member(accID, owner, "dev@acme.test", "Developer")
	mgr := e.member(accID, owner, "max@acme.test", "Organization Manager")
	pend, _ := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "p@acme.test", Role: "SRE"})
	dis := e.member(accID, owner, "d@acme.test", "SRE")
	e.app.SetStatus(e.ctx, owner, accID, dis.UserID, "disabled")
	if _, err := e.app.GrantProfileRole(e.ctx, owner, accID, dev.UserID, "prod", "DevOps"); err != nil {
		t.Fatal(err)
	}
	// A profile role's members.* permissions count for nothing.
	if _, err := e.app.GrantProfileRole(e.ctx, owner, accID, dev.UserID, "staging", "Organization Manager"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		as   roster.Principal
		q    app.Check
		code string
	}{
		{owner, app.Check{User: dev.UserID, Permission: "agents.configure"}, policy.CheckGranted},
		{owner, app.Check{User: dev.UserID, Permission: "agents.deploy"}, policy.CheckNotGranted},
		{owner, app.Check{User: dev.UserID, Permission: "agents.deploy", Profile: "prod"}, policy.CheckGranted},
		{owner, app.Check{User: dev.UserID, Permission: "members.invite", Profile: "staging"}, policy.CheckNotGranted},
		{owner, app.Check{User: dev.UserID, Permission: "billing.manage"}, policy.CheckNotGranted},
		{owner, app.Check{User: mgr.UserID, Permission: "billing.manage"}, policy.CheckNotGranted},
		{owner, app.Check{User: owner.UserID, Permission: "billing.manage"}, policy.CheckGranted},
		{owner, app.Check{User: pend.UserID, Permission: "slas.monitor"}, policy.CheckPending},
		{owner, app.Check{User: dis.UserID, Permission: "slas.monitor"}, policy.CheckDisabled},
		{owner, app.Check{User: "usr_stranger", Permission: "slas.monitor"}, policy.CheckNotMember},
		{dev, app.Check{User: dev.UserID, Permission: "templates.read"}, policy.CheckGranted},
		{dev, app.Check{User: dev.UserID, Permission: "templates.manage"}, policy.CheckNotGranted},
	}
	// The owner's questions in one batch first, through an instance whose
	// cache holds nobody: the batch loads the members it asks about at once,
	// in one read after those of the account, its profiles and the asker,
	// and answers as the checks one by one do.
	var batch []app.Check
	var want []string
	for _, c := range cases {
		if c.as.UserID == owner.UserID {
			batch, want = append(batch, c.q), append(want, c.code)
		}
	}
	counted := &readCounter{Store: e.store}
	res, err := app.New(app.Config{Store: counted}).CheckBatch(e.ctx, owner, accID, batch)
	if err != nil {
		t.Fatalf("batch: %v", err)
	}
	for i, q := range batch {
		if res[i].Code != want[i] {
			t.Errorf("batch check %d %+v = %+v, want %s", i, q, res[i], want[i])
		}
	}
	if counted.reads != 4 {
		t.Errorf("a cold batch about 6 people took %d read transactions, want 4 (the account, its profiles, the asker, the others)", counted.reads)
	}
	for _, c := range cases {
		got, err := e.app.CheckPermission(e.ctx, c.as, accID, c.q)
		if err != nil {
			t.Errorf("%+v: %v", c.q, err)
			continue
		}
		if got.Code != c.code || got.Allowed != (c.code == policy.CheckGranted) {
			t.Errorf("check %+v = %+v, want %s", c.q, got, c.code)
		}
	}
	// Without members.read one may ask only about oneself.
	_, err = e.app.CheckPermission(e.ctx, dev, accID, app.Check{User: owner.UserID, Permission: "billing.manage"})
	wantCode(t, err, roster.CodeForbidden)
	// A batch answers in order; one bad entry refuses it all.
	res, err = e.app.CheckBatch(e.ctx, owner, accID, []app.Check{
		{User: dev.UserID, Permission: "agents.configure"}, {User: dev.UserID, Permission: "billing.manage"},
	})
	if err != nil || len(res) != 2 || !res[0].Allowed || res[1].Allowed {
		t.Errorf("batch = %+v, %v", res, err)
	}
	_, err = e.app.CheckBatch(e.ctx, owner, accID, []app.Check{{User: dev.UserID, Permission: "agents.configure"}, {User: dev.UserID, Permission: "bogus.perm"}})
	wantCode(t, err, roster.CodeInvalidInput)
	_, err = e.app.CheckBatch(e.ctx, owner, accID, make([]app.Check, 101))
	wantCode(t, err, roster.CodeInvalidInput)
}

// TestResendOwnerActivationFindsTheOwner resends the first owner's link in
// an account whose catalog does not list the owner first: the pending owner
// is found by the owner role's own position.
func TestResendOwnerActivationFindsTheOwner(t *testing.T) {
	e := newEnv(t)
	c, err := policy.Parse("owner-last.yaml", []byte(`name: owner-last
owner_fallback: Admin
default_role: Member
roles:
  - {name: Member, rank: 1, permissions: [reports.read]}
  - {name: Admin, rank: 2, permissions: [members.read, members.invite, members.edit, members.disable, members.remove, audit.read, reports.read]}
  - {name: Owner, rank: 3, permissions: [members.read, members.invite, members.edit, members.disable, members.remove, audit.read, ownership.transfer, reports.read]}
`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.app.CreateAccount(e.ctx, app.NewAccount{Name: "Acme", OwnerEmail: "olive@acme.test", Catalog: c})
	if err != nil {
		t.Fatal(err)
	}
	link, err := e.app.ResendOwnerActivation(e.ctx, out.Account.ID)
	if err != nil {
		t.Fatalf("ResendOwnerActivation: %v", err)
	}
	if _, err := e.app.AcceptInvitation(e.ctx, "", app.Acceptance{Token: tokenOf(t, link), Name: "Olive Owner", Password: pw}); err != nil {
		t.Fatalf("accept the resent link: %v", err)
	}
	_, err = e.app.ResendOwnerActivation(e.ctx, out.Account.ID)
	wantCode(t, err, roster.CodeConflict) // the owner is active now
}

func TestResendKillsOldLinkAndExpiry(t *testing.T) {
	e := newEnv(t)
	accID, owner := e.account("bigeye", "olive@acme.test")
	m, _ := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "n@acme.test", Name: "Nia"})
	if m.Role != "User" {
		t.Errorf("bigeye invitation without a role gave %q, want User", m.Role)
	}
	old := tokenOf(t, e.lastLink(accID, m.UserID))
	e.now = e.now.Add(8 * 24 * time.Hour)
	_, err := e.app.AcceptInvitation(e.ctx, "", app.Acceptance{Token: old, Name: "Nia", Password: pw})
	wantCode(t, err, roster.CodeInvalidToken)
	if !strings.Contains(roster.ErrorMessage(err), "expired") {
		t.Errorf("expired message = %q", roster.ErrorMessage(err))
	}
	if got := e.get(accID, m.UserID); got.Status != roster.StatusPending || got.InvitationExpiresAt == nil {
		t.Errorf("an expired invitation stays pending with its expiry: %+v", got)
	}
	if _, err := e.app.Resend(e.ctx, owner, accID, m.UserID); err != nil {
		t.Fatal(err)
	}
	fresh := tokenOf(t, e.lastLink(accID, m.UserID))
	if fresh == old {
		t.Fatal("resend kept the token")
	}
	_, err = e.app.AcceptInvitation(e.ctx, "", app.Acceptance{Token: old, Name: "Nia", Password: pw})
	wantCode(t, err, roster.CodeInvalidToken)
	if _, err := e.app.AcceptInvitation(e.ctx, "", app.Acceptance{Token: fresh, Name: "Nia", Password: pw}); err != nil {
		t.Fatal(err)
	}
	_, err = e.app.Resend(e.ctx, owner, accID, m.UserID)
	wantCode(t, err, roster.CodeConflict)
}

func TestExistingUserAcceptsWithPassword(t *testing.T) {
	e := newEnv(t)
	accA, ownerA := e.account("bigeye", "olive@acme.test")
	_ = accA
	accB, ownerB := e.account("bizmetry", "bo@beta.test")
	_ = ownerB
	// Olive (registered in A) is invited to B.
	m, err := e.app.Invite(e.ctx, ownerB, accB, app.Invitation{Email: "OLIVE@acme.test", Role: "SRE", Name: "Someone Else"})
	if err != nil {
		t.Fatal(err)
	}
	if m.UserID != ownerA.UserID {
		t.Errorf("invitation made a second user for the same email")
	}
	tok := tokenOf(t, e.lastLink(accB, m.UserID))
	_, err = e.app.AcceptInvitation(e.ctx, "", app.Acceptance{Token: tok, Password: "not her password"})
	wantCode(t, err, roster.CodeUnauthenticated)
	got, err := e.app.AcceptInvitation(e.ctx, "", app.Acceptance{Token: tok, Name: "Mallory", Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	if got.User.Name != "Olive Owner" {
		t.Errorf("name = %q: the name in the request must be ignored for a registered user", got.User.Name)
	}
	_, ms, _ := e.app.Me(e.ctx, ownerA)
	if len(ms) != 2 {
		t.Errorf("memberships = %+v, want 2", ms)
	}
}

func TestPasswordChangeAndReset(t *testing.T) {
	e := newEnv(t)
	_, owner := e.account("bigeye", "olive@acme.test")
	raw1, _, _ := e.app.Login(e.ctx, "", "olive@acme.test", pw)
	raw2, _, _ := e.app.Login(e.ctx, "", "olive@acme.test", pw)
	s1, _ := e.app.AuthenticateSession(e.ctx, raw1, "")
	err := e.app.ChangePassword(e.ctx, s1, "wrong", "another fine password")
	wantCode(t, err, roster.CodeInvalidInput)
	if err := e.app.ChangePassword(e.ctx, s1, pw, "another fine password"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.AuthenticateSession(e.ctx, raw1, ""); err != nil {
		t.Errorf("the session that changed the password ended: %v", err)
	}
	_, err = e.app.AuthenticateSession(e.ctx, raw2, "")
	wantCode(t, err, roster.CodeUnauthenticated)

	// Reset: the same answer for unknown emails; a single-use link.
	if err := e.app.RequestPasswordReset(e.ctx, "nobody@acme.test"); err != nil {
		t.Errorf("reset for an unknown email: %v", err)
	}
	// Asking again leaves the first link working (anyone may ask, DECISIONS
	// 63); using either kills both.
	first := e.resetToken("olive@acme.test")
	tok := e.resetToken("Olive@acme.test")
	if first == tok {
		t.Fatal("asking again gave the same link")
	}
	if err := e.app.CheckPasswordReset(e.ctx, first); err != nil {
		t.Errorf("the first link after a second was asked for: %v", err)
	}
	if _, err := e.app.ConfirmPasswordReset(e.ctx, "", tok, "third fine password"); err != nil {
		t.Fatal(err)
	}
	// The owner of the mailbox is told, as after a change.
	e.store.Read(e.ctx, func(tx roster.Tx) error {
		msgs, err := tx.Messages("", 1)
		if err != nil || len(msgs) != 1 || msgs[0].Kind != roster.MessagePasswordChanged || msgs[0].To != "olive@acme.test" || msgs[0].Data["reset"] != "true" {
			t.Errorf("the newest message after a reset: %+v, %v; want Olive told of the reset", msgs, err)
		}
		return nil
	})
	wantCode(t, errOf(e.app.ConfirmPasswordReset(e.ctx, "", tok, "fourth fine password")), roster.CodeInvalidToken)
	wantCode(t, errOf(e.app.ConfirmPasswordReset(e.ctx, "", first, "fourth fine password")), roster.CodeInvalidToken)

	// At most three links are out at once: asking a fourth time sends
	// nothing, until one expires.
	links := map[string]bool{}
	for range 4 {
		links[e.resetToken("olive@acme.test")] = true
	}
	if len(links) != 3 {
		t.Errorf("four requests made %d links, want 3", len(links))
	}
	e.now = e.now.Add(2 * time.Hour)
	if tok := e.resetToken("olive@acme.test"); links[tok] {
		t.Error("no new link once the others expired")
	}
	wantCode(t, errOf(e.app.ConfirmPasswordReset(e.ctx, "", tok, "fourth fine password")), roster.CodeInvalidToken)
	_, err = e.app.AuthenticateSession(e.ctx, raw1, "")
	wantCode(t, err, roster.CodeUnauthenticated)
	if _, _, err := e.app.Login(e.ctx, "", "olive@acme.test", "third fine password"); err != nil {
		t.Errorf("login with the reset password: %v", err)
	}
	_ = owner
}

// TestResetOnlyWherePasswordOpensSomething: a reset link is sent to a
// person active in an account, or invited to one (a person re-invited who
// forgot their password accepts with the new one), and not to a person
// whose password would open nothing: a link would end at a refused sign-in.
func TestResetOnlyWherePasswordOpensSomething(t *testing.T) {
	e := newEnv(t)
	acc, owner := e.account("bigeye", "olive@acme.test")
	dana := e.member(acc, owner, "dana@acme.test", "User")
	if err := e.app.Remove(e.ctx, dana, acc, dana.UserID); err != nil {
		t.Fatal(err)
	}
	carl := e.member(acc, owner, "carl@acme.test", "User")
	if _, err := e.app.SetStatus(e.ctx, owner, acc, carl.UserID, "disabled"); err != nil {
		t.Fatal(err)
	}
	resets := func() int {
		e.t.Helper()
		e.app.Wait()
		n := 0
		e.store.Read(e.ctx, func(tx roster.Tx) error {
			msgs, err := tx.Messages("", 1000)
			for _, m := range msgs {
				if m.Kind == roster.MessagePasswordReset {
					n++
				}
			}
			return err
		})
		return n
	}
	for _, email := range []string{"dana@acme.test", "carl@acme.test"} {
		if err := e.app.RequestPasswordReset(e.ctx, email); err != nil {
			t.Fatal(err)
		}
		if n := resets(); n != 0 {
			t.Errorf("%s, in no account a password opens, was sent a reset link", email)
		}
	}
	// Invited again, Dana resets her password and joins with it; the
	// reset says she is not active anywhere yet.
	m, err := e.app.Invite(e.ctx, owner, acc, app.Invitation{Email: "dana@acme.test", Role: "User"})
	if err != nil {
		t.Fatal(err)
	}
	active, err := e.app.ConfirmPasswordReset(e.ctx, "", e.resetToken("dana@acme.test"), "a new fine password")
	if err != nil || active {
		t.Fatalf("reset of an invited person = %v, %v; want not active", active, err)
	}
	if _, err := e.app.AcceptInvitation(e.ctx, "", app.Acceptance{Token: tokenOf(t, e.lastLink(acc, m.UserID)), Password: "a new fine password"}); err != nil {
		t.Errorf("accepting with the reset password: %v", err)
	}
	if active, err := e.app.ConfirmPasswordReset(e.ctx, "", e.resetToken("olive@acme.test"), "another fine password"); err != nil || !active {
		t.Errorf("reset of an active owner = %v, %v; want active", active, err)
	}
}

// TestSweepDeletesExpiredSessions: a sweep deletes the sessions that
// expired (SweepEvery runs it hourly in roster serve) and keeps the others.
func TestSweepDeletesExpiredSessions(t *testing.T) {
	e := newEnv(t)
	e.account("bigeye", "olive@acme.test")
	old, _, _ := e.app.Login(e.ctx, "", "olive@acme.test", pw)
	e.now = e.now.Add(8 * 24 * time.Hour) // past the idle limit
	fresh, _, _ := e.app.Login(e.ctx, "", "olive@acme.test", pw)
	n, err := e.app.Sweep(e.ctx)
	if err != nil || n < 1 {
		t.Fatalf("Sweep = %d, %v; want the old session deleted", n, err)
	}
	if _, err := e.app.AuthenticateSession(e.ctx, fresh, ""); err != nil {
		t.Errorf("the live session after a sweep: %v", err)
	}
	e.now = e.now.Add(-8 * 24 * time.Hour) // even to a clock that went back, the old one is gone
	_, err = e.app.AuthenticateSession(e.ctx, old, "")
	wantCode(t, err, roster.CodeUnauthenticated)
}

// TestPasswordChangesAreAudited checks that changing or resetting one's
// password is written to the log of every account one has joined, active or
// disabled, and not to one that has merely invited one.
func TestPasswordChangesAreAudited(t *testing.T) {
	e := newEnv(t)
	accA, olive := e.account("bigeye", "olive@acme.test")
	accB, bo := e.account("bizmetry", "bo@beta.test")
	accC, co := e.account("bigeye", "co@gamma.test")
	m, err := e.app.Invite(e.ctx, bo, accB, app.Invitation{Email: "olive@acme.test", Role: "SRE"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.AcceptInvitation(e.ctx, "", app.Acceptance{Token: tokenOf(t, e.lastLink(accB, m.UserID)), Password: pw}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.SetStatus(e.ctx, bo, accB, olive.UserID, "disabled"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Invite(e.ctx, co, accC, app.Invitation{Email: "olive@acme.test", Role: "User"}); err != nil {
		t.Fatal(err)
	}
	logs := map[string]roster.Principal{accA: olive, accB: bo, accC: co}
	newest := func(acc string) *roster.AuditEvent {
		t.Helper()
		page, err := e.app.Audit(e.ctx, logs[acc], acc, "", 1)
		if err != nil {
			t.Fatal(err)
		}
		return page.Items[0]
	}
	before := map[string]int64{}
	for acc := range logs {
		before[acc] = newest(acc).ID
	}

	raw, _, err := e.app.Login(e.ctx, "192.0.2.9", "olive@acme.test", pw)
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.app.AuthenticateSession(e.ctx, raw, "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.app.ChangePassword(e.ctx, s, "wrong", "another fine password"), roster.CodeInvalidInput)
	for acc := range logs {
		if got := newest(acc); got.ID != before[acc] {
			t.Errorf("a refused password change wrote %+v", got)
		}
	}
	if err := e.app.ChangePassword(e.ctx, s, pw, "another fine password"); err != nil {
		t.Fatal(err)
	}
	want := func(action, ip string) {
		t.Helper()
		for _, acc := range []string{accA, accB} {
			ev := newest(acc)
			if ev.Action != action || ev.Actor != olive.UserID || ev.Target != olive.UserID || ev.IP != ip || !ev.At.Equal(e.now) {
				t.Errorf("newest event of %s = %+v, want %s by and of Olive from %s", acc, ev, action, ip)
			}
		}
		if ev := newest(accC); ev.ID != before[accC] {
			t.Errorf("the account Olive is only invited to logged %+v", ev)
		}
	}
	want(roster.AuditPasswordChanged, "192.0.2.9")

	if _, err := e.app.ConfirmPasswordReset(e.ctx, "198.51.100.7", e.resetToken("olive@acme.test"), "third fine password"); err != nil {
		t.Fatal(err)
	}
	want(roster.AuditPasswordReset, "198.51.100.7")

	// So is a change of one's own name, which an API token may not make:
	// the name shows in every account, a token acts in one.
	raw, _, err = e.app.Login(e.ctx, "192.0.2.9", "olive@acme.test", "third fine password")
	if err != nil {
		t.Fatal(err)
	}
	if s, err = e.app.AuthenticateSession(e.ctx, raw, "192.0.2.9"); err != nil {
		t.Fatal(err)
	}
	_, secret, err := e.app.CreateToken(e.ctx, s, app.NewToken{Name: "ci", AccountID: accA})
	if err != nil {
		t.Fatal(err)
	}
	byToken, err := e.app.AuthenticateToken(e.ctx, secret, "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	for acc := range logs {
		before[acc] = newest(acc).ID
	}
	_, err = e.app.SetMyName(e.ctx, byToken, "Olive by Token")
	wantCode(t, err, roster.CodeForbidden)
	if _, err := e.app.SetMyName(e.ctx, s, "Olive Renamed"); err != nil {
		t.Fatal(err)
	}
	want(roster.AuditNameChanged, "192.0.2.9")
	if ev := newest(accA); ev.Before["name"] != "Olive Owner" || ev.After["name"] != "Olive Renamed" {
		t.Errorf("name change event: before %v, after %v", ev.Before, ev.After)
	}
}

func TestAuditRecordsChanges(t *testing.T) {
	e := newEnv(t)
	accID, owner := e.account("bigeye", "olive@acme.test")
	u := e.member(accID, owner, "u@acme.test", "User")
	e.app.ChangeRole(e.ctx, owner, accID, u.UserID, "Admin")
	e.app.SetStatus(e.ctx, owner, accID, u.UserID, "disabled")
	e.app.SetStatus(e.ctx, owner, accID, u.UserID, "active")
	e.app.Remove(e.ctx, owner, accID, u.UserID)
	page, err := e.app.Audit(e.ctx, owner, accID, "", 3)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for page != nil {
		for _, ev := range page.Items {
			actions = append(actions, ev.Action)
		}
		if page.Next == nil {
			break
		}
		page, err = e.app.Audit(e.ctx, owner, accID, page.Next.Encode(), 3)
		if err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"member.removed", "member.enabled", "member.disabled", "member.role_changed", "member.activated", "member.invited", "member.activated", "member.invited", "account.created"}
	if strings.Join(actions, " ") != strings.Join(want, " ") {
		t.Errorf("audit actions:\n got %v\nwant %v", actions, want)
	}
	// The removed user's events keep pointing at them.
	page, _ = e.app.Audit(e.ctx, owner, accID, "", 1)
	if ev := page.Items[0]; ev.Target != u.UserID || ev.Actor != owner.UserID || ev.IP != owner.IP {
		t.Errorf("removal event = %+v", ev)
	}
	// A Bigeye User may not read the audit log.
	v := e.member(accID, owner, "v@acme.test", "User")
	_, err = e.app.Audit(e.ctx, v, accID, "", 0)
	wantCode(t, err, roster.CodeForbidden)

	// A removal's event lists the profile roles and the API tokens
	// removed with the membership.
	w := e.member(accID, owner, "w@acme.test", "User")
	if _, err := e.app.GrantProfileRole(e.ctx, owner, accID, w.UserID, "prod", "User"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"deploy bot", "ci"} {
		if _, _, err := e.app.CreateToken(e.ctx, w, app.NewToken{Name: name, AccountID: accID}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.app.Remove(e.ctx, owner, accID, w.UserID); err != nil {
		t.Fatal(err)
	}
	page, _ = e.app.Audit(e.ctx, owner, accID, "", 1)
	if b := page.Items[0].Before; b["profile_roles"] != "prod: User" || b["api_tokens"] != "ci, deploy bot" {
		t.Errorf("member.removed holds %v, want the profile roles and tokens removed", b)
	}

	// An invitation's event holds the name given; a token's, its expiry.
	if _, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "nia@acme.test", Role: "User", Name: "Nia Given"}); err != nil {
		t.Fatal(err)
	}
	if page, _ = e.app.Audit(e.ctx, owner, accID, "", 1); page.Items[0].After["name"] != "Nia Given" {
		t.Errorf("member.invited holds %v, want the name given", page.Items[0].After)
	}
	expires := e.now.Add(30 * 24 * time.Hour)
	if _, _, err := e.app.CreateToken(e.ctx, owner, app.NewToken{Name: "ci", AccountID: accID, ExpiresAt: &expires}); err != nil {
		t.Fatal(err)
	}
	if page, _ = e.app.Audit(e.ctx, owner, accID, "", 1); page.Items[0].After["expires_at"] != expires.UTC().Format(time.RFC3339) {
		t.Errorf("token.created holds %v, want its expiry", page.Items[0].After)
	}
}

func TestUpdateAccountInvitationLifetime(t *testing.T) {
	e := newEnv(t)
	accID, owner := e.account("bigeye", "olive@acme.test")
	for _, bad := range []time.Duration{time.Hour, 31 * 24 * time.Hour} {
		_, err := e.app.UpdateAccount(e.ctx, accID, app.AccountUpdate{InviteTTL: bad})
		wantCode(t, err, roster.CodeInvalidInput)
	}
	_, err := e.app.UpdateAccount(e.ctx, "acc_missing", app.AccountUpdate{Name: "X"})
	wantCode(t, err, roster.CodeNotFound)
	if _, err := e.app.UpdateAccount(e.ctx, accID, app.AccountUpdate{InviteTTL: 48 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	m, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "n@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	if want := e.now.Add(48 * time.Hour); m.InvitationExpiresAt == nil || !m.InvitationExpiresAt.Equal(want) {
		t.Errorf("invitation expires at %v, want %v", m.InvitationExpiresAt, want)
	}
	// The event holds what changed; an update that changes nothing writes
	// none.
	events := func() []*roster.AuditEvent {
		t.Helper()
		page, err := e.app.Audit(e.ctx, owner, accID, "", 200)
		if err != nil {
			t.Fatal(err)
		}
		var out []*roster.AuditEvent
		for _, ev := range page.Items {
			if ev.Action == roster.AuditAccountUpdated {
				out = append(out, ev)
			}
		}
		return out
	}
	if got := events(); len(got) != 1 || len(got[0].After) != 1 || got[0].After["invite_ttl"] != "48h0m0s" {
		t.Errorf("after a lifetime change the account's events are %+v, want one holding invite_ttl alone", got)
	}
	acc, err := e.app.UpdateAccount(e.ctx, accID, app.AccountUpdate{Name: "Acme", InviteTTL: 48 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(events()); n != 1 {
		t.Errorf("an update to the same name and lifetime wrote %d events in all, want still 1", n)
	}
	if acc.Name != "Acme" || acc.InviteTTL != 48*time.Hour {
		t.Errorf("the no-op update answered %q, %v", acc.Name, acc.InviteTTL)
	}
}

// TestPendingMemberShowsOnlyWhatTheAccountGave: an account that has only
// invited someone learns nothing of them it did not write itself — not
// their name or last login from another account where they work — and
// cannot change what another account shows of them. Once they join, the
// member shows the person as they are.
func TestPendingMemberShowsOnlyWhatTheAccountGave(t *testing.T) {
	e := newEnv(t)
	accA, olive := e.account("bigeye", "olive@acme.test")
	accB, bo := e.account("bizmetry", "bo@beta.test")
	dora := e.member(accB, bo, "dora@beta.test", "Developer")
	if _, _, err := e.app.Login(e.ctx, "", "dora@beta.test", pw); err != nil {
		t.Fatal(err)
	}

	m, err := e.app.Invite(e.ctx, olive, accA, app.Invitation{Email: "dora@beta.test", Role: "User", Name: "Whoever"})
	if err != nil {
		t.Fatal(err)
	}
	for what, got := range map[string]*roster.Member{"invite's answer": m, "member": e.get(accA, dora.UserID)} {
		if got.Name != "Whoever" || got.LastLoginAt != nil {
			t.Errorf("%s of a person known elsewhere: name %q, last login %v; want the name given, no login", what, got.Name, got.LastLoginAt)
		}
	}
	search := func(acc string, p roster.Principal, q string) int {
		t.Helper()
		page, err := e.app.ListMembers(e.ctx, p, acc, app.MemberQuery{Query: q, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Items)
	}
	if n := search(accA, olive, "name of"); n != 0 {
		t.Errorf("searching for the person's own name found %d pending members", n)
	}
	if n := search(accA, olive, "whoever"); n != 1 {
		t.Errorf("searching for the given name found %d, want 1", n)
	}

	// Invited by both accounts, never registered: each shows its own name,
	// and mending one leaves the other's alone.
	nA, err := e.app.Invite(e.ctx, olive, accA, app.Invitation{Email: "nora@gamma.test", Role: "User", Name: "Zed"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Invite(e.ctx, bo, accB, app.Invitation{Email: "nora@gamma.test", Role: "Developer", Name: "Nora Real"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.SetPendingName(e.ctx, olive, accA, nA.UserID, "Evil Name"); err != nil {
		t.Fatal(err)
	}
	if got := e.get(accB, nA.UserID).Name; got != "Nora Real" {
		t.Errorf("another account's pending member shows %q, want %q", got, "Nora Real")
	}
	err = e.store.Read(e.ctx, func(tx roster.Tx) error {
		msgs, err := tx.Messages("", 100)
		for _, msg := range msgs {
			if msg.AccountID == accB && msg.UserID == nA.UserID && msg.Data["name"] != "Nora Real" {
				t.Errorf("B's invitation greets %q, want the name B gave", msg.Data["name"])
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// A person who has registered: the name is still only this account's.
	if _, err := e.app.SetPendingName(e.ctx, olive, accA, dora.UserID, "Mended"); err != nil {
		t.Errorf("mending the given name of a registered person: %v", err)
	}
	if got := e.get(accB, dora.UserID).Name; got != "Name of dora@beta.test" {
		t.Errorf("the person's own account shows %q after another mended its name", got)
	}
	view, err := e.app.AuditWithPeople(e.ctx, olive, accA, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := view.People[dora.UserID].Name; got != "Mended" {
		t.Errorf("the audit page names the pending person %q, want %q", got, "Mended")
	}
	// Invited and revoked at once, a person is not named by their own name.
	if err := e.app.Remove(e.ctx, olive, accA, nA.UserID); err != nil {
		t.Fatal(err)
	}
	peek, err := e.app.Invite(e.ctx, olive, accA, app.Invitation{Email: "bo@beta.test", Role: "User"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Remove(e.ctx, olive, accA, peek.UserID); err != nil {
		t.Fatal(err)
	}
	if view, err = e.app.AuditWithPeople(e.ctx, olive, accA, "", 0); err != nil {
		t.Fatal(err)
	}
	if got := view.People[peek.UserID]; got.Name != "" || got.Email != "bo@beta.test" {
		t.Errorf("the audit page names someone invited and revoked %+v, want their email alone", got)
	}

	// Once she joins, the account sees her as she is.
	link := e.lastLink(accA, dora.UserID)
	if _, err := e.app.AcceptInvitation(e.ctx, "", app.Acceptance{Token: tokenOf(t, link), Password: pw}); err != nil {
		t.Fatal(err)
	}
	if got := e.get(accA, dora.UserID); got.Name != "Name of dora@beta.test" || got.LastLoginAt == nil {
		t.Errorf("after joining: name %q, last login %v; want her own", got.Name, got.LastLoginAt)
	}
	if n := search(accA, olive, "name of dora"); n != 1 {
		t.Errorf("after joining, searching for her name found %d, want 1", n)
	}
}

// TestInviteForbiddenBeforeInvalid: a member who may not invite is told so
// whatever the invitation holds, rather than which role names exist or
// what is wrong with the email (SPEC §3: forbidden comes first).
// TestPendingNameCleared: an invitation may be sent without a name, so a
// name given to one may be taken back: the member then shows no name (the
// pages show their email), a search by it no longer finds them, and the
// change is audited. A blank name on an invitation is none, not a refusal.
func TestPendingNameCleared(t *testing.T) {
	e := newEnv(t)
	accID, owner := e.account("bizmetry", "owner@acme.test")
	m, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "sam@acme.test", Role: "SRE", Name: "Sma Typo"})
	if err != nil {
		t.Fatal(err)
	}
	cleared, err := e.app.SetPendingName(e.ctx, owner, accID, m.UserID, "  ")
	if err != nil {
		t.Fatalf("clearing a pending member's name: %v", err)
	}
	if cleared.Name != "" || e.get(accID, m.UserID).Name != "" {
		t.Errorf("after clearing, the name is %q (stored %q), want none", cleared.Name, e.get(accID, m.UserID).Name)
	}
	page, err := e.app.ListMembers(e.ctx, owner, accID, app.MemberQuery{Query: "sma", Limit: 10})
	if err != nil || len(page.Items) != 0 {
		t.Errorf("a search by the cleared name: %d found, %v; want none", len(page.Items), err)
	}
	events, err := e.app.Audit(e.ctx, owner, accID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if ev := events.Items[0]; ev.Action != roster.AuditMemberNameChanged || ev.Before["name"] != "Sma Typo" || ev.After["name"] != "" {
		t.Errorf("the newest audit event is %s %v → %v, want the name cleared", ev.Action, ev.Before, ev.After)
	}

	blank, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "kim@acme.test", Role: "SRE", Name: " \t "})
	if err != nil || blank.Name != "" {
		t.Errorf("an invitation with a blank name: %v, name %q; want sent without one", err, blank.Name)
	}
}

func TestInviteForbiddenBeforeInvalid(t *testing.T) {
	e := newEnv(t)
	accID, owner := e.account("bizmetry", "olive@acme.test")
	arch := e.member(accID, owner, "archie@acme.test", "Architect")
	for _, in := range []app.Invitation{
		{Email: "x@acme.test", Role: "Nope"},
		{Email: "not an email", Role: "Developer"},
		{Email: "x@acme.test", Role: "Developer"},
	} {
		_, err := e.app.Invite(e.ctx, arch, accID, in)
		wantCode(t, err, roster.CodeForbidden)
	}
}

// TestDeliveryFailureReachesEveryKindOfInvitation: a link and its email are
// written with the same instant, which is how a failed delivery finds the
// invitation it belongs to; that holds for single and bulk invitations on
// both stores, with a clock finer than the stores' microseconds.
func TestDeliveryFailureReachesEveryKindOfInvitation(t *testing.T) {
	for _, store := range []struct {
		name string
		env  func(t *testing.T) *env
	}{
		{"sqlite", newEnv},
		{"postgres", func(t *testing.T) *env { return newEnvOn(t, openPostgres(t)) }},
	} {
		t.Run(store.name, func(t *testing.T) {
			e := store.env(t)
			e.now = e.now.Add(123456789 * time.Nanosecond)
			accID, owner := e.account("bigeye", "olive@acme.test")
			if _, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "ivy@acme.test", Role: "User"}); err != nil {
				t.Fatal(err)
			}
			csv := "email,role,name\nbo@acme.test,User,Bo\ncy@acme.test,Admin,Cy\n"
			if _, err := e.app.BulkInvite(e.ctx, owner, accID, strings.NewReader(csv), false); err != nil {
				t.Fatal(err)
			}
			e.now = e.now.Add(time.Minute)
			if err := e.store.Write(e.ctx, "", func(tx roster.Tx) error {
				msgs, err := tx.ClaimMessages(e.now, time.Minute, 100)
				if err != nil {
					return err
				}
				for _, m := range msgs {
					if m.UserID == owner.UserID {
						continue
					}
					if err := tx.MarkMessageFailed(m.ID, "421 mailbox busy", e.now.Add(time.Minute)); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			page, err := e.app.ListMembers(e.ctx, owner, accID, app.MemberQuery{Status: string(roster.StatusPending)})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != 3 {
				t.Fatalf("%d pending members, want 3", len(page.Items))
			}
			for _, m := range page.Items {
				if m.InvitationError != "421 mailbox busy" {
					t.Errorf("%s: invitation error %q, want the failed delivery's", m.Email, m.InvitationError)
				}
			}
		})
	}
}

// TestTokensBounded: a person holds at most app.MaxTokens API tokens in an
// account, expired ones included (else tokens made to expire at once could
// be made without end); revoking one makes room.
func TestTokensBounded(t *testing.T) {
	e := newEnv(t)
	acc, owner := e.account("bigeye", "olive@acme.test")
	soon := e.now.Add(time.Hour)
	var first *roster.APIToken
	for i := range app.MaxTokens {
		in := app.NewToken{Name: fmt.Sprintf("t%d", i), AccountID: acc}
		if i == 0 {
			in.ExpiresAt = &soon
		}
		tok, _, err := e.app.CreateToken(e.ctx, owner, in)
		if err != nil {
			t.Fatalf("token %d: %v", i, err)
		}
		if i == 0 {
			first = tok
		}
	}
	_, _, err := e.app.CreateToken(e.ctx, owner, app.NewToken{Name: "one too many", AccountID: acc})
	wantCode(t, err, roster.CodeConflict)
	e.now = e.now.Add(2 * time.Hour) // the first has expired, and still counts
	_, _, err = e.app.CreateToken(e.ctx, owner, app.NewToken{Name: "one too many", AccountID: acc})
	wantCode(t, err, roster.CodeConflict)
	if err := e.app.RevokeToken(e.ctx, owner, first.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.app.CreateToken(e.ctx, owner, app.NewToken{Name: "in place of the revoked", AccountID: acc}); err != nil {
		t.Errorf("a token in place of a revoked one: %v", err)
	}
}

// TestResendsBounded: a member may resend an invitation a few times at
// once, then once a minute, so that resending in a loop cannot mail its
// address every second.
func TestResendsBounded(t *testing.T) {
	e := newEnv(t)
	accID, owner := e.account("bigeye", "olive@acme.test")
	m, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "nia@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := e.app.Resend(e.ctx, owner, accID, m.UserID); err != nil {
			t.Fatalf("resend %d: %v", i+1, err)
		}
	}
	_, err = e.app.Resend(e.ctx, owner, accID, m.UserID)
	wantCode(t, err, roster.CodeRateLimited)
	other, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "oto@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Resend(e.ctx, owner, accID, other.UserID); err != nil {
		t.Errorf("another invitation's resend: %v", err)
	}
	e.now = e.now.Add(time.Minute)
	if _, err := e.app.Resend(e.ctx, owner, accID, m.UserID); err != nil {
		t.Errorf("a resend a minute later: %v", err)
	}
}

// TestRenamesBounded: a rename is an event in every joined account's log,
// so a person may change their name a few times at once, then once a
// minute; setting the name one has costs nothing.
func TestRenamesBounded(t *testing.T) {
	e := newEnv(t)
	e.account("bigeye", "olive@acme.test")
	raw, _, err := e.app.Login(e.ctx, "", "olive@acme.test", pw)
	if err != nil {
		t.Fatal(err)
	}
	me, err := e.app.AuthenticateSession(e.ctx, raw, "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := e.app.SetMyName(e.ctx, me, fmt.Sprintf("Olive %d", i)); err != nil {
			t.Fatalf("rename %d: %v", i+1, err)
		}
	}
	if _, err := e.app.SetMyName(e.ctx, me, "Olive 4"); err != nil {
		t.Errorf("setting the name one has: %v", err)
	}
	_, err = e.app.SetMyName(e.ctx, me, "Olive Again")
	wantCode(t, err, roster.CodeRateLimited)
	e.now = e.now.Add(time.Minute)
	if _, err := e.app.SetMyName(e.ctx, me, "Olive Again"); err != nil {
		t.Errorf("a rename a minute later: %v", err)
	}
}

// TestRetryOfAReplacedInvitation: the operator's retry of a given-up
// invitation sends a fresh link once. Retrying the same message again, or
// after an administrator resent the invitation, is refused and changes
// nothing: a fresher link would stop the newer one working. Each newer
// invitation here is issued within the second of the one before.
func TestRetryOfAReplacedInvitation(t *testing.T) {
	e := newEnv(t)
	accID, owner := e.account("bigeye", "olive@acme.test")
	invite := func(email string) string {
		m, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: email, Role: "User"})
		if err != nil {
			t.Fatal(err)
		}
		return m.UserID
	}
	// giveUp gives up the newest message to user, as the mail worker does
	// after its last attempt, and returns its id.
	giveUp := func(user string) int64 {
		var id int64
		err := e.store.Write(e.ctx, accID, func(tx roster.Tx) error {
			msgs, err := tx.Messages("", 100)
			if err != nil {
				return err
			}
			for _, m := range msgs { // newest first
				if m.UserID == user {
					id = m.ID
					return tx.MarkMessageFailed(m.ID, "550 no such mailbox", time.Time{})
				}
			}
			return fmt.Errorf("no message to %s", user)
		})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	later := func() { e.now = e.now.Add(400 * time.Millisecond) }

	dana := invite("dana@acme.test")
	first := giveUp(dana)
	later()
	if _, err := e.app.Resend(e.ctx, owner, accID, dana); err != nil {
		t.Fatal(err)
	}
	resent := e.lastLink(accID, dana)
	before := e.snapshot(accID)
	_, err := e.app.RetryMessage(e.ctx, first)
	wantCode(t, err, roster.CodeConflict)
	if after := e.snapshot(accID); after != before {
		t.Errorf("a refused retry changed the account:\n%s\nthen\n%s", before, after)
	}
	if _, err := e.app.Invitation(e.ctx, tokenOf(t, resent)); err != nil {
		t.Errorf("the resent link stopped working after a refused retry: %v", err)
	}

	sam := invite("sam@acme.test")
	first = giveUp(sam)
	later()
	fresh, err := e.app.RetryMessage(e.ctx, first)
	if err != nil || fresh == first {
		t.Fatalf("the first retry of a given-up invitation = %d, %v; want a new message", fresh, err)
	}
	link := e.lastLink(accID, sam)
	later()
	_, err = e.app.RetryMessage(e.ctx, first)
	wantCode(t, err, roster.CodeConflict)
	if got := e.lastLink(accID, sam); got != link {
		t.Error("a second retry of the same message sent another link")
	}
	if _, err := e.app.Invitation(e.ctx, tokenOf(t, link)); err != nil {
		t.Errorf("the retry's fresh link stopped working: %v", err)
	}
}
