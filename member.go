package roster

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/rosterhq/roster/policy"
)

// Status is a member's status (SPEC §1). Removal is not a status: it deletes
// the membership.
type Status = policy.Status

const (
	StatusPending  = policy.StatusPending
	StatusActive   = policy.StatusActive
	StatusDisabled = policy.StatusDisabled
)

// ParseStatus checks a status written by a client.
func ParseStatus(field, s string) (Status, error) {
	switch st := Status(s); st {
	case StatusPending, StatusActive, StatusDisabled:
		return st, nil
	}
	return "", Invalid(field, "Status must be pending, active or disabled, not %q.", s)
}

// Member is a user's membership of one account, joined with the user's
// email, the name and last login it shows (Shown: the person's own once
// joined, the inviter's name and none while pending) and, when pending,
// with the invitation.
type Member struct {
	AccountID string
	UserID    string
	Email     string
	Name      string
	Role      string
	// RoleOrder is the position of Role in the account's catalog. The list
	// sorts by it; whoever writes the member sets it.
	RoleOrder int
	Status    Status

	LastLoginAt *time.Time
	InvitedAt   *time.Time
	// InvitedBy is the id of the user who invited this member; "" when the
	// member was created by an operator (the first owner).
	InvitedBy string
	JoinedAt  *time.Time

	// Set only while the member is pending.
	InvitationExpiresAt *time.Time
	InvitationError     string

	// ProfileRoles maps profile name to the member's role on it (SPEC §6).
	ProfileRoles map[string]string
}

// Shown returns the name and last login a membership of u shows. A member
// who has joined shows the person's own; a pending one, the name the
// inviter gave and no login: an account that has only invited someone
// learns nothing of them that it did not write itself (DECISIONS 45).
func (m *Member) Shown(u *User) (name string, lastLogin *time.Time) {
	if m.Status == StatusPending {
		return m.Name, nil
	}
	return u.Name, u.LastLoginAt
}

// Policy returns what the policy needs to know of the member.
func (m *Member) Policy() policy.Member {
	return policy.Member{Role: m.Role, Status: m.Status}
}

// Membership is one account a user belongs to, as GET /me lists it.
type Membership struct {
	AccountID   string
	AccountName string
	Role        string
	Status      Status
}

// Policy returns what the policy needs to know of the membership.
func (m *Membership) Policy() policy.Member {
	return policy.Member{Role: m.Role, Status: m.Status}
}

// MemberSort names an order of the member list (SPEC §5).
type MemberSort string

const (
	SortName      MemberSort = "name"
	SortEmail     MemberSort = "email"
	SortRole      MemberSort = "role" // catalog order (most powerful first), then name
	SortStatus    MemberSort = "status"
	SortLastLogin MemberSort = "last_login"
)

// Member list page sizes.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
	MaxQueryLen     = 200
)

// MemberFilter selects and orders a page of an account's members.
type MemberFilter struct {
	// Query matches the start of the email or, word by word, the start of
	// words of the name (see MatchesQuery).
	Query string
	Role  string // exact role name; "" for any
	// RoleOrder is Role's position in the account's catalog, as
	// Member.RoleOrder holds it; set with Role (the app's withRole). The
	// stores find a role's members by it alone, in the index that also
	// sorts the list by role: a further test of the role's name made
	// PostgreSQL misjudge how many rows match and sort them instead.
	RoleOrder int
	Status    Status // "" for any
	Sort      MemberSort
	Desc      bool
	// After is the position to continue from; nil for the first page.
	After *MemberCursor
	Limit int
}

// ParseSort reads a sort parameter such as "name" or "-last_login".
func ParseSort(s string) (MemberSort, bool, error) {
	desc := strings.HasPrefix(s, "-")
	key := MemberSort(strings.TrimPrefix(s, "-"))
	switch key {
	case "":
		if desc {
			break
		}
		return SortName, false, nil
	case SortName, SortEmail, SortRole, SortStatus, SortLastLogin:
		return key, desc, nil
	}
	return "", false, Invalid("sort", "Sort by name, email, role, status or last_login, with - in front for descending; not %q.", s)
}

// MemberPage is one page of the member list.
type MemberPage struct {
	Items []*Member
	// Next is where the next page starts; nil on the last page.
	Next *MemberCursor
	// Prev is where the page before starts (a cursor that reads back);
	// nil on the first page. Only App.ListMembers sets it.
	Prev *MemberCursor
}

// SearchWords splits text into lowercase words at spaces and punctuation.
// Names are indexed by these words and queries are split the same way.
func SearchWords(s string) []string {
	f := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !inWord(r) })
	seen := make(map[string]bool, len(f))
	out := f[:0]
	for _, w := range f {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// IndexedWords returns the words of a name that the stores keep in their
// table of name words (member_words): SearchWords but the first, when the
// name's sort key begins with it. The members whose sort key begins with a
// query word are a range of the name order's index already, in name order,
// so that word would be stored twice. A name that begins with punctuation
// ("(Dana) Smith") keeps all its words, as does one whose first word is
// followed by U+10FFFF, the end of the stores' prefix ranges, which a
// range of the key would miss. A query word w (letters and digits alone)
// starts some word of a name exactly when NameKey begins with w or one of
// IndexedWords starts with w.
func IndexedWords(name string) []string {
	words := SearchWords(name)
	if len(words) == 0 {
		return words
	}
	rest, lead := strings.CutPrefix(NameKey(name), words[0])
	if lead && !strings.HasPrefix(rest, string(utf8.MaxRune)) {
		return words[1:]
	}
	return words
}

// inWord reports whether r belongs to a word: letters and digits, and the
// marks and joiners that scripts write words with (the vowel signs and the
// virama of Devanagari, the zero-width non-joiner of Persian), without
// which "प्रिया" would be three words of one letter each, and a search for
// it would find every name with a word starting in one of them.
func inWord(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '\u200c' || r == '\u200d'
}

// MatchesQuery is the definition of member search (SPEC §5), which every
// store must agree with: the query matches when the lowercase email starts
// with the whole lowercase query, or when every word of the query starts
// some word of the name. An empty query matches everyone.
func MatchesQuery(email, name, query string) bool {
	q := strings.ToLower(strings.TrimSpace(query))
	if q == "" {
		return true
	}
	if strings.HasPrefix(EmailKey(email), q) {
		return true
	}
	qw := SearchWords(q)
	if len(qw) == 0 {
		return false
	}
	nw := SearchWords(name)
	for _, w := range qw {
		found := false
		for _, n := range nw {
			if strings.HasPrefix(n, w) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
