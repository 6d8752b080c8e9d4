package postgres

import (
	"strings"
	"sync"

	"github.com/rosterhq/roster/internal/searchplan"
)

// A search is planned by a statement of its own before its page's
// statement is known (planSearch): one round trip more than a page, on a
// machine where a round trip costs more than the statements. So a search
// guesses its page's statement and sends it in one batch with the
// planning, and the page's rows are read from that batch when the
// planning agrees with the guess. The planning still decides, in the
// transaction the guessed statement reads (a read's one snapshot, where
// every search runs): a wrong guess costs its reading and the round trip
// saved, never a wrong page.
//
// The guess is the plan that the same search had the last time this
// instance ran it (a next page, the list refreshed, the same search by
// another administrator), else firstGuess's: people search for a first
// name more than for anything else, or for a first name and the start of
// a last.
//
// A plan is kept with the account's list version it was planned at, which
// moves whenever a member is added or a member's name changes, the changes
// that can put a match outside the plan's ranges (migration 019). A search
// with a kept plan sends its page's statement with a read of the list
// version instead of the planning (keptRows): while the version is the
// kept one, the plan holds, and the search costs its page and the
// version's lookup. Once it moved, the search is planned as above, the
// kept plan its guess: the rows read with the version are dropped, and the
// search pays a round trip more (DECISIONS 90). A search that found the
// version moved is kept so (keptPlan.moved): the account is changing, and
// asked again it sends its planning with its page, the planning gated to
// read nothing but the version while that is the kept one (planStatement),
// so that a further change costs no round trip more, and the version
// holding costs the planning's setup; once the version held, it reads the
// version alone again (DECISIONS 92). A kept plan whose page cannot go in
// a batch (a page planned for its values on every call) sends its planning
// gated the same way every time, then its page: while the version holds,
// the planning reads nothing but the version. Plans are kept and run so
// only in a Read's snapshot (memberRows).

// planKey is what a search's plan depends on besides the account's
// members: searchplan.Decide's words and order.
type planKey struct {
	account, query string
	byName         bool
}

// maxLastPlans bounds how many plans lastPlans holds: a plan is a few
// words, up to searchplan.MaxRuns of them, and a key.
const maxLastPlans = 1024

// maxGuessedQuery is the longest query whose plan lastPlans holds. Longer
// ones are rarely searched twice.
const maxGuessedQuery = 64

// keptPlan is the plan of a search and the account's list version it was
// planned at, which it holds at as long as that is the list version.
type keptPlan struct {
	plan    searchplan.Plan
	version int64
	// moved is whether the list version had moved since the plan before
	// it, when the search was last asked: the account is changing, and
	// the search, asked again, sends its planning with its page.
	moved bool
}

// lastPlans holds the plans of the searches this instance planned last,
// as guesses of their next plans.
type lastPlans struct {
	mu sync.Mutex
	m  map[planKey]keptPlan
}

// leadGuess is the guess for a query of one word in name order that
// lastPlans does not hold.
var leadGuess = searchplan.Plan{Shape: searchplan.MergeRuns, Driver: 0, Runs: []string{""}}

// firstGuess returns the guess for a search in name order that lastPlans
// does not hold, if it has one. For a query of one word it is leadGuess.
// For two words, neither starting the other, and no filter, it is the
// names led by the first word with a word the second starts
// (searchplan.ByLeads): "dana dev1". That is the plan when the first word
// starts no first name but itself ("dana", not "dan" of Dana and Daniel)
// and no later word of a name; when the second starts more than one
// distinct word of names, or one and is no longer than the first (the
// start of a last name, "dev1", rather than a whole one, "devlin", which
// would drive the search itself); when the names led by the first hold
// fewer than maxSorted words that the second starts; and when no email
// starts with the query. Guessed wrong, the statement reads at most
// maxSorted entries of the first word's range, however many names have
// words the second starts ("alex smith" in an account of a million
// members, 7,000 of them): merged bounds each lead's range. With a filter
// it would look each of them up, so a filtered search is not guessed.
func firstGuess(words []string, filtered bool) (searchplan.Plan, bool) {
	switch {
	case len(words) == 1:
		return leadGuess, true
	case len(words) == 2 && !filtered && searchplan.Paired(words[0], words[1]):
		return searchplan.Plan{Shape: searchplan.MergeRuns, Driver: 0, Runs: []string{""},
			Paired: true, Partner: 1, Leads: []string{words[0]}}, true
	}
	return searchplan.Plan{}, false
}

// get returns the last plan of the search of k, if c holds it.
func (c *lastPlans) get(k planKey) (keptPlan, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.m[k]
	return p, ok
}

// put records that the search of k was planned as p.plan at the list
// version p.version (and whether that version had moved since the plan
// before, p.moved).
func (c *lastPlans) put(k planKey, p keptPlan) {
	if len(k.query) > maxGuessedQuery {
		return
	}
	k.account, k.query = strings.Clone(k.account), strings.Clone(k.query)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[planKey]keptPlan)
	}
	if _, ok := c.m[k]; !ok && len(c.m) >= maxLastPlans {
		for old := range c.m { // one, as good as any other
			delete(c.m, old)
			break
		}
	}
	c.m[k] = p
}

// forget drops every plan c holds.
func (c *lastPlans) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
}
