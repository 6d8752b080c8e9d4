package roster

import (
	"regexp"
	"time"
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
		return "", Invalid(field, "A profile name is 1 to 63 lowercase letters, digits and dashes, starting with a letter or digit; %q is not.", truncate(s, 80))
	}
	return s, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
