package web

import (
	"fmt"
	"maps"
	"net/http"

	"github.com/rosterhq/roster"
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
		w.editRefused(rw, r, p, pg, list, userID, false, map[string]string{"role": role}, err)
		return
	}
	msg := fmt.Sprintf("%s is now %s.", displayName(m), m.Role)
	if m.UserID == v.Member.UserID {
		// Lowering one's own role may take the panel away: go where the
		// new role lands.
		w.redirectWithFlash(rw, r, accountURL(v.Account.ID), "Your role is now "+m.Role+".")
		return
	}
	w.redirectWithFlash(rw, r, list.atRow(v.Account.ID, m.UserID), msg)
}

// editName saves the name a pending member shows, from the Edit dialog
// (PATCH …/members/{user} with {"name"} in the API).
func (w *Web) editName(rw http.ResponseWriter, r *http.Request) {
	p, pg, list, ok := w.formFrame(rw, r, maxFormBytes)
	if !ok {
		return
	}
	v := pg.Viewer
	userID, name := r.PathValue("user"), r.PostFormValue("name")
	m, err := w.app.SetPendingName(r.Context(), p, v.Account.ID, userID, name)
	if err != nil {
		w.editRefused(rw, r, p, pg, list, userID, false, map[string]string{"name": name}, err)
		return
	}
	msg := fmt.Sprintf("The invitation to %s now names them %s.", m.Email, m.Name)
	if m.Name == "" {
		msg = fmt.Sprintf("The invitation to %s no longer names them.", m.Email)
	}
	w.redirectWithFlash(rw, r, list.atRow(v.Account.ID, m.UserID), msg)
}

// editRefused shows the Edit dialog again with a refusal of one of its
// forms, keeping what was typed (the other fields show the member's own
// values). A refusal of the profile forms shows in their section.
func (w *Web) editRefused(rw http.ResponseWriter, r *http.Request, p roster.Principal, pg *page, list listState,
	userID string, profiles bool, typed map[string]string, err error) {
	d := &dialogState{Kind: "edit", Values: map[string]string{}, ProfileForm: profiles}
	if lerr := w.loadTarget(r, p, pg.Viewer, d, userID); lerr != nil {
		w.fail(rw, r, pg, lerr)
		return
	}
	d.Values["role"], d.Values["name"] = d.Target.Role, d.Target.Name
	maps.Copy(d.Values, typed)
	w.dialogRefused(rw, r, p, pg, list, d, err)
}
