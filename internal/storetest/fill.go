package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/policy"
)

// The member list's benchmarks and their fill (each store's bench_test.go,
// docs/PERFORMANCE.md §3): every store fills an account of n members in its
// own SQL, with user ids FillUserID(account, i) and names of a first name of
// FillFirstNames and a numbered last name of FillLastNames ("Dana Dev123").

// ListSizes are the account sizes the member list is measured at.
var ListSizes = []int{1_000, 10_000, 100_000, 1_000_000}

var (
	FillFirstNames = []string{"Dana", "Alex", "Sam", "Robin", "Kim", "Lee", "Chris", "Pat", "Jo", "Max", "Zed", "Ann", "Bob", "Eve"}
	FillLastNames  = []string{"Dev", "Smith", "Jones", "Brown", "Miller", "Davis", "Garcia", "Wilson", "Moore", "Taylor"}
)

// FillUserID is the user id of the i-th member of a filled account.
func FillUserID(account string, i int) string { return fmt.Sprintf("%s-u%07d", account, i) }

// CheckFilled checks that an account of n members filled by a store's
// benchmark fill holds what the store's own writes would: every list and
// search agrees with roster.MatchesQuery over the members read one by one.
// With 5,000 members, the searches take every shape (package searchplan):
// merged runs of words in name order, few matches sorted, many found by
// walking an order's index.
func CheckFilled(t *testing.T, s roster.Store, a *roster.Account, n int) {
	t.Helper()
	// Names that start like a thousand members' emails, so that a search
	// finds some members by their email and others by their name.
	Write(t, s, "", func(tx roster.Tx) error {
		for i := 3000; i < 3050; i++ {
			if err := tx.SetUserName(FillUserID(a.ID, i), fmt.Sprintf("Uma User0001x%d", i)); err != nil {
				return err
			}
		}
		return nil
	})
	ids := make([]string, n)
	for i := range ids {
		ids[i] = FillUserID(a.ID, i)
	}
	all := MembersByID(t, s, a.ID, ids)
	Read(t, s, func(tx roster.Tx) error {
		if got, err := tx.CountMembers(a.ID, roster.MemberFilter{}); err != nil || got != n {
			t.Errorf("CountMembers = %d, %v; want %d", got, err, n)
		}
		return nil
	})
	statuses := map[roster.Status]int{}
	for _, m := range all {
		statuses[m.Status]++
		if !slices.ContainsFunc(a.Catalog.Roles, func(r policy.Role) bool { return r.Name == m.Role }) {
			t.Fatalf("member %s has role %q, not in the catalog", m.UserID, m.Role)
		}
		if (m.Status == roster.StatusPending) != (m.InvitationExpiresAt != nil) {
			t.Fatalf("member %s is %s with invitation expiry %v", m.UserID, m.Status, m.InvitationExpiresAt)
		}
	}
	if len(statuses) != 3 {
		t.Errorf("statuses %v, want all three", statuses)
	}
	CheckSearches(t, s, a.ID, all, []string{
		"",                                                // the whole list, in every order
		"dana", "DANA SMI", "smith99", "user00001", "uma", // merged in name order, sorted in the others
		"dev1", "dana dev", // sorted
		"d", "user", "user0000", "user0001", // walked
		"zzz", "dana zzz", "eve user0", // nobody
	}, roster.MaxPageSize)
	CheckSearches(t, s, a.ID, all, []string{"dana", "smith9"}, 50)
}

// BenchListCases measures the member list's cases on a filled account: the
// cursors of last (the member before the last page in name order) and mid
// (one in the middle) make the later pages. A call is what the API does
// for a page: a read transaction around ListMembers. Each case reports,
// besides the mean, the median and the 99th percentile of its calls
// (p50-ms, p99-ms).
func BenchListCases(b *testing.B, s roster.Store, account string, last, mid *roster.Member) {
	var catalog *policy.Catalog
	Read(b, s, func(tx roster.Tx) error {
		a, err := tx.Account(account)
		if a != nil {
			catalog = a.Catalog
		}
		return err
	})
	for _, bc := range []struct {
		name string
		f    roster.MemberFilter
	}{
		{"first page", roster.MemberFilter{Limit: 50}},
		{"first page desc", roster.MemberFilter{Limit: 50, Desc: true}},
		{"last page", roster.MemberFilter{Limit: 50, After: roster.NewMemberCursor(last, roster.SortName, false)}},
		{"page N by role", roster.MemberFilter{Limit: 50, Sort: roster.SortRole, After: roster.NewMemberCursor(mid, roster.SortRole, false)}},
		{"page N by last login desc", roster.MemberFilter{Limit: 50, Sort: roster.SortLastLogin, Desc: true, After: roster.NewMemberCursor(mid, roster.SortLastLogin, true)}},
		{"search common", roster.MemberFilter{Limit: 50, Query: "dana"}},
		{"search common page N", roster.MemberFilter{Limit: 50, Query: "dana", After: roster.NewMemberCursor(mid, roster.SortName, false)}},
		{"search two words", roster.MemberFilter{Limit: 50, Query: "dana dev1"}},
		{"search rare", roster.MemberFilter{Limit: 50, Query: "smith999"}},
		{"search none", roster.MemberFilter{Limit: 50, Query: "zzz"}},
		{"search email", roster.MemberFilter{Limit: 50, Query: "user00005"}},
		{"role filter", roster.MemberFilter{Limit: 50, Role: "Architect", RoleOrder: RoleOrder(b, catalog, "Architect")}},
		{"status filter", roster.MemberFilter{Limit: 50, Status: roster.StatusDisabled, Sort: roster.SortStatus}},
	} {
		b.Run(bc.name, func(b *testing.B) { benchList(b, s, account, bc.f, nil) })
	}
}

// BenchFirstSearches measures BenchListCases' searches again, each call
// made after forget, which empties what the store keeps of the searches it
// ran (the PostgreSQL store's plans, its guesses of the next): each as if
// asked for the first time. With changed, it measures them a third time,
// each call made after changed, which moves what the store keeps its
// searches' plans by, as another write in the account would (the
// PostgreSQL store's list version): each asked again after a change, as
// in an account changing while it is searched. And a fourth, each call
// made after the search was asked twice and then changed: the first
// search after a lone change.
func BenchFirstSearches(b *testing.B, s roster.Store, account string, forget, changed func()) {
	for _, bc := range []struct{ name, query string }{
		{"search common", "dana"},
		{"search two words", "dana dev1"},
		{"search rare", "smith999"},
		{"search email", "user00005"},
	} {
		b.Run(bc.name+" first time", func(b *testing.B) {
			benchList(b, s, account, roster.MemberFilter{Limit: 50, Query: bc.query}, forget)
		})
		if changed != nil {
			f := roster.MemberFilter{Limit: 50, Query: bc.query}
			b.Run(bc.name+" after a change", func(b *testing.B) {
				benchList(b, s, account, f, changed)
			})
			b.Run(bc.name+" after a lone change", func(b *testing.B) {
				benchList(b, s, account, f, func() {
					for range 2 {
						Read(b, s, func(tx roster.Tx) error {
							_, err := tx.ListMembers(account, f)
							return err
						})
					}
					changed()
				})
			})
		}
	}
}

// benchList measures a page of f, each call after before (when not nil),
// which is not timed in the percentiles.
func benchList(b *testing.B, s roster.Store, account string, f roster.MemberFilter, before func()) {
	ctx := context.Background()
	lat := make([]time.Duration, 0, 4096)
	for b.Loop() {
		if before != nil {
			before()
		}
		t0 := time.Now()
		err := s.Read(ctx, func(tx roster.Tx) error {
			_, err := tx.ListMembers(account, f)
			return err
		})
		lat = append(lat, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
	}
	reportPercentiles(b, lat)
}

// reportPercentiles reports the median and the 99th percentile of the
// calls' latencies, in milliseconds.
func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}
