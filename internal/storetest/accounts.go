package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/policy"
)

func testAccounts(t *testing.T, s roster.Store) {
	Read(t, s, func(tx roster.Tx) error {
		n, err := tx.CountAccounts()
		if err != nil || n != 0 {
			t.Errorf("CountAccounts() on an empty store = %d, %v; want 0, nil", n, err)
		}
		return nil
	})

	for _, name := range []string{"bizmetry", "bigeye"} {
		t.Run(name, func(t *testing.T) {
			want := &roster.Account{
				ID:        NewID("acct"),
				Name:      "Acme " + name,
				Catalog:   Catalog(t, name),
				InviteTTL: 3*24*time.Hour + 7*time.Second,
				CreatedAt: T0.Add(time.Hour),
			}
			Write(t, s, "", func(tx roster.Tx) error { return tx.CreateAccount(want) })

			var got *roster.Account
			Read(t, s, func(tx roster.Tx) error {
				var err error
				got, err = tx.Account(want.ID)
				return err
			})
			opts := cmp.Options{cmpopts.IgnoreUnexported(policy.Catalog{}, policy.Role{}), cmpopts.EquateEmpty()}
			if diff := cmp.Diff(want, got, opts); diff != "" {
				t.Errorf("Account(%q) mismatch (-want +got):\n%s", want.ID, diff)
			}
			// The catalog read back must decide exactly like the original.
			for _, r := range want.Catalog.Roles {
				for _, p := range want.Catalog.AllPermissions() {
					if g, w := got.Catalog.Grants(r.Name, p), want.Catalog.Grants(r.Name, p); g != w {
						t.Errorf("stored catalog: Grants(%q, %q) = %v, want %v", r.Name, p, g, w)
					}
				}
			}
			if got.Catalog.Owner != want.Catalog.Owner || got.Catalog.Fallback != want.Catalog.Fallback {
				t.Errorf("stored catalog: owner %q, fallback %q; want %q, %q",
					got.Catalog.Owner, got.Catalog.Fallback, want.Catalog.Owner, want.Catalog.Fallback)
			}

			dup := *want
			dup.Name = "Another"
			wantWriteCode(t, s, "", "CreateAccount with a taken id", roster.CodeConflict,
				func(tx roster.Tx) error { return tx.CreateAccount(&dup) })
		})
	}

	Read(t, s, func(tx roster.Tx) error {
		n, err := tx.CountAccounts()
		if err != nil || n != 2 {
			t.Errorf("CountAccounts() = %d, %v; want 2, nil", n, err)
		}
		_, err = tx.Account("no-such-account")
		wantCode(t, "Account(unknown)", err, roster.CodeNotFound)
		return nil
	})
}

// testUpdateAccount checks that name and invitation lifetime change and the
// catalog does not.
func testUpdateAccount(t *testing.T, s roster.Store) {
	a := NewAccount(t, s, "Acme", "bigeye")
	Write(t, s, a.ID, func(tx roster.Tx) error {
		return tx.UpdateAccount(&roster.Account{ID: a.ID, Name: "Acme Inc", InviteTTL: 72 * time.Hour})
	})
	Read(t, s, func(tx roster.Tx) error {
		got, err := tx.Account(a.ID)
		if err != nil {
			t.Fatalf("Account: %v", err)
		}
		if got.Name != "Acme Inc" || got.InviteTTL != 72*time.Hour || got.Catalog.Name != "bigeye" || !got.CreatedAt.Equal(a.CreatedAt) {
			t.Errorf("after UpdateAccount: %+v", got)
		}
		return nil
	})
	wantWriteCode(t, s, "", "UpdateAccount of a missing account", roster.CodeNotFound, func(tx roster.Tx) error {
		return tx.UpdateAccount(&roster.Account{ID: NewID("acc"), Name: "X", InviteTTL: time.Hour})
	})
}

func testUsers(t *testing.T, s roster.Store) {
	last := T0.Add(-time.Hour)
	want := &roster.User{
		ID:           NewID("user"),
		Email:        "Dana.Dev@Acme.Test",
		Name:         "Dana Dev",
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
		LastLoginAt:  &last,
		CreatedAt:    T0,
	}
	Write(t, s, "", func(tx roster.Tx) error { return tx.CreateUser(want) })

	Read(t, s, func(tx roster.Tx) error {
		got, err := tx.User(want.ID)
		if err != nil {
			t.Fatalf("User: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("User mismatch (-want +got):\n%s", diff)
		}
		for _, email := range []string{"dana.dev@acme.test", "DANA.DEV@ACME.TEST", "Dana.Dev@Acme.Test"} {
			got, err := tx.UserByEmail(email)
			if err != nil {
				t.Errorf("UserByEmail(%q): %v", email, err)
				continue
			}
			if got.ID != want.ID || got.Email != want.Email {
				t.Errorf("UserByEmail(%q) = %s <%s>; want %s <%s> (the email as first written)", email, got.ID, got.Email, want.ID, want.Email)
			}
		}
		_, err = tx.UserByEmail("dana@acme.test")
		wantCode(t, "UserByEmail(unknown)", err, roster.CodeNotFound)
		_, err = tx.User("no-such-user")
		wantCode(t, "User(unknown)", err, roster.CodeNotFound)
		return nil
	})

	t.Run("conflicts", func(t *testing.T) {
		for _, u := range []*roster.User{
			{ID: want.ID, Email: "other@acme.test", Name: "Other", CreatedAt: T0},
			{ID: NewID("user"), Email: "DANA.dev@acme.TEST", Name: "Other", CreatedAt: T0},
		} {
			wantWriteCode(t, s, "", "CreateUser("+u.ID+", "+u.Email+")", roster.CodeConflict,
				func(tx roster.Tx) error { return tx.CreateUser(u) })
		}
	})

	t.Run("setters", func(t *testing.T) {
		login := T0.Add(2 * time.Hour)
		Write(t, s, "", func(tx roster.Tx) error {
			if err := tx.SetUserName(want.ID, "Dana Q. Dev"); err != nil {
				return err
			}
			if err := tx.SetUserPassword(want.ID, want.PasswordHash, "new-hash"); err != nil {
				return err
			}
			return tx.SetLastLogin(want.ID, login)
		})
		Read(t, s, func(tx roster.Tx) error {
			got, err := tx.User(want.ID)
			if err != nil {
				t.Fatalf("User: %v", err)
			}
			w := *want
			w.Name, w.PasswordHash, w.LastLoginAt = "Dana Q. Dev", "new-hash", &login
			if diff := cmp.Diff(&w, got); diff != "" {
				t.Errorf("User after the setters mismatch (-want +got):\n%s", diff)
			}
			return nil
		})
		wantWriteCode(t, s, "", "SetUserName(unknown)", roster.CodeNotFound,
			func(tx roster.Tx) error { return tx.SetUserName("no-such-user", "X") })
		wantWriteCode(t, s, "", "SetUserPassword(unknown)", roster.CodeNotFound,
			func(tx roster.Tx) error { return tx.SetUserPassword("no-such-user", "", "x") })
		// Only over the hash the caller checked: a second setter loses.
		wantWriteCode(t, s, "", "SetUserPassword over a stale hash", roster.CodeConflict,
			func(tx roster.Tx) error { return tx.SetUserPassword(want.ID, want.PasswordHash, "other-hash") })
		Write(t, s, "", func(tx roster.Tx) error { return tx.SetUserPassword(want.ID, "new-hash", "newer-hash") })
		Read(t, s, func(tx roster.Tx) error {
			if got, _ := tx.User(want.ID); got.PasswordHash != "newer-hash" {
				t.Errorf("password hash = %q, want newer-hash", got.PasswordHash)
			}
			return nil
		})
		wantWriteCode(t, s, "", "SetLastLogin(unknown)", roster.CodeNotFound,
			func(tx roster.Tx) error { return tx.SetLastLogin("no-such-user", login) })
	})

	t.Run("no password, never logged in", func(t *testing.T) {
		u := NewUser(t, s, "Fresh", "")
		Read(t, s, func(tx roster.Tx) error {
			got, err := tx.User(u.ID)
			if err != nil {
				t.Fatalf("User: %v", err)
			}
			if got.PasswordHash != "" || got.Registered() || got.LastLoginAt != nil {
				t.Errorf("User = %+v, want no password and LastLoginAt nil", got)
			}
			return nil
		})
	})
}
