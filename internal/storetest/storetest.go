// Package storetest is the contract suite of roster.Store: every store runs
// it, so that the use cases may rely on the contracts written in
// roster.Store and roster.Tx whatever database is underneath.
//
// The suite checks data semantics and error codes (never message text), and
// that a write transaction on an account excludes another one on the same
// account, which is the lock the use cases run the policy inside.
//
// Text keys (lowercase names and emails, statuses) sort by their bytes, as Go
// compares strings; a store on a database with collations must compare them
// that way (e.g. COLLATE "C").
package storetest

import (
	"testing"

	"github.com/rosterhq/roster"
)

// Run runs the whole suite. open must return a new, empty store and arrange
// (with t.Cleanup) to close it when t ends.
func Run(t *testing.T, open func(t testing.TB) roster.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s roster.Store)
	}{
		{"Accounts", testAccounts},
		{"UpdateAccount", testUpdateAccount},
		{"AccountVersion", testAccountVersion},
		{"Users", testUsers},
		{"UsersByEmail", testUsersByEmail},
		{"UsersByID", testUsersByID},
		{"MembersByUser", testMembersByUser},
		{"AddInvitees", testAddInvitees},
		{"Members", testMembers},
		{"MemberInvitationFields", testMemberInvitationFields},
		{"DeleteMember", testDeleteMember},
		{"CountMembers", testCountMembers},
		{"Memberships", testMemberships},
		{"ListMembersSearch", testListMembersSearch},
		{"ListMembersSortAndPage", testListMembersSortAndPage},
		{"ListMembersFilters", testListMembersFilters},
		{"ListMembersItems", testListMembersItems},
		{"ListMembersFollowsUserChanges", testListMembersFollowsUserChanges},
		{"ListMembersSearchShapes", testListMembersSearchShapes},
		{"ListMembersSearchAfterChanges", testListMembersSearchAfterChanges},
		{"Invitations", testInvitations},
		{"ProfileRoles", testProfileRoles},
		{"Attempts", testAttempts},
		{"Sessions", testSessions},
		{"APITokens", testAPITokens},
		{"PasswordResets", testPasswordResets},
		{"Sweep", testSweep},
		{"Audit", testAudit},
		{"Outbox", testOutbox},
		{"OutboxInvitationError", testOutboxInvitationError},
		{"WriteRollsBack", testWriteRollsBack},
		{"WriteUnknownAccount", testWriteUnknownAccount},
		{"WriteExcludesWriteOnSameAccount", testWriteExcludesWrite},
		{"ConcurrentWrites", testConcurrentWrites},
		{"ReadSnapshot", testReadSnapshot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open(t))
		})
	}
}
