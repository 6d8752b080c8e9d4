package web

import (
	"fmt"
	"net/http"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpserver"
)

// transfer hands ownership to another Active member (SPEC §3 rule 5): the
// owner picks the member and re-enters their password; the policy and the
// use case do the rest in one transaction.
func (w *Web) transfer(rw http.ResponseWriter, r *http.Request) {
	p, pg, list, ok := w.formFrame(rw, r, maxFormBytes)
	if !ok {
		return
	}
	v := pg.Viewer
	userID := r.PostFormValue("user")
	// The password is guessed against the same bucket as the API's
	// transfer and a password change: a stolen session gets no more tries.
	var err error
	// The select is required, but a browser may not check. Only for one
	// who may transfer: anyone else is refused first, as with a member.
	if userID == "" && v.CanTransfer() {
		err = roster.Invalid("user", "Choose the member to make %s.", v.Catalog().Owner)
	} else {
		err = w.limit(rw, r, httpserver.PasswordKey(p.UserID))
	}
	var m *roster.Member
	if err == nil {
		m, err = w.app.TransferOwnership(r.Context(), p, v.Account.ID, userID, r.PostFormValue("password"))
	}
	if err != nil {
		// The password is not kept: it is typed again.
		d := &dialogState{Kind: "transfer", Values: map[string]string{"user": userID}, Find: r.PostFormValue("find")}
		w.dialogRefused(rw, r, p, pg, list, d, err)
		return
	}
	msg := fmt.Sprintf("%s is now the %s; you are now %s.", displayName(m), v.Catalog().Owner, v.Catalog().Fallback)
	// At the list's heading: the former owner's Transfer ownership button,
	// which opened the dialog, is gone with the role. They now hold the
	// fallback role, which in a catalog of the operator's own may not see
	// the list: the page is the new role's. Should reading it fail, the
	// page they land on says so.
	if after, err := w.app.Viewer(r.Context(), p, v.Account.ID); err == nil {
		v = after
	}
	w.redirectWithFlash(rw, r, atHeading(v, list), msg)
}
