// Package searchplan chooses how a store reads a page of a member search
// (roster.MatchesQuery), from a few capped index reads that the store
// makes in its own SQL. Both stores decide the same way.
//
// A search takes one of three shapes:
//
//   - MergeRuns, in name order when the query's most selective word starts
//     at most MaxRuns distinct name words and fewer than MaxSorted emails
//     start with the query. member_words holds each member's name_key with
//     each word but the first (roster.IndexedWords), so the members with
//     one word are a range of its primary key in name order; the members
//     whose first word a query word starts are the range of the name
//     order's index that it begins, a run written "". The page is the
//     merge of those ranges, each read from the cursor and at most a page
//     long, and of the sorted email matches; when the first words are the
//     only run, it is a page of their range.
//   - SortMatches, when fewer than MaxSorted members can match: read them
//     all from index ranges, then sort.
//   - WalkOrder, when many can: walk the order's index from the cursor,
//     testing each member, which finds a page of matches soon when they
//     are not all at its end.
//
// Words of the query other than the one whose matches are read (the
// driver) are tested on each candidate: whether its name_key begins with
// the word, else whether it contains the word at all (a word of the name
// is part of its name_key) and, for the few that do, an index probe of
// member_words_by_member.
//
// So a page reads what the page, MaxRuns and MaxSorted bound, except where
// the candidates read in order mostly fail the other words or the
// filters: a merged run is read until a page of its members passes ("dana
// dev1" reads the 1,500 Danas before the first Dana Dev1 at 100,000
// members; a rare role, all of the run).
package searchplan

import "slices"

// Shape is how a search page is read.
type Shape int

// The shapes of a search.
const (
	NoMatches Shape = iota
	MergeRuns
	SortMatches
	WalkOrder
)

const (
	// MaxRuns is how many distinct name words a query word may start for
	// a search to merge their ranges.
	MaxRuns = 32
	// MaxSorted is how many matches a search may read and sort; with more,
	// walking the order's index finds a page sooner.
	MaxSorted = 1000
)

// FullRuns returns the index in words of the word whose distinct name
// words the stores read in full for ByRuns, up to MaxRuns+1 of them: the
// longest (the first of the longest), the likeliest to be rare. The other
// words' they read up to one more than that word starts, which is all
// ByRuns needs: the word that starts fewest, and all of them. A word cut
// short starts more than the full one, so it is not the driver.
func FullRuns(words []string) int {
	full := 0
	for i, w := range words {
		if len(w) > len(words[full]) {
			full = i
		}
	}
	return full
}

// ByRuns decides a search in name order from, for each query word, the
// distinct name words it starts (up to MaxRuns+1 of them for the word of
// FullRuns, up to one more than that word's for the others, and "" besides
// when it starts some name's first word; a word cut short then still
// counts at least as many as that word, and loses the tie), and from the
// number of emails that start with the query (up to MaxSorted). It returns
// the shape and the driver (the index in words of the word whose matches
// are read; -1 when no name matches every word), or ok false when the
// counts of ByCounts are needed to decide.
func ByRuns(words []string, runs [][]string, emails int) (shape Shape, driver int, ok bool) {
	driver = -1
	// Of the words with the fewest runs, the longest is likely the rarest.
	for i, r := range runs {
		if d := driver; d < 0 || len(r) < len(runs[d]) || len(r) == len(runs[d]) && len(words[i]) > len(words[d]) {
			driver = i
		}
	}
	if driver >= 0 && len(runs[driver]) == 0 {
		driver = -1
	}
	switch {
	case driver < 0 && emails == 0:
		return NoMatches, driver, true
	case (driver < 0 || len(runs[driver]) <= MaxRuns) && emails < MaxSorted:
		return MergeRuns, driver, true
	}
	return 0, driver, false
}

// ByCounts decides a search from, for each query word, the number of
// words of names it starts (capped), and the number of emails that start
// with the query (up to MaxSorted).
func ByCounts(counts []int, emails int) (shape Shape, driver int) {
	driver = -1
	for i, n := range counts {
		if driver < 0 || n < counts[driver] {
			driver = i
		}
	}
	matches := emails
	if driver >= 0 {
		if counts[driver] == 0 {
			driver = -1
		} else {
			matches += counts[driver]
		}
	}
	switch {
	case driver < 0 && emails == 0:
		return NoMatches, driver
	case matches < MaxSorted:
		return SortMatches, driver
	}
	return WalkOrder, driver
}

// LeadPage reports whether a MergeRuns search of runs reads a page of the
// range of first words alone: a query of one word, whose only run is the
// first words (""), no email matches, and no role or status filter. Any
// other search reads that range as an arm of the merge, for the keys
// alone: the query's other words are tested on the name order's index,
// without reading the rows of the members who lack them (on PostgreSQL,
// reading them made a search of two words nearly twice as slow). Filtered
// searches read the arm too, as they did the runs of member_words before.
func LeadPage(runs []string, words int, emails, filtered bool) bool {
	return len(runs) == 1 && runs[0] == "" && words == 1 && !emails && !filtered
}

// Plan is what a search's planning decided.
type Plan struct {
	Shape Shape
	// Driver is the index in the query's words of the word whose matches
	// are read; -1 when no name matches every word.
	Driver int
	// Runs are, for MergeRuns, the name words that the driver starts.
	Runs []string
	// Emails is whether some email starts with the query.
	Emails bool
}

// Equal reports whether p and q are the same plan.
func (p Plan) Equal(q Plan) bool {
	return p.Shape == q.Shape && p.Driver == q.Driver && slices.Equal(p.Runs, q.Runs) && p.Emails == q.Emails
}

// Decide plans a search of words, with the store's planning reads: runs
// (ByRuns' inputs, read only for the name order) and, when those decide
// nothing or the order is another, counts (ByCounts' inputs).
func Decide(words []string, byName bool,
	runs func() ([][]string, int, error), counts func() ([]int, int, error)) (Plan, error) {
	if byName {
		r, emails, err := runs()
		if err != nil {
			return Plan{}, err
		}
		if shape, driver, ok := ByRuns(words, r, emails); ok {
			p := Plan{Shape: shape, Driver: driver, Emails: emails > 0}
			if shape == MergeRuns && driver >= 0 {
				p.Runs = r[driver]
			}
			return p, nil
		}
	}
	c, emails, err := counts()
	if err != nil {
		return Plan{}, err
	}
	shape, driver := ByCounts(c, emails)
	return Plan{Shape: shape, Driver: driver, Emails: emails > 0}, nil
}
