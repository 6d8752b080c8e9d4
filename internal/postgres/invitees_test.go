package postgres

import (
	"context"
	"fmt"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/storetest"
)

// TestAddInviteesRacedUser: a bulk invitation looked a person up and found
// no user; before it writes, another account's transaction (which the
// account lock does not hold back) creates that user. The write conflicts
// on the email, and the transaction runs again, this time finding the user.
func TestAddInviteesRacedUser(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	a := storetest.NewAccount(t, s, "Acme", "bigeye")
	other := storetest.NewAccount(t, s, "Other", "bigeye")
	attempts := 0
	err := s.Write(ctx, a.ID, func(tx roster.Tx) error {
		attempts++
		users, err := tx.UsersByEmail([]string{"raced@acme.test"})
		if err != nil {
			return err
		}
		u, found := users["raced@acme.test"]
		if !found {
			u = &roster.User{ID: storetest.NewID("user"), Email: "raced@acme.test", Name: "Rae Raced", CreatedAt: storetest.T0}
		}
		if attempts == 1 {
			if found {
				t.Fatal("the user exists before the race")
			}
			storetest.NewMember(t, s, other, storetest.NewUser(t, s, "Rae Elsewhere", "Raced@Acme.test"), "User", roster.StatusActive)
		}
		inv := storetest.Invitee(t, a, u, !found, "", 0)
		return tx.AddInvitees([]roster.Invitee{inv})
	})
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if attempts != 2 {
		t.Errorf("the transaction ran %d times, want 2", attempts)
	}
	storetest.Read(t, s, func(tx roster.Tx) error {
		u, err := tx.UserByEmail("raced@acme.test")
		if err != nil {
			return err
		}
		m, err := tx.Member(a.ID, u.ID)
		if err != nil || m.Name != "Rae Elsewhere" || m.Status != roster.StatusPending {
			t.Errorf("Member = %+v, %v; want the raced user, pending", m, err)
		}
		return nil
	})
}

// TestAddInviteesCopiesTheCurrentName: an invitation looked a person up,
// then the person renamed themselves (SetUserName takes no account lock)
// before the invitation wrote the member. The member's copy of the name,
// its sort key and its words are the new name's, not the one the
// invitation read.
func TestAddInviteesCopiesTheCurrentName(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	a := storetest.NewAccount(t, s, "Acme", "bigeye")
	u := storetest.NewUser(t, s, "Old Name", "renamed@acme.test")
	err := s.Write(ctx, a.ID, func(tx roster.Tx) error {
		users, err := tx.UsersByEmail([]string{u.Email})
		if err != nil || users[u.Email] == nil {
			return fmt.Errorf("look-up: %v", err)
		}
		read := users[u.Email]
		storetest.Write(t, s, "", func(tx roster.Tx) error { return tx.SetUserName(u.ID, "New Name") })
		return tx.AddInvitees([]roster.Invitee{storetest.Invitee(t, a, read, false, "", 0)})
	})
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	storetest.Read(t, s, func(tx roster.Tx) error {
		m, err := tx.Member(a.ID, u.ID)
		if err != nil || m.Name != "New Name" {
			t.Errorf("Member = %+v, %v; want the name New Name", m, err)
		}
		for q, want := range map[string]int{"new": 1, "old": 0} {
			page, err := tx.ListMembers(a.ID, roster.MemberFilter{Query: q, Limit: 10})
			if err != nil || len(page.Items) != want {
				t.Errorf("search %q: %v, %v; want %d members", q, page, err, want)
			}
		}
		return nil
	})
}
