package api_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpserver"
	"github.com/rosterhq/roster/internal/testlog"
	"github.com/rosterhq/roster/policy"
)

// state is what a refused request must leave as it was: the member list and
// the audit log, as the owner sees them.
func state(t *testing.T, owner *client, accountID string) string {
	t.Helper()
	members := owner.get("/api/v1/accounts/" + accountID + "/members?limit=200")
	wantStatus(t, members, http.StatusOK)
	audit := owner.get("/api/v1/accounts/" + accountID + "/audit?limit=200")
	wantStatus(t, audit, http.StatusOK)
	return string(members.body) + "\n" + string(audit.body)
}

func TestBadRequests(t *testing.T) {
	h := newHarness(t)
	acc, owner := h.owner("bigeye", "olive@acme.test")
	admin := h.member(acc, owner, "ada@acme.test", "Admin")
	pending := decodeAs[memberBody](t, owner.json("POST", "/api/v1/accounts/"+acc+"/invitations",
		map[string]string{"email": "pat@acme.test", "role": "User"}), http.StatusCreated)
	base := "/api/v1/accounts/" + acc
	member := base + "/members/" + admin.userID
	anon := h.client("anon")
	// Signed in, and an owner, but of another account.
	_, stranger := h.owner("bigeye", "sam@beta.test")
	listPage := decodeAs[listBody[memberBody]](t, owner.get(base+"/members?limit=1&sort=email"), http.StatusOK)
	if listPage.NextCursor == "" {
		t.Fatal("no next_cursor on a page of 1")
	}

	const (
		jsonCT = "application/json"
		csvCT  = "text/csv"
	)
	hugeJSON := []byte(`{"email":"` + strings.Repeat("a", 1<<20) + `@acme.test","role":"User"}`)
	// Rows of about 1 KiB: over 8 MiB in fewer than 10,000 rows.
	var hugeCSV bytes.Buffer
	hugeCSV.WriteString("email,role,name\n")
	for i := 0; hugeCSV.Len() <= 8<<20; i++ {
		fmt.Fprintf(&hugeCSV, "person%d@acme.test,User,%s\n", i, strings.Repeat("n", 1000))
	}
	var manyRows bytes.Buffer
	manyRows.WriteString("email\n")
	for i := range 10001 {
		fmt.Fprintf(&manyRows, "p%d@acme.test\n", i)
	}
	var batch strings.Builder
	batch.WriteString(`{"checks":[`)
	for i := range 101 {
		if i > 0 {
			batch.WriteString(",")
		}
		batch.WriteString(`{"user":"` + admin.userID + `","permission":"catalog.read"}`)
	}
	batch.WriteString("]}")

	tests := []struct {
		name   string
		anon   bool
		method string
		path   string
		ct     string
		body   string
		status int
		code   string
		field  string
		detail string // a part of the problem's detail, when it matters
	}{
		{name: "malformed JSON", method: "POST", path: base + "/invitations", ct: jsonCT, body: `{"email": "x@acme.test",`},
		{name: "not JSON at all", method: "POST", path: base + "/invitations", ct: jsonCT, body: `email=x@acme.test`},
		{name: "wrong type", method: "POST", path: base + "/invitations", ct: jsonCT, body: `{"email": 5, "role": "User"}`, field: "email"},
		{name: "wrong type nested", method: "PATCH", path: member, ct: jsonCT, body: `{"role": ["Owner"]}`, field: "role"},
		{name: "an array, not an object", method: "POST", path: base + "/invitations", ct: jsonCT, body: `[{"email": "x@acme.test"}]`},
		{name: "a string, not an object", method: "POST", path: base + "/invitations", ct: jsonCT, body: `"x@acme.test"`},
		{name: "null body", method: "POST", path: base + "/invitations", ct: jsonCT, body: `null`, detail: "must be a JSON object"},
		{name: "check of a user id too long", method: "POST", path: base + "/check", ct: jsonCT, body: `{"user": "` + strings.Repeat("u", 65) + `", "permission": "catalog.read"}`, field: "user", detail: "at most 64 characters"},
		{name: "a path starting //", method: "PATCH", path: "//api/v1/me", ct: jsonCT, body: `{"name": "X"}`, status: http.StatusNotFound, code: roster.CodeNotFound},
		{name: "a path with //", method: "PATCH", path: "/api/v1//me", ct: jsonCT, body: `{"name": "X"}`, status: http.StatusNotFound, code: roster.CodeNotFound},
		{name: "a path with /./", method: "GET", path: base + "/./members", status: http.StatusNotFound, code: roster.CodeNotFound},
		{name: "a path with /..", method: "DELETE", path: member + "/..", status: http.StatusNotFound, code: roster.CodeNotFound},
		{name: "null login", anon: true, method: "POST", path: "/api/v1/session", ct: jsonCT, body: ` null `, detail: "must be a JSON object"},
		{name: "unknown field", method: "POST", path: base + "/invitations", ct: jsonCT, body: `{"email": "x@acme.test", "role": "User", "admin": true}`, field: "admin"},
		{name: "login without password", anon: true, method: "POST", path: "/api/v1/session", ct: jsonCT, body: `{"email": "olive@acme.test"}`, field: "password"},
		{name: "login with a null email", anon: true, method: "POST", path: "/api/v1/session", ct: jsonCT, body: `{"email": null, "password": "` + pw + `"}`, field: "email"},
		{name: "login of an empty object", anon: true, method: "POST", path: "/api/v1/session", ct: jsonCT, body: `{}`, field: "email"},
		{name: "unknown field in login", anon: true, method: "POST", path: "/api/v1/session", ct: jsonCT, body: `{"email": "olive@acme.test", "password": "` + pw + `", "remember": true}`, field: "remember"},
		{name: "key in another case", method: "POST", path: base + "/invitations", ct: jsonCT, body: `{"EMAIL": "x@acme.test", "role": "User"}`, field: "EMAIL"},
		{name: "role smuggled in another case", method: "PATCH", path: member, ct: jsonCT, body: `{"role": "User", "Role": "Admin"}`, field: "Role"},
		{name: "repeated key", method: "PATCH", path: member, ct: jsonCT, body: `{"role": "User", "role": "Admin"}`, field: "role"},
		{name: "nested key in another case", method: "POST", path: base + "/check/batch", ct: jsonCT, body: `{"checks": [{"user": "u", "Permission": "catalog.read"}]}`, field: "checks[0].Permission"},
		{name: "trailing object", method: "POST", path: base + "/invitations", ct: jsonCT, body: `{"email": "x@acme.test", "role": "User"} {}`},
		{name: "trailing garbage", method: "POST", path: base + "/invitations", ct: jsonCT, body: `{"email": "x@acme.test", "role": "User"}xyz`},
		{name: "text/plain", method: "POST", path: base + "/invitations", ct: "text/plain", body: `{"email": "x@acme.test", "role": "User"}`},
		{name: "form", method: "POST", path: base + "/invitations", ct: "application/x-www-form-urlencoded", body: `email=x%40acme.test&role=User`},
		{name: "JSON in another charset", method: "POST", path: base + "/invitations", ct: "application/json; charset=latin1", body: `{"email": "x@acme.test", "role": "User"}`, detail: "UTF-8"},
		{name: "JSON said to be UTF-16", method: "POST", path: base + "/invitations", ct: "application/json; charset=UTF-16", body: `{"email": "x@acme.test", "role": "User"}`, detail: "UTF-8"},
		{name: "malformed content type", method: "POST", path: base + "/invitations", ct: "application/json; charset", body: `{"email": "x@acme.test", "role": "User"}`},
		{name: "empty body", method: "POST", path: base + "/invitations", ct: jsonCT, body: ``},
		{name: "empty body without type", method: "PATCH", path: member},
		{name: "body over 1 MiB", method: "POST", path: base + "/invitations", ct: jsonCT, body: string(hugeJSON), status: http.StatusRequestEntityTooLarge},
		{name: "login over 1 MiB", anon: true, method: "POST", path: "/api/v1/session", ct: jsonCT, body: string(hugeJSON), status: http.StatusRequestEntityTooLarge},
		{name: "CSV over 8 MiB", method: "POST", path: base + "/invitations/bulk", ct: csvCT, body: hugeCSV.String(), status: http.StatusRequestEntityTooLarge},
		{name: "CSV of 10,001 rows", method: "POST", path: base + "/invitations/bulk", ct: csvCT, body: manyRows.String()},
		{name: "CSV without header", method: "POST", path: base + "/invitations/bulk", ct: csvCT, body: ""},
		{name: "CSV without email column", method: "POST", path: base + "/invitations/bulk", ct: csvCT, body: "name,role\nX,User\n"},
		{name: "CSV with unknown column", method: "POST", path: base + "/invitations/bulk", ct: csvCT, body: "email,team\nx@acme.test,red\n"},
		{name: "CSV with broken quote", method: "POST", path: base + "/invitations/bulk", ct: csvCT, body: "email,name\n\"x@acme.test,X\ny@acme.test,Y\n"},
		{name: "CSV with a quote left open in a later row", method: "POST", path: base + "/invitations/bulk", ct: csvCT, body: "email,name\nx@acme.test,X\ny@acme.test,\"Y W\nz@acme.test,Z\n"},
		{name: "CSV in another charset", method: "POST", path: base + "/invitations/bulk", ct: "text/csv; charset=windows-1252", body: "email,name\nx@acme.test,Jos\xe9\n", detail: "UTF-8"},
		{name: "CSV sent as JSON", method: "POST", path: base + "/invitations/bulk", ct: jsonCT, body: "email\nx@acme.test\n"},
		{name: "bulk dry_run without a value", method: "POST", path: base + "/invitations/bulk?dry_run", ct: csvCT, body: "email\nx@acme.test\n", field: "dry_run"},
		{name: "bulk dry_run empty", method: "POST", path: base + "/invitations/bulk?dry_run=", ct: csvCT, body: "email\nx@acme.test\n", field: "dry_run"},
		{name: "bulk dry_run not boolean", method: "POST", path: base + "/invitations/bulk?dry_run=maybe", ct: csvCT, body: "email\nx@acme.test\n", field: "dry_run"},
		{name: "negative limit", method: "GET", path: base + "/members?limit=-1", field: "limit"},
		{name: "zero limit", method: "GET", path: base + "/members?limit=0", field: "limit"},
		{name: "limit over 200", method: "GET", path: base + "/members?limit=201", field: "limit"},
		{name: "huge limit", method: "GET", path: base + "/members?limit=99999999999999999999999", field: "limit"},
		{name: "non-numeric limit", method: "GET", path: base + "/members?limit=ten", field: "limit"},
		{name: "audit zero limit", method: "GET", path: base + "/audit?limit=0", field: "limit"},
		{name: "audit huge limit", method: "GET", path: base + "/audit?limit=1000", field: "limit"},
		{name: "unknown sort", method: "GET", path: base + "/members?sort=age", field: "sort"},
		{name: "bare minus sort", method: "GET", path: base + "/members?sort=-", field: "sort"},
		{name: "unknown status filter", method: "GET", path: base + "/members?status=gone", field: "status"},
		{name: "unknown role filter", method: "GET", path: base + "/members?role=Wizard", field: "role"},
		{name: "unknown query parameter", method: "GET", path: base + "/members?page=2", field: "page"},
		{name: "repeated query parameter", method: "GET", path: base + "/members?limit=1&limit=2", field: "limit"},
		{name: "malformed query", method: "GET", path: base + "/members?a=%zz"},
		{name: "audit unknown query parameter", method: "GET", path: base + "/audit?sort=name", field: "sort"},
		{name: "bad cursor", method: "GET", path: base + "/members?cursor=not-a-cursor"},
		{name: "cursor of another sort", method: "GET", path: base + "/members?limit=1&sort=-last_login&cursor=" + listPage.NextCursor},
		{name: "bad audit cursor", method: "GET", path: base + "/audit?cursor=not-a-cursor"},
		{name: "email without at", method: "POST", path: base + "/invitations", ct: jsonCT, body: `{"email": "no-at-sign", "role": "User"}`, field: "email"},
		{name: "email without dot", method: "POST", path: base + "/invitations", ct: jsonCT, body: `{"email": "a@localhost", "role": "User"}`, field: "email"},
		{name: "email list", method: "POST", path: base + "/invitations", ct: jsonCT, body: `{"email": "a@acme.test, b@acme.test", "role": "User"}`, field: "email"},
		{name: "email with name", method: "POST", path: base + "/invitations", ct: jsonCT, body: `{"email": "A <a@acme.test>", "role": "User"}`, field: "email"},
		{name: "blank email", method: "POST", path: base + "/invitations", ct: jsonCT, body: `{"email": "   ", "role": "User"}`, field: "email"},
		{name: "email too long", method: "POST", path: base + "/invitations", ct: jsonCT, body: `{"email": "` + strings.Repeat("a", 300) + `@acme.test", "role": "User"}`, field: "email"},
		{name: "email mailbox over 64 bytes", method: "POST", path: base + "/invitations", ct: jsonCT, body: `{"email": "` + strings.Repeat("a", 65) + `@acme.test", "role": "User"}`, field: "email", detail: "at most 64"},
		{name: "unknown role to invite", method: "POST", path: base + "/invitations", ct: jsonCT, body: `{"email": "x@acme.test", "role": "Wizard"}`, field: "role"},
		{name: "role in the wrong case", method: "POST", path: base + "/invitations", ct: jsonCT, body: `{"email": "x@acme.test", "role": "owner"}`, field: "role"},
		{name: "unknown role to change to", method: "PATCH", path: member, ct: jsonCT, body: `{"role": "Wizard"}`, field: "role"},
		{name: "unknown profile role", method: "PUT", path: member + "/profiles/prod", ct: jsonCT, body: `{"role": "Wizard"}`, field: "role"},
		{name: "bad profile slug", method: "PUT", path: member + "/profiles/Not_A_Slug", ct: jsonCT, body: `{"role": "User"}`, field: "profile"},
		{name: "PATCH with two fields", method: "PATCH", path: member, ct: jsonCT, body: `{"role": "User", "status": "disabled"}`},
		{name: "PATCH with nothing", method: "PATCH", path: member, ct: jsonCT, body: `{}`},
		{name: "PATCH with null", method: "PATCH", path: member, ct: jsonCT, body: `{"role": null}`, detail: "as a string (not null)"},
		{name: "PATCH status pending", method: "PATCH", path: member, ct: jsonCT, body: `{"status": "pending"}`, field: "status"},
		{name: "PATCH pending name with an override", method: "PATCH", path: base + "/members/" + pending.User, ct: jsonCT, body: `{"name": "Eve \u202enimda"}`, field: "name"},
		{name: "PATCH me without name", method: "PATCH", path: "/api/v1/me", ct: jsonCT, body: `{}`, field: "name"},
		{name: "token expiry not a time", method: "POST", path: "/api/v1/tokens", ct: jsonCT, body: `{"name": "ci", "account": "` + acc + `", "expires_at": "tomorrow"}`, field: "expires_at", detail: "must be an RFC 3339 time"},
		{name: "token name an object", method: "POST", path: "/api/v1/tokens", ct: jsonCT, body: `{"name": {}, "account": "` + acc + `"}`, field: "name", detail: "must be a string"},
		{name: "batch checks an object", method: "POST", path: base + "/check/batch", ct: jsonCT, body: `{"checks": {}}`, field: "checks", detail: "must be a list"},
		{name: "token expiry in lower case, in the past", method: "POST", path: "/api/v1/tokens", ct: jsonCT, body: `{"name": "ci", "account": "` + acc + `", "expires_at": "2001-01-01t00:00:00z"}`, field: "expires_at", detail: "in the future"},
		{name: "token expiry escaped, in the past", method: "POST", path: "/api/v1/tokens", ct: jsonCT, body: `{"name": "ci", "account": "` + acc + `", "expires_at": "\u0032001-01-01t00:00:00z"}`, field: "expires_at", detail: "in the future"},
		{name: "token expiry a boolean", method: "POST", path: "/api/v1/tokens", ct: jsonCT, body: `{"name": "ci", "account": "` + acc + `", "expires_at": true}`, field: "expires_at", detail: "must be an RFC 3339 time"},
		{name: "token expiry a number", method: "POST", path: "/api/v1/tokens", ct: jsonCT, body: `{"name": "ci", "account": "` + acc + `", "expires_at": 1}`, field: "expires_at", detail: "must be an RFC 3339 time"},
		{name: "token expiry in the past", method: "POST", path: "/api/v1/tokens", ct: jsonCT, body: `{"name": "ci", "account": "` + acc + `", "expires_at": "2001-01-01T00:00:00Z"}`, field: "expires_at"},
		// In UTC the year 10000, which no RFC 3339 time can show.
		{name: "token expiry past the year 9999", method: "POST", path: "/api/v1/tokens", ct: jsonCT, body: `{"name": "ci", "account": "` + acc + `", "expires_at": "9999-12-31T23:00:00-05:00"}`, field: "expires_at"},
		{name: "token without account", method: "POST", path: "/api/v1/tokens", ct: jsonCT, body: `{"name": "ci"}`, field: "account"},
		{name: "token without name", method: "POST", path: "/api/v1/tokens", ct: jsonCT, body: `{"account": "` + acc + `"}`, field: "name"},
		{name: "check unknown permission", method: "POST", path: base + "/check", ct: jsonCT, body: `{"user": "` + admin.userID + `", "permission": "no.such"}`, field: "permission"},
		{name: "check unknown profile", method: "POST", path: base + "/check", ct: jsonCT, body: `{"user": "` + admin.userID + `", "permission": "catalog.read", "profile": "nowhere"}`, field: "profile"},
		{name: "check without user", method: "POST", path: base + "/check", ct: jsonCT, body: `{"permission": "catalog.read"}`, field: "user"},
		// Over the 64 KiB read before the bytes arrive: read whole, then judged.
		{name: "check with a user of 100,000 letters", method: "POST", path: base + "/check", ct: jsonCT, body: `{"user": "` + strings.Repeat("u", 100_000) + `", "permission": "catalog.read"}`, field: "user"},
		{name: "empty batch", method: "POST", path: base + "/check/batch", ct: jsonCT, body: `{"checks": []}`, field: "checks"},
		{name: "batch of 101", method: "POST", path: base + "/check/batch", ct: jsonCT, body: batch.String(), field: "checks"},
		{name: "batch of one bad check", method: "POST", path: base + "/check/batch", ct: jsonCT, body: `{"checks": [{"user": "` + admin.userID + `", "permission": "no.such"}]}`, field: "checks[0].permission"},
		{name: "batch with one bad check", method: "POST", path: base + "/check/batch", ct: jsonCT, body: `{"checks": [{"user": "` + admin.userID + `", "permission": "catalog.read"}, {"user": "` + admin.userID + `", "permission": "no.such"}]}`, field: "checks[1].permission"},
		{name: "transfer without user", method: "POST", path: base + "/ownership-transfer", ct: jsonCT, body: `{"password": "` + pw + `"}`, field: "user"},
		{name: "weak new password", method: "POST", path: "/api/v1/me/password", ct: jsonCT, body: `{"current": "` + pw + `", "new": "password1"}`, field: "new"},
		{name: "forged accept token", anon: true, method: "POST", path: "/api/v1/invitations/accept", ct: jsonCT, body: `{"token": "rsi_forged", "name": "X", "password": "` + pw + `"}`, code: roster.CodeInvalidToken},
		{name: "forged reset token", anon: true, method: "POST", path: "/api/v1/password-reset/confirm", ct: jsonCT, body: `{"token": "rsr_forged", "password": "a new passphrase"}`, code: roster.CodeInvalidToken},
		{name: "reset of a bad email", anon: true, method: "POST", path: "/api/v1/password-reset", ct: jsonCT, body: `{"email": "not an email"}`, field: "email"},
		// What a route does not read is refused rather than ignored.
		{name: "a body on a resend", method: "POST", path: base + "/members/" + pending.User + "/invitation/resend", ct: jsonCT, body: `garbage`, detail: "takes no body"},
		{name: "a text body on a resend", method: "POST", path: base + "/members/" + pending.User + "/invitation/resend", ct: "text/plain", body: `garbage`, detail: "takes no body"},
		{name: "fields on a removal", method: "DELETE", path: base + "/members/" + pending.User, ct: jsonCT, body: `{"bogus": 1}`, detail: "takes no body"},
		{name: "a query on the roles", method: "GET", path: base + "/roles?limit=1", detail: "takes no query"},
		{name: "a query on the profiles", method: "GET", path: base + "/profiles?x=1", detail: "takes no query"},
		{name: "a query on the tokens", method: "GET", path: "/api/v1/tokens?limit=abc", detail: "takes no query"},
		{name: "a query on a check", method: "POST", path: base + "/check?user=x", ct: jsonCT, body: `{"user": "` + admin.userID + `", "permission": "catalog.read"}`, detail: "takes no query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := state(t, owner.in(t), acc)
			c := owner.in(t)
			if tt.anon {
				c = anon.in(t)
			}
			var body []byte
			if tt.body != "" || tt.ct != "" {
				body = []byte(tt.body)
			}
			r := c.send(tt.method, tt.path, tt.ct, body)
			status, code := tt.status, tt.code
			if status == 0 {
				status = http.StatusBadRequest
			}
			if code == "" {
				code = roster.CodeInvalidInput
			}
			p := wantProblem(t, r, status, code)
			if tt.field != "" && p.Field != tt.field {
				t.Errorf("field = %q, want %q (detail %q)", p.Field, tt.field, p.Detail)
			}
			if p.Detail == "" {
				t.Errorf("no detail")
			}
			if !strings.Contains(p.Detail, tt.detail) {
				t.Errorf("detail %q does not say %q", p.Detail, tt.detail)
			}
			if strings.HasPrefix(tt.path, base+"/") {
				// Anyone but a member is told that the account is not
				// there, whatever they send (SPEC §5).
				wantProblem(t, stranger.in(t).send(tt.method, tt.path, tt.ct, body), http.StatusNotFound, roster.CodeNotFound)
			}
			if after := state(t, owner.in(t), acc); after != before {
				t.Errorf("the request changed the members or the audit log:\nbefore: %s\nafter: %s", before, after)
			}
		})
	}
}

// TestBulkCutShort: a CSV upload whose body ends before its declared
// length (a client that gave up, or went away) is the client's 400, not an
// internal error, and invites nobody.
func TestBulkCutShort(t *testing.T) {
	h := newHarness(t)
	acc, owner := h.owner("bizmetry", "olive@acme.test")
	tok := owner.newToken(acc)
	before := state(t, owner, acc)
	u, _ := url.Parse(h.srv.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := "email,role,name\nhalf@acme.test,Developer,Half Sent\n"
	fmt.Fprintf(conn, "POST /api/v1/accounts/%s/invitations/bulk HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: text/csv\r\nContent-Length: %d\r\n\r\n%s", acc, u.Host, tok.bearer, len(body)+100, body)
	conn.(*net.TCPConn).CloseWrite()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(answer), "could not be read") {
		t.Errorf("a CSV cut short: %d %s, want 400 saying the body could not be read", res.StatusCode, answer)
	}
	if after := state(t, owner, acc); after != before {
		t.Errorf("a CSV cut short changed the members or the audit log")
	}
}

// TestAlreadyInvitedSaysWhatTheInviterCanDo: inviting someone whose
// invitation is pending tells an inviter who may resend it to resend it,
// and one who may not (a Bigeye User, of a pending Admin) to ask an
// administrator, by a single invitation and by a bulk row alike.
func TestAlreadyInvitedSaysWhatTheInviterCanDo(t *testing.T) {
	h := newHarness(t)
	acc, owner := h.owner("bigeye", "olive@acme.test")
	user := h.member(acc, owner, "uma@acme.test", "User")
	base := "/api/v1/accounts/" + acc
	for _, in := range []map[string]string{{"email": "ada@acme.test", "role": "Admin"}, {"email": "pat@acme.test", "role": "User"}} {
		wantStatus(t, owner.json("POST", base+"/invitations", in), http.StatusCreated)
	}
	for _, tc := range []struct{ email, want string }{
		{"ada@acme.test", policy.ReasonAskToResend},
		{"pat@acme.test", policy.ReasonAlreadyInvited},
	} {
		p := wantProblem(t, user.json("POST", base+"/invitations", map[string]string{"email": tc.email, "role": "User"}), http.StatusConflict, roster.CodeConflict)
		if p.Detail != tc.want {
			t.Errorf("the User inviting %s again is told %q, want %q", tc.email, p.Detail, tc.want)
		}
		rows := decodeAs[bulkBody](t, user.send("POST", base+"/invitations/bulk", "text/csv", []byte("email,role\n"+tc.email+",User\n")), http.StatusOK)
		if len(rows.Items) != 1 || rows.Items[0].Detail == nil || *rows.Items[0].Detail != tc.want {
			t.Errorf("the User's bulk row inviting %s again = %+v, want the detail %q", tc.email, rows.Items, tc.want)
		}
	}
}

// TestJSONInUTF8 is the other side of TestBadRequests' charsets: a body
// said to be UTF-8, by any of its names and in any case, or ASCII, is read.
func TestJSONInUTF8(t *testing.T) {
	h := newHarness(t)
	acc, owner := h.owner("bigeye", "olive@acme.test")
	for i, ct := range []string{"application/json; charset=utf-8", "application/json;charset=UTF-8", "application/json; charset=utf8",
		"application/json; charset=us-ascii", "application/problem+json"} {
		body := fmt.Sprintf(`{"email": "p%d@acme.test", "role": "User"}`, i)
		wantStatus(t, owner.send("POST", "/api/v1/accounts/"+acc+"/invitations", ct, []byte(body)), http.StatusCreated)
	}
}

func TestSessionCookie(t *testing.T) {
	h := newHarness(t)
	h.owner("bigeye", "olive@acme.test")
	login := func() *http.Cookie {
		t.Helper()
		r := h.client("olive").json("POST", "/api/v1/session", map[string]string{"email": "olive@acme.test", "password": pw})
		wantStatus(t, r, http.StatusOK)
		for _, c := range (&http.Response{Header: r.header}).Cookies() {
			if c.Name == httpserver.SessionCookie {
				return c
			}
		}
		t.Fatalf("no %s cookie in %q", httpserver.SessionCookie, r.header.Values("Set-Cookie"))
		return nil
	}
	first, second := login(), login()
	for _, c := range []*http.Cookie{first, second} {
		if !c.HttpOnly {
			t.Errorf("cookie is not HttpOnly")
		}
		if got, want := c.SameSite, http.SameSiteLaxMode; got != want {
			t.Errorf("SameSite = %v, want %v", got, want)
		}
		if got, want := c.Path, "/"; got != want {
			t.Errorf("Path = %q, want %q", got, want)
		}
		if c.Secure {
			t.Errorf("cookie is Secure on an http base URL")
		}
		if c.MaxAge <= 0 {
			t.Errorf("MaxAge = %d, want > 0", c.MaxAge)
		}
		if c.Value == "" {
			t.Errorf("empty session value")
		}
	}
	if first.Value == second.Value {
		t.Errorf("two logins got the same session value")
	}
}

func TestLogoutEndsOnlyThisSession(t *testing.T) {
	h := newHarness(t)
	h.owner("bigeye", "olive@acme.test")
	laptop, phone := h.client("laptop"), h.client("phone")
	for _, c := range []*client{laptop, phone} {
		wantStatus(t, c.json("POST", "/api/v1/session", map[string]string{"email": "olive@acme.test", "password": pw}), http.StatusOK)
	}
	old := laptop.session()
	r := laptop.send("DELETE", "/api/v1/session", "", nil)
	wantStatus(t, r, http.StatusNoContent)
	if laptop.session() != "" {
		t.Errorf("the session cookie is still in the jar after logout")
	}
	replay := h.client("replay")
	replay.setSession(old)
	wantProblem(t, replay.get("/api/v1/me"), http.StatusUnauthorized, roster.CodeUnauthenticated)
	wantProblem(t, laptop.get("/api/v1/me"), http.StatusUnauthorized, roster.CodeUnauthenticated)
	wantStatus(t, phone.get("/api/v1/me"), http.StatusOK)
	// Signing out twice is not an error, but an anonymous sign-out is.
	wantProblem(t, laptop.send("DELETE", "/api/v1/session", "", nil), http.StatusUnauthorized, roster.CodeUnauthenticated)
}

func TestCrossOriginWriteRefused(t *testing.T) {
	h := newHarness(t)
	acc, owner := h.owner("bigeye", "olive@acme.test")
	invite := "/api/v1/accounts/" + acc + "/invitations"
	before := state(t, owner, acc)

	evil := h.client("olive on evil.example")
	evil.setSession(owner.session())
	evil.header.Set("Origin", "https://evil.example")
	evil.header.Set("Sec-Fetch-Site", "cross-site")
	wantProblem(t, evil.json("POST", invite, map[string]string{"email": "mallory@evil.example", "role": "Owner"}),
		http.StatusForbidden, roster.CodeForbidden)
	wantProblem(t, evil.json("PATCH", "/api/v1/me", map[string]string{"name": "Pwned"}), http.StatusForbidden, roster.CodeForbidden)
	if after := state(t, owner, acc); after != before {
		t.Errorf("a cross-origin request changed something:\nbefore: %s\nafter: %s", before, after)
	}
	me := decodeAs[meBody](t, owner.get("/api/v1/me"), http.StatusOK)
	if me.User.Name == "Pwned" {
		t.Errorf("a cross-origin PATCH renamed the user")
	}

	same := h.client("olive, same origin")
	same.setSession(owner.session())
	same.header.Set("Origin", h.srv.URL)
	same.header.Set("Sec-Fetch-Site", "same-origin")
	decodeAs[memberBody](t, same.json("POST", invite, map[string]string{"email": "new@acme.test", "role": "User"}), http.StatusCreated)
}

func TestLoginRateLimited(t *testing.T) {
	h := newHarnessWith(t, harnessOptions{limits: httpserver.NewLimits(3, 3, nil, nil)})
	h.owner("bigeye", "olive@acme.test")
	c := h.client("guesser")
	for i := range 3 {
		r := c.json("POST", "/api/v1/session", map[string]string{"email": "olive@acme.test", "password": fmt.Sprintf("guess number %d", i)})
		wantProblem(t, r, http.StatusUnauthorized, roster.CodeUnauthenticated)
	}
	// Now even the right password waits: the email's attempts are spent.
	r := c.json("POST", "/api/v1/session", map[string]string{"email": "olive@acme.test", "password": pw})
	wantProblem(t, r, http.StatusTooManyRequests, roster.CodeRateLimited)
	if n, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || n < 1 {
		t.Errorf("Retry-After = %q, want a whole number of seconds ≥ 1", r.header.Get("Retry-After"))
	}
	if c.session() != "" {
		t.Errorf("a refused login set a session cookie")
	}
}

func TestLoginFailuresLookAlike(t *testing.T) {
	h := newHarness(t)
	acc, owner := h.owner("bigeye", "olive@acme.test")
	// Pat is invited but has no password; Dora is disabled in her only account.
	wantStatus(t, owner.json("POST", "/api/v1/accounts/"+acc+"/invitations", map[string]string{"email": "pat@acme.test", "role": "User"}), http.StatusCreated)
	dora := h.member(acc, owner, "dora@acme.test", "User")
	wantStatus(t, owner.json("PATCH", "/api/v1/accounts/"+acc+"/members/"+dora.userID, map[string]string{"status": "disabled"}), http.StatusOK)

	attempt := func(email, password string) *response {
		t.Helper()
		return h.client("anon").json("POST", "/api/v1/session", map[string]string{"email": email, "password": password})
	}
	want := attempt("olive@acme.test", "not the password")
	wantProblem(t, want, http.StatusUnauthorized, roster.CodeUnauthenticated)
	for _, tt := range []struct{ name, email, password string }{
		{"unknown email", "nobody@acme.test", "not the password"},
		{"malformed email", "nobody", "not the password"},
		{"no password yet", "pat@acme.test", "not the password"},
		{"disabled everywhere", "dora@acme.test", pw},
	} {
		got := attempt(tt.email, tt.password)
		if got.status != want.status || !bytes.Equal(got.body, want.body) {
			t.Errorf("%s: got %d %s, want %d %s", tt.name, got.status, got.body, want.status, want.body)
		}
	}
}

func TestDisabledMemberLosesAccessAtOnce(t *testing.T) {
	h := newHarness(t)
	acc, owner := h.owner("bigeye", "olive@acme.test")
	ada := h.member(acc, owner, "ada@acme.test", "Admin")
	adaTok := ada.newToken(acc)
	members := "/api/v1/accounts/" + acc + "/members"
	wantStatus(t, ada.get(members), http.StatusOK)
	wantStatus(t, adaTok.get(members), http.StatusOK)

	wantStatus(t, owner.json("PATCH", members+"/"+ada.userID, map[string]string{"status": "disabled"}), http.StatusOK)
	wantProblem(t, ada.get(members), http.StatusNotFound, roster.CodeNotFound)
	wantProblem(t, adaTok.get(members), http.StatusNotFound, roster.CodeNotFound)
	wantProblem(t, adaTok.json("POST", "/api/v1/accounts/"+acc+"/check", map[string]string{"user": ada.userID, "permission": "catalog.read"}),
		http.StatusNotFound, roster.CodeNotFound)
	wantProblem(t, ada.json("POST", "/api/v1/accounts/"+acc+"/invitations", map[string]string{"email": "x@acme.test", "role": "User"}),
		http.StatusNotFound, roster.CodeNotFound)
	// The token acts only in that account, so it stands for nobody: its
	// user's own routes refuse it too. (A session is the person's, who may
	// be active elsewhere: it still reads their settings.)
	tokenID := decodeAs[listBody[tokenBody]](t, ada.get("/api/v1/tokens"), http.StatusOK).Items[0].ID
	for _, r := range []*response{
		adaTok.get("/api/v1/me"),
		adaTok.get("/api/v1/tokens"),
		adaTok.send("DELETE", "/api/v1/tokens/"+tokenID, "", nil),
	} {
		wantProblem(t, r, http.StatusUnauthorized, roster.CodeUnauthenticated)
	}
	wantStatus(t, ada.get("/api/v1/me"), http.StatusOK)

	wantStatus(t, owner.json("PATCH", members+"/"+ada.userID, map[string]string{"status": "active"}), http.StatusOK)
	wantStatus(t, ada.get(members), http.StatusOK)
	wantStatus(t, adaTok.get(members), http.StatusOK)
	wantStatus(t, adaTok.get("/api/v1/me"), http.StatusOK)
	wantStatus(t, adaTok.get("/api/v1/tokens"), http.StatusOK)

	// Removal deletes the member's tokens of the account with the membership.
	wantStatus(t, owner.send("DELETE", members+"/"+ada.userID, "", nil), http.StatusNoContent)
	wantProblem(t, ada.get(members), http.StatusNotFound, roster.CodeNotFound)
	wantProblem(t, adaTok.get(members), http.StatusUnauthorized, roster.CodeUnauthenticated)
}

func TestSecurityHeaders(t *testing.T) {
	h := newHarness(t)
	_, owner := h.owner("bigeye", "olive@acme.test")
	for _, r := range []*response{
		owner.get("/api/v1/me"),
		h.client("anon").get("/api/v1/me"),
		h.client("anon").get("/api/v1/nothing-here"),
		owner.json("POST", "/api/v1/session", "{"),
		h.client("anon").get("/api/openapi.json"),
	} {
		if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("status %d: X-Content-Type-Options = %q, want nosniff", r.status, got)
		}
		if got := r.header.Get("Referrer-Policy"); got == "" {
			t.Errorf("status %d: no Referrer-Policy", r.status)
		}
		if got := r.header.Get("Content-Security-Policy"); !strings.Contains(got, "frame-ancestors 'none'") {
			t.Errorf("status %d: Content-Security-Policy = %q, want frame-ancestors 'none'", r.status, got)
		}
	}
	if got := owner.get("/api/v1/me").header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("GET /api/v1/me: Cache-Control = %q, want no-store", got)
	}
}

func TestMetrics(t *testing.T) {
	h := newHarness(t)
	acc, owner := h.owner("bigeye", "olive@acme.test")
	me := decodeAs[meBody](t, owner.get("/api/v1/me"), http.StatusOK)
	decodeAs[checkBody](t, owner.json("POST", "/api/v1/accounts/"+acc+"/check", map[string]string{"user": me.User.ID, "permission": "catalog.read"}),
		http.StatusOK)
	// A batch counts each of its decisions.
	batch := map[string][]map[string]string{"checks": {
		{"user": me.User.ID, "permission": "catalog.read"},
		{"user": "usr_nobody", "permission": "catalog.read"},
		{"user": me.User.ID, "permission": "catalog.read"},
	}}
	wantStatus(t, owner.json("POST", "/api/v1/accounts/"+acc+"/check/batch", batch), http.StatusOK)
	// Refused before it was routed (a bad token, a cross-site write), a
	// request is still counted under its route; a path with none is not.
	wantStatus(t, h.bearerClient("stale", "rst_bogus").json("POST", "/api/v1/accounts/"+acc+"/check", batch["checks"][0]), http.StatusUnauthorized)
	cross := h.client("cross")
	cross.header.Set("Sec-Fetch-Site", "cross-site")
	wantStatus(t, cross.json("POST", "/api/v1/session", map[string]string{"email": "a@b.test", "password": "x"}), http.StatusForbidden)
	wantStatus(t, h.client("lost").get("/api/v1/nowhere"), http.StatusNotFound)
	r := h.client("prometheus").get("/metrics")
	wantStatus(t, r, http.StatusOK)
	for _, want := range []string{
		`roster_http_requests_total{method="GET",route="GET /api/v1/me",status="200"} 1`,
		`roster_http_requests_total{method="POST",route="POST /api/v1/accounts/{account}/check",status="200"} 1`,
		`roster_http_requests_total{method="POST",route="POST /api/v1/accounts/{account}/check",status="401"} 1`,
		`roster_http_requests_total{method="POST",route="POST /api/v1/session",status="403"} 1`,
		`roster_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`roster_check_decisions_total{code="granted"} 3`,
		`roster_check_decisions_total{code="not_member"} 1`,
	} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("/metrics has no line %s", want)
		}
	}
}

// TestSuccessfulChecksAreNotLoggedAtInfo checks that at the default log
// level the check endpoints' successful answers leave no request line,
// while their failures and other requests do (httpserver.Quiet).
func TestSuccessfulChecksAreNotLoggedAtInfo(t *testing.T) {
	var log testlog.Buffer
	h := newHarnessWith(t, harnessOptions{log: &log})
	acc, owner := h.owner("bigeye", "olive@acme.test")
	me := decodeAs[meBody](t, owner.get("/api/v1/me"), http.StatusOK)
	check := map[string]string{"user": me.User.ID, "permission": "catalog.read"}
	wantStatus(t, owner.json("POST", "/api/v1/accounts/"+acc+"/check", check), http.StatusOK)
	wantStatus(t, owner.json("POST", "/api/v1/accounts/"+acc+"/check/batch", map[string]any{"checks": []any{check}}), http.StatusOK)
	wantStatus(t, owner.json("POST", "/api/v1/accounts/"+acc+"/check", map[string]string{"user": me.User.ID}), http.StatusBadRequest)

	lines := strings.Split(log.String(), "\n")
	has := func(route, status string) bool {
		return slices.ContainsFunc(lines, func(l string) bool {
			return strings.Contains(l, "msg=request") && strings.Contains(l, `route="`+route+`"`) && strings.Contains(l, " status="+status+" ")
		})
	}
	for _, want := range []struct {
		route, status string
		logged        bool
	}{
		{"GET /api/v1/me", "200", true},
		{"POST /api/v1/accounts/{account}/check", "200", false},
		{"POST /api/v1/accounts/{account}/check/batch", "200", false},
		{"POST /api/v1/accounts/{account}/check", "400", true},
	} {
		if got := has(want.route, want.status); got != want.logged {
			t.Errorf("%s answered %s: logged at info %v, want %v; the log:\n%s", want.route, want.status, got, want.logged, log.String())
		}
	}
}

// TestLargeAnswerHasLength checks that a batch of 100 checks, whose answer
// is larger than net/http holds before it starts chunking, is answered
// whole, with its Content-Length, and matches the checks in order.
func TestLargeAnswerHasLength(t *testing.T) {
	h := newHarness(t)
	acc, owner := h.owner("bigeye", "olive@acme.test")
	me := decodeAs[meBody](t, owner.get("/api/v1/me"), http.StatusOK)
	var checks []map[string]string
	for i := range 100 {
		user := me.User.ID
		if i%2 == 1 {
			user = fmt.Sprintf("usr_nobody%d", i)
		}
		checks = append(checks, map[string]string{"user": user, "permission": "catalog.read"})
	}
	r := owner.json("POST", "/api/v1/accounts/"+acc+"/check/batch", map[string]any{"checks": checks})
	if got := r.header.Get("Content-Length"); got != strconv.Itoa(len(r.body)) || len(r.body) <= 2048 {
		t.Errorf("Content-Length %q for a body of %d bytes", got, len(r.body))
	}
	out := decodeAs[struct {
		Results []struct{ Code string } `json:"results"`
	}](t, r, http.StatusOK)
	if len(out.Results) != 100 {
		t.Fatalf("%d results, want 100", len(out.Results))
	}
	for i, res := range out.Results {
		if want := map[bool]string{false: "granted", true: "not_member"}[i%2 == 1]; res.Code != want {
			t.Errorf("result %d: %q, want %q", i, res.Code, want)
		}
	}
}

// An invitation link to a user who has a password is a way to guess that
// password: it is limited per link, however the token is padded.
func TestAcceptRateLimitedPerLink(t *testing.T) {
	h := newHarnessWith(t, harnessOptions{limits: httpserver.NewLimits(1000, 3, nil, nil)})
	h.owner("bigeye", "olive@acme.test")
	accB, ownerB := h.owner("bizmetry", "boss@bizmetry.test")
	m := decodeAs[memberBody](t, ownerB.json("POST", "/api/v1/accounts/"+accB+"/invitations",
		map[string]string{"email": "olive@acme.test", "role": "Developer"}), http.StatusCreated)
	token := tokenOf(t, h.invitationLink(accB, m.User))
	guess := func(pad int) *response {
		return h.client("guesser").json("POST", "/api/v1/invitations/accept",
			map[string]string{"token": strings.Repeat(" ", pad) + token + strings.Repeat("\n", pad), "password": "not her password"})
	}
	for pad := range 3 {
		wantProblem(t, guess(pad), http.StatusUnauthorized, roster.CodeUnauthenticated)
	}
	wantProblem(t, guess(3), http.StatusTooManyRequests, roster.CodeRateLimited)
}

// TestRoutesWithoutBodyTakeAnEmptyObject: a route that reads no body
// answers as usual with none, and with an empty JSON object, which some
// clients send with every request.
func TestRoutesWithoutBodyTakeAnEmptyObject(t *testing.T) {
	h := newHarness(t)
	acc, owner := h.owner("bigeye", "olive@acme.test")
	pending := decodeAs[memberBody](t, owner.json("POST", "/api/v1/accounts/"+acc+"/invitations",
		map[string]string{"email": "pat@acme.test", "role": "User"}), http.StatusCreated)
	resend := "/api/v1/accounts/" + acc + "/members/" + pending.User + "/invitation/resend"
	wantStatus(t, owner.send("POST", resend, "", nil), http.StatusOK)
	wantStatus(t, owner.send("POST", resend, "application/json", []byte(" { } \n")), http.StatusOK)
	// Pretty-printed by a client that indents: still an empty object.
	wantStatus(t, owner.send("POST", resend, "application/json", []byte("{\n"+strings.Repeat(" ", 200)+"\n}\n")), http.StatusOK)
	wantStatus(t, owner.send("DELETE", "/api/v1/accounts/"+acc+"/members/"+pending.User, "application/json", []byte("{}")), http.StatusNoContent)
	// Someone not signed in is told that first, whatever else is wrong.
	wantProblem(t, h.client("anon").get("/api/v1/accounts/"+acc+"/roles?x=1"), http.StatusUnauthorized, roster.CodeUnauthenticated)
	wantProblem(t, h.client("anon").send("POST", resend, "text/plain", []byte("garbage")), http.StatusUnauthorized, roster.CodeUnauthenticated)
	wantProblem(t, h.client("anon").get("/api/openapi.json?x=1"), http.StatusBadRequest, roster.CodeInvalidInput)
}

// TestMemberListPagesBack: prev_cursor walks the member list back through
// the very pages next_cursor walked forward, in every order, searched or
// not; the first page has none.
func TestMemberListPagesBack(t *testing.T) {
	h := newHarness(t)
	acc, owner := h.owner("bizmetry", "olive@acme.test")
	roles := []string{"Developer", "SRE", "DevOps", "Architect"}
	for i, name := range []string{"Dana Able", "Ben Dana", "Cleo Cole", "Dana Dunn", "Eve Dana", "Finn Ford", "Dana Gale", "Hal Hart", "Ivy Dana"} {
		wantStatus(t, owner.json("POST", "/api/v1/accounts/"+acc+"/invitations",
			map[string]string{"email": fmt.Sprintf("p%d@acme.test", i), "role": roles[i%len(roles)], "name": name}), http.StatusCreated)
	}
	type page struct {
		listBody[memberBody]
		PrevCursor string `json:"prev_cursor"`
	}
	ids := func(p page) string {
		var s []string
		for _, m := range p.Items {
			s = append(s, m.Email)
		}
		return strings.Join(s, ",")
	}
	for _, sort := range []string{"name", "-name", "email", "-role", "status", "-last_login"} {
		for _, q := range []string{"", "dana"} {
			list := "/api/v1/accounts/" + acc + "/members?limit=2&sort=" + sort + "&q=" + q
			var forward []page
			for cursor := ""; ; {
				p := decodeAs[page](t, owner.get(list+"&cursor="+url.QueryEscape(cursor)), http.StatusOK)
				if (len(forward) == 0) != (p.PrevCursor == "") {
					t.Errorf("sort %s q %q: page %d has prev_cursor %q", sort, q, len(forward)+1, p.PrevCursor)
				}
				forward = append(forward, p)
				if cursor = p.NextCursor; cursor == "" {
					break
				}
			}
			if len(forward) < 3 {
				t.Fatalf("sort %s q %q: %d pages, want at least 3", sort, q, len(forward))
			}
			for i, back := len(forward)-1, forward[len(forward)-1]; i > 0; i-- {
				back = decodeAs[page](t, owner.get(list+"&cursor="+url.QueryEscape(back.PrevCursor)), http.StatusOK)
				if got, want := ids(back), ids(forward[i-1]); got != want {
					t.Errorf("sort %s q %q: back to page %d = %s, want %s", sort, q, i, got, want)
				}
				if (i == 1) != (back.PrevCursor == "") || back.NextCursor == "" {
					t.Errorf("sort %s q %q: page %d going back has prev_cursor %q, next_cursor %q", sort, q, i, back.PrevCursor, back.NextCursor)
				}
			}
		}
	}

	// A cursor reading back from past the end (its member gone, or made
	// up): the last members, and no next page.
	all := decodeAs[page](t, owner.get("/api/v1/accounts/"+acc+"/members?limit=200&sort=name"), http.StatusOK)
	past := (&roster.MemberCursor{Sort: roster.SortName, Back: true, Key: "zzzz", UserID: "usr_zzzz"}).Encode()
	last := decodeAs[page](t, owner.get("/api/v1/accounts/"+acc+"/members?limit=2&sort=name&cursor="+past), http.StatusOK)
	if got, want := ids(last), ids(page{listBody: listBody[memberBody]{Items: all.Items[len(all.Items)-2:]}}); got != want {
		t.Errorf("back from past the end = %s, want the last two, %s", got, want)
	}
	if last.NextCursor != "" || last.PrevCursor == "" {
		t.Errorf("back from past the end: next_cursor %q (want none), prev_cursor %q", last.NextCursor, last.PrevCursor)
	}
}

// A dry run is asked for as true in any case, or 1: "TRUE" does not send
// the invitations it was meant to preview.
func TestDryRunInAnyCase(t *testing.T) {
	h := newHarness(t)
	acc, owner := h.owner("bigeye", "olive@acme.test")
	before := state(t, owner, acc)
	for _, v := range []string{"true", "TRUE", "True", "1"} {
		got := decodeAs[bulkBody](t, owner.send("POST", "/api/v1/accounts/"+acc+"/invitations/bulk?dry_run="+v, "text/csv", []byte("email\nnew@acme.test\n")), http.StatusOK)
		if len(got.Items) != 1 || got.Items[0].Outcome != "would_invite" {
			t.Errorf("dry_run=%s: %+v, want one would_invite", v, got.Items)
		}
	}
	if after := state(t, owner, acc); after != before {
		t.Errorf("a dry run changed the account:\nbefore: %s\nafter: %s", before, after)
	}
}

// TestInviteAnswersWithTheMembersLocation checks that an invitation's 201
// names the new member's path, which a client can GET.
func TestInviteAnswersWithTheMembersLocation(t *testing.T) {
	h := newHarness(t)
	acc, owner := h.owner("bigeye", "olive@acme.test")
	res := owner.json("POST", "/api/v1/accounts/"+acc+"/invitations", map[string]string{"email": "pat@acme.test", "role": "User"})
	created := decodeAs[memberBody](t, res, http.StatusCreated)
	loc := res.header.Get("Location")
	if want := "/api/v1/accounts/" + acc + "/members/" + created.User; loc != want {
		t.Fatalf("Location = %q, want %q", loc, want)
	}
	if got := decodeAs[memberBody](t, owner.get(loc), http.StatusOK); got.User != created.User || got.Status != "pending" {
		t.Errorf("GET Location = %+v, want the pending member %s", got, created.User)
	}
}
