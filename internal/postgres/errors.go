package postgres

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/rosterhq/roster"
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

// PostgreSQL error codes the store tells apart.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
	codeDeadlockDetected    = "40P01"
	codeLockNotAvailable    = "55P03"
	codeSerializationFail   = "40001"
)

// errUnstorable is returned, without asking the server, for a statement
// with a text argument PostgreSQL cannot hold: a NUL character or invalid
// UTF-8. The server would refuse the statement and, worse, abort the whole
// transaction, where SQLite would simply find no such row. Since no stored
// value can contain such text, a lookup with it finds nothing: callers turn
// this error into not_found or an empty result, and an insert into
// invalid_input.
var errUnstorable = errors.New("postgres: text with a NUL character or invalid UTF-8")

// storable reports whether PostgreSQL can hold s as text.
func storable(s string) bool {
	return utf8.ValidString(s) && !strings.Contains(s, "\x00")
}

// checkArgs returns errUnstorable if a text argument cannot be stored.
func checkArgs(args []any) error {
	for _, a := range args {
		switch v := a.(type) {
		case string:
			if !storable(v) {
				return errUnstorable
			}
		case []string:
			for _, s := range v {
				if !storable(s) {
					return errUnstorable
				}
			}
		}
	}
	return nil
}

// pgCode returns the SQLSTATE of a server error in err's chain, or "".
func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// retryable reports whether a transaction failed only because it ran into
// another one (a deadlock, a serialization failure) and may succeed if run
// again from the start.
func retryable(err error) bool {
	if errors.As(err, new(errRaced)) {
		return true
	}
	switch pgCode(err) {
	case codeDeadlockDetected, codeSerializationFail:
		return true
	}
	return false
}

// errRaced is a conflict that running the transaction again resolves:
// another transaction created a row after this one looked for it (a user,
// whom no account's write lock covers). It is the conflict it wraps once
// the attempts run out.
type errRaced struct{ err error }

func (e errRaced) Error() string { return e.err.Error() }
func (e errRaced) Unwrap() error { return e.err }

// errConflict returns a conflict error with a message fit to show.
func errConflict(message string) error {
	return roster.Errorf(roster.CodeConflict, "%s", message)
}

// errNotStorable is the answer to a write of text the database cannot hold.
func errNotStorable() error {
	return roster.Invalid("", "The text contains a character that cannot be stored (NUL or invalid UTF-8).")
}

// checkValues returns errNotStorable if a value to be written cannot be
// stored. Statements that write text check it first, so that execOne's
// not_found for an unstorable key never hides it.
func checkValues(values ...string) error {
	for _, v := range values {
		if !storable(v) {
			return errNotStorable()
		}
	}
	return nil
}

// sanitize makes text from outside (an SMTP server's reply) storable.
func sanitize(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// writeError maps the error of a statement that writes: a unique violation
// is conflict (with the given message), a missing referenced row is
// notFound, unstorable text is invalid_input, anything else is wrapped as
// internal. The inserts avoid the violations where they can (ON CONFLICT DO
// NOTHING, existence checks), because a failed statement aborts a
// PostgreSQL transaction; these mappings are the fallback for races.
func writeError(op string, err error, conflict string, notFound error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errUnstorable):
		return errNotStorable()
	case pgCode(err) == codeUniqueViolation:
		return errConflict(conflict)
	case pgCode(err) == codeForeignKeyViolation && notFound != nil:
		return notFound
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// rowError maps the error of a single-row query: no row (or a key no row
// can have) is notFound.
func rowError(op string, err error, notFound error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pgx.ErrNoRows), errors.Is(err, errUnstorable):
		return notFound
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// lineError shows an error on one line: pgx reports each address it tried
// to connect to on a line of its own, and Roster's commands print errors
// as one line.
type lineError struct{ err error }

func (e lineError) Error() string {
	return strings.Join(strings.FieldsFunc(e.err.Error(), func(r rune) bool { return r == '\n' || r == '\t' }), "; ")
}

func (e lineError) Unwrap() error { return e.err }

// oneLine returns err as a lineError, and nil as nil.
func oneLine(err error) error {
	if err == nil {
		return nil
	}
	return lineError{err}
}
