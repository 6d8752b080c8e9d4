package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/httpserver"
)

// Body limits: a form of a few fields, and a CSV upload, as large as the
// API takes one, with room for the form around it.
const (
	maxFormBytes = 64 << 10
	maxCSVBytes  = app.MaxBulkBytes + maxFormBytes
)

// accountFrame loads who is signed in and what they may do in the account
// named by the path. It returns unauthenticated for a visitor, and not_found
// for anyone who is not an Active member of that account.
func (w *Web) accountFrame(r *http.Request, section string) (roster.Principal, *page, error) {
	p, pg, err := w.userFrame(r, section)
	if err != nil {
		return p, pg, err
	}
	v, err := w.app.Viewer(r.Context(), p, r.PathValue("account"))
	if err != nil {
		return p, pg, err
	}
	pg.Viewer = v
	return p, pg, nil
}

// userFrame loads who is signed in, for any page of a signed-in person;
// unauthenticated for a visitor.
func (w *Web) userFrame(r *http.Request, section string) (roster.Principal, *page, error) {
	p, ok := roster.PrincipalFromContext(r.Context())
	if !ok {
		return p, nil, roster.Errorf(roster.CodeUnauthenticated, "Please sign in.")
	}
	u, ms, err := w.app.Me(r.Context(), p)
	if err != nil {
		return p, nil, err
	}
	return p, &page{User: u, Accounts: activeOnly(ms), Section: section}, nil
}

// CurrentAccount is the id of the account the page is about, "" outside one.
func (p *page) CurrentAccount() string {
	if p.Viewer == nil {
		return ""
	}
	return p.Viewer.Account.ID
}

// parseForm reads a urlencoded or multipart form within limit bytes.
func parseForm(rw http.ResponseWriter, r *http.Request, limit int64) error {
	r.Body = http.MaxBytesReader(rw, r.Body, limit)
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(limit)
	} else {
		err = r.ParseForm()
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return httpserver.ErrTooLarge
	case err != nil:
		return roster.Invalid("form", "The form could not be read; please try again.")
	}
	return nil
}

// localPath accepts a path on this site to return to after signing in, and
// nothing else: a "next" parameter must not send anyone to another host.
// Browsers read a backslash as a slash and drop tabs and newlines, and
// http.Redirect cleans the path ("/./\evil.test" becomes "/\evil.test",
// which a browser takes for "//evil.test"), so a path holding any of them,
// raw or escaped, is refused.
func localPath(s string) string {
	if !strings.HasPrefix(s, "/") || strings.ContainsRune(s, '\\') || strings.ContainsFunc(s, unicode.IsControl) {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Host != "" || u.Scheme != "" || u.User != nil ||
		strings.ContainsRune(u.Path, '\\') || strings.ContainsFunc(u.Path, unicode.IsControl) {
		return ""
	}
	return s
}

// accountURL is the base of an account's pages.
func accountURL(id string) string { return "/accounts/" + url.PathEscape(id) }

// formFrame is accountFrame for a form post on the Users panel: it also
// reads the form and the list state the form carried. On failure it has
// answered already and returns false.
func (w *Web) formFrame(rw http.ResponseWriter, r *http.Request, limit int64) (roster.Principal, *page, listState, bool) {
	p, pg, err := w.accountFrame(r, "users")
	if err != nil {
		w.fail(rw, r, pg, err)
		return p, nil, listState{}, false
	}
	if err := parseForm(rw, r, limit); err != nil {
		w.fail(rw, r, pg, err)
		return p, nil, listState{}, false
	}
	return p, pg, listFromForm(r.PostFormValue("list")), true
}

// rowRefused answers an action refused from a row's buttons: the list as it
// was, with the policy's sentence in that row.
func (w *Web) rowRefused(rw http.ResponseWriter, r *http.Request, p roster.Principal, pg *page, list listState, userID string, err error) {
	if code := roster.ErrorCode(err); code == roster.CodeInternal || code == roster.CodeUnauthenticated {
		w.fail(rw, r, pg, err)
		return
	}
	if !pg.Viewer.CanList() {
		// Without the list there is no row to show it in: the refusal is
		// the page.
		w.fail(rw, r, pg, err)
		return
	}
	re := &rowError{UserID: userID, Message: roster.ErrorMessage(err), LastOwner: roster.ErrorCode(err) == roster.CodeLastOwner}
	w.renderUsers(rw, r, p, pg, list, nil, re, refusalStatus(err))
}

// dialogRefused answers an action refused from a dialog: the dialog again,
// with what was typed and the refusal next to its control.
func (w *Web) dialogRefused(rw http.ResponseWriter, r *http.Request, p roster.Principal, pg *page, list listState, d *dialogState, err error) {
	if code := roster.ErrorCode(err); code == roster.CodeInternal || code == roster.CodeUnauthenticated {
		w.fail(rw, r, pg, err)
		return
	}
	if !pg.Viewer.CanList() && !homeDialog(pg.Viewer, d.Kind) {
		w.fail(rw, r, pg, err)
		return
	}
	d.setError(err)
	w.renderWithDialog(rw, r, p, pg, list, d, refusalStatus(err))
}

// renderWithDialog renders a dialog over the page it opens on: the Users
// panel, or the start page for a viewer who may invite without the panel
// (homeDialog).
func (w *Web) renderWithDialog(rw http.ResponseWriter, r *http.Request, p roster.Principal, pg *page, list listState, d *dialogState, status int) {
	if pg.Viewer.CanList() {
		w.renderUsers(rw, r, p, pg, list, d, nil, status)
		return
	}
	w.renderHome(rw, r, pg, d, status)
}

// afterDialog is where a dialog's form sends the viewer once done: back to
// the list as it was, or to the start page for a viewer without it.
func afterDialog(v *app.Viewer, list listState) string {
	if v.CanList() {
		return list.link(accountURL(v.Account.ID) + "/users")
	}
	return accountURL(v.Account.ID)
}

// atHeading is afterDialog at the heading of the page it leads to: where
// an action sends the viewer when it took away the control they used (the
// row of a removed member or a revoked invitation, a former owner's
// Transfer ownership button), so that a keyboard or screen-reader user
// resumes at the list they acted on rather than at the top of the page.
// The script focuses the heading; without it the fragment still makes the
// next Tab start there. The flash is read out from the live region.
func atHeading(v *app.Viewer, list listState) string {
	if v.CanList() {
		return afterDialog(v, list) + "#users-heading"
	}
	return afterDialog(v, list) + "#home-heading"
}

// focusField reports whether field is where a form's focus starts: the
// first of fields (in the form's order) with an error, else the first. A
// person who sent a form back with a mistake lands on the mistake.
func focusField(errs map[string]string, field string, fields ...string) bool {
	for _, f := range fields {
		if errs[f] != "" {
			return f == field
		}
	}
	return len(fields) > 0 && fields[0] == field
}

// displayName is a member's name, or their email while they have none.
func displayName(m *roster.Member) string {
	if m.Name != "" {
		return m.Name
	}
	return m.Email
}
