package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rosterhq/roster"
)

func testInvitations(t *testing.T, s roster.Store) {
	a := NewAccount(t, s, "Acme", "bigeye")
	m := NewUserMember(t, s, a, "Pat Pending", "User", roster.StatusPending)
	first := &roster.Invitation{
		AccountID: a.ID, UserID: m.UserID, TokenHash: NewID("hash"),
		ExpiresAt: T0.Add(roster.DefaultInviteTTL), SentAt: T0, LastError: "timeout",
	}
	Write(t, s, a.ID, func(tx roster.Tx) error { return tx.PutInvitation(first) })
	Read(t, s, func(tx roster.Tx) error {
		got, err := tx.InvitationByToken(first.TokenHash)
		if err != nil {
			t.Fatalf("InvitationByToken: %v", err)
		}
		if diff := cmp.Diff(first, got); diff != "" {
			t.Errorf("InvitationByToken mismatch (-want +got):\n%s", diff)
		}
		_, err = tx.InvitationByToken("no-such-hash")
		wantCode(t, "InvitationByToken(unknown)", err, roster.CodeNotFound)
		got, err = tx.Invitation(a.ID, m.UserID)
		if err != nil {
			t.Fatalf("Invitation: %v", err)
		}
		if diff := cmp.Diff(first, got); diff != "" {
			t.Errorf("Invitation mismatch (-want +got):\n%s", diff)
		}
		_, err = tx.Invitation(a.ID, "no-such-user")
		wantCode(t, "Invitation(no such member)", err, roster.CodeNotFound)
		return nil
	})

	// A resend replaces the invitation: the old link is dead.
	second := &roster.Invitation{
		AccountID: a.ID, UserID: m.UserID, TokenHash: NewID("hash"),
		ExpiresAt: T0.Add(roster.DefaultInviteTTL + time.Hour), SentAt: T0.Add(time.Hour),
	}
	Write(t, s, a.ID, func(tx roster.Tx) error { return tx.PutInvitation(second) })
	Read(t, s, func(tx roster.Tx) error {
		_, err := tx.InvitationByToken(first.TokenHash)
		wantCode(t, "InvitationByToken(replaced hash)", err, roster.CodeNotFound)
		got, err := tx.InvitationByToken(second.TokenHash)
		if err != nil {
			t.Fatalf("InvitationByToken(new hash): %v", err)
		}
		if diff := cmp.Diff(second, got); diff != "" {
			t.Errorf("InvitationByToken(new hash) mismatch (-want +got):\n%s", diff)
		}
		if got, err := tx.Invitation(a.ID, m.UserID); err != nil || got.TokenHash != second.TokenHash {
			t.Errorf("Invitation after a resend = %+v, %v; want the new one", got, err)
		}
		return nil
	})
	got := member(t, s, a.ID, m.UserID)
	if got.InvitationExpiresAt == nil || !got.InvitationExpiresAt.Equal(second.ExpiresAt) || got.InvitationError != "" {
		t.Errorf("Member after resend: expiry %v, error %q; want %v, \"\"", got.InvitationExpiresAt, got.InvitationError, second.ExpiresAt)
	}

	t.Run("errors", func(t *testing.T) {
		orphan := *second
		orphan.UserID, orphan.TokenHash = "no-such-user", NewID("hash")
		wantWriteCode(t, s, a.ID, "PutInvitation(no membership)", roster.CodeNotFound,
			func(tx roster.Tx) error { return tx.PutInvitation(&orphan) })

		m2 := NewUserMember(t, s, a, "Other Pending", "User", roster.StatusPending)
		taken := *second
		taken.UserID = m2.UserID
		wantWriteCode(t, s, a.ID, "PutInvitation(hash in use)", roster.CodeConflict,
			func(tx roster.Tx) error { return tx.PutInvitation(&taken) })
	})

	Write(t, s, a.ID, func(tx roster.Tx) error { return tx.DeleteInvitation(a.ID, m.UserID) })
	Read(t, s, func(tx roster.Tx) error {
		_, err := tx.InvitationByToken(second.TokenHash)
		wantCode(t, "InvitationByToken after DeleteInvitation", err, roster.CodeNotFound)
		_, err = tx.Invitation(a.ID, m.UserID)
		wantCode(t, "Invitation after DeleteInvitation", err, roster.CodeNotFound)
		return nil
	})
	got = member(t, s, a.ID, m.UserID)
	if got.InvitationExpiresAt != nil || got.Status != roster.StatusPending {
		t.Errorf("Member after DeleteInvitation: expiry %v, status %q; want nil, still pending", got.InvitationExpiresAt, got.Status)
	}
	wantWriteCode(t, s, a.ID, "DeleteInvitation twice", roster.CodeNotFound,
		func(tx roster.Tx) error { return tx.DeleteInvitation(a.ID, m.UserID) })
}

func testProfileRoles(t *testing.T, s roster.Store) {
	a := NewAccount(t, s, "Acme", "bizmetry")
	other := NewAccount(t, s, "Other", "bizmetry")
	m1 := NewUserMember(t, s, a, "First", "Developer", roster.StatusActive)
	m2 := NewUserMember(t, s, a, "Second", "SRE", roster.StatusActive)
	t1, t2 := T0.Add(time.Minute), T0.Add(2*time.Minute)

	Read(t, s, func(tx roster.Tx) error {
		ok, err := tx.ProfileExists(a.ID, "prod")
		if err != nil || ok {
			t.Errorf("ProfileExists before any grant = %v, %v; want false", ok, err)
		}
		return nil
	})
	Write(t, s, a.ID, func(tx roster.Tx) error {
		if err := tx.SetProfileRole(a.ID, m1.UserID, "prod", "Architect", t1); err != nil {
			return err
		}
		if err := tx.SetProfileRole(a.ID, m1.UserID, "edge-1", "DevOps", t1); err != nil {
			return err
		}
		if err := tx.SetProfileRole(a.ID, m2.UserID, "prod", "SRE", t2); err != nil {
			return err
		}
		// Replaces m1's role on prod.
		return tx.SetProfileRole(a.ID, m1.UserID, "prod", "Organization Manager", t2)
	})
	if got, want := member(t, s, a.ID, m1.UserID).ProfileRoles, map[string]string{"prod": "Organization Manager", "edge-1": "DevOps"}; !cmp.Equal(got, want) {
		t.Errorf("ProfileRoles = %v, want %v", got, want)
	}
	Read(t, s, func(tx roster.Tx) error {
		got, err := tx.Profiles(a.ID)
		if err != nil {
			t.Fatalf("Profiles: %v", err)
		}
		want := []roster.Profile{{Name: "edge-1", CreatedAt: t1, Members: 1}, {Name: "prod", CreatedAt: t1, Members: 2}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Profiles mismatch (-want +got):\n%s", diff)
		}
		for _, p := range []string{"prod", "edge-1"} {
			if ok, err := tx.ProfileExists(a.ID, p); err != nil || !ok {
				t.Errorf("ProfileExists(%q) = %v, %v; want true", p, ok, err)
			}
		}
		if ok, err := tx.ProfileExists(other.ID, "prod"); err != nil || ok {
			t.Errorf("ProfileExists(other account, prod) = %v, %v; want false", ok, err)
		}
		if got, err := tx.Profiles(other.ID); err != nil || len(got) != 0 {
			t.Errorf("Profiles(other account) = %v, %v; want none", got, err)
		}
		return nil
	})

	Write(t, s, a.ID, func(tx roster.Tx) error { return tx.DeleteProfileRole(a.ID, m1.UserID, "edge-1") })
	if got, want := member(t, s, a.ID, m1.UserID).ProfileRoles, map[string]string{"prod": "Organization Manager"}; !cmp.Equal(got, want) {
		t.Errorf("ProfileRoles after DeleteProfileRole = %v, want %v", got, want)
	}
	Read(t, s, func(tx roster.Tx) error {
		got, err := tx.Profiles(a.ID)
		if err != nil || len(got) != 2 || got[0].Name != "edge-1" || got[0].Members != 0 {
			t.Errorf("Profiles after DeleteProfileRole = %+v, %v; want edge-1 kept with 0 members", got, err)
		}
		return nil
	})

	for _, tc := range []struct {
		what string
		fn   func(tx roster.Tx) error
	}{
		{"DeleteProfileRole(no role there)", func(tx roster.Tx) error { return tx.DeleteProfileRole(a.ID, m1.UserID, "edge-1") }},
		{"DeleteProfileRole(unknown profile)", func(tx roster.Tx) error { return tx.DeleteProfileRole(a.ID, m1.UserID, "nope") }},
		{"SetProfileRole(not a member)", func(tx roster.Tx) error { return tx.SetProfileRole(a.ID, "no-such-user", "prod", "SRE", T0) }},
		{"SetProfileRole(member of another account)", func(tx roster.Tx) error { return tx.SetProfileRole(other.ID, m1.UserID, "prod", "SRE", T0) }},
	} {
		wantWriteCode(t, s, "", tc.what, roster.CodeNotFound, tc.fn)
	}
}
