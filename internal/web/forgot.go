package web

import (
	"net/http"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpserver"
)

// forgotPage is the model of the "forgot password" form.
type forgotPage struct {
	Email string
	Error string
	// Invalid says the error is the field's, not a refusal such as a rate
	// limit.
	Invalid bool
}

func (w *Web) forgotPage(rw http.ResponseWriter, r *http.Request) {
	w.render(rw, r, http.StatusOK, "forgot", &page{Title: "Reset your password", Data: forgotPage{}})
}

// forgot emails a reset link. The answer is the same whether or not the
// address has an account (SPEC §4).
func (w *Web) forgot(rw http.ResponseWriter, r *http.Request) {
	if err := parseForm(rw, r, maxFormBytes); err != nil {
		w.fail(rw, r, nil, err)
		return
	}
	email := strings.TrimSpace(r.PostFormValue("email"))
	err := w.limit(rw, r, httpserver.ResetKey(email))
	if err == nil {
		err = w.app.RequestPasswordReset(r.Context(), email)
	}
	if err != nil {
		if roster.ErrorCode(err) == roster.CodeInternal {
			w.fail(rw, r, nil, err)
			return
		}
		w.render(rw, r, refusalStatus(err), "forgot", &page{Title: "Reset your password",
			Data: forgotPage{Email: email, Error: roster.ErrorMessage(err), Invalid: roster.ErrorCode(err) == roster.CodeInvalidInput}})
		return
	}
	w.redirectWithFlash(rw, r, "/login", "If this address belongs to an account, a reset link is on its way.")
}
