package app

import (
	"context"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/secret"
	"github.com/rosterhq/roster/policy"
)

// NewToken is what a user gives to create an API token.
type NewToken struct {
	Name      string
	AccountID string
	ExpiresAt *time.Time
}

// MaxTokens is the most API tokens a person may hold in one account,
// expired ones included (nothing deletes them but a revocation).
const MaxTokens = 50

// CreateToken creates an API token acting as the principal in one account
// where they are an Active member. The raw token is returned once; only its
// digest is kept.
func (a *App) CreateToken(ctx context.Context, p roster.Principal, in NewToken) (*roster.APIToken, string, error) {
	name, err := roster.ValidateName("name", in.Name)
	if err != nil {
		return nil, "", err
	}
	if in.AccountID == "" {
		return nil, "", roster.Invalid("account", "Say which account the token acts in, by its id.")
	}
	now := a.clock()
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		return nil, "", roster.Invalid("expires_at", "The expiry must be in the future.")
	}
	if in.ExpiresAt != nil && in.ExpiresAt.UTC().Year() > 9999 {
		// Answers give times in UTC, as RFC 3339, whose years end at 9999.
		return nil, "", roster.Invalid("expires_at", "The expiry must be before the year 10000 in UTC; leave it out for a token that does not expire.")
	}
	var t *roster.APIToken
	var raw string
	err = a.inAccount(ctx, p, in.AccountID, func(tx roster.Tx, acc *roster.Account, me *roster.Member) error {
		if err := decide(acc.Catalog, policy.Request{Action: policy.ActionCreateToken, Actor: me.Policy(), ViaToken: p.ViaToken()}); err != nil {
			return err
		}
		// Bounded, as GitHub bounds personal tokens: a list of tokens is
		// read whole, and each is an audit event.
		mine, err := tx.APITokens(p.UserID)
		if err != nil {
			return err
		}
		held := 0
		for _, k := range mine {
			if k.AccountID == acc.ID {
				held++ // expired ones too: they stay until revoked
			}
		}
		if held >= MaxTokens {
			return roster.Errorf(roster.CodeConflict, "You have %d API tokens in this account, expired ones included, the most one may have; revoke one you no longer use.", MaxTokens)
		}
		var hash string
		raw, hash = secret.NewToken(prefixAPI)
		t = &roster.APIToken{ID: secret.NewID("tok_"), UserID: p.UserID, AccountID: acc.ID, Name: name, Hash: hash, CreatedAt: now}
		if in.ExpiresAt != nil {
			e := in.ExpiresAt.UTC().Truncate(time.Microsecond)
			t.ExpiresAt = &e
		}
		if err := tx.CreateAPIToken(t); err != nil {
			return err
		}
		after := map[string]string{"token": t.ID, "name": name}
		if t.ExpiresAt != nil {
			after["expires_at"] = t.ExpiresAt.Format(time.RFC3339)
		}
		return audit(tx, p, acc.ID, roster.AuditTokenCreated, p.UserID, now, nil, after)
	})
	if err != nil {
		return nil, "", err
	}
	return t, raw, nil
}

// Tokens lists the principal's API tokens (never their secrets).
func (a *App) Tokens(ctx context.Context, p roster.Principal) ([]*roster.APIToken, error) {
	if err := a.tokenUserAdmitted(ctx, p); err != nil {
		return nil, err
	}
	var out []*roster.APIToken
	err := a.store.Read(ctx, func(tx roster.Tx) error {
		var err error
		out, err = tx.APITokens(p.UserID)
		return err
	})
	kept := out[:0]
	for _, t := range out {
		if policy.TokenReaches(p.ViaToken(), p.TokenAccount, t.AccountID) {
			kept = append(kept, t)
		}
	}
	return kept, err
}

// RevokeToken deletes one of the principal's tokens. Returns not_found for a
// token that is not theirs.
func (a *App) RevokeToken(ctx context.Context, p roster.Principal, id string) error {
	if err := a.tokenUserAdmitted(ctx, p); err != nil {
		return err
	}
	return a.store.Write(ctx, "", func(tx roster.Tx) error {
		ts, err := tx.APITokens(p.UserID)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if t.ID != id || !policy.TokenReaches(p.ViaToken(), p.TokenAccount, t.AccountID) {
				continue
			}
			// Under the account's lock, as every writer of its log.
			if err := tx.LockAccount(t.AccountID); err != nil {
				return err
			}
			if err := tx.DeleteAPIToken(p.UserID, id); err != nil {
				return err
			}
			return audit(tx, p, t.AccountID, roster.AuditTokenRevoked, p.UserID, a.clock(),
				map[string]string{"token": t.ID, "name": t.Name}, nil)
		}
		return roster.Errorf(roster.CodeNotFound, "No such token.")
	})
}
