package app

import (
	"cmp"
	"context"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/secret"
	"github.com/rosterhq/roster/policy"
)

// NewAccount is what an operator gives to create an account.
type NewAccount struct {
	Name       string
	OwnerEmail string
	OwnerName  string
	Catalog    *policy.Catalog
	// InviteTTL is how long invitation links live; DefaultInviteTTL when zero.
	InviteTTL time.Duration
}

// CreatedAccount is the new account, its first owner (pending) and the
// owner's activation link.
type CreatedAccount struct {
	Account       *roster.Account
	Owner         *roster.Member
	ActivationURL string
}

// Check validates an operator's new account and returns it normalized. It
// needs no store, so a command can refuse a typo before opening (or, for
// SQLite, creating) the database.
func (in NewAccount) Check() (NewAccount, error) {
	name, err := roster.ValidateAccountName(in.Name)
	if err != nil {
		return in, err
	}
	email, err := roster.NormalizeNewEmail("owner_email", in.OwnerEmail)
	if err != nil {
		return in, err
	}
	ownerName := ""
	if in.OwnerName != "" {
		if ownerName, err = roster.ValidateName("owner_name", in.OwnerName); err != nil {
			return in, err
		}
	}
	if in.Catalog == nil {
		return in, roster.Invalid("catalog", "A role catalog is required.")
	}
	ttl := cmp.Or(in.InviteTTL, roster.DefaultInviteTTL)
	if ttl < roster.MinInviteTTL || ttl > roster.MaxInviteTTL {
		return in, roster.Invalid("invite_ttl", "Invitations must last between 1 and 30 days.")
	}
	return NewAccount{Name: name, OwnerEmail: email, OwnerName: ownerName, Catalog: in.Catalog, InviteTTL: ttl}, nil
}

// CreateAccount creates an account whose first owner is a pending member
// with an activation link. It is the operator's action (CLI and first-run
// setup); nobody is signed in, so the audit log names no actor.
func (a *App) CreateAccount(ctx context.Context, in NewAccount) (*CreatedAccount, error) {
	in, err := in.Check()
	if err != nil {
		return nil, err
	}
	email, ownerName := in.OwnerEmail, in.OwnerName
	now := a.clock()
	acc := &roster.Account{ID: secret.NewID("acc_"), Name: in.Name, Catalog: in.Catalog, InviteTTL: in.InviteTTL, CreatedAt: now}
	var out *CreatedAccount
	err = a.store.Write(ctx, "", func(tx roster.Tx) error {
		if err := tx.CreateAccount(acc); err != nil {
			return err
		}
		user, err := a.userForInvite(tx, email, ownerName, now)
		if err != nil {
			return err
		}
		owner := &roster.Member{
			AccountID: acc.ID, UserID: user.ID, Name: ownerName, Role: acc.Catalog.Owner,
			RoleOrder: acc.Catalog.Order(acc.Catalog.Owner), Status: roster.StatusPending,
			InvitedAt: &now,
		}
		if err := tx.CreateMember(owner); err != nil {
			return err
		}
		op := roster.Principal{}
		if err := audit(tx, op, acc.ID, roster.AuditAccountCreated, "", now, nil,
			map[string]string{"name": acc.Name, "catalog": acc.Catalog.Name}); err != nil {
			return err
		}
		id, err := a.issueInvitation(tx, op, acc, owner, user, now, roster.AuditMemberInvited)
		if err != nil {
			return err
		}
		url, err := messageLink(tx, id)
		if err != nil {
			return err
		}
		if owner, err = tx.Member(acc.ID, user.ID); err != nil {
			return err
		}
		out = &CreatedAccount{Account: acc, Owner: owner, ActivationURL: url}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ResendOwnerActivation issues a fresh activation link to the account's
// pending first owner (SPEC §4: the operator's way out when the link
// expired). Returns conflict when no owner is pending.
func (a *App) ResendOwnerActivation(ctx context.Context, accountID string) (string, error) {
	var url string
	err := a.store.Write(ctx, accountID, func(tx roster.Tx) error {
		acc, err := a.account(tx, accountID)
		if err != nil {
			return err
		}
		if n, err := activeOwners(tx, acc); err != nil {
			return err
		} else if n > 0 {
			return roster.Errorf(roster.CodeConflict, "The account already has an active %s; they can invite people themselves.", acc.Catalog.Owner)
		}
		page, err := tx.ListMembers(acc.ID, withRole(roster.MemberFilter{
			Status: roster.StatusPending, Sort: roster.SortName, Limit: 1,
		}, acc.Catalog, acc.Catalog.Owner))
		if err != nil {
			return err
		}
		if len(page.Items) == 0 {
			return roster.Errorf(roster.CodeConflict, "The account has no pending %s to send a link to.", acc.Catalog.Owner)
		}
		owner := page.Items[0]
		user, err := tx.User(owner.UserID)
		if err != nil {
			return err
		}
		id, err := a.issueInvitation(tx, roster.Principal{}, acc, owner, user, a.clock(), roster.AuditInvitationResent)
		if err != nil {
			return err
		}
		url, err = messageLink(tx, id)
		return err
	})
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return "", roster.Errorf(roster.CodeNotFound, "No account %q.", accountID)
	}
	return url, err
}

// AccountUpdate is what an operator may change of an account; zero values
// leave a field as it is.
type AccountUpdate struct {
	Name      string
	InviteTTL time.Duration
}

// UpdateAccount changes an account's name or invitation lifetime (1 to 30
// days). It is the operator's action; new invitations use the new lifetime,
// links already sent keep theirs.
func (a *App) UpdateAccount(ctx context.Context, accountID string, in AccountUpdate) (*roster.Account, error) {
	if in.Name != "" {
		name, err := roster.ValidateAccountName(in.Name)
		if err != nil {
			return nil, err
		}
		in.Name = name
	}
	if in.InviteTTL != 0 && (in.InviteTTL < roster.MinInviteTTL || in.InviteTTL > roster.MaxInviteTTL) {
		return nil, roster.Invalid("invite_ttl", "Invitations must last between 1 and 30 days.")
	}
	var out *roster.Account
	err := a.store.Write(ctx, accountID, func(tx roster.Tx) error {
		acc, err := tx.Account(accountID)
		if err != nil {
			return err
		}
		out = acc
		// The event holds what changed; nothing changed, nothing is written.
		before, after := map[string]string{}, map[string]string{}
		if in.Name != "" && in.Name != acc.Name {
			before["name"], after["name"] = acc.Name, in.Name
			acc.Name = in.Name
		}
		if in.InviteTTL != 0 && in.InviteTTL != acc.InviteTTL {
			before["invite_ttl"], after["invite_ttl"] = acc.InviteTTL.String(), in.InviteTTL.String()
			acc.InviteTTL = in.InviteTTL
		}
		if len(after) == 0 {
			return nil
		}
		if err := tx.UpdateAccount(acc); err != nil {
			return err
		}
		return audit(tx, roster.Principal{}, accountID, roster.AuditAccountUpdated, "", a.clock(), before, after)
	})
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil, roster.Errorf(roster.CodeNotFound, "No account %q.", accountID)
	}
	return out, err
}

// Account returns an account the caller is an Active member of.
func (a *App) Account(ctx context.Context, p roster.Principal, accountID string) (*roster.Account, error) {
	var out *roster.Account
	err := a.readAccount(ctx, p, accountID, func(_ roster.Tx, acc *roster.Account, _ *roster.Member) error {
		out = acc
		return nil
	})
	return out, err
}

// HasAccounts reports whether any account exists (first-run detection).
func (a *App) HasAccounts(ctx context.Context) (bool, error) {
	var n int
	err := a.store.Read(ctx, func(tx roster.Tx) error {
		var err error
		n, err = tx.CountAccounts()
		return err
	})
	return n > 0, err
}

// messageLink returns the link of a queued message, for the operator
// commands that print it.
func messageLink(tx roster.Tx, id int64) (string, error) {
	m, err := tx.Message(id)
	if err != nil {
		return "", err
	}
	return m.Link, nil
}
