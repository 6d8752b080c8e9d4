package sqlite

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/storetest"
)

// BenchmarkListMembers100k measures pages of the member list of an account
// of 100,000 members (building it takes a while):
//
//	go test -run '^$' -bench ListMembers100k ./internal/sqlite/
func BenchmarkListMembers100k(b *testing.B) {
	const n = 100000
	s := open(b)
	a := storetest.NewAccount(b, s, "Acme", "bizmetry")
	first := []string{"Dana", "Alex", "Sam", "Robin", "Kim", "Lee", "Chris", "Pat", "Jo", "Max", "Zed", "Ann", "Bob", "Eve"}
	last := []string{"Dev", "Smith", "Jones", "Brown", "Miller", "Davis", "Garcia", "Wilson", "Moore", "Taylor"}
	r := rand.New(rand.NewPCG(1, 2))
	storetest.Write(b, s, a.ID, func(tx roster.Tx) error {
		for i := range n {
			u := &roster.User{
				ID:        fmt.Sprintf("u%06d", i),
				Email:     fmt.Sprintf("user%06d@example.test", i),
				Name:      fmt.Sprintf("%s %s%d", first[r.IntN(len(first))], last[r.IntN(len(last))], r.IntN(1000)),
				CreatedAt: storetest.T0,
			}
			if err := tx.CreateUser(u); err != nil {
				return err
			}
			role := a.Catalog.Roles[2+r.IntN(len(a.Catalog.Roles)-2)]
			status := []roster.Status{roster.StatusActive, roster.StatusActive, roster.StatusPending, roster.StatusDisabled}[r.IntN(4)]
			if err := tx.CreateMember(&roster.Member{AccountID: a.ID, UserID: u.ID, Role: role.Name,
				RoleOrder: storetest.RoleOrder(b, a.Catalog, role.Name), Status: status}); err != nil {
				return err
			}
		}
		return nil
	})
	var mid *roster.Member
	storetest.Read(b, s, func(tx roster.Tx) error {
		var err error
		mid, err = tx.Member(a.ID, fmt.Sprintf("u%06d", n/2))
		return err
	})

	for _, bc := range []struct {
		name string
		f    roster.MemberFilter
	}{
		{"first page", roster.MemberFilter{Limit: 50}},
		{"first page desc", roster.MemberFilter{Limit: 50, Desc: true}},
		{"page N by role", roster.MemberFilter{Limit: 50, Sort: roster.SortRole, After: roster.NewMemberCursor(mid, roster.SortRole, false)}},
		{"page N by last login desc", roster.MemberFilter{Limit: 50, Sort: roster.SortLastLogin, Desc: true, After: roster.NewMemberCursor(mid, roster.SortLastLogin, true)}},
		{"search common", roster.MemberFilter{Limit: 50, Query: "dana"}},
		{"search two words", roster.MemberFilter{Limit: 50, Query: "dana dev1"}},
		{"search rare", roster.MemberFilter{Limit: 50, Query: "smith999"}},
		{"search none", roster.MemberFilter{Limit: 50, Query: "zzz"}},
		{"search email", roster.MemberFilter{Limit: 50, Query: "user0500"}},
		{"role filter", roster.MemberFilter{Limit: 50, Role: "Architect"}},
		{"status filter", roster.MemberFilter{Limit: 50, Status: roster.StatusDisabled, Sort: roster.SortStatus}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				storetest.Read(b, s, func(tx roster.Tx) error {
					_, err := tx.ListMembers(a.ID, bc.f)
					return err
				})
			}
		})
	}
}
