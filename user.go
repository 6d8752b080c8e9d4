package roster

import (
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// User is an identity. One user may be a member of several accounts.
type User struct {
	ID string
	// Email as first written; compared case-insensitively (see EmailKey).
	Email string
	Name  string
	// PasswordHash is empty until the user sets a password (at activation).
	PasswordHash string
	LastLoginAt  *time.Time
	CreatedAt    time.Time
}

// Registered reports whether the user has set a password.
func (u *User) Registered() bool { return u.PasswordHash != "" }

// NormalizeEmail trims and checks an email address and returns it as written.
// It returns invalid_input for anything that is not a single plain address.
func NormalizeEmail(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", Invalid(field, "An email address is required.")
	}
	if len(s) > MaxEmailLen {
		return "", Invalid(field, "The email address is longer than %d characters.", MaxEmailLen)
	}
	if !utf8.ValidString(s) {
		return "", Invalid(field, "The email address is not valid text.")
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return "", Invalid(field, "The email address must not contain spaces or control characters.")
		}
		// Invisible characters (zero-width space, right-to-left override,
		// byte order mark…) make one address look like another.
		if unicode.Is(unicode.Cf, r) {
			return "", Invalid(field, "The email address must not contain invisible formatting characters.")
		}
		// A sign that lowercases to a letter without being that letter's
		// capital (the Kelvin sign K, the Ångström sign Å, a dotted İ)
		// would give the address the key of another (EmailKey): inviting
		// kate@ would find the person invited as Kate@ with a Kelvin sign,
		// and mail them.
		if l := unicode.ToLower(r); l != r && unicode.ToUpper(l) != r {
			return "", Invalid(field, "The email address holds %q, a sign that stands for another letter; type the letter itself.", r)
		}
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" {
		return "", Invalid(field, "%q is not a valid email address.", s)
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return "", Invalid(field, "%q is not a valid email address.", s)
	}
	if !validDomain(s[at+1:]) {
		return "", Invalid(field, "%q is not a valid email address.", s)
	}
	return s, nil
}

// MaxMailboxLen is the most bytes an email's mailbox, before the @, may
// hold: mail servers keep SMTP's limit (RFC 5321, 4.5.3.1.1).
const MaxMailboxLen = 64

// NormalizeNewEmail is NormalizeEmail for an address Roster is about to
// write to (an invitation, a new account's owner): it also refuses a
// mailbox longer than mail servers take, to which the email would never
// go. Signing in and asking for a reset look an address up and do not:
// someone invited before the limit still signs in.
func NormalizeNewEmail(field, s string) (string, error) {
	email, err := NormalizeEmail(field, s)
	if err != nil {
		return "", err
	}
	if at := strings.LastIndexByte(email, '@'); at > MaxMailboxLen {
		return "", Invalid(field, "The part of the email address before the @ is %d bytes long; mail servers take at most %d.", at, MaxMailboxLen)
	}
	return email, nil
}

// validDomain reports whether an email's domain is a host name that mail
// can reach, as DNS reads it: two labels or more, none empty or beginning
// or ending with a hyphen, and a top-level label that is not a number (no
// IP addresses, bracketed or bare).
func validDomain(domain string) bool {
	if !IsASCII(domain) {
		// Read as DNS reads it (as EmailKey does): fullwidth and
		// ideographic dots (．。｡) separate labels too.
		if u, err := idna.Lookup.ToUnicode(domain); err == nil {
			domain = u
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") || strings.HasPrefix(l, "[") {
			return false
		}
		if len(l) > 63 && IsASCII(l) { // DNS's limit; a label in another script is longer in bytes
			return false
		}
	}
	return strings.ContainsFunc(labels[len(labels)-1], func(r rune) bool { return r < '0' || r > '9' })
}

// EmailKey is the form under which emails are compared and indexed: the
// address in lower case, its domain as IDNA writes it for lookups when it
// is not plain ASCII or holds an encoded label. One domain has several
// spellings, which all reach the same mail server: in Unicode
// (bücher.example), encoded for DNS (xn--bcher-kva.example), or with
// compatibility forms of its letters (fullwidth ｘ.test for x.test); the
// key is the Unicode one. The mailbox, before the @, is the mail server's
// to compare, beyond case (DECISIONS 47).
func EmailKey(email string) string {
	key := WrittenEmailKey(email)
	at := strings.LastIndexByte(key, '@')
	if at < 0 {
		return key
	}
	domain := key[at+1:]
	if IsASCII(domain) && !strings.Contains(domain, "xn--") {
		return key
	}
	if d, err := idna.Lookup.ToUnicode(domain); err == nil {
		return key[:at+1] + d
	}
	return key // not a domain IDNA can read: compared as written
}

// WrittenEmailKey is the key emails had before EmailKey read their domain
// as IDNA does (DECISIONS 74): the address in lower case, as written. A
// user made before may keep it, when the other spelling of their mailbox
// was another user's already (or was written since by an instance from
// before): signing in and resetting a password look it up too, so that
// the spelling such a user signed in with still reaches them.
func WrittenEmailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// ASCIIEmail returns email with its domain encoded for DNS (IDNA's
// xn-- labels), as a mail server that does not take UTF-8 addresses needs
// it; the mailbox, before the @, is left as it is.
func ASCIIEmail(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 || IsASCII(email[at+1:]) {
		return email
	}
	if d, err := idna.Lookup.ToASCII(email[at+1:]); err == nil {
		return email[:at+1] + d
	}
	return email
}

// ValidateName checks a person's full name and returns it trimmed.
func ValidateName(field, name string) (string, error) {
	return cleanName(field, name, "the name")
}

// ValidateOptionalName is ValidateName for a name that may be left out, as
// an invitation's: a blank one is none.
func ValidateOptionalName(field, name string) (string, error) {
	if strings.TrimSpace(name) == "" {
		return "", nil
	}
	return ValidateName(field, name)
}

func cleanName(field, name, what string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", Invalid(field, "Please enter %s.", what)
	}
	if !utf8.ValidString(name) {
		return "", Invalid(field, "%s is not valid text.", capitalize(what))
	}
	if utf8.RuneCountInString(name) > MaxNameLen {
		return "", Invalid(field, "%s is longer than %d characters.", capitalize(what), MaxNameLen)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return "", Invalid(field, "%s must not contain control characters.", capitalize(what))
		}
		// Invisible formatting (a right-to-left override shows "Eve
		// \u202Enimda" as "Eve admin"), but for the joiners that some
		// scripts and emoji need and the left-to-right and right-to-left
		// marks, which place neutral characters without reordering text.
		if unicode.Is(unicode.Cf, r) && !allowedFormat[r] {
			return "", Invalid(field, "%s must not contain invisible formatting characters.", capitalize(what))
		}
		if unicode.In(r, unicode.Zl, unicode.Zp) {
			return "", Invalid(field, "%s must be on one line.", capitalize(what))
		}
	}
	// Mail programs decode "=?charset?Q?…?=" in an email's subject, where
	// names appear, into any characters: the invisible ones refused above
	// included.
	if strings.Contains(name, "=?") {
		return "", Invalid(field, "%s must not contain \"=?\".", capitalize(what))
	}
	// Something must show: not only spaces, marks and joiners, nor the
	// Hangul fillers, letters drawn blank.
	if !strings.ContainsFunc(name, func(r rune) bool {
		return unicode.IsGraphic(r) && !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r) && !blankLetter[r]
	}) {
		return "", Invalid(field, "Please enter %s.", what)
	}
	return name, nil
}

// allowedFormat are the invisible formatting characters (Unicode Cf) a
// name may hold (DECISIONS 47).
var allowedFormat = map[rune]bool{
	'\u200c': true, // zero-width non-joiner
	'\u200d': true, // zero-width joiner
	'\u200e': true, // left-to-right mark
	'\u200f': true, // right-to-left mark
}

// IsASCII reports whether s has only ASCII characters: an address that
// is not needs SMTPUTF8 of a mail server.
func IsASCII(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r > unicode.MaxASCII })
}

// blankLetter are the letters that are drawn as blank space.
var blankLetter = map[rune]bool{'\u115f': true, '\u1160': true, '\u3164': true, '\uffa0': true}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
