package e2e

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"
)

// raceOnce sends both requests at the same moment and returns their answers.
func raceOnce(t *testing.T, a, b func() (reply, error)) (reply, reply) {
	t.Helper()
	var (
		wg         sync.WaitGroup
		ra, rb     reply
		errA, errB error
	)
	start := make(chan struct{})
	wg.Add(2)
	go func() { defer wg.Done(); <-start; ra, errA = a() }()
	go func() { defer wg.Done(); <-start; rb, errB = b() }()
	close(start)
	wg.Wait()
	if errA != nil || errB != nil {
		t.Fatalf("race requests failed: %v; %v", errA, errB)
	}
	return ra, rb
}

// wantOneWinner checks that exactly one of two racing changes went through
// and the other was refused by rank or by rule 4, and returns the index of
// the one that went through.
func wantOneWinner(t *testing.T, round int, rs ...reply) int {
	t.Helper()
	winner, wins := -1, 0
	for i, r := range rs {
		if r.status == http.StatusOK {
			winner, wins = i, wins+1
			continue
		}
		var p problem
		if err := json.Unmarshal(r.body, &p); err != nil ||
			(p.Code != "insufficient_role" && p.Code != "last_owner") || r.status != statusOfCode[p.Code] {
			t.Errorf("round %d: %v; want 200, or 403 insufficient_role, or 409 last_owner", round, r)
		}
	}
	if wins != 1 {
		t.Fatalf("round %d: %d of the two racing demotions succeeded (%v | %v); want exactly 1", round, wins, rs[0], rs[1])
	}
	return winner
}

// TestOwnershipRace: two Owners demoting each other at the same moment never
// leave the account without an Active owner (SPEC §3, rules 4 and 5 under
// concurrency).
func TestOwnershipRace(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	acc, o1 := s.newAccount(t, "Race", "bigeye", "owner1@race.test")
	o2 := s.join(t, o1.c, acc, "owner2@race.test", "Owner", "Otto Second")
	owners := []*person{o1, o2}

	activeOwners := func(t *testing.T) []string {
		t.Helper()
		var ids []string
		for _, m := range members(t, o1.c, acc) {
			if m.Role == "Owner" && m.Status == "active" {
				ids = append(ids, m.User)
			}
		}
		return ids
	}
	// restore makes the loser an owner again, by the hand of the winner.
	restore := func(t *testing.T, winner int) {
		t.Helper()
		w, l := owners[winner], owners[1-winner]
		w.c.want(t, http.StatusOK, "PATCH", memberPath(acc, l.id), map[string]string{"role": "Owner"}, nil)
	}
	demote := func(actor, target *person) func() (reply, error) {
		return func() (reply, error) {
			return actor.c.try("PATCH", memberPath(acc, target.id), map[string]string{"role": "Admin"})
		}
	}

	t.Run("DemoteEachOther", func(t *testing.T) {
		for round := range 20 {
			r1, r2 := raceOnce(t, demote(o1, o2), demote(o2, o1))
			// o1's request demotes o2: if it won, o1 stays owner.
			winner := wantOneWinner(t, round, r1, r2)
			if ids := activeOwners(t); len(ids) != 1 || ids[0] != owners[winner].id {
				t.Fatalf("round %d: active owners %v; want exactly [%s]", round, ids, owners[winner].id)
			}
			restore(t, winner)
		}
	})

	t.Run("TransferVersusDemotion", func(t *testing.T) {
		// o1 hands ownership to o2 while o2 steps down: whatever the order,
		// one Active owner remains. The transfer checks a password before it
		// takes the account's lock, so the demotion is staggered across the
		// window. A transfer that finds o2 still an owner is a conflict
		// (there is nothing to hand over), and o2's step down then leaves o1.
		for round := range 10 {
			delay := time.Duration(round*8) * time.Millisecond
			r1, r2 := raceOnce(t, func() (reply, error) {
				return o1.c.try("POST", accPath(acc, "/ownership-transfer"), map[string]string{"user": o2.id, "password": o1.password})
			}, func() (reply, error) {
				time.Sleep(delay)
				return demote(o2, o2)()
			})
			if r1.status != http.StatusOK {
				asProblem(t, r1, "conflict")
			}
			if r2.status != http.StatusOK {
				asProblem(t, r2, "last_owner")
			}
			ids := activeOwners(t)
			if len(ids) != 1 {
				t.Fatalf("round %d: active owners %v (transfer %d, demotion %d); want exactly one", round, ids, r1.status, r2.status)
			}
			winner := 0
			if ids[0] == o2.id {
				winner = 1
			}
			restore(t, winner)
		}
	})

	t.Run("DemoteThemselves", func(t *testing.T) {
		for round := range 10 {
			r1, r2 := raceOnce(t, demote(o1, o1), demote(o2, o2))
			// o1's request demotes o1: if it won, o2 stays owner.
			stepped := wantOneWinner(t, round, r1, r2)
			winner := 1 - stepped
			if ids := activeOwners(t); len(ids) != 1 || ids[0] != owners[winner].id {
				t.Fatalf("round %d: active owners %v; want exactly [%s]", round, ids, owners[winner].id)
			}
			restore(t, winner)
		}
	})
}
