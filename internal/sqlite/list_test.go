package sqlite

import (
	"regexp"
	"slices"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/storetest"
)

// TestPlanningStatementTexts checks that each planning statement's text is
// its search's shape's (storetest.CheckPlanningTexts), and the order of its
// values.
func TestPlanningStatementTexts(t *testing.T) {
	searchOf := func(q string) *search { return &search{query: q, words: roster.SearchWords(q)} }
	placeholder := regexp.MustCompile(`\?(\d+)`)
	storetest.CheckPlanningTexts(t, placeholder,
		func(account, query string) (string, []any) { return runsQuery(account, searchOf(query)) },
		func(account, query string) (string, []any) { return countsQuery(account, searchOf(query)) })
	// The values in the order of their numbers: the account, a bound, each
	// word, the query, the runs' bound.
	_, args := runsQuery("acct", searchOf("dana dev1"))
	want := []any{"acct", maxSorted, "dana", "dev1", "dana dev1", maxRuns + 1}
	if !slices.Equal(args, want) {
		t.Errorf("values %v, want %v", args, want)
	}
}
