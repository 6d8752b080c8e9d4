// Package searchplan chooses how a store reads a page of a member search
// (roster.MatchesQuery), from a few capped index reads that the store
// makes in its own SQL. Both stores decide the same way.
//
// A search takes one of three shapes:
//
//   - MergeRuns, in name order when the query's most selective word starts
//     at most MaxRuns distinct name words and fewer than MaxSorted emails
//     start with the query. member_words holds each member's name_key with
//     each word, so the members with one word are a range of its primary
//     key in name order: the page is the merge of those ranges, each read
//     from the cursor and at most a page long, and of the sorted email
//     matches.
//   - SortMatches, when fewer than MaxSorted members can match: read them
//     all from index ranges, then sort.
//   - WalkOrder, when many can: walk the order's index from the cursor,
//     testing each member, which finds a page of matches soon when they
//     are not all at its end.
//
// Words of the query other than the one whose matches are read (the
// driver) are tested on each candidate: first whether its name_key
// contains the word at all (a word of the name is part of its name_key),
// then, for the few that do, an index probe of member_words_by_member.
//
// A query of two words or more that starts two words of the same name
// ("dana dev1") is answered from member_words' pairs when they are few:
// member_words holds, besides each word of a name of at most MaxPairWords
// words, each pair of them (PairKey), so the members with a word starting
// "dana" and another starting "dev1" are a few ranges of pairs, one for
// each distinct word "dana" starts, read and sorted (SortMatches; in name
// order, by the name_key the pairs hold, so that only the page's members
// are looked up). Names of more words are marked instead (ManyWords) and
// tested one by one.
// Without the pairs, the rarer word's matches were read and the other word
// tested on each: 1,500 Danas read at 100,000 members for the 78 Dana
// Dev1s, in name order, and more for "dana smith".
//
// So a page reads what the page, MaxRuns and MaxSorted bound, except where
// the candidates read in order mostly fail the other words or the
// filters: a merged run is read until a page of its members passes (a
// rare role, all of the run).
package searchplan

import (
	"slices"
	"strings"

	"github.com/rosterhq/roster"
)

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
	// MaxPairWords is how many words a name may have for member_words to
	// hold its pairs: a name of n words has n(n-1)/2, so at most 10.
	MaxPairWords = 5
)

// ManyWords is member_words' key of a name of more than MaxPairWords
// words, whose pairs it does not hold. Words are letters and digits, so
// no word starts with it, and it sorts before every pair.
const ManyWords = "*"

// PairKey returns member_words' key of a pair of a name's words, a < b:
// "*a b". The pairs of a word are a range of such keys, in order of the
// other word, which no word's range contains.
func PairKey(a, b string) string { return ManyWords + a + " " + b }

// IndexWords returns the keys member_words holds for a name: its words
// (roster.SearchWords), and the pairs of its words (PairKey) or, for a
// name of more than MaxPairWords words, ManyWords.
func IndexWords(name string) []string {
	words := roster.SearchWords(name)
	if len(words) > MaxPairWords {
		return append(words, ManyWords)
	}
	sorted := slices.Sorted(slices.Values(words))
	keys := words
	for i, a := range sorted {
		for _, b := range sorted[i+1:] {
			keys = append(keys, PairKey(a, b))
		}
	}
	return keys
}

// FirstWord returns the index in words of the word whose distinct name
// words Runs reads in full (up to MaxRuns+1): the lesser of the query's
// Pair, whose pairs it counts, or else the first.
func FirstWord(words []string) int {
	if lo, _, ok := Pair(words); ok {
		return lo
	}
	return 0
}

// Pair returns the indexes in words of the first two words that the pairs
// can find members by, lo the lesser: two words of which neither starts
// the other, which only two different words of a name can start. Every
// name word that words[lo] starts is then less than every one words[hi]
// starts, so the pair of two such words of a name is keyed from the
// first: PairKey(run, ...), a key that starts PairKey(run, words[hi]),
// for each run, a name word that words[lo] starts. ok is false when the
// query has no such two words.
func Pair(words []string) (lo, hi int, ok bool) {
	for i, a := range words {
		for j := i + 1; j < len(words); j++ {
			b := words[j]
			if strings.HasPrefix(a, b) || strings.HasPrefix(b, a) {
				continue
			}
			if a < b {
				return i, j, true
			}
			return j, i, true
		}
	}
	return -1, -1, false
}

// ByRuns decides a search in name order from, for each query word, the
// distinct name words it starts (up to MaxRuns+1 of them), and from the
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

// Plan is what a search's planning decided.
type Plan struct {
	Shape Shape
	// Driver is the index in the query's words of the word whose matches
	// are read; -1 when no name matches every word.
	Driver int
	// Partner is, for SortMatches by pairs, the index in the query's
	// words of the other word of the pairs read (see Pair); -1 otherwise.
	Partner int
	// Runs are, for MergeRuns and SortMatches by pairs, the name words
	// that the driver starts.
	Runs []string
	// Emails is whether some email starts with the query.
	Emails bool
}

// Runs are the planning reads that find, for each word of a query, the
// distinct name words it starts, up to MaxRuns+1 of them for the query's
// FirstWord and, for the others, up to one more than it starts (enough to
// know the word that starts fewest, ByRuns' driver, and all of its); the
// number of
// emails that start with the query, up to MaxSorted; and, for a query with
// a Pair(words), the number of keys of member_words in the ranges of that
// pair, PairKey(run, words[hi]) for each run of words[lo] when there are
// at most MaxRuns, and the ManyWords keys, up to MaxSorted in all (any
// number when there are more runs: Decide does not look).
type Runs struct {
	Words  [][]string
	Emails int
	Pairs  int
}

// ByPairs decides a search from its Runs when its Pair(words) find few
// members: those of pairs, and of names too long for pairs, and of emails
// are fewer than MaxSorted, and read and sorted. ok is false when the
// query has no pair, or words[lo] starts more than MaxRuns words, or more
// members match.
func ByPairs(words []string, r Runs) (p Plan, ok bool) {
	lo, hi, ok := Pair(words)
	if !ok || len(r.Words[lo]) == 0 || len(r.Words[lo]) > MaxRuns || r.Pairs+r.Emails >= MaxSorted {
		return Plan{}, false
	}
	switch {
	case r.Pairs == 0 && r.Emails == 0:
		return Plan{Shape: NoMatches, Driver: -1, Partner: -1}, true
	case r.Pairs == 0:
		return Plan{Shape: SortMatches, Driver: -1, Partner: -1, Emails: true}, true
	}
	return Plan{Shape: SortMatches, Driver: lo, Partner: hi, Runs: r.Words[lo], Emails: r.Emails > 0}, true
}

// Decide plans a search of words, with the store's planning reads: runs
// (read for the name order, or for a query with a Pair; ByPairs' and
// ByRuns' inputs) and, when those decide nothing or the order is another,
// counts (ByCounts' inputs).
func Decide(words []string, byName bool,
	runs func() (Runs, error), counts func() ([]int, int, error)) (Plan, error) {
	if _, _, pairs := Pair(words); byName || pairs {
		r, err := runs()
		if err != nil {
			return Plan{}, err
		}
		if p, ok := ByPairs(words, r); ok {
			return p, nil
		}
		if shape, driver, ok := ByRuns(words, r.Words, r.Emails); ok && (byName || shape == NoMatches) {
			p := Plan{Shape: shape, Driver: driver, Partner: -1, Emails: r.Emails > 0}
			if shape == MergeRuns && driver >= 0 {
				p.Runs = r.Words[driver]
			}
			return p, nil
		}
	}
	c, emails, err := counts()
	if err != nil {
		return Plan{}, err
	}
	shape, driver := ByCounts(c, emails)
	return Plan{Shape: shape, Driver: driver, Partner: -1, Emails: emails > 0}, nil
}
