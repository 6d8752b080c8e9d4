package httpserver

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/rosterhq/roster"
)

// statusOf is the one table from error codes to HTTP statuses (SPEC §5).
var statusOf = map[string]int{
	roster.CodeUnauthenticated:  http.StatusUnauthorized,
	roster.CodeForbidden:        http.StatusForbidden,
	roster.CodeInsufficientRole: http.StatusForbidden,
	roster.CodeLastOwner:        http.StatusConflict,
	roster.CodeNotFound:         http.StatusNotFound,
	roster.CodeConflict:         http.StatusConflict,
	roster.CodeInvalidInput:     http.StatusBadRequest,
	roster.CodeInvalidToken:     http.StatusBadRequest,
	roster.CodeRateLimited:      http.StatusTooManyRequests,
	roster.CodeMethodNotAllowed: http.StatusMethodNotAllowed,
	roster.CodeInternal:         http.StatusInternalServerError,
}

// StatusOf returns the HTTP status of an error code.
func StatusOf(code string) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Problem is an RFC 9457 problem document with Roster's code.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
	// Field names the input at fault (for invalid_input, and for a
	// refusal about one input, as a transfer's password); omitted otherwise.
	Field string `json:"field,omitempty"`
}

// ErrTooLarge is the error of a request body over its limit: invalid_input
// answered with 413.
var ErrTooLarge = &roster.Error{Code: roster.CodeInvalidInput, Message: "The request body is too large."}

// WriteError answers err as problem+json. An internal error is logged with
// its detail and answered with none.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code := roster.ErrorCode(err)
	status := StatusOf(code)
	if err == ErrTooLarge {
		status = http.StatusRequestEntityTooLarge
	}
	if code == roster.CodeInternal {
		log.ErrorContext(r.Context(), "internal error", "method", r.Method, "route", routeOf(r), "err", err)
	}
	p := Problem{
		Type:   "https://roster.dev/problems/" + code,
		Title:  http.StatusText(status),
		Status: status,
		Detail: roster.ErrorMessage(err),
		Code:   code,
		Field:  roster.ErrorField(err),
	}
	if code == roster.CodeRateLimited {
		if w.Header().Get("Retry-After") == "" {
			w.Header().Set("Retry-After", "60")
		}
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(p)
}

// RateLimited returns the error for a request refused by a limiter, setting
// Retry-After on w.
func RateLimited(w http.ResponseWriter, retryAfter int) error {
	if retryAfter < 1 {
		retryAfter = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	unit := "seconds"
	if retryAfter == 1 {
		unit = "second"
	}
	return roster.Errorf(roster.CodeRateLimited, "Too many attempts; try again in %d %s.", retryAfter, unit)
}
