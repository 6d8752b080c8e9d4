package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/httpserver"
)

// activatePage is the model of the activation form.
type activatePage struct {
	Token string
	Inv   *app.InvitationView
	Name  string
	// Errors by field (name, password); Error for anything else.
	Errors map[string]string
	Error  string
}

// Focus reports whether field of a new person's form takes the focus: the
// first with an error, else the first.
func (p activatePage) Focus(field string) bool {
	return focusField(p.Errors, field, "name", "password")
}

// linkErrorPage is the model of the page for a link that cannot be used.
type linkErrorPage struct {
	Heading string
	Message string
	Hint    string
}

// activatePage opens an invitation link (SPEC §4): a new user sets their
// name and password; a user with a password elsewhere enters it.
func (w *Web) activatePage(rw http.ResponseWriter, r *http.Request) {
	token := strings.TrimSpace(r.URL.Query().Get("token"))
	inv, err := w.app.Invitation(r.Context(), token)
	if err != nil {
		w.badInvitation(rw, r, err)
		return
	}
	w.render(rw, r, http.StatusOK, "activate", &page{Title: "Join " + inv.AccountName,
		Data: activatePage{Token: token, Inv: inv, Name: inv.Name, Errors: map[string]string{}}})
}

func (w *Web) activate(rw http.ResponseWriter, r *http.Request) {
	if err := parseForm(rw, r, maxFormBytes); err != nil {
		w.fail(rw, r, nil, err)
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	d := activatePage{Token: token, Name: r.PostFormValue("name"), Errors: map[string]string{}}
	if err := w.limit(rw, r, httpserver.LinkKey(token)); err != nil {
		w.fail(rw, r, nil, err)
		return
	}
	inv, err := w.app.Invitation(r.Context(), token)
	if err != nil {
		w.badInvitation(rw, r, err)
		return
	}
	d.Inv = inv
	acc, err := w.app.AcceptInvitation(r.Context(), httpserver.ClientIP(r), app.Acceptance{
		Token: token, Name: d.Name, Password: r.PostFormValue("password"),
	})
	switch code := roster.ErrorCode(err); {
	case err == nil:
	case code == roster.CodeInvalidToken:
		w.badInvitation(rw, r, err)
		return
	case code == roster.CodeInternal:
		w.fail(rw, r, nil, err)
		return
	default:
		if f := roster.ErrorField(err); f == "name" || f == "password" {
			d.Errors[f] = roster.ErrorMessage(err)
		} else {
			d.Error = roster.ErrorMessage(err)
		}
		w.render(rw, r, refusalStatus(err), "activate", &page{Title: "Join " + inv.AccountName, Data: d})
		return
	}
	httpserver.SetSessionCookie(rw, acc.Session, w.secureCookies, w.sessionMax)
	w.redirectWithFlash(rw, r, accountURL(acc.Member.AccountID),
		fmt.Sprintf("Welcome to %s. Your role is %s.", inv.AccountName, acc.Member.Role))
}

// badInvitation shows the clear page for a used, revoked, replaced or
// expired link; the use case's sentence says which it can tell.
func (w *Web) badInvitation(rw http.ResponseWriter, r *http.Request, err error) {
	if roster.ErrorCode(err) != roster.CodeInvalidToken {
		w.fail(rw, r, nil, err)
		return
	}
	w.render(rw, r, http.StatusGone, "link_error", &page{Title: "Invitation link not valid", Data: linkErrorPage{
		Heading: "This invitation link cannot be used",
		Message: roster.ErrorMessage(err),
		Hint:    "If you have already joined, sign in instead.",
	}})
}
