package app_test

import (
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/policy"
)

func TestViewerAnswersWhatTheUIShows(t *testing.T) {
	e := newEnv(t)
	accID, owner := e.account("bizmetry", "olive@acme.test")
	manager := e.member(accID, owner, "manager@acme.test", "Organization Manager")
	monitor := e.member(accID, owner, "monitor@acme.test", "Monitoring User")
	pending, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "pending@acme.test", Role: "SRE"})
	if err != nil {
		t.Fatal(err)
	}

	v, err := e.app.Viewer(e.ctx, owner, accID)
	if err != nil {
		t.Fatal(err)
	}
	if !v.CanList() || !v.CanInvite() || !v.CanReadAudit() || !v.CanTransfer() || v.ActiveOwners != 1 {
		t.Errorf("owner viewer: list %v invite %v audit %v transfer %v owners %d",
			v.CanList(), v.CanInvite(), v.CanReadAudit(), v.CanTransfer(), v.ActiveOwners)
	}
	if got := len(v.AssignableRoles()); got != 10 {
		t.Errorf("owner may assign %d roles, want 10", got)
	}
	// On oneself, the last owner: no disable, and removal (leaving) and
	// demotion foreseen as last_owner so that the UI can warn.
	self := v.On(e.get(accID, owner.UserID))
	if !self.Self || self.Disable.Code != policy.CodeForbidden || self.Remove.Code != policy.CodeLastOwner || !app.Shown(self.Remove) || app.Shown(self.Disable) {
		t.Errorf("owner on self = %+v", self)
	}
	p := v.On(pending)
	if !p.Resend.Allowed || !p.Revoke.Allowed || p.Disable.Allowed || p.Enable.Allowed || p.Remove.Allowed {
		t.Errorf("owner on a pending member = %+v", p)
	}

	mv, err := e.app.Viewer(e.ctx, manager, accID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range mv.AssignableRoles() {
		if r.Name == "Organization Owner" {
			t.Errorf("a manager may assign the owner role")
		}
	}
	onOwner := mv.On(e.get(accID, owner.UserID))
	if app.Shown(onOwner.Edit) || app.Shown(onOwner.Remove) || app.Shown(onOwner.Disable) || onOwner.Edit.Code != policy.CodeInsufficientRole {
		t.Errorf("manager on the owner = %+v", onOwner)
	}
	if mv.CanTransfer() {
		t.Errorf("a manager may transfer ownership")
	}

	nv, err := e.app.Viewer(e.ctx, monitor, accID)
	if err != nil {
		t.Fatal(err)
	}
	if nv.CanList() || nv.CanInvite() || nv.CanReadAudit() || nv.CanTransfer() {
		t.Errorf("Monitoring User viewer may list %v invite %v audit %v transfer %v", nv.CanList(), nv.CanInvite(), nv.CanReadAudit(), nv.CanTransfer())
	}

	// Only Active members are viewers.
	if _, err := e.app.SetStatus(e.ctx, owner, accID, monitor.UserID, "disabled"); err != nil {
		t.Fatal(err)
	}
	_, err = e.app.Viewer(e.ctx, monitor, accID)
	wantCode(t, err, roster.CodeNotFound)
}

func TestBigeyeUserViewer(t *testing.T) {
	e := newEnv(t)
	accID, owner := e.account("bigeye", "olive@acme.test")
	admin := e.member(accID, owner, "admin@acme.test", "Admin")
	user := e.member(accID, owner, "user@acme.test", "User")
	other := e.member(accID, owner, "other@acme.test", "User")
	v, err := e.app.Viewer(e.ctx, user, accID)
	if err != nil {
		t.Fatal(err)
	}
	if !v.CanList() || !v.CanInvite() || v.CanTransfer() {
		t.Errorf("Bigeye User: list %v invite %v transfer %v", v.CanList(), v.CanInvite(), v.CanTransfer())
	}
	if got := v.AssignableRoles(); len(got) != 1 || got[0].Name != "User" {
		t.Errorf("Bigeye User may assign %v, want User only", got)
	}
	on := v.On(e.get(accID, other.UserID))
	if !on.Edit.Allowed || app.Shown(on.Remove) || app.Shown(on.Disable) {
		t.Errorf("Bigeye User on a User = %+v", on)
	}
	if onAdmin := v.On(e.get(accID, admin.UserID)); app.Shown(onAdmin.Edit) {
		t.Errorf("Bigeye User may edit an Admin: %+v", onAdmin)
	}
}

func TestSetUpOnlyOnAnEmptyInstallation(t *testing.T) {
	e := newEnv(t)
	in := app.AccountWithOwner{AccountName: "Acme", Catalog: catalog(t, "bigeye"), OwnerName: "Ada Admin", OwnerEmail: "ada@acme.test", Password: pw}

	bad := in
	bad.Password = "short"
	_, err := e.app.SetUp(e.ctx, "192.0.2.9", bad)
	wantCode(t, err, roster.CodeInvalidInput)
	if f := roster.ErrorField(err); f != "password" {
		t.Errorf("field = %q, want password", f)
	}
	bad = in
	bad.AccountName = " "
	_, err = e.app.SetUp(e.ctx, "", bad)
	if roster.ErrorField(err) != "account_name" {
		t.Errorf("blank account name: %v (field %q)", err, roster.ErrorField(err))
	}
	if has, _ := e.app.HasAccounts(e.ctx); has {
		t.Fatalf("a refused setup created an account")
	}

	got, err := e.app.SetUp(e.ctx, "192.0.2.9", in)
	if err != nil {
		t.Fatal(err)
	}
	if got.Member.Role != "Owner" || got.Member.Status != roster.StatusActive || got.Session == "" {
		t.Errorf("setup made %+v with session %q, want an active Owner signed in", got.Member, got.Session)
	}
	p, err := e.app.AuthenticateSession(e.ctx, got.Session, "")
	if err != nil || p.UserID != got.User.ID {
		t.Errorf("the setup session does not sign the owner in: %v", err)
	}
	if _, _, err := e.app.Login(e.ctx, "", "ada@acme.test", pw); err != nil {
		t.Errorf("the owner cannot log in with the setup password: %v", err)
	}
	// Set up in the browser, the account is the new owner's doing, from
	// their address.
	events, err := e.app.Audit(e.ctx, roster.Principal{UserID: got.User.ID}, got.Member.AccountID, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events.Items {
		if ev.Action == roster.AuditAccountCreated && (ev.Actor != got.User.ID || ev.IP != "192.0.2.9") {
			t.Errorf("account.created by %q from %q, want the owner from 192.0.2.9", ev.Actor, ev.IP)
		}
	}

	again := in
	again.OwnerEmail = "eve@acme.test"
	_, err = e.app.SetUp(e.ctx, "", again)
	wantCode(t, err, roster.CodeConflict)

	// The operator's variant creates more accounts, signing nobody in, and
	// refuses an email that already has a login.
	more, err := e.app.CreateAccountWithOwner(e.ctx, again)
	if err != nil || more.Session != "" || more.Member.Status != roster.StatusActive {
		t.Errorf("CreateAccountWithOwner = %+v, %v", more, err)
	}
	_, err = e.app.CreateAccountWithOwner(e.ctx, in)
	wantCode(t, err, roster.CodeInvalidInput)

	view, err := e.app.AuditWithPeople(e.ctx, roster.Principal{UserID: got.User.ID}, got.Member.AccountID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(view.Items) != 2 || view.People[got.User.ID].Email != "ada@acme.test" {
		t.Errorf("audit after setup = %d events, people %v", len(view.Items), view.People)
	}
}

func TestInvitationLinkForDemoSeeding(t *testing.T) {
	e := newEnv(t)
	accID, owner := e.account("bizmetry", "olive@acme.test")
	m, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "dana@acme.test", Role: "Developer"})
	if err != nil {
		t.Fatal(err)
	}
	link, err := e.app.InvitationLink(e.ctx, accID, m.UserID)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := e.app.Invitation(e.ctx, tokenOf(t, link))
	if err != nil || inv.Email != "dana@acme.test" || inv.Role != "Developer" {
		t.Errorf("the link opens %+v, %v", inv, err)
	}
	_, err = e.app.InvitationLink(e.ctx, accID, owner.UserID)
	wantCode(t, err, roster.CodeNotFound)
}

func TestAuditWithPeopleNeedsAuditRead(t *testing.T) {
	e := newEnv(t)
	accID, owner := e.account("bizmetry", "olive@acme.test")
	dev := e.member(accID, owner, "dev@acme.test", "Developer")
	_, err := e.app.AuditWithPeople(e.ctx, dev, accID, "", 0)
	wantCode(t, err, roster.CodeForbidden)
	view, err := e.app.AuditWithPeople(e.ctx, owner, accID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if view.People[dev.UserID].Email != "dev@acme.test" || view.People[owner.UserID].Name != "Olive Owner" {
		t.Errorf("people = %v", view.People)
	}
}
