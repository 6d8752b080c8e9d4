package searchplan

import (
	"errors"
	"reflect"
	"strings"
	"testing"
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

func TestDecide(t *testing.T) {
	read := 0
	runs := func(r [][]string, emails int) func() (*Runs, error) {
		return func() (*Runs, error) { read++; return &Runs{Words: r, Emails: emails}, nil }
	}
	// "dana dev1": Dana leads 3 names with a word starting dev1.
	paired := func(emails int, leads []string, n int) func() (*Runs, error) {
		return func() (*Runs, error) {
			read++
			return &Runs{Words: [][]string{{""}, runsOf(MaxRuns + 1)}, Emails: emails,
				Leads: Leads{Of: [][]string{leads, nil}, Pairs: [][]int{{0, n}, {0, 0}}}}, nil
		}
	}
	counts := func(c []int, emails int) func() ([]int, int, error) {
		return func() ([]int, int, error) { read += 10; return c, emails, nil }
	}
	for _, tc := range []struct {
		name   string
		words  []string
		byName bool
		runs   func() (*Runs, error)
		counts func() ([]int, int, error)
		want   Plan
		read   int // 1: the runs were read, 10: the counts, 11: both
	}{
		{"merged in name order", []string{"dana"}, true, runs([][]string{{"dana", "danae"}}, 2), counts(nil, 0),
			Plan{Shape: MergeRuns, Driver: 0, Runs: []string{"dana", "danae"}, Emails: true}, 1},
		{"too many runs: counted", []string{"d"}, true, runs([][]string{runsOf(MaxRuns + 1)}, 0), counts([]int{20}, 0),
			Plan{Shape: SortMatches, Driver: 0}, 11},
		{"another order: counted only", []string{"dana"}, false, runs(nil, 0), counts([]int{5000}, 0),
			Plan{Shape: WalkOrder, Driver: 0}, 10},
		{"nobody", []string{"zzz"}, true, runs([][]string{nil}, 0), counts(nil, 0),
			Plan{Shape: NoMatches, Driver: -1}, 1},
		{"the first words paired", []string{"dana", "dev1"}, true, paired(0, []string{"dana"}, 3), counts(nil, 0),
			Plan{Shape: MergeRuns, Driver: 0, Runs: []string{""}, Paired: true, Partner: 1, Leads: []string{"dana"}}, 1},
		{"too many pairs to sort: walked", []string{"dana", "dev1"}, true, paired(0, []string{"dana"}, MaxSorted), counts(nil, 0),
			Plan{Shape: MergeRuns, Driver: 0, Runs: []string{""}}, 1},
		{"paired, but the driver leads no name of more than one word", []string{"dana", "dev1"}, true, paired(0, nil, 0), counts(nil, 0),
			Plan{Shape: NoMatches, Driver: -1}, 1},
		{"paired, leading no name of more than one word, but emails match", []string{"dana", "dev1"}, true, paired(2, nil, 0), counts(nil, 0),
			Plan{Shape: MergeRuns, Driver: 0, Runs: []string{""}, Emails: true, Paired: true, Partner: 1}, 1},
	} {
		read = 0
		got, err := Decide(tc.words, tc.byName, tc.runs, tc.counts)
		if err != nil || !reflect.DeepEqual(got, tc.want) || read != tc.read {
			t.Errorf("%s: Decide = %+v, %v (reads %d); want %+v (reads %d)", tc.name, got, err, read, tc.want, tc.read)
		}
	}
	boom := errors.New("boom")
	if _, err := Decide([]string{"a"}, true, func() (*Runs, error) { return nil, boom }, counts(nil, 0)); err != boom {
		t.Errorf("Decide with a failing read: %v, want %v", err, boom)
	}
}

func TestByLeads(t *testing.T) {
	leads := func(of []string, pairs ...int) Leads {
		l := Leads{Of: make([][]string, len(pairs)), Pairs: make([][]int, len(pairs))}
		l.Of[0] = of
		for i := range pairs {
			l.Pairs[i] = make([]int, len(pairs))
		}
		copy(l.Pairs[0], pairs)
		return l
	}
	for _, tc := range []struct {
		name  string
		words []string
		runs  []string
		leads Leads
		want  int
	}{
		{"a partner", []string{"dana", "dev1"}, []string{""}, leads([]string{"dana"}, 0, 78), 1},
		{"the one the leads have fewest of", []string{"dana", "dev", "smith"}, []string{""}, leads([]string{"dana"}, 0, 700, 70), 2},
		{"no first words among the runs", []string{"dana", "dev1"}, []string{"danae"}, leads([]string{"dana"}, 0, 78), -1},
		{"a word that starts the driver", []string{"dana", "dan"}, []string{""}, leads([]string{"dana"}, 0, 78), -1},
		{"a word the driver starts", []string{"dan", "dana"}, []string{""}, leads([]string{"dan"}, 0, 78), -1},
		{"as many as are sorted", []string{"dana", "dev1"}, []string{""}, leads([]string{"dana"}, 0, MaxSorted), -1},
		{"as many leads as are merged", []string{"dana", "dev1"}, []string{""}, leads(runsOf(MaxRuns), 0, 78), 1},
		{"too many leads", []string{"dana", "dev1"}, []string{""}, leads(runsOf(MaxRuns+1), 0, 78), -1},
		{"not read (one word, or more than MaxPairWords)", []string{"dana", "dev1"}, []string{""}, Leads{}, -1},
	} {
		if got := ByLeads(tc.words, 0, tc.runs, tc.leads); got != tc.want {
			t.Errorf("%s: ByLeads = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestRunsRow checks that the rows of a runs statement land where their
// slots say.
func TestRunsRow(t *testing.T) {
	r := NewRuns(2)
	for _, row := range []struct {
		slot int
		word string
		n    int
	}{
		{RunSlot(2, 0), "", 0}, {RunSlot(2, 1), "dev1", 0}, {RunSlot(2, 1), "dev10", 0},
		{LeadSlot(2, 0), "dana", 0}, {LeadSlot(2, 0), "danae", 0}, {LeadSlot(2, 1), "dev", 0},
		{PairSlot(2, 0, 1), "", 78}, {PairSlot(2, 1, 0), "", 5}, {-1, "", 12},
	} {
		r.Row(row.slot, row.word, row.n)
	}
	want := &Runs{Words: [][]string{{""}, {"dev1", "dev10"}}, Emails: 12,
		Leads: Leads{Of: [][]string{{"dana", "danae"}, {"dev"}}, Pairs: [][]int{{0, 78}, {5, 0}}}}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("Runs = %+v, want %+v", r, want)
	}
	if r := NewRuns(MaxPairWords + 1); r.Leads.Of != nil {
		t.Errorf("the leads of a search of %d words are read", MaxPairWords+1)
	}
}

func TestFullRuns(t *testing.T) {
	for _, tc := range []struct {
		words []string
		want  int
	}{
		{[]string{"dana", "dev1"}, 0},
		{[]string{"d", "smith"}, 1},
		{[]string{"kai"}, 0},
		{nil, 0},
	} {
		if got := FullRuns(tc.words); got != tc.want {
			t.Errorf("FullRuns(%q) = %d, want %d", tc.words, got, tc.want)
		}
	}
}

// TestByRunsWithRunsCut checks what FullRuns claims: ByRuns decides the
// same when the other words' runs are cut to one more than the full
// word's.
func TestByRunsWithRunsCut(t *testing.T) {
	for _, words := range [][]string{{"ab", "abcd", "abc"}, {"abc", "abcd", "abce"}} {
		checkRunsCut(t, words)
	}
}

func checkRunsCut(t *testing.T, words []string) {
	t.Helper()
	counts := []int{0, 1, 2, 3, MaxRuns, MaxRuns + 1}
	for _, a := range counts {
		for _, b := range counts {
			for _, c := range counts {
				runs := [][]string{runsOf(a), runsOf(b), runsOf(c)}
				full := FullRuns(words)
				cut := make([][]string, len(runs))
				for i, r := range runs {
					cut[i] = r
					if i != full && len(r) > len(runs[full])+1 {
						cut[i] = r[:len(runs[full])+1]
					}
				}
				for _, emails := range []int{0, 5, MaxSorted} {
					s1, d1, ok1 := ByRuns(words, runs, emails)
					s2, d2, ok2 := ByRuns(words, cut, emails)
					if s1 != s2 || d1 != d2 || ok1 != ok2 {
						t.Errorf("words %q, runs %d %d %d, emails %d: ByRuns = %v, %d, %v in full, %v, %d, %v cut",
							words, a, b, c, emails, s1, d1, ok1, s2, d2, ok2)
					}
				}
			}
		}
	}
}

// TestPlanEqual checks that plans are equal when every field is, runs in
// the same order, and that no run and an empty list of runs are the same.
func TestPlanEqual(t *testing.T) {
	p := Plan{Shape: MergeRuns, Driver: 1, Runs: []string{"", "dana"}, Emails: true}
	for _, c := range []struct {
		q    Plan
		want bool
	}{
		{Plan{Shape: MergeRuns, Driver: 1, Runs: []string{"", "dana"}, Emails: true}, true},
		{Plan{Shape: MergeRuns, Driver: 1, Runs: []string{"dana", ""}, Emails: true}, false},
		{Plan{Shape: MergeRuns, Driver: 1, Runs: []string{""}, Emails: true}, false},
		{Plan{Shape: MergeRuns, Driver: 0, Runs: []string{"", "dana"}, Emails: true}, false},
		{Plan{Shape: MergeRuns, Driver: 1, Runs: []string{"", "dana"}}, false},
		{Plan{Shape: SortMatches, Driver: 1, Runs: []string{"", "dana"}, Emails: true}, false},
		{Plan{Shape: MergeRuns, Driver: 1, Runs: []string{"", "dana"}, Emails: true, Paired: true}, false},
		{Plan{Shape: MergeRuns, Driver: 1, Runs: []string{"", "dana"}, Emails: true, Partner: 1}, false},
		{Plan{Shape: MergeRuns, Driver: 1, Runs: []string{"", "dana"}, Emails: true, Leads: []string{"dana"}}, false},
	} {
		if got := p.Equal(c.q); got != c.want {
			t.Errorf("%+v.Equal(%+v) = %v, want %v", p, c.q, got, c.want)
		}
	}
	if !(Plan{Driver: -1}).Equal(Plan{Driver: -1, Runs: []string{}}) {
		t.Error("a plan without runs differs from one with an empty list of them")
	}
}

// TestTextsKeepsFewShapes checks that Texts makes a shape's text once, and
// keeps none of a search of more words than it holds, whose shapes are
// without bound.
func TestTextsKeepsFewShapes(t *testing.T) {
	var texts Texts[Layout]
	built := 0
	build := func(l Layout) string { built++; return strings.Repeat("w", l.Words) }
	for _, words := range [][]string{{"dana", "dev1"}, {"alex", "smi3"}, {"a", "b", "c", "d"}, {"e", "f", "g", "h"}, {"a", "b", "c", "d", "e"}, {"f", "g", "h", "i", "j"}} {
		l := LayoutOf(words)
		if got := texts.Text(l, l.Words, build); got != strings.Repeat("w", len(words)) {
			t.Errorf("%q: text %q", words, got)
		}
	}
	if built != 4 {
		t.Errorf("built %d texts, want 4: one for the two searches of two words, one for those of four, one for each of five", built)
	}
	kept := 0
	texts.m.Range(func(any, any) bool { kept++; return true })
	if kept != 2 {
		t.Errorf("%d texts kept, want 2", kept)
	}
}
