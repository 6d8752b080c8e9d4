package roster

import (
	"context"
	"time"
)

// Store persists Roster's data. It holds no business rule: the use cases in
// internal/app decide, the store keeps. Implementations: internal/sqlite and
// internal/postgres; both pass internal/storetest.
type Store interface {
	// Read runs fn in a read-only transaction that sees one consistent
	// snapshot. fn must not write.
	Read(ctx context.Context, fn func(Tx) error) error

	// Write runs fn in a read-write transaction and commits it when fn
	// returns nil; any error from fn rolls everything back and is returned
	// unchanged.
	//
	// When account is not "", the transaction holds that account's write lock
	// from its start: another Write on the same account waits until this one
	// ends. The use cases run the policy inside this lock, which is what
	// keeps the last-owner rule true under concurrency. Returns not_found
	// (before calling fn) if the account does not exist.
	Write(ctx context.Context, account string, fn func(Tx) error) error

	// AccountVersion returns the account's version, a number that increases
	// in the same transaction as every change to a member's role or status,
	// to who is a member, and to profiles and profile roles of the account
	// (and possibly with other changes). Whatever was read after reading
	// version v is current at least as of v: the check path caches by it.
	// Returns not_found.
	AccountVersion(ctx context.Context, account string) (int64, error)
	// APITokenVersion returns the token whose Hash equals hash together
	// with its account's version, read in one statement: the whole store
	// access of an authenticated check. Returns not_found.
	APITokenVersion(ctx context.Context, hash string) (*APIToken, int64, error)

	// Ready reports whether the store can serve requests: its database
	// answers, and a database file is still the one the store opened.
	// /readyz asks it.
	Ready(ctx context.Context) error

	// Close releases the store's resources.
	Close() error
}

// Tx is one transaction. Methods return *Error values with the codes named in
// their comments; any other error is internal. Times are stored to the
// microsecond, in UTC.
type Tx interface {
	// CreateAccount stores a new account with its catalog.
	// Returns conflict if the id is taken.
	CreateAccount(a *Account) error
	// Account returns the account. Returns not_found.
	Account(id string) (*Account, error)
	// UpdateAccount writes the account's Name and InviteTTL (the catalog
	// never changes). Returns not_found.
	UpdateAccount(a *Account) error
	// CountAccounts returns how many accounts exist.
	CountAccounts() (int, error)
	// LockFirstRun takes the lock of setting up an empty installation until
	// the transaction ends: two first-run setups (two instances' setup
	// links) take it in turn, so that the second counts the first's
	// account.
	LockFirstRun() error

	// CreateUser stores a new user. Returns conflict if the id is taken or
	// another user has the same email, compared case-insensitively.
	CreateUser(u *User) error
	// User returns the user with this id. Returns not_found.
	User(id string) (*User, error)
	// UsersByID returns the users with these ids, by id; ids no user has
	// (text no id can be included) are left out. ids may repeat or be
	// empty.
	UsersByID(ids []string) (map[string]*User, error)
	// UserByEmail returns the user whose email equals email, case-insensitively.
	// Returns not_found.
	UserByEmail(email string) (*User, error)
	// UserByWrittenEmail returns the user whose key is the email's
	// WrittenEmailKey, the key before DECISIONS 74, which a user made
	// before may keep. Returns not_found.
	UserByWrittenEmail(email string) (*User, error)
	// UsersByEmail returns the users whose emails are among emails,
	// case-insensitively, by EmailKey; emails no user has are left out.
	UsersByEmail(emails []string) (map[string]*User, error)
	// SetUserName changes the user's name everywhere it shows, the member
	// lists of the accounts they have joined and their search included;
	// pending memberships keep theirs (Member.Shown). Returns not_found.
	SetUserName(userID, name string) error
	// SetUserPassword replaces the user's password hash with hash if it is
	// still old ("" for a user who has none), so that two transactions
	// that each checked the old password cannot both set one. Returns
	// not_found, or conflict when the stored hash is no longer old.
	SetUserPassword(userID, old, hash string) error
	// SetLastLogin records a login, on the user and the memberships they
	// have joined (Member.Shown). Returns not_found.
	SetLastLogin(userID string, at time.Time) error

	// CreateMember stores a membership of an existing user and account,
	// with the user's email and what it shows of them (Member.Shown: for a
	// pending member, its own Name). Returns conflict if the user is
	// already a member of the account.
	// ProfileRoles is ignored (see SetProfileRole).
	CreateMember(m *Member) error
	// Member returns one membership with the user's email and the name and
	// last login it shows (Member.Shown), the invitation's expiry and error
	// while pending, and the profile roles.
	// Returns not_found.
	Member(account, user string) (*Member, error)
	// MembersByUser returns the memberships of the account among these
	// users, each as Member returns it, by user id; users who are not
	// members (text no id can be included) are left out. users may repeat
	// or be empty.
	MembersByUser(account string, users []string) (map[string]*Member, error)
	// UpdateMember writes Role, RoleOrder, Status and JoinedAt of an existing
	// membership. Returns not_found.
	UpdateMember(m *Member) error
	// SetMemberName sets the name one pending membership shows, as its
	// inviter mends it, with its sort key and search. Returns not_found.
	SetMemberName(account, user, name string) error
	// ShowUser makes the membership show the user's own name and last
	// login, as a member who has joined does (Member.Shown), read from the
	// user as it is now, so that a rename committed meanwhile is not lost.
	// Returns not_found.
	ShowUser(account, user string) error
	// DeleteMember deletes the membership with its invitation, profile roles
	// and the user's API tokens for the account (so that a token cannot come
	// back to life if the person is invited again). The user, audit events
	// and messages stay. Returns not_found.
	DeleteMember(account, user string) error
	// ListMembers returns a page of the account's members in the filter's
	// order, with search as MatchesQuery defines it. Limit is 1..MaxPageSize.
	ListMembers(account string, f MemberFilter) (*MemberPage, error)
	// CountMembers returns how many members f's Role (with its RoleOrder)
	// and Status select; an empty one counts all. f's other fields are
	// ignored.
	CountMembers(account string, f MemberFilter) (int, error)
	// Memberships returns every membership of the user, ordered by account name.
	Memberships(user string) ([]Membership, error)
	// LockAccount takes the account's write lock, the one Write takes for
	// its account, until the transaction ends; taking one already held
	// does nothing. A Write that locks several accounts takes them in
	// ascending id order. Returns not_found.
	LockAccount(account string) error

	// PutInvitation stores the invitation of a pending member, replacing the
	// member's previous one (and so killing its link). Returns not_found if
	// the membership does not exist; conflict if the token hash is in use.
	PutInvitation(inv *Invitation) error
	// AddInvitees stores what inviting each person writes, in order, as
	// CreateUser (when NewUser), CreateMember, PutInvitation, AppendAudit
	// and EnqueueMessage would, in a few statements rather than a few per
	// person; event and message IDs may be left unset. The member's copies
	// of the user's email and its sort key come from User, and its name
	// from Member (Member.Shown). A user or membership that
	// exists already
	// fails the whole batch with conflict: the caller looks them up first,
	// holding the account's write lock.
	AddInvitees(batch []Invitee) error
	// InvitationByToken returns the invitation whose TokenHash equals hash.
	// Returns not_found.
	InvitationByToken(hash string) (*Invitation, error)
	// Invitation returns the member's invitation. Returns not_found.
	Invitation(account, user string) (*Invitation, error)
	// DeleteInvitation deletes the member's invitation. Returns not_found.
	DeleteInvitation(account, user string) error

	// SetProfileRole gives the member role on profile, creating the profile
	// if needed and replacing any role the member had on it.
	// Returns not_found if the membership does not exist.
	SetProfileRole(account, user, profile, role string, at time.Time) error
	// DeleteProfileRole takes the member's role on profile away; the profile
	// stays. Returns not_found if the member holds no role there.
	DeleteProfileRole(account, user, profile string) error
	// Profiles returns the account's profiles ordered by name.
	Profiles(account string) ([]Profile, error)
	// ProfileExists reports whether the profile was ever created in the account.
	ProfileExists(account, profile string) (bool, error)

	// TakeAttempt takes one attempt from the token bucket named key, which
	// holds at most burst attempts and regains one every per. It reports
	// whether one was left and, when not, how long until one is. Buckets are
	// shared by every instance on the store (SPEC §7: rate limits hold
	// across instances).
	TakeAttempt(key string, burst int, per time.Duration, now time.Time) (bool, time.Duration, error)
	// ClearAttempts forgets the bucket named key.
	ClearAttempts(key string) error

	// CreateSession stores a session. Returns conflict if the id is taken.
	CreateSession(s *Session) error
	// Session returns the session with this id. Returns not_found.
	Session(id string) (*Session, error)
	// TouchSession moves the session's LastSeenAt and ExpiresAt. Returns not_found.
	TouchSession(id string, seen, expires time.Time) error
	// DeleteSession deletes one session. Returns not_found.
	DeleteSession(id string) error
	// DeleteUserSessions deletes all the user's sessions but except (which
	// may be ""), and returns how many it deleted.
	DeleteUserSessions(user, except string) (int, error)

	// CreateAPIToken stores a token. Returns conflict if the id or hash is taken.
	CreateAPIToken(t *APIToken) error
	// APITokenByHash returns the token whose Hash equals hash. Returns not_found.
	APITokenByHash(hash string) (*APIToken, error)
	// APITokens returns the user's tokens, newest first.
	APITokens(user string) ([]*APIToken, error)
	// DeleteAPIToken deletes the user's token. Returns not_found if the user
	// has no token with this id.
	DeleteAPIToken(user, id string) error
	// TouchAPIToken records a use of the token at used, unless a later one
	// is recorded already. A token that is gone is no error.
	TouchAPIToken(id string, used time.Time) error

	// CreatePasswordReset stores a reset link. Returns conflict if the hash is taken.
	CreatePasswordReset(r *PasswordReset) error
	// PasswordResetByHash returns the reset with this hash. Returns not_found.
	PasswordResetByHash(hash string) (*PasswordReset, error)
	// DeletePasswordResets deletes every reset link of the user.
	DeletePasswordResets(user string) error
	// DeletePasswordReset deletes the reset link with this hash, if any.
	DeletePasswordReset(hash string) error
	// PrunePasswordResets deletes the user's reset links that expired by
	// now and returns how many are left.
	PrunePasswordResets(user string, now time.Time) (int, error)
	// Sweep deletes what has run out by now: sessions and reset links
	// past their expiry, rate-limit buckets untouched for AttemptsKept
	// (full again for any burst that refills within it), and messages
	// sent or given up that were queued MessagesKept ago; at most limit
	// rows of each kind, so that a large backlog goes in several short
	// transactions. It returns how many rows it deleted.
	Sweep(now time.Time, limit int) (int64, error)

	// AppendAudit stores an event and sets its ID; IDs increase with time.
	AppendAudit(e *AuditEvent) error
	// ListAudit returns the account's events newest first, starting after the
	// cursor. Limit is 1..MaxPageSize.
	ListAudit(account string, after *AuditCursor, limit int) (*AuditPage, error)

	// EnqueueMessage stores a message as pending, due at NextAttemptAt, and
	// sets its ID.
	EnqueueMessage(m *Message) error
	// ClaimMessages returns up to limit pending messages due at now whose
	// claim is free, and claims them until now+lease, so that no other
	// claimer gets them before then.
	ClaimMessages(now time.Time, lease time.Duration, limit int) ([]*Message, error)
	// ReleaseMessage ends the claim on a message that was not attempted, so
	// that it is due at once for any claimer. Returns not_found.
	ReleaseMessage(id int64) error
	// MarkMessageSent records a delivery, clears the link and the member's
	// invitation error (only of the invitation issued with the message, as
	// for MarkMessageFailed). Returns not_found.
	MarkMessageSent(id int64, at time.Time) error
	// MarkMessageFailed records a failed attempt and its error, and the
	// member's invitation error if the invitation was issued with the
	// message (its SentAt is the message's CreatedAt; a newer link has an
	// email of its own). With retryAt zero the message is given up
	// (status failed, link cleared); otherwise it is due again at retryAt.
	// Returns not_found.
	MarkMessageFailed(id int64, errText string, retryAt time.Time) error
	// Message returns one message of the outbox. Returns not_found.
	Message(id int64) (*Message, error)
	// Messages lists the outbox, newest first, optionally of one status.
	Messages(status string, limit int) ([]*Message, error)
	// RetryMessage makes a failed or pending message due now. Returns
	// not_found, or a conflict while a sender's claim is in force: the
	// message is being sent, and the attempt's outcome, if it fails, would
	// put off the retry again.
	RetryMessage(id int64, now time.Time) error
}

// AttemptsKept is how long a rate-limit bucket is kept untouched before
// Sweep deletes it: far longer than any bucket takes to fill again, so
// that deleting one is the same as keeping it full.
const AttemptsKept = 24 * time.Hour

// MessagesKept is how long Sweep keeps a message that was sent or given
// up, counted from when it was queued: long enough to answer "did my
// invitation go out?", bounded so that the outbox does not grow with
// every email ever sent (a resend is one).
const MessagesKept = 30 * 24 * time.Hour
