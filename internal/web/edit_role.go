package web

import (
	"fmt"
	"net/http"
)

// editRole saves the Edit dialog (seed: "Editing a User's Role": Role
// dropdown, "Save Changes").
func (w *Web) editRole(rw http.ResponseWriter, r *http.Request) {
	p, pg, list, ok := w.formFrame(rw, r, maxFormBytes)
	if !ok {
		return
	}
	v := pg.Viewer
	userID, role := r.PathValue("user"), r.PostFormValue("role")
	m, err := w.app.ChangeRole(r.Context(), p, v.Account.ID, userID, role)
	if err != nil {
		d := &dialogState{Kind: "edit"}
		if lerr := w.loadTarget(r, p, v, d, userID); lerr != nil {
			w.fail(rw, r, pg, lerr)
			return
		}
		d.Values = map[string]string{"role": role}
		w.dialogRefused(rw, r, p, pg, list, d, err)
		return
	}
	msg := fmt.Sprintf("%s is now %s.", displayName(m), m.Role)
	if m.UserID == v.Member.UserID {
		// Lowering one's own role may take the panel away: go where the
		// new role lands.
		w.redirectWithFlash(rw, r, accountURL(v.Account.ID), "Your role is now "+m.Role+".")
		return
	}
	w.redirectWithFlash(rw, r, list.link(accountURL(v.Account.ID)+"/users"), msg)
}
