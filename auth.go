package roster

import "time"

// Session is a signed-in browser or API client. The cookie carries a random
// token; only its SHA-256 (ID) is stored.
type Session struct {
	ID         string // hex SHA-256 of the cookie's token
	UserID     string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastSeenAt time.Time
}

// APIToken acts as its user in one account, with the user's current role
// there and never more (SPEC §4).
type APIToken struct {
	ID         string
	UserID     string
	AccountID  string
	Name       string
	Hash       string // hex SHA-256 of the token
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
}

// PasswordReset is a single-use password reset link.
type PasswordReset struct {
	Hash      string // hex SHA-256 of the token in the link
	UserID    string
	ExpiresAt time.Time
}

// Principal is who is making a request, as authentication established it,
// and from where.
type Principal struct {
	UserID string
	// SessionID is set when the request came with a session cookie.
	SessionID string
	// TokenID and TokenAccount are set when it came with an API token; the
	// token acts only in TokenAccount.
	TokenID      string
	TokenAccount string
	// AccountVersion is TokenAccount's version, read with the token: the
	// check path's cache for the account is good at this version.
	AccountVersion int64
	// IP is the client address the request came from, for the audit log;
	// "" for the operator's command line.
	IP string
}

// ViaToken reports whether the principal authenticated with an API token.
func (p Principal) ViaToken() bool { return p.TokenID != "" }
