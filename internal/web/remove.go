package web

import (
	"fmt"
	"net/http"

	"github.com/rosterhq/roster"
)

// remove confirms the Remove dialog: it removes a member, revokes a pending
// invitation, or — on oneself — leaves the account (seed: "Remove —
// permanently deletes the user from the account").
func (w *Web) remove(rw http.ResponseWriter, r *http.Request) {
	p, pg, list, ok := w.formFrame(rw, r, maxFormBytes)
	if !ok {
		return
	}
	v := pg.Viewer
	userID := r.PathValue("user")
	d := &dialogState{Kind: "remove"}
	// Read first, for the confirmation's wording and the flash.
	if err := w.loadTarget(r, p, v, d, userID); err != nil {
		w.fail(rw, r, pg, err)
		return
	}
	if err := w.app.Remove(r.Context(), p, v.Account.ID, userID); err != nil {
		w.dialogRefused(rw, r, p, pg, list, d, err)
		return
	}
	switch {
	case d.Can.Self:
		// The page they land on is another account's, or the one saying
		// they are in none: its main region takes focus (DECISIONS 75),
		// the fragment surviving the start page's redirect.
		w.redirectWithFlash(rw, r, "/#main", fmt.Sprintf("You have left %s.", v.Account.Name))
	case d.Target.Status == roster.StatusPending:
		w.redirectWithFlash(rw, r, atHeading(v, list),
			fmt.Sprintf("The invitation to %s is revoked.", d.Target.Email))
	default:
		w.redirectWithFlash(rw, r, atHeading(v, list),
			fmt.Sprintf("%s is removed from %s.", d.TargetName(), v.Account.Name))
	}
}
