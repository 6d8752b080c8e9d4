package web

import (
	"fmt"
	"net/http"

	"github.com/rosterhq/roster"
)

// disable and enable are the row's Disable / Enable buttons (seed:
// "Disable — temporarily revokes platform access without removing the user
// record").
func (w *Web) disable(rw http.ResponseWriter, r *http.Request) {
	w.setStatus(rw, r, roster.StatusDisabled, "%s is disabled and can no longer sign in to this account.")
}

func (w *Web) enable(rw http.ResponseWriter, r *http.Request) {
	w.setStatus(rw, r, roster.StatusActive, "%s is active again.")
}

func (w *Web) setStatus(rw http.ResponseWriter, r *http.Request, st roster.Status, done string) {
	p, pg, list, ok := w.formFrame(rw, r, maxFormBytes)
	if !ok {
		return
	}
	userID := r.PathValue("user")
	m, err := w.app.SetStatus(r.Context(), p, pg.Viewer.Account.ID, userID, string(st))
	if err != nil {
		w.rowRefused(rw, r, p, pg, list, userID, err)
		return
	}
	w.redirectWithFlash(rw, r, list.atRow(pg.Viewer.Account.ID, m.UserID), fmt.Sprintf(done, displayName(m)))
}
