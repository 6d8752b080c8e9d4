package web

import (
	"net/http"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpserver"
)

// logout ends this browser's session only; other sessions stay.
func (w *Web) logout(rw http.ResponseWriter, r *http.Request) {
	if p, ok := roster.PrincipalFromContext(r.Context()); ok && p.SessionID != "" {
		if err := w.app.Logout(r.Context(), p); err != nil {
			w.fail(rw, r, nil, err)
			return
		}
	}
	httpserver.ClearSessionCookie(rw, w.secureCookies)
	w.redirectWithFlash(rw, r, "/login", "You are signed out.")
}
