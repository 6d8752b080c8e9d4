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
// A MergeRuns search of two or three words whose driver starts the first
// words of names reads those names another way when one of its other words
// (the partner) is paired with the driver (Paired): from
// member_words_by_lead, which orders member_words by each name's first
// word (its lead: the name key up to its first space), then the word. The
// names of one lead with a word the partner starts are one range of it,
// which the store sorts by name; when fewer than MaxSorted words of the
// names the driver's leads lead start the partner (ByLeads), each lead's
// range is an arm of the merge instead of the range of first words, which
// would be walked testing each name for the partner ("dana dev1" read the 1,400 Danas
// before the first Dana Dev1 at 100,000 members, and now reads the 78
// Dana Dev1s).
//
// Words of the query other than the one whose matches are read (the
// driver) are tested on each candidate: whether its name_key begins with
// the word, else whether it contains the word at all (a word of the name
// is part of its name_key) and, for the few that do, an index probe of
// member_words_by_member.
//
// So a page reads what the page, MaxRuns and MaxSorted bound, except where
// the candidates read in order mostly fail the other words or the
// filters: a merged run is read until a page of its members passes (the
// first words of a query of four words, or of two whose driver has more
// than MaxRuns leads or leads MaxSorted names with the other word; a rare
// role, all of the run).
package searchplan

import (
	"slices"
	"strings"
	"sync"
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
	// MaxPairWords is the most words a search may have for its planning
	// to read the leads of its words (Leads).
	MaxPairWords = 3
)

// Runs is what a store's runs statement read of a search of k words: each
// row is a slot, a word and a number, the slot saying what the row is
// (RunSlot, LeadSlot, PairSlot, or -1 for the number of emails that start
// with the query).
type Runs struct {
	// Words[i] are the runs of word i: the distinct name words it starts,
	// and "" when it starts the first word of some name.
	Words  [][]string
	Emails int
	Leads  Leads
}

// Leads is what the planning of a search of 2 to MaxPairWords words read
// of member_words_by_lead (its fields are nil for other searches).
type Leads struct {
	// Of[i] are the distinct leads that word i starts (of names of more
	// than one word, which member_words holds), up to MaxRuns+1.
	Of [][]string
	// Pairs[i][j] is how many words of the names led by Of[i] start word
	// j, up to MaxSorted, where Paired(word i, word j); else 0.
	Pairs [][]int
}

// ReadsLeads reports whether the planning of a search of k words reads
// its words' leads: for 2 to MaxPairWords words. A store's runs statement
// has rows of LeadSlot and PairSlot exactly then, which Runs.Row can hold.
func ReadsLeads(k int) bool { return k >= 2 && k <= MaxPairWords }

// NewRuns returns an empty Runs for a search of k words.
func NewRuns(k int) *Runs {
	r := &Runs{Words: make([][]string, k)}
	if ReadsLeads(k) {
		r.Leads.Of = make([][]string, k)
		r.Leads.Pairs = make([][]int, k)
		for i := range k {
			r.Leads.Pairs[i] = make([]int, k)
		}
	}
	return r
}

// RunSlot, LeadSlot and PairSlot are the slots of a runs statement's rows
// for a search of k words: a run of word i, a lead of word i, and the
// number of words of the names led by word i that word j starts.
func RunSlot(k, i int) int     { return i }
func LeadSlot(k, i int) int    { return k + i }
func PairSlot(k, i, j int) int { return 2*k + i*k + j }

// Row adds a row of a runs statement.
func (r *Runs) Row(slot int, word string, n int) {
	k := len(r.Words)
	switch {
	case slot < 0:
		r.Emails = n
	case slot < k:
		r.Words[slot] = append(r.Words[slot], word)
	case slot < 2*k:
		r.Leads.Of[slot-k] = append(r.Leads.Of[slot-k], word)
	default:
		r.Leads.Pairs[(slot-2*k)/k][(slot-2*k)%k] = n
	}
}

// Paired reports whether the names led by a word a are read for a word b
// from member_words_by_lead: when neither word starts the other, no first
// word starts both, so b starts a word of the name other than the first,
// which member_words holds (roster.IndexedWords).
func Paired(a, b string) bool {
	return a != b && !strings.HasPrefix(a, b) && !strings.HasPrefix(b, a)
}

// ByLeads returns the word to pair with the driver of a MergeRuns search
// whose runs are runs, or -1: of the words paired with the driver, the
// one its leads' names have fewest of, when they are fewer than MaxSorted
// and the driver starts the first words of names, of at most MaxRuns
// leads.
func ByLeads(words []string, driver int, runs []string, l Leads) int {
	if len(l.Of) != len(words) || !slices.Contains(runs, "") || len(l.Of[driver]) > MaxRuns {
		return -1
	}
	partner := -1
	for j, n := range l.Pairs[driver] {
		if j == driver || !Paired(words[driver], words[j]) || n >= MaxSorted {
			continue
		}
		if partner < 0 || n < l.Pairs[driver][partner] {
			partner = j
		}
	}
	return partner
}

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
	// Paired is whether the first words of a MergeRuns search are read
	// from member_words_by_lead: for each of Leads, its names that have a
	// word the Partner (an index in the query's words) starts.
	Paired  bool
	Partner int
	Leads   []string
}

// Equal reports whether p and q are the same plan.
func (p Plan) Equal(q Plan) bool {
	return p.Shape == q.Shape && p.Driver == q.Driver && slices.Equal(p.Runs, q.Runs) && p.Emails == q.Emails &&
		p.Paired == q.Paired && p.Partner == q.Partner && slices.Equal(p.Leads, q.Leads)
}

// Decide plans a search of words, with the store's planning reads: runs
// (the inputs of ByRuns and ByLeads, read only for the name order) and,
// when those decide nothing or the order is another, counts (ByCounts'
// inputs).
func Decide(words []string, byName bool,
	runs func() (*Runs, error), counts func() ([]int, int, error)) (Plan, error) {
	if byName {
		r, err := runs()
		if err != nil {
			return Plan{}, err
		}
		if shape, driver, ok := ByRuns(words, r.Words, r.Emails); ok {
			p := Plan{Shape: shape, Driver: driver, Emails: r.Emails > 0}
			if shape == MergeRuns && driver >= 0 {
				p.Runs = r.Words[driver]
				if j := ByLeads(words, driver, p.Runs, r.Leads); j >= 0 {
					p.Paired, p.Partner, p.Leads = true, j, r.Leads.Of[driver]
					if len(p.Leads) == 0 && len(p.Runs) == 1 && !p.Emails {
						// The first words were the only run, and
						// the names they lead have one word each: none
						// has a word the partner starts.
						return Plan{Shape: NoMatches, Driver: -1}, nil
					}
				}
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

// Layout is what the text of a store's runs statement depends on, besides
// the store: how many words the query has, which of them is read in full
// (FullRuns), and which pairs of them are read (Paired, for ReadsLeads).
// Not the words themselves, which are the statement's values.
type Layout struct {
	Words int
	Full  int
	pairs uint16 // bit i*Words+j: Paired(word i, word j)
}

// Layout.pairs holds a bit for each ordered pair of up to MaxPairWords
// words: this does not compile when it cannot.
const _ = uint16(1<<(MaxPairWords*MaxPairWords) - 1)

// LayoutOf returns the layout of a runs statement of words.
func LayoutOf(words []string) Layout {
	l := Layout{Words: len(words), Full: FullRuns(words)}
	if ReadsLeads(len(words)) {
		for i, a := range words {
			for j, b := range words {
				if Paired(a, b) {
					l.pairs |= 1 << (i*len(words) + j)
				}
			}
		}
	}
	return l
}

// Pairs reports whether the runs statement reads how many words of the
// names led by word i's leads word j starts (Leads.Pairs).
func (l Layout) Pairs(i, j int) bool { return l.pairs&(1<<(i*l.Words+j)) != 0 }

// Texts keeps the text of a store's statement of each shape K, made once,
// for searches of up to MaxPairWords+1 words; a search of more words has
// its statement made each time, so that the texts kept are few.
type Texts[K comparable] struct{ m sync.Map }

// Text returns the text of shape k, of a search of words words (which k
// holds, but a shape of any store's is not known here), made by build.
func (t *Texts[K]) Text(k K, words int, build func(K) string) string {
	if words > MaxPairWords+1 {
		return build(k)
	}
	if text, ok := t.m.Load(k); ok {
		return text.(string)
	}
	// Searches of a new shape at once may each make its text; one is kept.
	text, _ := t.m.LoadOrStore(k, build(k))
	return text.(string)
}
