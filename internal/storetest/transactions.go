package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// waitLimit bounds every wait of the concurrency tests, so that a store that
// deadlocks fails the test instead of hanging it.
const waitLimit = 30 * time.Second

func testWriteRollsBack(t *testing.T, s roster.Store) {
	a := NewAccount(t, s, "Acme", "bigeye")
	var (
		newAccount = &roster.Account{ID: NewID("acct"), Name: "Rolled back", Catalog: a.Catalog, InviteTTL: roster.DefaultInviteTTL, CreatedAt: T0}
		newUser    = &roster.User{ID: NewID("user"), Email: NewID("gone") + "@example.test", Name: "Gone", CreatedAt: T0}
	)
	err := s.Write(t.Context(), a.ID, func(tx roster.Tx) error {
		if err := tx.CreateAccount(newAccount); err != nil {
			return err
		}
		if err := tx.CreateUser(newUser); err != nil {
			return err
		}
		if err := tx.CreateMember(&roster.Member{AccountID: a.ID, UserID: newUser.ID, Role: "User", Status: roster.StatusPending}); err != nil {
			return err
		}
		if err := tx.AppendAudit(&roster.AuditEvent{AccountID: a.ID, At: T0, Action: roster.AuditMemberInvited}); err != nil {
			return err
		}
		if err := tx.EnqueueMessage(&roster.Message{Kind: roster.MessageInvitation, To: newUser.Email, NextAttemptAt: T0, CreatedAt: T0}); err != nil {
			return err
		}
		return errSentinel
	})
	if err != errSentinel {
		t.Fatalf("Write returned %v; want fn's error unchanged", err)
	}
	Read(t, s, func(tx roster.Tx) error {
		_, err := tx.Account(newAccount.ID)
		wantCode(t, "Account after rollback", err, roster.CodeNotFound)
		_, err = tx.User(newUser.ID)
		wantCode(t, "User after rollback", err, roster.CodeNotFound)
		_, err = tx.Member(a.ID, newUser.ID)
		wantCode(t, "Member after rollback", err, roster.CodeNotFound)
		if page, err := tx.ListAudit(a.ID, nil, 10); err != nil || len(page.Items) != 0 {
			t.Errorf("ListAudit after rollback = %+v, %v; want nothing", page, err)
		}
		if msgs, err := tx.Messages("", 10); err != nil || len(msgs) != 0 {
			t.Errorf("Messages after rollback = %v, %v; want nothing", msgs, err)
		}
		return nil
	})

	// A roster.Error from fn also comes back as it is.
	refusal := roster.Errorf(roster.CodeLastOwner, "Assign another user as Owner first.")
	if err := s.Write(t.Context(), a.ID, func(roster.Tx) error { return refusal }); err != refusal {
		t.Errorf("Write returned %v; want fn's *roster.Error unchanged", err)
	}
}

func testWriteUnknownAccount(t *testing.T, s roster.Store) {
	called := false
	err := s.Write(t.Context(), "no-such-account", func(roster.Tx) error {
		called = true
		return nil
	})
	wantCode(t, "Write(unknown account)", err, roster.CodeNotFound)
	if called {
		t.Errorf("Write(unknown account) called fn")
	}
}

// testWriteExcludesWrite checks the account write lock: while one Write on
// an account runs, another Write on the same account does not start, whether
// each took the lock by naming the account or with LockAccount.
func testWriteExcludesWrite(t *testing.T, s roster.Store) {
	named := func(ctx context.Context, account string, fn func(roster.Tx) error) error {
		return s.Write(ctx, account, fn)
	}
	// Another account's lock is taken first, as a Write locking several would.
	other := NewAccount(t, s, "Other", "bizmetry").ID
	locked := func(ctx context.Context, account string, fn func(roster.Tx) error) error {
		return s.Write(ctx, "", func(tx roster.Tx) error {
			if err := tx.LockAccount(other); err != nil {
				return err
			}
			if err := tx.LockAccount(account); err != nil {
				return err
			}
			return fn(tx)
		})
	}
	for _, c := range []struct {
		name          string
		first, second writeOn
	}{
		{"Write then Write", named, named},
		{"LockAccount then Write", locked, named},
		{"Write then LockAccount", named, locked},
	} {
		t.Run(c.name, func(t *testing.T) { testExcludes(t, s, c.first, c.second) })
	}

	t.Run("unknown account", func(t *testing.T) {
		err := s.Write(t.Context(), "", func(tx roster.Tx) error { return tx.LockAccount("no-such-account") })
		wantCode(t, "LockAccount(unknown account)", err, roster.CodeNotFound)
	})
}

// writeOn runs fn in a Write holding the account's lock.
type writeOn func(ctx context.Context, account string, fn func(roster.Tx) error) error

func testExcludes(t *testing.T, s roster.Store, first, second writeOn) {
	a := NewAccount(t, s, "Acme", "bigeye")
	ctx, cancel := context.WithTimeout(t.Context(), 2*waitLimit)
	defer cancel()

	var (
		firstIn      = make(chan struct{})
		releaseFirst = make(chan struct{})
		firstDone    = make(chan error, 1)
		secondIn     = make(chan struct{})
		secondDone   = make(chan error, 1)
		firstEnded   atomic.Bool
		userOfFirst  = &roster.User{ID: NewID("user"), Email: NewID("first") + "@example.test", Name: "Written by the first", CreatedAt: T0}
	)
	// However the test ends, the first Write must be let go: a store's
	// Close waits for it, and a failure would otherwise hang, not fail.
	var release sync.Once
	releaseAll := func() { release.Do(func() { close(releaseFirst) }) }
	defer releaseAll()
	go func() {
		firstDone <- first(ctx, a.ID, func(tx roster.Tx) error {
			if err := tx.CreateUser(userOfFirst); err != nil {
				return err
			}
			close(firstIn)
			<-releaseFirst
			firstEnded.Store(true)
			return nil
		})
	}()
	select {
	case <-firstIn:
	case err := <-firstDone:
		t.Fatalf("first Write ended before its fn blocked: %v", err)
	case <-time.After(waitLimit):
		t.Fatal("first Write did not start")
	}

	go func() {
		secondDone <- second(ctx, a.ID, func(tx roster.Tx) error {
			if !firstEnded.Load() {
				return fmt.Errorf("second Write started while the first was still running")
			}
			close(secondIn)
			// The first one committed before this one began, so its writes show.
			_, err := tx.User(userOfFirst.ID)
			return err
		})
	}()
	// The second Write must stay blocked however long the first runs; a
	// short look is enough to catch a store that does not lock at all.
	select {
	case <-secondIn:
		t.Fatal("second Write on the same account started while the first held the lock")
	case err := <-secondDone:
		t.Fatalf("second Write ended while the first held the lock: %v", err)
	case <-time.After(200 * time.Millisecond):
	}

	releaseAll()
	for i, done := range []chan error{firstDone, secondDone} {
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Write #%d: %v", i+1, err)
			}
		case <-time.After(waitLimit):
			t.Fatalf("Write #%d did not end", i+1)
		}
	}
}

// testConcurrentWrites runs read-then-write transactions on one account from
// many goroutines: each reads how many members there are and creates the
// member whose number that is, so any two that overlapped would collide.
func testConcurrentWrites(t *testing.T, s roster.Store) {
	a := NewAccount(t, s, "Acme", "bigeye")
	const n = 20
	ctx, cancel := context.WithTimeout(t.Context(), 2*waitLimit)
	defer cancel()
	prefix := NewID("seq")
	userRole := RoleOrder(t, a.Catalog, "User")
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			errs <- s.Write(ctx, a.ID, func(tx roster.Tx) error {
				count, err := tx.CountMembers(a.ID, roster.MemberFilter{})
				if err != nil {
					return err
				}
				u := &roster.User{ID: fmt.Sprintf("%s-%02d", prefix, count), Email: fmt.Sprintf("%s-%02d@example.test", prefix, count), Name: "Seq", CreatedAt: T0}
				if err := tx.CreateUser(u); err != nil {
					return err
				}
				return tx.CreateMember(&roster.Member{AccountID: a.ID, UserID: u.ID, Role: "User", RoleOrder: userRole, Status: roster.StatusActive})
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Write: %v", err)
		}
	}
	Read(t, s, func(tx roster.Tx) error {
		count, err := tx.CountMembers(a.ID, roster.MemberFilter{})
		if err != nil || count != n {
			t.Errorf("CountMembers after %d concurrent Writes = %d, %v; want %d", n, count, err, n)
		}
		for i := range n {
			if _, err := tx.Member(a.ID, fmt.Sprintf("%s-%02d", prefix, i)); err != nil {
				t.Errorf("member %d: %v", i, err)
			}
		}
		return nil
	})
}

// testReadSnapshot checks that a Read sees one snapshot: a Write that
// commits while the Read runs does not show in it.
func testReadSnapshot(t *testing.T, s roster.Store) {
	a := NewAccount(t, s, "Acme", "bigeye")
	NewUserMember(t, s, a, "Before", "Owner", roster.StatusActive)
	userRole := RoleOrder(t, a.Catalog, "User")
	ctx, cancel := context.WithTimeout(t.Context(), 2*waitLimit)
	defer cancel()

	err := s.Read(ctx, func(tx roster.Tx) error {
		before, err := tx.CountMembers(a.ID, roster.MemberFilter{})
		if err != nil {
			return err
		}
		// Commit a new member from another goroutine while this Read is open.
		done := make(chan error, 1)
		go func() {
			done <- s.Write(ctx, a.ID, func(w roster.Tx) error {
				u := &roster.User{ID: NewID("user"), Email: NewID("during") + "@example.test", Name: "During", CreatedAt: T0}
				if err := w.CreateUser(u); err != nil {
					return err
				}
				return w.CreateMember(&roster.Member{AccountID: a.ID, UserID: u.ID, Role: "User", RoleOrder: userRole, Status: roster.StatusActive})
			})
		}()
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("concurrent Write: %w", err)
			}
		case <-time.After(waitLimit):
			return fmt.Errorf("a Write could not commit while a Read was open")
		}
		after, err := tx.CountMembers(a.ID, roster.MemberFilter{})
		if err != nil {
			return err
		}
		if after != before {
			t.Errorf("inside one Read, CountMembers went from %d to %d; want one snapshot", before, after)
		}
		page, err := tx.ListMembers(a.ID, roster.MemberFilter{Limit: 10})
		if err != nil {
			return err
		}
		if len(page.Items) != before {
			t.Errorf("inside one Read, ListMembers shows %d members, CountMembers %d", len(page.Items), before)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	Read(t, s, func(tx roster.Tx) error {
		n, err := tx.CountMembers(a.ID, roster.MemberFilter{})
		if err != nil || n != 2 {
			t.Errorf("CountMembers in a Read after the Write = %d, %v; want 2", n, err)
		}
		return nil
	})
}
