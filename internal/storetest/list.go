package storetest

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/rosterhq/roster"
)

var allSorts = []roster.MemberSort{roster.SortName, roster.SortEmail, roster.SortRole, roster.SortStatus, roster.SortLastLogin}

// listAll pages through the member list with f's limit, passing each cursor
// through its encoded form as a client would, and returns every item. It
// fails the test if a page breaks the paging contract.
func listAll(t *testing.T, s roster.Store, account string, f roster.MemberFilter) []*roster.Member {
	t.Helper()
	var all []*roster.Member
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatalf("ListMembers(%+v): paging does not end", f)
		}
		var page *roster.MemberPage
		Read(t, s, func(tx roster.Tx) error {
			var err error
			page, err = tx.ListMembers(account, f)
			return err
		})
		if len(page.Items) > f.Limit {
			t.Fatalf("ListMembers(%+v) returned %d items, more than the limit", f, len(page.Items))
		}
		if page.Next != nil && len(page.Items) != f.Limit {
			t.Fatalf("ListMembers(%+v) returned a short page of %d items with a next cursor", f, len(page.Items))
		}
		if page.Next == nil && f.After != nil && len(page.Items) == 0 {
			t.Fatalf("ListMembers(%+v): a cursor led to an empty page; the page before it should have had none", f)
		}
		all = append(all, page.Items...)
		if page.Next == nil {
			return all
		}
		// An empty Sort means SortName; clients always name it.
		next, err := roster.DecodeMemberCursor(page.Next.Encode(), cmp.Or(f.Sort, roster.SortName), f.Desc)
		if err != nil {
			t.Fatalf("the store's cursor %+v does not decode: %v", page.Next, err)
		}
		f.After = next
	}
}

func ids(ms []*roster.Member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.UserID
	}
	return out
}

func listIDs(t *testing.T, s roster.Store, account string, f roster.MemberFilter) []string {
	t.Helper()
	return ids(listAll(t, s, account, f))
}

// compareMembers is the order of the member list: sort keys compared as Go
// compares strings and integers, the name key breaking ties of role, status
// and last login, the user id breaking every remaining tie.
func compareMembers(sort roster.MemberSort, a, b *roster.Member) int {
	name := func(m *roster.Member) string { return roster.NameKey(m.Name) }
	login := func(m *roster.Member) int64 {
		if m.LastLoginAt == nil {
			return 0
		}
		return m.LastLoginAt.UnixMicro()
	}
	var c int
	switch sort {
	case roster.SortName:
		c = cmp.Compare(name(a), name(b))
	case roster.SortEmail:
		c = cmp.Compare(roster.EmailKey(a.Email), roster.EmailKey(b.Email))
	case roster.SortRole:
		c = cmp.Or(cmp.Compare(a.RoleOrder, b.RoleOrder), cmp.Compare(name(a), name(b)))
	case roster.SortStatus:
		c = cmp.Or(cmp.Compare(a.Status, b.Status), cmp.Compare(name(a), name(b)))
	case roster.SortLastLogin:
		c = cmp.Or(cmp.Compare(login(a), login(b)), cmp.Compare(name(a), name(b)))
	}
	return cmp.Or(c, cmp.Compare(a.UserID, b.UserID))
}

// expectedIDs is what ListMembers must return for f over population, paging
// aside.
func expectedIDs(population []*roster.Member, f roster.MemberFilter) []string {
	var out []*roster.Member
	for _, m := range population {
		if (f.Role == "" || m.Role == f.Role) && (f.Status == "" || m.Status == f.Status) &&
			roster.MatchesQuery(m.Email, m.Name, f.Query) {
			out = append(out, m)
		}
	}
	sort := cmp.Or(f.Sort, roster.SortName)
	slices.SortFunc(out, func(a, b *roster.Member) int {
		if f.Desc {
			return compareMembers(sort, b, a)
		}
		return compareMembers(sort, a, b)
	})
	return ids(out)
}

// populationNames are the names of the generated population: punctuation,
// SQL wildcards, quotes, non-ASCII letters and exact duplicates (ties).
var populationNames = []string{
	"Dana Dev", "Dana Dev", "Dana Dev", "dana dev", "Dana D'Souza", "Dana", "Danae Smith",
	"Devon Dana", "Ann-Marie Dever", "O'Brien, Seán", "Seán O’Brien", "Zoë Ångström",
	"ÅSA Öberg", "José María Núñez", "100% Real", "under_score Person", `Mc"Quote" Person`,
	"李 小龙", "Ωmega Ψ", "  Padded   Name  ", "Bob", "bob", "BOB", "Bobby Tables'; DROP",
	"percent%sign", "A_B C%D", "x", "Xavier X. Xu", "İstanbul Iğdır", "straße Groß",
}

// populationEmails are local parts for the population's emails; each gets a
// distinct domain suffix so emails stay unique.
var populationEmails = []string{
	"dana", "Dana.Dev", "dev", "d_ana", "d%ana", "o'brien", "zoe", "ANN", "bob", "bobby",
	"100%", "under_score", "quote\"d", "li", "omega", "x", "x_x", "Devon", "seán", "dana.d",
}

// population creates n members with varied names, emails, roles, statuses
// and last logins, with ties in every sort key, and returns them as Member
// reads them back.
func population(t *testing.T, s roster.Store, a *roster.Account, n int, seed uint64) []*roster.Member {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 42))
	roles := a.Catalog.Roles
	statuses := []roster.Status{roster.StatusPending, roster.StatusActive, roster.StatusDisabled}
	logins := []*time.Time{nil, ptr(T0.Add(-time.Hour)), ptr(T0.Add(-time.Hour)), ptr(T0.Add(-48 * time.Hour)), ptr(T0.Add(time.Microsecond))}
	var users []*roster.User
	var members []*roster.Member
	for i := range n {
		u := &roster.User{
			ID:          fmt.Sprintf("%s-u%03d-%s", a.ID, i, NewID("")),
			Email:       fmt.Sprintf("%s@d%03d.%s.test", populationEmails[r.IntN(len(populationEmails))], i, strings.ToLower(a.ID)),
			Name:        populationNames[r.IntN(len(populationNames))],
			LastLoginAt: logins[r.IntN(len(logins))],
			CreatedAt:   T0,
		}
		role := roles[r.IntN(len(roles))].Name
		m := &roster.Member{
			AccountID: a.ID, UserID: u.ID, Role: role, RoleOrder: RoleOrder(t, a.Catalog, role),
			Status: statuses[r.IntN(len(statuses))], InvitedAt: ptr(T0),
		}
		users = append(users, u)
		members = append(members, m)
	}
	Write(t, s, a.ID, func(tx roster.Tx) error {
		for i := range users {
			if err := tx.CreateUser(users[i]); err != nil {
				return err
			}
			if err := tx.CreateMember(members[i]); err != nil {
				return err
			}
		}
		return nil
	})
	out := make([]*roster.Member, n)
	Read(t, s, func(tx roster.Tx) error {
		for i, m := range members {
			var err error
			if out[i], err = tx.Member(a.ID, m.UserID); err != nil {
				return err
			}
		}
		return nil
	})
	return out
}

// searchQueries are compared against roster.MatchesQuery.
var searchQueries = []string{
	"", "dana", "DANA", "dana d", "dana dev", "d", "dev", "dev@", "dana.dev@", "dana d'", "d'souza", "souza",
	"%", "_", "d%", "d_", "'", "o'b", "o'brien", "brien", "’", "\"", `mc"quote`, "quote", "100%", "100",
	"under_", "under", "zoë", "ZOË", "ång", "ÅNG", "åsa ö", "josé m", "núñez", "李", "小", "ωmega", "ψ",
	"x", "x.", "xavier x", "padded name", "  padded  ", "bob", "bobby tables", "drop", "a_b", "c%d",
	"dana zz", "acme", "@", ".test", "i̇stanbul", "istanbul", "straße", "gross", "groß",
}

func testListMembersSearch(t *testing.T, s roster.Store) {
	a := NewAccount(t, s, "Acme", "bizmetry")
	pop := population(t, s, a, 80, 1)
	// Another account with the same names: never listed.
	other := NewAccount(t, s, "Other", "bizmetry")
	population(t, s, other, 20, 1)

	for _, q := range searchQueries {
		f := roster.MemberFilter{Query: q, Limit: 7}
		got := listIDs(t, s, a.ID, f)
		want := expectedIDs(pop, f)
		if diff := gocmp.Diff(want, got); diff != "" {
			t.Errorf("ListMembers(q=%q) disagrees with MatchesQuery (-want +got):\n%s", q, diff)
		}
	}
}

func testListMembersSortAndPage(t *testing.T, s roster.Store) {
	a := NewAccount(t, s, "Acme", "bizmetry")
	pop := population(t, s, a, 60, 2)
	other := NewAccount(t, s, "Other", "bizmetry")
	population(t, s, other, 10, 2)

	for _, sort := range allSorts {
		for _, desc := range []bool{false, true} {
			for _, tc := range []struct {
				query string
				limit int
			}{
				{"", 1}, {"", 4}, {"", 60}, {"", 61}, {"", roster.MaxPageSize},
				{"dana", 2}, {"bob", 3}, {"d", 5},
			} {
				f := roster.MemberFilter{Query: tc.query, Sort: sort, Desc: desc, Limit: tc.limit}
				got := listIDs(t, s, a.ID, f)
				want := expectedIDs(pop, f)
				if diff := gocmp.Diff(want, got); diff != "" {
					t.Errorf("ListMembers(sort=%s desc=%v q=%q limit=%d) (-want +got):\n%s", sort, desc, tc.query, tc.limit, diff)
				}
			}
		}
	}

	// The extreme numbers a cursor may carry (roster.DecodeMemberCursor
	// refuses others) are values the store can compare with, in every
	// shape of the list: a page, a search, each direction.
	t.Run("cursor bounds", func(t *testing.T) {
		for _, c := range []struct {
			sort roster.MemberSort
			num  int64
		}{
			{roster.SortRole, 1<<31 - 1}, {roster.SortRole, 0},
			{roster.SortLastLogin, roster.MaxCursorLoginMicros}, {roster.SortLastLogin, roster.MinCursorLoginMicros},
		} {
			for _, q := range []string{"", "dana", "d"} {
				for _, desc := range []bool{false, true} {
					after := &roster.MemberCursor{Sort: c.sort, Desc: desc, Num: c.num, NameKey: "m", UserID: "usr_m"}
					Read(t, s, func(tx roster.Tx) error {
						if _, err := tx.ListMembers(a.ID, roster.MemberFilter{Query: q, Sort: c.sort, Desc: desc, Limit: 5, After: after}); err != nil {
							t.Errorf("ListMembers(sort=%s desc=%v q=%q) after %d: %v", c.sort, desc, q, c.num, err)
						}
						return nil
					})
				}
			}
		}
	})

	t.Run("empty account", func(t *testing.T) {
		empty := NewAccount(t, s, "Empty", "bigeye")
		Read(t, s, func(tx roster.Tx) error {
			page, err := tx.ListMembers(empty.ID, roster.MemberFilter{Limit: 10})
			if err != nil || len(page.Items) != 0 || page.Next != nil {
				t.Errorf("ListMembers(empty account) = %+v, %v; want no items and no next cursor", page, err)
			}
			return nil
		})
	})
}

func testListMembersFilters(t *testing.T, s roster.Store) {
	a := NewAccount(t, s, "Acme", "bigeye")
	pop := population(t, s, a, 60, 3)

	statuses := []roster.Status{"", roster.StatusPending, roster.StatusActive, roster.StatusDisabled}
	roles := []string{"", "Owner", "Admin", "User", "No Such Role"}
	for _, role := range roles {
		for _, status := range statuses {
			for _, q := range []string{"", "dana", "b"} {
				for _, sort := range allSorts {
					f := roster.MemberFilter{Query: q, Role: role, RoleOrder: roleOrder(a.Catalog, role), Status: status, Sort: sort, Desc: q == "b", Limit: 3}
					got := listIDs(t, s, a.ID, f)
					want := expectedIDs(pop, f)
					if diff := gocmp.Diff(want, got); diff != "" {
						t.Errorf("ListMembers(role=%q status=%q q=%q sort=%s) (-want +got):\n%s", role, status, q, sort, diff)
					}
				}
			}
		}
	}
}

// testListMembersItems checks that list items carry everything Member does.
func testListMembersItems(t *testing.T, s roster.Store) {
	a := NewAccount(t, s, "Acme", "bizmetry")
	pop := population(t, s, a, 25, 4)
	Write(t, s, a.ID, func(tx roster.Tx) error {
		for i, m := range pop {
			if i%3 == 0 {
				if err := tx.SetProfileRole(a.ID, m.UserID, "prod", "SRE", T0); err != nil {
					return err
				}
			}
			if i%4 == 0 {
				if err := tx.SetProfileRole(a.ID, m.UserID, "staging", "Developer", T0); err != nil {
					return err
				}
			}
			if i%2 == 0 {
				inv := &roster.Invitation{AccountID: a.ID, UserID: m.UserID, TokenHash: NewID("hash"),
					ExpiresAt: T0.Add(time.Duration(i) * time.Hour), SentAt: T0, LastError: fmt.Sprintf("error %d", i)}
				if err := tx.PutInvitation(inv); err != nil {
					return err
				}
			}
		}
		return nil
	})
	items := listAll(t, s, a.ID, roster.MemberFilter{Limit: 4})
	if len(items) != len(pop) {
		t.Fatalf("ListMembers returned %d members, want %d", len(items), len(pop))
	}
	for _, got := range items {
		want := member(t, s, a.ID, got.UserID)
		if diff := gocmp.Diff(want, got, memberOpts); diff != "" {
			t.Errorf("ListMembers item differs from Member(%s) (-Member +list):\n%s", got.UserID, diff)
		}
	}
}

// testListMembersFollowsUserChanges checks that the list sorts and searches
// by the user's current name and last login.
func testListMembersFollowsUserChanges(t *testing.T, s roster.Store) {
	a := NewAccount(t, s, "Acme", "bigeye")
	b := NewAccount(t, s, "Beta", "bigeye")
	u := NewUser(t, s, "Zed Zulu", "")
	NewMember(t, s, a, u, "User", roster.StatusActive)
	NewMember(t, s, b, u, "User", roster.StatusActive)
	other := NewUserMember(t, s, a, "Mia Middle", "User", roster.StatusActive)
	login := T0.Add(time.Hour)
	Write(t, s, "", func(tx roster.Tx) error {
		if err := tx.SetUserName(u.ID, "Abe Alpha-Beta"); err != nil {
			return err
		}
		return tx.SetLastLogin(u.ID, login)
	})
	for _, acct := range []string{a.ID, b.ID} {
		for q, want := range map[string]int{"zed": 0, "zulu": 0, "abe": 1, "beta": 1, "alpha-b": 1, "abe a": 1} {
			if got := listIDs(t, s, acct, roster.MemberFilter{Query: q, Limit: 10}); len(got) != want {
				t.Errorf("account %s: search %q after rename found %v, want %d member(s)", acct, q, got, want)
			}
		}
	}
	got := listIDs(t, s, a.ID, roster.MemberFilter{Sort: roster.SortName, Limit: 10})
	if want := []string{u.ID, other.UserID}; !gocmp.Equal(got, want) {
		t.Errorf("sorted by name after rename = %v, want %v", got, want)
	}
	got = listIDs(t, s, a.ID, roster.MemberFilter{Sort: roster.SortLastLogin, Desc: true, Limit: 1})
	if want := []string{u.ID, other.UserID}; !gocmp.Equal(got, want) {
		t.Errorf("sorted by last login, newest first, after a login = %v, want %v", got, want)
	}
	m := member(t, s, b.ID, u.ID)
	if m.Name != "Abe Alpha-Beta" || m.LastLoginAt == nil || !m.LastLoginAt.Equal(login) {
		t.Errorf("Member after rename and login: name %q, last login %v; want %q, %v", m.Name, m.LastLoginAt, "Abe Alpha-Beta", login)
	}
}
