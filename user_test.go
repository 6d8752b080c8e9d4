package roster

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestNormalizeEmail(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"dana@acme.test", "dana@acme.test", true},
		{"  Dana.Dev+tag@Acme.Test ", "Dana.Dev+tag@Acme.Test", true},
		{"o'brien@acme.test", "o'brien@acme.test", true},
		{"", "", false},
		{"dana", "", false},
		{"dana@", "", false},
		{"@acme.test", "", false},
		{"dana@localhost", "", false},
		{"dana@acme..test", "", false},
		{"dana@.acme.test", "", false},
		{"dana@acme.test.", "", false},
		{"dana@[127.0.0.1]", "", false},
		{"Dana <dana@acme.test>", "", false},
		{"dana@acme.test, eve@acme.test", "", false},
		{"da na@acme.test", "", false},
		{"dana@acme.test\r\nBcc: eve@acme.test", "", false},
		{"dana\x00@acme.test", "", false},
		{strings.Repeat("a", 250) + "@acme.test", "", false},
		{"\xff@acme.test", "", false},
		{"dana@sub.acme-corp.test", "dana@sub.acme-corp.test", true},
		{"café@acme.test", "café@acme.test", true},
		{"dana@bücher.test", "dana@bücher.test", true},
		{"dana@ｘ．ｔｅｓｔ", "dana@ｘ．ｔｅｓｔ", true}, // fullwidth dots separate labels, as DNS reads them
		{"dana@x。test", "dana@x。test", true}, // so does an ideographic one
		{"dana@x。", "", false},
		{"a\u200b@acme.test", "", false},               // zero-width space
		{"evil\u202emoc.elpmaxe@acme.test", "", false}, // right-to-left override
		{"\ufeffdana@acme.test", "", false},            // byte order mark
		{"\u212aate@acme.test", "", false},             // the Kelvin sign, whose key is kate@'s
		{"\u212bsa@acme.test", "", false},              // the Ångström sign, whose key is åsa@'s
		{"\u0130da@acme.test", "", false},              // a dotted capital I, whose key is ida@'s
		{"Ömer@acme.test", "Ömer@acme.test", true},     // a capital whose lowercase is its own
		{"ÅSA@acme.test", "ÅSA@acme.test", true},
		{"dana@-acme.test", "", false},
		{"dana@acme-.test", "", false},
		{"root@127.0.0.1", "", false},
		{"dana@acme.123", "", false},
		{"dana@" + strings.Repeat("x", 63) + ".test", "dana@" + strings.Repeat("x", 63) + ".test", true},
		{"dana@" + strings.Repeat("x", 64) + ".test", "", false}, // a DNS label holds 63
	} {
		got, err := NormalizeEmail("email", tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && (ErrorCode(err) != CodeInvalidInput || ErrorField(err) != "email") {
			t.Errorf("NormalizeEmail(%q) error = %v, want invalid_input on field email", tc.in, err)
		}
	}
}

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"dana@acme.test", "Dana <d@a.test>", "a@b", "\x00", "d@a.test\r\n", "x@[1.2.3.4]", "dup@xn--bcher-kva.example", "dup@ｘ.test"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeEmail("email", s)
		if err != nil {
			if ErrorCode(err) != CodeInvalidInput {
				t.Fatalf("NormalizeEmail(%q) error code %q", s, ErrorCode(err))
			}
			return
		}
		// What is accepted is a single plain address, safe in a header.
		if strings.ContainsAny(got, " \t\r\n<>,;\x00") || !utf8.ValidString(got) || len(got) > MaxEmailLen {
			t.Fatalf("NormalizeEmail(%q) accepted %q", s, got)
		}
		if strings.Count(got, "@") < 1 || got != strings.TrimSpace(got) {
			t.Fatalf("NormalizeEmail(%q) accepted %q", s, got)
		}
		// No two addresses accepted share a key but for the case of their
		// letters: each letter's lowercase has it for its capital.
		for _, r := range got {
			if l := unicode.ToLower(r); l != r && unicode.ToUpper(l) != r {
				t.Fatalf("NormalizeEmail(%q) accepted %q, whose %q stands for %q", s, got, r, l)
			}
		}
		// Normalising is idempotent.
		again, err := NormalizeEmail("email", got)
		if err != nil || again != got {
			t.Fatalf("NormalizeEmail(%q) = %q, then %q, %v", s, got, again, err)
		}
		// So is keying: a key is its own key, the same stored and looked up.
		if k := EmailKey(got); EmailKey(k) != k {
			t.Fatalf("EmailKey(%q) = %q, whose key is %q", got, k, EmailKey(k))
		}
	})
}

func TestValidateName(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"Dana Dev", "Dana Dev", true},
		{"  Zoë  O'Brien-Smith ", "Zoë  O'Brien-Smith", true},
		{"李小龍", "李小龍", true},
		{"=?UTF-8?Q?Security_=E2=80=AEtnuocca?=", "", false}, // an encoded word, which a subject would decode
		{"a = b?", "a = b?", true},
		{"", "", false},
		{"   ", "", false},
		{"Bob\x00", "", false},
		{"Bob\nBcc", "", false},
		{"Eve \u202enimda", "", false},             // right-to-left override
		{"Dana\u200bDev", "", false},               // zero-width space
		{"می\u200cخواهم", "می\u200cخواهم", true},   // a zero-width non-joiner, as Persian writes
		{"👩\u200d💻 Dana", "👩\u200d💻 Dana", true},   // an emoji joined by a zero-width joiner
		{"دانا\u200f Dev", "دانا\u200f Dev", true}, // a right-to-left mark
		{"Eve \u2067x\u2069", "", false},           // an isolate
		{"\u200e", "", false},                      // nothing that shows
		{"\u200d \u200c", "", false},
		{"\u3164", "", false},        // a Hangul filler, drawn blank
		{"Dana\u2028Dev", "", false}, // a line separator
		{strings.Repeat("é", MaxNameLen), strings.Repeat("é", MaxNameLen), true},
		{strings.Repeat("é", MaxNameLen+1), "", false},
	} {
		got, err := ValidateName("name", tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ValidateName(%q) = %q, %v; want %q, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestTruncateKeepsCharactersWhole: a long value cut for a message is cut
// between characters, never inside one.
func TestTruncateKeepsCharactersWhole(t *testing.T) {
	s := strings.Repeat("é", 200) // two bytes each
	got := Truncate(s, 255)
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "…") || len(got) > 255+len("…") {
		t.Errorf("Truncate to 255 bytes = %q", got)
	}
	if got := Truncate("short", 255); got != "short" {
		t.Errorf("Truncate of a short value = %q", got)
	}
}

// TestNormalizeNewEmail: an address Roster is about to write to holds at
// most 64 bytes before its @, as mail servers take; otherwise it is what
// NormalizeEmail makes of it.
func TestNormalizeNewEmail(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{strings.Repeat("a", 64) + "@acme.test", true},
		{strings.Repeat("a", 65) + "@acme.test", false},
		{strings.Repeat("é", 32) + "@acme.test", true}, // 64 bytes
		{strings.Repeat("é", 32) + "e@acme.test", false},
		{"dana@localhost", false}, // what NormalizeEmail refuses
		{"  Dana@Acme.Test ", true},
	} {
		got, err := NormalizeNewEmail("email", tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("NormalizeNewEmail(%q) = %q, %v; want ok=%v", tc.in, got, err, tc.ok)
		}
		if err != nil && (ErrorCode(err) != CodeInvalidInput || ErrorField(err) != "email") {
			t.Errorf("NormalizeNewEmail(%q) error = %v, want invalid_input on field email", tc.in, err)
		}
		if want, _ := NormalizeEmail("email", tc.in); err == nil && got != want {
			t.Errorf("NormalizeNewEmail(%q) = %q, NormalizeEmail gives %q", tc.in, got, want)
		}
	}
}

// TestEmailKeyReadsADomainAsDNSDoes: every spelling of a domain (Unicode,
// encoded for DNS, compatibility forms, any case) gives one key, so that
// one mailbox is one user; the mailbox's own part is compared beyond case
// only as written.
func TestEmailKeyReadsADomainAsDNSDoes(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Dana@Acme.Test", "dana@acme.test"},
		{"dup@bücher.example", "dup@bücher.example"},
		{"dup@xn--bcher-kva.example", "dup@bücher.example"},
		{"Dup@XN--BCHER-KVA.Example", "dup@bücher.example"},
		{"dup@BÜCHER.example", "dup@bücher.example"},
		{"dup@ｘ.test", "dup@x.test"},
		{"dup@ｘ．ｔｅｓｔ", "dup@x.test"},
		{"dup@x。test", "dup@x.test"},
		{"Jörg@exämple.com", "jörg@exämple.com"},
		{"a.b@xn--exmple-cua.com", "a.b@exämple.com"},
		{"x@xn--zz-.example", "x@xn--zz-.example"}, // no IDNA reading: as written
		{"no-at-sign", "no-at-sign"},
	} {
		if got := EmailKey(c.in); got != c.want {
			t.Errorf("EmailKey(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"dana@acme.test", "dana@acme.test"},
		{"dup@bücher.example", "dup@xn--bcher-kva.example"},
		{"Jörg@exämple.com", "Jörg@xn--exmple-cua.com"},
		{"dup@ｘ.test", "dup@x.test"},
		{"dup@x。test", "dup@x.test"},
	} {
		if got := ASCIIEmail(c.in); got != c.want {
			t.Errorf("ASCIIEmail(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
