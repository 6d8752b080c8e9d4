package storetest

import (
	"regexp"
	"slices"
	"strconv"
	"testing"
)

// CheckPlanningTexts checks that a store's planning statements (made by
// runs, the statement that reads each word's runs and pairs, and counts,
// for a search of an account) have their search's shape's text: the
// searches of a shape share one, which the database prepares once for all
// of them, their values its arguments, one for each of its placeholders
// (numbers that placeholder finds); a search of another shape, which the
// statement reads differently, has another (searchplan.Layout).
func CheckPlanningTexts(t *testing.T, placeholder *regexp.Regexp, runs, counts func(account, query string) (string, []any)) {
	t.Helper()
	for _, st := range []struct {
		name      string
		statement func(account, query string) (string, []any)
	}{{"runs", runs}, {"counts", counts}} {
		// Of one shape each: as many words (five are more than
		// searchplan.Texts keeps), the longest at the same place,
		// paired alike; or no words.
		for _, same := range [][2]string{
			{"dana dev1", "alex smi3"},
			{"dana", "zed"},
			{"kim alexa jones", "bob dev1x smith"},
			{"a b c d", "e f g h"},
			{"a b c d e", "f g h i j"},
			{"@", "@.-"},
		} {
			q1, args1 := st.statement("acct-1", same[0])
			q2, args2 := st.statement("acct-2", same[1])
			if q1 != q2 {
				t.Errorf("%s: %q and %q have different texts:\n%s\n%s", st.name, same[0], same[1], q1, q2)
			}
			if slices.Equal(args1, args2) {
				t.Errorf("%s: %q and %q have the same values %v", st.name, same[0], same[1], args1)
			}
			// Every value has its placeholder, and no placeholder lacks
			// its value.
			var used []int
			for _, m := range placeholder.FindAllStringSubmatch(q1, -1) {
				n, _ := strconv.Atoi(m[1])
				used = append(used, n)
			}
			slices.Sort(used)
			used = slices.Compact(used)
			if len(used) != len(args1) || used[0] != 1 || used[len(used)-1] != len(args1) {
				t.Errorf("%s: %q: placeholders %v for %d values", st.name, same[0], used, len(args1))
			}
		}
	}
	// Of other shapes than "dana dev1"'s runs statement: words not paired
	// (a first word cannot start with both), the longest word second; the
	// counts statement.
	q0, _ := runs("acct", "dana dev1")
	for _, other := range []string{"dana dan", "dana dev12"} {
		if q, _ := runs("acct", other); q == q0 {
			t.Errorf("runs: %q has the text of \"dana dev1\":\n%s", other, q)
		}
	}
	for _, query := range []string{"dana", "dana dev1", "@"} {
		r, _ := runs("acct", query)
		if c, _ := counts("acct", query); c == r {
			t.Errorf("%q: the counts statement has the runs statement's text:\n%s", query, c)
		}
	}
}
