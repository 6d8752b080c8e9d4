package web

import (
	"net/http"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpserver"
)

// limit takes an attempt from the client address's bucket and, when key is
// not "", from key's. Keys are the JSON API's ("login:"+email, "reset:"+email,
// "token:"+token), so that a guesser gains nothing by switching between the
// API and the pages.
func (w *Web) limit(rw http.ResponseWriter, r *http.Request, key string) error {
	if ok, wait, err := w.byIP.Allow(r.Context(), httpserver.ClientIP(r)); err != nil {
		return err
	} else if !ok {
		return httpserver.RateLimited(rw, wait)
	}
	if key == "" {
		return nil
	}
	if ok, wait, err := w.byEmail.Allow(r.Context(), key); err != nil {
		return err
	} else if !ok {
		return httpserver.RateLimited(rw, wait)
	}
	return nil
}

// tokenKey is the rate-limit key of a link's token, as the API writes it.
func tokenKey(token string) string {
	if len(token) > 64 {
		token = token[:64] + "…"
	}
	return "token:" + token
}

// passwordKey is the rate-limit key of a password change, as the API writes
// it: guesses of the current password with a stolen session.
func passwordKey(userID string) string { return "password:" + userID }

// loginKey is the rate-limit key of a sign-in, as the API writes it.
func loginKey(email string) string { return "login:" + roster.EmailKey(email) }
