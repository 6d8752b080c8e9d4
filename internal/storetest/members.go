package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rosterhq/roster"
)

// memberOpts compares members, treating a nil and an empty ProfileRoles alike.
var memberOpts = cmp.Options{cmpopts.EquateEmpty()}

func member(t *testing.T, s roster.Store, account, user string) *roster.Member {
	t.Helper()
	var m *roster.Member
	Read(t, s, func(tx roster.Tx) error {
		var err error
		m, err = tx.Member(account, user)
		return err
	})
	return m
}

func testMembers(t *testing.T, s roster.Store) {
	a := NewAccount(t, s, "Acme", "bigeye")
	inviter := NewUserMember(t, s, a, "Olive Owner", "Owner", roster.StatusActive)
	last := T0.Add(-time.Hour)
	u := &roster.User{ID: NewID("user"), Email: "Dana@Acme.test", Name: "Dana Dev", LastLoginAt: &last, CreatedAt: T0}
	Write(t, s, "", func(tx roster.Tx) error { return tx.CreateUser(u) })

	invited := T0.Add(time.Minute)
	m := &roster.Member{
		AccountID: a.ID,
		UserID:    u.ID,
		// Email is the user's: the store must not take it from here. Name
		// is what the member shows while pending (Member.Shown).
		Email:     "ignored@example.test",
		Name:      "Invited Name",
		Role:      "User",
		RoleOrder: RoleOrder(t, a.Catalog, "User"),
		Status:    roster.StatusPending,
		InvitedAt: &invited,
		InvitedBy: inviter.UserID,
		// ProfileRoles is ignored by CreateMember.
		ProfileRoles: map[string]string{"prod": "Admin"},
	}
	Write(t, s, a.ID, func(tx roster.Tx) error { return tx.CreateMember(m) })

	// Pending, the member shows the name it was given and no login: the
	// account has only invited the person.
	want := &roster.Member{
		AccountID: a.ID,
		UserID:    u.ID,
		Email:     "Dana@Acme.test",
		Name:      "Invited Name",
		Role:      "User",
		RoleOrder: RoleOrder(t, a.Catalog, "User"),
		Status:    roster.StatusPending,
		InvitedAt: &invited,
		InvitedBy: inviter.UserID,
	}
	if diff := cmp.Diff(want, member(t, s, a.ID, u.ID), memberOpts); diff != "" {
		t.Errorf("Member after CreateMember mismatch (-want +got):\n%s", diff)
	}

	t.Run("a pending member shows only what it was given", func(t *testing.T) {
		// Elsewhere the person has joined, and shows as themself.
		b := NewAccount(t, s, "Beta", "bigeye")
		joined := NewMember(t, s, b, u, "User", roster.StatusActive)
		if joined.Name != "Dana Dev" || joined.LastLoginAt == nil || !joined.LastLoginAt.Equal(last) {
			t.Errorf("an active member shows %q, last login %v; want the user's %q, %v", joined.Name, joined.LastLoginAt, "Dana Dev", last)
		}
		login := T0.Add(2 * time.Hour)
		Write(t, s, "", func(tx roster.Tx) error {
			if err := tx.SetUserName(u.ID, "Dana Renamed"); err != nil {
				return err
			}
			return tx.SetLastLogin(u.ID, login)
		})
		if got := member(t, s, b.ID, u.ID); got.Name != "Dana Renamed" || got.LastLoginAt == nil || !got.LastLoginAt.Equal(login) {
			t.Errorf("the joined member after SetUserName and SetLastLogin shows %q, %v; want %q, %v", got.Name, got.LastLoginAt, "Dana Renamed", login)
		}
		if diff := cmp.Diff(want, member(t, s, a.ID, u.ID), memberOpts); diff != "" {
			t.Errorf("the pending member changed with the user (-want +got):\n%s", diff)
		}
		for q, wantIDs := range map[string][]string{"invited": {u.ID}, "renamed": nil} {
			if got := listIDs(t, s, a.ID, roster.MemberFilter{Query: q, Limit: 10}); !cmp.Equal(got, wantIDs, cmpopts.EquateEmpty()) {
				t.Errorf("search %q of the pending = %v, want %v", q, got, wantIDs)
			}
		}
		if got := listIDs(t, s, b.ID, roster.MemberFilter{Query: "renamed", Limit: 10}); !cmp.Equal(got, []string{u.ID}) {
			t.Errorf("search \"renamed\" of the joined = %v, want [%s]", got, u.ID)
		}

		// The inviter mends the name: this membership only.
		Write(t, s, a.ID, func(tx roster.Tx) error { return tx.SetMemberName(a.ID, u.ID, "Mended Name") })
		want.Name = "Mended Name"
		if diff := cmp.Diff(want, member(t, s, a.ID, u.ID), memberOpts); diff != "" {
			t.Errorf("Member after SetMemberName mismatch (-want +got):\n%s", diff)
		}
		if got := member(t, s, b.ID, u.ID).Name; got != "Dana Renamed" {
			t.Errorf("SetMemberName reached another account: %q", got)
		}
		for q, wantIDs := range map[string][]string{"mended": {u.ID}, "invited": nil} {
			if got := listIDs(t, s, a.ID, roster.MemberFilter{Query: q, Limit: 10}); !cmp.Equal(got, wantIDs, cmpopts.EquateEmpty()) {
				t.Errorf("search %q after SetMemberName = %v, want %v", q, got, wantIDs)
			}
		}
		wantWriteCode(t, s, a.ID, "SetMemberName(unknown)", roster.CodeNotFound,
			func(tx roster.Tx) error { return tx.SetMemberName(a.ID, "no-such-user", "X") })
		wantWriteCode(t, s, a.ID, "SetMemberName(of another account)", roster.CodeNotFound,
			func(tx roster.Tx) error { return tx.SetMemberName(a.ID, inviter.UserID+"-x", "X") })
	})

	t.Run("conflict and not found", func(t *testing.T) {
		wantWriteCode(t, s, a.ID, "CreateMember twice", roster.CodeConflict,
			func(tx roster.Tx) error { return tx.CreateMember(m) })
		Read(t, s, func(tx roster.Tx) error {
			_, err := tx.Member(a.ID, "no-such-user")
			wantCode(t, "Member(unknown user)", err, roster.CodeNotFound)
			_, err = tx.Member("no-such-account", u.ID)
			wantCode(t, "Member(unknown account)", err, roster.CodeNotFound)
			return nil
		})
		other := NewAccount(t, s, "Other", "bigeye")
		Read(t, s, func(tx roster.Tx) error {
			_, err := tx.Member(other.ID, u.ID)
			wantCode(t, "Member(of another account)", err, roster.CodeNotFound)
			return nil
		})
	})

	t.Run("update", func(t *testing.T) {
		joined := T0.Add(time.Hour)
		up := *want
		up.Role, up.RoleOrder, up.Status, up.JoinedAt = "Admin", RoleOrder(t, a.Catalog, "Admin"), roster.StatusActive, &joined
		// UpdateMember writes only Role, RoleOrder, Status and JoinedAt.
		up.InvitedBy = "someone-else"
		up.Name = "Not Written"
		Write(t, s, a.ID, func(tx roster.Tx) error { return tx.UpdateMember(&up) })
		w := *want
		w.Role, w.RoleOrder, w.Status, w.JoinedAt = "Admin", up.RoleOrder, roster.StatusActive, &joined
		if diff := cmp.Diff(&w, member(t, s, a.ID, u.ID), memberOpts); diff != "" {
			t.Errorf("Member after UpdateMember mismatch (-want +got):\n%s", diff)
		}
		// Joined, the member shows the user as they are now, and follows
		// them from then on.
		Write(t, s, a.ID, func(tx roster.Tx) error { return tx.ShowUser(a.ID, u.ID) })
		w.Name, w.LastLoginAt = "Dana Renamed", ptr(T0.Add(2*time.Hour))
		if diff := cmp.Diff(&w, member(t, s, a.ID, u.ID), memberOpts); diff != "" {
			t.Errorf("Member after ShowUser mismatch (-want +got):\n%s", diff)
		}
		if got := listIDs(t, s, a.ID, roster.MemberFilter{Query: "renamed", Limit: 10}); !cmp.Equal(got, []string{u.ID}) {
			t.Errorf("search \"renamed\" after ShowUser = %v, want [%s]", got, u.ID)
		}
		wantWriteCode(t, s, a.ID, "ShowUser(unknown)", roster.CodeNotFound,
			func(tx roster.Tx) error { return tx.ShowUser(a.ID, "no-such-user") })
		wantWriteCode(t, s, a.ID, "ShowUser(not a member)", roster.CodeNotFound,
			func(tx roster.Tx) error { return tx.ShowUser("no-such-account", u.ID) })
		login := T0.Add(3 * time.Hour)
		Write(t, s, "", func(tx roster.Tx) error {
			if err := tx.SetUserName(u.ID, "Dana Dev"); err != nil {
				return err
			}
			return tx.SetLastLogin(u.ID, login)
		})
		w.Name, w.LastLoginAt = "Dana Dev", &login
		if diff := cmp.Diff(&w, member(t, s, a.ID, u.ID), memberOpts); diff != "" {
			t.Errorf("Member after joining and SetUserName, SetLastLogin mismatch (-want +got):\n%s", diff)
		}

		w.Status = roster.StatusDisabled
		Write(t, s, a.ID, func(tx roster.Tx) error { return tx.UpdateMember(&w) })
		if got := member(t, s, a.ID, u.ID).Status; got != roster.StatusDisabled {
			t.Errorf("Status after disabling = %q, want %q", got, roster.StatusDisabled)
		}

		missing := w
		missing.UserID = "no-such-user"
		wantWriteCode(t, s, a.ID, "UpdateMember(unknown)", roster.CodeNotFound,
			func(tx roster.Tx) error { return tx.UpdateMember(&missing) })
	})
}

// testMemberInvitationFields checks that a member shows its invitation's
// expiry and delivery error while pending, and only then.
func testMemberInvitationFields(t *testing.T, s roster.Store) {
	a := NewAccount(t, s, "Acme", "bizmetry")
	m := NewUserMember(t, s, a, "Pat Pending", "Developer", roster.StatusPending)
	if m.InvitationExpiresAt != nil || m.InvitationError != "" {
		t.Errorf("pending member without invitation: expiry %v, error %q; want nil, \"\"", m.InvitationExpiresAt, m.InvitationError)
	}

	expires := T0.Add(roster.DefaultInviteTTL)
	inv := &roster.Invitation{AccountID: a.ID, UserID: m.UserID, TokenHash: NewID("hash"), ExpiresAt: expires, SentAt: T0, LastError: "mailbox full"}
	Write(t, s, a.ID, func(tx roster.Tx) error { return tx.PutInvitation(inv) })
	got := member(t, s, a.ID, m.UserID)
	if got.InvitationExpiresAt == nil || !got.InvitationExpiresAt.Equal(expires) || got.InvitationError != "mailbox full" {
		t.Errorf("pending member: expiry %v, error %q; want %v, %q", got.InvitationExpiresAt, got.InvitationError, expires, "mailbox full")
	}
	page := listAll(t, s, a.ID, roster.MemberFilter{Limit: 10})
	if len(page) != 1 || page[0].InvitationExpiresAt == nil || page[0].InvitationError != "mailbox full" {
		t.Errorf("ListMembers of a pending member = %+v; want its invitation expiry and error", page)
	}

	// Activation may leave the invitation row; it no longer shows.
	got.Status = roster.StatusActive
	got.JoinedAt = ptr(T0.Add(time.Hour))
	Write(t, s, a.ID, func(tx roster.Tx) error { return tx.UpdateMember(got) })
	got = member(t, s, a.ID, m.UserID)
	if got.InvitationExpiresAt != nil || got.InvitationError != "" {
		t.Errorf("active member: expiry %v, error %q; want nil, \"\"", got.InvitationExpiresAt, got.InvitationError)
	}
	page = listAll(t, s, a.ID, roster.MemberFilter{Limit: 10})
	if len(page) != 1 || page[0].InvitationExpiresAt != nil || page[0].InvitationError != "" {
		t.Errorf("ListMembers of an active member = %+v; want no invitation fields", page[0])
	}
}

// testDeleteMember checks that removal deletes the membership, its
// invitation and profile roles, and nothing else.
func testDeleteMember(t *testing.T, s roster.Store) {
	a := NewAccount(t, s, "Acme", "bizmetry")
	owner := NewUserMember(t, s, a, "Olive Owner", "Organization Owner", roster.StatusActive)
	m := NewUserMember(t, s, a, "Rita Removed", "Developer", roster.StatusPending)
	hash := NewID("hash")
	ev := &roster.AuditEvent{AccountID: a.ID, At: T0, Actor: owner.UserID, Action: roster.AuditMemberInvited, Target: m.UserID}
	msg := &roster.Message{Kind: roster.MessageInvitation, To: m.Email, AccountID: a.ID, UserID: m.UserID, NextAttemptAt: T0, CreatedAt: T0}
	// The owner also has a token in the account; it must survive.
	other := NewAccount(t, s, "Other", "bigeye")
	tokHere := &roster.APIToken{ID: NewID("tok"), UserID: m.UserID, AccountID: a.ID, Name: "here", Hash: NewID("th"), CreatedAt: T0}
	tokOwner := &roster.APIToken{ID: NewID("tok"), UserID: owner.UserID, AccountID: a.ID, Name: "owner", Hash: NewID("th"), CreatedAt: T0}
	tokElsewhere := &roster.APIToken{ID: NewID("tok"), UserID: m.UserID, AccountID: other.ID, Name: "elsewhere", Hash: NewID("th"), CreatedAt: T0}
	Write(t, s, "", func(tx roster.Tx) error {
		for _, tok := range []*roster.APIToken{tokHere, tokOwner, tokElsewhere} {
			if err := tx.CreateAPIToken(tok); err != nil {
				return err
			}
		}
		return nil
	})
	Write(t, s, a.ID, func(tx roster.Tx) error {
		if err := tx.PutInvitation(&roster.Invitation{AccountID: a.ID, UserID: m.UserID, TokenHash: hash, ExpiresAt: T0.Add(time.Hour), SentAt: T0}); err != nil {
			return err
		}
		if err := tx.SetProfileRole(a.ID, m.UserID, "prod", "Developer", T0); err != nil {
			return err
		}
		if err := tx.AppendAudit(ev); err != nil {
			return err
		}
		return tx.EnqueueMessage(msg)
	})

	Write(t, s, a.ID, func(tx roster.Tx) error { return tx.DeleteMember(a.ID, m.UserID) })

	Read(t, s, func(tx roster.Tx) error {
		_, err := tx.Member(a.ID, m.UserID)
		wantCode(t, "Member after DeleteMember", err, roster.CodeNotFound)
		if _, err := tx.User(m.UserID); err != nil {
			t.Errorf("User after DeleteMember: %v; the user must stay", err)
		}
		_, err = tx.InvitationByToken(hash)
		wantCode(t, "InvitationByToken after DeleteMember", err, roster.CodeNotFound)
		profiles, err := tx.Profiles(a.ID)
		if err != nil {
			t.Fatalf("Profiles: %v", err)
		}
		if len(profiles) != 1 || profiles[0].Name != "prod" || profiles[0].Members != 0 {
			t.Errorf("Profiles after DeleteMember = %+v; want prod with 0 members (the profile stays)", profiles)
		}
		audit, err := tx.ListAudit(a.ID, nil, 10)
		if err != nil {
			t.Fatalf("ListAudit: %v", err)
		}
		if len(audit.Items) != 1 || audit.Items[0].ID != ev.ID || audit.Items[0].Target != m.UserID {
			t.Errorf("ListAudit after DeleteMember = %+v; want the event kept", audit.Items)
		}
		msgs, err := tx.Messages("", 10)
		if err != nil {
			t.Fatalf("Messages: %v", err)
		}
		if len(msgs) != 1 || msgs[0].ID != msg.ID {
			t.Errorf("Messages after DeleteMember = %+v; want the message kept", msgs)
		}
		n, err := tx.CountMembers(a.ID, roster.MemberFilter{})
		if err != nil || n != 1 {
			t.Errorf("CountMembers after DeleteMember = %d, %v; want 1", n, err)
		}
		_, err = tx.APITokenByHash(tokHere.Hash)
		wantCode(t, "the removed member's token for the account", err, roster.CodeNotFound)
		if _, err := tx.APITokenByHash(tokElsewhere.Hash); err != nil {
			t.Errorf("the removed member's token for another account: %v; want it kept", err)
		}
		if _, err := tx.APITokenByHash(tokOwner.Hash); err != nil {
			t.Errorf("another member's token: %v; want it kept", err)
		}
		return nil
	})
	if got := listIDs(t, s, a.ID, roster.MemberFilter{Query: "rita", Limit: 10}); len(got) != 0 {
		t.Errorf("search for the removed member found %v; want nothing", got)
	}

	wantWriteCode(t, s, a.ID, "DeleteMember twice", roster.CodeNotFound,
		func(tx roster.Tx) error { return tx.DeleteMember(a.ID, m.UserID) })

	// The user can be invited again, and is then found once.
	u := &roster.User{ID: m.UserID, Email: m.Email, Name: m.Name}
	again := NewMember(t, s, a, u, "Architect", roster.StatusPending)
	if len(again.ProfileRoles) != 0 || again.InvitationExpiresAt != nil {
		t.Errorf("re-created member = %+v; want no profile roles and no invitation left over", again)
	}
	if got := listIDs(t, s, a.ID, roster.MemberFilter{Query: "rita", Limit: 10}); !cmp.Equal(got, []string{m.UserID}) {
		t.Errorf("search for the re-invited member = %v; want [%s]", got, m.UserID)
	}
}

func testCountMembers(t *testing.T, s roster.Store) {
	a := NewAccount(t, s, "Acme", "bigeye")
	other := NewAccount(t, s, "Other", "bigeye")
	NewUserMember(t, s, a, "O1", "Owner", roster.StatusActive)
	NewUserMember(t, s, a, "O2", "Owner", roster.StatusDisabled)
	NewUserMember(t, s, a, "O3", "Owner", roster.StatusPending)
	NewUserMember(t, s, a, "A1", "Admin", roster.StatusActive)
	NewUserMember(t, s, a, "U1", "User", roster.StatusActive)
	NewUserMember(t, s, a, "U2", "User", roster.StatusPending)
	NewUserMember(t, s, other, "X1", "Owner", roster.StatusActive)

	tests := []struct {
		role   string
		status roster.Status
		want   int
	}{
		{"", "", 6},
		{"Owner", "", 3},
		{"Owner", roster.StatusActive, 1},
		{"", roster.StatusActive, 3},
		{"", roster.StatusPending, 2},
		{"User", roster.StatusDisabled, 0},
		{"Nobody", "", 0},
	}
	Read(t, s, func(tx roster.Tx) error {
		for _, tt := range tests {
			got, err := tx.CountMembers(a.ID, roster.MemberFilter{Role: tt.role, RoleOrder: roleOrder(a.Catalog, tt.role), Status: tt.status})
			if err != nil || got != tt.want {
				t.Errorf("CountMembers(%q, %q) = %d, %v; want %d", tt.role, tt.status, got, err, tt.want)
			}
		}
		got, err := tx.CountMembers("no-such-account", roster.MemberFilter{})
		if err != nil || got != 0 {
			t.Errorf("CountMembers(unknown account) = %d, %v; want 0, nil", got, err)
		}
		return nil
	})
}

func testMemberships(t *testing.T, s roster.Store) {
	beta := NewAccount(t, s, "Beta", "bigeye")
	alpha := NewAccount(t, s, "Alpha", "bizmetry")
	NewAccount(t, s, "Gamma", "bigeye")
	u := NewUser(t, s, "Multi Member", "")
	NewMember(t, s, beta, u, "Admin", roster.StatusDisabled)
	NewMember(t, s, alpha, u, "Architect", roster.StatusActive)
	loner := NewUser(t, s, "Loner", "")

	Read(t, s, func(tx roster.Tx) error {
		got, err := tx.Memberships(u.ID)
		if err != nil {
			t.Fatalf("Memberships: %v", err)
		}
		want := []roster.Membership{
			{AccountID: alpha.ID, AccountName: "Alpha", Role: "Architect", Status: roster.StatusActive},
			{AccountID: beta.ID, AccountName: "Beta", Role: "Admin", Status: roster.StatusDisabled},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Memberships mismatch (-want +got):\n%s", diff)
		}
		got, err = tx.Memberships(loner.ID)
		if err != nil || len(got) != 0 {
			t.Errorf("Memberships(user of no account) = %v, %v; want none", got, err)
		}
		return nil
	})
}
