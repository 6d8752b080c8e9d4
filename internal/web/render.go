package web

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/httpserver"
	"github.com/rosterhq/roster/policy"
)

// pageTemplate is one page: the shared layout and partials plus the page's
// own file, parsed together so that the page defines "content".
type pageTemplate struct {
	t *template.Template
}

// pageNames are the files under templates/ that are whole pages; the others
// (layout.html, partials.html) are shared by every page.
var pageNames = []string{
	"login", "activate", "link_error", "forgot", "reset", "setup", "password",
	"account_home", "users", "roles", "audit", "error", "tokens",
}

func parsePages() (map[string]*pageTemplate, error) {
	out := make(map[string]*pageTemplate, len(pageNames))
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/partials.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("template %s defines no content", name)
		}
		out[name] = &pageTemplate{t: t}
	}
	return out, nil
}

// page is what every template receives.
type page struct {
	Title string
	// Signed-in person, nil on the public pages.
	User *roster.User
	// Accounts the person may switch to (Active memberships).
	Accounts []roster.Membership
	// Viewer is the person in the current account, nil outside one.
	Viewer *app.Viewer
	// Section highlights the current entry of the menu: home, users, roles, audit.
	Section string
	Flash   string
	// DialogOpen says a dialog is open over the page: the rest of the
	// page is inert, also without the script that makes it modal.
	DialogOpen bool
	// Data is the page's own model.
	Data any
}

// render writes a page with the given status. The page is rendered to a
// buffer first, so that a template error becomes a clean error page instead
// of half a page.
func (w *Web) render(rw http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	pt, ok := w.pages[name]
	if !ok {
		w.log.Error("no such page template", "page", name)
		http.Error(rw, "internal error", http.StatusInternalServerError)
		return
	}
	if p.Flash == "" {
		p.Flash = w.takeFlash(rw, r)
	}
	var buf bytes.Buffer
	if err := pt.t.ExecuteTemplate(&buf, "layout", p); err != nil {
		w.log.Error("render page", "page", name, "err", err)
		http.Error(rw, "internal error", http.StatusInternalServerError)
		return
	}
	h := rw.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Pages show who is signed in and what they may do: never cache them.
	h.Set("Cache-Control", "no-store")
	rw.WriteHeader(status)
	rw.Write(buf.Bytes())
}

// errorPage is the model of the error page.
type errorPage struct {
	Heading string
	Message string
	// Back is a link to offer, when there is a sensible place to go.
	Back, BackLabel string
}

// fail shows err as a page: a refusal with the policy's sentence and the
// status of its code, an internal error with no detail (logged here). A
// request that is not signed in goes to the sign-in page instead.
func (w *Web) fail(rw http.ResponseWriter, r *http.Request, p *page, err error) {
	code := roster.ErrorCode(err)
	if code == roster.CodeUnauthenticated {
		w.toLogin(rw, r)
		return
	}
	if p == nil {
		p = &page{}
	}
	e := errorPage{Message: roster.ErrorMessage(err), Back: "/", BackLabel: "Go to the start page"}
	switch code {
	case roster.CodeForbidden, roster.CodeInsufficientRole:
		e.Heading = "You don't have access to this"
	case roster.CodeNotFound:
		e.Heading = "Not found"
	case roster.CodeInternal:
		w.log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		e.Heading = "Something went wrong"
		e.Message = "Roster could not complete this request. Please try again; if it keeps happening, tell your operator."
	case roster.CodeRateLimited:
		e.Heading = "Too many attempts"
	default:
		e.Heading = "This cannot be done"
	}
	p.Title = e.Heading
	p.Data = e
	w.render(rw, r, httpserver.StatusOf(code), "error", p)
}

// Refuse answers a request refused before it reached the pages (a
// cross-site form, a session that could not be looked up) with an error
// page, as the pages answer their own.
func (w *Web) Refuse(rw http.ResponseWriter, r *http.Request, err error) {
	w.fail(rw, r, nil, err)
}

// outcomeLabels name a bulk invitation row's outcome as people read it.
var outcomeLabels = map[string]string{
	app.OutcomeInvited: "Invited", app.OutcomeWouldInvite: "Would be invited",
	app.OutcomeAlreadyMember: "Already a member", app.OutcomeInvalid: "Not invited",
}

func (w *Web) notFound(rw http.ResponseWriter, r *http.Request) {
	w.fail(rw, r, w.basePage(r), roster.Errorf(roster.CodeNotFound, "There is no page at %s.", roster.Truncate(r.URL.Path, 200)))
}

// basePage returns the page frame for the signed-in person, if any, so that
// error pages still show the menu.
func (w *Web) basePage(r *http.Request) *page {
	if _, p, err := w.userFrame(r, ""); err == nil {
		return p
	}
	return &page{}
}

// toLogin sends a visitor who is not signed in to the sign-in page, coming
// back here afterwards. A form sent after the session ended cannot be
// sent again from there: the page says that nothing was saved.
func (w *Web) toLogin(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.redirectWithFlash(rw, r, "/login", "You were signed out, so what you sent was not saved. Sign in again, then do it again.")
		return
	}
	target := "/login"
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(rw, r, target, http.StatusSeeOther)
}

// flashCookie carries a one-line message across the redirect that follows
// a successful form (post, redirect, get). Over https its name has the
// __Host- prefix, as the session cookie's (httpserver.SessionCookieName),
// so that no other host can plant a message in the page.
func (w *Web) flashCookie() string {
	if w.secureCookies {
		return "__Host-roster_flash"
	}
	return "roster_flash"
}

// redirectWithFlash ends a successful POST: the next page shows msg once.
func (w *Web) redirectWithFlash(rw http.ResponseWriter, r *http.Request, to, msg string) {
	http.SetCookie(rw, &http.Cookie{
		Name: w.flashCookie(), Value: base64.RawURLEncoding.EncodeToString([]byte(msg)),
		Path: "/", HttpOnly: true, Secure: w.secureCookies, SameSite: http.SameSiteLaxMode, MaxAge: 60,
	})
	http.Redirect(rw, r, to, http.StatusSeeOther)
}

// takeFlash reads and clears the flash message, if any.
func (w *Web) takeFlash(rw http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(w.flashCookie())
	if err != nil || c.Value == "" {
		return ""
	}
	http.SetCookie(rw, &http.Cookie{Name: w.flashCookie(), Path: "/", HttpOnly: true, Secure: w.secureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || !utf8.Valid(b) {
		return ""
	}
	return roster.Truncate(string(b), 300)
}

func activeOnly(ms []roster.Membership) []roster.Membership {
	var out []roster.Membership
	for _, m := range ms {
		if pm := m.Policy(); policy.Admits(&pm) {
			out = append(out, m)
		}
	}
	return out
}

// funcs are the helpers templates may call. None of them decides a
// permission: shown only reads a decision the policy made.
var funcs = template.FuncMap{
	"shown": app.Shown,
	// ownerShort is how the Last Owner Warning names the owner role the
	// second time: "Owner", as the seed says for "Organization Owner",
	// unless a catalog of the operator's own names it otherwise ("Boss").
	"ownerShort": func(owner string) string {
		if strings.HasSuffix(owner, "Owner") {
			return "Owner"
		}
		return owner
	},
	// fieldError is the field-error template's argument: the message shown
	// under the input whose id is id, as id-error, which the input names
	// in its aria-describedby.
	"fieldError":  func(id, msg string) struct{ ID, Msg string } { return struct{ ID, Msg string }{id, msg} },
	"statusLabel": statusLabel,
	"outcomeLabel": func(o string) string {
		if l, ok := outcomeLabels[o]; ok {
			return l
		}
		return o
	},
	"statusClass": func(s roster.Status) string { return "status-" + string(s) },
	// exampleRole is a role of the catalog to show in an example: its
	// default for invitations, else its least powerful.
	"exampleRole": func(c *policy.Catalog) string {
		if c.DefaultRole != "" {
			return c.DefaultRole
		}
		ex := c.Roles[0]
		for _, r := range c.Roles {
			if r.Rank < ex.Rank {
				ex = r
			}
		}
		return ex.Name
	},
	"datetime": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	},
	"when": func(t *time.Time) string {
		if t == nil {
			return "Never"
		}
		return formatTime(*t)
	},
	"whenTime": formatTime,
	"isoTime":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"lastOwnerCode": func(d policy.Decision) bool {
		return d.Code == policy.CodeLastOwner
	},
	"initials": initials,
	"join":     strings.Join,
}

// formatTime is how the pages show a moment: "2 Jan 2006, 15:04 UTC".
func formatTime(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") }

// statusLabel is how the seed names each status.
func statusLabel(s roster.Status) string {
	switch s {
	case roster.StatusActive:
		return "Active"
	case roster.StatusPending:
		return "Pending Activation"
	case roster.StatusDisabled:
		return "Disabled"
	}
	return string(s)
}

// initials make the round badge in front of a name.
func initials(name, email string) string {
	words := strings.Fields(name)
	var out []rune
	for _, w := range words {
		r, _ := utf8.DecodeRuneInString(w)
		out = append(out, r)
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		r, _ := utf8.DecodeRuneInString(email)
		out = append(out, r)
	}
	return strings.ToUpper(string(out))
}
