package searchplan

import (
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
