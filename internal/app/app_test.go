package app_test

import (
	"context"
	"database/sql"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/password"
	"github.com/rosterhq/roster/internal/sqlite"
	"github.com/rosterhq/roster/policy"
)

// cheap keeps hashing fast in tests; the production cost is tested in
// package password.
var cheap = password.Params{MemoryKiB: 64, Passes: 1, Lanes: 1}

const pw = "a perfectly fine password"

type env struct {
	t     *testing.T
	ctx   context.Context
	app   *app.App
	store roster.Store
	now   time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return newEnvOn(t, s)
}

// newEnvOn is newEnv on a store of the caller's, which closes it.
func newEnvOn(t *testing.T, s roster.Store) *env {
	e := &env{t: t, ctx: context.Background(), store: s, now: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
	e.app = app.New(app.Config{
		Store: s, Hasher: password.NewHasher(cheap, 4), BaseURL: "https://roster.test",
		Now: func() time.Time { return e.now },
	})
	return e
}

func catalog(t *testing.T, name string) *policy.Catalog {
	t.Helper()
	c, err := policy.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

// account creates an account whose owner has activated, and returns the
// account id and the owner's principal.
func (e *env) account(catalogName, ownerEmail string) (string, roster.Principal) {
	e.t.Helper()
	out, err := e.app.CreateAccount(e.ctx, app.NewAccount{Name: "Acme", OwnerEmail: ownerEmail, Catalog: catalog(e.t, catalogName)})
	if err != nil {
		e.t.Fatalf("CreateAccount: %v", err)
	}
	acc, err := e.app.AcceptInvitation(e.ctx, "", app.Acceptance{Token: tokenOf(e.t, out.ActivationURL), Name: "Olive Owner", Password: pw})
	if err != nil {
		e.t.Fatalf("accept owner: %v", err)
	}
	return out.Account.ID, roster.Principal{UserID: acc.User.ID, IP: "192.0.2.1"}
}

// member invites and activates someone with role, returning their principal.
func (e *env) member(accountID string, by roster.Principal, email, role string) roster.Principal {
	e.t.Helper()
	m, err := e.app.Invite(e.ctx, by, accountID, app.Invitation{Email: email, Role: role, Name: "Name of " + email})
	if err != nil {
		e.t.Fatalf("Invite(%s, %s): %v", email, role, err)
	}
	link := e.lastLink(accountID, m.UserID)
	if _, err := e.app.AcceptInvitation(e.ctx, "", app.Acceptance{Token: tokenOf(e.t, link), Name: "Name of " + email, Password: pw}); err != nil {
		e.t.Fatalf("accept %s: %v", email, err)
	}
	return roster.Principal{UserID: m.UserID, IP: "192.0.2.2"}
}

// lastLink returns the link of the newest outbox message to the member.
func (e *env) lastLink(accountID, userID string) string {
	e.t.Helper()
	var link string
	err := e.store.Read(e.ctx, func(tx roster.Tx) error {
		msgs, err := tx.Messages("", 1000)
		if err != nil {
			return err
		}
		for _, m := range msgs { // newest first
			if m.AccountID == accountID && m.UserID == userID && m.Link != "" {
				link = m.Link
				return nil
			}
		}
		return nil
	})
	if err != nil || link == "" {
		e.t.Fatalf("no link in the outbox for %s (err %v)", userID, err)
	}
	return link
}

// resetToken asks for a password reset for email and returns the token of
// the link it mailed.
func (e *env) resetToken(email string) string {
	e.t.Helper()
	if err := e.app.RequestPasswordReset(e.ctx, email); err != nil {
		e.t.Fatal(err)
	}
	e.app.Wait()
	var link string
	err := e.store.Read(e.ctx, func(tx roster.Tx) error {
		msgs, err := tx.Messages("", 1000)
		for _, m := range msgs { // newest first
			if m.Kind == roster.MessagePasswordReset {
				link = m.Link
				break
			}
		}
		return err
	})
	if err != nil || link == "" {
		e.t.Fatalf("no password reset link in the outbox (err %v)", err)
	}
	return tokenOf(e.t, link)
}

// errOf returns the error of a call that also returns a value.
func errOf[T any](_ T, err error) error { return err }

func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := roster.ErrorCode(err); got != want {
		t.Fatalf("error code = %q (%v), want %q", got, err, want)
	}
}

func (e *env) get(accountID, userID string) *roster.Member {
	e.t.Helper()
	var m *roster.Member
	err := e.store.Read(e.ctx, func(tx roster.Tx) error {
		var err error
		m, err = tx.Member(accountID, userID)
		return err
	})
	if err != nil {
		e.t.Fatalf("Member(%s): %v", userID, err)
	}
	return m
}

func TestAccountCreationMakesPendingOwner(t *testing.T) {
	e := newEnv(t)
	out, err := e.app.CreateAccount(e.ctx, app.NewAccount{Name: "Acme", OwnerEmail: "Olive@Acme.test", Catalog: catalog(t, "bigeye")})
	if err != nil {
		t.Fatal(err)
	}
	if out.Owner.Status != roster.StatusPending || out.Owner.Role != "Owner" {
		t.Errorf("owner = %s %s, want a pending Owner", out.Owner.Status, out.Owner.Role)
	}
	if !strings.HasPrefix(out.ActivationURL, "https://roster.test/activate?token=rsi_") {
		t.Errorf("activation URL = %q", out.ActivationURL)
	}
	if out.Owner.InvitationExpiresAt == nil || !out.Owner.InvitationExpiresAt.Equal(e.now.Add(7*24*time.Hour)) {
		t.Errorf("invitation expires at %v, want 7 days from now", out.Owner.InvitationExpiresAt)
	}
	// The email is kept as written.
	if out.Owner.Email != "Olive@Acme.test" {
		t.Errorf("email = %q, want it as written", out.Owner.Email)
	}
}

func TestInviteAcceptLoginFlow(t *testing.T) {
	e := newEnv(t)
	accID, owner := e.account("bizmetry", "olive@acme.test")
	m, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "Dana@Acme.test", Role: "Developer", Name: "Dana Dev"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != roster.StatusPending || m.InvitedBy != owner.UserID || m.InvitedAt == nil {
		t.Errorf("invited member = %+v", m)
	}
	// Inviting the same email again, in any case, is a conflict.
	_, err = e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "dana@acme.TEST", Role: "Developer"})
	wantCode(t, err, roster.CodeConflict)

	// A pending member cannot log in.
	_, _, err = e.app.Login(e.ctx, "", "dana@acme.test", pw)
	wantCode(t, err, roster.CodeUnauthenticated)

	link := e.lastLink(accID, m.UserID)
	view, err := e.app.Invitation(e.ctx, tokenOf(t, link))
	if err != nil {
		t.Fatal(err)
	}
	if view.AccountName != "Acme" || view.Role != "Developer" || view.Registered {
		t.Errorf("invitation view = %+v", view)
	}
	acc, err := e.app.AcceptInvitation(e.ctx, "", app.Acceptance{Token: tokenOf(t, link), Name: "Dana Dev", Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	if acc.Member.UserID != m.UserID {
		t.Errorf("activation changed the user id: %s → %s", m.UserID, acc.Member.UserID)
	}
	if acc.Member.Status != roster.StatusActive || acc.Member.JoinedAt == nil || acc.Member.InvitationExpiresAt != nil {
		t.Errorf("activated member = %+v", acc.Member)
	}
	// The link is single-use.
	_, err = e.app.AcceptInvitation(e.ctx, "", app.Acceptance{Token: tokenOf(t, link), Name: "Mallory", Password: pw})
	wantCode(t, err, roster.CodeInvalidToken)

	raw, user, err := e.app.Login(e.ctx, "", "DANA@acme.test", pw)
	if err != nil {
		t.Fatal(err)
	}
	if user.ID != m.UserID {
		t.Errorf("login user = %s, want %s", user.ID, m.UserID)
	}
	p, err := e.app.AuthenticateSession(e.ctx, raw, "")
	if err != nil || p.UserID != m.UserID {
		t.Fatalf("AuthenticateSession = %+v, %v", p, err)
	}
	if got := e.get(accID, m.UserID); got.LastLoginAt == nil || !got.LastLoginAt.Equal(e.now) {
		t.Errorf("last login = %v, want %v", got.LastLoginAt, e.now)
	}
	// A Developer may not open user management (seed: Administrator Access Required).
	_, err = e.app.ListMembers(e.ctx, p, accID, app.MemberQuery{})
	wantCode(t, err, roster.CodeForbidden)
}

func TestLoginRefusalsAreIdentical(t *testing.T) {
	e := newEnv(t)
	accID, owner := e.account("bigeye", "olive@acme.test")
	dis := e.member(accID, owner, "dis@acme.test", "User")
	if _, err := e.app.SetStatus(e.ctx, owner, accID, dis.UserID, "disabled"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: "pending@acme.test"}); err != nil {
		t.Fatal(err)
	}
	var first string
	for _, c := range []struct{ email, pass string }{
		{"nobody@acme.test", pw},
		{"olive@acme.test", "wrong password!"},
		{"dis@acme.test", pw}, // no Active membership anywhere
		{"pending@acme.test", pw},
		{"not an email", pw},
	} {
		_, _, err := e.app.Login(e.ctx, "", c.email, c.pass)
		wantCode(t, err, roster.CodeUnauthenticated)
		if first == "" {
			first = roster.ErrorMessage(err)
		} else if got := roster.ErrorMessage(err); got != first {
			t.Errorf("login %s: message %q differs from %q", c.email, got, first)
		}
	}
}

// token signs email in and makes an API token of theirs in the account; it
// returns the session's principal, the token and its secret.
func (e *env) token(email, accID string) (roster.Principal, *roster.APIToken, string) {
	e.t.Helper()
	raw, _, err := e.app.Login(e.ctx, "", email, pw)
	if err != nil {
		e.t.Fatalf("login %s: %v", email, err)
	}
	sess, err := e.app.AuthenticateSession(e.ctx, raw, "")
	if err != nil {
		e.t.Fatal(err)
	}
	tok, secret, err := e.app.CreateToken(e.ctx, sess, app.NewToken{Name: "ci", AccountID: accID})
	if err != nil {
		e.t.Fatal(err)
	}
	return sess, tok, secret
}

func TestDisabledMemberLosesAccessAtOnce(t *testing.T) {
	e := newEnv(t)
	accID, owner := e.account("bigeye", "olive@acme.test")
	admin := e.member(accID, owner, "adam@acme.test", "Admin")
	sess, tok, rawTok := e.token("adam@acme.test", accID)
	tp, err := e.app.AuthenticateToken(e.ctx, rawTok, "")
	if err != nil || tp.TokenID != tok.ID {
		t.Fatalf("AuthenticateToken = %+v, %v", tp, err)
	}
	if _, err := e.app.ListMembers(e.ctx, tp, accID, app.MemberQuery{}); err != nil {
		t.Fatalf("token list before disable: %v", err)
	}
	if _, err := e.app.SetStatus(e.ctx, owner, accID, admin.UserID, "disabled"); err != nil {
		t.Fatal(err)
	}
	_, err = e.app.ListMembers(e.ctx, sess, accID, app.MemberQuery{})
	wantCode(t, err, roster.CodeNotFound)
	_, err = e.app.ListMembers(e.ctx, tp, accID, app.MemberQuery{})
	wantCode(t, err, roster.CodeNotFound)

	if _, err := e.app.SetStatus(e.ctx, owner, accID, admin.UserID, "active"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.ListMembers(e.ctx, sess, accID, app.MemberQuery{}); err != nil {
		t.Errorf("after enable: %v", err)
	}
	// Removal ends access too.
	if err := e.app.Remove(e.ctx, owner, accID, admin.UserID); err != nil {
		t.Fatal(err)
	}
	_, err = e.app.ListMembers(e.ctx, tp, accID, app.MemberQuery{})
	wantCode(t, err, roster.CodeNotFound)
}

func TestRoleChangeAppliesOnNextRequest(t *testing.T) {
	e := newEnv(t)
	accID, owner := e.account("bigeye", "olive@acme.test")
	u := e.member(accID, owner, "uma@acme.test", "Admin")
	other := e.member(accID, owner, "otto@acme.test", "User")
	if _, err := e.app.SetStatus(e.ctx, u, accID, other.UserID, "disabled"); err != nil {
		t.Fatalf("Admin disabling a User: %v", err)
	}
	if _, err := e.app.ChangeRole(e.ctx, owner, accID, u.UserID, "User"); err != nil {
		t.Fatal(err)
	}
	_, err := e.app.SetStatus(e.ctx, u, accID, other.UserID, "active")
	wantCode(t, err, roster.CodeForbidden)
}

func TestLastOwnerAndTransfer(t *testing.T) {
	e := newEnv(t)
	accID, owner := e.account("bizmetry", "olive@acme.test")
	mgr := e.member(accID, owner, "max@acme.test", "Organization Manager")

	_, err := e.app.ChangeRole(e.ctx, owner, accID, owner.UserID, "Architect")
	wantCode(t, err, roster.CodeLastOwner)
	if !strings.Contains(roster.ErrorMessage(err), "Assign another user as Organization Owner first") {
		t.Errorf("last owner message = %q", roster.ErrorMessage(err))
	}
	wantCode(t, e.app.Remove(e.ctx, owner, accID, owner.UserID), roster.CodeLastOwner)

	_, err = e.app.TransferOwnership(e.ctx, owner, accID, mgr.UserID, "wrong password")
	wantCode(t, err, roster.CodeForbidden)
	_, err = e.app.TransferOwnership(e.ctx, owner, accID, owner.UserID, pw)
	wantCode(t, err, roster.CodeConflict)
	_, err = e.app.TransferOwnership(e.ctx, owner, accID, "usr_nobody", pw)
	wantCode(t, err, roster.CodeNotFound)

	got, err := e.app.TransferOwnership(e.ctx, owner, accID, mgr.UserID, pw)
	if err != nil {
		t.Fatal(err)
	}
	if got.Role != "Organization Owner" {
		t.Errorf("new owner's role = %q", got.Role)
	}
	if r := e.get(accID, owner.UserID).Role; r != "Organization Manager" {
		t.Errorf("old owner's role = %q, want the fallback Organization Manager", r)
	}
	// The old owner can now leave; the new one cannot.
	wantCode(t, e.app.Remove(e.ctx, mgr, accID, mgr.UserID), roster.CodeLastOwner)
	if err := e.app.Remove(e.ctx, owner, accID, owner.UserID); err != nil {
		t.Errorf("old owner leaving: %v", err)
	}
}

func TestTransferRefusedWithToken(t *testing.T) {
	e := newEnv(t)
	accID, owner := e.account("bigeye", "olive@acme.test")
	adm := e.member(accID, owner, "adam@acme.test", "Admin")
	_, _, rawTok := e.token("olive@acme.test", accID)
	tp, _ := e.app.AuthenticateToken(e.ctx, rawTok, "")
	_, err := e.app.TransferOwnership(e.ctx, tp, accID, adm.UserID, pw)
	wantCode(t, err, roster.CodeForbidden)
	// Tokens cannot mint tokens.
	_, _, err = e.app.CreateToken(e.ctx, tp, app.NewToken{Name: "t2", AccountID: accID})
	wantCode(t, err, roster.CodeForbidden)
}

// An API token's last use is recorded, as GitHub shows a token's, at most
// once a minute: a busy client does not write on every request.
func TestTokenUseIsRecorded(t *testing.T) {
	e := newEnv(t)
	accID, owner := e.account("bigeye", "olive@acme.test")
	e.member(accID, owner, "adam@acme.test", "Admin")
	sess, _, rawTok := e.token("adam@acme.test", accID)
	lastUsed := func() *time.Time {
		t.Helper()
		toks, err := e.app.Tokens(e.ctx, sess)
		if err != nil || len(toks) != 1 {
			t.Fatalf("Tokens = %v, %v", toks, err)
		}
		return toks[0].LastUsedAt
	}
	if got := lastUsed(); got != nil {
		t.Fatalf("last used %v before any use, want none", got)
	}
	use := func() {
		t.Helper()
		if _, err := e.app.AuthenticateToken(e.ctx, rawTok, ""); err != nil {
			t.Fatalf("AuthenticateToken: %v", err)
		}
	}
	first := e.now
	use()
	if got := lastUsed(); got == nil || !got.Equal(first) {
		t.Fatalf("last used %v after a use at %v", got, first)
	}
	e.now = e.now.Add(30 * time.Second)
	use()
	if got := lastUsed(); got == nil || !got.Equal(first) {
		t.Errorf("last used %v after a use 30 s later; want %v kept (once a minute)", got, first)
	}
	e.now = e.now.Add(31 * time.Second)
	use()
	if got := lastUsed(); got == nil || !got.Equal(e.now) {
		t.Errorf("last used %v after a use 61 s after the first; want %v", got, e.now)
	}
}

// Recording a token's use never holds its request up for long: while
// another transaction holds SQLite's one writer (as a bulk invitation may
// for a second or more), the check goes on without the record.
func TestTokenUseDoesNotWaitForTheWriter(t *testing.T) {
	e := newEnv(t)
	accID, _ := e.account("bigeye", "olive@acme.test")
	_, _, rawTok := e.token("olive@acme.test", accID)
	holding, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- e.store.Write(e.ctx, accID, func(roster.Tx) error {
			close(holding)
			select {
			case <-release:
			case <-time.After(10 * time.Second): // the test failed; let it end
			}
			return nil
		})
	}()
	<-holding
	_, err := e.app.AuthenticateToken(e.ctx, rawTok, "")
	select {
	case werr := <-done:
		t.Errorf("AuthenticateToken returned only once the writer was let go")
		done <- werr
	default:
	}
	close(release)
	if err != nil {
		t.Errorf("AuthenticateToken while the writer is held: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestOneMailboxInAnySpelling: a domain written in Unicode, encoded for
// DNS, or with compatibility forms of its letters is one domain: inviting
// the same mailbox in another spelling is the conflict it is in another
// case, in one invitation or a bulk's rows, not a second person.
func TestOneMailboxInAnySpelling(t *testing.T) {
	e := newEnv(t)
	accID, owner := e.account("bizmetry", "olive@acme.test")
	for _, first := range []string{"dup@bücher.example", "dup@x.test"} {
		if _, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: first, Role: "Developer"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, again := range []string{"dup@xn--bcher-kva.example", "DUP@XN--BCHER-KVA.example", "dup@BÜCHER.example", "dup@ｘ.test"} {
		_, err := e.app.Invite(e.ctx, owner, accID, app.Invitation{Email: again, Role: "Developer"})
		wantCode(t, err, roster.CodeConflict)
	}
	rows, err := e.app.BulkInvite(e.ctx, owner, accID, strings.NewReader("email,role\nnew@xn--exmple-cua.com,SRE\nnew@exämple.com,SRE\n"), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Outcome != app.OutcomeInvited || rows[1].Outcome == app.OutcomeInvited {
		t.Errorf("a bulk naming one mailbox twice: %+v; want the first invited, not the second", rows)
	}
}

// TestTwoUsersOfOneMailboxEachSignIn: a mailbox invited in two spellings
// of its domain before DECISIONS 74 is two users, and the migrations keep
// the key of its spelling for the one whose new key the other holds
// (SQLite 10 and 11, PostgreSQL 13 and 14). Each still signs in, and gets
// a reset link, with the spelling they had: usersByEmail finds both.
func TestTwoUsersOfOneMailboxEachSignIn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roster.db")
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	e := newEnvOn(t, s)
	acc, owner := e.account("bizmetry", "owner@acme.test")
	join := func(email, pass string) string {
		m, err := e.app.Invite(e.ctx, owner, acc, app.Invitation{Email: email, Role: "Developer"})
		if err != nil {
			t.Fatal(err)
		}
		link := e.lastLink(acc, m.UserID)
		if _, err := e.app.AcceptInvitation(e.ctx, "", app.Acceptance{Token: tokenOf(t, link), Name: "C " + pass, Password: pass}); err != nil {
			t.Fatal(err)
		}
		return m.UserID
	}
	const firstPW, secondPW, samePW = "the first one's password", "the second one's password", "one password for both"
	first := join("c@bücher.example", firstPW)
	second := join("carl@acme.test", secondPW)
	firstSame := join("d@bücher.example", samePW)
	secondSame := join("dora@acme.test", samePW)
	// What a Roster from before DECISIONS 74 made of the other spelling:
	// a user of its own, keyed as written.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for user, email := range map[string]string{second: "C@XN--BCHER-KVA.example", secondSame: "d@xn--bcher-kva.example"} {
		for _, q := range []string{`UPDATE users SET email = ?1, email_key = ?2 WHERE id = ?3`, `UPDATE members SET email = ?1, email_key = ?2 WHERE user_id = ?3`} {
			if _, err := db.Exec(q, email, strings.ToLower(email), user); err != nil {
				t.Fatal(err)
			}
		}
	}

	for _, c := range []struct{ email, pass, want string }{
		{"c@xn--bcher-kva.example", secondPW, second},
		{"C@XN--BCHER-KVA.EXAMPLE", secondPW, second},
		{"c@xn--bcher-kva.example", firstPW, first},
		{"c@bücher.example", firstPW, first},
		{"c@bücher.example", secondPW, ""}, // this spelling was never the second's
		{"c@xn--bcher-kva.example", "neither one's password", ""},
		// One password for both: each is reached by the spelling they had.
		{"d@xn--bcher-kva.example", samePW, secondSame},
		{"d@bücher.example", samePW, firstSame},
	} {
		_, u, err := e.app.Login(e.ctx, "192.0.2.9", c.email, c.pass)
		switch {
		case c.want == "" && roster.ErrorCode(err) != roster.CodeUnauthenticated:
			t.Errorf("Login(%s, %q) = %v, %v; want unauthenticated", c.email, c.pass, u, err)
		case c.want != "" && (err != nil || u.ID != c.want):
			t.Errorf("Login(%s, %q) = %v, %v; want user %s", c.email, c.pass, u, err, c.want)
		}
	}

	if err := e.app.RequestPasswordReset(e.ctx, "c@xn--bcher-kva.example"); err != nil {
		t.Fatal(err)
	}
	e.app.Wait()
	got := map[string]bool{}
	err = e.store.Read(e.ctx, func(tx roster.Tx) error {
		msgs, err := tx.Messages("", 1000)
		for _, m := range msgs {
			if m.Kind == roster.MessagePasswordReset {
				got[m.UserID] = true
			}
		}
		return err
	})
	if err != nil || len(got) != 2 || !got[first] || !got[second] {
		t.Errorf("a reset asked for c@xn--bcher-kva.example was sent to %v (%v); want both users", got, err)
	}
}
