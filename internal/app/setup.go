package app

import (
	"context"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/password"
	"github.com/rosterhq/roster/internal/secret"
	"github.com/rosterhq/roster/policy"
)

// AccountWithOwner is what the person setting Roster up gives in the browser
// (first run), or what the demo seeding gives: an account and its first
// owner, who sets a password at once instead of following an emailed link.
type AccountWithOwner struct {
	AccountName string
	Catalog     *policy.Catalog
	OwnerName   string
	OwnerEmail  string
	Password    string
}

// SetUp creates the first account of an empty installation with its owner
// already Active, and signs the owner in. It refuses with conflict once any
// account exists, so that a leaked or replayed setup link cannot create a
// second tenant. Fields in errors: account_name, catalog, owner_name,
// owner_email, password.
func (a *App) SetUp(ctx context.Context, ip string, in AccountWithOwner) (*Accepted, error) {
	return a.createWithOwner(ctx, ip, in, true)
}

// CreateAccountWithOwner is SetUp without the empty-installation check: the
// operator's way (roster serve --demo) to create an account whose owner can
// sign in at once.
func (a *App) CreateAccountWithOwner(ctx context.Context, in AccountWithOwner) (*Accepted, error) {
	return a.createWithOwner(ctx, "", in, false)
}

func (a *App) createWithOwner(ctx context.Context, ip string, in AccountWithOwner, firstOnly bool) (*Accepted, error) {
	accName, err := roster.ValidateAccountName(in.AccountName)
	if err != nil {
		return nil, roster.Invalid("account_name", "%s", roster.ErrorMessage(err))
	}
	if in.Catalog == nil {
		return nil, roster.Invalid("catalog", "Please choose a role catalog.")
	}
	ownerName, err := roster.ValidateName("owner_name", in.OwnerName)
	if err != nil {
		return nil, err
	}
	email, err := roster.NormalizeNewEmail("owner_email", in.OwnerEmail)
	if err != nil {
		return nil, err
	}
	if err := password.Validate("password", in.Password, email); err != nil {
		return nil, err
	}
	hash, err := a.hasher.Hash(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	now := a.clock()
	acc := &roster.Account{ID: secret.NewID("acc_"), Name: accName, Catalog: in.Catalog, InviteTTL: roster.DefaultInviteTTL, CreatedAt: now}
	var out *Accepted
	err = a.store.Write(ctx, "", func(tx roster.Tx) error {
		if firstOnly {
			if err := tx.LockFirstRun(); err != nil {
				return err
			}
			if n, err := tx.CountAccounts(); err != nil {
				return err
			} else if n > 0 {
				return roster.Errorf(roster.CodeConflict, "Roster is already set up; sign in instead.")
			}
		}
		if _, err := tx.UserByEmail(email); err == nil {
			return roster.Invalid("owner_email", "%s already has a Roster login; use another address.", email)
		} else if roster.ErrorCode(err) != roster.CodeNotFound {
			return err
		}
		if err := tx.CreateAccount(acc); err != nil {
			return err
		}
		user := &roster.User{ID: secret.NewID("usr_"), Email: email, Name: ownerName, PasswordHash: hash, CreatedAt: now}
		if err := tx.CreateUser(user); err != nil {
			return err
		}
		owner := &roster.Member{
			AccountID: acc.ID, UserID: user.ID, Role: acc.Catalog.Owner,
			RoleOrder: acc.Catalog.Order(acc.Catalog.Owner), Status: roster.StatusActive,
			InvitedAt: &now, JoinedAt: &now,
		}
		if err := tx.CreateMember(owner); err != nil {
			return err
		}
		// Set up in the browser, the account is the new owner's doing, from
		// their address; the demo's is the operator's.
		p := roster.Principal{UserID: user.ID, IP: ip}
		creator := roster.Principal{}
		if firstOnly {
			creator = p
		}
		if err := audit(tx, creator, acc.ID, roster.AuditAccountCreated, "", now, nil,
			map[string]string{"name": acc.Name, "catalog": acc.Catalog.Name}); err != nil {
			return err
		}
		if err := audit(tx, p, acc.ID, roster.AuditInvitationAccepted, user.ID, now, nil,
			map[string]string{"status": string(roster.StatusActive), "role": owner.Role}); err != nil {
			return err
		}
		raw := ""
		if firstOnly {
			// The person setting up is signed in at once; the demo signs
			// nobody in.
			if err := tx.SetLastLogin(user.ID, now); err != nil {
				return err
			}
			if raw, err = a.startSession(tx, user.ID, now); err != nil {
				return err
			}
		}
		m, err := tx.Member(acc.ID, user.ID)
		if err != nil {
			return err
		}
		if user, err = tx.User(user.ID); err != nil {
			return err
		}
		out = &Accepted{Member: m, User: user, Session: raw}
		return nil
	})
	return out, err
}

// InvitationLink returns the activation link of the newest message queued
// for a pending member, while the outbox still holds it (stores clear links
// once delivered). It is the operator's tool for seeding demo data, where
// nobody reads the email; returns not_found when the member is not pending
// or no link is held.
func (a *App) InvitationLink(ctx context.Context, accountID, userID string) (string, error) {
	var link string
	err := a.store.Read(ctx, func(tx roster.Tx) error {
		// Only a pending member has a live link; an older message may
		// still hold a dead one.
		if m, err := tx.Member(accountID, userID); err != nil {
			return err
		} else if m.Status != roster.StatusPending {
			return roster.Errorf(roster.CodeNotFound, "This member is not pending; there is no activation link.")
		}
		msgs, err := tx.Messages(roster.MessagePending, 1000)
		if err != nil {
			return err
		}
		for _, m := range msgs { // newest first
			if m.AccountID == accountID && m.UserID == userID && m.Link != "" &&
				(m.Kind == roster.MessageInvitation || m.Kind == roster.MessageOwnerActivation) {
				link = m.Link
				return nil
			}
		}
		return roster.Errorf(roster.CodeNotFound, "No activation link is held for this member.")
	})
	return link, err
}
