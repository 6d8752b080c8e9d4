package app_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/storetest"
)

// countOwners returns the Active owners of the account.
func (e *env) countOwners(accID, ownerRole string) int {
	e.t.Helper()
	var n int
	err := e.store.Read(e.ctx, func(tx roster.Tx) error {
		acc, err := tx.Account(accID)
		if err != nil {
			return err
		}
		n, err = tx.CountMembers(accID, roster.MemberFilter{
			Role: ownerRole, RoleOrder: storetest.RoleOrder(e.t, acc.Catalog, ownerRole), Status: roster.StatusActive,
		})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestOwnersRacingNeverLeaveNone: 50 goroutines race to demote, disable and
// remove each other's owners. However the race falls, at least one Active
// owner remains, every round.
func TestOwnersRacingNeverLeaveNone(t *testing.T) {
	for _, cat := range []string{"bigeye", "bizmetry"} {
		t.Run(cat, func(t *testing.T) {
			e := newEnv(t)
			accID, first := e.account(cat, "owner0@acme.test")
			ownerRole := catalog(t, cat).Owner
			fallback := catalog(t, cat).Fallback
			owners := []roster.Principal{first}
			for i := 1; i < 5; i++ {
				p := e.member(accID, first, fmt.Sprintf("owner%d@acme.test", i), ownerRole)
				owners = append(owners, p)
			}
			if n := e.countOwners(accID, ownerRole); n != 5 {
				t.Fatalf("start: %d active owners, want 5", n)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			var wg sync.WaitGroup
			var mu sync.Mutex
			succeeded := 0
			for g := 0; g < 50; g++ {
				actor := owners[rng.IntN(len(owners))]
				target := owners[rng.IntN(len(owners))]
				op := rng.IntN(3)
				wg.Add(1)
				go func() {
					defer wg.Done()
					var err error
					switch op {
					case 0:
						_, err = e.app.ChangeRole(e.ctx, actor, accID, target.UserID, fallback)
					case 1:
						_, err = e.app.SetStatus(e.ctx, actor, accID, target.UserID, "disabled")
					case 2:
						err = e.app.Remove(e.ctx, actor, accID, target.UserID)
					}
					switch code := roster.ErrorCode(err); code {
					case "":
						mu.Lock()
						succeeded++
						mu.Unlock()
					case roster.CodeLastOwner, roster.CodeNotFound, roster.CodeForbidden, roster.CodeInsufficientRole, roster.CodeConflict:
					default:
						t.Errorf("op %d by %s on %s: unexpected %v", op, actor.UserID, target.UserID, err)
					}
				}()
			}
			wg.Wait()
			if n := e.countOwners(accID, ownerRole); n < 1 {
				t.Fatalf("after the race: %d active owners", n)
			}
			if succeeded == 0 {
				t.Error("no operation succeeded: the race tested nothing")
			}
		})
	}
}

// TestTwoOwnersDemotingEachOther: the seed's worst case, 50 rounds.
func TestTwoOwnersDemotingEachOther(t *testing.T) {
	e := newEnv(t)
	accID, a := e.account("bigeye", "a@acme.test")
	b := e.member(accID, a, "b@acme.test", "Owner")
	for round := 0; round < 50; round++ {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, pair := range [][2]roster.Principal{{a, b}, {b, a}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = e.app.ChangeRole(e.ctx, pair[0], accID, pair[1].UserID, "Admin")
			}()
		}
		wg.Wait()
		if n := e.countOwners(accID, "Owner"); n != 1 {
			t.Fatalf("round %d: %d active owners, want exactly 1 (errors %v)", round, n, errs)
		}
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if c := roster.ErrorCode(err); c != roster.CodeLastOwner && c != roster.CodeInsufficientRole {
				t.Fatalf("round %d: unexpected error %v", round, err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d demotions succeeded, want 1", round, ok)
		}
		// Restore two owners for the next round.
		var owner, other roster.Principal
		if e.get(accID, a.UserID).Role == "Owner" {
			owner, other = a, b
		} else {
			owner, other = b, a
		}
		if _, err := e.app.ChangeRole(e.ctx, owner, accID, other.UserID, "Owner"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestConcurrentAcceptIsSingleUse: many tries with one link, one winner.
func TestConcurrentAcceptIsSingleUse(t *testing.T) {
	e := newEnv(t)
	accID, owner := e.account("bigeye", "olive@acme.test")
	m, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "new@acme.test", Role: "User"})
	if err != nil {
		t.Fatal(err)
	}
	tok := tokenOf(t, e.lastLink(accID, m.UserID))
	var wg sync.WaitGroup
	results := make([]error, 10)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = e.app.AcceptInvitation(e.ctx, "", app.Acceptance{Token: tok, Name: fmt.Sprintf("Taker %d", i), Password: pw})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range results {
		if err == nil {
			ok++
		}
	}
	if ok != 1 {
		t.Errorf("%d acceptances succeeded, want exactly 1 (%v)", ok, results)
	}
}
