package roster

import (
	"time"

	"github.com/rosterhq/roster/policy"
)

// Account is a tenant. Its catalog is copied in when the account is created
// and never changes afterwards, so it may be cached for the account's life.
type Account struct {
	ID      string
	Name    string
	Catalog *policy.Catalog
	// InviteTTL is how long an invitation link of this account stays valid.
	InviteTTL time.Duration
	CreatedAt time.Time
}

// Invitation lifetimes an account may choose (SPEC §4, issue 4).
const (
	DefaultInviteTTL = 7 * 24 * time.Hour
	MinInviteTTL     = 24 * time.Hour
	MaxInviteTTL     = 30 * 24 * time.Hour
)

// Limits on free text, so that no field can be used to store megabytes.
const (
	MaxNameLen  = 200
	MaxEmailLen = 254
)

// ValidateAccountName checks an account's display name.
func ValidateAccountName(name string) (string, error) {
	return cleanName("name", name, "the account's name")
}
