package postgres

import (
	"context"
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

// TestAddInviteesRacedAgainAndAgain: while other accounts keep inviting
// the same new people (bulks drawn from one list), each run of a bulk can
// meet another user made meanwhile; it goes on running, each run finding
// what the runs before met, rather than refusing the whole bulk after three.
func TestAddInviteesRacedAgainAndAgain(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	a := storetest.NewAccount(t, s, "Acme", "bigeye")
	other := storetest.NewAccount(t, s, "Other", "bigeye")
	emails := []string{"r1@acme.test", "r2@acme.test", "r3@acme.test", "r4@acme.test", "r5@acme.test"}
	attempts := 0
	err := s.Write(ctx, a.ID, func(tx roster.Tx) error {
		attempts++
		users, err := tx.UsersByEmail(emails)
		if err != nil {
			return err
		}
		// Another account invites one more of them before this run writes.
		if attempts <= len(emails) {
			storetest.NewMember(t, s, other, storetest.NewUser(t, s, "Elsewhere", emails[attempts-1]), "User", roster.StatusActive)
		}
		var batch []roster.Invitee
		for _, e := range emails {
			u, found := users[e]
			if !found {
				u = &roster.User{ID: storetest.NewID("user"), Email: e, Name: "New", CreatedAt: storetest.T0}
			}
			batch = append(batch, storetest.Invitee(t, a, u, !found, "", 0))
		}
		return tx.AddInvitees(batch)
	})
	if err != nil {
		t.Fatalf("Write after %d runs: %v", attempts, err)
	}
	if attempts != len(emails)+1 {
		t.Errorf("the transaction ran %d times, want %d", attempts, len(emails)+1)
	}
}

// TestShowUserCopiesTheCurrentName: an acceptance read the person, then
// the person renamed themselves (SetUserName takes no account lock, and
// skips the membership, still pending) before the acceptance made the
// member show them. The member's name, its sort key and its words are the
// new name's, not the one the acceptance read.
func TestShowUserCopiesTheCurrentName(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	a := storetest.NewAccount(t, s, "Acme", "bigeye")
	u := storetest.NewUser(t, s, "Old Name", "renamed@acme.test")
	m := storetest.NewMember(t, s, a, u, "User", roster.StatusPending)
	storetest.Write(t, s, a.ID, func(tx roster.Tx) error { return tx.SetMemberName(a.ID, u.ID, "Given Name") })
	err := s.Write(ctx, a.ID, func(tx roster.Tx) error {
		if _, err := tx.User(u.ID); err != nil {
			return err
		}
		storetest.Write(t, s, "", func(tx roster.Tx) error { return tx.SetUserName(u.ID, "New Name") })
		m.Status = roster.StatusActive
		if err := tx.UpdateMember(m); err != nil {
			return err
		}
		return tx.ShowUser(a.ID, u.ID)
	})
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	storetest.Read(t, s, func(tx roster.Tx) error {
		m, err := tx.Member(a.ID, u.ID)
		if err != nil || m.Name != "New Name" {
			t.Errorf("Member = %+v, %v; want the name New Name", m, err)
		}
		for q, want := range map[string]int{"new": 1, "old": 0, "given": 0} {
			page, err := tx.ListMembers(a.ID, roster.MemberFilter{Query: q, Limit: 10})
			if err != nil || len(page.Items) != want {
				t.Errorf("search %q: %v, %v; want %d members", q, page, err, want)
			}
		}
		return nil
	})
}
