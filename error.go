package roster

import (
	"errors"
	"fmt"
)

// Error codes. They are part of the wire format (SPEC §5): clients switch on
// them, so they never change. internal/httpserver maps each to an HTTP status.
const (
	CodeUnauthenticated  = "unauthenticated"
	CodeForbidden        = "forbidden"
	CodeInsufficientRole = "insufficient_role"
	CodeLastOwner        = "last_owner"
	CodeNotFound         = "not_found"
	CodeConflict         = "conflict"
	CodeInvalidInput     = "invalid_input"
	CodeInvalidToken     = "invalid_token"
	CodeRateLimited      = "rate_limited"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeInternal         = "internal"
)

// Error is an error whose Message is safe to show to the person who caused it.
// Any error that is not an *Error is an internal error: it is logged with its
// detail and shown only as "internal error".
type Error struct {
	Code    string
	Message string
	// Field names the input field at fault: for invalid_input, and for a
	// refusal about one input (a wrong password); may be empty.
	Field string
}

func (e *Error) Error() string {
	return fmt.Sprintf("roster error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an invalid_input error about one field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalidInput, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err: "" for nil, the Code of an *Error found
// in its chain, and CodeInternal for anything else.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the message of an *Error in err's chain, or
// "internal error" for anything else, so that detail never leaks.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorField returns the Field of an *Error in err's chain, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
