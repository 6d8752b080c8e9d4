package web

import (
	"net/http"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpserver"
)

// loginPage is the model of the sign-in form.
type loginPage struct {
	Email string
	Next  string
	Error string
	// Invalid says the error is the fields' (wrong email or password),
	// not a refusal such as a rate limit.
	Invalid bool
}

func (w *Web) loginPage(rw http.ResponseWriter, r *http.Request) {
	if _, ok := roster.PrincipalFromContext(r.Context()); ok {
		http.Redirect(rw, r, "/", http.StatusSeeOther)
		return
	}
	w.render(rw, r, http.StatusOK, "login", &page{Title: "Sign in",
		Data: loginPage{Next: localPath(r.URL.Query().Get("next"))}})
}

// login checks the email and password (SPEC §4). Every failure gets the
// use case's one sentence, so the page does not tell who has an account.
func (w *Web) login(rw http.ResponseWriter, r *http.Request) {
	if err := parseForm(rw, r, maxFormBytes); err != nil {
		w.fail(rw, r, nil, err)
		return
	}
	email, pass := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("password")
	d := loginPage{Email: email, Next: localPath(r.PostFormValue("next"))}
	err := w.limit(rw, r, httpserver.LoginKey(email))
	var raw string
	if err == nil {
		raw, _, err = w.app.Login(r.Context(), httpserver.ClientIP(r), email, pass)
	}
	if err != nil {
		if roster.ErrorCode(err) == roster.CodeInternal {
			w.fail(rw, r, nil, err)
			return
		}
		d.Error, d.Invalid = roster.ErrorMessage(err), roster.ErrorCode(err) != roster.CodeRateLimited
		w.render(rw, r, refusalStatus(err), "login", &page{Title: "Sign in", Data: d})
		return
	}
	if err := w.limits.Forgive(r.Context(), r, httpserver.LoginKey(email)); err != nil {
		w.fail(rw, r, nil, err)
		return
	}
	httpserver.SetSessionCookie(rw, raw, w.secureCookies, w.sessionMax)
	to := d.Next
	if to == "" {
		to = "/"
	}
	http.Redirect(rw, r, to, http.StatusSeeOther)
}
