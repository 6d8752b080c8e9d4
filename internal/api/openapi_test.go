package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/api"
	"github.com/rosterhq/roster/internal/httpserver"
)

// registeredRoutes returns the patterns api.go mounts with a.handle, as
// "METHOD /path", sorted: the document must describe exactly these.
func registeredRoutes(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "api.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]string{}
	var eval func(e ast.Expr) string
	eval = func(e ast.Expr) string {
		switch e := e.(type) {
		case *ast.BasicLit:
			s, err := strconv.Unquote(e.Value)
			if err != nil {
				t.Fatalf("%s: %v", fset.Position(e.Pos()), err)
			}
			return s
		case *ast.BinaryExpr:
			return eval(e.X) + eval(e.Y)
		case *ast.Ident:
			if v, ok := consts[e.Name]; ok {
				return v
			}
		}
		t.Fatalf("%s: cannot evaluate %T", fset.Position(e.Pos()), e)
		return ""
	}
	var routes []string
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ValueSpec:
			for i, name := range n.Names {
				if i < len(n.Values) {
					if lit, ok := n.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						consts[name.Name] = eval(lit)
					}
				}
			}
		case *ast.CallExpr:
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "handle" && len(n.Args) == 3 {
				routes = append(routes, eval(n.Args[0]))
			}
		}
		return true
	})
	if len(routes) < 20 {
		t.Fatalf("found only %d routes in api.go", len(routes))
	}
	sort.Strings(routes)
	return routes
}

// loadDoc parses and validates the served OpenAPI document.
func loadDoc(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI())
	if err != nil {
		t.Fatalf("load the OpenAPI document: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("the OpenAPI document is not valid: %v", err)
	}
	return doc
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc := loadDoc(t)
	if got, want := doc.OpenAPI, "3.0.3"; got != want {
		t.Errorf("openapi = %q, want %q", got, want)
	}
	// Every route the API mounts is described, and nothing else.
	var got []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			got = append(got, method+" "+path)
		}
	}
	sort.Strings(got)
	want := registeredRoutes(t)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("operations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The error codes of the document are the domain's.
	codes := doc.Components.Schemas["ErrorCode"].Value.Enum
	for _, code := range []string{roster.CodeUnauthenticated, roster.CodeForbidden, roster.CodeInsufficientRole,
		roster.CodeLastOwner, roster.CodeNotFound, roster.CodeConflict, roster.CodeInvalidInput, roster.CodeInvalidToken,
		roster.CodeRateLimited, roster.CodeMethodNotAllowed, roster.CodeInternal} {
		found := false
		for _, c := range codes {
			found = found || c == code
		}
		if !found {
			t.Errorf("ErrorCode has no %q", code)
		}
	}
	if got, want := len(codes), 11; got != want {
		t.Errorf("ErrorCode has %d codes, want %d", got, want)
	}
}

func TestOpenAPIServed(t *testing.T) {
	h := newHarness(t)
	r := h.client("anon").get("/api/openapi.json")
	wantStatus(t, r, http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	onDisk, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.body, onDisk) {
		t.Errorf("GET /api/openapi.json serves %d bytes that differ from openapi.json (%d bytes)", len(r.body), len(onDisk))
	}
	if !bytes.Equal(r.body, api.OpenAPI()) {
		t.Errorf("GET /api/openapi.json differs from api.OpenAPI()")
	}
}

// TestOpenAPIConformance drives every route to success and to refusal, and
// checks every request and response against the document: a status, a
// field or a content type the document does not describe fails it.
func TestOpenAPIConformance(t *testing.T) {
	doc := loadDoc(t)
	h := newHarness(t)
	scenario(t, h)

	limited := newHarnessWith(t, harnessOptions{limits: httpserver.NewLimits(3, 3, nil, nil)})
	anon := limited.client("anon")
	for range 3 {
		wantProblem(t, anon.json("POST", "/api/v1/session", map[string]string{"email": "x@acme.test", "password": "wrong password"}),
			http.StatusUnauthorized, roster.CodeUnauthenticated)
	}
	wantProblem(t, anon.json("POST", "/api/v1/session", map[string]string{"email": "x@acme.test", "password": "wrong password"}),
		http.StatusTooManyRequests, roster.CodeRateLimited)

	exchanges := append(h.recorded(), limited.recorded()...)
	checkConformance(t, doc, exchanges)
}

// scenario exercises every route, each with success and refusals.
func scenario(t *testing.T, h *harness) {
	accA, owner := h.owner("bigeye", "olive@acme.test")
	base := "/api/v1/accounts/" + accA
	anon := h.client("anon")

	// The document itself; a bad bearer token is refused everywhere.
	wantStatus(t, anon.get("/api/openapi.json"), http.StatusOK)
	bad := h.bearerClient("bad token", "rst_not-a-real-token")
	wantProblem(t, bad.get("/api/openapi.json"), http.StatusUnauthorized, roster.CodeUnauthenticated)
	wantProblem(t, bad.get("/api/v1/me"), http.StatusUnauthorized, roster.CodeUnauthenticated)
	wantProblem(t, bad.get("/api/v1/tokens"), http.StatusUnauthorized, roster.CodeUnauthenticated)

	// Session.
	wantProblem(t, anon.json("POST", "/api/v1/session", map[string]string{"email": "olive@acme.test", "password": "not the password"}),
		http.StatusUnauthorized, roster.CodeUnauthenticated)
	h.breakingDoc(func() {
		wantProblem(t, anon.json("POST", "/api/v1/session", `{"email": 1, "password": "x"}`), http.StatusBadRequest, roster.CodeInvalidInput)
		wantProblem(t, anon.json("POST", "/api/v1/session", `{"email": "olive@acme.test"`), http.StatusBadRequest, roster.CodeInvalidInput)
	})
	huge := map[string]string{"email": strings.Repeat("a", 2<<20) + "@acme.test", "password": "x"}
	wantProblem(t, anon.json("POST", "/api/v1/session", huge), http.StatusRequestEntityTooLarge, roster.CodeInvalidInput)
	olive2 := h.client("olive on a second device")
	decodeAs[meBody](t, olive2.json("POST", "/api/v1/session", map[string]string{"email": "olive@acme.test", "password": pw}), http.StatusOK)

	// Me.
	me := decodeAs[meBody](t, owner.get("/api/v1/me"), http.StatusOK)
	owner.userID = me.User.ID
	h.breakingDoc(func() {
		wantProblem(t, anon.get("/api/v1/me"), http.StatusUnauthorized, roster.CodeUnauthenticated)
		wantProblem(t, owner.json("PATCH", "/api/v1/me", map[string]string{"name": "Olive", "nickname": "Ollie"}), http.StatusBadRequest, roster.CodeInvalidInput)
	})
	decodeAs[meBody](t, owner.json("PATCH", "/api/v1/me", map[string]string{"name": "Olive O."}), http.StatusOK)
	wantProblem(t, owner.json("PATCH", "/api/v1/me", map[string]string{"name": "   "}), http.StatusBadRequest, roster.CodeInvalidInput)

	// Invitations and accepting them.
	admin := h.member(accA, owner, "ada@acme.test", "Admin")
	user := h.member(accA, owner, "uma@acme.test", "User")
	wantProblem(t, owner.json("POST", base+"/invitations", map[string]string{"email": "ADA@acme.test", "role": "Admin"}),
		http.StatusConflict, roster.CodeConflict)
	wantProblem(t, owner.json("POST", base+"/invitations", map[string]string{"email": "not an email", "role": "User"}),
		http.StatusBadRequest, roster.CodeInvalidInput)
	wantProblem(t, owner.json("POST", base+"/invitations", map[string]string{"email": "zed@acme.test", "role": "Wizard"}),
		http.StatusBadRequest, roster.CodeInvalidInput)
	wantProblem(t, user.json("POST", base+"/invitations", map[string]string{"email": "zed@acme.test", "role": "Owner"}),
		http.StatusForbidden, roster.CodeInsufficientRole)
	h.breakingDoc(func() {
		wantProblem(t, owner.json("POST", base+"/invitations", map[string]string{"role": "User"}), http.StatusBadRequest, roster.CodeInvalidInput)
	})
	pending := decodeAs[memberBody](t, owner.json("POST", base+"/invitations", map[string]string{"email": "pat@acme.test"}), http.StatusCreated)
	if pending.Role != "User" || pending.Status != "pending" {
		t.Errorf("invited without a role: got %s %s, want User pending", pending.Role, pending.Status)
	}
	ann := decodeAs[memberBody](t, owner.json("POST", base+"/invitations", map[string]string{"email": "ann@acme.test", "role": "User"}), http.StatusCreated)
	annToken := tokenOf(t, h.invitationLink(accA, ann.User))
	annC := h.client("ann")
	wantProblem(t, annC.json("POST", "/api/v1/invitations/accept", map[string]string{"token": annToken, "name": "Ann", "password": "short"}),
		http.StatusBadRequest, roster.CodeInvalidInput)
	decodeAs[meBody](t, annC.json("POST", "/api/v1/invitations/accept", map[string]string{"token": annToken, "name": "Ann", "password": pw}), http.StatusOK)
	annC.userID = ann.User
	wantProblem(t, annC.json("POST", "/api/v1/invitations/accept", map[string]string{"token": annToken, "name": "Ann", "password": pw}),
		http.StatusBadRequest, roster.CodeInvalidToken)
	h.breakingDoc(func() {
		wantProblem(t, anon.json("POST", "/api/v1/invitations/accept", map[string]string{"token": annToken}), http.StatusBadRequest, roster.CodeInvalidToken)
	})

	// Resend.
	decodeAs[memberBody](t, owner.send("POST", base+"/members/"+pending.User+"/invitation/resend", "", nil), http.StatusOK)
	wantProblem(t, owner.send("POST", base+"/members/"+admin.userID+"/invitation/resend", "", nil), http.StatusConflict, roster.CodeConflict)
	wantProblem(t, owner.send("POST", base+"/members/usr_nobody/invitation/resend", "", nil), http.StatusNotFound, roster.CodeNotFound)

	// Another account, with the BizMetry catalog.
	accB, ownerB := h.owner("bizmetry", "boss@bizmetry.test")
	baseB := "/api/v1/accounts/" + accB
	dev := h.member(accB, ownerB, "dev@bizmetry.test", "Developer")
	wantProblem(t, ownerB.get(base+"/members"), http.StatusNotFound, roster.CodeNotFound)
	wantProblem(t, ownerB.get(base+"/roles"), http.StatusNotFound, roster.CodeNotFound)
	wantProblem(t, dev.get(baseB+"/members"), http.StatusForbidden, roster.CodeForbidden)
	wantProblem(t, dev.get(baseB+"/roles"), http.StatusForbidden, roster.CodeForbidden)
	wantProblem(t, dev.get(baseB+"/profiles"), http.StatusForbidden, roster.CodeForbidden)
	wantProblem(t, dev.get(baseB+"/audit"), http.StatusForbidden, roster.CodeForbidden)
	decodeAs[memberBody](t, dev.get(baseB+"/members/"+dev.userID), http.StatusOK)
	wantProblem(t, dev.send("POST", baseB+"/invitations/bulk", "text/csv", []byte("email\nx@bizmetry.test\n")), http.StatusForbidden, roster.CodeForbidden)
	wantProblem(t, ownerB.json("POST", base+"/check", map[string]string{"user": owner.userID, "permission": "catalog.read"}),
		http.StatusNotFound, roster.CodeNotFound)

	// The member list.
	page := decodeAs[listBody[memberBody]](t, owner.get(base+"/members?q=ada&role=Admin&status=active&sort=-email&limit=1"), http.StatusOK)
	if len(page.Items) != 1 || page.Items[0].User != admin.userID {
		t.Errorf("search for ada: got %+v", page.Items)
	}
	page = decodeAs[listBody[memberBody]](t, owner.get(base+"/members?sort=-last_login&limit=2"), http.StatusOK)
	if page.NextCursor == "" {
		t.Fatalf("first page of 2 has no next_cursor")
	}
	decodeAs[listBody[memberBody]](t, owner.get(base+"/members?sort=-last_login&limit=2&cursor="+url.QueryEscape(page.NextCursor)), http.StatusOK)
	decodeAs[listBody[memberBody]](t, user.get(base+"/members"), http.StatusOK)
	wantProblem(t, owner.get(base+"/members?cursor=garbage"), http.StatusBadRequest, roster.CodeInvalidInput)
	wantProblem(t, owner.get(base+"/members?page=2"), http.StatusBadRequest, roster.CodeInvalidInput)
	wantProblem(t, owner.get(base+"/members?role=Wizard"), http.StatusBadRequest, roster.CodeInvalidInput)
	h.breakingDoc(func() {
		for _, q := range []string{"sort=age", "limit=0", "limit=abc", "limit=500", "status=gone"} {
			wantProblem(t, owner.get(base+"/members?"+q), http.StatusBadRequest, roster.CodeInvalidInput)
		}
	})

	// One member.
	decodeAs[memberBody](t, owner.get(base+"/members/"+admin.userID), http.StatusOK)
	wantProblem(t, owner.get(base+"/members/usr_nobody"), http.StatusNotFound, roster.CodeNotFound)
	wantProblem(t, dev.get(baseB+"/members/"+ownerB.userID), http.StatusForbidden, roster.CodeForbidden)

	// Tokens.
	tok1 := decodeAs[tokenBody](t, owner.json("POST", "/api/v1/tokens", map[string]string{"name": "ci", "account": accA}), http.StatusCreated)
	tok2 := decodeAs[tokenBody](t, owner.json("POST", "/api/v1/tokens", map[string]any{
		"name": "deploys", "account": accA, "expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
	}), http.StatusCreated)
	wantProblem(t, owner.json("POST", "/api/v1/tokens", map[string]any{"name": "old", "account": accA, "expires_at": "2001-01-01T00:00:00Z"}),
		http.StatusBadRequest, roster.CodeInvalidInput)
	wantProblem(t, owner.json("POST", "/api/v1/tokens", map[string]string{"name": "theirs", "account": accB}), http.StatusNotFound, roster.CodeNotFound)
	h.breakingDoc(func() {
		wantProblem(t, owner.json("POST", "/api/v1/tokens", map[string]string{"name": "x", "account": accA, "scope": "all"}),
			http.StatusBadRequest, roster.CodeInvalidInput)
	})
	tokens := decodeAs[listBody[tokenBody]](t, owner.get("/api/v1/tokens"), http.StatusOK)
	if len(tokens.Items) != 2 {
		t.Errorf("GET /api/v1/tokens: %d tokens, want 2", len(tokens.Items))
	}
	ownerTok := h.bearerClient("olive by token", tok1.Token)
	decodeAs[meBody](t, ownerTok.get("/api/v1/me"), http.StatusOK)
	decodeAs[listBody[tokenBody]](t, ownerTok.get("/api/v1/tokens"), http.StatusOK)
	wantProblem(t, ownerTok.json("POST", "/api/v1/tokens", map[string]string{"name": "again", "account": accA}), http.StatusForbidden, roster.CodeForbidden)
	wantStatus(t, owner.send("DELETE", "/api/v1/tokens/"+tok2.ID, "", nil), http.StatusNoContent)
	wantProblem(t, owner.send("DELETE", "/api/v1/tokens/"+tok2.ID, "", nil), http.StatusNotFound, roster.CodeNotFound)

	// Bulk invitations.
	csv := []byte("email,role,name\nnew1@acme.test,User,New One\nada@acme.test,User,\nnot-an-email,User,\nnew2@acme.test,Owner,\n")
	dry := decodeAs[bulkBody](t, admin.send("POST", base+"/invitations/bulk?dry_run=true", "text/csv", csv), http.StatusOK)
	var outcomes []string
	for _, row := range dry.Items {
		o := row.Outcome
		if row.Code != nil {
			o += "/" + *row.Code
		}
		outcomes = append(outcomes, o)
	}
	if got, want := strings.Join(outcomes, " "), "would_invite already_member/conflict invalid/invalid_input invalid/insufficient_role"; got != want {
		t.Errorf("dry run outcomes: got %s, want %s", got, want)
	}
	decodeAs[bulkBody](t, admin.send("POST", base+"/invitations/bulk", "text/csv", csv), http.StatusOK)
	wantProblem(t, owner.send("POST", base+"/invitations/bulk", "text/csv", []byte("name\nNobody\n")), http.StatusBadRequest, roster.CodeInvalidInput)
	h.breakingDoc(func() {
		wantProblem(t, owner.send("POST", base+"/invitations/bulk", "application/json", csv), http.StatusBadRequest, roster.CodeInvalidInput)
		wantProblem(t, owner.send("POST", base+"/invitations/bulk?dry_run=maybe", "text/csv", csv), http.StatusBadRequest, roster.CodeInvalidInput)
	})

	// Changing members.
	m := base + "/members/"
	decodeAs[memberBody](t, owner.json("PATCH", m+user.userID, map[string]string{"role": "Admin"}), http.StatusOK)
	decodeAs[memberBody](t, owner.json("PATCH", m+user.userID, map[string]string{"role": "User"}), http.StatusOK)
	decodeAs[memberBody](t, owner.json("PATCH", m+user.userID, map[string]string{"status": "disabled"}), http.StatusOK)
	decodeAs[memberBody](t, owner.json("PATCH", m+user.userID, map[string]string{"status": "active"}), http.StatusOK)
	decodeAs[memberBody](t, owner.json("PATCH", m+pending.User, map[string]string{"name": "Pat Typo-Fixed"}), http.StatusOK)
	wantProblem(t, owner.json("PATCH", m+admin.userID, map[string]string{"name": "Ada Renamed"}), http.StatusConflict, roster.CodeConflict)
	wantProblem(t, owner.json("PATCH", m+pending.User, map[string]string{"status": "disabled"}), http.StatusConflict, roster.CodeConflict)
	wantProblem(t, owner.json("PATCH", m+owner.userID, map[string]string{"role": "Admin"}), http.StatusConflict, roster.CodeLastOwner)
	wantProblem(t, user.json("PATCH", m+admin.userID, map[string]string{"role": "User"}), http.StatusForbidden, roster.CodeInsufficientRole)
	wantProblem(t, owner.json("PATCH", m+"usr_nobody", map[string]string{"role": "User"}), http.StatusNotFound, roster.CodeNotFound)
	wantProblem(t, owner.json("PATCH", m+user.userID, map[string]string{"role": "Wizard"}), http.StatusBadRequest, roster.CodeInvalidInput)
	h.breakingDoc(func() {
		wantProblem(t, owner.json("PATCH", m+user.userID, map[string]string{"role": "User", "status": "active"}), http.StatusBadRequest, roster.CodeInvalidInput)
		wantProblem(t, owner.json("PATCH", m+user.userID, map[string]string{"status": "zombie"}), http.StatusBadRequest, roster.CodeInvalidInput)
		wantProblem(t, owner.json("PATCH", m+user.userID, map[string]string{}), http.StatusBadRequest, roster.CodeInvalidInput)
	})

	// Removing members, revoking an invitation, leaving.
	wantProblem(t, user.send("DELETE", m+annC.userID, "", nil), http.StatusForbidden, roster.CodeForbidden)
	wantProblem(t, owner.send("DELETE", m+owner.userID, "", nil), http.StatusConflict, roster.CodeLastOwner)
	wantProblem(t, owner.send("DELETE", m+"usr_nobody", "", nil), http.StatusNotFound, roster.CodeNotFound)
	wantStatus(t, owner.send("DELETE", m+pending.User, "", nil), http.StatusNoContent)
	wantStatus(t, annC.send("DELETE", m+annC.userID, "", nil), http.StatusNoContent)

	// Profiles.
	prod := "/profiles/prod"
	got := decodeAs[memberBody](t, owner.json("PUT", m+user.userID+prod, map[string]string{"role": "Admin"}), http.StatusOK)
	if got.ProfileRoles["prod"] != "Admin" {
		t.Errorf("profile_roles = %v, want prod: Admin", got.ProfileRoles)
	}
	wantProblem(t, owner.json("PUT", m+user.userID+prod, map[string]string{"role": "Wizard"}), http.StatusBadRequest, roster.CodeInvalidInput)
	wantProblem(t, user.json("PUT", m+admin.userID+prod, map[string]string{"role": "User"}), http.StatusForbidden, roster.CodeInsufficientRole)
	wantProblem(t, owner.json("PUT", m+owner.userID+prod, map[string]string{"role": "User"}), http.StatusForbidden, roster.CodeForbidden)
	wantProblem(t, owner.json("PUT", m+"usr_nobody"+prod, map[string]string{"role": "User"}), http.StatusNotFound, roster.CodeNotFound)
	h.breakingDoc(func() {
		wantProblem(t, owner.json("PUT", m+user.userID+"/profiles/Not_A_Slug", map[string]string{"role": "User"}), http.StatusBadRequest, roster.CodeInvalidInput)
		wantProblem(t, owner.json("PUT", m+user.userID+prod, map[string]any{"role": 3}), http.StatusBadRequest, roster.CodeInvalidInput)
	})
	profiles := decodeAs[listBody[struct{ Name string }]](t, owner.get(base+"/profiles"), http.StatusOK)
	if len(profiles.Items) != 1 || profiles.Items[0].Name != "prod" {
		t.Errorf("profiles = %+v, want prod", profiles.Items)
	}
	wantStatus(t, owner.send("DELETE", m+user.userID+prod, "", nil), http.StatusNoContent)
	wantProblem(t, owner.send("DELETE", m+user.userID+prod, "", nil), http.StatusNotFound, roster.CodeNotFound)

	// The audit log.
	events := decodeAs[listBody[auditBody]](t, owner.get(base+"/audit?limit=2"), http.StatusOK)
	if len(events.Items) != 2 || events.NextCursor == "" {
		t.Fatalf("audit?limit=2: %d events, next_cursor %q", len(events.Items), events.NextCursor)
	}
	decodeAs[listBody[auditBody]](t, owner.get(base+"/audit?limit=200&cursor="+url.QueryEscape(events.NextCursor)), http.StatusOK)
	wantProblem(t, owner.get(base+"/audit?cursor=garbage"), http.StatusBadRequest, roster.CodeInvalidInput)
	wantProblem(t, owner.get(base+"/audit?q=x"), http.StatusBadRequest, roster.CodeInvalidInput)
	wantProblem(t, user.get(base+"/audit"), http.StatusForbidden, roster.CodeForbidden)
	h.breakingDoc(func() {
		wantProblem(t, owner.get(base+"/audit?limit=0"), http.StatusBadRequest, roster.CodeInvalidInput)
		wantProblem(t, owner.get(base+"/audit?limit=201"), http.StatusBadRequest, roster.CodeInvalidInput)
	})

	// Permission checks.
	userTok := user.newToken(accA)
	c := decodeAs[checkBody](t, userTok.json("POST", base+"/check", map[string]string{"user": user.userID, "permission": "collections.create"}), http.StatusOK)
	if !c.Allowed || c.Code != "granted" {
		t.Errorf("User may collections.create: got %+v, want granted", c)
	}
	decodeAs[checkBody](t, owner.json("POST", base+"/check", map[string]string{"user": "usr_nobody", "permission": "members.remove"}), http.StatusOK)
	decodeAs[checkBody](t, dev.json("POST", baseB+"/check", map[string]string{"user": dev.userID, "permission": "agents.configure"}), http.StatusOK)
	wantProblem(t, dev.json("POST", baseB+"/check", map[string]string{"user": ownerB.userID, "permission": "billing.manage"}), http.StatusForbidden, roster.CodeForbidden)
	wantProblem(t, owner.json("POST", base+"/check", map[string]string{"user": user.userID, "permission": "no.such"}), http.StatusBadRequest, roster.CodeInvalidInput)
	wantProblem(t, owner.json("POST", base+"/check", map[string]string{"user": user.userID, "permission": "catalog.read", "profile": "nowhere"}),
		http.StatusBadRequest, roster.CodeInvalidInput)
	batch := decodeAs[struct{ Results []checkBody }](t, owner.json("POST", base+"/check/batch", map[string]any{"checks": []map[string]string{
		{"user": user.userID, "permission": "members.remove"},
		{"user": admin.userID, "permission": "members.remove"},
		{"user": user.userID, "permission": "catalog.read", "profile": "prod"},
	}}), http.StatusOK)
	if len(batch.Results) != 3 || batch.Results[0].Allowed || !batch.Results[1].Allowed {
		t.Errorf("batch results = %+v, want [denied, granted, ...]", batch.Results)
	}
	wantProblem(t, owner.json("POST", base+"/check/batch", map[string]any{"checks": []map[string]string{
		{"user": user.userID, "permission": "members.remove"},
		{"user": user.userID, "permission": "no.such"},
	}}), http.StatusBadRequest, roster.CodeInvalidInput)
	wantProblem(t, ownerB.json("POST", base+"/check/batch", map[string]any{"checks": []map[string]string{
		{"user": user.userID, "permission": "members.remove"},
	}}), http.StatusNotFound, roster.CodeNotFound)
	h.breakingDoc(func() {
		wantProblem(t, owner.json("POST", base+"/check/batch", map[string]any{"checks": []any{}}), http.StatusBadRequest, roster.CodeInvalidInput)
		wantProblem(t, owner.json("POST", base+"/check", map[string]string{"permission": "catalog.read"}), http.StatusBadRequest, roster.CodeInvalidInput)
	})

	// Roles.
	roles := decodeAs[listBody[struct {
		Name       string
		Assignable bool
	}]](t, user.get(base+"/roles"), http.StatusOK)
	if len(roles.Items) != 3 {
		t.Errorf("bigeye has %d roles, want 3", len(roles.Items))
	}

	// A cross-origin write with a cookie.
	evil := h.client("olive on evil.example")
	evil.setSession(owner.session())
	evil.header.Set("Origin", "https://evil.example")
	evil.header.Set("Sec-Fetch-Site", "cross-site")
	wantProblem(t, evil.json("POST", base+"/invitations", map[string]string{"email": "mallory@evil.example", "role": "Owner"}),
		http.StatusForbidden, roster.CodeForbidden)

	// Passwords.
	h.breakingDoc(func() {
		wantProblem(t, userTok.json("POST", "/api/v1/me/password", map[string]string{"current": pw, "new": "a different passphrase"}),
			http.StatusForbidden, roster.CodeForbidden)
	})
	wantProblem(t, user.json("POST", "/api/v1/me/password", map[string]string{"current": "not my password", "new": "a different passphrase"}),
		http.StatusBadRequest, roster.CodeInvalidInput)
	wantProblem(t, user.json("POST", "/api/v1/me/password", map[string]string{"current": pw, "new": "short"}),
		http.StatusBadRequest, roster.CodeInvalidInput)
	wantStatus(t, user.json("POST", "/api/v1/me/password", map[string]string{"current": pw, "new": "a different passphrase"}), http.StatusNoContent)

	decodeAs[map[string]string](t, anon.json("POST", "/api/v1/password-reset", map[string]string{"email": "ada@acme.test"}), http.StatusAccepted)
	decodeAs[map[string]string](t, anon.json("POST", "/api/v1/password-reset", map[string]string{"email": "nobody@acme.test"}), http.StatusAccepted)
	wantProblem(t, anon.json("POST", "/api/v1/password-reset", map[string]string{"email": "not an email"}), http.StatusBadRequest, roster.CodeInvalidInput)
	resetLink := h.outboxLink(func(msg *roster.Message) bool {
		return msg.Kind == roster.MessagePasswordReset && msg.UserID == admin.userID
	})
	wantProblem(t, anon.json("POST", "/api/v1/password-reset/confirm", map[string]string{"token": "rsr_forged", "password": "a brand new passphrase"}),
		http.StatusBadRequest, roster.CodeInvalidToken)
	wantProblem(t, anon.json("POST", "/api/v1/password-reset/confirm", map[string]string{"token": tokenOf(t, resetLink), "password": "short"}),
		http.StatusBadRequest, roster.CodeInvalidInput)
	wantStatus(t, anon.json("POST", "/api/v1/password-reset/confirm", map[string]string{"token": tokenOf(t, resetLink), "password": "a brand new passphrase"}),
		http.StatusNoContent)
	// The reset ended Ada's sessions: she signs in again.
	admin = h.client("ada again")
	decodeAs[meBody](t, admin.json("POST", "/api/v1/session", map[string]string{"email": "ada@acme.test", "password": "a brand new passphrase"}), http.StatusOK)
	me = decodeAs[meBody](t, admin.get("/api/v1/me"), http.StatusOK)
	admin.userID = me.User.ID

	// Ownership transfer.
	late := decodeAs[memberBody](t, owner.json("POST", base+"/invitations", map[string]string{"email": "late@acme.test", "role": "User"}), http.StatusCreated)
	transfer := base + "/ownership-transfer"
	h.breakingDoc(func() {
		wantProblem(t, ownerTok.json("POST", transfer, map[string]string{"user": admin.userID, "password": pw}), http.StatusForbidden, roster.CodeForbidden)
		wantProblem(t, owner.json("POST", transfer, map[string]string{"user": "", "password": pw}), http.StatusBadRequest, roster.CodeInvalidInput)
	})
	wantProblem(t, owner.json("POST", transfer, map[string]string{"user": admin.userID, "password": "not the password"}), http.StatusForbidden, roster.CodeForbidden)
	wantProblem(t, owner.json("POST", transfer, map[string]string{"user": "usr_nobody", "password": pw}), http.StatusNotFound, roster.CodeNotFound)
	wantProblem(t, owner.json("POST", transfer, map[string]string{"user": owner.userID, "password": pw}), http.StatusConflict, roster.CodeConflict)
	wantProblem(t, owner.json("POST", transfer, map[string]string{"user": late.User, "password": pw}), http.StatusConflict, roster.CodeConflict)
	newOwner := decodeAs[memberBody](t, owner.json("POST", transfer, map[string]string{"user": admin.userID, "password": pw}), http.StatusOK)
	if newOwner.User != admin.userID || newOwner.Role != "Owner" {
		t.Errorf("transfer answered %+v, want Ada as Owner", newOwner)
	}

	// A disabled member loses access at the next request.
	decodeAs[memberBody](t, admin.json("PATCH", m+user.userID, map[string]string{"status": "disabled"}), http.StatusOK)
	wantProblem(t, user.get(base+"/members"), http.StatusNotFound, roster.CodeNotFound)
	wantProblem(t, userTok.get(base+"/members"), http.StatusNotFound, roster.CodeNotFound)

	// Signing out.
	stale := olive2.session()
	wantStatus(t, olive2.send("DELETE", "/api/v1/session", "", nil), http.StatusNoContent)
	again := h.client("olive's old cookie")
	again.setSession(stale)
	wantProblem(t, again.get("/api/v1/me"), http.StatusUnauthorized, roster.CodeUnauthenticated)
	h.breakingDoc(func() {
		wantProblem(t, ownerTok.send("DELETE", "/api/v1/session", "", nil), http.StatusForbidden, roster.CodeForbidden)
		wantProblem(t, anon.send("DELETE", "/api/v1/session", "", nil), http.StatusUnauthorized, roster.CodeUnauthenticated)
	})

	// Unknown routes and methods.
	wantProblem(t, anon.get("/api/v1/nothing-here"), http.StatusNotFound, roster.CodeNotFound)
	wantProblem(t, owner.get("/api/v2/me"), http.StatusNotFound, roster.CodeNotFound)
	r := owner.json("PUT", "/api/v1/me", map[string]string{"name": "x"})
	wantProblem(t, r, http.StatusMethodNotAllowed, roster.CodeMethodNotAllowed)
	if got := strings.Join(r.header.Values("Allow"), ","); got != "GET,HEAD,PATCH" {
		t.Errorf("Allow = %q, want GET,HEAD,PATCH", got)
	}
}

// checkConformance validates every exchange against the document.
func checkConformance(t *testing.T, doc *openapi3.T, exchanges []exchange) {
	t.Helper()
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("gorillamux.NewRouter: %v", err)
	}
	opts := &openapi3filter.Options{
		IncludeResponseStatus:   true,
		MultiError:              true,
		AuthenticationFunc:      credentialsPresent,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.EnableFormatValidation()},
	}
	// Say where a value fails, without dumping the whole schema.
	opts.WithCustomSchemaErrorFunc(func(err *openapi3.SchemaError) string {
		return fmt.Sprintf("%s at /%s", err.Reason, strings.Join(err.JSONPointer(), "/"))
	})
	problem := doc.Components.Schemas["Problem"].Value
	ctx := context.Background()

	type outcome struct{ ok, refused int }
	covered := map[string]*outcome{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			covered[method+" "+path] = &outcome{}
		}
	}

	for i, ex := range exchanges {
		name := fmt.Sprintf("#%d %s %s → %d", i, ex.method, strings.TrimPrefix(ex.url, "http://"), ex.status)
		req, err := http.NewRequest(ex.method, ex.url, bytes.NewReader(ex.reqBody))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		req.Header = ex.reqHeader.Clone()

		route, params, err := router.FindRoute(req)
		if err != nil {
			// An unknown route or method: not in the document, but the
			// answer is still a problem document.
			want := http.StatusNotFound
			if errors.Is(err, routers.ErrMethodNotAllowed) {
				want = http.StatusMethodNotAllowed
			}
			if ex.status != want {
				t.Errorf("%s: the document routes this to %v; status %d, want %d", name, err, ex.status, want)
			}
			if ct := ex.respHeader.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("%s: Content-Type %q, want application/problem+json", name, ct)
			}
			var v any
			if err := json.Unmarshal(ex.respBody, &v); err != nil {
				t.Errorf("%s: body %s: %v", name, ex.respBody, err)
			} else if err := problem.VisitJSON(v); err != nil {
				t.Errorf("%s: body does not match Problem: %v", name, err)
			}
			continue
		}
		key := ex.method + " " + route.Path
		if o := covered[key]; o != nil && ex.status < 300 {
			o.ok++
		} else if o != nil && ex.status >= 400 {
			o.refused++
		}

		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
		err = openapi3filter.ValidateRequest(ctx, in)
		switch {
		case ex.offDoc && err == nil:
			t.Errorf("%s: the test sends this request as breaking the document, but the document accepts it (body %s)", name, ex.reqBody)
		case !ex.offDoc && err != nil:
			t.Errorf("%s: the request does not match the document: %v", name, err)
		}

		out := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in, Status: ex.status, Header: ex.respHeader, Options: opts,
		}
		out.SetBodyBytes(ex.respBody)
		if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
			t.Errorf("%s: the response does not match the document: %v\nbody: %.400s", name, err, ex.respBody)
		}
		// A response the document gives no content must have none.
		if resp := route.Operation.Responses.Status(ex.status); resp != nil && resp.Value != nil &&
			len(resp.Value.Content) == 0 && len(ex.respBody) > 0 {
			t.Errorf("%s: the document describes no body, got %.200s", name, ex.respBody)
		}
	}

	var keys []string
	for k := range covered {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if o := covered[k]; o.ok == 0 || o.refused == 0 {
			t.Errorf("%s: the scenario got %d successful and %d refused answers; want at least one of each", k, o.ok, o.refused)
		}
	}
}

// credentialsPresent accepts a request that carries the credential a
// security scheme names; whether it is valid is the server's to say.
func credentialsPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r := in.RequestValidationInput.Request
	s := in.SecurityScheme
	switch {
	case s.Type == "apiKey" && s.In == "cookie":
		if c, err := r.Cookie(s.Name); err != nil || c.Value == "" {
			return fmt.Errorf("no %s cookie", s.Name)
		}
		return nil
	case s.Type == "http" && s.Scheme == "bearer":
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			return errors.New("no bearer token")
		}
		return nil
	}
	return fmt.Errorf("unknown security scheme %s", in.SecuritySchemeName)
}
