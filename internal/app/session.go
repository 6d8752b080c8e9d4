package app

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/secret"
	"github.com/rosterhq/roster/policy"
)

// errLogin is the one answer to every failed login: unknown email, wrong
// password, no password yet, no Active membership anywhere.
func errLogin() error {
	return roster.Errorf(roster.CodeUnauthenticated, "The email or password is incorrect.")
}

// Login checks an email and password and starts a session (SPEC §4). Every
// failure gets the same answer after the same work (one password hash per
// user the email names: one, or two where usersByEmail finds a user who
// kept the key of this spelling), so that neither the answer nor its
// timing tells who has an account.
func (a *App) Login(ctx context.Context, ip, email, pass string) (string, *roster.User, error) {
	var users []*roster.User
	var active []bool
	if email, err := roster.NormalizeEmail("email", email); err == nil {
		err := a.store.Read(ctx, func(tx roster.Tx) error {
			var err error
			if users, err = usersByEmail(tx, email); err != nil {
				return err
			}
			active = make([]bool, len(users))
			for i, u := range users {
				if active[i], err = activeIn(tx, u.ID); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil && roster.ErrorCode(err) != roster.CodeNotFound {
			return "", nil, err
		}
	}
	if len(users) == 0 {
		if err := a.hasher.VerifyDummy(ctx, pass); err != nil {
			return "", nil, err
		}
		return "", nil, errLogin()
	}
	var user *roster.User
	for i, u := range users {
		ok, err := a.hasher.Verify(ctx, pass, u.PasswordHash) // an empty hash pays for a dummy
		if err != nil {
			return "", nil, err
		}
		if ok && active[i] {
			user = u
			break
		}
	}
	if user == nil {
		return "", nil, errLogin()
	}
	var raw string
	err := a.store.Write(ctx, "", func(tx roster.Tx) error {
		now := a.clock()
		// The login's write locks the user's row first (on PostgreSQL),
		// then the password checked is read again: a reset or a change
		// committed since, which ended every session, ends this login too
		// rather than see a session on the old password outlive it.
		if err := tx.SetLastLogin(user.ID, now); err != nil {
			return err
		}
		if u, err := tx.User(user.ID); err != nil {
			return err
		} else if u.PasswordHash != user.PasswordHash {
			return errLogin()
		}
		var err error
		raw, err = a.startSession(tx, user.ID, now)
		return err
	})
	if err != nil {
		return "", nil, err
	}
	return raw, user, nil
}

// usersByEmail returns the users an email names: a user made before
// DECISIONS 74 who kept the key of this spelling (WrittenEmailKey)
// because the other spelling's was taken, when there is one, then the user
// its key names (EmailKey). One mailbox may be two such users, each with a
// password of their own or the same one, and each signs in and resets it
// with the spelling they had: the one who kept it is tried first, since the
// other is also found by the spelling that only they have. Returns
// not_found when there is neither.
func usersByEmail(tx roster.Tx, email string) ([]*roster.User, error) {
	var users []*roster.User
	if roster.WrittenEmailKey(email) != roster.EmailKey(email) {
		switch w, err := tx.UserByWrittenEmail(email); {
		case err == nil:
			users = append(users, w)
		case roster.ErrorCode(err) != roster.CodeNotFound:
			return nil, err
		}
	}
	switch u, err := tx.UserByEmail(email); {
	case err == nil:
		if len(users) == 0 || users[0].ID != u.ID {
			users = append(users, u)
		}
	case roster.ErrorCode(err) != roster.CodeNotFound:
		return nil, err
	}
	if len(users) == 0 {
		return nil, roster.Errorf(roster.CodeNotFound, "no user with this email")
	}
	return users, nil
}

// activeIn reports whether the user is an Active member of some account,
// which signing in requires.
func activeIn(tx roster.Tx, user string) (bool, error) {
	ms, err := tx.Memberships(user)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(ms, func(m roster.Membership) bool {
		pm := m.Policy()
		return policy.Admits(&pm)
	}), nil
}

// startSession stores a new session and returns its raw token. A new session
// id at every login means a session fixed before login is worthless.
func (a *App) startSession(tx roster.Tx, userID string, now time.Time) (string, error) {
	raw, hash := secret.NewToken(prefixSession)
	s := &roster.Session{ID: hash, UserID: userID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(a.sessionIdle)}
	if err := tx.CreateSession(s); err != nil {
		return "", err
	}
	return raw, nil
}

// Logout ends the principal's session; other sessions stay.
func (a *App) Logout(ctx context.Context, p roster.Principal) error {
	if err := decideSelf(policy.ActionSignOut, p); err != nil {
		return err
	}
	if p.SessionID == "" {
		return errUnauthenticated()
	}
	err := a.store.Write(ctx, "", func(tx roster.Tx) error { return tx.DeleteSession(p.SessionID) })
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil // already gone: signing out twice is not an error
	}
	return err
}

func errUnauthenticated() error {
	return roster.Errorf(roster.CodeUnauthenticated, "Please sign in.")
}

// touchEvery limits how often a session's idle deadline is pushed forward,
// and an API token's last use recorded, so that a busy client does not
// write on every request.
const touchEvery = time.Minute

// AuthenticateSession returns the principal of a session cookie's token.
func (a *App) AuthenticateSession(ctx context.Context, raw, ip string) (roster.Principal, error) {
	if !secret.LooksLikeToken(prefixSession, raw) {
		return roster.Principal{}, errUnauthenticated()
	}
	id := secret.Hash(raw)
	var s *roster.Session
	err := a.store.Read(ctx, func(tx roster.Tx) error {
		var err error
		s, err = tx.Session(id)
		return err
	})
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return roster.Principal{}, errUnauthenticated()
	} else if err != nil {
		return roster.Principal{}, err
	}
	now := a.clock()
	if !now.Before(s.ExpiresAt) || !now.Before(s.CreatedAt.Add(a.sessionMax)) {
		return roster.Principal{}, errUnauthenticated()
	}
	if now.Sub(s.LastSeenAt) >= touchEvery {
		expires := now.Add(a.sessionIdle)
		if max := s.CreatedAt.Add(a.sessionMax); expires.After(max) {
			expires = max
		}
		err := a.store.Write(ctx, "", func(tx roster.Tx) error { return tx.TouchSession(id, now, expires) })
		if err != nil && roster.ErrorCode(err) != roster.CodeNotFound {
			return roster.Principal{}, err
		}
	}
	return roster.Principal{UserID: s.UserID, SessionID: id, IP: ip}, nil
}

// errBadToken is the answer to a token that is not one of ours, made only
// when needed: AuthenticateToken runs on every check.
func errBadToken() error {
	return roster.Errorf(roster.CodeUnauthenticated, "The API token is not valid.")
}

// AuthenticateToken returns the principal of an API token. The token acts
// in its one account with its user's current role there, checked afresh by
// every use case. One statement reads the token and its account's version,
// which is all the store access a check then needs.
func (a *App) AuthenticateToken(ctx context.Context, raw, ip string) (roster.Principal, error) {
	if !secret.LooksLikeToken(prefixAPI, raw) {
		return roster.Principal{}, errBadToken()
	}
	t, version, err := a.store.APITokenVersion(ctx, secret.Hash(raw))
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return roster.Principal{}, errBadToken()
	} else if err != nil {
		return roster.Principal{}, err
	}
	now := a.clock()
	if t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
		return roster.Principal{}, roster.Errorf(roster.CodeUnauthenticated, "The API token has expired.")
	}
	if (t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= touchEvery) && a.tokenUses.claim(t.ID, now) {
		a.recordTokenUse(ctx, t.ID, now)
	}
	return roster.Principal{UserID: t.UserID, TokenID: t.ID, TokenAccount: t.AccountID, AccountVersion: version, IP: ip}, nil
}

// tokenUserAdmitted refuses a principal of an API token whose user the
// policy does not admit to the token's account (not an Active member
// there: disabled, say), on the user's own routes (/me, /tokens). A token
// acts only in its account, so it then stands for nobody until they are
// enabled again (SPEC §4: disabled members lose access on their next
// request, API tokens alike). The account's routes answer such a token
// not_found, as they answer anyone not an Active member (SPEC §5); these
// routes, which are nobody else's, answer unauthenticated.
func (a *App) tokenUserAdmitted(ctx context.Context, p roster.Principal) error {
	if !p.ViaToken() {
		return nil
	}
	_, _, admitted, err := a.cachedActor(ctx, p, p.TokenAccount)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return errBadToken()
	} else if err != nil {
		return err
	}
	if !admitted {
		return roster.Errorf(roster.CodeUnauthenticated, "The API token cannot be used while its user is not an active member of its account.")
	}
	return nil
}

// tokenUseWait bounds how long a request waits to record its token's use:
// on SQLite a write waits for the one writer, which a bulk invitation may
// hold for a second or more.
const tokenUseWait = 50 * time.Millisecond

// recordTokenUse writes that the token was used at now. The request does
// not depend on the record, so it waits for it at most tokenUseWait, and a
// failure is logged, not answered (the next try is a minute later).
func (a *App) recordTokenUse(ctx context.Context, id string, now time.Time) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tokenUseWait)
	defer cancel()
	err := a.store.Write(ctx, "", func(tx roster.Tx) error { return tx.TouchAPIToken(id, now) })
	if err != nil {
		a.log.Warn("could not record an API token's use", "token", id, "err", err)
	}
}

// tokenUses remembers when this process last recorded each API token's
// use. A token's record is older than touchEvery for every request that
// reads it until the write commits; of those requests, the first writes it
// and the others go on without waiting for the write or repeating it.
type tokenUses struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// maxTokenUses bounds tokenUses; when it is full it starts again empty,
// which costs at most one more write per token.
const maxTokenUses = 10_000

// claim reports whether the caller is to record the token's use at now:
// true once per touchEvery for each token, in this process.
func (u *tokenUses) claim(id string, now time.Time) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if last, ok := u.last[id]; ok && now.Sub(last) < touchEvery {
		return false
	}
	if u.last == nil || len(u.last) >= maxTokenUses {
		u.last = map[string]time.Time{}
	}
	u.last[id] = now
	return true
}

// Sweep deletes the sessions, reset links, rate-limit buckets and old
// messages that have run out (Tx.Sweep), and returns how many rows went.
// It deletes them sweepBatch of a kind at a time, each batch its own
// transaction: the first sweep after an upgrade may find years of sent
// messages, which one transaction would hold the database for (and in
// roster serve, whose transactions are bounded, never finish).
func (a *App) Sweep(ctx context.Context) (int64, error) {
	var total int64
	for {
		var n int64
		err := a.store.Write(ctx, "", func(tx roster.Tx) error {
			var err error
			n, err = tx.Sweep(a.clock(), sweepBatch)
			return err
		})
		total += n
		if err != nil || n < sweepBatch { // no kind filled its batch
			return total, err
		}
	}
}

// sweepBatch is how many rows of a kind a sweep deletes in one transaction.
const sweepBatch = 10_000

// SweepEvery sweeps now and then every interval until ctx ends. A failed
// sweep is logged; the next one does its work.
func (a *App) SweepEvery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := a.Sweep(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("sweep expired sessions, reset links and rate-limit buckets", "err", err)
		} else if n > 0 {
			a.log.Debug("swept expired rows", "rows", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
