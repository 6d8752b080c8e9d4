package httpserver

import (
	"net/http"
	"time"
)

// SetSessionCookie gives the browser the session's raw token. The cookie is
// HttpOnly (no script reads it), SameSite=Lax (a cross-site form does not
// carry it) and, when the service is served over https, Secure and named
// with the __Host- prefix (SessionCookieName). The JSON API
// and the web UI both sign in with it, so there is one definition of it.
func SetSessionCookie(w http.ResponseWriter, raw string, secure bool, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookieName(secure), Value: raw, Path: "/", HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(maxAge.Seconds()),
	})
}

// ClearSessionCookie tells the browser to forget the session cookie.
func ClearSessionCookie(w http.ResponseWriter, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookieName(secure), Value: "", Path: "/", HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1,
	})
}
