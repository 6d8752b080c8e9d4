package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/policy"
)

// demoPassword is the password of every demo login. It is printed to the
// log: demo data is for trying Roster out on a laptop, never for real use.
const demoPassword = "roster-demo-password"

// demoNames give the demo members believable names, in catalog order.
var demoNames = []string{
	"Olivia Owens", "Manuel Ortega", "Ada Archer", "Dev Patel", "Dora Opsahl",
	"Sam Reyes", "Tina Operto", "Bea Adams", "Mona Usher", "Quinn Alvarez",
}

// demoLogin is one demo member's sign-in.
type demoLogin struct {
	Account, Role, Email string
}

// seedDemo fills an empty database with one account per built-in catalog,
// each holding one Active member of every role, all with demoPassword. It
// goes through the same use cases as everything else: the owner is made by
// CreateAccountWithOwner, everyone else is invited by the owner and accepts
// with the link the outbox holds.
func seedDemo(ctx context.Context, a *app.App) ([]demoLogin, error) {
	var logins []demoLogin
	for _, name := range []string{"bizmetry", "bigeye"} {
		cat, err := policy.Builtin(name)
		if err != nil {
			return nil, err
		}
		accountName := map[string]string{"bizmetry": "BizMetry Demo", "bigeye": "Bigeye Demo"}[name]
		domain := name + ".example"
		owner, err := a.CreateAccountWithOwner(ctx, app.AccountWithOwner{
			AccountName: accountName, Catalog: cat,
			OwnerName: demoNames[0], OwnerEmail: demoEmail(cat.Owner, domain), Password: demoPassword,
		})
		if err != nil {
			return nil, fmt.Errorf("demo account %s: %w", name, err)
		}
		accID := owner.Member.AccountID
		logins = append(logins, demoLogin{Account: accountName, Role: cat.Owner, Email: owner.User.Email})
		by := roster.Principal{UserID: owner.User.ID}
		i := 0
		for _, role := range cat.Roles {
			if role.Name == cat.Owner {
				continue
			}
			i++
			person := demoNames[i%len(demoNames)]
			email := demoEmail(role.Name, domain)
			m, err := a.Invite(ctx, by, accID, app.Invitation{Email: email, Role: role.Name, Name: person})
			if err != nil {
				return nil, fmt.Errorf("demo invite %s: %w", email, err)
			}
			link, err := a.InvitationLink(ctx, accID, m.UserID)
			if err != nil {
				return nil, fmt.Errorf("demo link of %s: %w", email, err)
			}
			u, err := url.Parse(link)
			if err != nil {
				return nil, fmt.Errorf("demo link of %s: %w", email, err)
			}
			if _, err := a.AcceptInvitation(ctx, "", app.Acceptance{Token: u.Query().Get("token"), Name: person, Password: demoPassword}); err != nil {
				return nil, fmt.Errorf("demo activation of %s: %w", email, err)
			}
			logins = append(logins, demoLogin{Account: accountName, Role: role.Name, Email: email})
		}
	}
	return logins, nil
}

// demoEmail makes an address from a role name: "Organization Owner" at
// bizmetry.example is organization.owner@bizmetry.example.
func demoEmail(role, domain string) string {
	local := strings.Join(strings.Fields(strings.ToLower(role)), ".")
	return local + "@" + domain
}

// logDemoLogins prints every demo login, each line marked as demo data.
func logDemoLogins(log *slog.Logger, logins []demoLogin) {
	log.Warn("DEMO DATA: demo accounts created; every demo login below uses the same password. Do not use --demo for real data.",
		"password", demoPassword)
	for _, l := range logins {
		log.Warn("DEMO login", "account", l.Account, "role", l.Role, "email", l.Email, "password", demoPassword)
	}
}
