package browser

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The seed's Last Owner Warning, with the BizMetry catalog's owner role.
const lastOwnerWarning = "You cannot remove or disable the last Organization Owner of an account. Assign another user as Owner first."

// TestOwnerManagesAnInvitedUser is the seed's whole story in a browser: an
// owner invites a user, the user activates from the emailed link in a
// browser of their own and signs in, and the owner edits their role,
// disables, enables and removes them; the owner cannot demote themself.
func TestOwnerManagesAnInvitedUser(t *testing.T) {
	s := startServer(t, "--demo")
	owner := newBrowser(t, s)
	owner.login("organization.owner@bizmetry.example", demoPassword)

	// The Users panel, reached from the main menu (seed: ☰ → "Users & Roles").
	owner.waitText("#users-heading", "Users")
	owner.click("#main-menu summary")
	if got := owner.text("#main-menu nav"); !strings.Contains(got, "Users & Roles") || !strings.Contains(got, "Audit log") {
		t.Errorf("owner's main menu = %q, want Users & Roles and Audit log", got)
	}
	owner.clickAway(`#main-menu a[href$="/users"]`)
	owner.waitText("table.members thead", "Last Login")
	for _, col := range []string{"Name", "Email", "Role", "Status", "Last Login", "Actions"} {
		if head := owner.text("table.members thead"); !strings.Contains(head, col) {
			t.Errorf("table header %q lacks %q", head, col)
		}
	}
	if got := owner.text(rowOf("monitoring.user@bizmetry.example")); !strings.Contains(got, "Monitoring User") || !strings.Contains(got, "Active") {
		t.Errorf("Monitoring User's row = %q", got)
	}

	// "+ Invite User": email, full name, role, "Send Invitation". The owner
	// may give every role.
	owner.click("#invite-user")
	owner.waitText("dialog[open]", "Invite User")
	if focused := eval[string](owner, `document.activeElement ? document.activeElement.id : ""`); focused != "invite-email" {
		t.Errorf("focus in the Invite dialog is on %q, want the email field", focused)
	}
	if got := owner.options("#invite-role"); len(got) != 11 || got[1] != "Organization Owner" {
		t.Errorf("owner's role choices = %q, want a prompt and all ten roles", got)
	}
	owner.typeInto("#invite-email", "nina.new@bizmetry.example")
	owner.typeInto("#invite-name", "Nina New")
	owner.choose("#invite-role", "Developer")
	owner.click(`dialog[open] button[type=submit]`)
	owner.waitText(".flash", "Invitation sent to nina.new@bizmetry.example as Developer.")
	// A screen reader reads it out: it reaches the live region after load.
	owner.waitText("#announcer", "Invitation sent to nina.new@bizmetry.example as Developer.")
	// Focus is back on + Invite User, where the next invitation starts,
	// and the flash is read once, from the live region.
	if id := eval[string](owner, `document.activeElement.id`); id != "invite-user" {
		t.Errorf("after inviting, focus is on %q, want invite-user", id)
	}
	if hidden := eval[string](owner, `document.getElementById("flash").getAttribute("aria-hidden") || ""`); hidden != "true" {
		t.Errorf("the flash copied to the live region is still read from the page (aria-hidden %q)", hidden)
	}
	row := rowOf("nina.new@bizmetry.example")
	if got := owner.text(row); !strings.Contains(got, "Pending Activation") || !strings.Contains(got, "Developer") {
		t.Errorf("new row = %q, want Developer, Pending Activation", got)
	}
	if !owner.enabled(row+` button[aria-label^="Resend"]`) || !owner.enabled(row+` a[aria-label^="Revoke"]`) {
		t.Errorf("a pending invitation offers no enabled Resend and Revoke:\n%s", owner.text(row))
	}

	// Inviting the same person again is refused under the email, where the
	// focus lands, with what was typed kept.
	owner.click("#invite-user")
	owner.typeInto("#invite-email", "nina.new@bizmetry.example")
	owner.typeInto("#invite-name", "Nina Again")
	owner.choose("#invite-role", "SRE")
	owner.click(`dialog[open] button[type=submit]`)
	owner.waitText("dialog[open] #invite-email-error", "already invited")
	if id := eval[string](owner, `document.activeElement.id`); id != "invite-email" {
		t.Errorf("after the refusal, focus is on %q, want invite-email", id)
	}
	if got := eval[string](owner, `document.querySelector("#invite-name").value + "|" + document.querySelector("#invite-role").value`); got != "Nina Again|SRE" {
		t.Errorf("refused Invite dialog kept %q, want what was typed", got)
	}
	owner.click(`dialog[open] a.button`) // Cancel
	owner.waitGone("dialog[open]")

	// Revoking an invitation takes its row, and the Revoke button, away:
	// focus lands on the list's heading, where the next Tab goes on.
	owner.click("#invite-user")
	owner.typeInto("#invite-email", "rita.revoked@bizmetry.example")
	owner.choose("#invite-role", "SRE")
	owner.click(`dialog[open] button[type=submit]`)
	owner.waitText(".flash", "Invitation sent to rita.revoked@bizmetry.example")
	owner.click(rowOf("rita.revoked@bizmetry.example") + ` a[aria-label^="Revoke"]`)
	owner.waitText("dialog[open] h2", "Revoke the invitation")
	owner.click(`dialog[open] button.danger`)
	owner.waitText(".flash", "The invitation to rita.revoked@bizmetry.example is revoked.")
	focusOnHeading(t, owner, "users-heading", "after revoking an invitation")

	// The invited person opens the emailed link in a browser of their own.
	link := s.waitActivationLink(t, "nina.new@bizmetry.example")
	nina := owner.incognito()
	nina.open(link)
	nina.waitText("h1", "Join BizMetry Demo")
	if got := nina.bodyText(); !strings.Contains(got, "Olivia Owens invited you") || !strings.Contains(got, "Developer") {
		t.Errorf("activation page = %q", got)
	}
	nina.typeInto("#activate-name", "Nina New")
	nina.typeInto("#activate-password", "nina's long password")
	nina.click(`form[action="/activate"] button[type=submit]`)
	nina.waitText(".flash", "Welcome to BizMetry Demo. Your role is Developer.")
	// A Developer has no user management: no menu entry.
	if n := nina.count(`#main-menu a[href$="/users"]`); n != 0 {
		t.Errorf("a Developer's menu has %d Users & Roles entries", n)
	}
	// The link is single-use: opening it again says so.
	nina.open(link)
	nina.waitText("h1", "This invitation link cannot be used")
	// And the new user signs in with the password they chose.
	nina.open("/")
	nina.logout()
	nina.login("nina.new@bizmetry.example", "nina's long password")
	nina.waitText("main", "You are signed in as Developer")

	// The owner sees them Active, with a Last Login.
	owner.open("/")
	owner.waitText(row, "Active")
	if got := owner.text(row + ` td[data-label="Last Login"]`); got == "Never" || got == "" {
		t.Errorf("Last Login after activation = %q", got)
	}

	// Edit: role dropdown, "Save Changes".
	owner.click(row + ` a[aria-label="Edit Nina New"]`)
	owner.waitText("dialog[open]", "Edit User")
	owner.choose("#edit-role", "SRE")
	owner.click(`dialog[open] button[type=submit]`)
	owner.waitText(".flash", "Nina New is now SRE.")
	owner.waitText(row+` td[data-label="Role"]`, "SRE")

	// Disable, after a confirmation (Cancel first changes nothing), then Enable.
	owner.click(row + ` a[aria-label="Disable Nina New"]`)
	owner.waitText("dialog[open]", "Disable Nina New?")
	owner.click(`dialog[open] a.button`) // Cancel
	owner.waitGone("dialog[open]")
	owner.waitText(row, "Active")
	owner.click(row + ` a[aria-label="Disable Nina New"]`)
	owner.waitText("dialog[open]", "Disable Nina New?")
	owner.click(`dialog[open] button[type=submit]`)
	owner.waitText(".flash", "Nina New is disabled")
	owner.waitText(row, "Disabled")
	if !owner.enabled(row + ` button[aria-label="Enable Nina New"]`) {
		t.Errorf("a disabled member offers no enabled Enable button: %q", owner.text(row))
	}
	// Disabled means no access at once, on the member's next request.
	nina.open("/")
	nina.waitText("main", "not an active member")
	owner.click(row + ` button[aria-label="Enable Nina New"]`)
	owner.waitText(".flash", "Nina New is active again.")
	owner.waitText(row, "Active")

	// Remove, with a confirmation that names the person.
	owner.click(row + ` a[aria-label="Remove Nina New"]`)
	owner.waitText("dialog[open] h2", "Remove Nina New?")
	if got := owner.text("dialog[open]"); !strings.Contains(got, "nina.new@bizmetry.example") {
		t.Errorf("the Remove confirmation does not name the person's email: %q", got)
	}
	owner.click(`dialog[open] button.danger`)
	owner.waitText(".flash", "Nina New is removed from BizMetry Demo.")
	if n := owner.count(row); n != 0 {
		t.Errorf("the removed member is still listed")
	}
	focusOnHeading(t, owner, "users-heading", "after removing a member")

	// The last owner cannot demote themself: the Edit dialog shows the
	// seed's warning, said of the role, at once, and no Save.
	self := rowOf("organization.owner@bizmetry.example")
	owner.click(self + ` a[aria-label="Edit Olivia Owens"]`)
	owner.waitText("dialog[open] .warning", "Last Owner Warning")
	if got := owner.text("dialog[open] .warning"); !strings.Contains(got, "You cannot change the role of the last Organization Owner of an account. Assign another user as Owner first.") {
		t.Errorf("warning = %q, want the seed's sentence said of the role", got)
	}
	if n := owner.count(`dialog[open] button[type=submit]`); n != 0 {
		t.Errorf("the last owner's Edit dialog offers to save")
	}
	// Nor leave: the Leave dialog warns instead of asking.
	owner.open("/")
	owner.click(self + ` a[aria-label="Leave the account"]`)
	owner.waitText("dialog[open] .warning", lastOwnerWarning)
	if n := owner.count(`dialog[open] button.danger`); n != 0 {
		t.Errorf("the Leave dialog of the last owner offers a confirm button")
	}

	// The audit log tells who did what to whom.
	owner.open("/")
	owner.click("#main-menu summary")
	owner.clickAway(`#main-menu a[href$="/audit"]`)
	owner.waitText("table.audit", "removed")
	got := owner.text("table.audit tbody")
	// Nina, removed, is named by her email alone (DECISIONS 45).
	for _, want := range []string{"Olivia Owens (organization.owner@bizmetry.example)", "changed the role of", "disabled", "enabled", "nina.new@bizmetry.example"} {
		if !strings.Contains(got, want) {
			t.Errorf("audit log lacks %q:\n%s", want, got)
		}
	}
}

// TestMonitoringUserHasNoUserManagement: seed "Administrator Access
// Required" — a Monitoring User sees no "Users & Roles" entry, and the
// panel's address answers with the policy's sentence, not an error dump.
func TestMonitoringUserHasNoUserManagement(t *testing.T) {
	s := startServer(t, "--demo")
	b := newBrowser(t, s)
	b.login("monitoring.user@bizmetry.example", demoPassword)
	b.waitText("main", "You are signed in as Monitoring User")
	b.click("#main-menu summary")
	menu := b.text("#main-menu nav")
	if strings.Contains(menu, "Users & Roles") || strings.Contains(menu, "Audit") {
		t.Errorf("Monitoring User's main menu = %q, want no Users & Roles", menu)
	}
	if !strings.Contains(menu, "Home") {
		t.Errorf("Monitoring User's main menu = %q, want Home", menu)
	}
	users := eval[string](b, `location.pathname`) + "/users"
	b.open(users)
	b.waitText("h1", "You don't have access to this")
	if got := b.text("main"); !strings.Contains(got, "Your role (Monitoring User) does not allow you to see the members of this account; that takes the role Organization Manager or Organization Owner.") {
		t.Errorf("users page for a Monitoring User = %q", got)
	}
	if n := b.count("table.members"); n != 0 {
		t.Errorf("a Monitoring User sees the member table")
	}
}

// TestBigeyeUserInvitesButCannotRemove: seed "A user can invite other users,
// but cannot delete other users" and "you must have an equal or greater
// role than the one you're assigning".
func TestBigeyeUserInvitesButCannotRemove(t *testing.T) {
	s := startServer(t, "--demo")
	b := newBrowser(t, s)
	b.login("user@bigeye.example", demoPassword)
	b.waitText("#users-heading", "Users")
	if !b.enabled("#invite-user") {
		t.Fatalf("a Bigeye User has no enabled + Invite User button")
	}
	if n := b.count(`table.members [aria-label^="Remove"], table.members [aria-label^="Disable"]`); n != 0 {
		t.Errorf("a Bigeye User sees %d Remove/Disable controls", n)
	}
	// Edit is offered on Users only, never on the Admin or the Owner.
	if n := b.count(rowOf("admin@bigeye.example") + ` [aria-label^="Edit"]`); n != 0 {
		t.Errorf("a Bigeye User may edit the Admin")
	}
	b.click("#invite-user")
	b.waitText("dialog[open]", "Invite User")
	if got := b.options("#invite-role"); len(got) != 1 || got[0] != "User" {
		t.Errorf("a Bigeye User's role choices = %q, want only User", got)
	}
	b.typeInto("#invite-email", "friend@bigeye.example")
	b.typeInto("#invite-name", "Fran Friend")
	b.click(`dialog[open] button[type=submit]`)
	b.waitText(".flash", "Invitation sent to friend@bigeye.example as User.")
	row := rowOf("friend@bigeye.example")
	if got := b.text(row); !strings.Contains(got, "Pending Activation") {
		t.Errorf("invited row = %q", got)
	}
	// A pending invitation: Resend yes, Revoke (a removal) no.
	if !b.enabled(row+` button[aria-label^="Resend"]`) || b.count(row+` [aria-label^="Revoke"]`) != 0 {
		t.Errorf("a Bigeye User's controls on a pending invitation: %q", b.text(row))
	}
	// The roles page lists all three roles with their descriptions.
	b.click(`nav.tabs a[href$="/roles"]`)
	b.waitText("table.roles", "Owner")
	if got := b.text("table.roles"); !strings.Contains(got, "It is the least-privileged role") || !strings.Contains(got, "collections.create") {
		t.Errorf("roles page = %q", got)
	}
}

// TestFirstRunSetup: on an empty database roster serve prints a one-time
// setup link, where the first account and its owner are created.
func TestFirstRunSetup(t *testing.T) {
	s := startServer(t)
	link := s.setupURL(t)
	b := newBrowser(t, s)
	b.open(link)
	b.waitText("h1", "Set up Roster")
	b.typeInto("#setup-account", "Acme")
	b.click("#catalog-bigeye")
	b.typeInto("#setup-owner-name", "Ada Admin")
	b.typeInto("#setup-owner-email", "ada@acme.example")
	b.typeInto("#setup-password", "short")
	// The browser's own check is bypassed to see the server's refusal.
	b.do("skip client-side validation", chromedpNoValidate())
	b.click(`form[action="/setup"] button[type=submit]`)
	b.waitText("main", "at least 10 characters")
	if got := eval[string](b, `document.querySelector("#setup-account").value + "|" + document.querySelector("#setup-owner-email").value + "|" + document.querySelector("input[name=catalog]:checked").value`); got != "Acme|ada@acme.example|bigeye" {
		t.Errorf("refused setup form kept %q", got)
	}
	b.typeInto("#setup-password", "a good long password")
	b.click(`form[action="/setup"] button[type=submit]`)
	b.waitText(".flash", "Acme is ready. You are its Owner")
	if got := b.text(rowOf("ada@acme.example")); !strings.Contains(got, "Owner") || !strings.Contains(got, "Active") {
		t.Errorf("owner row after setup = %q", got)
	}
	// The link works once.
	b.open(link)
	b.waitText("h1", "Roster is already set up")
}

// TestPhoneLayout: the Users panel reads at 390×844 without sideways
// scrolling, and dialogs fit the screen.
func TestPhoneLayout(t *testing.T) {
	s := startServer(t, "--demo")
	b := newBrowser(t, s)
	b.viewport(390, 844)
	b.login("organization.owner@bizmetry.example", demoPassword)
	b.waitText("#users-heading", "Users")
	if w := eval[int](b, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the Users panel is %dpx wide on a 390px screen", w)
	}
	b.click("#invite-user")
	b.waitText("dialog[open]", "Invite User")
	if right := eval[float64](b, `document.querySelector("dialog[open]").getBoundingClientRect().right`); right > 390 {
		t.Errorf("the Invite dialog reaches %vpx on a 390px screen", right)
	}

	// A bulk check's results, on the narrowest screen: every row's outcome
	// and detail in view, not in a table scrolled sideways.
	b.viewport(320, 640)
	b.open(eval[string](b, `location.pathname`) + "?dialog=bulk")
	b.waitText("dialog[open]", "Bulk invite")
	eval[string](b, `document.querySelector("#bulk-rows").value = "email,role,name\nnot-an-email,SRE,Bad Row\n"`)
	b.click("#bulk-check")
	b.waitText("table.bulk-results", "Not invited")
	// A card: each cell on a line of its own, the outcome below the email.
	cell := func(n int) string {
		return fmt.Sprintf(`document.querySelector("table.bulk-results tbody td:nth-child(%d)").getBoundingClientRect()`, n)
	}
	if below := eval[bool](b, cell(3)+`.top >= `+cell(2)+`.bottom`); !below {
		t.Errorf("the bulk results on a 320px screen are a table row, the outcome beside the email, not below it")
	}
	label := eval[string](b, `getComputedStyle(document.querySelector("table.bulk-results tbody td:nth-child(4)"), "::before").content`)
	if got := b.text("table.bulk-results tbody"); !strings.Contains(got, "Not invited") || label != `"Detail"` {
		t.Errorf("the bulk results on a 320px screen = %q, the detail labelled %s; want each cell labelled", got, label)
	}
}

// TestLongNamesKeepTheColumnsInView: a name as long as the form takes,
// with no space to break at, wraps in its column on a desktop screen: the
// list's other columns, Actions included, the audit log and the dialogs
// that name the person stay within the screen, not scrolled sideways.
func TestLongNamesKeepTheColumnsInView(t *testing.T) {
	s := startServer(t, "--demo")
	b := newBrowser(t, s)
	b.login("organization.owner@bizmetry.example", demoPassword)
	b.waitText("#users-heading", "Users")
	users := eval[string](b, `location.pathname`)
	b.invite("long.name@bizmetry.example", strings.Repeat("X", 200), "Developer")
	fits := func(where, sel string) {
		t.Helper()
		if over := eval[int](b, `(e => e.scrollWidth - e.clientWidth)(document.querySelector(`+js(sel)+`))`); over > 0 {
			t.Errorf("%s: %s is %dpx wider than its box at 1280px", where, sel, over)
		}
	}
	fits("the Users list", ".table-wrap")
	row := rowOf("long.name@bizmetry.example")
	if right := eval[float64](b, `document.querySelector(`+js(row+` td.actions`)+`).getBoundingClientRect().right`); right > 1280 {
		t.Errorf("the long-named member's Actions end at %vpx on a 1280px screen", right)
	}
	b.click(row + ` a[aria-label^="Revoke"]`)
	b.waitText("dialog[open] h2", "Revoke the invitation to")
	fits("the Revoke dialog", "dialog[open] h2")
	fits("the Revoke dialog", "dialog[open]")
	b.open(users[:strings.LastIndex(users, "/")] + "/audit")
	b.waitText("#audit-heading", "Audit log")
	fits("the audit log", ".table-wrap")

	// Where the table is short of room, between the phone layout and a
	// desktop, the short names still break between words, if at all, never
	// inside one: each word of a name is on one line.
	brokenWords := `[...document.querySelectorAll(` + "`" + `%s` + "`" + `)].flatMap(el => {
		const out = [];
		const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
		for (let n = walker.nextNode(); n; n = walker.nextNode()) {
			for (const m of n.data.matchAll(/\S+/g)) {
				// The long name breaks, as it must, and so may an email
				// longer than its column's bound.
				if (m[0].length > 40 || m[0].includes("@")) continue;
				const r = document.createRange();
				r.setStart(n, m.index);
				r.setEnd(n, m.index + m[0].length);
				const tops = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
				if (tops.size > 1) out.push(m[0]);
			}
		}
		return out;
	})`
	for _, width := range []int64{780, 900} {
		b.viewport(width, 800)
		b.open(users)
		b.waitText("#users-heading", "Users")
		if got := eval[[]string](b, fmt.Sprintf(brokenWords, "table.members .person .name")); len(got) > 0 {
			t.Errorf("at %dpx the list breaks these words of names inside them: %q", width, got)
		}
		b.open(users[:strings.LastIndex(users, "/")] + "/audit")
		b.waitText("#audit-heading", "Audit log")
		if got := eval[[]string](b, fmt.Sprintf(brokenWords, `table.audit td[data-label="Who"], table.audit td[data-label="To whom"]`)); len(got) > 0 {
			t.Errorf("at %dpx the audit log breaks these words inside them: %q", width, got)
		}
	}
}

// TestLongValuesKeepEveryPageInView: an account's and a person's name as
// long as they may be, with no space to break at, a long token name and a
// long unknown path leave no page wider than the screen, on a desktop or
// a phone; and a person in two accounts reads the switcher's whole menu on
// a phone.
func TestLongValuesKeepEveryPageInView(t *testing.T) {
	s := startServer(t)
	link := s.setupURL(t)
	b := newBrowser(t, s)
	b.open(link)
	b.waitText("h1", "Set up Roster")
	b.typeInto("#setup-account", strings.Repeat("A", 200))
	b.click("#catalog-bigeye")
	b.typeInto("#setup-owner-name", strings.Repeat("N", 200))
	b.typeInto("#setup-owner-email", "ada@acme.example")
	b.typeInto("#setup-password", "a good long password")
	b.click(`form[action="/setup"] button[type=submit]`)
	b.waitText("#users-heading", "Users")
	users := eval[string](b, `location.pathname`)
	b.open("/me/tokens")
	b.typeInto("#token-name", strings.Repeat("T", 200))
	b.click(`form[action="/me/tokens"] button[type=submit]`)
	b.waitText("table.tokens", "TTTT")
	for _, width := range []int64{1280, 390} {
		b.viewport(width, 800)
		for _, path := range []string{users, "/me/tokens", users[:strings.LastIndex(users, "/")] + "/" + strings.Repeat("nope", 75)} {
			b.open(path)
			if w := eval[int64](b, `document.documentElement.scrollWidth`); w > width {
				t.Errorf("%s is %dpx wide on a %dpx screen", path[:min(len(path), 40)], w, width)
			}
		}
	}

	// Bigeye's Admin, invited into BizMetry's demo account too, opens the
	// account switcher on a phone: the whole menu is on the screen.
	demo := startServer(t, "--demo")
	owner := newBrowser(t, demo)
	owner.login("organization.owner@bizmetry.example", demoPassword)
	owner.invite("admin@bigeye.example", "", "SRE")
	admin := owner.incognito()
	admin.open(demo.waitActivationLink(t, "admin@bigeye.example"))
	admin.waitText("h1", "Join BizMetry Demo")
	admin.typeInto("#activate-password", demoPassword)
	admin.click(`form[action="/activate"] button[type=submit]`)
	admin.waitText(".flash", "Welcome to BizMetry Demo")
	for _, width := range []int64{390, 320} {
		admin.viewport(width, 800)
		admin.open("/")
		admin.click("details.switcher summary")
		edges := eval[[]float64](admin, `(r => [r.left, r.right])(document.querySelector("details.switcher .menu-panel").getBoundingClientRect())`)
		if edges[0] < 0 || edges[1] > float64(width) {
			t.Errorf("on a %dpx screen the account switcher's menu spans %v–%vpx", width, edges[0], edges[1])
		}
	}
}

// TestRightToLeftNamesInTheAuditLog: a change of a name written right to
// left reads, as any other, from the name before (left) to the one after
// (right), each name isolated from the arrow between them.
func TestRightToLeftNamesInTheAuditLog(t *testing.T) {
	s := startServer(t, "--demo")
	b := newBrowser(t, s)
	b.login("organization.owner@bizmetry.example", demoPassword)
	b.waitText("#users-heading", "Users")
	users := eval[string](b, `location.pathname`)
	const before, after = "محمد عبد الرحمن", "علي حسن"
	b.invite("rtl@bizmetry.example", before, "Developer")
	b.click(rowOf("rtl@bizmetry.example") + ` a[aria-label^="Edit"]`)
	b.waitText("dialog[open]", "Edit User")
	eval[string](b, `(e => { e.value = ""; return "" })(document.querySelector("#edit-name"))`)
	b.typeInto("#edit-name", after)
	b.click(`dialog[open] form:has(#edit-name) button[type=submit]`)
	b.waitGone("dialog[open]")
	b.open(users[:strings.LastIndex(users, "/")] + "/audit")
	b.waitText("table.audit", after)
	// Where each name's text starts in the row of the change: its line's
	// top, and its left edge.
	at := func(name string) []float64 {
		return eval[[]float64](b, `(() => {
			const cell = [...document.querySelectorAll('table.audit td[data-label="Change"]')].find(td => td.textContent.includes(`+js(after)+`));
			cell.style.whiteSpace = "nowrap"; // one line, where the order shows
			const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
			for (let n = walker.nextNode(); n; n = walker.nextNode()) {
				const i = n.data.indexOf(`+js(name)+`);
				if (i >= 0) {
					const r = document.createRange();
					r.setStart(n, i);
					r.setEnd(n, i + `+js(name)+`.length);
					const rect = r.getClientRects()[0];
					return [rect.top, rect.left];
				}
			}
			return [];
		})()`)
	}
	l, r := at(before), at(after)
	if len(l) != 2 || len(r) != 2 {
		t.Fatalf("the change's names were not found in the audit log")
	}
	if math.Abs(l[0]-r[0]) >= 2 {
		t.Fatalf("the change is not on one line (names at tops %v and %v): the order cannot be seen", l[0], r[0])
	}
	if l[1] >= r[1] {
		t.Errorf("the name before starts at %vpx and the name after at %vpx; want the one before on the left", l[1], r[1])
	}
}

// TestChangePasswordFromTheHeader: a member changes their password from
// the header's link, on a phone-sized screen, and signs in with it.
func TestChangePasswordFromTheHeader(t *testing.T) {
	s := startServer(t, "--demo")
	b := newBrowser(t, s)
	b.viewport(390, 844)
	b.login("organization.owner@bizmetry.example", demoPassword)
	b.click(`a[href="/me/password"]`)
	b.waitText("h1", "Change your password")
	if w := eval[int](b, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the password page is %dpx wide on a 390px screen", w)
	}
	b.typeInto("#password-current", demoPassword)
	b.typeInto("#password-new", "a new and longer passphrase")
	b.typeInto("#password-confirm", "a new and longer passphrase")
	b.click(`form[action="/me/password"] button[type=submit]`)
	b.waitText(".flash", "Your password is changed")
	b.logout()
	b.login("organization.owner@bizmetry.example", "a new and longer passphrase")
	b.waitText("#users-heading", "Users")
}

// TestOwnerHandsOverOwnership: from a member's Edit dialog the owner opens
// the transfer dialog with them chosen, may find someone else instead by
// name, confirms with their password and is then the Manager.
func TestOwnerHandsOverOwnership(t *testing.T) {
	s := startServer(t, "--demo")
	b := newBrowser(t, s)
	b.login("organization.owner@bizmetry.example", demoPassword)
	b.click(rowOf("sre@bizmetry.example") + ` a[aria-label^="Edit"]`)
	b.waitText("dialog[open]", "Edit User")
	if tops := eval[[]float64](b, `[...document.querySelectorAll("dialog[open] .dialog-actions > *")].map(e => e.getBoundingClientRect().top)`); len(tops) != 4 || slices.Max(tops) != slices.Min(tops) {
		t.Errorf("the owner's Edit dialog has its four actions at heights %v; want one row", tops)
	}
	// A profile grant brings the dialog back with the focus where it was
	// made, not on the account role at the top.
	b.typeInto("#grant-profile", "eu-production")
	b.click(`form.grant-profile button[type=submit]`)
	b.waitText("dialog[open] .profile-roles", "eu-production")
	b.waitFor("focus on the profile field", `document.activeElement && document.activeElement.id === "grant-profile"`)
	b.click(`dialog[open] a[aria-label^="Transfer ownership to"]`)
	b.waitText("dialog[open] h2", "Transfer ownership")
	if got := eval[string](b, `document.querySelector("#transfer-user").selectedOptions[0].text`); !strings.Contains(got, "sre@bizmetry.example") {
		t.Errorf("the transfer dialog opened from the SRE's Edit dialog has %q chosen", got)
	}
	b.typeInto("#transfer-find", "organization.m")
	b.click(`dialog[open] form[role=search] button[type=submit]`)
	b.waitText("#transfer-user-hint", "The active members found.")
	if got := b.options("#transfer-user"); len(got) != 2 || !strings.Contains(got[1], "organization.manager@bizmetry.example") {
		t.Fatalf("members found by %q = %q, want the Manager alone", "organization.m", got)
	}
	b.choose("#transfer-user", eval[string](b, `document.querySelectorAll("#transfer-user option")[1].value`))
	b.typeInto("#transfer-password", demoPassword)
	b.click(`dialog[open] button.danger[type=submit]`)
	b.waitText(".flash", "is now the Organization Owner; you are now Organization Manager.")
	// The button that opened the dialog is gone with the role: focus
	// lands on the list's heading.
	focusOnHeading(t, b, "users-heading", "after transferring ownership")
	if got := b.text(rowOf("organization.manager@bizmetry.example")); !strings.Contains(got, "Organization Owner") {
		t.Errorf("the new owner's row = %q", got)
	}
	if n := b.count(`a[href*="dialog=transfer"]`); n != 0 {
		t.Errorf("the former owner is still offered Transfer ownership")
	}
}

// TestAPITokenFromTheBrowser: on a phone-sized screen a member reaches the
// API tokens page from their settings, creates a token, which is shown
// once with the focus on it, and revokes it.
func TestAPITokenFromTheBrowser(t *testing.T) {
	s := startServer(t, "--demo")
	b := newBrowser(t, s)
	b.viewport(390, 844)
	b.login("developer@bizmetry.example", demoPassword)
	b.click(`a[href="/me/password"]`)
	b.click(`nav.me-tabs a[href="/me/tokens"]`)
	b.waitText("h1", "API tokens")
	b.typeInto("#token-name", "ci pipeline")
	b.click(`form[action="/me/tokens"] button[type=submit]`)
	b.waitText("#created-heading", "Your new token “ci pipeline”")
	// Autofocus lands once the page is shown, which may be after its text.
	b.waitFor("focus on the new token", `(() => { const e = document.activeElement; return !!e && e.id === "new-token" && e.value.startsWith("rst_"); })()`)
	if w := eval[int](b, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the tokens page is %dpx wide on a 390px screen", w)
	}
	b.click(`a[aria-label="Revoke ci pipeline"]`)
	b.waitText("#revoke-heading", "Revoke “ci pipeline”?")
	b.click(`form[action$="/revoke"] button[type=submit]`)
	b.waitText(".flash", "The token is revoked")
	b.waitText("table.tokens", "You have no API tokens.")
	focusOnHeading(t, b, "tokens-heading", "after revoking a token")
}

// TestFocusAfterRemovalWithoutJavaScript: the place a removal leaves the
// keyboard at does not need the script. The page opens at the list's
// heading, so the next Tab reaches the control after it, not the skip
// link at the top of the page.
func TestFocusAfterRemovalWithoutJavaScript(t *testing.T) {
	s := startServer(t, "--demo")
	b := newBrowser(t, s)
	b.login("organization.owner@bizmetry.example", demoPassword)
	b.do("turn JavaScript off", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
	b.open("/")
	b.click(rowOf("sre@bizmetry.example") + ` a[aria-label^="Remove"]`)
	b.waitText("dialog[open] h2", "Remove")
	b.click(`dialog[open] button.danger`)
	b.waitText(".flash", "is removed from BizMetry Demo.")
	if got := eval[string](b, `document.getElementById("announcer").textContent`); got != "" {
		t.Fatalf("the script ran (the live region says %q); this test is about the page without it", got)
	}
	b.do("press Tab", chromedp.KeyEvent(kb.Tab))
	if got := eval[string](b, `document.activeElement ? document.activeElement.id : ""`); got != "open-transfer" {
		t.Errorf("the first Tab after a removal without JavaScript reaches %q, want open-transfer, the control after the list's heading", got)
	}
}

// TestFocusReturnsToTheRowsControl: a dialog opened from a row's control,
// closed with Escape, gives focus back to that control, as a modal does;
// an action on a row whose control changed (Disable became Enable) leaves
// focus in the row; and a row that left the list (its new role outside
// the filter) leaves it on the list's heading.
func TestFocusReturnsToTheRowsControl(t *testing.T) {
	s := startServer(t, "--demo")
	b := newBrowser(t, s)
	b.login("organization.owner@bizmetry.example", demoPassword)
	b.waitText("#users-heading", "Users")
	users := eval[string](b, `location.pathname`)

	row := rowOf("sre@bizmetry.example")
	remove := eval[string](b, `document.querySelector(`+js(row+` a[aria-label^="Remove"]`)+`).getAttribute("aria-label")`)
	b.click(row + ` a[aria-label^="Remove"]`)
	b.waitText("dialog[open] h2", "Remove")
	b.waitFor("the dialog made modal", `document.documentElement.classList.contains("has-modal")`)
	b.do("press Escape", chromedp.KeyEvent(kb.Escape))
	b.waitGone("dialog[open]")
	b.waitFor("focus back on "+remove, `document.activeElement && document.activeElement.getAttribute("aria-label") === `+js(remove))

	b.click(row + ` a[aria-label^="Disable"]`)
	b.waitText("dialog[open] h2", "Disable")
	b.click(`dialog[open] button[type=submit]`)
	b.waitText(".flash", "is disabled")
	b.waitFor("focus in the disabled member's row", `!!document.activeElement && !!document.activeElement.closest(`+js(row)+`)`)

	// Filtered to SRE, the member given another role leaves the list.
	b.open(users + "?role=SRE")
	b.click(row + ` a[aria-label^="Edit"]`)
	b.waitText("dialog[open]", "Edit User")
	b.choose("#edit-role", "Developer")
	b.click(`dialog[open] button.primary[type=submit]`)
	b.waitText(".flash", "Developer")
	if n := b.count(row); n != 0 {
		t.Fatalf("the member given Developer is still in the list filtered to SRE")
	}
	// The flash is in the page before the script has run: wait for it.
	b.waitFor("focus on the list's heading after the edited row left the list",
		`!!document.activeElement && document.activeElement.id === "users-heading"`)
}

// TestFocusAfterLeaving: leaving an account takes away the whole page the
// control was on. The person lands on the start page (here, the one
// saying they are in no account), whose main region takes focus, and the
// flash is read out from the live region.
func TestFocusAfterLeaving(t *testing.T) {
	s := startServer(t, "--demo")
	b := newBrowser(t, s)
	b.login("monitoring.user@bizmetry.example", demoPassword)
	b.waitText("main", "You are signed in as Monitoring User")
	b.click(`a[href="?leave"]`)
	b.click(`form[action$="/remove"] button.danger`)
	b.waitText(".flash", "You have left BizMetry Demo.")
	b.waitText("main", "You are not in any account")
	focusOn(t, b, "main", "after leaving the account")
}

// focusOnHeading checks that after an action that took away the control
// used (a removed row, a revoked token, a transfer button the former owner
// no longer has) focus is on the heading of the list it acted on, not at
// the top of the page, and the flash is still read out once, from the
// live region.
func focusOnHeading(t *testing.T, b *tab, id, after string) {
	t.Helper()
	focusOn(t, b, id, after)
}

// focusOn checks that focus is on the element with this id and the flash
// is read out once, from the live region.
func focusOn(t *testing.T, b *tab, id, after string) {
	t.Helper()
	b.waitText("#announcer", b.text(".flash"))
	if got := eval[string](b, `document.activeElement ? document.activeElement.id : ""`); got != id {
		t.Errorf("%s, focus is on %q, want %s", after, got, id)
	}
	if hidden := eval[string](b, `document.getElementById("flash").getAttribute("aria-hidden") || ""`); hidden != "true" {
		t.Errorf("%s, the flash copied to the live region is still read from the page (aria-hidden %q)", after, hidden)
	}
}

// TestTimesInTheReadersZone: the pages write times in UTC, and the browser
// shows them in the reader's own zone, in the same form, with the UTC time
// as the title.
func TestTimesInTheReadersZone(t *testing.T) {
	s := startServer(t, "--demo")
	b := newBrowser(t, s)
	b.timezone("Asia/Kolkata") // UTC+5:30 all year
	b.login("organization.owner@bizmetry.example", demoPassword)
	b.open("/")
	b.waitText("#users-heading", "Users")
	cell := `td[data-label="Last Login"] time`
	if b.count(cell) == 0 {
		t.Fatal("no last login on the Users page")
	}
	iso := eval[string](b, `document.querySelector('`+cell+`').getAttribute("datetime")`)
	at, err := time.Parse(time.RFC3339, iso)
	if err != nil {
		t.Fatalf("datetime %q: %v", iso, err)
	}
	local := at.In(time.FixedZone("IST", 5*3600+30*60)).Format("2 Jan 2006, 15:04")
	if got := b.text(cell); !strings.HasPrefix(got, local+" ") {
		t.Errorf("a last login shows %q, want the time in Kolkata, %q", got, local)
	}
	if got, want := eval[string](b, `document.querySelector('`+cell+`').title`), at.UTC().Format("2 Jan 2006, 15:04 UTC"); got != want {
		t.Errorf("its title is %q, want the UTC time %q", got, want)
	}
}

// invite invites someone from the Users panel's "+ Invite User" dialog and
// waits for the flash that says the invitation was sent.
func (b *tab) invite(email, name, role string) {
	b.t.Helper()
	b.click("#invite-user")
	b.waitText("dialog[open]", "Invite User")
	b.typeInto("#invite-email", email)
	if name != "" {
		b.typeInto("#invite-name", name)
	}
	b.choose("#invite-role", role)
	b.click(`dialog[open] button[type=submit]`)
	b.waitText(".flash", "Invitation sent to "+email)
}
