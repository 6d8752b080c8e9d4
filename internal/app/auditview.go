package app

import (
	"context"
	"slices"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/policy"
)

// Person names a user in the audit log.
type Person struct {
	Name  string
	Email string
}

// AuditView is a page of the audit log with the people it mentions, so that
// a page can say who did what to whom rather than show user ids.
type AuditView struct {
	*roster.AuditPage
	// People maps the user ids of the page's actors and targets to who they
	// are; people no longer members are still there (users are never
	// deleted), by email alone (DECISIONS 45).
	People map[string]Person
}

// AuditWithPeople is Audit with the actors and targets resolved (needs
// audit.read, like Audit).
func (a *App) AuditWithPeople(ctx context.Context, p roster.Principal, accountID, cursor string, limit int) (*AuditView, error) {
	page, err := a.Audit(ctx, p, accountID, cursor, limit)
	if err != nil {
		return nil, err
	}
	out := &AuditView{AuditPage: page, People: make(map[string]Person)}
	err = a.readAccount(ctx, p, accountID, func(tx roster.Tx, acc *roster.Account, me *roster.Member) error {
		// Asked again: the names are only for someone who may read the log.
		if err := decide(acc.Catalog, policy.Request{Action: policy.ActionReadAudit, Actor: me.Policy()}); err != nil {
			return err
		}
		var ids []string
		for _, e := range page.Items {
			for _, id := range []string{e.Actor, e.Target} {
				if id != "" {
					ids = append(ids, id)
				}
			}
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		// Members as the account sees them (a pending one by the name it
		// was given: roster.Member.Shown); people no longer members by
		// their email alone, which the account wrote itself: one invited
		// and revoked may never have joined, and their own name is not
		// the account's to learn (DECISIONS 45).
		members, err := tx.MembersByUser(accountID, ids)
		if err != nil {
			return err
		}
		var gone []string
		for _, id := range ids {
			if m := members[id]; m != nil {
				out.People[id] = Person{Name: m.Name, Email: m.Email}
			} else {
				gone = append(gone, id)
			}
		}
		users, err := tx.UsersByID(gone)
		if err != nil {
			return err
		}
		for id, u := range users {
			out.People[id] = Person{Email: u.Email}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
