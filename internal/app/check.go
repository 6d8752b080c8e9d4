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
	var out [1]policy.CheckResult
	if err := a.checkInto(ctx, p, accountID, []Check{c}, out[:], false); err != nil {
		return policy.CheckResult{}, err
	}
	return out[0], nil
}

// CheckBatch answers checks in order; one bad check refuses the whole batch.
func (a *App) CheckBatch(ctx context.Context, p roster.Principal, accountID string, checks []Check) ([]policy.CheckResult, error) {
	if len(checks) == 0 || len(checks) > MaxBatchChecks {
		return nil, roster.Invalid("checks", "A batch holds 1 to %d checks.", MaxBatchChecks)
	}
	out := make([]policy.CheckResult, len(checks))
	if err := a.checkInto(ctx, p, accountID, checks, out, true); err != nil {
		return nil, err
	}
	return out, nil
}

// checkInto answers the checks from the access cache (see access.go): one
// version read per request at most, and no other store access once the
// members asked about are cached. A batch names a bad field by its place in
// the list (checks[0].permission), even in a batch of one.
func (a *App) checkInto(ctx context.Context, p roster.Principal, accountID string, checks []Check, out []policy.CheckResult, batch bool) error {
	if !mayAsk(p, accountID) {
		return errNoAccount()
	}
	acct, actor, admitted, err := a.cachedActor(ctx, p, accountID)
	if err != nil {
		return err
	}
	if !admitted {
		return errNoAccount()
	}
	self := true // every check is about the asker
	for i, c := range checks {
		if err := a.validCheck(ctx, acct, c, i, batch); err != nil {
			return err
		}
		self = self && c.User == p.UserID
	}
	// Once per request, for all its checks.
	if err := decide(acct.catalog, policy.Request{Action: policy.ActionCheckOther, Actor: actor, Self: self}); err != nil {
		return err
	}
	if batch {
		users := make([]string, len(checks))
		for i, c := range checks {
			users[i] = c.User
		}
		if err := a.preloadMembers(ctx, acct, users); err != nil {
			return err
		}
	}
	for i, c := range checks {
		m, err := a.cachedMember(ctx, acct, c.User)
		if err != nil {
			return err
		}
		var s *policy.Subject
		if m.found {
			s = &m.subject
		}
		out[i] = acct.catalog.CheckSubject(s, c.Permission, c.Profile)
	}
	return nil
}

func (a *App) validCheck(ctx context.Context, acct *accountAccess, c Check, i int, batch bool) error {
	field := func(name string) string {
		if batch {
			return "checks[" + strconv.Itoa(i) + "]." + name
		}
		return name
	}
	if c.User == "" {
		return roster.Invalid(field("user"), "A user id is required.")
	}
	if len(c.User) > 64 {
		return roster.Invalid(field("user"), "A user id is at most 64 characters long.")
	}
	if c.Permission == "" || !acct.catalog.KnownPermission(c.Permission) {
		return roster.Invalid(field("permission"), "There is no permission %q in this account's catalog.", roster.Truncate(c.Permission, 80))
	}
	if c.Profile != "" {
		if _, err := roster.ValidateProfileName(field("profile"), c.Profile); err != nil {
			return err
		}
		ok, err := acct.hasProfile(c.Profile, func() ([]roster.Profile, error) {
			var ps []roster.Profile
			err := a.store.Read(ctx, func(tx roster.Tx) error {
				var err error
				ps, err = tx.Profiles(acct.id)
				return err
			})
			return ps, err
		})
		if err != nil {
			return err
		}
		if !ok {
			return roster.Invalid(field("profile"), "There is no profile %q in this account.", c.Profile)
		}
	}
	return nil
}
