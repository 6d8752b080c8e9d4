package postgres

import (
	"regexp"
	"slices"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/storetest"
)

// TestPlanningStatementTexts checks that each planning statement's text is
// its search's shape's (storetest.CheckPlanningTexts), gated or not, and
// the order of its values.
func TestPlanningStatementTexts(t *testing.T) {
	searchOf := func(q string) *search { return &search{query: q, words: roster.SearchWords(q)} }
	placeholder := regexp.MustCompile(`\$(\d+)`)
	for _, gate := range []int64{-1, 7} {
		storetest.CheckPlanningTexts(t, placeholder,
			func(account, query string) (string, []any) { return runsQuery(account, searchOf(query), gate) },
			func(account, query string) (string, []any) { return countsQuery(account, searchOf(query), gate) })
	}
	// The values in the order of their numbers: the account, each word's
	// range, the emails', the gate.
	_, args := runsQuery("acct", searchOf("dana dev1"), 7)
	want := []any{"acct", "dana", "dana" + prefixEnd, "dev1", "dev1" + prefixEnd, "dana dev1", "dana dev1" + prefixEnd, int64(7)}
	if !slices.Equal(args, want) {
		t.Errorf("values %v, want %v", args, want)
	}
	// Other shapes: no email can start with the query; not gated.
	q0, _ := runsQuery("acct", searchOf("dana dev1"), 7)
	for _, other := range []struct {
		query string
		gate  int64
	}{{"dana dev1\xff", 7}, {"dana dev1", -1}} {
		if q, _ := runsQuery("acct", searchOf(other.query), other.gate); q == q0 {
			t.Errorf("%q gate %d: the text of \"dana dev1\" gated:\n%s", other.query, other.gate, q)
		}
	}
}
