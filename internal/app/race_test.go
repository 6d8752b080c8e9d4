package app_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/postgres"
	"github.com/rosterhq/roster/internal/secret"
	"github.com/rosterhq/roster/internal/storetest"
)

// countOwners returns the Active owners of the account.
func (e *env) countOwners(accID, ownerRole string) int {
	e.t.Helper()
	var n int
	err := e.store.Read(e.ctx, func(tx roster.Tx) error {
		acc, err := tx.Account(accID)
		if err != nil {
			return err
		}
		n, err = tx.CountMembers(accID, roster.MemberFilter{
			Role: ownerRole, RoleOrder: storetest.RoleOrder(e.t, acc.Catalog, ownerRole), Status: roster.StatusActive,
		})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestOwnersRacingNeverLeaveNone: 50 goroutines race to demote, disable and
// remove each other's owners. However the race falls, at least one Active
// owner remains, every round.
func TestOwnersRacingNeverLeaveNone(t *testing.T) {
	for _, cat := range []string{"bigeye", "bizmetry"} {
		t.Run(cat, func(t *testing.T) {
			e := newEnv(t)
			accID, first := e.account(cat, "owner0@acme.test")
			ownerRole := catalog(t, cat).Owner
			fallback := catalog(t, cat).Fallback
			owners := []roster.Principal{first}
			for i := 1; i < 5; i++ {
				p := e.member(accID, first, fmt.Sprintf("owner%d@acme.test", i), ownerRole)
				owners = append(owners, p)
			}
			if n := e.countOwners(accID, ownerRole); n != 5 {
				t.Fatalf("start: %d active owners, want 5", n)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			var wg sync.WaitGroup
			var mu sync.Mutex
			succeeded := 0
			for g := 0; g < 50; g++ {
				actor := owners[rng.IntN(len(owners))]
				target := owners[rng.IntN(len(owners))]
				op := rng.IntN(3)
				wg.Add(1)
				go func() {
					defer wg.Done()
					var err error
					switch op {
					case 0:
						_, err = e.app.ChangeRole(e.ctx, actor, accID, target.UserID, fallback)
					case 1:
						_, err = e.app.SetStatus(e.ctx, actor, accID, target.UserID, "disabled")
					case 2:
						err = e.app.Remove(e.ctx, actor, accID, target.UserID)
					}
					switch code := roster.ErrorCode(err); code {
					case "":
						mu.Lock()
						succeeded++
						mu.Unlock()
					case roster.CodeLastOwner, roster.CodeNotFound, roster.CodeForbidden, roster.CodeInsufficientRole, roster.CodeConflict:
					default:
						t.Errorf("op %d by %s on %s: unexpected %v", op, actor.UserID, target.UserID, err)
					}
				}()
			}
			wg.Wait()
			if n := e.countOwners(accID, ownerRole); n < 1 {
				t.Fatalf("after the race: %d active owners", n)
			}
			if succeeded == 0 {
				t.Error("no operation succeeded: the race tested nothing")
			}
		})
	}
}

// TestTwoOwnersDemotingEachOther: the seed's worst case, 50 rounds.
func TestTwoOwnersDemotingEachOther(t *testing.T) {
	e := newEnv(t)
	accID, a := e.account("bigeye", "a@acme.test")
	b := e.member(accID, a, "b@acme.test", "Owner")
	for round := 0; round < 50; round++ {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, pair := range [][2]roster.Principal{{a, b}, {b, a}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = e.app.ChangeRole(e.ctx, pair[0], accID, pair[1].UserID, "Admin")
			}()
		}
		wg.Wait()
		if n := e.countOwners(accID, "Owner"); n != 1 {
			t.Fatalf("round %d: %d active owners, want exactly 1 (errors %v)", round, n, errs)
		}
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if c := roster.ErrorCode(err); c != roster.CodeLastOwner && c != roster.CodeInsufficientRole {
				t.Fatalf("round %d: unexpected error %v", round, err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d demotions succeeded, want 1", round, ok)
		}
		// Restore two owners for the next round.
		var owner, other roster.Principal
		if e.get(accID, a.UserID).Role == "Owner" {
			owner, other = a, b
		} else {
			owner, other = b, a
		}
		if _, err := e.app.ChangeRole(e.ctx, owner, accID, other.UserID, "Owner"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestConcurrentAcceptIsSingleUse: many tries with one link, one winner.
func TestConcurrentAcceptIsSingleUse(t *testing.T) {
	e := newEnv(t)
	accID, owner := e.account("bigeye", "olive@acme.test")
	m, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "new@acme.test", Role: "User"})
	if err != nil {
		t.Fatal(err)
	}
	tok := tokenOf(t, e.lastLink(accID, m.UserID))
	var wg sync.WaitGroup
	results := make([]error, 10)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = e.app.AcceptInvitation(e.ctx, "", app.Acceptance{Token: tok, Name: fmt.Sprintf("Taker %d", i), Password: pw})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range results {
		if err == nil {
			ok++
		}
	}
	if ok != 1 {
		t.Errorf("%d acceptances succeeded, want exactly 1 (%v)", ok, results)
	}
}

// TestInvitationLinkActivatesOnlyPending: an invitation left on a member
// who is no longer pending (a writer that raced the acceptance, or an
// older bug's leftover) neither shows on the activation page nor brings a
// disabled member back.
func TestInvitationLinkActivatesOnlyPending(t *testing.T) {
	e := newEnv(t)
	accID, owner := e.account("bigeye", "olive@acme.test")
	dana := e.member(accID, owner, "dana@acme.test", "User")
	if _, err := e.app.SetStatus(e.ctx, owner, accID, dana.UserID, "disabled"); err != nil {
		t.Fatal(err)
	}
	raw, hash := secret.NewToken("rsi_") // an invitation's prefix
	err := e.store.Write(e.ctx, accID, func(tx roster.Tx) error {
		return tx.PutInvitation(&roster.Invitation{AccountID: accID, UserID: dana.UserID, TokenHash: hash,
			ExpiresAt: e.now.Add(time.Hour), SentAt: e.now})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Invitation(e.ctx, raw); roster.ErrorCode(err) != roster.CodeInvalidToken {
		t.Errorf("the activation page of a disabled member's stray link: %v, want invalid_token", err)
	}
	_, err = e.app.AcceptInvitation(e.ctx, "", app.Acceptance{Token: raw, Password: pw})
	wantCode(t, err, roster.CodeInvalidToken)
	if st := e.get(accID, dana.UserID).Status; st != roster.StatusDisabled {
		t.Errorf("a disabled member accepted a stray link: status %s", st)
	}
}

// pauseStore pauses a Write of no account (RetryMessage's) at its first
// member read, once armed, until released.
type pauseStore struct {
	roster.Store
	armed            atomic.Bool
	reached, release chan struct{}
}

type pauseTx struct {
	roster.Tx
	s *pauseStore
}

func (t pauseTx) Member(account, user string) (*roster.Member, error) {
	m, err := t.Tx.Member(account, user)
	if t.s.armed.CompareAndSwap(true, false) {
		close(t.s.reached)
		<-t.s.release
	}
	return m, err
}

func (s *pauseStore) Write(ctx context.Context, account string, fn func(roster.Tx) error) error {
	if account != "" {
		return s.Store.Write(ctx, account, fn)
	}
	return s.Store.Write(ctx, account, func(tx roster.Tx) error { return fn(pauseTx{tx, s}) })
}

// TestRetryMessageRacingAcceptance: on PostgreSQL, where writers of
// different accounts run at once, the operator's retry of a given-up
// invitation (a resend) that has read the member as pending while the
// person accepts its link (delivered after all, though the mail server
// reported a failure) must not leave a live link on an Active member. The
// retry holds the account's lock, so one of the two wins.
func TestRetryMessageRacingAcceptance(t *testing.T) {
	s := openPostgres(t)
	ps := &pauseStore{Store: s, reached: make(chan struct{}), release: make(chan struct{})}
	e := newEnvOn(t, ps)
	accID, owner := e.account("bigeye", "olive@acme.test")
	m, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "dana@acme.test", Role: "User"})
	if err != nil {
		t.Fatal(err)
	}
	var first *roster.Message
	err = s.Write(e.ctx, accID, func(tx roster.Tx) error {
		msgs, err := tx.Messages("", 10)
		if err != nil || len(msgs) == 0 {
			return fmt.Errorf("no message: %v", err)
		}
		first = msgs[0]
		return tx.MarkMessageFailed(first.ID, "550 no such mailbox", time.Time{}) // given up
	})
	if err != nil {
		t.Fatal(err)
	}
	delivered := tokenOf(t, first.Link) // read before giving up took it off the message

	ps.armed.Store(true)
	retried := make(chan error, 1)
	go func() { _, err := e.app.RetryMessage(e.ctx, first.ID); retried <- err }()
	<-ps.reached // the retry has read Dana as pending
	accepted := make(chan error, 1)
	go func() {
		_, err := e.app.AcceptInvitation(e.ctx, "", app.Acceptance{Token: delivered, Name: "Dana", Password: pw})
		accepted <- err
	}()
	time.Sleep(200 * time.Millisecond) // let the acceptance reach the account's lock, if it waits for it
	close(ps.release)
	retryErr, acceptErr := <-retried, <-accepted
	t.Logf("retry: %v; accept: %v", retryErr, acceptErr)

	got := e.get(accID, m.UserID)
	latest := tokenOf(t, e.lastLink(accID, m.UserID))
	_, linkErr := e.app.Invitation(e.ctx, latest)
	var live bool
	err = s.Write(e.ctx, accID, func(tx roster.Tx) error {
		_, err := tx.InvitationByToken(secret.Hash(latest))
		live = err == nil
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status == roster.StatusActive && live {
		t.Errorf("Dana is Active and still holds a live invitation (retry: %v, accept: %v, page: %v)", retryErr, acceptErr, linkErr)
	}
	if (retryErr == nil) == (acceptErr == nil) {
		t.Errorf("want exactly one of the retry and the acceptance to succeed: retry %v, accept %v", retryErr, acceptErr)
	}
}

// beforeWriteStore runs first, once, before the next Write of account
// ("" for a Write of no account).
type beforeWriteStore struct {
	roster.Store
	account string
	first   func()
}

func (s *beforeWriteStore) Write(ctx context.Context, account string, fn func(roster.Tx) error) error {
	if f := s.first; f != nil && account == s.account {
		s.first = nil
		f()
	}
	return s.Store.Write(ctx, account, fn)
}

// resetPassword sets a new password on the user of email as a password
// reset does, ending every session of theirs.
func (e *env) resetPassword(email string) {
	e.t.Helper()
	if _, err := e.app.ConfirmPasswordReset(e.ctx, "", e.resetToken(email), "a brand new passphrase 123"); err != nil {
		e.t.Errorf("reset: %v", err)
	}
}

// TestLoginRefusedWhenThePasswordChangedMeanwhile: a login checks the
// password before it writes the session; a reset committed in between
// (which ends every session) refuses the login rather than leave a session
// on the old password alive after it.
func TestLoginRefusedWhenThePasswordChangedMeanwhile(t *testing.T) {
	bs := &beforeWriteStore{Store: newEnv(t).store}
	e := newEnvOn(t, bs)
	e.account("bigeye", "olive@acme.test")
	bs.first = func() { e.resetPassword("olive@acme.test") }
	_, _, err := e.app.Login(e.ctx, "", "olive@acme.test", pw) // the old password
	wantCode(t, err, roster.CodeUnauthenticated)
}

// beforeLastLoginStore runs first, once, inside a Write of account, before
// it records a login (SetLastLogin).
type beforeLastLoginStore struct {
	roster.Store
	account string
	first   func()
}

type beforeLastLoginTx struct {
	roster.Tx
	s *beforeLastLoginStore
}

func (t beforeLastLoginTx) SetLastLogin(user string, at time.Time) error {
	if f := t.s.first; f != nil {
		t.s.first = nil
		f()
	}
	return t.Tx.SetLastLogin(user, at)
}

func (s *beforeLastLoginStore) Write(ctx context.Context, account string, fn func(roster.Tx) error) error {
	if account != s.account {
		return s.Store.Write(ctx, account, fn)
	}
	return s.Store.Write(ctx, account, func(tx roster.Tx) error { return fn(beforeLastLoginTx{tx, s}) })
}

// TestAcceptRefusedWhenThePasswordChangedMeanwhile: on PostgreSQL, where
// writers of different accounts run at once, a person accepting an
// invitation with their password, while a reset of it commits (which
// locks the accounts they have joined, not the inviting one), is refused
// rather than made Active with a session on the old password: checked
// again against the new one, it is not correct.
func TestAcceptRefusedWhenThePasswordChangedMeanwhile(t *testing.T) {
	ls := &beforeLastLoginStore{Store: openPostgres(t)}
	e := newEnvOn(t, ls)
	accA, ownerA := e.account("bigeye", "olive@acme.test")
	accB, ownerB := e.account("bigeye", "bo@beta.test")
	e.member(accA, ownerA, "dana@acme.test", "User")
	m, err := e.app.Invite(e.ctx, ownerB, accB, app.Invitation{Email: "dana@acme.test", Role: "User"})
	if err != nil {
		t.Fatal(err)
	}
	link := tokenOf(t, e.lastLink(accB, m.UserID))
	ls.account, ls.first = accB, func() { e.resetPassword("dana@acme.test") }
	_, err = e.app.AcceptInvitation(e.ctx, "", app.Acceptance{Token: link, Password: pw}) // the old password
	wantCode(t, err, roster.CodeUnauthenticated)
	if st := e.get(accB, m.UserID).Status; st != roster.StatusPending {
		t.Errorf("after a refused acceptance Dana is %s, want still pending", st)
	}
}

// TestTransferRefusedWhenThePasswordChangedMeanwhile: the owner's password
// is checked before the account's lock is taken; a change of it committed
// in between (a reset by whoever holds the email, which also ends this
// session) makes the transfer a conflict rather than go through on the
// old password.
func TestTransferRefusedWhenThePasswordChangedMeanwhile(t *testing.T) {
	bs := &beforeWriteStore{Store: newEnv(t).store}
	e := newEnvOn(t, bs)
	accID, owner := e.account("bigeye", "olive@acme.test")
	admin := e.member(accID, owner, "adam@acme.test", "Admin")
	bs.account, bs.first = accID, func() {
		var old string
		err := bs.Store.Read(e.ctx, func(tx roster.Tx) error {
			u, err := tx.User(owner.UserID)
			old = u.PasswordHash
			return err
		})
		if err == nil {
			err = bs.Store.Write(e.ctx, "", func(tx roster.Tx) error { return tx.SetUserPassword(owner.UserID, old, old+"-changed") })
		}
		if err != nil {
			t.Error(err)
		}
	}
	_, err := e.app.TransferOwnership(e.ctx, owner, accID, admin.UserID, pw)
	wantCode(t, err, roster.CodeConflict)
	if got := e.get(accID, admin.UserID).Role; got != "Admin" {
		t.Errorf("the transfer went through on the old password: Adam is %s", got)
	}
}

// gateStore holds every Write until the gate opens.
type gateStore struct {
	roster.Store
	gate chan struct{}
}

func (s *gateStore) Write(ctx context.Context, account string, fn func(roster.Tx) error) error {
	<-s.gate
	return s.Store.Write(ctx, account, fn)
}

// TestResetRequestAnswersBeforeItWrites: asking for a password reset
// answers before the store is written, so that an email with a password
// (a link to write) and one without (nothing to write) answer alike; the
// link is written afterwards, and Wait waits for it.
func TestResetRequestAnswersBeforeItWrites(t *testing.T) {
	base := newEnv(t)
	base.account("bigeye", "olive@acme.test")
	gs := &gateStore{Store: base.store, gate: make(chan struct{})}
	e := newEnvOn(t, gs)
	answered := make(chan error, 2)
	go func() {
		answered <- e.app.RequestPasswordReset(e.ctx, "olive@acme.test")
		answered <- e.app.RequestPasswordReset(e.ctx, "nobody@acme.test")
	}()
	for range 2 {
		select {
		case err := <-answered:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("RequestPasswordReset waited for the store to be written")
		}
	}
	close(gs.gate)
	e.app.Wait()
	var resets int
	err := base.store.Read(e.ctx, func(tx roster.Tx) error {
		msgs, err := tx.Messages("", 100)
		for _, m := range msgs {
			if m.Kind == roster.MessagePasswordReset {
				resets++
			}
		}
		return err
	})
	if err != nil || resets != 1 {
		t.Errorf("after Wait: %d reset emails (%v), want 1, for the email with a password", resets, err)
	}
}

// showUserStore lets each Write's ShowUser return only when every Write
// that runs one has reached that point, or after a while: two acceptances
// in step. It counts the runs of each Write's function: PostgreSQL runs a
// Write again after a deadlock.
type showUserStore struct {
	roster.Store
	mu      sync.Mutex
	runs    int
	writes  int
	shown   int
	allDone chan struct{}
}

type showUserTx struct {
	roster.Tx
	s *showUserStore
}

func (t showUserTx) ShowUser(account, user string) error {
	err := t.Tx.ShowUser(account, user)
	t.s.mu.Lock()
	t.s.shown++
	if t.s.shown == 2 {
		close(t.s.allDone)
	}
	t.s.mu.Unlock()
	select {
	case <-t.s.allDone:
	case <-time.After(500 * time.Millisecond): // the other waits for this one: go on
	}
	return err
}

func (s *showUserStore) Write(ctx context.Context, account string, fn func(roster.Tx) error) error {
	s.mu.Lock()
	s.writes++
	s.mu.Unlock()
	return s.Store.Write(ctx, account, func(tx roster.Tx) error {
		s.mu.Lock()
		s.runs++
		s.mu.Unlock()
		return fn(showUserTx{tx, s})
	})
}

// TestNewPersonAcceptingTwoInvitationsAtOnce: someone new to Roster,
// invited to two accounts, accepts both at once with the same name and
// password. The second to lock its account finds the password set by the
// first since it looked, checks the given one against it, and joins too,
// rather than answering "your account changed; try again".
func TestNewPersonAcceptingTwoInvitationsAtOnce(t *testing.T) {
	for name, open := range map[string]func(*testing.T) roster.Store{
		"sqlite": func(t *testing.T) roster.Store { return newEnv(t).store }, "postgres": openPostgres,
	} {
		t.Run(name, func(t *testing.T) {
			bs := &beforeWriteStore{Store: open(t)}
			e := newEnvOn(t, bs)
			accA, olive := e.account("bigeye", "olive@acme.test")
			accB, bo := e.account("bigeye", "bo@beta.test")
			// inviteToBoth invites a new person to A and B and returns the
			// tokens of their two links.
			inviteToBoth := func(email string) (links []string) {
				for _, inv := range []struct {
					acc string
					by  roster.Principal
				}{{accA, olive}, {accB, bo}} {
					m, err := e.app.Invite(e.ctx, inv.by, inv.acc, app.Invitation{Email: email, Role: "User"})
					if err != nil {
						t.Fatal(err)
					}
					links = append(links, tokenOf(t, e.lastLink(inv.acc, m.UserID)))
				}
				return links
			}
			links := inviteToBoth("nia@new.test")
			accept := func(link, password string) error {
				_, err := e.app.AcceptInvitation(e.ctx, "", app.Acceptance{Token: link, Name: "Nia New", Password: password})
				return err
			}
			// B's acceptance commits while A's, its password checked and
			// hashed, is about to lock A.
			bs.account, bs.first = accA, func() {
				if err := accept(links[1], pw); err != nil {
					t.Errorf("accepting B: %v", err)
				}
			}
			if err := accept(links[0], pw); err != nil {
				t.Errorf("accepting A at the same moment: %v", err)
			}
			for acc, owner := range map[string]roster.Principal{accA: olive, accB: bo} {
				page, err := e.app.ListMembers(e.ctx, owner, acc, app.MemberQuery{Query: "nia", Limit: 5})
				if err != nil || len(page.Items) != 1 || page.Items[0].Status != roster.StatusActive {
					t.Errorf("Nia in %s: %+v, %v; want active", acc, page, err)
				}
			}

			// Another new person doing the same with two passwords: the
			// second is not the password now set, and is refused.
			others := inviteToBoth("omar@new.test")
			bs.account, bs.first = accA, func() {
				if err := accept(others[1], pw); err != nil {
					t.Errorf("accepting B: %v", err)
				}
			}
			wantCode(t, accept(others[0], "another long passphrase 42"), roster.CodeUnauthenticated)
		})
	}
}

// TestOnePersonAcceptingTwoInvitationsAtOnce: on PostgreSQL, a person
// already in Roster accepts invitations to two accounts at the same
// moment. Both join, and neither transaction deadlocks with the other
// (each would have been run again, after a second's stall).
func TestOnePersonAcceptingTwoInvitationsAtOnce(t *testing.T) {
	s := openPostgres(t)
	e := newEnvOn(t, s)
	accA, olive := e.account("bigeye", "olive@acme.test")
	accB, bo := e.account("bigeye", "bo@beta.test")
	accC, co := e.account("bigeye", "co@gamma.test")
	e.member(accC, co, "dana@gamma.test", "User") // Dana has a password
	var links []string
	for _, inv := range []struct {
		acc string
		by  roster.Principal
	}{{accA, olive}, {accB, bo}} {
		m, err := e.app.Invite(e.ctx, inv.by, inv.acc, app.Invitation{Email: "dana@gamma.test", Role: "User"})
		if err != nil {
			t.Fatal(err)
		}
		links = append(links, e.lastLink(inv.acc, m.UserID))
	}
	ss := &showUserStore{Store: s, allDone: make(chan struct{})}
	e2 := newEnvOn(t, ss)
	var wg sync.WaitGroup
	errs := make([]error, len(links))
	for i, link := range links {
		wg.Go(func() {
			_, errs[i] = e2.app.AcceptInvitation(e.ctx, "", app.Acceptance{Token: tokenOf(t, link), Password: pw})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("acceptance %d: %v", i, err)
		}
	}
	if ss.runs != ss.writes {
		t.Errorf("%d writes ran %d times: a deadlock made PostgreSQL run one again", ss.writes, ss.runs)
	}
}

// renameHookStore runs first, once, when a Write is about to rename a user.
type renameHookStore struct {
	roster.Store
	first func()
}

type renameHookTx struct {
	roster.Tx
	s *renameHookStore
}

func (t renameHookTx) SetUserName(user, name string) error {
	if f := t.s.first; f != nil {
		t.s.first = nil
		f()
	}
	return t.Tx.SetUserName(user, name)
}

func (s *renameHookStore) Write(ctx context.Context, account string, fn func(roster.Tx) error) error {
	return s.Store.Write(ctx, account, func(tx roster.Tx) error { return fn(renameHookTx{tx, s}) })
}

// TestRenameLogsAnAccountJoinedMeanwhile: on PostgreSQL, a person renames
// themself while their acceptance of another account's invitation
// commits. The new member shows the new name, and that account's log says
// so, like the log of every account the person had joined.
func TestRenameLogsAnAccountJoinedMeanwhile(t *testing.T) {
	s := openPostgres(t)
	hs := &renameHookStore{Store: s}
	e := newEnvOn(t, hs)
	accA, olive := e.account("bigeye", "olive@acme.test")
	accB, bo := e.account("bigeye", "bo@beta.test")
	dana := e.member(accA, olive, "dana@acme.test", "User")
	m, err := e.app.Invite(e.ctx, bo, accB, app.Invitation{Email: "dana@acme.test", Role: "User"})
	if err != nil {
		t.Fatal(err)
	}
	link := e.lastLink(accB, m.UserID)
	hs.first = func() { // the rename has read Dana's memberships: B is pending
		done := make(chan error, 1)
		go func() {
			_, err := e.app.AcceptInvitation(e.ctx, "", app.Acceptance{Token: tokenOf(t, link), Password: pw})
			done <- err
		}()
		if err := <-done; err != nil {
			t.Errorf("accept: %v", err)
		}
	}
	if _, err := e.app.SetMyName(e.ctx, dana, "Dana Renamed"); err != nil {
		t.Fatal(err)
	}
	if got := e.get(accB, dana.UserID).Name; got != "Dana Renamed" {
		t.Errorf("the account joined meanwhile shows %q", got)
	}
	page, err := e.app.Audit(e.ctx, bo, accB, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if ev := page.Items[0]; ev.Action != roster.AuditNameChanged || ev.Target != dana.UserID {
		t.Errorf("the newest event of the account joined meanwhile is %s of %s, want %s of Dana", ev.Action, ev.Target, roster.AuditNameChanged)
	}
}

// openPostgres opens a store on a new database of the throwaway server
// (skipped, or failed under ROSTER_REQUIRE_ALL, without PostgreSQL).
func openPostgres(t *testing.T) roster.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), pg.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// countingStore lets the first Write that counts the accounts wait, for up
// to a second, until another Write counts them too.
type countingStore struct {
	roster.Store
	first   atomic.Bool
	counted chan struct{}
}

type countingTx struct {
	roster.Tx
	s *countingStore
}

func (t countingTx) CountAccounts() (int, error) {
	n, err := t.Tx.CountAccounts()
	if t.s.first.CompareAndSwap(false, true) {
		select {
		case <-t.s.counted:
		case <-time.After(time.Second):
		}
	} else {
		close(t.s.counted)
	}
	return n, err
}

func (s *countingStore) Write(ctx context.Context, account string, fn func(roster.Tx) error) error {
	return s.Store.Write(ctx, account, func(tx roster.Tx) error { return fn(countingTx{tx, s}) })
}

// TestTwoFirstRunSetupsMakeOneAccount: on PostgreSQL, two first-run setups
// at once (two instances' setup links, a form sent twice) would each count
// no account before either commits; they take turns, so exactly one sets
// Roster up and the other is told it is set up already.
func TestTwoFirstRunSetupsMakeOneAccount(t *testing.T) {
	cs := &countingStore{Store: openPostgres(t), counted: make(chan struct{})}
	e := newEnvOn(t, cs)
	errs := make(chan error, 2)
	for _, who := range []string{"ada", "bea"} {
		go func() {
			_, err := e.app.SetUp(e.ctx, "", app.AccountWithOwner{AccountName: "Acme " + who, Catalog: catalog(t, "bigeye"),
				OwnerName: who, OwnerEmail: who + "@acme.test", Password: pw})
			errs <- err
		}()
	}
	var failed []error
	for range 2 {
		if err := <-errs; err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) != 1 || roster.ErrorCode(failed[0]) != roster.CodeConflict {
		t.Errorf("two setups at once: refused %v, want exactly one, a conflict", failed)
	}
	var n int
	if err := cs.Store.Read(e.ctx, func(tx roster.Tx) error { var err error; n, err = tx.CountAccounts(); return err }); err != nil || n != 1 {
		t.Errorf("after two setups at once: %d accounts (%v), want 1", n, err)
	}
}

// beforeSetPasswordStore runs first, once, inside a Write, before the
// password is set (SetUserPassword).
type beforeSetPasswordStore struct {
	roster.Store
	first func()
}

type beforeSetPasswordTx struct {
	roster.Tx
	s *beforeSetPasswordStore
}

func (t beforeSetPasswordTx) SetUserPassword(user, old, next string) error {
	if f := t.s.first; f != nil {
		t.s.first = nil
		f()
	}
	return t.Tx.SetUserPassword(user, old, next)
}

func (s *beforeSetPasswordStore) Write(ctx context.Context, account string, fn func(roster.Tx) error) error {
	return s.Store.Write(ctx, account, func(tx roster.Tx) error { return fn(beforeSetPasswordTx{tx, s}) })
}

// TestResetLinksUsedAtOnce: on PostgreSQL, two reset links of one person
// used at the same moment set one password; the other is told its link is
// no longer good (which trying again cannot mend), not to try again. The
// person left the account and was invited again, so no account lock (of an
// account they are active or disabled in) orders the two.
func TestResetLinksUsedAtOnce(t *testing.T) {
	ps := &beforeSetPasswordStore{Store: openPostgres(t)}
	e := newEnvOn(t, ps)
	acc, owner := e.account("bigeye", "olive@acme.test")
	dana := e.member(acc, owner, "dana@acme.test", "User")
	if err := e.app.Remove(e.ctx, dana, acc, dana.UserID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Invite(e.ctx, owner, acc, app.Invitation{Email: "dana@acme.test", Role: "User"}); err != nil {
		t.Fatal(err)
	}
	first, second := e.resetToken("dana@acme.test"), e.resetToken("dana@acme.test")
	ps.first = func() {
		if _, err := e.app.ConfirmPasswordReset(e.ctx, "", second, "the winning passphrase"); err != nil {
			t.Errorf("the other link: %v", err)
		}
	}
	wantCode(t, errOf(e.app.ConfirmPasswordReset(e.ctx, "", first, "the losing passphrase")), roster.CodeInvalidToken)
}
