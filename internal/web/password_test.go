package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestChangePassword changes the owner's password from the page: refusals
// keep the old password and never echo what was typed; a change keeps this
// session, ends the others, and only the new password signs in.
func TestChangePassword(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry")
	if p := s.browser().get("/me/password"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/login") {
		t.Errorf("a visitor on the password page: %d to %q, want the sign-in page", p.status, p.header.Get("Location"))
	}
	here, elsewhere := s.browser(), s.browser()
	here.login("owner@acme.test")
	elsewhere.login("owner@acme.test")
	here.get("/me/password").has(t, "Change your password", "Current password")

	const next = "a brand new passphrase 42"
	for _, c := range []struct {
		name                  string
		current, new, confirm string
		field, detail         string
	}{
		{"confirmation differs", pw, next, next + "!", "confirm", "differ"},
		{"wrong current password", "not my password", next, next, "current", "not correct"},
		{"weak new password", pw, "password1", "password1", "new", ""},
	} {
		p := here.post("/me/password", url.Values{"current": {c.current}, "new": {c.new}, "confirm": {c.confirm}})
		if p.status != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400\n%s", c.name, p.status, p.text())
		}
		if !strings.Contains(p.body, `id="password-`+c.field+`" name="`+c.field+`" type="password" required`) ||
			!strings.Contains(p.body, `aria-invalid="true"`) || !strings.Contains(p.text(), c.detail) {
			t.Errorf("%s: the refusal does not point at %q saying %q:\n%s", c.name, c.field, c.detail, p.text())
		}
		// The refusal is under its field, tied to it, and the page starts there.
		input := regexp.MustCompile(`<input id="password-` + c.field + `"[^>]*>`).FindString(p.body)
		if !strings.Contains(p.body, `<p class="field-error" id="password-`+c.field+`-error" role="alert">`) ||
			!strings.Contains(input, " autofocus") || !strings.Contains(input, "password-"+c.field+"-error") {
			t.Errorf("%s: the refusal is not under %q, or the page does not start there: %s", c.name, c.field, input)
		}
		for _, typed := range []string{c.current, c.new, c.confirm} {
			if strings.Contains(p.body, typed) {
				t.Errorf("%s: the page echoes a typed password %q", c.name, typed)
			}
		}
	}

	p := here.post("/me/password", url.Values{"current": {pw}, "new": {next}, "confirm": {next}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/" {
		t.Fatalf("change: %d to %q, want 303 to /\n%s", p.status, p.header.Get("Location"), p.text())
	}
	here.follow("/").has(t, "Your password is changed. Your other sessions have ended.")
	if p := elsewhere.get(s.users()); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/login") {
		t.Errorf("the other session after the change: %d to %q, want the sign-in page", p.status, p.header.Get("Location"))
	}
	if p := s.browser().post("/login", url.Values{"email": {"owner@acme.test"}, "password": {pw}}); p.status == http.StatusSeeOther {
		t.Errorf("the old password still signs in")
	}
	if p := s.browser().post("/login", url.Values{"email": {"owner@acme.test"}, "password": {next}}); p.status != http.StatusSeeOther {
		t.Errorf("the new password does not sign in: %d\n%s", p.status, p.text())
	}
	here.get("/accounts/"+s.account+"/audit").has(t, "changed their password")
}

// TestChangePasswordGuarded: a cross-site post of the form is refused, and
// guesses of the current password with a signed-in session run into the
// rate limit the API uses for the same thing.
func TestChangePasswordGuarded(t *testing.T) {
	s := newSite(t, "").withAccount("bizmetry")
	b := s.browser()
	b.login("owner@acme.test")
	const next = "a brand new passphrase 42"
	form := url.Values{"current": {pw}, "new": {next}, "confirm": {next}}
	req, err := http.NewRequest("POST", s.url+"/me/password", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := b.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	// Refused with a page, as a person who sent a form from elsewhere
	// would see it, not with the API's JSON.
	if p := read(t, resp); p.status != http.StatusForbidden || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("cross-site post: %d %s, want 403 with a page", p.status, resp.Header.Get("Content-Type"))
	} else {
		p.has(t, "Cross-origin requests may not change anything.")
	}
	// Counted under its page's route, refused before the page ran.
	if m := b.get("/metrics"); !strings.Contains(m.body, `route="POST /me/password",status="403"`) {
		t.Errorf("/metrics does not count the refused post under its route")
	}
	if !guessUntilLimited(t, b, "/me/password", func(i int) url.Values {
		return url.Values{"current": {"guess " + strings.Repeat("x", i)}, "new": {next}, "confirm": {next}}
	}, http.StatusBadRequest) {
		t.Errorf("30 guesses of the current password were never rate-limited")
	}
	if p := s.browser().post("/login", url.Values{"email": {"owner@acme.test"}, "password": {pw}}); p.status != http.StatusSeeOther {
		t.Errorf("the password changed after a cross-site post and guesses: login %d", p.status)
	}
}
