package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
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
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return httpserver.ErrTooLarge
		}
		return roster.Invalid("", "The body could not be read.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return roster.Invalid("", "The body must hold exactly one JSON object.")
	}
	// encoding/json matches keys case-insensitively and lets a repeated key
	// win silently: {"role":"User","Role":"Admin"} would pass as one field.
	// Keys must be written exactly, once.
	return exactKeys(body, reflect.TypeOf(dst), "")
}

// exactKeys walks a JSON value along the Go type it was decoded into and
// refuses object keys that are not a field's exact name, or that repeat.
func exactKeys(raw []byte, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil // already decoded once: nothing malformed is left to find
	}
	switch {
	case tok == json.Delim('{') && t.Kind() == reflect.Struct:
		seen := map[string]bool{}
		for dec.More() {
			k, _ := dec.Token()
			key, _ := k.(string)
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return nil
			}
			field, ok := fieldNamed(t, key)
			if !ok {
				return roster.Invalid(path+key, "Unknown field %q; field names are case-sensitive.", truncate(path+key, 60))
			}
			if seen[key] {
				return roster.Invalid(path+key, "The field %q is given more than once.", truncate(path+key, 60))
			}
			seen[key] = true
			if err := exactKeys(v, field.Type, path+key+"."); err != nil {
				return err
			}
		}
	case tok == json.Delim('[') && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		for i := 0; dec.More(); i++ {
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return nil
			}
			if err := exactKeys(v, t.Elem(), fmt.Sprintf("%s%d.", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// fieldNamed returns the struct field whose JSON name is exactly name.
func fieldNamed(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "" {
			tag = f.Name
		}
		if tag == name && f.IsExported() && tag != "-" {
			return f, true
		}
	}
	return reflect.StructField{}, false
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
