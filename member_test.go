package roster

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestMatchesQuery(t *testing.T) {
	for _, tc := range []struct {
		email, name, q string
		want           bool
	}{
		{"dev@acme.test", "Someone", "dev", true},         // start of the email
		{"dana@acme.test", "Dana Dev", "dev", true},       // start of a word of the name
		{"dana@acme.test", "Dana Dev", "dana d", true},    // every query word starts some name word
		{"dana@acme.test", "Dana Dev", "DANA", true},      // case-insensitive
		{"x@acme.test", "Dana Dev", "ana", false},         // not the start of a word
		{"x@acme.test", "Dana Dev", "dana x", false},      // "x" starts no word of the name
		{"x@acme.test", "Mary-Jane Watson", "jane", true}, // words split at punctuation
		{"x@acme.test", "O'Brien", "brien", true},
		{"x@acme.test", "100% Sure", "%", false}, // % is a plain character, not a wildcard
		{"a%b@acme.test", "Z", "a%", true},
		{"a_b@acme.test", "Z", "a_", true},
		{"axb@acme.test", "Z", "a_", false},          // _ is not a wildcard
		{"dev@acme.test", "Dana", "dev@acme", true},  // the whole query against the email
		{"x@acme.test", "Zoë Ångström", "ång", true}, // unicode case folding
		{"x@acme.test", "Dana", "", true},
		{"x@acme.test", "Dana", "   ", true},
		{"x@acme.test", "Dana", "'", false},
		// Marks and joiners are part of words: a Devanagari name is not
		// split at its vowel signs, a Persian one at its non-joiner.
		{"x@acme.test", "प्रिया पटेल", "प्रि", true},
		{"x@acme.test", "प्रिया पटेल", "र", false},
		{"x@acme.test", "पूजा राय", "प्रिया", false},
		{"x@acme.test", "می\u200cخواهم", "می\u200cخ", true},
		{"x@acme.test", "می\u200cخواهم", "خ", false},
		{"x@acme.test", "Jose\u0301 Ruiz", "jose\u0301", true}, // a decomposed é
	} {
		if got := MatchesQuery(tc.email, tc.name, tc.q); got != tc.want {
			t.Errorf("MatchesQuery(%q, %q, %q) = %v, want %v", tc.email, tc.name, tc.q, got, tc.want)
		}
	}
}

func TestParseSort(t *testing.T) {
	for _, tc := range []struct {
		in   string
		sort MemberSort
		desc bool
		ok   bool
	}{
		{"", SortName, false, true},
		{"name", SortName, false, true},
		{"-last_login", SortLastLogin, true, true},
		{"role", SortRole, false, true},
		{"-", "", false, false},
		{"age", "", false, false},
		{"--name", "", false, false},
		{"Name", "", false, false},
	} {
		sort, desc, err := ParseSort(tc.in)
		if (err == nil) != tc.ok || sort != tc.sort || desc != tc.desc {
			t.Errorf("ParseSort(%q) = %q, %v, %v", tc.in, sort, desc, err)
		}
	}
}

func TestMemberCursorRoundTrip(t *testing.T) {
	login := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	m := &Member{UserID: "usr_1", Name: "Dana Dev", Email: "Dana@Acme.test", RoleOrder: 2, Status: StatusActive, LastLoginAt: &login}
	for _, sort := range []MemberSort{SortName, SortEmail, SortRole, SortStatus, SortLastLogin} {
		for _, desc := range []bool{false, true} {
			c := NewMemberCursor(m, sort, desc)
			got, err := DecodeMemberCursor(c.Encode(), sort, desc)
			if err != nil || *got != *c {
				t.Errorf("%s desc=%v: round trip = %+v, %v; want %+v", sort, desc, got, err, c)
			}
			// A cursor is only good for the order it was made for.
			if _, err := DecodeMemberCursor(c.Encode(), sort, !desc); ErrorCode(err) != CodeInvalidInput {
				t.Errorf("%s: cursor accepted for the other direction", sort)
			}
		}
	}
}

func FuzzDecodeMemberCursor(f *testing.F) {
	f.Add(NewMemberCursor(&Member{UserID: "u", Name: "n"}, SortName, false).Encode())
	f.Add("")
	f.Add("e30")
	f.Add("!!!")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := DecodeMemberCursor(s, SortName, false)
		if err != nil {
			if ErrorCode(err) != CodeInvalidInput {
				t.Fatalf("DecodeMemberCursor(%q): code %q", s, ErrorCode(err))
			}
			return
		}
		if c.UserID == "" || c.Sort != SortName || c.Desc {
			t.Fatalf("DecodeMemberCursor(%q) accepted %+v", s, c)
		}
	})
}

func FuzzDecodeAuditCursor(f *testing.F) {
	f.Add(AuditCursor{BeforeID: 42}.Encode())
	f.Add("eyJiIjotMX0")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := DecodeAuditCursor(s)
		if err != nil {
			if ErrorCode(err) != CodeInvalidInput {
				t.Fatalf("DecodeAuditCursor(%q): code %q", s, ErrorCode(err))
			}
			return
		}
		if c.BeforeID <= 0 {
			t.Fatalf("DecodeAuditCursor(%q) accepted %+v", s, c)
		}
	})
}

// TestDecodeMemberCursorRefusesNumbersItNeverIssues: a forged cursor's
// number outside what NewMemberCursor makes (a role order, a login time in
// unix microseconds) is invalid input, never a value the database refuses.
func TestDecodeMemberCursorRefusesNumbersItNeverIssues(t *testing.T) {
	for _, c := range []struct {
		sort MemberSort
		num  int64
		ok   bool
	}{
		{SortRole, 0, true}, {SortRole, 1<<31 - 1, true}, {SortRole, 1 << 40, false}, {SortRole, -1, false},
		{SortLastLogin, 0, true}, {SortLastLogin, MaxCursorLoginMicros, true}, {SortLastLogin, MinCursorLoginMicros, true},
		{SortLastLogin, -1 << 62, false}, {SortLastLogin, 1 << 62, false},
		{SortName, 7, false}, {SortStatus, 7, false},
	} {
		s := (&MemberCursor{Sort: c.sort, Num: c.num, UserID: "usr_1"}).Encode()
		_, err := DecodeMemberCursor(s, c.sort, false)
		if (err == nil) != c.ok || err != nil && ErrorCode(err) != CodeInvalidInput {
			t.Errorf("%s cursor with %d: %v, want ok %v", c.sort, c.num, err, c.ok)
		}
	}
}

func TestIndexedWords(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"Dana Dev", []string{"dev"}},
		{"  Dana  Dev ", []string{"dev"}},
		{"Dana", []string{}},
		{"Dana Dana", []string{}}, // the repeated word is the first
		{"Mary-Jane Watson", []string{"jane", "watson"}},
		{"(Dana) Smith", []string{"dana", "smith"}}, // the key begins with "("
		{"Dana\U0010FFFFx", []string{"dana", "x"}},  // a range of the key would miss it
		{"Zoë Ångström", []string{"ångström"}},
		{"!!!", []string{}},
	} {
		got := IndexedWords(tc.name)
		if len(got) != len(tc.want) || len(got) > 0 && strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("IndexedWords(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// FuzzIndexedWords checks what the stores' searches rely on: a query word
// starts some word of a name exactly when the name's key is in the range
// of the word (key >= w and key < w + U+10FFFF, as the stores read the
// name order's index) or one of the name's IndexedWords starts with it.
func FuzzIndexedWords(f *testing.F) {
	for _, s := range [][2]string{{"Dana Dev", "dan"}, {"Dana Dev", "dev"}, {"(Dana) Smith", "dana"},
		{"Dana\U0010FFFFx", "dana"}, {"Danae Dana", "dana"}, {"Jose\u0301 Ruiz", "jose\u0301"}, {"İsmail", "i̇s"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, name, query string) {
		if _, err := ValidateName("name", name); err != nil {
			return
		}
		key := NameKey(name)
		for _, w := range SearchWords(query) {
			want := MatchesQuery("", name, w)
			got := key >= w && key < w+string(utf8.MaxRune)
			for _, iw := range IndexedWords(name) {
				got = got || strings.HasPrefix(iw, w)
			}
			if got != want {
				t.Fatalf("name %q, word %q: range or indexed words %v, MatchesQuery %v (key %q, indexed %q)",
					name, w, got, want, key, IndexedWords(name))
			}
		}
	})
}
