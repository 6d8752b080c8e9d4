package web

import (
	"net/http"
)

// limit takes an attempt for key from the rate limits, which the pages
// share with the JSON API (httpserver.Limits).
func (w *Web) limit(rw http.ResponseWriter, r *http.Request, key string) error {
	return w.limits.Take(rw, r, key)
}
