package web

import (
	"net/http"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpserver"
)

// resetPage is the model of the new-password form of a reset link.
type resetPage struct {
	Token string
	Error string
	// Invalid says the error is the password's, not a refusal such as a
	// rate limit.
	Invalid bool
}

func (w *Web) resetPage(rw http.ResponseWriter, r *http.Request) {
	token := strings.TrimSpace(r.URL.Query().Get("token"))
	// A dead link says so at once, as an invitation's does, rather than
	// after a new password has been typed.
	switch err := w.app.CheckPasswordReset(r.Context(), token); {
	case roster.ErrorCode(err) == roster.CodeInvalidToken:
		w.badResetLink(rw, r, err)
		return
	case err != nil:
		w.fail(rw, r, nil, err)
		return
	}
	w.render(rw, r, http.StatusOK, "reset", &page{Title: "Choose a new password", Data: resetPage{Token: token}})
}

// badResetLink answers a reset link that does not work.
func (w *Web) badResetLink(rw http.ResponseWriter, r *http.Request, err error) {
	w.render(rw, r, http.StatusGone, "link_error", &page{Title: "Reset link not valid", Data: linkErrorPage{
		Heading: "This password reset link cannot be used",
		Message: roster.ErrorMessage(err),
		Hint:    "Ask for a new link from the sign-in page.",
	}})
}

// reset sets the new password; it ends every session of the user.
func (w *Web) reset(rw http.ResponseWriter, r *http.Request) {
	if err := parseForm(rw, r, maxFormBytes); err != nil {
		w.fail(rw, r, nil, err)
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	err := w.limit(rw, r, httpserver.LinkKey(token))
	var active bool
	if err == nil {
		active, err = w.app.ConfirmPasswordReset(r.Context(), httpserver.ClientIP(r), token, r.PostFormValue("password"))
	}
	switch code := roster.ErrorCode(err); {
	case err == nil && active:
		w.redirectWithFlash(rw, r, "/login", "Your password is changed. Sign in with it.")
	case err == nil: // invited, not yet joined: sign-in would refuse them
		w.redirectWithFlash(rw, r, "/login", "Your password is changed. To join, open the invitation link you were sent and enter this password there.")
	case code == roster.CodeInvalidToken:
		w.badResetLink(rw, r, err)
	case code == roster.CodeInternal:
		w.fail(rw, r, nil, err)
	default:
		w.render(rw, r, refusalStatus(err), "reset", &page{Title: "Choose a new password",
			Data: resetPage{Token: token, Error: roster.ErrorMessage(err), Invalid: roster.ErrorCode(err) == roster.CodeInvalidInput}})
	}
}
