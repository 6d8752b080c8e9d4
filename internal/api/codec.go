package api

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpserver"
)

// maxBody is the limit of a JSON request body.
const maxBody = 1 << 20

// decodeOptions are the rules every JSON body meets: unknown members are
// refused. The decoder (github.com/go-json-experiment/json, the upstream of
// encoding/json/v2) also matches names case-sensitively and refuses a
// repeated name: with encoding/json, {"role":"User","Role":"Admin"} passed
// as one field and applied Admin.
var decodeOptions = json.RejectUnknownMembers(true)

// bodyTime is a time in a request body: RFC 3339, whose "T" and "Z" may
// also be written "t" and "z" (its §5.6), which the decoder's own parsing
// refuses. A type of its own rather than an unmarshaler in decodeOptions,
// which the decoder would look up for every value of every body (a tenth
// of decoding a batch of checks).
type bodyTime time.Time

// timeLetters upper-cases the letters an RFC 3339 time may have in lower
// case.
var timeLetters = strings.NewReplacer("t", "T", "z", "Z")

func (t *bodyTime) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) != nil {
		// Not a string: the decoder says what a time must be.
		return json.Unmarshal(b, (*time.Time)(t))
	}
	// The string, decoded, then quoted again: escapes ("\u0032") and
	// literals (true) are not the decoder's to upper-case.
	q, err := jsontext.AppendQuote(nil, timeLetters.Replace(s))
	if err != nil {
		return err
	}
	return json.Unmarshal(q, (*time.Time)(t))
}

// decode reads a JSON object into dst: one value, no unknown, misspelt or
// repeated names, no trailing data, at most maxBody bytes.
func decode(w http.ResponseWriter, r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return roster.Invalid("", "The body must be JSON (Content-Type: application/json).")
		}
		// JSON is UTF-8 (RFC 8259): a body said to be in another charset
		// would be read as what it is not.
		if cs, ok := params["charset"]; ok && !utf8Charset(cs) {
			return roster.Invalid("", "The body must be JSON in UTF-8, not %q.", roster.Truncate(cs, 40))
		}
	}
	body, err := readBody(w, r)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return httpserver.ErrTooLarge
		}
		return roster.Invalid("", "The body could not be read.")
	}
	switch trimmed := bytes.TrimSpace(body); {
	case len(trimmed) == 0:
		return roster.Invalid("", "The body is empty; a JSON object is required.")
	case string(trimmed) == "null":
		// Unmarshalled, it would leave dst as it is: the request of an
		// empty object, answered as one ("an email address is required").
		return roster.Invalid("", "The body must be a JSON object.")
	}
	if err := json.Unmarshal(body, dst, decodeOptions); err != nil {
		return jsonError(err)
	}
	return nil
}

// readBody reads the body, at most maxBody bytes. A body that declares its
// length, as a batch of checks does, is read into a buffer of that size
// (io.ReadAll would grow one from 512 bytes, copying it several times over)
// up to presized bytes: a client that declares a large body and sends none
// holds no more than that of the server's memory.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, maxBody)
	n := r.ContentLength
	if n <= 0 || n > maxBody {
		return io.ReadAll(body)
	}
	buf := make([]byte, min(n, presized))
	if _, err := io.ReadFull(body, buf); err != nil || n <= presized {
		return buf, err // net/http ends the body at its declared length
	}
	rest, err := io.ReadAll(body)
	return append(buf, rest...), err
}

// presized is the most readBody allocates before the bytes arrive: enough
// for a batch of 100 checks (about 6 KB), and about what net/http itself
// holds for a connection that sends its headers slowly. A client that
// declares a body and sends none holds this much per connection; at 64
// KiB, 9,000 such connections held 724 MB.
const presized = 16 << 10

// jsonError explains a decoding failure without echoing the body, naming
// the field at fault as a path ("checks[0].permission").
func jsonError(err error) error {
	var (
		syntax   *jsontext.SyntacticError
		semantic *json.SemanticError
	)
	switch {
	case errors.As(err, &syntax):
		field := fieldPath(syntax.JSONPointer)
		switch {
		case errors.Is(syntax.Err, jsontext.ErrDuplicateName):
			return roster.Invalid(field, "The field %q is given more than once.", roster.Truncate(field, 60))
		case errors.Is(syntax.Err, io.ErrUnexpectedEOF):
			return roster.Invalid("", "The JSON body ends too soon.")
		}
		return roster.Invalid("", "The body is not valid JSON, or holds more than one value (at byte %d).", syntax.ByteOffset)
	case errors.As(err, &semantic):
		field := fieldPath(semantic.JSONPointer)
		switch {
		case errors.Is(semantic.Err, json.ErrUnknownName):
			return roster.Invalid(field, "Unknown field %q; field names are case-sensitive.", roster.Truncate(field, 60))
		case field == "":
			return roster.Invalid("", "The body must be a JSON object.")
		case semantic.GoType != nil:
			return roster.Invalid(field, "The field %q must be %s.", roster.Truncate(field, 60), jsonKind(semantic.GoType))
		}
		return roster.Invalid(field, "The field %q has a value that cannot be read.", roster.Truncate(field, 60))
	}
	return roster.Invalid("", "The body could not be read as JSON.")
}

// fieldPath turns a JSON pointer ("/checks/0/permission") into the path
// the problem's field names ("checks[0].permission"), written as the use
// cases write the fields they refuse.
func fieldPath(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if _, err := strconv.ParseUint(tok, 10, 32); err == nil && b.Len() > 0 {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// jsonKind names, with its article, what a value of Go type t is in JSON.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[time.Time]() || t == reflect.TypeFor[bodyTime]() {
		return "an RFC 3339 time, such as \"2026-05-01T09:00:00Z\""
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	}
	return "a number"
}

// write answers v as JSON with the status.
func write(w http.ResponseWriter, status int, v any) error {
	// Encoded whole before the status is written: a value that cannot be
	// encoded is a 500, never a 200 cut short, and a large body goes out
	// with its Content-Length in one write rather than in chunks.
	buf := bodies.Get().(*bytes.Buffer)
	defer putBody(buf)
	if err := stdjson.NewEncoder(buf).Encode(v); err != nil { // v1: nil maps stay null on the wire
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if buf.Len() > 2048 {
		// net/http measures a smaller body itself, which it holds whole.
		h.Set("Content-Length", strconv.Itoa(buf.Len()))
	}
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// utf8Charset reports whether a charset parameter names UTF-8, by one of
// the labels the WHATWG Encoding standard gives it, or ASCII, of which
// UTF-8 is a superset.
func utf8Charset(cs string) bool {
	switch strings.ToLower(cs) {
	case "utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8", "us-ascii", "ascii":
		return true
	}
	return false
}

// bodies are the buffers write encodes answers into.
var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func putBody(buf *bytes.Buffer) {
	if buf.Cap() > 1<<20 {
		return // a rare large answer's buffer is not kept
	}
	buf.Reset()
	bodies.Put(buf)
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
			q.err = roster.Invalid(name, "Unknown query parameter %q; this endpoint takes %s.", roster.Truncate(name, 40), strings.Join(known, ", "))
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

// bool reads a flag, true or false in any case (or 1 or 0): false when it
// is absent, and refused when it is there without a value. A bare ?dry_run
// asks for a dry run, but read as false it would make the change it was
// meant to preview.
func (q *query) bool(name string) bool {
	if q.err != nil || !q.v.Has(name) {
		return false
	}
	switch s := strings.ToLower(q.v.Get(name)); s {
	case "false", "0":
		return false
	case "true", "1":
		return true
	default:
		q.err = roster.Invalid(name, "%s must be true or false.", name)
		return false
	}
}
