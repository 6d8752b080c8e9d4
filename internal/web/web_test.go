package web_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/httpserver"
	"github.com/rosterhq/roster/internal/password"
	"github.com/rosterhq/roster/internal/sqlite"
	"github.com/rosterhq/roster/internal/web"
	"github.com/rosterhq/roster/policy"
)

const pw = "a perfectly fine password"

// site is the web UI behind the real server middleware (authentication,
// security headers, cross-origin protection) on a real SQLite store.
type site struct {
	t       *testing.T
	app     *app.App
	url     string
	account string
	ids     map[string]string // email → user id
}

func newSite(t *testing.T, setupToken string) *site {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	a := app.New(app.Config{Store: store, Hasher: password.NewHasher(password.Params{MemoryKiB: 64, Passes: 1, Lanes: 1}, 4), BaseURL: "http://roster.test"})
	w, err := web.New(web.Config{App: a, SetupToken: setupToken})
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	srv := httpserver.New(httpserver.Config{Store: store, Logger: discard(), Auth: a, Web: w})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &site{t: t, app: a, url: ts.URL, ids: map[string]string{}}
}

// withAccount creates a bizmetry account whose owner is active, plus one
// Active member of each given role (email = role slug @acme.test).
func (s *site) withAccount(catalog string, roles ...string) *site {
	s.t.Helper()
	cat, err := policy.Builtin(catalog)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.withCatalog(cat, roles...)
}

// withCatalog is withAccount with a catalog of one's own.
func (s *site) withCatalog(cat *policy.Catalog, roles ...string) *site {
	s.t.Helper()
	ctx := context.Background()
	owner, err := s.app.CreateAccountWithOwner(ctx, app.AccountWithOwner{
		AccountName: "Acme", Catalog: cat, OwnerName: "Olive Owner", OwnerEmail: "owner@acme.test", Password: pw,
	})
	if err != nil {
		s.t.Fatal(err)
	}
	s.account = owner.Member.AccountID
	s.ids["owner@acme.test"] = owner.User.ID
	for _, role := range roles {
		s.activeMember("The "+role, strings.ReplaceAll(strings.ToLower(role), " ", ".")+"@acme.test", role)
	}
	return s
}

// activeMember has the owner invite a person with the role, who then
// joins; s.ids gets their id.
func (s *site) activeMember(name, email, role string) {
	s.t.Helper()
	ctx := context.Background()
	by := roster.Principal{UserID: s.ids["owner@acme.test"]}
	m, err := s.app.Invite(ctx, by, s.account, app.Invitation{Email: email, Role: role, Name: name})
	if err != nil {
		s.t.Fatal(err)
	}
	link, err := s.app.InvitationLink(ctx, s.account, m.UserID)
	if err != nil {
		s.t.Fatal(err)
	}
	u, _ := url.Parse(link)
	if _, err := s.app.AcceptInvitation(ctx, "", app.Acceptance{Token: u.Query().Get("token"), Name: name, Password: pw}); err != nil {
		s.t.Fatal(err)
	}
	s.ids[email] = m.UserID
}

// browser is an HTTP client with its own cookies that does not follow
// redirects, so that tests see each answer.
type browser struct {
	s  *site
	hc *http.Client
}

func (s *site) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{s: s, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) get(path string) page {
	b.s.t.Helper()
	resp, err := b.hc.Get(b.s.url + path)
	if err != nil {
		b.s.t.Fatal(err)
	}
	return read(b.s.t, resp)
}

// follow GETs path and follows redirects to the final page.
func (b *browser) follow(path string) page {
	b.s.t.Helper()
	for i := 0; i < 5; i++ {
		p := b.get(path)
		if p.status != http.StatusSeeOther && p.status != http.StatusFound {
			return p
		}
		path = p.header.Get("Location")
	}
	b.s.t.Fatalf("too many redirects from %s", path)
	return page{}
}

func (b *browser) post(path string, form url.Values) page {
	b.s.t.Helper()
	resp, err := b.hc.PostForm(b.s.url+path, form)
	if err != nil {
		b.s.t.Fatal(err)
	}
	return read(b.s.t, resp)
}

func (b *browser) login(email string) {
	b.s.t.Helper()
	p := b.post("/login", url.Values{"email": {email}, "password": {pw}})
	if p.status != http.StatusSeeOther {
		b.s.t.Fatalf("login %s: %d\n%s", email, p.status, p.body)
	}
}

func read(t *testing.T, resp *http.Response) page {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// text is the page's body with tags removed and entities decoded, for
// assertions on what a person reads. A <bdi>, which only isolates a name's
// direction, is read as part of the words around it.
var (
	tags      = regexp.MustCompile(`<[^>]*>`)
	isolation = regexp.MustCompile(`</?bdi>`)
)

func (p page) text() string {
	body := isolation.ReplaceAllString(p.body, "")
	return strings.Join(strings.Fields(html.UnescapeString(tags.ReplaceAllString(body, " "))), " ")
}

func (p page) has(t *testing.T, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(p.text(), w) {
			t.Errorf("page (status %d) lacks %q:\n%s", p.status, w, p.text())
		}
	}
}

func (s *site) users() string { return "/accounts/" + s.account + "/users" }

func (s *site) member(email, action string) string {
	return "/accounts/" + s.account + "/members/" + s.ids[email] + "/" + action
}

const seedWarning = "You cannot remove or disable the last Organization Owner of an account. Assign another user as Owner first."

func TestPagesCarryCSPWithoutInlineCode(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry", "Developer")
	b := s.browser()
	pages := []string{"/login", "/forgot-password", "/reset-password?token=x", "/activate?token=x", "/nowhere"}
	for _, path := range pages {
		checkNoInline(t, path, b.get(path))
	}
	b.login("owner@acme.test")
	for _, path := range []string{s.users(), s.users() + "?dialog=invite", s.users() + "?dialog=bulk",
		s.users() + "?dialog=edit&user=" + s.ids["developer@acme.test"], s.users() + "?dialog=transfer",
		"/accounts/" + s.account + "/roles", "/accounts/" + s.account + "/audit", "/me/password", "/me/tokens"} {
		checkNoInline(t, path, b.get(path))
	}
}

var (
	inlineScript = regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`)
	styleAttr    = regexp.MustCompile(`\sstyle\s*=`)
	handlerAttr  = regexp.MustCompile(`\son[a-z]+\s*=`)
)

func checkNoInline(t *testing.T, path string, p page) {
	t.Helper()
	csp := p.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "style-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("%s: Content-Security-Policy = %q", path, csp)
	}
	if !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
		t.Errorf("%s: Content-Type = %q, want HTML", path, p.header.Get("Content-Type"))
	}
	if inlineScript.MatchString(p.body) || styleAttr.MatchString(p.body) || handlerAttr.MatchString(p.body) || strings.Contains(p.body, "<style") {
		t.Errorf("%s: the page has inline script or style, which the CSP would block", path)
	}
}

func TestMonitoringUserHasNoUsersAndRoles(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry", "Monitoring User")
	b := s.browser()
	b.login("monitoring.user@acme.test")
	home := b.follow("/")
	if home.status != http.StatusOK || strings.Contains(home.body, "Users &amp; Roles") {
		t.Errorf("home (%d) shows Users & Roles to a Monitoring User:\n%s", home.status, home.text())
	}
	home.has(t, "You are signed in as Monitoring User")
	p := b.get(s.users())
	if p.status != http.StatusForbidden {
		t.Errorf("users page for a Monitoring User: status %d, want 403", p.status)
	}
	p.has(t, "You don't have access to this", "Your role (Monitoring User) does not allow you to see the members of this account; that takes the role Organization Manager or Organization Owner.")
	if strings.Contains(p.body, `class="members"`) {
		t.Errorf("the member table is shown to a Monitoring User")
	}
	// Its actions are refused with the policy's sentence too, as a page.
	r := b.post("/accounts/"+s.account+"/invitations", url.Values{"email": {"x@acme.test"}, "role": {"Developer"}})
	if r.status != http.StatusForbidden {
		t.Errorf("invite by a Monitoring User: %d, want 403", r.status)
	}
	r.has(t, "Your role (Monitoring User) does not allow you to invite people; that takes the role Organization Manager or Organization Owner.")

	owner := s.browser()
	owner.login("owner@acme.test")
	owner.follow("/").has(t, "Users & Roles", "Audit log")
}

// TestHomeShowsOwnProfileRoles: a member without user management sees,
// besides their account role, the roles they hold on profiles.
func TestHomeShowsOwnProfileRoles(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry", "Developer")
	owner := roster.Principal{UserID: s.ids["owner@acme.test"]}
	if _, err := s.app.GrantProfileRole(context.Background(), owner, s.account, s.ids["developer@acme.test"], "prod", "DevOps"); err != nil {
		t.Fatal(err)
	}
	b := s.browser()
	b.login("developer@acme.test")
	b.get("/accounts/"+s.account).has(t, "Your roles on profiles", "prod · DevOps")
}

// TestNoAccountLeftIsNotAnError: after leaving one's only account, the
// start page says so and where one's settings are, not a 403 that leads
// back to itself.
func TestNoAccountLeftIsNotAnError(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry", "Developer")
	b := s.browser()
	b.login("developer@acme.test")
	if p := b.post(s.member("developer@acme.test", "remove"), nil); p.status != http.StatusSeeOther {
		t.Fatalf("leaving: %d", p.status)
	}
	p := b.get("/")
	if p.status != http.StatusOK || !strings.Contains(p.body, `href="/me/password"`) {
		t.Errorf("the start page with no account: %d", p.status)
	}
	p.has(t, "You are not in any account", "Your settings")

	// Invited again, they are told where to join.
	if _, err := s.app.Invite(context.Background(), roster.Principal{UserID: s.ids["owner@acme.test"]}, s.account, app.Invitation{Email: "developer@acme.test", Role: "Developer"}); err != nil {
		t.Fatal(err)
	}
	b.get("/").has(t, "You are invited to Acme (as Developer) but have not joined yet: open the invitation link you were emailed.")
}

// TestInviteRefusalStartsAtItsField: an invitation refused for its name
// comes back with the focus in the name, whose error is announced.
func TestInviteRefusalStartsAtItsField(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry")
	b := s.browser()
	b.login("owner@acme.test")
	p := b.post("/accounts/"+s.account+"/invitations", url.Values{"email": {"nia@acme.test"}, "name": {"Nia =?utf-8?q?x?="}, "role": {"Developer"}})
	if p.status != http.StatusBadRequest {
		t.Fatalf("invite with a bad name: %d", p.status)
	}
	name := regexp.MustCompile(`<input id="invite-name"[^>]*>`).FindString(p.body)
	email := regexp.MustCompile(`<input id="invite-email"[^>]*>`).FindString(p.body)
	if !strings.Contains(name, " autofocus") || strings.Contains(email, " autofocus") ||
		!strings.Contains(p.body, `<p class="field-error" id="invite-name-error" role="alert">`) {
		t.Errorf("the refused invitation does not start at the name:\n%s\n%s", name, email)
	}
}

// TestUsersPanelDetails: a row action refused while its row is not shown
// (filtered out) is said at the top of the list; the sort control phones
// use shows the current order; a dialog opened from the toolbar closes
// back to its button.
func TestUsersPanelDetails(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry", "Developer")
	b := s.browser()
	b.login("owner@acme.test")
	p := b.post(s.member("developer@acme.test", "resend"), url.Values{"list": {"status=pending"}})
	if p.status != http.StatusConflict || !strings.Contains(p.body, `<p class="refusal" role="alert">`) {
		t.Errorf("resend of an active member from a list without them: %d, no refusal shown", p.status)
	}
	list := b.get(s.users() + "?sort=-email")
	if !strings.Contains(list.body, `<option value="-email" selected>Email, descending</option>`) {
		t.Errorf("the sort control does not show the list's order")
	}
	if d := b.get(s.users() + "?dialog=invite"); !strings.Contains(d.body, `data-close="/accounts/`+s.account+`/users#invite-user"`) {
		t.Errorf("the invite dialog does not close back to its button")
	}
}

// TestDialogsOpenedByLinkSayWhatThePolicyRefuses: a dialog opened by a
// link or a stale page for an action the policy refuses says so at once,
// with no button to try it (Organization Manager on the Owner).
func TestDialogsOpenedByLinkSayWhatThePolicyRefuses(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry", "Organization Manager", "Developer")
	b := s.browser()
	b.login("organization.manager@acme.test")
	owner := s.ids["owner@acme.test"]
	for _, kind := range []string{"remove", "disable", "edit"} {
		d := b.get(s.users() + "?dialog=" + kind + "&user=" + owner)
		d.has(t, "Organization Owner")
		if !strings.Contains(d.body, `class="refusal"`) {
			t.Errorf("%s dialog on the owner: no refusal", kind)
		}
		if strings.Contains(d.body, `class="button danger"`) || strings.Contains(d.body, "Save Changes") {
			t.Errorf("%s dialog on the owner offers to try", kind)
		}
	}
	// On a member the manager may act on, the buttons are there.
	dev := s.ids["developer@acme.test"]
	if d := b.get(s.users() + "?dialog=edit&user=" + dev); !strings.Contains(d.body, "Save Changes") || strings.Contains(d.body, `class="refusal"`) {
		t.Errorf("edit dialog on a Developer: no Save Changes, or a refusal")
	}
	if d := b.get(s.users() + "?dialog=remove&user=" + dev); !strings.Contains(d.body, `class="button danger"`) {
		t.Errorf("remove dialog on a Developer: no confirm button")
	}
}

func TestLastOwnerWarning(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry", "Developer")
	b := s.browser()
	b.login("owner@acme.test")
	// Demoting oneself: the dialog comes back with the seed's warning.
	p := b.post(s.member("owner@acme.test", "role"), url.Values{"role": {"Organization Manager"}})
	if p.status != http.StatusConflict {
		t.Errorf("demoting the last owner: %d, want 409", p.status)
	}
	// Said of the role, which is what was tried, not of removing.
	p.has(t, "Edit User", "Last Owner Warning", "You cannot change the role of the last Organization Owner of an account. Assign another user as Owner first.")
	// Leaving: the confirmation dialog warns before anything is tried, and
	// the post is refused the same way.
	d := b.get(s.users() + "?dialog=remove&user=" + s.ids["owner@acme.test"])
	d.has(t, "Leave Acme?", seedWarning)
	if strings.Contains(d.body, `class="button danger"`) {
		t.Errorf("the last owner's Leave dialog offers to confirm")
	}
	r := b.post(s.member("owner@acme.test", "remove"), nil)
	if r.status != http.StatusConflict {
		t.Errorf("the last owner leaving: %d, want 409", r.status)
	}
	r.has(t, seedWarning)
	// A Disable confirmation opened on oneself says why not instead of asking.
	d = b.get(s.users() + "?dialog=disable&user=" + s.ids["owner@acme.test"])
	d.has(t, "Disable Olive Owner?", "You cannot disable yourself.")
	if strings.Contains(d.body, `class="button danger"`) {
		t.Errorf("a Disable dialog on oneself offers to confirm")
	}
	// Disabling oneself is another rule, with its own sentence in the row.
	r = b.post(s.member("owner@acme.test", "disable"), url.Values{"list": {"q=olive"}})
	if r.status != http.StatusForbidden {
		t.Errorf("disabling oneself: %d, want 403", r.status)
	}
	r.has(t, "You cannot disable yourself.")
	if !strings.Contains(r.body, `value="olive"`) {
		t.Errorf("the refused row action lost the list's search")
	}
}

func TestRefusalIsThePolicySentenceNextToTheControl(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry", "Organization Manager", "Developer")
	b := s.browser()
	b.login("organization.manager@acme.test")
	// The manager is offered no Edit on the owner's row …
	list := b.get(s.users())
	if strings.Contains(list.body, `aria-label="Edit Olive Owner"`) {
		t.Errorf("a manager is offered Edit on the owner")
	}
	if !strings.Contains(list.body, `aria-label="Edit The Developer"`) {
		t.Errorf("a manager is not offered Edit on a Developer")
	}
	// … and forcing it gets the policy's sentence inside the dialog.
	p := b.post(s.member("owner@acme.test", "role"), url.Values{"role": {"Developer"}})
	if p.status != http.StatusForbidden {
		t.Errorf("manager editing the owner: %d, want 403", p.status)
	}
	want := `<p class="refusal" id="dialog-refusal" role="alert">You can only act on someone at or below your own role (Organization Manager).</p>`
	if !strings.Contains(p.body, want) {
		t.Errorf("refusal not shown in the dialog:\n%s", p.text())
	}
	// It describes the dialog: read when the focus enters it.
	if !regexp.MustCompile(`<dialog open [^>]*aria-describedby="[^"]*\bdialog-refusal"`).MatchString(p.body) {
		t.Errorf("the refusal does not describe the dialog")
	}
	// The Invite dialog offers only roles the manager may give.
	inv := b.get(s.users() + "?dialog=invite")
	_, sel, _ := strings.Cut(inv.body, `id="invite-role"`)
	sel, _, _ = strings.Cut(sel, "</select>")
	if strings.Contains(sel, `<option value="Organization Owner"`) || !strings.Contains(sel, `<option value="Organization Manager"`) {
		t.Errorf("a manager's Invite dialog offers the wrong roles:\n%s", inv.body)
	}
	// Giving a role above one's own is refused with the rank sentence.
	p = b.post("/accounts/"+s.account+"/invitations", url.Values{"email": {"x@acme.test"}, "role": {"Organization Owner"}})
	p.has(t, "You can only give a role equal to or below your own (Organization Manager).")
}

func TestFormsKeepWhatWasTyped(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry")
	b := s.browser()
	p := b.post("/login", url.Values{"email": {"owner@acme.test"}, "password": {"wrong password!"}})
	if p.status != http.StatusUnauthorized || !strings.Contains(p.body, `value="owner@acme.test"`) {
		t.Errorf("refused login (%d) did not keep the email:\n%s", p.status, p.text())
	}
	p.has(t, "The email or password is incorrect.")

	b.login("owner@acme.test")
	p = b.post("/accounts/"+s.account+"/invitations", url.Values{
		"email": {"not-an-email"}, "name": {"Zed Zulu"}, "role": {"SRE"}, "list": {"q=zed&sort=-email"},
	})
	if p.status != http.StatusBadRequest {
		t.Errorf("invalid invitation: %d, want 400", p.status)
	}
	for _, want := range []string{`value="not-an-email"`, `value="Zed Zulu"`, `<option value="SRE" selected>`, `aria-invalid="true"`, `<dialog open`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("refused Invite dialog lacks %s", want)
		}
	}
	p.has(t, `"not-an-email" is not a valid email address.`)
	// The list behind the dialog is the one the person came from.
	if !strings.Contains(p.body, `value="zed"`) || !strings.Contains(p.body, `aria-sort="descending"`) {
		t.Errorf("the list state was not kept behind the refused dialog")
	}
}

func TestInviteRedirectsWithFlash(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry")
	b := s.browser()
	b.login("owner@acme.test")
	p := b.post("/accounts/"+s.account+"/invitations", url.Values{"email": {"dana@acme.test"}, "name": {"Dana Dev"}, "role": {"Developer"}})
	// Back to the list, the focus on + Invite User for the next one.
	if p.status != http.StatusSeeOther || p.header.Get("Location") != s.users()+"#invite-user" {
		t.Fatalf("invite: %d to %q, want 303 to the list's + Invite User", p.status, p.header.Get("Location"))
	}
	list := b.get(s.users())
	list.has(t, "Invitation sent to dana@acme.test as Developer.", "Dana Dev", "Pending Activation")
	// The flash shows once.
	if strings.Contains(b.get(s.users()).text(), "Invitation sent") {
		t.Errorf("the flash message shows twice")
	}
	// Search, filter and sort reach the list.
	f := b.get(s.users() + "?q=dana&status=pending&sort=-name")
	f.has(t, "Dana Dev")
	if strings.Contains(f.body, `data-email="owner@acme.test"`) {
		t.Errorf("the search did not narrow the list")
	}
	bad := b.get(s.users() + "?sort=shoe-size")
	if bad.status != http.StatusOK {
		t.Errorf("a bad sort answered %d, want the plain list", bad.status)
	}
	bad.has(t, "Sort by name, email, role, status or last_login")
}

func TestBulkInviteShowsEachRow(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry")
	b := s.browser()
	b.login("owner@acme.test")
	csv := "email,role,name\nann@acme.test,Developer,Ann\nowner@acme.test,SRE,Olive\nbad,SRE,Bad\n"
	p := b.postCSV("/accounts/"+s.account+"/invitations/bulk", csv, true)
	if p.status != http.StatusOK {
		t.Fatalf("bulk dry run: %d\n%s", p.status, p.text())
	}
	p.has(t, "Result per row", "Would be invited", "Already a member", "Not invited", "Nobody was invited")
	// The counts are in the dialog, which covers the flash that says them.
	if !strings.Contains(p.body, `<p class="bulk-summary"><strong>Dry run: 1 would be invited, 1 already a member, 1 invalid. Nobody was invited.</strong></p>`) {
		t.Errorf("the bulk dialog does not say the counts:\n%s", p.body)
	}
	// Under an open dialog, the page is inert, also without the script.
	for _, under := range []string{`<header class="topbar" inert>`, `<div class="section-head" inert>`, `<section class="panel" aria-labelledby="users-heading" inert>`} {
		if !strings.Contains(p.body, under) {
			t.Errorf("under the open dialog, %s is missing", under)
		}
	}
	// What each button does is its label, whatever the run before was: a
	// check only sends dry_run, and inviting sends nothing that would
	// make it one.
	if !regexp.MustCompile(`<button type="submit" class="button" name="dry_run" value="1"[^>]*>Check only</button>`).MatchString(p.body) ||
		!regexp.MustCompile(`<button type="submit" class="button primary"[^>]*>Upload and invite</button>`).MatchString(p.body) ||
		strings.Contains(p.body, `type="checkbox"`) {
		t.Errorf("the bulk dialog after a dry run does not offer Check only and Upload and invite:\n%s", p.body)
	}
	if strings.Contains(b.get(s.users()).text(), "ann@acme.test") {
		t.Errorf("a dry run invited someone")
	}
	p = b.postCSV("/accounts/"+s.account+"/invitations/bulk", csv, false)
	p.has(t, "1 invited, 1 already a member, 1 invalid.")
	// A file as large as the API takes (5 MiB here) is taken here too.
	big := "email,role,name\nbo@acme.test,Developer,Bo\n" + strings.Repeat(" \n", 5<<19)
	if p := b.postCSV("/accounts/"+s.account+"/invitations/bulk", big, true); p.status != http.StatusOK {
		t.Errorf("a 5 MiB file: %d\n%.300s", p.status, p.text())
	}
	// A file that is not a CSV of invitations: the error is at the field.
	p = b.postCSV("/accounts/"+s.account+"/invitations/bulk", "name,age\nx,3\n", false)
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, `aria-describedby="bulk-csv-error"`) || !strings.Contains(p.body, `<p class="field-error" id="bulk-csv-error">`) {
		t.Errorf("a bad CSV (%d) has no error tied to its field:\n%s", p.status, p.text())
	}
}

// TestBulkInviteListsWhatNeedsAttention: a large file's result lists only
// the rows that need attention, not a table of thousands, and a real run
// does not send the pasted rows back.
func TestBulkInviteListsWhatNeedsAttention(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry")
	b := s.browser()
	b.login("owner@acme.test")
	var csv strings.Builder
	csv.WriteString("email,role,name\n")
	for i := range 150 {
		fmt.Fprintf(&csv, "person%03d@acme.test,Developer,Person %d\n", i, i)
	}
	csv.WriteString("not an email,Developer,Nobody\nowner@acme.test,SRE,Olive\n")
	results := func(p page) string {
		t.Helper()
		_, table, ok := strings.Cut(p.body, `<table class="bulk-results">`)
		if !ok {
			t.Fatalf("no result table (%d):\n%s", p.status, p.text())
		}
		table, _, _ = strings.Cut(table, "</table>")
		return table
	}
	for _, dry := range []bool{true, false} {
		p := b.postCSV("/accounts/"+s.account+"/invitations/bulk", csv.String(), dry)
		table := results(p)
		if n := strings.Count(table, "<tr class="); n != 2 || !strings.Contains(table, "not an email") || !strings.Contains(table, "owner@acme.test") {
			t.Errorf("dry run %v: the table has %d rows, want the 2 that need attention:\n%s", dry, n, table)
		}
		p.has(t, "Rows that need attention", "Of the file's 152 rows, the 150")
	}
	const listMax = 500 // web.bulkListMax
	var bad strings.Builder
	bad.WriteString("email,role,name\n")
	for i := range listMax + 100 {
		fmt.Fprintf(&bad, "nobody %d,Developer,Nobody\n", i)
	}
	p := b.post("/accounts/"+s.account+"/invitations/bulk", url.Values{"rows": {bad.String()}})
	if n := strings.Count(results(p), `<tr class="outcome-invalid">`); n != listMax {
		t.Errorf("%d invalid rows listed, want the first %d", n, listMax)
	}
	p.has(t, fmt.Sprintf("Of the %d rows that need attention, the first %d are listed.", listMax+100, listMax))
	if strings.Contains(p.body, "nobody 1,Developer") {
		t.Errorf("the pasted rows came back in the form after a real run")
	}
}

func (b *browser) postCSV(path, csv string, dryRun bool) page {
	b.s.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("csv", "people.csv")
	io.WriteString(fw, csv)
	if dryRun {
		mw.WriteField("dry_run", "1")
	}
	mw.Close()
	resp, err := b.hc.Post(b.s.url+path, mw.FormDataContentType(), &body)
	if err != nil {
		b.s.t.Fatal(err)
	}
	return read(b.s.t, resp)
}

func TestActivationLinks(t *testing.T) {
	s := newSite(t, "").withAccount("bigeye")
	ctx := context.Background()
	m, err := s.app.Invite(ctx, roster.Principal{UserID: s.ids["owner@acme.test"]}, s.account, app.Invitation{Email: "new@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	link, _ := s.app.InvitationLink(ctx, s.account, m.UserID)
	u, _ := url.Parse(link)
	token := u.Query().Get("token")

	b := s.browser()
	b.get("/activate?token="+url.QueryEscape(token)).has(t, "Join Acme", "as User", "Full Name", "Choose a password")
	// A refused activation keeps the name and says why next to the field.
	p := b.post("/activate", url.Values{"token": {token}, "name": {"Nora New"}, "password": {"short"}})
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, `value="Nora New"`) {
		t.Errorf("refused activation (%d) lost the name:\n%s", p.status, p.text())
	}
	p.has(t, "at least 10 characters")
	// … where a screen reader reads it with the field.
	if !strings.Contains(p.body, `aria-describedby="activate-password-hint activate-password-error"`) || !strings.Contains(p.body, `<p class="field-error" id="activate-password-error" role="alert">`) {
		t.Errorf("the password's error is not tied to its field:\n%s", p.body)
	}
	p = b.post("/activate", url.Values{"token": {token}, "name": {"Nora New"}, "password": {pw}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("activation: %d\n%s", p.status, p.text())
	}
	b.follow(p.header.Get("Location")).has(t, "Welcome to Acme. Your role is User.", "Nora New")
	// The used link has a clear page, and so has a garbage one.
	used := s.browser().get("/activate?token=" + url.QueryEscape(token))
	if used.status != http.StatusGone {
		t.Errorf("used link: %d, want 410", used.status)
	}
	used.has(t, "This invitation link cannot be used", "it has been used, revoked or replaced", "If you have already joined, sign in instead.")
	if n := strings.Count(used.text(), "Ask the person who invited you"); n != 1 {
		t.Errorf("the used link's page says %d times whom to ask:\n%s", n, used.text())
	}
	s.browser().get("/activate?token=nonsense").has(t, "This invitation link cannot be used")
}

func TestSetupLinkIsOneTime(t *testing.T) {
	s := newSite(t, "rsu_secret")
	b := s.browser()
	if p := b.get("/setup?token=wrong"); p.status != http.StatusNotFound {
		t.Errorf("wrong setup token: %d, want 404", p.status)
	}
	b.get("/setup?token=rsu_secret").has(t, "Set up Roster", "bizmetry", "bigeye")
	form := url.Values{"token": {"rsu_secret"}, "account_name": {"Acme"}, "catalog": {"bigeye"},
		"owner_name": {"Ada Admin"}, "owner_email": {"ada@acme.test"}, "password": {"short"}}
	p := b.post("/setup", form)
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, `value="ada@acme.test"`) || !strings.Contains(p.body, `value="bigeye" checked`) {
		t.Errorf("refused setup (%d) lost what was typed:\n%s", p.status, p.text())
	}
	if !strings.Contains(p.body, `aria-describedby="setup-password-hint setup-password-error"`) || !strings.Contains(p.body, `<p class="field-error" id="setup-password-error" role="alert">`) {
		t.Errorf("the password's error is not tied to its field:\n%s", p.body)
	}
	form.Set("password", pw)
	p = b.post("/setup", form)
	if p.status != http.StatusSeeOther {
		t.Fatalf("setup: %d\n%s", p.status, p.text())
	}
	b.follow(p.header.Get("Location")).has(t, "Acme is ready. You are its Owner", "ada@acme.test", "Active")
	if p := s.browser().get("/setup?token=rsu_secret"); p.status != http.StatusGone || !strings.Contains(p.text(), "Roster is already set up") {
		t.Errorf("used setup link: %d %s", p.status, p.text())
	}
}

func TestLoginNextStaysOnSite(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry")
	b := s.browser()
	p := b.get(s.users())
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/login?next=") {
		t.Fatalf("anonymous users page: %d to %q", p.status, p.header.Get("Location"))
	}
	for next, want := range map[string]string{
		s.users(): s.users(), "//evil.test/x": "/", "https://evil.test": "/", "/\\evil.test": "/",
		// What http.Redirect would clean into "/\\evil.test", which a browser
		// takes for "//evil.test"; and what a browser would read as such.
		"/./\\evil.test": "/", "/a/../\\evil.test": "/", "/.%2F%5Cevil.test": "/", "/\t/evil.test": "/", "/\n/evil.test": "/",
	} {
		b := s.browser()
		p := b.post("/login", url.Values{"email": {"owner@acme.test"}, "password": {pw}, "next": {next}})
		if got := p.header.Get("Location"); got != want {
			t.Errorf("login with next=%q went to %q, want %q", next, got, want)
		}
	}
}

func TestAccountSwitcherListsEveryActiveMembership(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry")
	ctx := context.Background()
	other, err := s.app.CreateAccountWithOwner(ctx, app.AccountWithOwner{
		AccountName: "Globex", Catalog: mustCatalog(t, "bigeye"), OwnerName: "Gina Globex", OwnerEmail: "gina@globex.test", Password: pw,
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.app.Invite(ctx, roster.Principal{UserID: other.User.ID}, other.Member.AccountID, app.Invitation{Email: "owner@acme.test", Role: "Admin"})
	if err != nil {
		t.Fatal(err)
	}
	link, _ := s.app.InvitationLink(ctx, other.Member.AccountID, m.UserID)
	u, _ := url.Parse(link)
	b := s.browser()
	// An existing user joins with their password; the name field is not asked.
	page := b.get("/activate?token=" + url.QueryEscape(u.Query().Get("token")))
	page.has(t, "You already have a Roster login")
	if strings.Contains(page.body, `name="name"`) {
		t.Errorf("the activation page asks an existing user for a name")
	}
	// A wrong password is said under the password field, tied to it.
	wrong := b.post("/activate", url.Values{"token": {u.Query().Get("token")}, "password": {"not my password"}})
	wrong.has(t, "The password is not correct for owner@acme.test.")
	if !strings.Contains(wrong.body, `aria-describedby="activate-password-error"`) || !strings.Contains(wrong.body, `<p class="field-error" id="activate-password-error" role="alert">`) {
		t.Errorf("a wrong password's error is not tied to the password field:\n%s", wrong.body)
	}
	if p := b.post("/activate", url.Values{"token": {u.Query().Get("token")}, "password": {pw}}); p.status != http.StatusSeeOther {
		t.Fatalf("existing user accepting: %d\n%s", p.status, p.text())
	}
	p := b.follow(s.users())
	p.has(t, "Switch account", "Acme · Organization Owner", "Globex · Admin")
	if !strings.Contains(p.body, `href="/accounts/`+other.Member.AccountID+`"`) {
		t.Errorf("the switcher does not link to the other account")
	}
}

func mustCatalog(t *testing.T, name string) *policy.Catalog {
	t.Helper()
	c, err := policy.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTransferOwnership(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry", "Organization Manager", "Developer")
	b := s.browser()
	b.login("owner@acme.test")
	d := b.get(s.users() + "?dialog=transfer")
	d.has(t, "Transfer ownership", "The Organization Manager", "Your password")
	if strings.Contains(d.body, `<option value="`+s.ids["owner@acme.test"]+`"`) {
		t.Errorf("the owner is offered themself as the new owner")
	}
	manager := s.browser()
	manager.login("organization.manager@acme.test")
	if strings.Contains(manager.get(s.users()+"?dialog=transfer").body, `action="/accounts/`+s.account+`/ownership-transfer"`) {
		t.Errorf("a member who may not transfer ownership gets the transfer dialog from a link")
	}
	transfer := "/accounts/" + s.account + "/ownership-transfer"
	// One who may not transfer is refused first, whatever the form holds.
	if p := manager.post(transfer, url.Values{"user": {""}, "password": {pw}}); p.status != http.StatusForbidden {
		t.Errorf("the Manager's transfer to nobody: %d, want 403", p.status)
	}
	// No member chosen (a browser that does not check the required
	// select): said under the select, not "not a member".
	p := b.post(transfer, url.Values{"user": {""}, "password": {pw}})
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="transfer-user-error"`) {
		t.Errorf("transfer to nobody: %d, want 400 with the error under the member's select\n%s", p.status, p.text())
	}
	p.has(t, "Choose the member to make Organization Owner.")
	p = b.post(transfer, url.Values{"user": {s.ids["organization.manager@acme.test"]}, "password": {"not my password"}})
	if p.status != http.StatusForbidden {
		t.Errorf("transfer with a wrong password: %d, want 403", p.status)
	}
	p.has(t, "The password is not correct.")
	// Under the password, tied to it, and the dialog starts there.
	if !strings.Contains(p.body, `<p class="field-error" id="transfer-password-error" role="alert">The password is not correct.</p>`) ||
		!strings.Contains(p.body, `id="transfer-password" name="password" type="password" required autocomplete="current-password" autofocus aria-invalid="true" aria-describedby="transfer-password-error"`) {
		t.Errorf("the wrong password is not said under the password field")
	}
	if !strings.Contains(p.body, `<option value="`+s.ids["organization.manager@acme.test"]+`" selected>`) {
		t.Errorf("the refused transfer dialog lost the chosen member")
	}
	p = b.post(transfer, url.Values{"user": {s.ids["organization.manager@acme.test"]}, "password": {pw}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("transfer: %d\n%s", p.status, p.text())
	}
	after := b.follow(p.header.Get("Location"))
	after.has(t, "The Organization Manager is now the Organization Owner; you are now Organization Manager.")
	if strings.Contains(after.body, "?dialog=transfer") {
		t.Errorf("a former owner is still offered Transfer ownership")
	}

	// The audit log says the changes in the pages' words: fields by their
	// labels, statuses as the list shows them, people by name, times in
	// the pages' format.
	log := b.get("/accounts/" + s.account + "/audit")
	log.has(t, "Owner: Olive Owner (owner@acme.test) → The Organization Manager (organization.manager@acme.test)",
		"New owner's role: Organization Manager → Organization Owner", "Former owner's role: Organization Owner → Organization Manager",
		"Status: Pending Activation → Active", "Link expires: ", "accepted the invitation and joined")
	// A value given where there was none is said alone, not as "— → …".
	if strings.Contains(log.text(), "— →") {
		t.Errorf("the audit log shows a change from nothing as — → …")
	}
	for _, raw := range []string{"expires_at", "previous_owner_role", "new_owner_role", "pending", s.ids["owner@acme.test"]} {
		if strings.Contains(log.text(), raw) {
			t.Errorf("the audit log shows %q", raw)
		}
	}
}

// TestTransferReachesEveryMember: the transfer dialog lists the first
// MaxPageSize active members by name; in a larger account its search finds
// the others, and a member's Edit dialog opens it with them chosen.
func TestTransferReachesEveryMember(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry")
	for i := range roster.MaxPageSize + 5 {
		s.activeMember(fmt.Sprintf("Person %03d", i), fmt.Sprintf("person%03d@acme.test", i), "Developer")
	}
	last := s.ids["person204@acme.test"]
	option := `<option value="` + last + `">`
	b := s.browser()
	b.login("owner@acme.test")

	d := b.get(s.users() + "?dialog=transfer")
	if strings.Contains(d.body, last) {
		t.Errorf("the dialog lists more than the first %d members", roster.MaxPageSize)
	}
	d.has(t, "Only the first members by name are listed; find a member by name or email to see the others.")

	found := b.get(s.users() + "?dialog=transfer&find=person204")
	if !strings.Contains(found.body, option) || strings.Contains(found.body, s.ids["person203@acme.test"]) {
		t.Errorf("finding person204 does not list them alone:\n%s", found.text())
	}
	found.has(t, "The active members found.")
	b.get(s.users()+"?dialog=transfer&find=nobody").has(t, "No other active member matches “nobody”.")

	edit := b.get(s.users() + "?dialog=edit&user=" + last)
	if !strings.Contains(edit.body, `href="`+s.users()+`?dialog=transfer&amp;user=`+last+`"`) {
		t.Errorf("the Edit dialog of an active member does not offer to transfer ownership to them")
	}
	chosen := b.get(s.users() + "?dialog=transfer&user=" + last)
	if !strings.Contains(chosen.body, `<option value="`+last+`" selected>`) {
		t.Errorf("the dialog opened for a member beyond the first %d does not offer them, chosen", roster.MaxPageSize)
	}
	if strings.Contains(b.get(s.users()+"?dialog=edit&user="+s.ids["owner@acme.test"]).body, "?dialog=transfer&amp;user=") {
		t.Errorf("the owner's own Edit dialog offers to transfer ownership to themself")
	}

	p := b.post("/accounts/"+s.account+"/ownership-transfer", url.Values{"user": {last}, "password": {pw}, "find": {"person204"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("transfer to a member found by the search: %d\n%s", p.status, p.text())
	}
	b.follow(p.header.Get("Location")).has(t, "Person 204 is now the Organization Owner")
}

// TestTransferGuessesLimited: guessing the owner's password in the
// transfer dialog with a stolen session runs into the rate limit of the
// API's transfer and of a password change, whoever the target is.
func TestTransferGuessesLimited(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry", "Organization Manager")
	b := s.browser()
	b.login("owner@acme.test")
	transfer := "/accounts/" + s.account + "/ownership-transfer"
	if !guessUntilLimited(t, b, transfer, func(i int) url.Values {
		return url.Values{"user": {"usr_bogus"}, "password": {"guess " + strconv.Itoa(i)}}
	}, http.StatusForbidden, http.StatusNotFound) {
		t.Fatalf("30 guesses of the password in the transfer dialog were never rate-limited")
	}
	// The right password, now, is refused too: the limit is on the person.
	p := b.post(transfer, url.Values{"user": {s.ids["organization.manager@acme.test"]}, "password": {pw}})
	if p.status != http.StatusTooManyRequests {
		t.Errorf("transfer after the guesses: %d, want 429", p.status)
	}
}

// guessUntilLimited posts up to 30 guesses (form(i)) to path, each answered
// with one of the refused statuses, and reports whether one was answered
// 429, with Retry-After, first.
func guessUntilLimited(t *testing.T, b *browser, path string, form func(i int) url.Values, refused ...int) bool {
	t.Helper()
	for i := range 30 {
		p := b.post(path, form(i))
		switch {
		case p.status == http.StatusTooManyRequests:
			if p.header.Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}
			return true
		case !slices.Contains(refused, p.status):
			t.Fatalf("guess %d: %d\n%s", i, p.status, p.text())
		}
	}
	return false
}

func TestPasswordResetPages(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry")
	b := s.browser()
	p := b.post("/forgot-password", url.Values{"email": {"not an email"}})
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, `value="not an email"`) {
		t.Errorf("bad email on the forgot page: %d\n%s", p.status, p.text())
	}
	for _, email := range []string{"owner@acme.test", "nobody@acme.test"} {
		p = b.post("/forgot-password", url.Values{"email": {email}})
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/login" {
			t.Errorf("forgot %s: %d to %q", email, p.status, p.header.Get("Location"))
		}
		b.get("/login").has(t, "If this address belongs to an account, a reset link is on its way.")
	}
	r := b.post("/reset-password", url.Values{"token": {"rsr_nonsense"}, "password": {pw}})
	if r.status != http.StatusGone {
		t.Errorf("reset with a bad token: %d, want 410", r.status)
	}
	r.has(t, "This password reset link cannot be used")

	// A dead link says so when it is opened, before a password is typed;
	// a working one shows the form.
	if r = b.get("/reset-password?token=rsr_nonsense"); r.status != http.StatusGone {
		t.Errorf("opening a bad reset link: %d, want 410", r.status)
	}
	r.has(t, "This password reset link cannot be used")
	u := s.resetLink()
	form := b.get(u.RequestURI())
	if form.status != http.StatusOK {
		t.Fatalf("opening the mailed reset link: %d\n%s", form.status, form.text())
	}
	form.has(t, "Choose a new password")
	checkNoInline(t, u.Path, form)
	done := b.post("/reset-password", url.Values{"token": {u.Query().Get("token")}, "password": {"a new fine password"}})
	if done.status != http.StatusSeeOther {
		t.Fatalf("reset: %d\n%s", done.status, done.text())
	}
	b.follow(done.header.Get("Location")).has(t, "Your password is changed. Sign in with it.")
}

// resetLink returns the password reset link mailed last.
func (s *site) resetLink() *url.URL {
	s.t.Helper()
	s.app.Wait() // a reset request writes its link after answering
	msgs, err := s.app.Outbox(context.Background(), "", 10)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, m := range msgs { // newest first
		if m.Kind == roster.MessagePasswordReset {
			u, err := url.Parse(m.Link)
			if err != nil {
				s.t.Fatal(err)
			}
			return u
		}
	}
	s.t.Fatal("no reset link in the outbox")
	return nil
}

// TestResetOfAnInvitedPerson: someone who left and was invited again, and
// forgot their password, finds the reset page from the invitation and is
// told afterwards to join through the invitation, since signing in would
// refuse them.
func TestResetOfAnInvitedPerson(t *testing.T) {
	s := newSite(t, "").withAccount("bigeye", "User")
	ctx := context.Background()
	dana := roster.Principal{UserID: s.ids["user@acme.test"]}
	if err := s.app.Remove(ctx, dana, s.account, dana.UserID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.Invite(ctx, roster.Principal{UserID: s.ids["owner@acme.test"]}, s.account, app.Invitation{Email: "user@acme.test"}); err != nil {
		t.Fatal(err)
	}
	link, _ := s.app.InvitationLink(ctx, s.account, dana.UserID)
	u, _ := url.Parse(link)
	b := s.browser()
	if page := b.get(u.RequestURI()); !strings.Contains(page.body, `href="/forgot-password"`) {
		t.Errorf("the invitation of a person with a password does not lead to a reset:\n%s", page.text())
	}
	b.post("/forgot-password", url.Values{"email": {"user@acme.test"}})
	r := s.resetLink()
	done := b.post("/reset-password", url.Values{"token": {r.Query().Get("token")}, "password": {"a new fine password"}})
	if done.status != http.StatusSeeOther {
		t.Fatalf("reset: %d\n%s", done.status, done.text())
	}
	b.follow(done.header.Get("Location")).has(t, "To join, open the invitation link you were sent and enter this password there.")
	if p := b.post("/activate", url.Values{"token": {u.Query().Get("token")}, "password": {"a new fine password"}}); p.status != http.StatusSeeOther {
		t.Errorf("joining with the new password: %d\n%s", p.status, p.text())
	}
}

// TestNamesFromThePages: a person changes their own name on their account
// page (a refusal keeps what they typed), and an administrator mends a
// pending member's name in the Edit dialog, which offers it only for a
// pending member.
func TestNamesFromThePages(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry", "Developer")
	b := s.browser()
	b.login("owner@acme.test")
	if me := b.get("/me/password"); !strings.Contains(me.body, `action="/me/name"`) {
		t.Errorf("the account page has no name form\n%s", me.text())
	}
	p := b.post("/me/name", url.Values{"name": {"Eve \u202enimda"}})
	if p.status != http.StatusBadRequest {
		t.Errorf("a name with a right-to-left override: %d, want 400", p.status)
	}
	p.has(t, "must not contain invisible formatting characters")
	p = b.post("/me/name", url.Values{"name": {"Olive Renamed"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("rename: %d\n%s", p.status, p.text())
	}
	if after := b.follow(p.header.Get("Location")); !strings.Contains(after.body, `value="Olive Renamed"`) {
		t.Errorf("the name form does not show the new name")
	} else {
		after.has(t, "Your name is saved.")
	}
	b.get(s.users()).has(t, "Olive Renamed")

	// The Edit dialog of an Active member offers the role only.
	if d := b.get(s.users() + "?dialog=edit&user=" + s.ids["developer@acme.test"]); strings.Contains(d.body, `id="edit-name"`) {
		t.Errorf("the Edit dialog of an Active member offers to rename them")
	}
	p = b.post("/accounts/"+s.account+"/invitations", url.Values{"email": {"pat@acme.test"}, "name": {"Pat Typo"}, "role": {"Developer"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("invite: %d\n%s", p.status, p.text())
	}
	owner := roster.Principal{UserID: s.ids["owner@acme.test"]}
	m, err := s.app.ListMembers(context.Background(), owner, s.account, app.MemberQuery{Query: "pat@acme.test", Limit: 1})
	if err != nil || len(m.Items) != 1 {
		t.Fatalf("the invited member: %v, %v", m, err)
	}
	s.ids["pat@acme.test"] = m.Items[0].UserID
	if d := b.get(s.users() + "?dialog=edit&user=" + s.ids["pat@acme.test"]); !strings.Contains(d.body, `id="edit-name"`) || !strings.Contains(d.body, `value="Pat Typo"`) {
		t.Errorf("the Edit dialog of a pending member does not offer their name")
	}
	// … and, as the seed's Edit dialog offers Remove, the revocation.
	edit := b.get(s.users() + "?dialog=edit&user=" + s.ids["pat@acme.test"])
	if !strings.Contains(edit.body, `href="`+s.users()+`?dialog=remove&amp;user=`+s.ids["pat@acme.test"]+`">Revoke invitation</a>`) {
		t.Errorf("the Edit dialog of a pending member offers no Revoke\n%s", edit.text())
	}
	if d := b.get(s.users() + "?dialog=edit&user=" + s.ids["developer@acme.test"]); !strings.Contains(d.body, ">Remove user</a>") || strings.Contains(d.body, "Revoke invitation") {
		t.Errorf("the Edit dialog of an Active member should offer Remove, not Revoke")
	}
	p = b.post(s.member("pat@acme.test", "name"), url.Values{"name": {"Pat\x00"}})
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="edit-name-error"`) {
		t.Errorf("a name with a control character: %d, want 400 with the error at the field\n%s", p.status, p.text())
	}
	// A blank name takes the given one back: the row shows the email.
	p = b.post(s.member("pat@acme.test", "name"), url.Values{"name": {"  "}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("clear the name: %d\n%s", p.status, p.text())
	}
	b.follow(p.header.Get("Location")).has(t, "The invitation to pat@acme.test no longer names them.")
	if d := b.get(s.users() + "?dialog=edit&user=" + s.ids["pat@acme.test"]); !strings.Contains(d.body, `value=""`) || strings.Contains(d.body, "Pat Typo") {
		t.Errorf("the Edit dialog after clearing still names them\n%s", d.text())
	}
	p = b.post(s.member("pat@acme.test", "name"), url.Values{"name": {"Pat Fixed"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("mend the name: %d\n%s", p.status, p.text())
	}
	b.follow(p.header.Get("Location")).has(t, "now names them Pat Fixed", "Pat Fixed")
	b.get("/accounts/"+s.account+"/audit").has(t, "changed the name of")
	// A refused role change shows the dialog again with the name as it is.
	p = b.post(s.member("pat@acme.test", "role"), url.Values{"role": {"Wizard"}})
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, `value="Pat Fixed"`) {
		t.Errorf("a refused role change of a pending member: %d; the name field lost the name\n%s", p.status, p.text())
	}

	// Someone who may not edit members cannot mend a name.
	dev := s.browser()
	dev.login("developer@acme.test")
	if p := dev.post(s.member("pat@acme.test", "name"), url.Values{"name": {"Dev Was Here"}}); p.status != http.StatusForbidden && p.status != http.StatusNotFound {
		t.Errorf("a Developer mending a name: %d, want 403 or 404", p.status)
	}
}

// TestDisableAsksFirst: the row's Disable opens a confirmation (SPEC §5:
// "Disable/Enable and Remove with confirmation") that names the member and
// posts the change; the list itself changes nothing.
func TestDisableAsksFirst(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry", "Developer")
	b := s.browser()
	b.login("owner@acme.test")
	dev := s.ids["developer@acme.test"]
	list := b.get(s.users())
	if strings.Contains(list.body, `action="`+s.member("developer@acme.test", "disable")+`"`) {
		t.Errorf("the list posts Disable without asking")
	}
	if !strings.Contains(list.body, `href="`+s.users()+`?dialog=disable&amp;user=`+dev+`"`) {
		t.Errorf("the list offers no Disable confirmation for the developer")
	}
	if strings.Contains(list.body, " inert") {
		t.Errorf("the list without a dialog is inert")
	}
	d := b.get(s.users() + "?dialog=disable&user=" + dev)
	d.has(t, "Disable The Developer?", "developer@acme.test")
	// Behind an open dialog the list takes no focus or clicks, with or
	// without JavaScript.
	if !strings.Contains(d.body, `<section class="panel" aria-labelledby="users-heading" inert>`) {
		t.Errorf("the list behind a dialog is not inert")
	}
	for _, want := range []string{`action="` + s.member("developer@acme.test", "disable") + `"`, "Disable The Developer</button>"} {
		if !strings.Contains(d.body, want) {
			t.Errorf("the Disable dialog lacks %s", want)
		}
	}
	// Cancel, and the list after the change, open at the member's row.
	if !strings.Contains(d.body, `href="`+s.users()+`#member-`+dev+`" autofocus>Cancel`) {
		t.Errorf("the dialog's Cancel does not return to the row")
	}
	if r := b.post(s.member("developer@acme.test", "disable"), nil); r.status != http.StatusSeeOther || !strings.HasSuffix(r.header.Get("Location"), "#member-"+dev) {
		t.Fatalf("confirming: %d to %q, want a redirect to the row", r.status, r.header.Get("Location"))
	}
	b.get(s.users()).has(t, "Disabled")
}

// TestMemberWithoutUserManagementCanLeave: leaving needs no permission
// (SPEC §3), so a member who cannot see the Users panel leaves from the
// account's start page, after a confirmation.
func TestMemberWithoutUserManagementCanLeave(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry", "Developer")
	b := s.browser()
	b.login("developer@acme.test")
	home := "/accounts/" + s.account
	b.get(home).has(t, "What your role allows", "Leave Acme…")
	confirm := b.get(home + "?leave")
	confirm.has(t, "You will lose access to Acme at once.")
	if !strings.Contains(confirm.body, `action="`+s.member("developer@acme.test", "remove")+`"`) {
		t.Fatalf("the confirmation posts nowhere useful:\n%s", confirm.body)
	}
	if r := b.post(s.member("developer@acme.test", "remove"), nil); r.status != http.StatusSeeOther || r.header.Get("Location") != "/#main" {
		t.Fatalf("leaving: %d to %q, want the start page at its main region", r.status, r.header.Get("Location"))
	}
	if r := b.get(home); r.status != http.StatusNotFound {
		t.Errorf("the account after leaving: %d, want 404", r.status)
	}
	// The owner, who manages users, leaves from the Users panel; the
	// start page sends them there.
	o := s.browser()
	o.login("owner@acme.test")
	if r := o.get(home); r.status != http.StatusSeeOther {
		t.Errorf("the owner's start page: %d, want a redirect to Users", r.status)
	}
}

// TestActionsThatTakeTheirControlAwayLandOnTheHeading: a removal, a
// revoked invitation, a transfer and a revoked token take away the control
// that was used, so the page they lead to opens at the heading of the list
// acted on (which the script focuses, and where the next Tab starts
// without it), in the list's state, rather than at the top of the page.
func TestActionsThatTakeTheirControlAwayLandOnTheHeading(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry", "Organization Manager", "Developer", "SRE")
	b := s.browser()
	b.login("owner@acme.test")
	ctx := context.Background()
	owner := roster.Principal{UserID: s.ids["owner@acme.test"]}
	pending, err := s.app.Invite(ctx, owner, s.account, app.Invitation{Email: "pat@acme.test", Role: "SRE"})
	if err != nil {
		t.Fatal(err)
	}
	s.ids["pat@acme.test"] = pending.UserID
	list := url.Values{"list": {"q=a&sort=-name"}}
	atHeading := s.users() + "?q=a&sort=-name#users-heading"
	landsAt := func(what string, p page, want string) {
		t.Helper()
		if p.status != http.StatusSeeOther || p.header.Get("Location") != want {
			t.Errorf("%s: %d to %q, want 303 to %q\n%s", what, p.status, p.header.Get("Location"), want, p.text())
		}
	}
	landsAt("remove", b.post(s.member("developer@acme.test", "remove"), list), atHeading)
	landsAt("revoke", b.post(s.member("pat@acme.test", "remove"), list), atHeading)
	landsAt("transfer", b.post("/accounts/"+s.account+"/ownership-transfer", url.Values{
		"user": {s.ids["organization.manager@acme.test"]}, "password": {pw}, "list": list["list"]}), atHeading)
	if p := b.get(s.users()); !strings.Contains(p.body, `<h2 id="users-heading" tabindex="-1">Users</h2>`) {
		t.Errorf("the list's heading cannot take focus:\n%s", p.body)
	}

	tok, _, err := s.app.CreateToken(ctx, owner, app.NewToken{Name: "ci", AccountID: s.account})
	if err != nil {
		t.Fatal(err)
	}
	landsAt("revoke a token", b.post("/me/tokens/"+tok.ID+"/revoke", nil), "/me/tokens#tokens-heading")
	if p := b.get("/me/tokens"); !strings.Contains(p.body, `<h2 id="tokens-heading" tabindex="-1">Your tokens</h2>`) {
		t.Errorf("the tokens' heading cannot take focus:\n%s", p.body)
	}
}

// TestTransferToARoleWithoutTheList: an owner whose catalog's fallback
// role may not see the members lands, after handing ownership over, on
// the start page their new role has, not on a panel it may not open.
func TestTransferToARoleWithoutTheList(t *testing.T) {
	cat := ownCatalog(t, "handover.yaml", `name: handover
owner_fallback: Guest
roles:
  - {name: Owner, rank: 2, permissions: [members.read, members.invite, members.edit, members.disable, members.remove, ownership.transfer, audit.read]}
  - {name: Guest, rank: 1, permissions: []}
`)
	s := newSite(t, "").withCatalog(cat, "Guest")
	b := s.browser()
	b.login("owner@acme.test")
	home := "/accounts/" + s.account
	p := b.post(home+"/ownership-transfer", url.Values{"user": {s.ids["guest@acme.test"]}, "password": {pw}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != home+"#home-heading" {
		t.Fatalf("transfer: %d to %q, want 303 to the start page's heading", p.status, p.header.Get("Location"))
	}
	after := b.follow(p.header.Get("Location"))
	if after.status != http.StatusOK || !strings.Contains(after.body, `<h1 id="home-heading" tabindex="-1">Acme</h1>`) {
		t.Errorf("after the transfer: %d\n%s", after.status, after.body)
	}
	after.has(t, "The Guest is now the Owner; you are now Guest.", "You are signed in as Guest")
}

// TestPagingBackAndForth: the Users panel pages forward with Next and back
// with Previous through the same pages, and says where it is.
func TestPagingBackAndForth(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry")
	by := roster.Principal{UserID: s.ids["owner@acme.test"]}
	for i := range 2*roster.DefaultPageSize + 10 {
		if _, err := s.app.Invite(context.Background(), by, s.account, app.Invitation{
			Email: fmt.Sprintf("p%03d@acme.test", i), Role: "Developer", Name: fmt.Sprintf("Person %03d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	b := s.browser()
	b.login("owner@acme.test")
	rowID := regexp.MustCompile(`<tr id="member-([^"]+)"`)
	link := func(p page, rel string) string {
		m := regexp.MustCompile(`href="([^"]+)" rel="` + rel + `"`).FindStringSubmatch(p.body)
		if m == nil {
			return ""
		}
		return html.UnescapeString(m[1])
	}
	rows := func(p page) string {
		var ids []string
		for _, m := range rowID.FindAllStringSubmatch(p.body, -1) {
			ids = append(ids, m[1])
		}
		return strings.Join(ids, ",")
	}
	pages := []page{b.get(s.users() + "?sort=-name")}
	for next := link(pages[0], "next"); next != ""; next = link(pages[len(pages)-1], "next") {
		pages = append(pages, b.get(next))
	}
	if len(pages) != 3 {
		t.Fatalf("%d pages of %d members, want 3", len(pages), 2*roster.DefaultPageSize+11)
	}
	if link(pages[0], "prev") != "" || strings.Contains(pages[0].body, "First page") {
		t.Errorf("the first page offers to go back")
	}
	back := pages[2]
	for i := 1; i >= 0; i-- {
		prev := link(back, "prev")
		if prev == "" {
			t.Fatalf("page %d has no Previous page", i+2)
		}
		back = b.get(prev)
		if rows(back) != rows(pages[i]) {
			t.Errorf("Previous from page %d is not page %d", i+2, i+1)
		}
		if link(back, "next") == "" {
			t.Errorf("page %d, reached going back, has no Next page", i+1)
		}
	}
	if link(back, "prev") != "" {
		t.Errorf("page 1, reached going back, offers Previous")
	}
	// A page left empty (its members removed since) still leads back.
	empty := b.get(s.users() + "?sort=name&cursor=" + (&roster.MemberCursor{Sort: roster.SortName, Key: "zzzz", UserID: "usr_zzzz"}).Encode())
	if !strings.Contains(empty.body, "First page") {
		t.Errorf("an empty page after the last offers no way back:\n%s", empty.text())
	}
}

// TestAPITokensPage: a person creates a named token for one of their
// accounts, sees its secret once, finds it listed without it, and revokes
// it after confirming; nobody else can revoke it.
func TestAPITokensPage(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry", "Developer")
	ctx := context.Background()
	b := s.browser()
	b.login("owner@acme.test")
	if p := s.browser().get("/me/tokens"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/login") {
		t.Errorf("the tokens page for a visitor: %d to %q, want the login page", p.status, p.header.Get("Location"))
	}
	tokens := b.get("/me/tokens")
	tokens.has(t, "You have no API tokens.", "New token", "Acme · Organization Owner")
	if !strings.Contains(tokens.body, `href="/me/password" aria-current="page">Your settings</a>`) {
		t.Errorf("the header's link to the settings is not current on the tokens page:\n%s", tokens.body)
	}

	p := b.post("/me/tokens", url.Values{"name": {"deploy script"}, "account": {s.account}, "expiry": {"30"}})
	if p.status != http.StatusCreated || p.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d, Cache-Control %q\n%s", p.status, p.header.Get("Cache-Control"), p.text())
	}
	m := regexp.MustCompile(`value="(rst_[^"]+)"`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("the answer does not show the new token:\n%s", p.text())
	}
	raw := m[1]
	if who, err := s.app.AuthenticateToken(ctx, raw, "127.0.0.1"); err != nil || who.UserID != s.ids["owner@acme.test"] || who.TokenAccount != s.account {
		t.Fatalf("the token shown does not authenticate as the owner in Acme: %+v, %v", who, err)
	}
	list := b.get("/me/tokens")
	list.has(t, "deploy script", "Acme")
	if strings.Contains(list.body, raw) {
		t.Errorf("the token's secret is shown again")
	}

	elsewhere, err := s.app.CreateAccountWithOwner(ctx, app.AccountWithOwner{
		AccountName: "Other", Catalog: mustCatalog(t, "bizmetry"), OwnerName: "Otto", OwnerEmail: "otto@other.test", Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	for name, form := range map[string]url.Values{
		"no name":        {"name": {""}, "account": {s.account}, "expiry": {"30"}},
		"unknown expiry": {"name": {"x"}, "account": {s.account}, "expiry": {"forever"}},
		"unknown acct":   {"name": {"x"}, "account": {"acc_nope"}, "expiry": {"never"}},
		"foreign acct":   {"name": {"x"}, "account": {elsewhere.Member.AccountID}, "expiry": {"never"}},
	} {
		if r := b.post("/me/tokens", form); r.status < 400 || r.status >= 500 || !strings.Contains(r.body, `class="refusal"`) && !strings.Contains(r.body, `class="field-error"`) {
			t.Errorf("%s: %d without a refusal", name, r.status)
		}
	}
	if ts, _ := s.app.Tokens(ctx, roster.Principal{UserID: s.ids["owner@acme.test"]}); len(ts) != 1 {
		t.Fatalf("%d tokens after four refused forms, want 1", len(ts))
	}
	id := regexp.MustCompile(`id="token-([^"]+)"`).FindStringSubmatch(list.body)[1]

	other := s.browser()
	other.login("developer@acme.test")
	if r := other.post("/me/tokens/"+id+"/revoke", nil); r.status != http.StatusNotFound {
		t.Errorf("another member revoking the owner's token: %d, want 404", r.status)
	}
	b.get("/me/tokens?revoke="+id).has(t, "Revoke “deploy script”?")
	r := b.post("/me/tokens/"+id+"/revoke", nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d\n%s", r.status, r.text())
	}
	b.follow(r.header.Get("Location")).has(t, "The token is revoked", "You have no API tokens.")
	if _, err := s.app.AuthenticateToken(ctx, raw, "127.0.0.1"); roster.ErrorCode(err) != roster.CodeUnauthenticated {
		t.Errorf("the revoked token still authenticates: %v", err)
	}
}

// TestProfileRolesInTheEditDialog: SPEC §6 from the Edit dialog: a manager
// grants a member a role on a profile (a new one, then an existing one),
// is refused a role above their own and a bad name with the reason next
// to the field, and takes a role away.
func TestProfileRolesInTheEditDialog(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry", "Organization Manager", "Developer")
	b := s.browser()
	b.login("organization.manager@acme.test")
	dev := s.ids["developer@acme.test"]
	edit := s.users() + "?dialog=edit&user=" + dev
	b.get(edit).has(t, "Profile roles", "None yet.", "Role on it")
	// BizMetry has no default role: the least powerful is chosen.
	lowest := slices.MinFunc(mustCatalog(t, "bizmetry").Roles, func(a, b policy.Role) int { return a.Rank - b.Rank }).Name
	if sel := regexp.MustCompile(`(?s)<select id="grant-role".*?</select>`).FindString(b.get(edit).body); !strings.Contains(sel, `<option value="`+lowest+`" selected>`) {
		t.Errorf("the grant's role does not start at the least powerful, %s:\n%s", lowest, sel)
	}
	grant := s.member("developer@acme.test", "profiles")

	p := b.post(grant, url.Values{"profile": {"eu-prod"}, "role": {"SRE"}})
	if p.status != http.StatusSeeOther || !strings.Contains(p.header.Get("Location"), "dialog=edit") {
		t.Fatalf("grant: %d to %q\n%s", p.status, p.header.Get("Location"), p.text())
	}
	after := b.follow(p.header.Get("Location"))
	after.has(t, "The Developer is now SRE on the profile eu-prod.", "eu-prod · SRE")
	// Focus comes back to the section the grant was made in, not to the
	// account role's dropdown at the top of the dialog.
	autofocus := regexp.MustCompile(`<[^>]* autofocus[^>]*>`)
	if got := autofocus.FindAllString(after.body, -1); len(got) != 1 || !strings.Contains(got[0], `id="grant-profile"`) {
		t.Errorf("after a grant, autofocus is on %q; want the profile field alone", got)
	}
	if got := autofocus.FindAllString(b.get(edit).body, -1); len(got) != 1 || !strings.Contains(got[0], `id="edit-role"`) {
		t.Errorf("the Edit dialog opened from the list autofocuses %q; want the role alone", got)
	}
	if !strings.Contains(after.body, `<option value="eu-prod">`) {
		t.Errorf("the profile made is not offered for the next grant")
	}

	// A bad name under the profile field; the policy's refusal at the top
	// of the section; the role chosen kept either way.
	for _, c := range []struct{ profile, role, want, where string }{
		{"EU Prod", "DevOps", "A profile name is 1 to 63 lowercase letters", `<p class="field-error" id="grant-profile-error" role="alert">`},
		{"us-prod", "Organization Owner", "You can only give a role equal to or below your own", `<p class="refusal" role="alert">`},
	} {
		r := b.post(grant, url.Values{"profile": {c.profile}, "role": {c.role}})
		if r.status < 400 || r.status >= 500 {
			t.Errorf("grant %s on %q: %d, want a refusal", c.role, c.profile, r.status)
		}
		r.has(t, c.want, "Profile roles")
		if !strings.Contains(r.body, c.where+html.EscapeString(c.want)) {
			t.Errorf("grant %s on %q: the refusal is not in its place (%s)", c.role, c.profile, c.where)
		}
		if c.role == "DevOps" && !strings.Contains(r.body, `<option value="DevOps" selected>`) {
			t.Errorf("the refused grant lost the role chosen")
		}
	}
	m, err := s.app.Member(context.Background(), roster.Principal{UserID: s.ids["owner@acme.test"]}, s.account, dev)
	if err != nil || len(m.ProfileRoles) != 1 || m.ProfileRoles["eu-prod"] != "SRE" {
		t.Fatalf("profile roles after the refusals: %v, %v; want eu-prod SRE alone", m.ProfileRoles, err)
	}

	r := b.post(grant+"/eu-prod/revoke", nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d\n%s", r.status, r.text())
	}
	b.follow(r.header.Get("Location")).has(t, "no longer has a role on the profile eu-prod", "None yet.")
}

// TestProfileGrantsWithoutInvite: a role that may edit members but not
// invite them (a catalog of the operator's own) grants profile roles from
// the Edit dialog too: the roles offered are the policy's answer for a
// grant, not for an invitation.
func TestProfileGrantsWithoutInvite(t *testing.T) {
	cat := ownCatalog(t, "custom.yaml", `name: custom
owner_fallback: Editor
roles:
  - {name: Owner, rank: 3, permissions: [members.read, members.invite, members.edit, members.disable, members.remove, ownership.transfer, audit.read]}
  - {name: Editor, rank: 2, permissions: [members.read, members.edit]}
  - {name: Viewer, rank: 1, permissions: [members.read]}
`)
	s := newSite(t, "").withCatalog(cat, "Editor", "Viewer")
	b := s.browser()
	b.login("editor@acme.test")
	edit := b.get(s.users() + "?dialog=edit&user=" + s.ids["viewer@acme.test"])
	if edit.status != http.StatusOK {
		t.Fatalf("the Edit dialog for an editor who may not invite: %d\n%s", edit.status, edit.text())
	}
	sel := regexp.MustCompile(`(?s)<select id="grant-role".*?</select>`).FindString(edit.body)
	if !strings.Contains(sel, `<option value="Viewer" selected>`) || !strings.Contains(sel, `"Editor"`) || strings.Contains(sel, `"Owner"`) {
		t.Errorf("roles the editor may grant on a profile:\n%s", sel)
	}
	p := b.post(s.member("viewer@acme.test", "profiles"), url.Values{"profile": {"docs"}, "role": {"Editor"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("grant: %d\n%s", p.status, p.text())
	}
}

// TestProfileRefusalsShowWithoutTheGrantForm: where the dialog offers no
// grant (one's own dialog), a refused grant or removal still says why, in
// the profile roles' section.
func TestProfileRefusalsShowWithoutTheGrantForm(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry", "Organization Manager")
	b := s.browser()
	b.login("organization.manager@acme.test")
	me := s.member("organization.manager@acme.test", "profiles")
	for name, try := range map[string]func() page{
		"grant to oneself":        func() page { return b.post(me, url.Values{"profile": {"eu"}, "role": {"Developer"}}) },
		"remove what is not held": func() page { return b.post(me+"/eu/revoke", nil) },
	} {
		p := try()
		if p.status < 400 || p.status >= 500 {
			t.Errorf("%s: %d, want a refusal", name, p.status)
		}
		section := regexp.MustCompile(`(?s)<section class="dialog-section below".*?</section>`).FindString(p.body)
		if !strings.Contains(section, `class="refusal" role="alert"`) {
			t.Errorf("%s: the refusal is not shown in the profile roles' section:\n%s", name, p.text())
		}
	}
}

// TestOwnEditOnlyWithAnotherRole: one's own row offers Edit only when the
// dialog could change one's role: a Bigeye User may give no role but their
// own, an Admin may step down to User, and the last owner sees Edit so
// that trying shows the Last Owner Warning.
func TestOwnEditOnlyWithAnotherRole(t *testing.T) {
	s := newSite(t, "").withAccount("bigeye", "Admin", "User")
	for _, c := range []struct {
		email string
		want  bool
	}{{"user@acme.test", false}, {"admin@acme.test", true}, {"owner@acme.test", true}} {
		b := s.browser()
		b.login(c.email)
		list := b.get(s.users())
		own := `href="` + s.users() + `?dialog=edit&amp;user=` + s.ids[c.email] + `"`
		if got := strings.Contains(list.body, own); got != c.want {
			t.Errorf("%s's own row offers Edit: %v, want %v", c.email, got, c.want)
		}
	}
	// A User still edits another User.
	b := s.browser()
	b.login("user@acme.test")
	p := b.post("/accounts/"+s.account+"/invitations", url.Values{"email": {"una@acme.test"}, "name": {"Una"}, "role": {"User"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("a User invites a User: %d\n%s", p.status, p.text())
	}
	if list := b.get(s.users()); !strings.Contains(list.body, `aria-label="Edit Una"`) {
		t.Errorf("a User is not offered Edit on another User\n%s", list.text())
	}
}

// TestStaticFiles: the page's files are served, cacheable, and their
// directory is not listed.
func TestStaticFiles(t *testing.T) {
	s := newSite(t, "")
	b := s.browser()
	for _, f := range []string{"/static/app.js", "/static/style.css"} {
		if p := b.get(f); p.status != http.StatusOK || !strings.Contains(p.header.Get("Cache-Control"), "max-age") {
			t.Errorf("%s: %d, Cache-Control %q", f, p.status, p.header.Get("Cache-Control"))
		}
	}
	if p := b.get("/static/"); p.status != http.StatusNotFound || strings.Contains(p.body, "app.js") {
		t.Errorf("/static/: %d, want 404 without a listing\n%s", p.status, p.body)
	}
}

// TestOwnRoleChoicesAreThePolicys: one's own Edit dialog offers the roles
// the policy lets one move to, not every role of one's rank: with a
// catalog of the operator's own, a Boss of the Lead's rank holds billing,
// which a Lead may not give themself (DECISIONS 59), though they may give
// it to someone else.
func TestOwnRoleChoicesAreThePolicys(t *testing.T) {
	cat := ownCatalog(t, "same-rank.yaml", `name: same-rank
owner_fallback: Lead
roles:
  - {name: Owner, rank: 3, permissions: [members.read, members.invite, members.edit, members.disable, members.remove, ownership.transfer, billing.manage]}
  - {name: Boss, rank: 2, permissions: [members.read, members.invite, members.edit, billing.manage]}
  - {name: Lead, rank: 2, permissions: [members.read, members.invite, members.edit]}
  - {name: Viewer, rank: 1, permissions: [members.read]}
`)
	s := newSite(t, "").withCatalog(cat, "Lead", "Viewer")
	b := s.browser()
	b.login("lead@acme.test")
	options := func(user string) string {
		return regexp.MustCompile(`(?s)<select id="edit-role".*?</select>`).FindString(b.get(s.users() + "?dialog=edit&user=" + s.ids[user]).body)
	}
	if own := options("lead@acme.test"); strings.Contains(own, `value="Boss"`) || !strings.Contains(own, `value="Viewer"`) {
		t.Errorf("the Lead's own role choices:\n%s\nwant Lead and Viewer, not Boss", own)
	}
	if other := options("viewer@acme.test"); !strings.Contains(other, `value="Boss"`) {
		t.Errorf("the Lead may give Boss to the Viewer, but is not offered it:\n%s", other)
	}
}

// TestEditWithoutInvite: a role that may change roles but not invite (a
// catalog of the operator's own) is offered, in the Edit dialog, the roles
// it may give, and the API's roles say it may give them.
func TestEditWithoutInvite(t *testing.T) {
	cat := ownCatalog(t, "edit-only.yaml", `name: edit-only
owner_fallback: Helper
roles:
  - {name: Owner, rank: 3, permissions: [members.read, members.invite, members.edit, members.disable, members.remove, ownership.transfer]}
  - {name: Helper, rank: 2, permissions: [members.read, members.edit]}
  - {name: Guest, rank: 1, permissions: [members.read]}
`)
	s := newSite(t, "").withCatalog(cat, "Helper", "Guest")
	b := s.browser()
	b.login("helper@acme.test")
	sel := regexp.MustCompile(`(?s)<select id="edit-role".*?</select>`).FindString(b.get(s.users() + "?dialog=edit&user=" + s.ids["guest@acme.test"]).body)
	if !strings.Contains(sel, `value="Helper"`) || !strings.Contains(sel, `value="Guest"`) || strings.Contains(sel, `value="Owner"`) {
		t.Errorf("the Helper's choices for the Guest:\n%s\nwant Helper and Guest", sel)
	}
	roles, err := s.app.Roles(context.Background(), roster.Principal{UserID: s.ids["helper@acme.test"]}, s.account)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		if want := r.Name != "Owner"; r.Assignable != want {
			t.Errorf("for the Helper, %s assignable = %v, want %v", r.Name, r.Assignable, want)
		}
	}
}

// TestLastOwnerWarningNamesTheOwnerRole: the warning says the seed's words
// for the built-in catalogs, and names the owner role of a catalog of the
// operator's own.
func TestLastOwnerWarningNamesTheOwnerRole(t *testing.T) {
	cat := ownCatalog(t, "boss.yaml", `name: boss
owner_fallback: Staff
roles:
  - {name: Boss, rank: 2, permissions: [members.read, members.invite, members.edit, members.disable, members.remove, ownership.transfer]}
  - {name: Staff, rank: 1, permissions: [members.read]}
`)
	s := newSite(t, "").withCatalog(cat)
	b := s.browser()
	b.login("owner@acme.test")
	b.get(s.users()+"?dialog=remove&user="+s.ids["owner@acme.test"]).has(t,
		"You cannot remove or disable the last Boss of an account. Assign another user as Boss first.")
}

// recruitingCatalog is an operator's catalog with a role, Recruiter, that
// may invite but not see the members (DECISIONS 71).
func recruitingCatalog(t *testing.T) *policy.Catalog {
	return ownCatalog(t, "recruiting.yaml", `name: recruiting
owner_fallback: Recruiter
roles:
  - {name: Owner, rank: 3, permissions: [members.read, members.invite, members.edit, members.disable, members.remove, ownership.transfer, audit.read]}
  - {name: Recruiter, rank: 2, permissions: [members.invite]}
  - {name: Guest, rank: 1, permissions: []}
`)
}

// TestInviteWithoutTheList: a role of the operator's catalog that may
// invite but not see the members invites from the account's start page,
// one person or a file, and is brought back there; a role that may not
// invite is offered neither.
func TestInviteWithoutTheList(t *testing.T) {
	cat := recruitingCatalog(t)
	s := newSite(t, "").withCatalog(cat, "Recruiter", "Guest")
	home := "/accounts/" + s.account
	b := s.browser()
	b.login("recruiter@acme.test")

	p := b.get(home)
	p.has(t, "Invite people", "+ Invite User", "Bulk invite (CSV)")
	dialog := b.get(home + "?dialog=invite")
	if !strings.Contains(dialog.body, `action="`+home+`/invitations"`) ||
		!strings.Contains(dialog.body, `<option value="Guest"`) || strings.Contains(dialog.body, `<option value="Owner"`) {
		t.Fatalf("the invite dialog over the start page: %d\n%s", dialog.status, dialog.body)
	}

	// The example row names a role of this catalog: its least powerful.
	if bulk := b.get(home + "?dialog=bulk"); !strings.Contains(bulk.body, "dana@example.com,Guest,Dana Dev") {
		t.Errorf("the bulk dialog's example row names no role of this catalog:\n%s", bulk.body)
	}

	p = b.post(home+"/invitations", url.Values{"email": {"new@acme.test"}, "role": {"Guest"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != home+"#invite-user" {
		t.Fatalf("invite: %d to %q; want 303 to the start page", p.status, p.header.Get("Location"))
	}
	b.follow(home).has(t, "Invitation sent to new@acme.test as Guest.")

	p = b.post(home+"/invitations", url.Values{"email": {"not an email"}, "role": {"Guest"}})
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="invite-email-error"`) {
		t.Errorf("a bad email: %d; want 400 with the dialog open and the error under the field\n%s", p.status, p.body)
	}
	p.has(t, "Invite people")

	p = b.postCSV(home+"/invitations/bulk", "email,role,name\nbulk@acme.test,Guest,Bea Bulk\nbad,Guest,\n", false)
	if p.status != http.StatusOK {
		t.Fatalf("bulk: %d\n%s", p.status, p.body)
	}
	p.has(t, "1 invited, 0 already members, 1 invalid.", "bulk@acme.test", "Invite people")

	owner := roster.Principal{UserID: s.ids["owner@acme.test"]}
	for _, email := range []string{"new@acme.test", "bulk@acme.test"} {
		res, err := s.app.ListMembers(context.Background(), owner, s.account, app.MemberQuery{Query: email})
		if err != nil || len(res.Items) != 1 || res.Items[0].Status != roster.StatusPending || res.Items[0].Role != "Guest" {
			t.Errorf("%s after the Recruiter invited them: %+v, %v; want one pending Guest", email, res, err)
		}
	}

	g := s.browser()
	g.login("guest@acme.test")
	if p := g.get(home + "?dialog=invite"); p.status != http.StatusOK || strings.Contains(p.text(), "Invite people") || strings.Contains(p.body, `/invitations"`) {
		t.Errorf("a Guest's start page offers inviting: %d\n%s", p.status, p.text())
	}
}

// TestAlreadyInvitedSaysWhatTheInviterCanDo: inviting someone whose
// invitation is pending tells the inviter to resend it only when they have
// the Resend control on that person's row. A role that may invite without
// seeing the list is told to ask an administrator instead, in the dialog
// and in a bulk's rows; so is one below the pending member's role, in the
// dialog (DECISIONS 71).
func TestAlreadyInvitedSaysWhatTheInviterCanDo(t *testing.T) {
	const resend = "This person is already invited; resend the invitation to send them a new link."
	const ask = "This person is already invited and has not joined yet. If they need a new link, ask one of the account's administrators to resend the invitation."
	refused := func(t *testing.T, b *browser, home, email, role, want string) {
		t.Helper()
		p := b.post(home+"/invitations", url.Values{"email": {email}, "role": {role}})
		if p.status != http.StatusConflict || !strings.Contains(p.body, `id="invite-email-error"`) {
			t.Errorf("inviting %s: %d; want 409 with the refusal under the email\n%s", email, p.status, p.text())
		}
		p.has(t, want)
		if want != resend && strings.Contains(p.text(), resend) {
			t.Errorf("inviting %s, the refusal points at a Resend the inviter does not have:\n%s", email, p.text())
		}
	}

	cat := recruitingCatalog(t)
	s := newSite(t, "").withCatalog(cat, "Recruiter", "Guest")
	home := "/accounts/" + s.account
	ctx := context.Background()
	owner := roster.Principal{UserID: s.ids["owner@acme.test"]}
	if _, err := s.app.Invite(ctx, owner, s.account, app.Invitation{Email: "pending@acme.test", Role: "Guest"}); err != nil {
		t.Fatal(err)
	}
	recruiter := s.browser()
	recruiter.login("recruiter@acme.test")
	refused(t, recruiter, home, "Pending@acme.test", "Guest", ask)
	refused(t, recruiter, home, "guest@acme.test", "Guest", "This person is already a member of the account.")
	p := recruiter.postCSV(home+"/invitations/bulk", "email,role\npending@acme.test,Guest\n", false)
	p.has(t, ask)
	if strings.Contains(p.text(), resend) {
		t.Errorf("a bulk row points the Recruiter at a Resend they do not have:\n%s", p.text())
	}
	// The owner has the row and its Resend.
	o := s.browser()
	o.login("owner@acme.test")
	refused(t, o, home, "pending@acme.test", "Guest", resend)

	// A Bigeye User has the list, and Resend on a pending User, but not
	// on a pending Admin, above their role.
	s = newSite(t, "").withAccount("bigeye", "User")
	home = "/accounts/" + s.account
	owner = roster.Principal{UserID: s.ids["owner@acme.test"]}
	for email, role := range map[string]string{"new.admin@acme.test": "Admin", "new.user@acme.test": "User", "far.admin@bücher.example": "Admin"} {
		if _, err := s.app.Invite(ctx, owner, s.account, app.Invitation{Email: email, Role: role}); err != nil {
			t.Fatal(err)
		}
	}
	user := s.browser()
	user.login("user@acme.test")
	refused(t, user, home, "new.user@acme.test", "User", resend)
	refused(t, user, home, "new.admin@acme.test", "User", ask)
	// The pending Admin is found under any spelling of the address.
	refused(t, user, home, "Far.Admin@XN--BCHER-KVA.example", "User", ask)
}

// TestAuditWithoutTheList: a role of the operator's catalog that may read
// the audit log but not the members is offered the log, without the Users
// and Roles tabs it could not open.
func TestAuditWithoutTheList(t *testing.T) {
	cat := ownCatalog(t, "audit.yaml", `name: audit
owner_fallback: Guest
roles:
  - {name: Owner, rank: 2, permissions: [members.read, members.invite, members.edit, members.disable, members.remove, ownership.transfer, audit.read]}
  - {name: Auditor, rank: 1, permissions: [audit.read]}
  - {name: Guest, rank: 1, permissions: []}
`)
	s := newSite(t, "").withCatalog(cat, "Auditor")
	b := s.browser()
	b.login("auditor@acme.test")
	p := b.get("/accounts/" + s.account + "/audit")
	if p.status != http.StatusOK || !strings.Contains(p.body, `/audit" aria-current="page">Audit log</a>`) {
		t.Fatalf("the Auditor's audit log: %d\n%s", p.status, p.body)
	}
	for _, dead := range []string{s.users() + `"`, "/accounts/" + s.account + `/roles"`} {
		if strings.Contains(p.body, dead) {
			t.Errorf("the Auditor's audit log links to %s, which they may not open", dead)
		}
	}
}

// TestRefusedFormsFocusTheMistake: a form sent back with a mistake starts
// its focus on the field at fault, marked invalid and described by what is
// wrong, so that a keyboard or screen-reader user lands on it and hears
// it: not on the form's first field, nor on a field the message is not
// tied to.
func TestRefusedFormsFocusTheMistake(t *testing.T) {
	autofocus := regexp.MustCompile(`<[^>]* autofocus[^>]*>`)
	focused := func(t *testing.T, p page, id string, describedBy ...string) {
		t.Helper()
		got := autofocus.FindAllString(p.body, -1)
		if len(got) != 1 || !strings.Contains(got[0], `id="`+id+`"`) {
			t.Fatalf("autofocus on %q; want %s alone\n%s", got, id, p.text())
		}
		if !strings.Contains(got[0], `aria-invalid="true"`) {
			t.Errorf("%s is not marked invalid: %s", id, got[0])
		}
		for _, d := range describedBy {
			if !regexp.MustCompile(`aria-describedby="[^"]*\b`+d+`\b`).MatchString(got[0]) || !strings.Contains(p.body, `id="`+d+`"`) {
				t.Errorf("%s is not described by %s: %s", id, d, got[0])
			}
		}
	}

	setup := newSite(t, "rsu_test-token")
	b := setup.browser()
	p := b.post("/setup", url.Values{"token": {"rsu_test-token"}, "account_name": {"Acme"}, "catalog": {"bigeye"},
		"owner_name": {"Olive"}, "owner_email": {"olive@acme.test"}, "password": {"password123"}})
	focused(t, p, "setup-password", "setup-password-error")
	// No catalog chosen: the first of its choices, alone.
	p = b.post("/setup", url.Values{"token": {"rsu_test-token"}, "account_name": {"Acme"},
		"owner_name": {"Olive"}, "owner_email": {"olive@acme.test"}, "password": {"a long enough passphrase"}})
	if got := autofocus.FindAllString(p.body, -1); len(got) != 1 || !strings.Contains(got[0], `name="catalog"`) {
		t.Errorf("setup without a catalog: autofocus on %q; want the first catalog alone", got)
	}

	s := newSite(t, "").withAccount("bizmetry", "Developer")
	b = s.browser()
	p = b.post("/login", url.Values{"email": {"owner@acme.test"}, "password": {"not the password"}})
	focused(t, p, "login-password", "login-error")

	b.login("owner@acme.test")
	p = b.post("/accounts/"+s.account+"/invitations", url.Values{"email": {"developer@acme.test"}, "role": {"SRE"}})
	focused(t, p, "invite-email", "invite-email-error")

	ctx := context.Background()
	m, err := s.app.Invite(ctx, roster.Principal{UserID: s.ids["owner@acme.test"]}, s.account, app.Invitation{Email: "new@acme.test", Role: "SRE"})
	if err != nil {
		t.Fatal(err)
	}
	p = b.post("/accounts/"+s.account+"/members/"+m.UserID+"/name", url.Values{"name": {"Nina =?Q? Newbie"}})
	focused(t, p, "edit-name", "edit-name-error")

	link, _ := s.app.InvitationLink(ctx, s.account, m.UserID)
	u, _ := url.Parse(link)
	p = s.browser().post("/activate", url.Values{"token": {u.Query().Get("token")}, "name": {"Nina"}, "password": {"password123"}})
	focused(t, p, "activate-password", "activate-password-error")
}

// ownCatalog parses a catalog of the operator's own, as stored.
func ownCatalog(t *testing.T, file, text string) *policy.Catalog {
	t.Helper()
	cat, err := policy.Parse(file, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// TestWrongMethodOnAPage: a page asked for with a method it does not take
// answers 405 with the methods it does, not "there is no page"; a path of
// no page still answers 404.
func TestWrongMethodOnAPage(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry")
	b := s.browser()
	b.login("owner@acme.test")
	for _, tc := range []struct {
		method, path, allow string
	}{
		{http.MethodPut, "/login", "GET, HEAD, POST"},
		{http.MethodDelete, "/me/tokens", "GET, HEAD, POST"},
		{http.MethodGet, s.member("owner@acme.test", "remove"), "POST"},
	} {
		req, err := http.NewRequest(tc.method, s.url+tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := b.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		p := read(t, resp)
		if p.status != http.StatusMethodNotAllowed || p.header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d, Allow %q; want 405, Allow %q", tc.method, tc.path, p.status, p.header.Get("Allow"), tc.allow)
		}
		p.has(t, "does not take "+tc.method)
	}
	if p := b.get("/no-such-page"); p.status != http.StatusNotFound {
		t.Errorf("GET /no-such-page: %d, want 404", p.status)
	}
}

// TestFormAfterTheSessionEnded: a form sent once the session has ended
// changes nothing, and the sign-in page it leads to says that what was
// sent was not saved, rather than nothing at all.
func TestFormAfterTheSessionEnded(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry")
	b := s.browser() // never signed in: as after the session ended
	p := b.post("/accounts/"+s.account+"/invitations", url.Values{"email": {"late@acme.test"}, "role": {"Developer"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/login" {
		t.Fatalf("a form without a session: %d to %q, want the sign-in page", p.status, p.header.Get("Location"))
	}
	b.get("/login").has(t, "You were signed out, so what you sent was not saved.")
	o := s.browser()
	o.login("owner@acme.test")
	if strings.Contains(o.get(s.users()).body, "late@acme.test") {
		t.Errorf("the form sent without a session invited someone")
	}
}
