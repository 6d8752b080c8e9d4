package web

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/httpserver"
	"github.com/rosterhq/roster/policy"
)

// setupPage is the model of the first-run form.
type setupPage struct {
	Token    string
	Catalogs []catalogChoice
	Values   map[string]string
	Errors   map[string]string
	Error    string
}

// Focus reports whether field takes the focus: the first with an error,
// else the first.
func (p setupPage) Focus(field string) bool {
	return focusField(p.Errors, field, "account_name", "catalog", "owner_name", "owner_email", "password")
}

// catalogChoice is a built-in role catalog offered at setup.
type catalogChoice struct {
	Name  string
	Roles []string
}

// setupOK reports whether token is this process's unused setup secret.
func (w *Web) setupOK(token string) bool {
	w.setupMu.Lock()
	defer w.setupMu.Unlock()
	return w.setupToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(w.setupToken)) == 1
}

// setupGate answers the setup link's requests that cannot go ahead: a
// wrong or used link, or an installation that already has an account.
func (w *Web) setupGate(rw http.ResponseWriter, r *http.Request, token string) bool {
	if has, err := w.app.HasAccounts(r.Context()); err != nil {
		w.fail(rw, r, nil, err)
		return false
	} else if has {
		w.render(rw, r, http.StatusGone, "link_error", &page{Title: "Already set up", Data: linkErrorPage{
			Heading: "Roster is already set up",
			Message: "An account exists, so the first-run setup link no longer works.",
			Hint:    "Sign in, or ask an administrator of your account to invite you.",
		}})
		return false
	}
	if !w.setupOK(token) {
		w.render(rw, r, http.StatusNotFound, "link_error", &page{Title: "Setup link not valid", Data: linkErrorPage{
			Heading: "This setup link is not valid",
			Message: "The link must be copied whole from the server's log, from the line that says \"first run\".",
			Hint:    "Each start of roster serve on an empty database prints a new link; older ones stop working.",
		}})
		return false
	}
	return true
}

func catalogChoices() []catalogChoice {
	var out []catalogChoice
	for _, name := range policy.BuiltinNames() {
		c, err := policy.Builtin(name)
		if err != nil {
			continue // built-ins are tested to load; never happens
		}
		ch := catalogChoice{Name: name}
		for _, r := range c.Roles {
			ch.Roles = append(ch.Roles, r.Name)
		}
		out = append(out, ch)
	}
	return out
}

// setupPage serves the one-time first-run link printed by roster serve on
// an empty database: the first account and its owner are made here.
func (w *Web) setupPage(rw http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if !w.setupGate(rw, r, token) {
		return
	}
	w.render(rw, r, http.StatusOK, "setup", &page{Title: "Set up Roster", Data: setupPage{
		Token: token, Catalogs: catalogChoices(),
		Values: map[string]string{"catalog": "bizmetry"}, Errors: map[string]string{},
	}})
}

func (w *Web) setup(rw http.ResponseWriter, r *http.Request) {
	if err := parseForm(rw, r, maxFormBytes); err != nil {
		w.fail(rw, r, nil, err)
		return
	}
	token := r.PostFormValue("token")
	if err := w.limit(rw, r, httpserver.LinkKey(token)); err != nil {
		w.fail(rw, r, nil, err)
		return
	}
	if !w.setupGate(rw, r, token) {
		return
	}
	d := setupPage{Token: token, Catalogs: catalogChoices(), Errors: map[string]string{}, Values: map[string]string{
		"account_name": r.PostFormValue("account_name"), "catalog": r.PostFormValue("catalog"),
		"owner_name": r.PostFormValue("owner_name"), "owner_email": strings.TrimSpace(r.PostFormValue("owner_email")),
	}}
	in := app.AccountWithOwner{
		AccountName: d.Values["account_name"], OwnerName: d.Values["owner_name"],
		OwnerEmail: d.Values["owner_email"], Password: r.PostFormValue("password"),
	}
	var err error
	if c, cerr := policy.Builtin(d.Values["catalog"]); cerr == nil {
		in.Catalog = c
	} else {
		err = roster.Invalid("catalog", "Please choose one of the role catalogs.")
	}
	var acc *app.Accepted
	if err == nil {
		acc, err = w.app.SetUp(r.Context(), httpserver.ClientIP(r), in)
	}
	if err != nil {
		if roster.ErrorCode(err) == roster.CodeInternal {
			w.fail(rw, r, nil, err)
			return
		}
		if f := roster.ErrorField(err); f != "" {
			d.Errors[f] = roster.ErrorMessage(err)
		} else {
			d.Error = roster.ErrorMessage(err)
		}
		w.render(rw, r, refusalStatus(err), "setup", &page{Title: "Set up Roster", Data: d})
		return
	}
	w.setupMu.Lock()
	w.setupToken = "" // one time only
	w.setupMu.Unlock()
	httpserver.SetSessionCookie(rw, acc.Session, w.secureCookies, w.sessionMax)
	w.redirectWithFlash(rw, r, accountURL(acc.Member.AccountID)+"/users",
		fmt.Sprintf("%s is ready. You are its %s; invite your team with + Invite User.", in.AccountName, acc.Member.Role))
}
