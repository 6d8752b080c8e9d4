package roster

import (
	"regexp"
	"time"
	"unicode/utf8"
)

// Profile is a named scope inside an account (SPEC §6). It exists once a role
// is first granted on it.
type Profile struct {
	Name      string
	CreatedAt time.Time
	// Members is the number of members holding a role on it now.
	Members int
}

var profileName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidateProfileName checks a profile slug.
func ValidateProfileName(field, s string) (string, error) {
	if !profileName.MatchString(s) {
		return "", Invalid(field, "A profile name is 1 to 63 lowercase letters, digits and dashes, starting with a letter or digit; %q is not.", Truncate(s, 80))
	}
	return s, nil
}

// Truncate cuts s to at most n bytes, between two characters, and marks
// the cut with "…": for a client's value quoted in a message.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n-- // not in the middle of a character
	}
	return s[:n] + "…"
}
