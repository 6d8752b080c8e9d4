package api

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpserver"
)

// maxBody is the limit of a JSON request body.
const maxBody = 1 << 20

// decode reads a JSON object into dst: one object, no unknown fields, no
// trailing data, at most maxBody bytes.
func decode(w http.ResponseWriter, r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return roster.Invalid("", "The body must be JSON (Content-Type: application/json).")
		}
	}
	body := http.MaxBytesReader(w, r.Body, maxBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return httpserver.ErrTooLarge
		}
		return roster.Invalid("", "The body must hold exactly one JSON object.")
	}
	return nil
}

// jsonError explains a decoding failure without echoing the body.
func jsonError(err error) error {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
		mbe    *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mbe):
		return httpserver.ErrTooLarge
	case errors.Is(err, io.EOF):
		return roster.Invalid("", "The body is empty; a JSON object is required.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return roster.Invalid("", "The JSON body ends too soon.")
	case errors.As(err, &syntax):
		return roster.Invalid("", "The body is not valid JSON (at byte %d).", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return roster.Invalid("", "The body must be a JSON object.")
		}
		return roster.Invalid(typ.Field, "The field %q must be a %s.", typ.Field, jsonKind(typ.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return roster.Invalid(field, "Unknown field %q.", truncate(field, 60))
	}
	// Anything else is a value a field's own decoder refused (a time, say).
	return roster.Invalid("", "The body could not be read: %s.", truncate(strings.TrimPrefix(err.Error(), "json: "), 120))
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "map", "struct":
		return "object"
	case "slice", "array":
		return "list"
	}
	return "number"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// write answers v as JSON with the status.
func write(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// query reads a request's query parameters, refusing unknown and repeated ones.
type query struct {
	v   url.Values
	err error
}

func newQuery(r *http.Request, known ...string) *query {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return &query{err: roster.Invalid("", "The query string is malformed.")}
	}
	q := &query{v: v}
	for name, vals := range v {
		ok := false
		for _, k := range known {
			ok = ok || k == name
		}
		if !ok {
			q.err = roster.Invalid(name, "Unknown query parameter %q; this endpoint takes %s.", truncate(name, 40), strings.Join(known, ", "))
			return q
		}
		if len(vals) > 1 {
			q.err = roster.Invalid(name, "The query parameter %q is given more than once.", name)
			return q
		}
	}
	return q
}

func (q *query) str(name string) string {
	if q.err != nil {
		return ""
	}
	return q.v.Get(name)
}

func (q *query) int(name string) int {
	s := q.str(name)
	if s == "" || q.err != nil {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		q.err = roster.Invalid(name, "%s must be a positive whole number.", name)
	}
	return n
}

func (q *query) bool(name string) bool {
	switch s := q.str(name); s {
	case "", "false", "0":
		return false
	case "true", "1":
		return true
	default:
		q.err = roster.Invalid(name, "%s must be true or false.", name)
		return false
	}
}
