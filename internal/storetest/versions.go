package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// testAccountVersion checks that the version moves with every change the
// check path caches, and only then.
func testAccountVersion(t *testing.T, s roster.Store) {
	ctx := context.Background()
	a := NewAccount(t, s, "Acme", "bizmetry")
	other := NewAccount(t, s, "Other", "bizmetry")
	version := func(id string) int64 {
		t.Helper()
		v, err := s.AccountVersion(ctx, id)
		if err != nil {
			t.Fatalf("AccountVersion: %v", err)
		}
		return v
	}
	last := version(a.ID)
	otherStart := version(other.ID)
	step := func(what string, wantChange bool, fn func(tx roster.Tx) error) {
		t.Helper()
		Write(t, s, a.ID, fn)
		v := version(a.ID)
		if changed := v != last; changed != wantChange {
			t.Errorf("%s: version %d → %d; want changed=%v", what, last, v, wantChange)
		}
		if v < last {
			t.Errorf("%s: version went down", what)
		}
		last = v
	}
	u := NewUser(t, s, "Dana Dev", "")
	m := &roster.Member{AccountID: a.ID, UserID: u.ID, Role: "Developer", RoleOrder: RoleOrder(t, a.Catalog, "Developer"), Status: roster.StatusPending}
	step("CreateMember", true, func(tx roster.Tx) error { return tx.CreateMember(m) })
	step("UpdateMember role", true, func(tx roster.Tx) error {
		m.Role, m.RoleOrder = "SRE", RoleOrder(t, a.Catalog, "SRE")
		return tx.UpdateMember(m)
	})
	step("UpdateMember status", true, func(tx roster.Tx) error { m.Status = roster.StatusActive; return tx.UpdateMember(m) })
	step("SetLastLogin", false, func(tx roster.Tx) error { return tx.SetLastLogin(u.ID, T0.Add(time.Hour)) })
	step("SetUserName", false, func(tx roster.Tx) error { return tx.SetUserName(u.ID, "Dana D.") })
	step("AppendAudit", false, func(tx roster.Tx) error {
		return tx.AppendAudit(&roster.AuditEvent{AccountID: a.ID, At: T0, Action: roster.AuditMemberInvited})
	})
	step("SetProfileRole (new profile)", true, func(tx roster.Tx) error { return tx.SetProfileRole(a.ID, u.ID, "prod", "DevOps", T0) })
	step("SetProfileRole (replace)", true, func(tx roster.Tx) error { return tx.SetProfileRole(a.ID, u.ID, "prod", "SRE", T0) })
	step("DeleteProfileRole", true, func(tx roster.Tx) error { return tx.DeleteProfileRole(a.ID, u.ID, "prod") })
	tok := &roster.APIToken{ID: NewID("tok"), UserID: u.ID, AccountID: a.ID, Name: "t", Hash: NewID("h"), CreatedAt: T0}
	Write(t, s, "", func(tx roster.Tx) error { return tx.CreateAPIToken(tok) })
	got, v, err := s.APITokenVersion(ctx, tok.Hash)
	if err != nil || got.ID != tok.ID || got.AccountID != a.ID || got.UserID != u.ID || v != version(a.ID) {
		t.Errorf("APITokenVersion = %+v, %d, %v; want the token and version %d", got, v, err, version(a.ID))
	}
	last = version(a.ID)
	Write(t, s, "", func(tx roster.Tx) error { return tx.DeleteAPIToken(u.ID, tok.ID) })
	if _, _, err := s.APITokenVersion(ctx, tok.Hash); roster.ErrorCode(err) != roster.CodeNotFound {
		t.Errorf("APITokenVersion of a deleted token: %v, want not_found", err)
	}
	step("DeleteMember", true, func(tx roster.Tx) error { return tx.DeleteMember(a.ID, u.ID) })
	// A rolled-back change leaves the version as it was.
	if err := s.Write(ctx, a.ID, func(tx roster.Tx) error {
		if err := tx.CreateMember(&roster.Member{AccountID: a.ID, UserID: u.ID, Role: "SRE", Status: roster.StatusPending}); err != nil {
			return err
		}
		return roster.Errorf(roster.CodeConflict, "roll back")
	}); roster.ErrorCode(err) != roster.CodeConflict {
		t.Fatalf("Write = %v", err)
	}
	if v := version(a.ID); v != last {
		t.Errorf("a rolled-back change moved the version %d → %d", last, v)
	}
	if v := version(other.ID); v != otherStart {
		t.Errorf("another account's version moved %d → %d", otherStart, v)
	}
	if _, err := s.AccountVersion(ctx, NewID("acc")); roster.ErrorCode(err) != roster.CodeNotFound {
		t.Errorf("AccountVersion of a missing account: %v, want not_found", err)
	}
}
