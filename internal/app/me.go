package app

import (
	"context"
	"slices"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/password"
	"github.com/rosterhq/roster/internal/secret"
	"github.com/rosterhq/roster/policy"
)

// Me returns the principal's user and memberships.
func (a *App) Me(ctx context.Context, p roster.Principal) (*roster.User, []roster.Membership, error) {
	var (
		u  *roster.User
		ms []roster.Membership
	)
	if err := a.tokenUserAdmitted(ctx, p); err != nil {
		return nil, nil, err
	}
	err := a.store.Read(ctx, func(tx roster.Tx) error {
		var err error
		if u, err = tx.User(p.UserID); err != nil {
			return err
		}
		ms, err = tx.Memberships(p.UserID)
		return err
	})
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil, nil, errUnauthenticated()
	}
	if err != nil {
		return nil, nil, err
	}
	// A token sees only its own account.
	kept := ms[:0]
	for _, m := range ms {
		if policy.TokenReaches(p.ViaToken(), p.TokenAccount, m.AccountID) {
			kept = append(kept, m)
		}
	}
	ms = kept
	return u, ms, nil
}

// MayChangeName and MayChangePassword tell a caller, before it reads a
// request's body, whether the principal may change their own name or
// password at all (an API token may not), so that forbidden comes before
// anything wrong with the body.
func (a *App) MayChangeName(p roster.Principal) error { return decideSelf(policy.ActionChangeName, p) }

// MayChangePassword: see MayChangeName.
func (a *App) MayChangePassword(p roster.Principal) error {
	return decideSelf(policy.ActionChangePassword, p)
}

// renameBurst is how many times a person may change their name at once;
// then once a minute.
const renameBurst = 5

// SetMyName changes the principal's own name: a person's name is theirs.
func (a *App) SetMyName(ctx context.Context, p roster.Principal, name string) (*roster.User, error) {
	if err := decideSelf(policy.ActionChangeName, p); err != nil {
		return nil, err
	}
	name, err := roster.ValidateName("name", name)
	if err != nil {
		return nil, err
	}
	var u *roster.User
	err = a.store.Write(ctx, "", func(tx roster.Tx) error {
		// The accounts' locks first, in order, as every writer takes them.
		if _, err := lockMemberAccounts(tx, p.UserID); err != nil {
			return err
		}
		before, err := tx.User(p.UserID)
		if err != nil {
			return err
		}
		if before.Name == name {
			u = before
			return nil
		}
		// A rename is an event in the log of every account the person has
		// joined: a few at once, then one a minute (a loop of renames
		// wrote hundreds a second into each).
		if ok, _, err := tx.TakeAttempt("rename:"+p.UserID, renameBurst, time.Minute, a.clock()); err != nil {
			return err
		} else if !ok {
			return roster.Errorf(roster.CodeRateLimited, "Your name was changed several times just now; wait a minute before changing it again.")
		}
		if err := tx.SetUserName(p.UserID, name); err != nil {
			return err
		}
		// An acceptance that committed after the memberships were read
		// (on PostgreSQL, SetUserName waited for it) was renamed too:
		// its account is locked and logged with the others.
		accounts, err := lockMemberAccounts(tx, p.UserID)
		if err != nil {
			return err
		}
		// Written to each account the person has joined, as a password
		// change is (DECISIONS 40): its members see the new name.
		now := a.clock()
		for _, id := range accounts {
			if err := audit(tx, p, id, roster.AuditNameChanged, p.UserID, now,
				map[string]string{"name": before.Name}, map[string]string{"name": name}); err != nil {
				return err
			}
		}
		u, err = tx.User(p.UserID)
		return err
	})
	return u, err
}

// ChangePassword sets a new password after checking the current one, and
// ends the user's other sessions (SPEC §4).
func (a *App) ChangePassword(ctx context.Context, p roster.Principal, current, next string) error {
	if err := decideSelf(policy.ActionChangePassword, p); err != nil {
		return err
	}
	var u *roster.User
	err := a.store.Read(ctx, func(tx roster.Tx) error {
		var err error
		u, err = tx.User(p.UserID)
		return err
	})
	if err != nil {
		return err
	}
	ok, err := a.hasher.Verify(ctx, current, u.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		return roster.Invalid("current", "The current password is not correct.")
	}
	if err := password.Validate("new", next, u.Email); err != nil {
		return err
	}
	hash, err := a.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	return a.store.Write(ctx, "", func(tx roster.Tx) error {
		accounts, err := lockMemberAccounts(tx, u.ID)
		if err != nil {
			return err
		}
		// Only over the hash the current password was checked against.
		if err := tx.SetUserPassword(u.ID, u.PasswordHash, hash); err != nil {
			return err
		}
		if _, err := tx.DeleteUserSessions(u.ID, p.SessionID); err != nil {
			return err
		}
		if err := tx.DeletePasswordResets(u.ID); err != nil {
			return err
		}
		now := a.clock()
		if err := auditEach(tx, p, accounts, roster.AuditPasswordChanged, now); err != nil {
			return err
		}
		return tx.EnqueueMessage(&roster.Message{
			Kind: roster.MessagePasswordChanged, To: u.Email, UserID: u.ID,
			Data: map[string]string{"name": u.Name, "at": now.Format(time.RFC3339)}, NextAttemptAt: now, CreatedAt: now,
		})
	})
}

// lockMemberAccounts takes the write locks of the accounts the user is an
// active or disabled member of, in ascending id order as roster.Tx asks, and
// returns them: the accounts whose logs record a change the user makes to
// their own password or name. (A pending member has not joined yet.) Memberships
// are read again once the locks are held, until no account is new: one the
// user joined meanwhile is locked too (out of order, which on PostgreSQL
// may deadlock and run the Write again), and one the user left drops out.
func lockMemberAccounts(tx roster.Tx, user string) ([]string, error) {
	locked := map[string]bool{}
	for {
		ms, err := tx.Memberships(user)
		if err != nil {
			return nil, err
		}
		var ids, fresh []string
		for _, m := range ms {
			if m.Status != roster.StatusPending {
				ids = append(ids, m.AccountID)
				if !locked[m.AccountID] {
					fresh = append(fresh, m.AccountID)
				}
			}
		}
		if len(fresh) == 0 {
			return ids, nil
		}
		slices.Sort(fresh)
		for _, id := range fresh {
			if err := tx.LockAccount(id); err != nil {
				return nil, err
			}
			locked[id] = true
		}
	}
}

// auditEach appends the principal's change to their own user to the log of
// each account, whose lock the transaction holds.
func auditEach(tx roster.Tx, p roster.Principal, accounts []string, action string, at time.Time) error {
	for _, id := range accounts {
		if err := audit(tx, p, id, action, p.UserID, at, nil, nil); err != nil {
			return err
		}
	}
	return nil
}

// RequestPasswordReset emails a single-use reset link when the email
// belongs to a user with a password. It checks the email, then returns at
// once, the same whether or not it does; the link is written in the
// background (Wait).
func (a *App) RequestPasswordReset(ctx context.Context, email string) error {
	email, err := roster.NormalizeEmail("email", email)
	if err != nil {
		return err
	}
	// The work is done after the answer: whether it writes a link or
	// finds nothing to do must not show in how long the answer takes.
	a.background.Go(func() {
		if err := a.requestReset(context.WithoutCancel(ctx), email); err != nil {
			a.log.Error("password reset request", "err", err)
		}
	})
	return nil
}

// maxLiveResets is how many reset links of one user may be out at once.
const maxLiveResets = 3

// requestReset writes a reset link and its email for each user with this
// email (usersByEmail) who has a password, an account to use it in and
// fewer than maxLiveResets links.
func (a *App) requestReset(ctx context.Context, email string) error {
	err := a.store.Write(ctx, "", func(tx roster.Tx) error {
		users, err := usersByEmail(tx, email)
		if err != nil {
			return err
		}
		for _, u := range users {
			if err := a.resetFor(tx, u); err != nil && roster.ErrorCode(err) != roster.CodeNotFound {
				return err
			}
		}
		return nil
	})
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil
	}
	return err
}

// resetFor writes a reset link and its email for u, or returns not_found
// when u has no password, no account to use it in, or enough links out.
func (a *App) resetFor(tx roster.Tx, u *roster.User) error {
	if !u.Registered() {
		return roster.Errorf(roster.CodeNotFound, "no password to reset")
	}
	// A password opens an account they are active in, or accepts an
	// invitation (a person re-invited who forgot theirs); with
	// neither, a link would end at a sign-in that refuses them.
	ms, err := tx.Memberships(u.ID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(ms, func(m roster.Membership) bool {
		return m.Status == roster.StatusActive || m.Status == roster.StatusPending
	}) {
		return roster.Errorf(roster.CodeNotFound, "no account to sign in to")
	}
	// The links asked for before keep working until they expire or
	// one of them is used: anyone may ask for a reset of anyone's
	// password, and a new link replacing the older ones would let
	// them spoil every link its owner is sent (DECISIONS 63). While
	// maxLiveResets are out, asking again sends nothing more: the
	// owner has working links, and their inbox is not flooded.
	now := a.clock()
	live, err := tx.PrunePasswordResets(u.ID, now)
	if err != nil {
		return err
	}
	if live >= maxLiveResets {
		return roster.Errorf(roster.CodeNotFound, "enough reset links out")
	}
	raw, hash := secret.NewToken(prefixReset)
	if err := tx.CreatePasswordReset(&roster.PasswordReset{Hash: hash, UserID: u.ID, ExpiresAt: now.Add(a.resetTTL)}); err != nil {
		return err
	}
	return tx.EnqueueMessage(&roster.Message{
		Kind: roster.MessagePasswordReset, To: u.Email, UserID: u.ID,
		Data: map[string]string{"name": u.Name, "expires_at": now.Add(a.resetTTL).Format(time.RFC3339)},
		Link: a.link("/reset-password", raw), NextAttemptAt: now, CreatedAt: now,
	})
}

// CheckPasswordReset returns invalid_token unless the reset link's token
// works, for the page that asks for the new password.
func (a *App) CheckPasswordReset(ctx context.Context, token string) error {
	_, err := a.resetUser(ctx, token)
	return err
}

// resetUser returns the user of a working reset link's token, or
// invalid_token.
func (a *App) resetUser(ctx context.Context, token string) (*roster.User, error) {
	if !secret.LooksLikeToken(prefixReset, token) {
		return nil, errBadReset()
	}
	var u *roster.User
	err := a.store.Read(ctx, func(tx roster.Tx) error {
		r, err := tx.PasswordResetByHash(secret.Hash(token))
		if err != nil {
			return err
		}
		if !a.clock().Before(r.ExpiresAt) {
			return roster.Errorf(roster.CodeNotFound, "expired")
		}
		u, err = tx.User(r.UserID)
		return err
	})
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil, errBadReset()
	}
	return u, err
}

// errBadReset is the one answer for a reset link that was used, expired,
// replaced or never existed.
func errBadReset() error {
	return roster.Errorf(roster.CodeInvalidToken, "This password reset link is not valid: it has been used, has expired, or the password was set since.")
}

// ConfirmPasswordReset sets a new password with a reset link's token, for
// a client at ip. It ends every session of the user and kills every other
// reset link. It reports whether the user is active in an account, where
// the password signs them in; if not, it serves to accept an invitation.
func (a *App) ConfirmPasswordReset(ctx context.Context, ip, token, next string) (active bool, err error) {
	u, err := a.resetUser(ctx, token)
	if err != nil {
		return false, err
	}
	if err := password.Validate("password", next, u.Email); err != nil {
		return false, err
	}
	hash, err := a.hasher.Hash(ctx, next)
	if err != nil {
		return false, err
	}
	err = a.store.Write(ctx, "", func(tx roster.Tx) error {
		// Looked up again so that two uses of one link cannot both succeed.
		if _, err := tx.PasswordResetByHash(secret.Hash(token)); err != nil {
			return err
		}
		accounts, err := lockMemberAccounts(tx, u.ID)
		if err != nil {
			return err
		}
		if active, err = activeIn(tx, u.ID); err != nil {
			return err
		}
		// A password set meanwhile (this link used at the same moment,
		// a change) killed every reset link: this one is no longer good,
		// and trying again cannot help.
		if err := tx.SetUserPassword(u.ID, u.PasswordHash, hash); roster.ErrorCode(err) == roster.CodeConflict {
			return errBadReset()
		} else if err != nil {
			return err
		}
		if err := tx.DeletePasswordResets(u.ID); err != nil {
			return err
		}
		if _, err := tx.DeleteUserSessions(u.ID, ""); err != nil {
			return err
		}
		now := a.clock()
		p := roster.Principal{UserID: u.ID, IP: ip}
		if err := auditEach(tx, p, accounts, roster.AuditPasswordReset, now); err != nil {
			return err
		}
		// As after a change: whoever holds the mailbox, or a session, may
		// not be the one who reset it.
		return tx.EnqueueMessage(&roster.Message{
			Kind: roster.MessagePasswordChanged, To: u.Email, UserID: u.ID,
			Data: map[string]string{"name": u.Name, "at": now.Format(time.RFC3339), "reset": "true"}, NextAttemptAt: now, CreatedAt: now,
		})
	})
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return false, errBadReset()
	}
	return active, err
}
