package web

import (
	"net/http"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpserver"
)

const passwordTitle = "Change your password"

// passwordForm is the model of the change-password form. Passwords are
// never written back into it.
type passwordForm struct {
	Error string
	Field string // the field the refusal is about: current, new or confirm
	// Name is the person's name as the name form shows it, and NameError
	// its refusal.
	Name, NameError string
}

// ErrFor is the refusal when it is about field (current, new, confirm),
// shown under that field.
func (f passwordForm) ErrFor(field string) string {
	if f.Field == field {
		return f.Error
	}
	return ""
}

// General is the refusal when it is about no one field.
func (f passwordForm) General() string {
	switch f.Field {
	case "current", "new", "confirm":
		return ""
	}
	return f.Error
}

// Focus is the field the page starts in: the one refused, else the
// current password.
func (f passwordForm) Focus() string {
	switch {
	case f.NameError != "":
		return "name"
	case f.General() == "" && f.Error != "":
		return f.Field
	}
	return "current"
}

func (w *Web) passwordPage(rw http.ResponseWriter, r *http.Request) {
	_, pg, err := w.userFrame(r, "password")
	if err != nil {
		w.fail(rw, r, pg, err)
		return
	}
	pg.Title, pg.Data = passwordTitle, passwordForm{Name: pg.User.Name}
	w.render(rw, r, http.StatusOK, "password", pg)
}

// changeName sets the person's own name (PATCH /api/v1/me), shown in every
// account they have joined.
func (w *Web) changeName(rw http.ResponseWriter, r *http.Request) {
	p, pg, ok := w.userForm(rw, r, "password", passwordTitle)
	if !ok {
		return
	}
	name := r.PostFormValue("name")
	_, err := w.app.SetMyName(r.Context(), p, name)
	w.accountAnswer(rw, r, pg, err, "/me/password", "Your name is saved.",
		passwordForm{Name: name, NameError: roster.ErrorMessage(err)})
}

// changePassword sets a new password over the current one (as POST
// /api/v1/me/password does, with the same rate limit on guessing the
// current one) and ends the person's other sessions.
func (w *Web) changePassword(rw http.ResponseWriter, r *http.Request) {
	p, pg, ok := w.userForm(rw, r, "password", passwordTitle)
	if !ok {
		return
	}
	var err error
	next := r.PostFormValue("new")
	if next != r.PostFormValue("confirm") {
		err = roster.Invalid("confirm", "The new password and its confirmation differ.")
	}
	if err == nil {
		err = w.limit(rw, r, httpserver.PasswordKey(p.UserID))
	}
	if err == nil {
		err = w.app.ChangePassword(r.Context(), p, r.PostFormValue("current"), next)
	}
	w.accountAnswer(rw, r, pg, err, "/", "Your password is changed. Your other sessions have ended.",
		passwordForm{Error: roster.ErrorMessage(err), Field: roster.ErrorField(err), Name: pg.User.Name})
}

// userForm starts a post of one of the forms of a signed-in person's own
// pages (section, with its title): their page and the parsed form, or
// false when it has answered already.
func (w *Web) userForm(rw http.ResponseWriter, r *http.Request, section, title string) (roster.Principal, *page, bool) {
	p, pg, err := w.userFrame(r, section)
	if err == nil {
		pg.Title = title
		err = parseForm(rw, r, maxFormBytes)
	}
	if err != nil {
		w.fail(rw, r, pg, err)
		return p, nil, false
	}
	return p, pg, true
}

// accountAnswer answers a post of the account page: on success a redirect
// to with flash, on a refusal the page again with refused as its model.
func (w *Web) accountAnswer(rw http.ResponseWriter, r *http.Request, pg *page, err error, to, flash string, refused passwordForm) {
	switch code := roster.ErrorCode(err); {
	case err == nil:
		w.redirectWithFlash(rw, r, to, flash)
	case code == roster.CodeInternal || code == roster.CodeUnauthenticated:
		w.fail(rw, r, pg, err)
	default:
		pg.Data = refused
		w.render(rw, r, refusalStatus(err), "password", pg)
	}
}
