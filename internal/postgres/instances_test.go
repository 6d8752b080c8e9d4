package postgres

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/storetest"
)

// The tests here run two stores on one database, as two instances of
// roster serve do, and check that what must hold across instances does.

// twoStores opens two stores on one new database.
func twoStores(t *testing.T) (*Store, *Store) {
	t.Helper()
	url := pg.NewDatabase(t)
	var stores [2]*Store
	for i := range stores {
		s, err := Open(context.Background(), url)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	return stores[0], stores[1]
}

// TestAccountLockAcrossInstances checks that a Write on an account through
// one store excludes a Write on the same account through another, and
// leaves Writes on other accounts and without an account alone.
func TestAccountLockAcrossInstances(t *testing.T) {
	s1, s2 := twoStores(t)
	a := storetest.NewAccount(t, s1, "Acme", "bigeye")
	b := storetest.NewAccount(t, s1, "Beta", "bigeye")
	u := storetest.NewUser(t, s1, "Tina Token", "")
	storetest.NewMember(t, s1, a, u, "User", roster.StatusActive)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	holding, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	// Released on every way out, so that a failing test does not leave the
	// first Write holding a connection that Close would wait for.
	releaseFirst := sync.OnceFunc(func() { close(release) })
	defer releaseFirst()
	go func() {
		done <- s1.Write(ctx, a.ID, func(roster.Tx) error {
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding

	// Not blocked: another account, no account (even one that creates a
	// row referring to the locked account), and reads.
	quick, stop := context.WithTimeout(ctx, 5*time.Second)
	defer stop()
	if err := s2.Write(quick, b.ID, func(roster.Tx) error { return nil }); err != nil {
		t.Errorf("Write on another account while one is locked: %v", err)
	}
	if err := s2.Write(quick, "", func(tx roster.Tx) error {
		return tx.CreateAPIToken(&roster.APIToken{ID: storetest.NewID("tok"), UserID: u.ID, AccountID: a.ID,
			Name: "ci", Hash: storetest.NewID("hash"), CreatedAt: storetest.T0})
	}); err != nil {
		t.Errorf("Write without an account, referring to the locked one: %v", err)
	}
	if err := s2.Read(quick, func(tx roster.Tx) error { _, err := tx.Account(a.ID); return err }); err != nil {
		t.Errorf("Read while the account is locked: %v", err)
	}

	var entered atomic.Bool
	second := make(chan error, 1)
	go func() {
		second <- s2.Write(ctx, a.ID, func(roster.Tx) error {
			entered.Store(true)
			return nil
		})
	}()
	time.Sleep(300 * time.Millisecond)
	if entered.Load() {
		t.Fatal("a Write through the second store entered the account while the first held it")
	}
	releaseFirst()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil || !entered.Load() {
		t.Errorf("second Write after the first ended: %v, entered %v", err, entered.Load())
	}
}

// TestLastOwnerAcrossInstances runs the read-count-then-demote pattern of
// the use cases from two stores at once: two owners each demoting the other
// when at least two owners are left. The account lock makes one of them see
// the other's demotion, so one owner always remains.
func TestLastOwnerAcrossInstances(t *testing.T) {
	s1, s2 := twoStores(t)
	a := storetest.NewAccount(t, s1, "Acme", "bigeye")
	adminOrder := storetest.RoleOrder(t, a.Catalog, "Admin")
	ownerOrder := storetest.RoleOrder(t, a.Catalog, "Owner")
	ctx := context.Background()
	for round := range 20 {
		o1 := storetest.NewUserMember(t, s1, a, fmt.Sprintf("One %d", round), "Owner", roster.StatusActive)
		o2 := storetest.NewUserMember(t, s1, a, fmt.Sprintf("Two %d", round), "Owner", roster.StatusActive)
		demote := func(s *Store, target *roster.Member) error {
			return s.Write(ctx, a.ID, func(tx roster.Tx) error {
				n, err := tx.CountMembers(a.ID, roster.MemberFilter{Role: "Owner", RoleOrder: ownerOrder, Status: roster.StatusActive})
				if err != nil {
					return err
				}
				if n < 2 {
					return roster.Errorf(roster.CodeLastOwner, "Assign another user as Owner first.")
				}
				m, err := tx.Member(a.ID, target.UserID)
				if err != nil {
					return err
				}
				m.Role, m.RoleOrder = "Admin", adminOrder
				return tx.UpdateMember(m)
			})
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Go(func() { errs[0] = demote(s1, o2) })
		wg.Go(func() { errs[1] = demote(s2, o1) })
		wg.Wait()
		for _, err := range errs {
			if err != nil && roster.ErrorCode(err) != roster.CodeLastOwner {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		storetest.Read(t, s2, func(tx roster.Tx) error {
			n, err := tx.CountMembers(a.ID, roster.MemberFilter{Role: "Owner", RoleOrder: ownerOrder, Status: roster.StatusActive})
			if err != nil {
				return err
			}
			if n != 1 {
				t.Fatalf("round %d: %d active owners, want 1", round, n)
			}
			return nil
		})
		// Both leave the owner role for the next round's pair.
		storetest.Write(t, s1, a.ID, func(tx roster.Tx) error {
			for _, m := range []*roster.Member{o1, o2} {
				m.Role, m.RoleOrder = "Admin", adminOrder
				if err := tx.UpdateMember(m); err != nil {
					return err
				}
			}
			return nil
		})
	}
}

// TestTakeAttemptAcrossInstances takes from one bucket from many
// goroutines on two stores at the same instant: exactly burst takes succeed.
func TestTakeAttemptAcrossInstances(t *testing.T) {
	s1, s2 := twoStores(t)
	const burst, tries = 5, 24
	var granted atomic.Int32
	var wg sync.WaitGroup
	for i := range tries {
		s := s1
		if i%2 == 1 {
			s = s2
		}
		wg.Go(func() {
			storetest.Write(t, s, "", func(tx roster.Tx) error {
				ok, _, err := tx.TakeAttempt("login:someone", burst, time.Hour, storetest.T0)
				if ok {
					granted.Add(1)
				}
				return err
			})
		})
	}
	wg.Wait()
	if got := granted.Load(); got != burst {
		t.Errorf("%d of %d concurrent takes granted from a bucket of %d", got, tries, burst)
	}
}

// TestClaimMessagesAcrossInstances claims a queue from many goroutines on
// two stores at once: every message is claimed exactly once.
func TestClaimMessagesAcrossInstances(t *testing.T) {
	s1, s2 := twoStores(t)
	const n = 60
	storetest.Write(t, s1, "", func(tx roster.Tx) error {
		for i := range n {
			if err := tx.EnqueueMessage(&roster.Message{Kind: roster.MessageOwnerNotice, To: fmt.Sprintf("p%d@example.test", i),
				NextAttemptAt: storetest.T0, CreatedAt: storetest.T0}); err != nil {
				return err
			}
		}
		return nil
	})
	var mu sync.Mutex
	claims := map[int64]int{}
	var wg sync.WaitGroup
	for i := range 8 {
		s := s1
		if i%2 == 1 {
			s = s2
		}
		wg.Go(func() {
			for {
				var got []*roster.Message
				storetest.Write(t, s, "", func(tx roster.Tx) error {
					var err error
					got, err = tx.ClaimMessages(storetest.T0, time.Hour, 3)
					return err
				})
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, m := range got {
					claims[m.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claims) != n {
		t.Errorf("%d messages claimed, want %d", len(claims), n)
	}
	for id, c := range claims {
		if c != 1 {
			t.Errorf("message %d claimed %d times", id, c)
		}
	}
}

// TestKeptPlansAcrossInstances checks that a search kept by one instance
// is planned again after another instance changed what its plan depends
// on: a new member (alone, and after a role change in the same
// transaction, which has moved the account's version already), a user's
// rename, a pending member's name given again, each adding a word that
// the search starts and its kept plan does not read. A plan kept past such
// a change would miss the member. A member removed, which does not move
// the list version, is not found by the kept plan. Before every other
// change the search is asked twice, so that its plan is kept and found to
// hold, and the search after the change reads the version first
// (keptRows); before the others it is not asked again, so that the search
// after the change is that of an account seen changing, which sends its
// planning gated at the kept version with its page (keptPlan.moved).
func TestKeptPlansAcrossInstances(t *testing.T) {
	s1, s2 := twoStores(t)
	a := storetest.NewAccount(t, s1, "Acme", "bizmetry")
	bo := storetest.NewUserMember(t, s1, a, "Bo Oriel", "Developer", roster.StatusActive)
	storetest.NewUserMember(t, s1, a, "Bo Orion", "Developer", roster.StatusActive)
	lee := storetest.NewUserMember(t, s1, a, "Lee Lane", "Developer", roster.StatusActive)
	pat := storetest.NewUserMember(t, s1, a, "Pat Pending", "Developer", roster.StatusPending)
	names := func(query string) []string {
		t.Helper()
		var out []string
		storetest.Read(t, s1, func(tx roster.Tx) error {
			page, err := tx.ListMembers(a.ID, roster.MemberFilter{Query: query, Limit: 10})
			if err != nil {
				return err
			}
			for _, m := range page.Items {
				out = append(out, m.Name)
			}
			return nil
		})
		return out
	}
	add := func(tx roster.Tx, name, email string) error { return addDeveloper(t, tx, a, name, email) }
	for i, step := range []struct {
		what   string
		change func(tx roster.Tx) error
		want   []string
	}{
		{"a new member", func(tx roster.Tx) error { return add(tx, "Cy Orla", "cy@example.test") },
			[]string{"Bo Oriel", "Bo Orion", "Cy Orla"}},
		{"a user renamed", func(tx roster.Tx) error { return tx.SetUserName(lee.UserID, "Lee Oriana") },
			[]string{"Bo Oriel", "Bo Orion", "Cy Orla", "Lee Oriana"}},
		{"a pending member's name given again", func(tx roster.Tx) error { return tx.SetMemberName(a.ID, pat.UserID, "Pat Orwell") },
			[]string{"Bo Oriel", "Bo Orion", "Cy Orla", "Lee Oriana", "Pat Orwell"}},
		{"a role changed, then a new member", func(tx roster.Tx) error {
			bo.Role, bo.RoleOrder = "SRE", storetest.RoleOrder(t, a.Catalog, "SRE")
			if err := tx.UpdateMember(bo); err != nil {
				return err
			}
			return add(tx, "Di Orbit", "di@example.test")
		}, []string{"Bo Oriel", "Bo Orion", "Cy Orla", "Di Orbit", "Lee Oriana", "Pat Orwell"}},
		{"a member removed", func(tx roster.Tx) error { return tx.DeleteMember(a.ID, bo.UserID) },
			[]string{"Bo Orion", "Cy Orla", "Di Orbit", "Lee Oriana", "Pat Orwell"}},
	} {
		key := planKey{account: a.ID, query: "or", byName: true}
		if i%2 == 0 {
			names("or")
			names("or")
			if k, _ := s1.plans.get(key); k.moved {
				t.Fatalf("before %s: the plan holds, asked again, and is still kept as moved", step.what)
			}
		} else if k, _ := s1.plans.get(key); !k.moved {
			t.Fatalf("before %s: the plan is not kept as moved after the change before", step.what)
		}
		storetest.Write(t, s2, a.ID, step.change)
		if got := names("or"); !slices.Equal(got, step.want) {
			t.Errorf("after %s: %q finds %q, want %q", step.what, "or", got, step.want)
		}
	}
}

// TestListVersion checks which writes move an account's list version:
// those that can make a kept search plan miss a member (a member added,
// a name changed), and not the others, which would only cost searches
// their kept plans.
func TestListVersion(t *testing.T) {
	s := open(t)
	a := storetest.NewAccount(t, s, "Acme", "bizmetry")
	other := storetest.NewAccount(t, s, "Other", "bizmetry")
	version := func(account string) int64 {
		t.Helper()
		var v int64
		if err := s.pool.QueryRow(context.Background(), `SELECT list_version FROM account_versions WHERE account_id = $1`, account).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	last, otherStart := version(a.ID), version(other.ID)
	step := func(what string, wantMoved bool, fn func(tx roster.Tx) error) {
		t.Helper()
		storetest.Write(t, s, a.ID, fn)
		v := version(a.ID)
		if moved := v != last; moved != wantMoved {
			t.Errorf("%s: list version %d → %d; want moved=%v", what, last, v, wantMoved)
		}
		last = v
	}
	u := storetest.NewUser(t, s, "Dana Dev", "")
	m := &roster.Member{AccountID: a.ID, UserID: u.ID, Role: "Developer", RoleOrder: storetest.RoleOrder(t, a.Catalog, "Developer"), Status: roster.StatusPending}
	step("CreateMember", true, func(tx roster.Tx) error { return tx.CreateMember(m) })
	step("SetMemberName", true, func(tx roster.Tx) error { return tx.SetMemberName(a.ID, u.ID, "Dana Devlin") })
	step("SetMemberName, the same name in other case", false, func(tx roster.Tx) error { return tx.SetMemberName(a.ID, u.ID, "dana devlin") })
	step("UpdateMember role", false, func(tx roster.Tx) error {
		m.Role, m.RoleOrder = "SRE", storetest.RoleOrder(t, a.Catalog, "SRE")
		return tx.UpdateMember(m)
	})
	step("ShowUser (joining under the user's own name)", true, func(tx roster.Tx) error {
		m.Status = roster.StatusActive
		if err := tx.UpdateMember(m); err != nil {
			return err
		}
		return tx.ShowUser(a.ID, u.ID)
	})
	step("SetUserName", true, func(tx roster.Tx) error { return tx.SetUserName(u.ID, "Dana D.") })
	step("SetLastLogin", false, func(tx roster.Tx) error { return tx.SetLastLogin(u.ID, storetest.T0.Add(time.Hour)) })
	step("SetProfileRole", false, func(tx roster.Tx) error { return tx.SetProfileRole(a.ID, u.ID, "prod", "DevOps", storetest.T0) })
	step("DeleteMember", false, func(tx roster.Tx) error { return tx.DeleteMember(a.ID, u.ID) })
	if v := version(other.ID); v != otherStart {
		t.Errorf("another account's list version moved %d → %d", otherStart, v)
	}
}

// TestKeptPlansOnlyFromReads checks that a search run inside a Write
// neither keeps its plan nor runs a kept one: the Write sees its own
// uncommitted rows at a list version that, rolled back, another Write
// reaches with other rows.
func TestKeptPlansOnlyFromReads(t *testing.T) {
	s := open(t)
	a := storetest.NewAccount(t, s, "Acme", "bizmetry")
	storetest.NewUserMember(t, s, a, "Bo Oriel", "Developer", roster.StatusActive)
	add := func(tx roster.Tx, name, email string) error { return addDeveloper(t, tx, a, name, email) }
	search := func(tx roster.Tx) []string {
		t.Helper()
		page, err := tx.ListMembers(a.ID, roster.MemberFilter{Query: "or", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range page.Items {
			out = append(out, m.Name)
		}
		return out
	}
	rollBack := roster.Errorf(roster.CodeConflict, "roll back")
	err := s.Write(context.Background(), a.ID, func(tx roster.Tx) error {
		if err := add(tx, "Cy Orla", "cy@example.test"); err != nil {
			return err
		}
		if got, want := search(tx), []string{"Bo Oriel", "Cy Orla"}; !slices.Equal(got, want) {
			t.Errorf("inside the write: %q, want %q", got, want)
		}
		return rollBack
	})
	if err != rollBack {
		t.Fatalf("Write = %v, want it rolled back", err)
	}
	storetest.Write(t, s, a.ID, func(tx roster.Tx) error { return add(tx, "Di Orwell", "di@example.test") })
	for i := range 2 {
		var got []string
		storetest.Read(t, s, func(tx roster.Tx) error { got = search(tx); return nil })
		if want := []string{"Bo Oriel", "Di Orwell"}; !slices.Equal(got, want) {
			t.Errorf("read %d after the rolled-back write and another: %q, want %q", i+1, got, want)
		}
	}
}

// addDeveloper adds a new user of the name and email to the account as an
// active Developer, in tx.
func addDeveloper(t *testing.T, tx roster.Tx, a *roster.Account, name, email string) error {
	u := &roster.User{ID: storetest.NewID("user"), Email: email, Name: name, CreatedAt: storetest.T0}
	if err := tx.CreateUser(u); err != nil {
		return err
	}
	return tx.CreateMember(&roster.Member{AccountID: a.ID, UserID: u.ID, Role: "Developer",
		RoleOrder: storetest.RoleOrder(t, a.Catalog, "Developer"), Status: roster.StatusActive})
}
