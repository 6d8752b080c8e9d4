package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/rosterhq/roster"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Not-found errors, one per kind of thing, with a message fit to show.
var (
	errAccountNotFound     = roster.Errorf(roster.CodeNotFound, "The account was not found.")
	errUserNotFound        = roster.Errorf(roster.CodeNotFound, "The user was not found.")
	errPasswordChanged     = roster.Errorf(roster.CodeConflict, "The password was changed meanwhile; please try again.")
	errMemberNotFound      = roster.Errorf(roster.CodeNotFound, "The member was not found.")
	errInvitationNotFound  = roster.Errorf(roster.CodeNotFound, "The invitation was not found.")
	errProfileRoleNotFound = roster.Errorf(roster.CodeNotFound, "The member holds no role on this profile.")
	errSessionNotFound     = roster.Errorf(roster.CodeNotFound, "The session was not found.")
	errTokenNotFound       = roster.Errorf(roster.CodeNotFound, "The API token was not found.")
	errResetNotFound       = roster.Errorf(roster.CodeNotFound, "The password reset link was not found.")
	errMessageNotFound     = roster.Errorf(roster.CodeNotFound, "The message was not found.")
	errMessageBusy         = errors.New("no message retried") // RetryMessage finds out why
)

// sqliteCode returns the extended result code of a driver error, or 0.
func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// isUnique reports whether err is a violation of a primary key or unique index.
func isUnique(err error) bool {
	switch sqliteCode(err) {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return true
	}
	return false
}

// isForeignKey reports whether err is a foreign key violation: a row that
// refers to something that does not exist.
func isForeignKey(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// insertError maps the error of an INSERT: a unique violation is conflict
// (with the given message), a missing referenced row is notFound, anything
// else is wrapped as internal.
func insertError(op string, err error, conflict string, notFound error) error {
	switch {
	case err == nil:
		return nil
	case isUnique(err):
		return roster.Errorf(roster.CodeConflict, "%s", conflict)
	case isForeignKey(err) && notFound != nil:
		return notFound
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// rowError maps the error of a single-row query: no row is notFound.
func rowError(op string, err error, notFound error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return notFound
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}
