package postgres

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/searchplan"
	"github.com/rosterhq/roster/internal/storetest"
)

// TestSearchGuesses checks that a search asked for the first time is
// guessed as firstGuess says (a word: a first name; two words, unfiltered:
// a first name and the start of another word); that asked again it is
// answered by its kept plan, unplanned; that once the account's list
// version moved, it is planned again, the kept plan its guess; and that
// asked again after that, when its planning is sent gated at the kept
// version (keptPlan.moved), the kept plan answers. A search whose page is
// planned for its values on every call, and so cannot be sent in a batch,
// is never guessed, nor is one that matches nobody, which has no page; the
// kept plans of both answer too while the version holds. Every answer is
// the page that the statement planned without a guess reads.
// (That a wrong guess or a plan kept past a change is never the answer,
// storetest's ListMembersSearchAfterChanges and
// TestKeptPlansAcrossInstances check.)
func TestSearchGuesses(t *testing.T) {
	s := open(t)
	a := storetest.NewAccount(t, s, "Acme", "bizmetry")
	fillMembers(t, s, a, 3000)
	// A cursor in the middle of the Alexes.
	alexMid := roster.NewMemberCursor(&roster.Member{UserID: memberAt(t, s, a.ID, 1500).UserID, Name: "Alex Jones5"}, roster.SortName, false)
	// Each case searches for a query of its own: the plans are kept by
	// query, whatever the filters and cursor.
	for _, c := range []struct {
		name      string
		f         roster.MemberFilter
		first     bool // guessed right the first time too
		unbatched bool // its page is planned for its values on every call
		nobody    bool // it matches nobody: it has no page
	}{
		{name: "a first name", f: roster.MemberFilter{Query: "dana", Limit: 20}, first: true},
		{name: "a first name, page N", f: roster.MemberFilter{Query: "Alex", Limit: 20, After: alexMid}, first: true},
		{name: "a first name, descending, filtered", f: roster.MemberFilter{Query: "sam", Desc: true, Status: roster.StatusActive, Limit: 20}, first: true},
		{name: "words of several names", f: roster.MemberFilter{Query: "smith9", Limit: 20}},
		{name: "two words", f: roster.MemberFilter{Query: "dana dev1", Limit: 20}, first: true},
		{name: "two words, page N", f: roster.MemberFilter{Query: "alex jones", Limit: 20, After: alexMid}, first: true},
		{name: "two words, filtered", f: roster.MemberFilter{Query: "dana dev", Status: roster.StatusActive, Limit: 20}},
		{name: "two words, the second a first name", f: roster.MemberFilter{Query: "dev1 dana", Limit: 20}},
		{name: "two words, a first name and a letter", f: roster.MemberFilter{Query: "dana j", Limit: 20}, first: true},
		{name: "an email", f: roster.MemberFilter{Query: "user00005", Limit: 20}},
		{name: "an email, by role", f: roster.MemberFilter{Query: "user00005", Sort: roster.SortRole, Limit: 20}},
		{name: "a letter", f: roster.MemberFilter{Query: "d", Limit: 20}, unbatched: true},
		{name: "a first name, by role", f: roster.MemberFilter{Query: "dana", Sort: roster.SortRole, Limit: 20}, unbatched: true},
		{name: "nobody", f: roster.MemberFilter{Query: "zzz", Limit: 20}, nobody: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ask := func() ([]string, answer) {
				var got []string
				var how answer
				storetest.Read(t, s, func(rtx roster.Tx) error {
					rows, answered, err := rtx.(*tx).memberRows(a.ID, c.f)
					if err != nil {
						return err
					}
					how = answered
					got, err = userIDs(rows)
					return err
				})
				return got, how
			}
			var want []string
			storetest.Read(t, s, func(rtx roster.Tx) error {
				query, args, err := rtx.(*tx).memberListQuery(a.ID, c.f)
				if err != nil {
					return err
				}
				rows, err := rtx.(*tx).query(query, args...)
				if err != nil {
					return err
				}
				want, err = userIDs(rows)
				return err
			})
			if len(want) == 0 != c.nobody {
				t.Fatalf("the search finds %d members", len(want))
			}
			first := answerPlanned
			if c.first {
				first = answerGuessed
			}
			if got, how := ask(); how != first || !slices.Equal(got, want) {
				t.Errorf("asked the first time: answered %v, rows %v; want %v, rows %v", how, got, first, want)
			}
			if got, how := ask(); how != answerKept || !slices.Equal(got, want) {
				t.Errorf("asked again: answered %v, rows %v; want %v (the kept plan), rows %v", how, got, answerKept, want)
			}
			l, err := newMemberList(a.ID, c.f)
			if err != nil {
				t.Fatal(err)
			}
			key := planKey{account: a.ID, query: l.query, byName: l.sort == roster.SortName}
			if k, ok := s.plans.get(key); !ok {
				t.Fatal("no plan kept")
			} else if _, batched := l.batched(k.plan); batched == c.unbatched {
				t.Fatalf("its page can go in a batch: %v, want %v", batched, !c.unbatched)
			}
			moved := func(want bool, when string) {
				t.Helper()
				if k, ok := s.plans.get(key); !ok || k.moved != want {
					t.Errorf("%s: plan kept %v, moved %v; want moved %v", when, ok, k.moved, want)
				}
			}
			// A change elsewhere in the account, made by another instance:
			// the kept plan is the guess, which the planning confirms.
			change := func() {
				if _, err := s.pool.Exec(context.Background(), `UPDATE account_versions SET list_version = list_version + 1 WHERE account_id = $1`, a.ID); err != nil {
					t.Fatal(err)
				}
			}
			planned := answerGuessed // as kept
			if c.unbatched || c.nobody {
				planned = answerPlanned // no page to guess
			}
			change()
			if got, how := ask(); how != planned || !slices.Equal(got, want) {
				t.Errorf("asked after the list version moved: answered %v, rows %v; want %v, rows %v", how, got, planned, want)
			}
			moved(true, "after the version moved")
			// Another: the planning went gated with the page, and plans.
			change()
			if got, how := ask(); how != planned || !slices.Equal(got, want) {
				t.Errorf("asked after it moved again: answered %v, rows %v; want %v, rows %v", how, got, planned, want)
			}
			moved(true, "after the version moved again")
			// No change: the gated planning finds the version held.
			if got, how := ask(); how != answerKept || !slices.Equal(got, want) {
				t.Errorf("asked again after: answered %v, rows %v; want %v (the kept plan), rows %v", how, got, answerKept, want)
			}
			moved(false, "asked again with the version held")
			if got, how := ask(); how != answerKept || !slices.Equal(got, want) {
				t.Errorf("asked once more: answered %v, rows %v; want %v (the kept plan), rows %v", how, got, answerKept, want)
			}
		})
	}
}

// userIDs reads the user ids of a page statement's rows (nil for none),
// and closes them.
func userIDs(rows pgx.Rows) ([]string, error) {
	if rows == nil {
		return nil, nil
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var m memberRow
		if err := new(memberScanner).scan(rows, &m); err != nil {
			return nil, err
		}
		ids = append(ids, m.UserID)
	}
	return ids, rows.Err()
}

// TestSearchGuessesInsideATransaction checks a guessed search that is not
// the first statement of its transaction, as the API's are (they read the
// account and the caller's membership first): its batch goes on the
// transaction already begun.
func TestSearchGuessesInsideATransaction(t *testing.T) {
	s := open(t)
	a := storetest.NewAccount(t, s, "Acme", "bizmetry")
	fillMembers(t, s, a, 1000)
	for _, q := range []string{"dana", "dana", "user0000", "user0000", "smith9", "smith9", "zzz"} {
		f := roster.MemberFilter{Query: q, Limit: 10}
		var alone, inside *roster.MemberPage
		storetest.Read(t, s, func(tx roster.Tx) error {
			var err error
			alone, err = tx.ListMembers(a.ID, f)
			return err
		})
		storetest.Read(t, s, func(tx roster.Tx) error {
			if _, err := tx.Account(a.ID); err != nil {
				return err
			}
			var err error
			inside, err = tx.ListMembers(a.ID, f)
			return err
		})
		if q != "zzz" && len(alone.Items) == 0 {
			t.Fatalf("%q finds nobody: the test checks nothing", q)
		}
		ids := func(p *roster.MemberPage) (out []string) {
			for _, m := range p.Items {
				out = append(out, m.UserID)
			}
			return out
		}
		if got, want := ids(inside), ids(alone); !slices.Equal(got, want) {
			t.Errorf("%q after another statement: %v, want %v", q, got, want)
		}
	}
}

// TestUnstorableGuessIsNotSent checks that a guess whose values no row can
// hold (none does today: they are the request's, checked before) is not
// sent, rather than failing the search as text no member has, which
// ListMembers answers with an empty page.
func TestUnstorableGuessIsNotSent(t *testing.T) {
	s := open(t)
	a := storetest.NewAccount(t, s, "Acme", "bizmetry")
	fillMembers(t, s, a, 100)
	storetest.Read(t, s, func(rtx roster.Tx) error {
		bad := &guess{leadGuess, statement{`SELECT $1::text`, []any{"a\x00b"}}}
		srch, rows, err := rtx.(*tx).planSearch(a.ID, "dana", roster.SortName, bad, nil)
		if err != nil || rows != nil {
			t.Errorf("planSearch with an unstorable guess = rows %v, %v; want the plan alone", rows, err)
		}
		if err == nil && !srch.plan().Equal(leadGuess) {
			t.Errorf("planned %+v, want a page of first names", srch.plan())
		}
		return nil
	})
}

// TestLastPlansBounded checks that lastPlans keeps at most maxLastPlans
// plans, none of a query longer than maxGuessedQuery, and the latest plan
// of each search it keeps.
func TestLastPlansBounded(t *testing.T) {
	var c lastPlans
	for i := range 3 * maxLastPlans {
		c.put(planKey{account: "a", query: fmt.Sprint("q", i), byName: true}, keptPlan{plan: searchplan.Plan{Driver: i}})
	}
	if len(c.m) != maxLastPlans {
		t.Errorf("lastPlans holds %d plans, want %d", len(c.m), maxLastPlans)
	}
	long := planKey{account: "a", query: fmt.Sprintf("%0*d", maxGuessedQuery+1, 0)}
	c.put(long, keptPlan{})
	if _, ok := c.get(long); ok {
		t.Error("lastPlans holds the plan of a query longer than maxGuessedQuery")
	}
	k := planKey{account: "b", query: "dana"}
	c.put(k, keptPlan{plan: searchplan.Plan{Driver: 1}})
	c.put(k, keptPlan{plan: searchplan.Plan{Driver: 2}})
	if p, ok := c.get(k); !ok || p.plan.Driver != 2 {
		t.Errorf("get = %+v, %v; want the latest plan", p, ok)
	}
}

// TestPairedRangeNearItsBound checks a search whose first word leads
// nearly maxSorted names with a word the second starts: it is paired
// (searchplan.ByLeads), its lead's range is read whole, although merged
// bounds it, and its pages, guessed the first time and kept after, both
// directions, are those that roster.MatchesQuery gives. (Renaming a user
// renames the members that show the user's name: not those invited under
// another, as the fill's pending members are.)
func TestPairedRangeNearItsBound(t *testing.T) {
	s := open(t)
	a := storetest.NewAccount(t, s, "Acme", "bizmetry")
	fillMembers(t, s, a, 1300)
	storetest.Write(t, s, "", func(tx roster.Tx) error {
		for i := range 1250 {
			if err := tx.SetUserName(storetest.FillUserID(a.ID, i), fmt.Sprintf("Quinn Qx%d", i)); err != nil {
				return err
			}
		}
		return nil
	})
	storetest.Read(t, s, func(rtx roster.Tx) error {
		srch, _, err := rtx.(*tx).planSearch(a.ID, "quinn qx", roster.SortName, nil, nil)
		if err == nil && (!srch.paired || !slices.Equal(srch.leads, []string{"quinn"})) {
			t.Errorf("planned %+v, want the lead quinn paired", srch.plan())
		}
		return err
	})
	population := storetest.MembersByID(t, s, a.ID, storetest.ListIDs(t, s, a.ID, roster.MemberFilter{Limit: roster.MaxPageSize}))
	for _, desc := range []bool{false, true} {
		f := roster.MemberFilter{Query: "quinn qx", Desc: desc, Limit: 100}
		want := storetest.ExpectedIDs(population, f)
		if len(want) < maxSorted*9/10 || len(want) >= maxSorted {
			t.Fatalf("%d members match, want from %d to %d: the test checks less than it says", len(want), maxSorted*9/10, maxSorted-1)
		}
		if got := storetest.ListIDs(t, s, a.ID, f); !slices.Equal(got, want) {
			t.Errorf("desc %v: listed %d members, want %d (first difference at %d)", desc, len(got), len(want), firstDiff(got, want))
		}
	}
}

// firstDiff returns the first index at which a and b differ.
func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
