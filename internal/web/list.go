package web

import (
	"net/url"
	"strings"

	"github.com/rosterhq/roster"
)

// listState is where the person is in the member list: search, filters,
// order and page. Links and forms carry it so that an action, a dialog or a
// refusal comes back to the same view.
type listState struct {
	Q, Role, Status, Sort, Cursor string
}

func listFrom(v url.Values) listState {
	return listState{
		Q: v.Get("q"), Role: v.Get("role"), Status: v.Get("status"),
		Sort: v.Get("sort"), Cursor: v.Get("cursor"),
	}
}

// listFromForm reads the state a form carried back in its "list" field. It
// is parsed, not trusted: only the list's own parameters survive.
func listFromForm(s string) listState {
	v, err := url.ParseQuery(s)
	if err != nil {
		return listState{}
	}
	return listFrom(v)
}

// Values returns the state as query parameters, leaving out empty ones.
func (l listState) Values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"q": l.Q, "role": l.Role, "status": l.Status, "sort": l.Sort, "cursor": l.Cursor} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// Encode is the state as a query string ("" when there is nothing to keep).
func (l listState) Encode() string { return l.Values().Encode() }

// Filtered reports whether a search or filter narrows the list.
func (l listState) Filtered() bool { return l.Q != "" || l.Role != "" || l.Status != "" }

// link returns base with the state and extra key/value pairs as its query.
func (l listState) link(base string, extra ...string) string {
	v := l.Values()
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			v.Del(extra[i])
		} else {
			v.Set(extra[i], extra[i+1])
		}
	}
	if q := v.Encode(); q != "" {
		return base + "?" + q
	}
	return base
}

// column is a sortable column header of the member list.
type column struct {
	Label    string
	Href     string
	AriaSort string // ascending, descending, or "" when not sorted by it
	Arrow    string
}

// sortOption is one order of the list's sort control, which phones show
// in place of the table's headers.
type sortOption struct {
	Value, Label string
	Selected     bool
}

// sortOptions returns every order, ascending and descending, the current
// one selected.
func (l listState) sortOptions() []sortOption {
	key, desc, err := roster.ParseSort(l.Sort)
	if err != nil {
		key, desc = roster.SortName, false
	}
	var out []sortOption
	for _, d := range sortKeys {
		for _, down := range []bool{false, true} {
			v, label := string(d.key), d.label+", ascending"
			if down {
				v, label = "-"+v, d.label+", descending"
			}
			if v == string(roster.SortName) {
				v = ""
			}
			out = append(out, sortOption{Value: v, Label: label, Selected: d.key == key && down == desc})
		}
	}
	return out
}

// sortKeys are the list's orders, as its headers name them.
var sortKeys = []struct {
	label string
	key   roster.MemberSort
}{
	{"Name", roster.SortName}, {"Email", roster.SortEmail}, {"Role", roster.SortRole},
	{"Status", roster.SortStatus}, {"Last Login", roster.SortLastLogin},
}

// columns returns the sortable headers; a header's link sorts by it,
// ascending first and descending when it already sorts ascending. Keyset
// paging restarts on a new order, so the cursor is dropped.
func (l listState) columns(base string) []column {
	key, desc, err := roster.ParseSort(l.Sort)
	if err != nil {
		key, desc = roster.SortName, false
	}
	out := make([]column, 0, len(sortKeys))
	for _, d := range sortKeys {
		c := column{Label: d.label}
		next := string(d.key)
		if d.key == key {
			if desc {
				c.AriaSort, c.Arrow = "descending", " ▼"
			} else {
				c.AriaSort, c.Arrow = "ascending", " ▲"
				next = "-" + next
			}
		}
		if next == string(roster.SortName) {
			next = "" // the default order keeps URLs short
		}
		c.Href = l.link(base, "sort", next, "cursor", "")
		out = append(out, c)
	}
	return out
}

// statusOptions are the status filter's choices, in the seed's words.
var statusOptions = []struct{ Value, Label string }{
	{"active", "Active"}, {"pending", "Pending Activation"}, {"disabled", "Disabled"},
}

// trimmed is the search text as the list uses it.
func (l listState) trimmed() string { return strings.TrimSpace(l.Q) }
