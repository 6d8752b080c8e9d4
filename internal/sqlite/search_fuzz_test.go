package sqlite

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/storetest"
)

// FuzzSearch: whatever the names (one a line) and the query, a search
// lists exactly the members roster.MatchesQuery matches, in every order,
// paged (storetest.CheckSearches).
func FuzzSearch(f *testing.F) {
	for _, seed := range [][2]string{
		{"Dana Dev\nDana Smith\nDev Dana", "dana d"},
		{"प्रिया पटेल\nपूजा राय", "प्रि"},
		{"Mary-Jane O'Brien\nZoë Ångström", "ång"},
		{"Sara می\u200cخواهم\nJose\u0301 Ruiz", "می\u200cخ"},
		{"a a a\nA\naa", "a"},
		// Names read by their lead (searchplan.ByLeads): two words of one
		// name under the partner, a longer lead, a lead with a hyphen,
		// the words in the other order.
		{"Dana Dev1\nDana Dev10 Dev1x\nDanae Dev1\nDana-Jo Dev1 Kim\nDev1 Dana", "dana dev1"},
	} {
		f.Add(seed[0], seed[1])
	}
	s := open(f)
	f.Fuzz(func(t *testing.T, names, query string) {
		// What the app lets through: a valid name, a valid query.
		if !utf8.ValidString(query) || utf8.RuneCountInString(query) > roster.MaxQueryLen {
			return
		}
		a := storetest.NewAccount(t, s, "Acme", "bizmetry")
		var members []*roster.Member
		for i, line := range strings.Split(names, "\n") {
			if i == 6 {
				break
			}
			name, err := roster.ValidateName("name", line)
			if err != nil {
				continue
			}
			members = append(members, storetest.NewUserMember(t, s, a, name, "Developer", roster.StatusActive))
		}
		storetest.CheckSearches(t, s, a.ID, members, []string{query}, 2)
	})
}
