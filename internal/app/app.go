// Package app holds Roster's use cases. Each one validates its input, asks
// the policy, and applies the change in one store transaction together with
// its audit event and any outgoing message. It is the only place where a
// permission is enforced; the API, the web UI and the CLI call it.
package app

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/password"
	"github.com/rosterhq/roster/internal/secret"
	"github.com/rosterhq/roster/policy"
)

// Token prefixes, so that a leaked token is recognisable for what it is.
const (
	prefixInvite  = "rsi_"
	prefixSession = "rss_"
	prefixAPI     = "rst_"
	prefixReset   = "rsr_"
)

// Config holds what the use cases need from outside.
type Config struct {
	Store  roster.Store
	Hasher *password.Hasher
	// BaseURL is the service's public address, for links in emails.
	BaseURL string
	Logger  *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// SessionIdle and SessionMax bound a session's life: it ends after
	// SessionIdle without a request, and SessionMax after login at the latest.
	SessionIdle time.Duration
	SessionMax  time.Duration
	// ResetTTL is how long a password reset link stays valid.
	ResetTTL time.Duration
}

// App runs the use cases.
type App struct {
	store   roster.Store
	hasher  *password.Hasher
	baseURL string
	log     *slog.Logger
	now     func() time.Time

	sessionIdle, sessionMax, resetTTL time.Duration

	// access caches what the check path reads, by account version.
	access *accessCache
	// tokenUses keeps requests from recording one token's use twice.
	tokenUses tokenUses
	// background is the work left running after an answer (Wait).
	background sync.WaitGroup
}

// Wait waits for the work that use cases left running after they answered
// (password reset requests), for a clean shutdown before the store closes.
func (a *App) Wait() { a.background.Wait() }

// New returns an App.
func New(c Config) *App {
	a := &App{
		store:       c.Store,
		hasher:      c.Hasher,
		baseURL:     strings.TrimRight(c.BaseURL, "/"),
		log:         c.Logger,
		now:         c.Now,
		sessionIdle: c.SessionIdle,
		sessionMax:  c.SessionMax,
		resetTTL:    c.ResetTTL,
		access:      newAccessCache(),
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.hasher == nil {
		a.hasher = password.NewHasher(password.DefaultParams, 2)
	}
	if a.sessionIdle == 0 {
		a.sessionIdle = 7 * 24 * time.Hour
	}
	if a.sessionMax == 0 {
		a.sessionMax = 30 * 24 * time.Hour
	}
	if a.resetTTL == 0 {
		a.resetTTL = time.Hour
	}
	return a
}

// clock returns the current time truncated to what stores keep.
func (a *App) clock() time.Time { return a.now().UTC().Truncate(time.Microsecond) }

// account returns the account as the transaction sees it (the stores keep
// parsed catalogs, which never change, cached themselves).
func (a *App) account(tx roster.Tx, id string) (*roster.Account, error) {
	return tx.Account(id)
}

// errNoAccount is what anyone who is not an Active member of an account gets
// for anything in it: the account's existence is not theirs to learn.
func errNoAccount() error {
	return roster.Errorf(roster.CodeNotFound, "No such account.")
}

// actor loads the account and the caller's membership of it, fresh inside
// the transaction, so that a disable, removal or role change takes effect on
// the caller's very next request. Anyone but an Active member gets not_found.
func (a *App) actor(tx roster.Tx, p roster.Principal, accountID string) (*roster.Account, *roster.Member, error) {
	if !mayAsk(p, accountID) {
		return nil, nil, errNoAccount()
	}
	acc, err := a.account(tx, accountID)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil, nil, errNoAccount()
	} else if err != nil {
		return nil, nil, err
	}
	m, err := tx.Member(accountID, p.UserID)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil, nil, errNoAccount()
	} else if err != nil {
		return nil, nil, err
	}
	if pm := m.Policy(); !policy.Admits(&pm) {
		return nil, nil, errNoAccount()
	}
	return acc, m, nil
}

// Admit returns not_found unless the principal is an Active member of the
// account, read fresh. An account-scoped route asks it when it refuses a
// caller's input, so that anyone but a member is told not_found whatever
// they sent (SPEC §5), as the use cases tell them once the input is good.
func (a *App) Admit(ctx context.Context, p roster.Principal, accountID string) error {
	return a.store.Read(ctx, func(tx roster.Tx) error {
		_, _, err := a.actor(tx, p, accountID)
		return err
	})
}

// mayAsk reports whether the principal may ask about the account at all,
// before its membership is read: a signed-in user whom policy.TokenReaches
// lets reach it. The membership itself is policy.Admits'.
func mayAsk(p roster.Principal, accountID string) bool {
	return p.UserID != "" && accountID != "" && policy.TokenReaches(p.ViaToken(), p.TokenAccount, accountID)
}

// inAccount runs fn in a write transaction holding the account's lock, with
// the caller's fresh membership.
func (a *App) inAccount(ctx context.Context, p roster.Principal, accountID string,
	fn func(tx roster.Tx, acc *roster.Account, me *roster.Member) error) error {
	if accountID == "" {
		return errNoAccount()
	}
	ran := false
	err := a.store.Write(ctx, accountID, func(tx roster.Tx) error {
		ran = true
		acc, me, err := a.actor(tx, p, accountID)
		if err != nil {
			return err
		}
		return fn(tx, acc, me)
	})
	if !ran && roster.ErrorCode(err) == roster.CodeNotFound {
		return errNoAccount() // the store's own message could name the account
	}
	return err
}

// readAccount is inAccount for reads.
func (a *App) readAccount(ctx context.Context, p roster.Principal, accountID string,
	fn func(tx roster.Tx, acc *roster.Account, me *roster.Member) error) error {
	if accountID == "" {
		return errNoAccount()
	}
	return a.store.Read(ctx, func(tx roster.Tx) error {
		acc, me, err := a.actor(tx, p, accountID)
		if err != nil {
			return err
		}
		return fn(tx, acc, me)
	})
}

// decide asks the policy and turns a refusal into an error.
func decide(c *policy.Catalog, r policy.Request) error {
	d := c.Decide(r)
	if d.Allowed {
		return nil
	}
	e := roster.Errorf(d.Code, "%s", d.Reason)
	e.Field = d.Field
	return e
}

// decideSelf asks the policy about an action on the principal's own identity.
func decideSelf(a policy.SelfAction, p roster.Principal) error {
	if d := policy.DecideSelf(a, p.ViaToken()); !d.Allowed {
		return roster.Errorf(d.Code, "%s", d.Reason)
	}
	return nil
}

// activeOwners counts the Active members holding the owner role.
func activeOwners(tx roster.Tx, acc *roster.Account) (int, error) {
	return tx.CountMembers(acc.ID, withRole(roster.MemberFilter{Status: roster.StatusActive}, acc.Catalog, acc.Catalog.Owner))
}

// withRole returns f filtered by role, with the role's position in the
// catalog, which the stores filter on.
func withRole(f roster.MemberFilter, c *policy.Catalog, role string) roster.MemberFilter {
	f.Role, f.RoleOrder = role, c.Order(role)
	return f
}

// audit appends an event for the caller.
func audit(tx roster.Tx, p roster.Principal, accountID, action, target string, at time.Time, before, after map[string]string) error {
	return tx.AppendAudit(&roster.AuditEvent{
		AccountID: accountID, At: at, Actor: p.UserID, Action: action, Target: target,
		Before: before, After: after, IP: p.IP,
	})
}

// memberNotFound is the answer for a member id that is not in the account.
func memberNotFound() error {
	return roster.Errorf(roster.CodeNotFound, "No such member in this account.")
}

// target loads a member of the account; not_found when there is none.
func target(tx roster.Tx, accountID, userID string) (*roster.Member, error) {
	if userID == "" {
		return nil, memberNotFound()
	}
	m, err := tx.Member(accountID, userID)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil, memberNotFound()
	}
	return m, err
}

// link returns an absolute link to path with the token as its query.
func (a *App) link(path, token string) string {
	return a.baseURL + path + "?token=" + token
}

// newToken makes a token of the given kind.
func newToken(prefix string) (raw, hash string) { return secret.NewToken(prefix) }
