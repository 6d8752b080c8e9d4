package app

import (
	"context"
	"strconv"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/policy"
)

// Check is one question to the check API: may User do Permission here, or
// on Profile?
type Check struct {
	User       string
	Permission string
	Profile    string
}

// MaxBatchChecks is the most checks one batch may ask.
const MaxBatchChecks = 100

// CheckPermission answers one check (SPEC §5). The caller must be an Active
// member of the account; it may ask about anyone with members.read, and
// about itself otherwise.
func (a *App) CheckPermission(ctx context.Context, p roster.Principal, accountID string, c Check) (policy.CheckResult, error) {
	res, err := a.CheckBatch(ctx, p, accountID, []Check{c})
	if err != nil {
		return policy.CheckResult{}, err
	}
	return res[0], nil
}

// CheckBatch answers checks in order; one bad check refuses the whole batch.
func (a *App) CheckBatch(ctx context.Context, p roster.Principal, accountID string, checks []Check) ([]policy.CheckResult, error) {
	if len(checks) == 0 || len(checks) > MaxBatchChecks {
		return nil, roster.Invalid("checks", "A batch holds 1 to %d checks.", MaxBatchChecks)
	}
	out := make([]policy.CheckResult, len(checks))
	err := a.readAccount(ctx, p, accountID, func(tx roster.Tx, acc *roster.Account, me *roster.Member) error {
		for i, c := range checks {
			if err := validCheck(tx, acc, c, i, len(checks) > 1); err != nil {
				return err
			}
			if c.User != me.UserID {
				if err := decide(acc.Catalog, policy.Request{Action: policy.ActionCheckOther, Actor: me.Policy()}); err != nil {
					return err
				}
			}
		}
		for i, c := range checks {
			var subject *policy.Member
			profileRole := ""
			m, err := tx.Member(accountID, c.User)
			switch roster.ErrorCode(err) {
			case "":
				pm := m.Policy()
				subject = &pm
				if c.Profile != "" {
					profileRole = m.ProfileRoles[c.Profile]
				}
			case roster.CodeNotFound:
			default:
				return err
			}
			out[i] = acc.Catalog.Check(subject, profileRole, c.Permission)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func validCheck(tx roster.Tx, acc *roster.Account, c Check, i int, batch bool) error {
	field := func(name string) string {
		if batch {
			return "checks[" + strconv.Itoa(i) + "]." + name
		}
		return name
	}
	if c.User == "" || len(c.User) > 64 {
		return roster.Invalid(field("user"), "A user id is required.")
	}
	if c.Permission == "" || !acc.Catalog.KnownPermission(c.Permission) {
		return roster.Invalid(field("permission"), "There is no permission %q in this account's catalog.", truncate(c.Permission, 80))
	}
	if c.Profile != "" {
		if _, err := roster.ValidateProfileName(field("profile"), c.Profile); err != nil {
			return err
		}
		ok, err := tx.ProfileExists(acc.ID, c.Profile)
		if err != nil {
			return err
		}
		if !ok {
			return roster.Invalid(field("profile"), "There is no profile %q in this account.", c.Profile)
		}
	}
	return nil
}
