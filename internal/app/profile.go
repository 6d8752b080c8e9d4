package app

import (
	"context"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/policy"
)

// Profiles lists the account's profiles (needs members.read).
func (a *App) Profiles(ctx context.Context, p roster.Principal, accountID string) ([]roster.Profile, error) {
	var out []roster.Profile
	err := a.readAccount(ctx, p, accountID, func(tx roster.Tx, acc *roster.Account, me *roster.Member) error {
		if err := decide(acc.Catalog, policy.Request{Action: policy.ActionListMembers, Actor: me.Policy()}); err != nil {
			return err
		}
		var err error
		out, err = tx.Profiles(accountID)
		return err
	})
	return out, err
}

// GrantProfileRole gives a member a role on a profile, creating the profile
// on its first grant (SPEC §6). Granting the role held already changes nothing.
func (a *App) GrantProfileRole(ctx context.Context, p roster.Principal, accountID, userID, profile, role string) (*roster.Member, error) {
	profile, err := roster.ValidateProfileName("profile", profile)
	if err != nil {
		return nil, err
	}
	return a.changeMember(ctx, p, accountID, userID, func(tx roster.Tx, acc *roster.Account, me, t *roster.Member, req policy.Request) (bool, error) {
		if role == "" || !acc.Catalog.HasRole(role) {
			return false, roster.Invalid("role", "There is no role %q in this account.", roster.Truncate(role, 80))
		}
		req.Action, req.NewRole = policy.ActionGrantProfileRole, role
		if err := decide(acc.Catalog, req); err != nil {
			return false, err
		}
		before := t.ProfileRoles[profile]
		if before == role {
			return false, nil
		}
		if before != "" {
			// Replacing a role takes it away: that needs the right to revoke it.
			req.Action, req.NewRole = policy.ActionRevokeProfileRole, before
			if err := decide(acc.Catalog, req); err != nil {
				return false, err
			}
		}
		now := a.clock()
		if err := tx.SetProfileRole(accountID, userID, profile, role, now); err != nil {
			return false, err
		}
		var b map[string]string
		if before != "" {
			b = map[string]string{"profile": profile, "role": before}
		}
		return true, audit(tx, p, accountID, roster.AuditProfileRoleGranted, userID, now, b,
			map[string]string{"profile": profile, "role": role})
	})
}

// RevokeProfileRole takes a member's role on a profile away. Returns
// not_found when the member holds no role there.
func (a *App) RevokeProfileRole(ctx context.Context, p roster.Principal, accountID, userID, profile string) (*roster.Member, error) {
	profile, err := roster.ValidateProfileName("profile", profile)
	if err != nil {
		return nil, err
	}
	return a.changeMember(ctx, p, accountID, userID, func(tx roster.Tx, acc *roster.Account, me, t *roster.Member, req policy.Request) (bool, error) {
		role := t.ProfileRoles[profile]
		if role == "" {
			// Permission first, so that the answer reveals nothing to
			// someone who may not manage profile roles.
			req.Action, req.NewRole = policy.ActionRevokeProfileRole, acc.Catalog.Fallback
			if d := acc.Catalog.Decide(req); d.Code == policy.CodeForbidden {
				return false, roster.Errorf(d.Code, "%s", d.Reason)
			}
			return false, roster.Errorf(roster.CodeNotFound, "The member holds no role on the profile %q.", profile)
		}
		req.Action, req.NewRole = policy.ActionRevokeProfileRole, role
		if err := decide(acc.Catalog, req); err != nil {
			return false, err
		}
		if err := tx.DeleteProfileRole(accountID, userID, profile); err != nil {
			return false, err
		}
		return true, audit(tx, p, accountID, roster.AuditProfileRoleRevoked, userID, a.clock(),
			map[string]string{"profile": profile, "role": role}, nil)
	})
}
