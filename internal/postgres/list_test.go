package postgres

import (
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/rosterhq/roster"
)

// TestPlanningStatementTexts checks that a planning statement's text is its
// search's shape's: the searches of a shape share one, which PostgreSQL
// prepares and plans once for all of them, their values its arguments, one
// for each of its placeholders; a search of another shape, which the
// statement reads differently, has another.
func TestPlanningStatementTexts(t *testing.T) {
	searchOf := func(q string) *search { return &search{query: q, words: roster.SearchWords(q)} }
	placeholder := regexp.MustCompile(`\$(\d+)`)
	statements := []struct {
		name string
		make func(string, *search, int64) (string, []any)
	}{{"runs", runsQuery}, {"counts", countsQuery}}
	for _, st := range statements {
		for _, gate := range []int64{-1, 7} {
			// Of one shape each: as many words, the longest at the same
			// place, paired alike, emails alike (the last two have more
			// words than planTexts holds).
			for _, same := range [][2]string{
				{"dana dev1", "alex smi3"},
				{"dana", "zed"},
				{"kim alexa jones", "bob dev1x smith"},
				{"a b c d e", "f g h i j"},
			} {
				q1, args1 := st.make("acct-1", searchOf(same[0]), gate)
				q2, args2 := st.make("acct-2", searchOf(same[1]), gate)
				if q1 != q2 {
					t.Errorf("%s gate %d: %q and %q have different texts:\n%s\n%s", st.name, gate, same[0], same[1], q1, q2)
				}
				if slices.Equal(args1, args2) {
					t.Errorf("%s gate %d: %q and %q have the same values %q", st.name, gate, same[0], same[1], args1)
				}
				// Every value has its placeholder, and no placeholder
				// lacks its value.
				var used []int
				for _, m := range placeholder.FindAllStringSubmatch(q1, -1) {
					n, _ := strconv.Atoi(m[1])
					used = append(used, n)
				}
				slices.Sort(used)
				used = slices.Compact(used)
				if len(used) != len(args1) || used[0] != 1 || used[len(used)-1] != len(args1) {
					t.Errorf("%s gate %d: %q: placeholders %v for %d values", st.name, gate, same[0], used, len(args1))
				}
			}
		}
	}
	// The values in the order of their numbers: the account, each word's
	// range, the emails', the gate.
	_, args := runsQuery("acct", searchOf("dana dev1"), 7)
	want := []any{"acct", "dana", "dana" + prefixEnd, "dev1", "dev1" + prefixEnd, "dana dev1", "dana dev1" + prefixEnd, int64(7)}
	if !slices.Equal(args, want) {
		t.Errorf("values %q, want %q", args, want)
	}
	// Searches of other shapes than "dana dev1"'s: words not paired (a
	// first word cannot start with both), the longest word second, no
	// email can start with the query, not gated.
	q0, _ := runsQuery("acct", searchOf("dana dev1"), 7)
	for _, other := range []struct {
		query string
		gate  int64
	}{{"dana dan", 7}, {"dana dev12", 7}, {"dana dev1\xff", 7}, {"dana dev1", -1}} {
		if q, _ := runsQuery("acct", searchOf(other.query), other.gate); q == q0 {
			t.Errorf("%q gate %d: the text of \"dana dev1\" gated:\n%s", other.query, other.gate, q)
		}
	}
}
