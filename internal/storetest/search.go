package storetest

import (
	"fmt"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/rosterhq/roster"
)

// ExpectedIDs returns the ids of the members of population that
// ListMembers must return for f, in order, paging aside: those that match
// its query (roster.MatchesQuery), role and status, in its order.
func ExpectedIDs(population []*roster.Member, f roster.MemberFilter) []string {
	return expectedIDs(population, f)
}

// ListIDs pages through the member list with f's limit, passing each cursor
// through its encoded form as a client would, and returns the ids of every
// member listed. It fails the test if a page breaks the paging contract.
func ListIDs(t *testing.T, s roster.Store, account string, f roster.MemberFilter) []string {
	t.Helper()
	return listIDs(t, s, account, f)
}

// CheckSearches compares the member list of account, for each query in
// every order and direction, paged with limit, with what ExpectedIDs says
// of population, all of the account's members.
func CheckSearches(t *testing.T, s roster.Store, account string, population []*roster.Member, queries []string, limit int) {
	t.Helper()
	for _, q := range queries {
		for _, sort := range allSorts {
			for _, desc := range []bool{false, true} {
				f := roster.MemberFilter{Query: q, Sort: sort, Desc: desc, Limit: limit}
				if diff := gocmp.Diff(ExpectedIDs(population, f), ListIDs(t, s, account, f)); diff != "" {
					t.Errorf("ListMembers(q=%q sort=%s desc=%v limit=%d) (-want +got):\n%s", q, sort, desc, limit, diff)
				}
			}
		}
	}
}

// testListMembersSearchShapes checks searches that a store may answer in
// different ways depending on what they match: a prefix that starts more
// distinct words of names than a store would merge in name order ("kx"),
// one that starts a few ("kx1"), several words of the query, a name with
// two words under one prefix, matches by email alone or by both email and
// name, ties between equal names; in every order, both directions, with
// the filters, and from cursors inside runs of matches. Then names change,
// which moves members between words and places in the order.
func testListMembersSearchShapes(t *testing.T, s roster.Store) {
	a := NewAccount(t, s, "Acme", "bizmetry")
	// Another account with the same names and emails: never listed.
	other := NewAccount(t, s, "Other", "bizmetry")

	var people []person
	for i := range 45 {
		people = append(people, person{fmt.Sprintf("Kai Kx%02d", i), ""})
		if i%9 == 0 {
			// The same name in another case: the same sort key.
			people = append(people, person{fmt.Sprintf("kai kx%02d", i), ""})
		}
	}
	people = append(people,
		person{"Kxa Kxb Kai", ""},   // two words under "kx", and one under "kxa"
		person{"Kai Kx41 Kx42", ""}, // two words under "kx4", between others
		person{"Kai Akx1", ""},      // "kx1" inside a word, not at its start
		person{"Kim Kxa", ""},
		person{"Zed Kx1", "zed@kx.test"},
		person{"Ann-Kx Ng", ""},
		person{"Lee Lane", "kx.lee@example.test"}, // by email only
		person{"Max Moe", "KXM@example.test"},     // by email only, in capitals
		person{"Kx Kxm", "kxm2@example.test"},     // by both
		person{"Bo Bo", ""},
		person{"Kx7 Ann Bo Lee Mo", ""}, // names of five and six words
		person{"Kai Kx1 Ann Bo Lee Mo", ""},
		// Words written with marks and joiners (roster.SearchWords).
		person{"प्रिया पटेल", ""},
		person{"पूजा राय", ""},
		person{"Sara می\u200cخواهم", ""},
		// Names whose key does not begin with their first word, which the
		// stores then index as they do the others (roster.IndexedWords).
		person{"(Kai) Paren", ""},
		person{"Kai\U0010FFFF Kxz", ""},
		person{"Kxq Kxq", ""}, // the first word again
	)
	pop := searchPopulation(t, s, a, people)
	searchPopulation(t, s, other, people)

	queries := []string{
		"kx", "kx1", "kx0", "kx4", "kai kx1", "kx1 kai", "kx kai", "kai kx", "kxa kxb", "kxb", "kxa",
		"kai", "k", "kx.", "kxm", "KXM", "ann kx", "ng ann", "kx lee", "zzz", "kai zzz", "kx1 zzz",
		// Several words: in any order, of which one starts another (one
		// name word may match both), by name and email both.
		"kx7 mo", "mo kai", "lee kx1 kai", "kxa kai kx", "kx kxa", "bo b", "kx.lee", "ann bo lee mo kx",
		"प्रि", "र", "प", "पटेल प्रि", "می\u200cخ", "خ", "sara می",
		"paren kai", "kxz kai", "kxq",
	}
	check := func(when string, pop []*roster.Member) {
		t.Helper()
		for _, q := range queries {
			for _, sort := range allSorts {
				for _, desc := range []bool{false, true} {
					f := roster.MemberFilter{Query: q, Sort: sort, Desc: desc, Limit: 3}
					if q == "kx1" || q == "kai kx1" {
						f.Limit = 1
					}
					got := listIDs(t, s, a.ID, f)
					if diff := gocmp.Diff(ExpectedIDs(pop, f), got); diff != "" {
						t.Errorf("%s: ListMembers(q=%q sort=%s desc=%v limit=%d) (-want +got):\n%s", when, q, sort, desc, f.Limit, diff)
					}
				}
			}
		}
		for _, q := range []string{"kx", "kx1", "kai kx", "kxm"} {
			for _, role := range []string{"", "Developer"} {
				for _, status := range []roster.Status{"", roster.StatusActive} {
					f := roster.MemberFilter{Query: q, Role: role, RoleOrder: roleOrder(a.Catalog, role), Status: status, Desc: q == "kx1", Limit: 2}
					got := listIDs(t, s, a.ID, f)
					if diff := gocmp.Diff(ExpectedIDs(pop, f), got); diff != "" {
						t.Errorf("%s: ListMembers(q=%q role=%q status=%q desc=%v) (-want +got):\n%s", when, q, role, status, f.Desc, diff)
					}
				}
			}
		}
	}
	check("as created", pop)

	renames := map[string]string{
		"Kai Kx05":              "Kx99 Zed",              // from kx05 to a new word, and to the end of the name order
		"Kai Kx30":              "Aaron Kx1",             // into kx1's run, and to the start
		"Kim Kxa":               "Kim Lo",                // out of every "kx"
		"Ann-Kx Ng":             "Kx Lane",               // still under "kx", no longer "ann"
		"Bo Bo":                 "Bo Kx2 Ann Lee Mo Zed", // more words
		"Kai Kx1 Ann Bo Lee Mo": "Mo Kx3",                // fewer
	}
	Write(t, s, "", func(tx roster.Tx) error {
		for _, m := range pop {
			if name, ok := renames[m.Name]; ok {
				if err := tx.SetUserName(m.UserID, name); err != nil {
					return err
				}
			}
		}
		return nil
	})
	for i, m := range pop {
		if _, ok := renames[m.Name]; ok {
			pop[i] = member(t, s, a.ID, m.UserID)
		}
	}
	check("after renames", pop)
}

// person is the name and email (or "") of a member searchPopulation creates.
type person struct{ name, email string }

// searchPopulation creates members of a with the given names and emails
// ("" for one of its own), roles, statuses and last logins taken in turn,
// and returns them as Member reads them back.
func searchPopulation(t *testing.T, s roster.Store, a *roster.Account, people []person) []*roster.Member {
	t.Helper()
	roles := a.Catalog.Roles
	statuses := []roster.Status{roster.StatusActive, roster.StatusPending, roster.StatusDisabled, roster.StatusActive}
	logins := []*time.Time{nil, ptr(T0.Add(-time.Hour)), ptr(T0.Add(-time.Hour)), ptr(T0.Add(time.Minute))}
	members := make([]*roster.Member, len(people))
	Write(t, s, a.ID, func(tx roster.Tx) error {
		for i, p := range people {
			email := fmt.Sprintf("p%03d.%s@example.test", i, a.ID)
			if p.email != "" {
				email = fmt.Sprintf("%s.%s", p.email, a.ID)
			}
			u := &roster.User{ID: NewID("user"), Email: email, Name: p.name, LastLoginAt: logins[i%len(logins)], CreatedAt: T0}
			if err := tx.CreateUser(u); err != nil {
				return err
			}
			role := roles[i%len(roles)].Name
			m := &roster.Member{AccountID: a.ID, UserID: u.ID, Role: role, RoleOrder: RoleOrder(t, a.Catalog, role),
				Status: statuses[i%len(statuses)], InvitedAt: ptr(T0)}
			if err := tx.CreateMember(m); err != nil {
				return err
			}
			members[i] = m
		}
		return nil
	})
	out := make([]*roster.Member, len(members))
	for i, m := range members {
		out[i] = member(t, s, a.ID, m.UserID)
	}
	return out
}

// MembersByID reads the account's members with these user ids one by one
// (Member, not the list), as the population CheckSearches compares the
// list with.
func MembersByID(t *testing.T, s roster.Store, account string, ids []string) []*roster.Member {
	t.Helper()
	out := make([]*roster.Member, 0, len(ids))
	Read(t, s, func(tx roster.Tx) error {
		for _, id := range ids {
			m, err := tx.Member(account, id)
			if err != nil {
				return fmt.Errorf("member %s: %w", id, err)
			}
			out = append(out, m)
		}
		return nil
	})
	return out
}

// testListMembersSearchAfterChanges checks that a search asked again after
// the members changed finds what changed, when the change alters what the
// search matches by: a later word of a name as well as first names, one
// more word that a prefix starts, a name where only emails matched, a match
// where there was none, and a word that no longer matches. A store may
// answer a search again the way it answered it before (the PostgreSQL
// store guesses so); it must still answer it for the members as they are.
func testListMembersSearchAfterChanges(t *testing.T, s roster.Store) {
	a := NewAccount(t, s, "Acme", "bizmetry")
	pop := searchPopulation(t, s, a, []person{
		{"Dana Able", "da1"}, {"Dana Baker", "da2"}, // "dana": first names only
		{"Bo Oriel", "bo1"}, {"Bo Orion", "bo2"}, // "ori": two later words
		{"Lee Lane", "mx.one"}, // "mx": an email only
	})
	queries := []string{"dana", "ori", "mx", "mx.", "quinn", "orio", "bo ori"}
	check := func(when string) {
		t.Helper()
		for _, q := range queries {
			for _, sort := range allSorts {
				for _, desc := range []bool{false, true} {
					for _, limit := range []int{1, 10} {
						f := roster.MemberFilter{Query: q, Sort: sort, Desc: desc, Limit: limit}
						if diff := gocmp.Diff(ExpectedIDs(pop, f), listIDs(t, s, a.ID, f)); diff != "" {
							t.Errorf("%s: ListMembers(q=%q sort=%s desc=%v limit=%d) (-want +got):\n%s", when, q, sort, desc, limit, diff)
						}
					}
				}
			}
		}
	}
	check("as created")
	pop = append(pop, searchPopulation(t, s, a, []person{
		{"Devon Dana", "de1"},  // a later word: "dana" matches more than first names
		{"Cy Oriana", "cy1"},   // a third word under "ori"
		{"Mx Vu", "vu1"},       // a name under "mx", where only an email was
		{"Ann Quinn", "an1"},   // "quinn" matched nobody
		{"Orio Orion", "or1"},  // a first name under "ori" and "orio"
		{"Kim Kent", "mx.two"}, // another email under "mx"
	})...)
	check("after new members")
	Write(t, s, "", func(tx roster.Tx) error {
		for _, m := range pop {
			switch m.Name {
			case "Bo Orion":
				if err := tx.SetUserName(m.UserID, "Bo Zed"); err != nil {
					return err
				}
			case "Lee Lane":
				if err := tx.SetUserName(m.UserID, "Mx Lane"); err != nil {
					return err
				}
			}
		}
		return nil
	})
	for i, m := range pop {
		pop[i] = member(t, s, a.ID, m.UserID)
	}
	check("after renames")
}
