package browser

import (
	"os"
	"path/filepath"
	"testing"
)

// TestScreenshots writes the README's pictures of the Users panel, the
// Invite dialog, the Edit dialog and the API tokens page, taken from the real server, to
// docs/screenshots/. It runs only when ROSTER_SCREENSHOTS=1, so that a
// normal test run changes no tracked file.
func TestScreenshots(t *testing.T) {
	if os.Getenv("ROSTER_SCREENSHOTS") != "1" {
		t.Skip("set ROSTER_SCREENSHOTS=1 to write docs/screenshots/*.png")
	}
	dir := filepath.Join("..", "..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "--demo")
	b := newBrowser(t, s)
	b.login("organization.owner@bizmetry.example", demoPassword)
	b.waitText("#users-heading", "Users")

	// A list with every status: two pending invitations and a disabled member.
	for _, p := range []struct{ email, name, role string }{
		{"priya.patel@bizmetry.example", "Priya Patel", "Developer"},
		{"lee.chen@bizmetry.example", "Lee Chen", "Quality Assurance"},
	} {
		b.click("#invite-user")
		b.typeInto("#invite-email", p.email)
		b.typeInto("#invite-name", p.name)
		b.choose("#invite-role", p.role)
		b.click(`dialog[open] button[type=submit]`)
		b.waitText(".flash", "Invitation sent to "+p.email)
	}
	b.click(rowOf("devops@bizmetry.example") + ` a[aria-label^="Disable"]`)
	b.click(`dialog[open] button[type=submit]`)
	b.waitText(rowOf("devops@bizmetry.example"), "Disabled")
	b.open("/")
	b.waitText("#users-heading", "Users")
	b.screenshot(filepath.Join(dir, "users.png"))

	b.click("#invite-user")
	b.waitText("dialog[open]", "Invite User")
	b.typeInto("#invite-email", "sam.rivera@bizmetry.example")
	b.typeInto("#invite-name", "Sam Rivera")
	b.choose("#invite-role", "SRE")
	b.screenshot(filepath.Join(dir, "invite-dialog.png"))

	b.open("/")
	b.click(rowOf("developer@bizmetry.example") + ` a[aria-label^="Edit"]`)
	b.waitText("dialog[open]", "Edit User")
	b.typeInto("#grant-profile", "eu-production")
	b.choose("#grant-role", "DevOps")
	b.click(`form.grant-profile button[type=submit]`)
	b.waitText("dialog[open] .profile-roles", "eu-production")
	b.screenshot(filepath.Join(dir, "edit-dialog.png"))

	// The API tokens page with one token, once its secret is gone.
	b.open("/me/tokens")
	b.typeInto("#token-name", "deploy pipeline")
	b.click(`form[action="/me/tokens"] button[type=submit]`)
	b.waitText("#created-heading", "deploy pipeline")
	b.open("/me/tokens")
	b.waitText("table.tokens", "deploy pipeline")
	b.screenshot(filepath.Join(dir, "tokens.png"))

	b.open("/")
	b.viewport(390, 844)
	b.open("/")
	b.waitText("#users-heading", "Users")
	b.screenshot(filepath.Join(dir, "users-phone.png"))
}
