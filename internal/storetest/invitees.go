package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rosterhq/roster"
)

func testUsersByEmail(t *testing.T, s roster.Store) {
	ann := NewUser(t, s, "Ann Admin", "Ann@Acme.test")
	bob := NewUser(t, s, "Bob Builder", "bob@acme.test")
	Read(t, s, func(tx roster.Tx) error {
		got, err := tx.UsersByEmail([]string{"ann@ACME.test", "BOB@acme.test", "nobody@acme.test", "bad\x00@acme.test"})
		if err != nil {
			t.Fatalf("UsersByEmail: %v", err)
		}
		want := map[string]*roster.User{"ann@acme.test": ann, "bob@acme.test": bob}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("UsersByEmail mismatch (-want +got):\n%s", diff)
		}
		if got, err := tx.UsersByEmail(nil); err != nil || len(got) != 0 {
			t.Errorf("UsersByEmail(nil) = %v, %v; want none", got, err)
		}
		return nil
	})
}

func testUsersByID(t *testing.T, s roster.Store) {
	ann := NewUser(t, s, "Ann Admin", "Ann@Acme.test")
	bob := NewUser(t, s, "Bob Builder", "bob@acme.test")
	// An id with U+FFFD, which a lookup must not find by a key whose bytes
	// are not UTF-8 (as JSON, say, would turn them into U+FFFD).
	odd := &roster.User{ID: NewID("user") + "\uFFFD", Email: "odd@acme.test", Name: "Odd", CreatedAt: T0}
	Write(t, s, "", func(tx roster.Tx) error { return tx.CreateUser(odd) })
	Read(t, s, func(tx roster.Tx) error {
		got, err := tx.UsersByID([]string{bob.ID, "usr_nobody", ann.ID, "bad\x00id", bob.ID, strings.TrimSuffix(odd.ID, "\uFFFD") + "\xff"})
		if err != nil {
			t.Fatalf("UsersByID: %v", err)
		}
		want := map[string]*roster.User{ann.ID: ann, bob.ID: bob}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("UsersByID mismatch (-want +got):\n%s", diff)
		}
		if got, err := tx.UsersByID(nil); err != nil || len(got) != 0 {
			t.Errorf("UsersByID(nil) = %v, %v; want none", got, err)
		}
		if got, err := tx.UsersByID([]string{odd.ID}); err != nil || got[odd.ID] == nil {
			t.Errorf("UsersByID(%q) = %v, %v; want the user", odd.ID, got, err)
		}
		return nil
	})
}

func testMembersByUser(t *testing.T, s roster.Store) {
	a := NewAccount(t, s, "Acme", "bigeye")
	other := NewAccount(t, s, "Other", "bigeye")
	ann := NewUserMember(t, s, a, "Ann Admin", "Owner", roster.StatusActive)
	bob := NewUserMember(t, s, a, "Bob Builder", "User", roster.StatusPending)
	cat := NewUserMember(t, s, other, "Cat Elsewhere", "User", roster.StatusActive) // not a member of a
	dan := NewUser(t, s, "Dan Nobody", "")                                          // in no account
	Write(t, s, a.ID, func(tx roster.Tx) error {
		if err := tx.PutInvitation(&roster.Invitation{AccountID: a.ID, UserID: bob.UserID, TokenHash: NewID("hash"),
			ExpiresAt: T0.Add(roster.DefaultInviteTTL), SentAt: T0, LastError: "mailbox full"}); err != nil {
			return err
		}
		return tx.SetProfileRole(a.ID, ann.UserID, "prod", "Admin", T0)
	})
	Read(t, s, func(tx roster.Tx) error {
		// Each as Member returns it: the invitation, the profile roles.
		want := map[string]*roster.Member{}
		for _, id := range []string{ann.UserID, bob.UserID} {
			m, err := tx.Member(a.ID, id)
			if err != nil {
				return err
			}
			want[id] = m
		}
		if want[ann.UserID].ProfileRoles["prod"] != "Admin" || want[bob.UserID].InvitationError != "mailbox full" {
			t.Fatalf("Member() = %+v and %+v; want a profile role and an invitation error", want[ann.UserID], want[bob.UserID])
		}
		got, err := tx.MembersByUser(a.ID, []string{bob.UserID, cat.UserID, dan.ID, ann.UserID, "bad\x00id", bob.UserID})
		if err != nil {
			t.Fatalf("MembersByUser: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("MembersByUser mismatch (-want +got):\n%s", diff)
		}
		for _, users := range [][]string{nil, {dan.ID}} {
			if got, err := tx.MembersByUser(a.ID, users); err != nil || len(got) != 0 {
				t.Errorf("MembersByUser(%q) = %v, %v; want none", users, got, err)
			}
		}
		if got, err := tx.MembersByUser("no-such-account", []string{ann.UserID}); err != nil || len(got) != 0 {
			t.Errorf("MembersByUser of another account = %v, %v; want none", got, err)
		}
		return nil
	})
}

// Invitee makes what inviting u to a writes, as the app does; n spaces the
// times of several.
func Invitee(t testing.TB, a *roster.Account, u *roster.User, newUser bool, inviter string, n int) roster.Invitee {
	at := T0.Add(time.Duration(n) * time.Second)
	return roster.Invitee{
		User:    u,
		NewUser: newUser,
		Member: &roster.Member{
			AccountID: a.ID, UserID: u.ID, Email: u.Email, Name: u.Name, Role: "User",
			RoleOrder: RoleOrder(t, a.Catalog, "User"), Status: roster.StatusPending, InvitedAt: &at, InvitedBy: inviter,
		},
		Invitation: &roster.Invitation{AccountID: a.ID, UserID: u.ID, TokenHash: NewID("hash"), ExpiresAt: at.Add(roster.DefaultInviteTTL), SentAt: at},
		Event: &roster.AuditEvent{AccountID: a.ID, At: at, Actor: inviter, Action: roster.AuditMemberInvited, Target: u.ID,
			After: map[string]string{"role": "User", "email": u.Email}, IP: "192.0.2.1"},
		Message: &roster.Message{Kind: roster.MessageInvitation, To: u.Email, AccountID: a.ID, UserID: u.ID,
			Data: map[string]string{"name": u.Name}, Link: "https://roster.test/activate?token=" + u.ID, NextAttemptAt: at, CreatedAt: at},
	}
}

func testAddInvitees(t *testing.T, s roster.Store) {
	ctx := context.Background()
	a := NewAccount(t, s, "Acme", "bigeye")
	owner := NewUserMember(t, s, a, "Olive Owner", "Owner", roster.StatusActive)
	known := NewUser(t, s, "Kim Known", "kim@acme.test") // in Roster, not in the account
	fresh := &roster.User{ID: NewID("user"), Email: "Nia@Acme.test", Name: "Nia New", CreatedAt: T0}
	Write(t, s, "", func(tx roster.Tx) error { return tx.SetLastLogin(known.ID, T0) })
	batch := []roster.Invitee{Invitee(t, a, known, false, owner.UserID, 1), Invitee(t, a, fresh, true, owner.UserID, 2)}
	// Someone already in Roster shows, while pending, the name the inviter
	// gave and no login (Member.Shown), not their own.
	batch[0].Member.Name = "Kay Given"
	v0, err := s.AccountVersion(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	Write(t, s, a.ID, func(tx roster.Tx) error { return tx.AddInvitees(batch) })

	if v, err := s.AccountVersion(ctx, a.ID); err != nil || v <= v0 {
		t.Errorf("AccountVersion after AddInvitees = %d, %v; want more than %d", v, err, v0)
	}
	Read(t, s, func(tx roster.Tx) error {
		u, err := tx.UserByEmail("nia@acme.test")
		if err != nil || u.ID != fresh.ID || u.Name != "Nia New" {
			t.Errorf("UserByEmail(new user) = %+v, %v", u, err)
		}
		for _, in := range batch {
			want := *in.Member
			want.InvitationExpiresAt = &in.Invitation.ExpiresAt
			got, err := tx.Member(a.ID, in.User.ID)
			if err != nil {
				t.Fatalf("Member(%s): %v", in.User.Name, err)
			}
			if diff := cmp.Diff(&want, got, memberOpts); diff != "" {
				t.Errorf("Member(%s) mismatch (-want +got):\n%s", in.User.Name, diff)
			}
			inv, err := tx.InvitationByToken(in.Invitation.TokenHash)
			if err != nil || inv.UserID != in.User.ID {
				t.Errorf("InvitationByToken(%s) = %+v, %v", in.User.Name, inv, err)
			}
		}
		for q, want := range map[string][]string{"given": {known.ID}, "known": nil} {
			page, err := tx.ListMembers(a.ID, roster.MemberFilter{Query: q, Limit: 10})
			if err != nil {
				return err
			}
			var got []string
			for _, m := range page.Items {
				got = append(got, m.UserID)
			}
			if !cmp.Equal(got, want, cmpopts.EquateEmpty()) {
				t.Errorf("search %q after AddInvitees = %v, want %v", q, got, want)
			}
		}
		// Audit events and messages in the batch's order.
		page, err := tx.ListAudit(a.ID, nil, 2)
		if err != nil {
			return err
		}
		var events []*roster.AuditEvent
		for _, e := range page.Items {
			events = append([]*roster.AuditEvent{e}, events...)
		}
		wantEvents := []*roster.AuditEvent{batch[0].Event, batch[1].Event}
		if diff := cmp.Diff(wantEvents, events, cmpopts.IgnoreFields(roster.AuditEvent{}, "ID")); diff != "" {
			t.Errorf("audit events mismatch (-want +got):\n%s", diff)
		}
		msgs, err := tx.Messages(roster.MessagePending, roster.MaxPageSize)
		if err != nil {
			return err
		}
		var got []*roster.Message // oldest first
		for _, m := range msgs {
			if m.AccountID == a.ID {
				got = append([]*roster.Message{m}, got...)
			}
		}
		if len(got) != 2 || got[0].UserID != known.ID || got[1].UserID != fresh.ID {
			t.Fatalf("pending messages %+v, want Kim's then Nia's", got)
		}
		want := *batch[1].Message
		want.Status = roster.MessagePending
		if diff := cmp.Diff(&want, got[1], cmpopts.IgnoreFields(roster.Message{}, "ID")); diff != "" {
			t.Errorf("message mismatch (-want +got):\n%s", diff)
		}
		// The new member's name is searchable.
		found, err := tx.ListMembers(a.ID, roster.MemberFilter{Query: "nia", Limit: 10})
		if err != nil {
			return err
		}
		if len(found.Items) != 1 || found.Items[0].UserID != fresh.ID {
			t.Errorf(`search "nia" found %v, want Nia`, ids(found.Items))
		}
		return nil
	})

	t.Run("any text comes back as written", func(t *testing.T) {
		// What a bulk write must carry through unchanged: the characters
		// that separate fields and rows, escapes, quotes, and more.
		odd := "Zoë \\N O'Brien\t\"Quoted\"\nline\r\\back\\slash\\ 🙂"
		u := &roster.User{ID: NewID("user"), Email: "zoë.o'brien\\x@acme.test", Name: odd, CreatedAt: T0}
		in := Invitee(t, a, u, true, owner.UserID, 6)
		in.Invitation.LastError = "mailbox\tfull\\n"
		in.Event.After = map[string]string{"name": odd, `"\`: "\\N"}
		in.Message.Data = map[string]string{"name": odd}
		in.Message.Link = `https://roster.test/activate?token=a\b`
		Write(t, s, a.ID, func(tx roster.Tx) error { return tx.AddInvitees([]roster.Invitee{in}) })
		Read(t, s, func(tx roster.Tx) error {
			got, err := tx.User(u.ID)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(u, got); diff != "" {
				t.Errorf("User mismatch (-want +got):\n%s", diff)
			}
			m, err := tx.Member(a.ID, u.ID)
			if err != nil {
				return err
			}
			if m.Name != odd || m.Email != u.Email || m.InvitationError != in.Invitation.LastError {
				t.Errorf("Member = name %q, email %q, invitation error %q; want %q, %q, %q",
					m.Name, m.Email, m.InvitationError, odd, u.Email, in.Invitation.LastError)
			}
			page, err := tx.ListAudit(a.ID, nil, 1)
			if err != nil {
				return err
			}
			if diff := cmp.Diff([]*roster.AuditEvent{in.Event}, page.Items, cmpopts.IgnoreFields(roster.AuditEvent{}, "ID")); diff != "" {
				t.Errorf("audit event mismatch (-want +got):\n%s", diff)
			}
			msgs, err := tx.Messages(roster.MessagePending, roster.MaxPageSize)
			if err != nil {
				return err
			}
			var msg *roster.Message
			for _, m := range msgs {
				if m.UserID == u.ID {
					msg = m
				}
			}
			if msg == nil || msg.Data["name"] != odd || msg.Link != in.Message.Link {
				t.Errorf("message = %+v; want name %q, link %q", msg, odd, in.Message.Link)
			}
			for _, q := range []string{"zoë", "o'brien", `"quoted"`, "slash"} {
				found, err := tx.ListMembers(a.ID, roster.MemberFilter{Query: q, Limit: 10})
				if err != nil {
					return err
				}
				if len(found.Items) != 1 || found.Items[0].UserID != u.ID {
					t.Errorf("search %q found %v, want the member", q, ids(found.Items))
				}
			}
			return nil
		})
	})

	t.Run("conflict writes nothing", func(t *testing.T) {
		other := &roster.User{ID: NewID("user"), Email: "omar@acme.test", Name: "Omar Other", CreatedAt: T0}
		again := []roster.Invitee{Invitee(t, a, other, true, owner.UserID, 3), Invitee(t, a, known, false, owner.UserID, 4)}
		wantWriteCode(t, s, a.ID, "AddInvitees(an existing member)", roster.CodeConflict, func(tx roster.Tx) error {
			return tx.AddInvitees(again)
		})
		dup := &roster.User{ID: NewID("user"), Email: "NIA@acme.test", Name: "Nia Again", CreatedAt: T0}
		wantWriteCode(t, s, a.ID, "AddInvitees(an existing email as a new user)", roster.CodeConflict, func(tx roster.Tx) error {
			return tx.AddInvitees([]roster.Invitee{Invitee(t, a, dup, true, owner.UserID, 5)})
		})
		Read(t, s, func(tx roster.Tx) error {
			_, err := tx.UserByEmail("omar@acme.test")
			wantCode(t, "UserByEmail(user of a failed batch)", err, roster.CodeNotFound)
			return nil
		})
	})
}
