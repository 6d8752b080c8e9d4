package web

import (
	"fmt"
	"net/http"

	"github.com/rosterhq/roster/internal/app"
)

// invite sends one invitation from the "+ Invite User" dialog (seed:
// "Inviting a New User").
func (w *Web) invite(rw http.ResponseWriter, r *http.Request) {
	p, pg, list, ok := w.formFrame(rw, r, maxFormBytes)
	if !ok {
		return
	}
	in := app.Invitation{Email: r.PostFormValue("email"), Role: r.PostFormValue("role"), Name: r.PostFormValue("name")}
	m, err := w.app.Invite(r.Context(), p, pg.Viewer.Account.ID, in)
	if err != nil {
		d := &dialogState{Kind: "invite", Roles: pg.Viewer.AssignableRoles(),
			Values: map[string]string{"email": in.Email, "role": in.Role, "name": in.Name}}
		w.dialogRefused(rw, r, p, pg, list, d, err)
		return
	}
	// Back to the button, where the next invitation starts.
	w.redirectWithFlash(rw, r, afterDialog(pg.Viewer, list)+"#invite-user",
		fmt.Sprintf("Invitation sent to %s as %s.", m.Email, m.Role))
}
