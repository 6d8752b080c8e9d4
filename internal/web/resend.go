package web

import (
	"fmt"
	"net/http"
)

// resend issues a pending member a fresh link; the old one stops working.
func (w *Web) resend(rw http.ResponseWriter, r *http.Request) {
	p, pg, list, ok := w.formFrame(rw, r, maxFormBytes)
	if !ok {
		return
	}
	userID := r.PathValue("user")
	m, err := w.app.Resend(r.Context(), p, pg.Viewer.Account.ID, userID)
	if err != nil {
		w.rowRefused(rw, r, p, pg, list, userID, err)
		return
	}
	w.redirectWithFlash(rw, r, list.atRow(pg.Viewer.Account.ID, m.UserID),
		fmt.Sprintf("A new invitation link was sent to %s; the previous one no longer works.", m.Email))
}
