package web

import (
	"net/http"

	"github.com/rosterhq/roster/internal/app"
)

// rolesPage is the model of the roles page (seed: "BizMetry Roles",
// Bigeye's "Managed Role / Description / Privileges" table).
type rolesPage struct {
	Roles []app.RoleView
	Owner string
}

func (w *Web) roles(rw http.ResponseWriter, r *http.Request) {
	p, pg, err := w.accountFrame(r, "roles")
	if err != nil {
		w.fail(rw, r, pg, err)
		return
	}
	roles, err := w.app.Roles(r.Context(), p, pg.Viewer.Account.ID)
	if err != nil {
		w.fail(rw, r, pg, err)
		return
	}
	pg.Title = "Roles"
	pg.Data = rolesPage{Roles: roles, Owner: pg.Viewer.Catalog().Owner}
	w.render(rw, r, http.StatusOK, "roles", pg)
}
