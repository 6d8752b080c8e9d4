package searchplan

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rosterhq/roster"
)

func runsOf(n int) []string { return strings.Fields(strings.Repeat("w ", n)) }

func TestByRuns(t *testing.T) {
	for _, tc := range []struct {
		name   string
		words  []string
		runs   [][]string
		emails int
		shape  Shape
		driver int
		ok     bool
	}{
		{"nothing matches", []string{"zzz"}, [][]string{nil}, 0, NoMatches, -1, true},
		{"emails only", []string{"zzz"}, [][]string{nil}, 3, MergeRuns, -1, true},
		{"one word, few runs", []string{"dana"}, [][]string{runsOf(1)}, 0, MergeRuns, 0, true},
		{"fewest runs drive", []string{"d", "dev1"}, [][]string{runsOf(MaxRuns + 1), runsOf(3)}, 0, MergeRuns, 1, true},
		{"ties go to the longer word", []string{"ab", "abc"}, [][]string{runsOf(2), runsOf(2)}, 0, MergeRuns, 1, true},
		{"too many runs", []string{"d"}, [][]string{runsOf(MaxRuns + 1)}, 0, 0, 0, false},
		{"too many emails", []string{"user"}, [][]string{runsOf(1)}, MaxSorted, 0, 0, false},
		{"a word no name has", []string{"dana", "zzz"}, [][]string{runsOf(1), nil}, 0, NoMatches, -1, true},
	} {
		shape, driver, ok := ByRuns(tc.words, tc.runs, tc.emails)
		if ok != tc.ok || ok && (shape != tc.shape || driver != tc.driver) {
			t.Errorf("%s: ByRuns = %v, %d, %v; want %v, %d, %v", tc.name, shape, driver, ok, tc.shape, tc.driver, tc.ok)
		}
	}
}

func TestByCounts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		counts []int
		emails int
		shape  Shape
		driver int
	}{
		{"nothing matches", []int{0}, 0, NoMatches, -1},
		{"few matches", []int{5000, 12}, 0, SortMatches, 1},
		{"emails and names add up", []int{600}, 500, WalkOrder, 0},
		{"many matches", []int{MaxSorted}, 0, WalkOrder, 0},
		{"emails only", []int{0}, 10, SortMatches, -1},
		{"no words", nil, 10, SortMatches, -1},
	} {
		shape, driver := ByCounts(tc.counts, tc.emails)
		if shape != tc.shape || driver != tc.driver {
			t.Errorf("%s: ByCounts = %v, %d; want %v, %d", tc.name, shape, driver, tc.shape, tc.driver)
		}
	}
}

func TestIndexWords(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"Dana Dev123", []string{"dana", "dev123", "*dana dev123"}},
		{"Zed Ann-Marie", []string{"zed", "ann", "marie", "*ann marie", "*ann zed", "*marie zed"}},
		{"Bo Bo", []string{"bo"}},
		{"Cher", []string{"cher"}},
		{"", nil},
		{"a b c d e", []string{"a", "b", "c", "d", "e", "*a b", "*a c", "*a d", "*a e", "*b c", "*b d", "*b e", "*c d", "*c e", "*d e"}},
		{"a b c d e f", []string{"a", "b", "c", "d", "e", "f", ManyWords}},
	} {
		if got := IndexWords(tc.name); !reflect.DeepEqual(got, tc.want) && len(got)+len(tc.want) > 0 {
			t.Errorf("IndexWords(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestPair(t *testing.T) {
	for _, tc := range []struct {
		words  []string
		lo, hi int
		ok     bool
	}{
		{[]string{"dana", "dev1"}, 0, 1, true},
		{[]string{"smith", "dana"}, 1, 0, true},
		{[]string{"dan", "dana", "dev"}, 0, 2, true}, // "dan" starts "dana": both could be one word
		{[]string{"dan", "dana"}, -1, -1, false},
		{[]string{"dana"}, -1, -1, false},
		{nil, -1, -1, false},
	} {
		lo, hi, ok := Pair(tc.words)
		if lo != tc.lo || hi != tc.hi || ok != tc.ok {
			t.Errorf("Pair(%q) = %d, %d, %v; want %d, %d, %v", tc.words, lo, hi, ok, tc.lo, tc.hi, tc.ok)
		}
	}
}

// TestPairsFindEveryMatch checks the claim the pairs rest on: for every
// query of two words and every name, the name matches both words when,
// and only when, the name's index words hold a key in one of the pair's
// ranges (one for each of its words that the lesser query word starts),
// or ManyWords.
func TestPairsFindEveryMatch(t *testing.T) {
	names := []string{"Dana Dev1", "Dev10 Dana", "Dana Danae Dev", "Ann Marie Zed", "Bo Bo", "Dana",
		"Dana Smith Dev1 Jo Ann", "a b c d e f", "Deva Dana", "Anna-Dev Dan"}
	queries := [][]string{{"dana", "dev1"}, {"dev1", "dana"}, {"dan", "dev"}, {"ann", "zed"}, {"bo", "b"}, {"a", "f"},
		{"jo", "smith"}, {"d", "de"}, {"dana", "zzz"}, {"dev", "ann"}}
	for _, name := range names {
		keys := IndexWords(name)
		nameWords := roster.SearchWords(name)
		for _, q := range queries {
			lo, hi, ok := Pair(q)
			if !ok {
				continue
			}
			want := roster.MatchesQuery("nobody@example.test", name, strings.Join(q, " "))
			got := slices.Contains(keys, ManyWords)
			for _, w := range nameWords {
				if !strings.HasPrefix(w, q[lo]) {
					continue
				}
				from := PairKey(w, q[hi])
				for _, k := range keys {
					got = got || strings.HasPrefix(k, from)
				}
			}
			if got != want && !slices.Contains(keys, ManyWords) {
				t.Errorf("name %q, query %q: found by pairs %v, matches %v", name, q, got, want)
			}
		}
	}
}

func TestByPairs(t *testing.T) {
	one := [][]string{runsOf(1), runsOf(1)}
	for _, tc := range []struct {
		name  string
		words []string
		r     Runs
		want  Plan
		ok    bool
	}{
		{"few pairs", []string{"dana", "dev1"}, Runs{one, 0, 78}, Plan{Shape: SortMatches, Driver: 0, Partner: 1, Runs: runsOf(1)}, true},
		{"the lesser word drives", []string{"dev1", "dana"}, Runs{one, 2, 78}, Plan{Shape: SortMatches, Driver: 1, Partner: 0, Runs: runsOf(1), Emails: true}, true},
		{"no pair, no email", []string{"dana", "zzz"}, Runs{[][]string{runsOf(1), runsOf(2)}, 0, 0}, Plan{Shape: NoMatches, Driver: -1, Partner: -1}, true},
		{"no pair, emails", []string{"dana", "zzz"}, Runs{[][]string{runsOf(1), runsOf(2)}, 3, 0}, Plan{Shape: SortMatches, Driver: -1, Partner: -1, Emails: true}, true},
		{"too many pairs", []string{"dana", "dev"}, Runs{one, 0, MaxSorted}, Plan{}, false},
		{"pairs and emails too many", []string{"dana", "dev"}, Runs{one, 500, 500}, Plan{}, false},
		{"too many runs", []string{"d", "smith"}, Runs{[][]string{runsOf(MaxRuns + 1), runsOf(1)}, 0, 5}, Plan{}, false},
		{"no runs", []string{"zzz", "zzza"}, Runs{[][]string{nil, nil}, 0, 0}, Plan{}, false},
		{"one word", []string{"dana"}, Runs{[][]string{runsOf(1)}, 0, 0}, Plan{}, false},
	} {
		got, ok := ByPairs(tc.words, tc.r)
		if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: ByPairs = %+v, %v; want %+v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestDecide(t *testing.T) {
	read := 0
	runs := func(r [][]string, emails int, pairs ...int) func() (Runs, error) {
		return func() (Runs, error) {
			read++
			p := 0
			if len(pairs) > 0 {
				p = pairs[0]
			}
			return Runs{r, emails, p}, nil
		}
	}
	counts := func(c []int, emails int) func() ([]int, int, error) {
		return func() ([]int, int, error) { read += 10; return c, emails, nil }
	}
	for _, tc := range []struct {
		name   string
		words  []string
		byName bool
		runs   func() (Runs, error)
		counts func() ([]int, int, error)
		want   Plan
		read   int // 1: the runs were read, 10: the counts, 11: both
	}{
		{"merged in name order", []string{"dana"}, true, runs([][]string{{"dana", "danae"}}, 2), counts(nil, 0),
			Plan{Shape: MergeRuns, Driver: 0, Partner: -1, Runs: []string{"dana", "danae"}, Emails: true}, 1},
		{"too many runs: counted", []string{"d"}, true, runs([][]string{runsOf(MaxRuns + 1)}, 0), counts([]int{20}, 0),
			Plan{Shape: SortMatches, Driver: 0, Partner: -1}, 11},
		{"another order: counted only", []string{"dana"}, false, runs(nil, 0), counts([]int{5000}, 0),
			Plan{Shape: WalkOrder, Driver: 0, Partner: -1}, 10},
		{"nobody", []string{"zzz"}, true, runs([][]string{nil}, 0), counts(nil, 0),
			Plan{Shape: NoMatches, Driver: -1, Partner: -1}, 1},
		{"two words by pairs", []string{"dana", "dev1"}, true, runs([][]string{{"dana"}, runsOf(MaxRuns + 1)}, 0, 78), counts(nil, 0),
			Plan{Shape: SortMatches, Driver: 0, Partner: 1, Runs: []string{"dana"}}, 1},
		{"two words by pairs in another order", []string{"dana", "dev1"}, false, runs([][]string{{"dana"}, runsOf(MaxRuns + 1)}, 0, 78), counts(nil, 0),
			Plan{Shape: SortMatches, Driver: 0, Partner: 1, Runs: []string{"dana"}}, 1},
		{"too many pairs: merged", []string{"dana", "d"}, true, runs([][]string{{"dana"}, runsOf(MaxRuns + 1)}, 0, MaxSorted), counts(nil, 0),
			Plan{Shape: MergeRuns, Driver: 0, Partner: -1, Runs: []string{"dana"}}, 1},
		{"too many pairs in another order: counted", []string{"dana", "dev"}, false, runs([][]string{{"dana"}, {"dev"}}, 0, MaxSorted), counts([]int{7000, 9000}, 0),
			Plan{Shape: WalkOrder, Driver: 0, Partner: -1}, 11},
		{"a word no name has, in another order", []string{"dana", "zzz"}, false, runs([][]string{{"dana"}, nil}, 0), counts(nil, 0),
			Plan{Shape: NoMatches, Driver: -1, Partner: -1}, 1},
	} {
		read = 0
		got, err := Decide(tc.words, tc.byName, tc.runs, tc.counts)
		if err != nil || !reflect.DeepEqual(got, tc.want) || read != tc.read {
			t.Errorf("%s: Decide = %+v, %v (reads %d); want %+v (reads %d)", tc.name, got, err, read, tc.want, tc.read)
		}
	}
	boom := errors.New("boom")
	if _, err := Decide([]string{"a"}, true, func() (Runs, error) { return Runs{}, boom }, counts(nil, 0)); err != boom {
		t.Errorf("Decide with a failing read: %v, want %v", err, boom)
	}
}
