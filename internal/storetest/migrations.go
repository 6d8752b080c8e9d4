package storetest

import (
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// PendingCopiesMigration checks the migration after which a pending member
// shows only what the inviting account gave (DECISIONS 45), on a store
// whose newest migration is that one. oldCopy makes a pending membership
// what the code before it wrote: the user's last login (and name, which
// the fixtures already copy); redo takes the migration back one version
// and applies it again.
func PendingCopiesMigration(t *testing.T, s roster.Store, oldCopy func(account, user string, login time.Time), redo func()) {
	t.Helper()
	a := NewAccount(t, s, "Acme", "bigeye")
	login := T0.Add(time.Hour)
	registered := NewUser(t, s, "Rita Registered", "rr@acme.test")
	Write(t, s, "", func(tx roster.Tx) error {
		if err := tx.SetUserPassword(registered.ID, "", "hash"); err != nil {
			return err
		}
		return tx.SetLastLogin(registered.ID, login)
	})
	invited := NewUser(t, s, "Given Name", "gil@acme.test")
	NewMember(t, s, a, registered, "User", roster.StatusPending)
	NewMember(t, s, a, invited, "User", roster.StatusPending)
	oldCopy(a.ID, registered.ID, login)
	if got := member(t, s, a.ID, registered.ID); got.LastLoginAt == nil || got.Name != "Rita Registered" {
		t.Fatalf("the old copy was not made: %+v", got)
	}

	redo()

	if got := member(t, s, a.ID, registered.ID); got.Name != "" || got.LastLoginAt != nil {
		t.Errorf("a registered person's pending membership after the migration: name %q, last login %v; want neither", got.Name, got.LastLoginAt)
	}
	if got := member(t, s, a.ID, invited.ID); got.Name != "Given Name" {
		t.Errorf("an unregistered person's pending membership after the migration: name %q, want the inviter's %q", got.Name, "Given Name")
	}
	Read(t, s, func(tx roster.Tx) error {
		for q, want := range map[string]int{"rita": 0, "given": 1} {
			page, err := tx.ListMembers(a.ID, roster.MemberFilter{Query: q, Limit: 10})
			if err != nil {
				return err
			}
			if len(page.Items) != want {
				t.Errorf("search %q after the migration: %d members, want %d", q, len(page.Items), want)
			}
		}
		return nil
	})
}
