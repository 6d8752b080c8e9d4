package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/policy"
)

// home sends a signed-in person to their first account, a visitor to the
// sign-in page.
func (w *Web) home(rw http.ResponseWriter, r *http.Request) {
	p, pg, err := w.userFrame(r, "")
	if err != nil {
		w.fail(rw, r, nil, err) // a visitor goes to the sign-in page
		return
	}
	if len(pg.Accounts) == 0 {
		// Not an error of the visitor's (they may have just left their
		// last account), and no start page to go back to: what to do, and
		// where their settings are.
		msg := "You are not an active member of any account. If you were disabled, ask an administrator to enable you; if you were removed, to invite you again."
		_, ms, err := w.app.Me(r.Context(), p)
		if err != nil {
			w.fail(rw, r, pg, err)
			return
		}
		var invited []string
		for _, m := range ms {
			if m.Status == roster.StatusPending {
				invited = append(invited, m.AccountName+" (as "+m.Role+")")
			}
		}
		if len(invited) > 0 {
			// The link cannot be shown here: only its digest is kept.
			msg = "You are invited to " + strings.Join(invited, ", ") + " but have not joined yet: open the invitation link you were emailed. If you cannot find it, ask whoever invited you to send it again."
		}
		pg.Title = "No account"
		pg.Data = errorPage{Heading: "You are not in any account", Message: msg,
			Back: "/me/password", BackLabel: "Your settings"}
		w.render(rw, r, http.StatusOK, "error", pg)
		return
	}
	http.Redirect(rw, r, accountURL(pg.Accounts[0].AccountID), http.StatusSeeOther)
}

// accountHomePage is the model of an account's start page.
type accountHomePage struct {
	Role policy.Role
	// Leave is whether the viewer may leave the account, which needs no
	// permission (SPEC §3); Leaving, whether its confirmation is open
	// (?leave), which posts to LeaveURL or goes back to HomeURL.
	Leave             policy.Decision
	Leaving           bool
	LeaveURL, HomeURL string
	// Invite is whether the viewer may invite: a role of an operator's
	// catalog may, without the Users panel, whose invite dialogs then
	// open over this page (Dialog). AccountURL and List are what the
	// dialogs' templates read of the page under them.
	Invite     bool
	AccountURL string
	List       listState
	Dialog     *dialogState
}

// DialogURL is the link that opens a dialog over the page.
func (h *accountHomePage) DialogURL(kind, _ string) string {
	return h.HomeURL + "?dialog=" + url.QueryEscape(kind)
}

// accountHome is an account's start page: administrators go straight to
// the Users panel; everyone else sees their role and what it allows, and
// the invite dialogs when their role allows inviting.
func (w *Web) accountHome(rw http.ResponseWriter, r *http.Request) {
	p, pg, err := w.accountFrame(r, "home")
	if err != nil {
		w.fail(rw, r, pg, err)
		return
	}
	v := pg.Viewer
	if v.CanList() {
		// Keep a flash set by the redirect that led here for the next page.
		http.Redirect(rw, r, accountURL(v.Account.ID)+"/users", http.StatusSeeOther)
		return
	}
	var dlg *dialogState
	if kind := r.URL.Query().Get("dialog"); homeDialog(v, kind) {
		if dlg, err = w.dialogFromQuery(r, p, v, kind, ""); err != nil {
			w.fail(rw, r, pg, err)
			return
		}
	}
	w.renderHome(rw, r, pg, dlg, http.StatusOK)
}

// homeDialog reports whether a dialog of this kind opens over the start
// page for v: the invite dialogs, for a viewer who may invite.
func homeDialog(v *app.Viewer, kind string) bool {
	return (kind == "invite" || kind == "bulk") && v.CanInvite()
}

// renderHome renders the start page of a viewer without the Users panel,
// with an invite dialog open when dlg is not nil.
func (w *Web) renderHome(rw http.ResponseWriter, r *http.Request, pg *page, dlg *dialogState, status int) {
	v := pg.Viewer
	role, _ := v.Catalog().Role(v.Member.Role)
	home := accountURL(v.Account.ID)
	d := &accountHomePage{Role: role, Leave: v.On(v.Member).Remove, Leaving: r.Method == http.MethodGet && r.URL.Query().Has("leave"),
		HomeURL: home, LeaveURL: home + "/members/" + url.PathEscape(v.Member.UserID) + "/remove",
		Invite: v.CanInvite(), AccountURL: home, Dialog: dlg}
	if dlg != nil {
		// Closed, the dialog gives focus back to what opened it.
		dlg.CloseURL = home + openerAnchor[dlg.Kind]
	}
	pg.Title, pg.Section, pg.Data, pg.DialogOpen = v.Account.Name, "home", d, dlg != nil
	w.render(rw, r, status, "account_home", pg)
}
