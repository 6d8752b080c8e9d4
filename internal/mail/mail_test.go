package mail_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/mail"
	"github.com/rosterhq/roster/internal/password"
	"github.com/rosterhq/roster/internal/smtptest"
	"github.com/rosterhq/roster/internal/sqlite"
	"github.com/rosterhq/roster/policy"
)

func templates(t *testing.T) *mail.Templates {
	t.Helper()
	tpl, err := mail.ParseTemplates()
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// smtpMailer is the SMTP mailer of url, introducing itself by the
// machine's name.
func smtpMailer(t *testing.T, url string) *mail.SMTPMailer {
	t.Helper()
	m, err := mail.NewSMTPMailer(url, "")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSMTPDeliversMultipartWithStableID(t *testing.T) {
	srv := smtptest.Start(t, "roster", "s3cret pass")
	m := smtpMailer(t, srv.URL())
	msg := &roster.Message{ID: 42, Kind: roster.MessageInvitation, To: "dana@acme.test", CreatedAt: time.UnixMicro(1795000000123456),
		Data: map[string]string{"account_name": `<Acme & "Co">`, "inviter_name": "Olive <script>", "role": "Admin",
			"expires_at": "2026-11-29T09:00:00Z"},
		Link: "https://roster.test/activate?token=rsi_abc"}
	e, err := templates(t).Render(msg, "Roster <roster@acme.test>", "roster.test")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	got := srv.WaitFor(1, 5*time.Second)[0]
	// The row's id and time: a database made again numbers from 1 again.
	if id := got.Header("Message-Id"); id != "<roster-42.1795000000123456@roster.test>" {
		t.Errorf("Message-ID = %q, want <roster-42.1795000000123456@roster.test>", id)
	}
	// The subject is the account's, which its administrators name; not
	// the inviter's name, which any member who may invite chooses.
	if subj := got.Header("Subject"); subj != `You are invited to <Acme & "Co">` {
		t.Errorf("Subject = %q", subj)
	}
	if !strings.Contains(got.Part("text/plain"), "Olive <script> has invited you") {
		t.Errorf("the text part does not name the inviter:\n%s", got.Part("text/plain"))
	}
	if got.Header("Auto-Submitted") != "auto-generated" || got.Header("X-Mailer") != "" || got.Header("User-Agent") != "" {
		t.Errorf("Auto-Submitted %q, X-Mailer %q, User-Agent %q; want auto-generated and no mailer named",
			got.Header("Auto-Submitted"), got.Header("X-Mailer"), got.Header("User-Agent"))
	}
	if link := got.Link(); link != "https://roster.test/activate?token=rsi_abc" {
		t.Errorf("link in the text part = %q", link)
	}
	html := got.Part("text/html")
	if !strings.Contains(html, "&lt;Acme &amp; &#34;Co&#34;&gt;") || strings.Contains(html, "<script>") {
		t.Errorf("the HTML part does not escape names:\n%s", html)
	}
	if !strings.Contains(got.Part("text/plain"), "29 November 2026") {
		t.Errorf("the text part does not give the expiry:\n%s", got.Part("text/plain"))
	}
}

// TestSubjectCarriesNoEncodedWord: a name stored before names refused
// "=?" cannot smuggle an encoded word (which mail programs decode into any
// characters) into the subject.
func TestSubjectCarriesNoEncodedWord(t *testing.T) {
	msg := &roster.Message{ID: 7, Kind: roster.MessageInvitation, To: "dana@acme.test",
		Data: map[string]string{"account_name": "=?UTF-8?Q?Security_=E2=80=AEtnuocca?=", "inviter_name": "Olive", "role": "Admin",
			"expires_at": "2026-11-29T09:00:00Z"},
		Link: "https://roster.test/activate?token=rsi_abc"}
	e, err := templates(t).Render(msg, "Roster <roster@acme.test>", "roster.test")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(e.Subject, "=?") {
		t.Errorf("Subject = %q, holds an encoded word", e.Subject)
	}
}

func TestSMTPWrongPasswordFails(t *testing.T) {
	srv := smtptest.Start(t, "roster", "right")
	u, _ := url.Parse(srv.URL())
	u.User = url.UserPassword("roster", "wrong")
	m := smtpMailer(t, u.String())
	if err := m.Send(context.Background(), mail.Email{MessageID: "<x@y>", From: "a@b.test", To: "c@d.test", Subject: "s", Text: "t", HTML: "h"}); err == nil {
		t.Error("sending with a wrong password succeeded")
	}
}

func TestNewSMTPMailerRefusesBadURLs(t *testing.T) {
	for _, u := range []string{"http://mail.test", "smtp://", "smtp://host:99999", "smtp://host:abc",
		"smtp://roster:s3cret@host?auht=login", "smtp://host?auth=login", "smtp://roster:s3cret@host?auth=bogus",
		"smtp://roster:s3cret@host/some/path", "smtp://roster:s3cret@host#frag", "smtp://roster@host", "smtp://roster:@host", "smtp://roster:s3c#ret@host:587", "smtp://roster:12?s3cret@host:587", "smtp://roster:12?s3cret=x@host"} {
		if _, err := mail.NewSMTPMailer(u, ""); err == nil {
			t.Errorf("NewSMTPMailer(%q) = nil error", u)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error leaks the password: %v", err)
		}
	}
}

// fixture is an account with one pending invitation in a real SQLite store.
type fixture struct {
	store  roster.Store
	app    *app.App
	now    time.Time
	acc    string
	member string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureFor(t, "olive@acme.test")
}

// newFixtureFor is newFixture whose owner, invited, has this email.
func newFixtureFor(t *testing.T, owner string) *fixture {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f := &fixture{store: s, now: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
	f.app = app.New(app.Config{Store: s, Hasher: password.NewHasher(password.Params{MemoryKiB: 64, Passes: 1, Lanes: 1}, 2),
		BaseURL: "https://roster.test", Now: func() time.Time { return f.now }})
	cat, _ := policy.Builtin("bigeye")
	out, err := f.app.CreateAccount(context.Background(), app.NewAccount{Name: "Acme", OwnerEmail: owner, Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	f.acc, f.member = out.Account.ID, out.Owner.UserID
	return f
}

func (f *fixture) worker(t *testing.T, m mail.Mailer) *mail.Worker {
	return &mail.Worker{Store: f.store, Mailer: m, Templates: templates(t), From: "roster@acme.test", BaseURL: "https://roster.test",
		Now: func() time.Time { return f.now }, RetryBase: time.Minute, MaxAttempts: 3}
}

// smtpWorker is a worker delivering to an SMTP listener of its own.
func (f *fixture) smtpWorker(t *testing.T) (*smtptest.Server, *mail.Worker) {
	t.Helper()
	srv := smtptest.Start(t, "", "")
	m := smtpMailer(t, srv.URL())
	return srv, f.worker(t, m)
}

// notices queues n owner notices, due now, besides the fixture's owner
// activation.
func (f *fixture) notices(t *testing.T, n int) {
	t.Helper()
	err := f.store.Write(context.Background(), "", func(tx roster.Tx) error {
		for range n {
			if err := tx.EnqueueMessage(&roster.Message{Kind: roster.MessageOwnerNotice, To: "x@acme.test",
				Data: map[string]string{"account_name": "Acme", "role": "Owner"}, NextAttemptAt: f.now, CreatedAt: f.now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) message(t *testing.T) *roster.Message {
	t.Helper()
	var m *roster.Message
	err := f.store.Read(context.Background(), func(tx roster.Tx) error {
		msgs, err := tx.Messages("", 1)
		if len(msgs) == 1 {
			m = msgs[0]
		}
		return err
	})
	if err != nil || m == nil {
		t.Fatalf("no message: %v", err)
	}
	return m
}

func (f *fixture) auditActions(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	f.store.Read(context.Background(), func(tx roster.Tx) error {
		page, err := tx.ListAudit(f.acc, nil, roster.MaxPageSize)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Items {
			out[e.Action]++
		}
		return nil
	})
	return out
}

func (f *fixture) invitationError(t *testing.T) string {
	t.Helper()
	var m *roster.Member
	f.store.Read(context.Background(), func(tx roster.Tx) error {
		var err error
		m, err = tx.Member(f.acc, f.member)
		return err
	})
	return m.InvitationError
}

func TestWorkerRetriesWithBackoffAndRecordsTheError(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	srv, w := f.smtpWorker(t)

	srv.FailWith(errors.New("mailbox busy"))
	if n, err := w.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("DeliverDue = %d, %v", n, err)
	}
	msg := f.message(t)
	if msg.Status != roster.MessagePending || msg.Attempts != 1 || msg.LastError != "The mail server deferred the email (451 4.3.0)." || msg.Link == "" {
		t.Errorf("after a failure: %+v", msg)
	}
	if got := f.invitationError(t); got != msg.LastError {
		t.Errorf("invitation_error = %q, want the SMTP reply's %q", got, msg.LastError)
	}
	if !msg.NextAttemptAt.Equal(f.now.Add(time.Minute)) {
		t.Errorf("next attempt at %v, want one minute later", msg.NextAttemptAt)
	}
	// Not due yet: nothing happens.
	if n, _ := w.DeliverDue(ctx); n != 0 {
		t.Errorf("DeliverDue before the retry claimed %d", n)
	}
	srv.FailWith(nil)
	f.now = f.now.Add(time.Minute)
	if n, _ := w.DeliverDue(ctx); n != 1 {
		t.Fatalf("DeliverDue at the retry claimed %d", n)
	}
	msg = f.message(t)
	if msg.Status != roster.MessageSent || msg.Link != "" {
		t.Errorf("after delivery: status %q, link %q; want sent with the link removed", msg.Status, msg.Link)
	}
	// The failure is in the invitation's history (the audit log), once.
	if got := f.auditActions(t); got[roster.AuditInvitationDeliveryFailed] != 1 {
		t.Errorf("audit after one failure = %v, want one %s", got, roster.AuditInvitationDeliveryFailed)
	}
	if got := f.invitationError(t); got != "" {
		t.Errorf("invitation_error after delivery = %q, want none", got)
	}
	if got := srv.WaitFor(1, 5*time.Second); len(got) != 1 || got[0].Link() == "" {
		t.Errorf("delivered %d messages", len(got))
	}
}

// TestWorkerGivesUpAtOnceWhenRefused: a 5xx reply that blames the address
// or the message is the same on every try, so the message is given up at
// once, not retried for an hour; a policy refusal (a relay denied to a
// server without credentials) is retried while the operator mends it.
func TestWorkerGivesUpAtOnceWhenRefused(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	srv, w := f.smtpWorker(t)
	srv.FailWith(&smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "relay access denied"})
	if n, err := w.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("DeliverDue = %d, %v", n, err)
	}
	if msg := f.message(t); msg.Status != roster.MessagePending || msg.LastError != "The mail server refused the email (554 5.7.1)." {
		t.Errorf("after a 554 5.7.1: %+v; want it retried", msg)
	}
	f.now = f.now.Add(time.Hour)
	srv.FailWith(&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"})
	if n, err := w.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("DeliverDue = %d, %v", n, err)
	}
	msg := f.message(t)
	if msg.Status != roster.MessageFailed || msg.Attempts != 2 || msg.LastError != "The mail server refused the email (550 5.1.1)." || msg.Link != "" {
		t.Errorf("after a 550 5.1.1: %+v; want given up at once", msg)
	}
	if got := f.auditActions(t); got[roster.AuditInvitationGivenUp] != 1 {
		t.Errorf("audit after a refusal = %v, want it given up", got)
	}
}

// resendingMailer resends the owner's activation while it sends, then
// fails: the attempt's invitation is history by the time it fails.
type resendingMailer struct {
	f *fixture
}

func (m resendingMailer) Send(ctx context.Context, _ mail.Email) error {
	m.f.now = m.f.now.Add(time.Second)
	if _, err := m.f.app.ResendOwnerActivation(ctx, m.f.acc); err != nil {
		return err
	}
	return errors.New("connection refused")
}

// TestWorkerRecordsNoFailureOfAnInvitationReplacedMeanwhile: an attempt
// whose invitation was resent while it ran fails without a delivery
// failure in the account's log, or on the member's invitation: the newer
// invitation has its own email, which has not failed.
func TestWorkerRecordsNoFailureOfAnInvitationReplacedMeanwhile(t *testing.T) {
	f := newFixture(t)
	w := f.worker(t, resendingMailer{f})
	if n, err := w.DeliverDue(context.Background()); err != nil || n != 1 {
		t.Fatalf("DeliverDue = %d, %v", n, err)
	}
	if got := f.auditActions(t); got[roster.AuditInvitationDeliveryFailed] != 0 || got[roster.AuditInvitationResent] != 1 {
		t.Errorf("audit after a failure of a replaced invitation = %v, want the resend and no failure", got)
	}
	if got := f.invitationError(t); got != "" {
		t.Errorf("the new invitation shows the old one's failure: %q", got)
	}
}

// slowLockStore makes every Write of an account wait an hour, on the
// fixture's clock, for the account's lock.
type slowLockStore struct {
	roster.Store
	f *fixture
}

func (s slowLockStore) Write(ctx context.Context, account string, fn func(roster.Tx) error) error {
	if account != "" {
		s.f.now = s.f.now.Add(time.Hour)
	}
	return s.Store.Write(ctx, account, fn)
}

// TestDeliveryFailureTimedUnderTheLock: a failure's event takes its time
// once the account's lock is held, so that an event written after another
// (a long bulk invitation holding the lock) is not timed before it.
func TestDeliveryFailureTimedUnderTheLock(t *testing.T) {
	f := newFixture(t)
	w := f.worker(t, failingMailer{})
	w.Store = slowLockStore{f.store, f}
	if n, err := w.DeliverDue(context.Background()); err != nil || n != 1 {
		t.Fatalf("DeliverDue = %d, %v", n, err)
	}
	var at time.Time
	f.store.Read(context.Background(), func(tx roster.Tx) error {
		page, err := tx.ListAudit(f.acc, nil, 1)
		if err == nil && len(page.Items) == 1 && page.Items[0].Action == roster.AuditInvitationDeliveryFailed {
			at = page.Items[0].At
		}
		return err
	})
	if !at.Equal(f.now) {
		t.Errorf("the failure is timed %v, want %v, when the lock was held", at, f.now)
	}
}

// failingMailer refuses every email.
type failingMailer struct{}

func (failingMailer) Send(context.Context, mail.Email) error { return errors.New("connection refused") }

func TestWorkerGivesUpAndRedactsTheLink(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	srv := smtptest.Start(t, "", "")
	srv.FailWith(errors.New("no such user"))
	m := smtpMailer(t, srv.URL())
	w := f.worker(t, m)
	for i := 0; i < 3; i++ {
		w.DeliverDue(ctx)
		f.now = f.now.Add(2 * time.Hour)
	}
	msg := f.message(t)
	if msg.Status != roster.MessageFailed || msg.Link != "" || msg.Attempts != 3 {
		t.Errorf("after 3 failures: %+v; want failed, no link, 3 attempts", msg)
	}
	if got := f.auditActions(t); got[roster.AuditInvitationDeliveryFailed] != 1 || got[roster.AuditInvitationGivenUp] != 1 {
		t.Errorf("audit after giving up = %v, want the first failure and the giving up, once each", got)
	}
	// Retrying a given-up invitation sends a fresh link in a new message.
	id, err := f.app.RetryMessage(ctx, msg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if id == msg.ID {
		t.Fatalf("RetryMessage reused the message without a link")
	}
	// The fresh link is the member's now: retrying the given-up message
	// again would stop it working, so it is refused and nothing is queued.
	if _, err := f.app.RetryMessage(ctx, msg.ID); roster.ErrorCode(err) != roster.CodeConflict {
		t.Errorf("a second retry of the given-up message = %v, want a conflict", err)
	}
	if latest := f.message(t); latest.ID != id {
		t.Errorf("the newest message is %d after a refused retry, want %d", latest.ID, id)
	}
	srv.FailWith(nil)
	if n, _ := w.DeliverDue(ctx); n != 1 {
		t.Fatalf("DeliverDue after the retry claimed %d", n)
	}
	if got := srv.WaitFor(1, 5*time.Second); got[0].Link() == "" {
		t.Error("the resent invitation has no link")
	}
}

func TestLogMailerLogsTheLink(t *testing.T) {
	var buf bytes.Buffer
	m := mail.LogMailer{Log: slog.New(slog.NewTextHandler(&buf, nil))}
	m.Send(context.Background(), mail.Email{MessageID: "<1@x>", To: "a@b.test", Subject: "Hi", Text: "open https://x/activate?token=abc"})
	if !strings.Contains(buf.String(), "token=abc") || !strings.Contains(buf.String(), "a@b.test") {
		t.Errorf("log = %q", buf.String())
	}
}

// cancellingMailer ends the worker's context during its first send, as a
// SIGTERM would.
type cancellingMailer struct {
	cancel context.CancelFunc
	sent   int
}

func (m *cancellingMailer) Send(ctx context.Context, e mail.Email) error {
	m.sent++
	m.cancel()
	if ctx.Err() != nil {
		return errors.New("the send under way was cut off by shutdown")
	}
	return nil
}

func TestShutdownFinishesTheSendAndReleasesTheRest(t *testing.T) {
	f := newFixture(t)
	f.notices(t, 2)
	ctx, cancel := context.WithCancel(context.Background())
	m := &cancellingMailer{cancel: cancel}
	if n, err := f.worker(t, m).DeliverDue(ctx); err != nil || n != 3 {
		t.Fatalf("DeliverDue = %d, %v; want 3 claimed", n, err)
	}
	if m.sent != 1 {
		t.Errorf("sent %d after shutdown began, want only the one under way", m.sent)
	}
	var pending, sent int
	f.store.Read(context.Background(), func(tx roster.Tx) error {
		msgs, _ := tx.Messages("", 10)
		for _, msg := range msgs {
			switch msg.Status {
			case roster.MessageSent:
				sent++
			case roster.MessagePending:
				pending++
			}
		}
		return nil
	})
	if sent != 1 || pending != 2 {
		t.Errorf("sent %d, pending %d; want the send under way completed and marked sent, 2 left", sent, pending)
	}
	// The two left are claimable at once, not after the lease.
	w2 := f.worker(t, mail.LogMailer{Log: slog.New(slog.DiscardHandler)})
	if n, err := w2.DeliverDue(context.Background()); err != nil || n != 2 {
		t.Errorf("after shutdown, DeliverDue = %d, %v; want the 2 unsent messages claimable at once", n, err)
	}
}

// storeClosingMailer sends, then closes the store: the database goes away
// in the middle of a batch.
type storeClosingMailer struct {
	store interface{ Close() error }
	sent  int
}

func (m *storeClosingMailer) Send(context.Context, mail.Email) error {
	m.sent++
	m.store.Close()
	return nil
}

// TestWorkerStopsWhenTheStoreFails: a message whose link cannot be looked
// up, or whose outcome cannot be recorded, would be sent again when its
// claim ends (and its link may have been revoked meanwhile), so the batch
// stops at the first store error instead of mailing the rest.
func TestWorkerStopsWhenTheStoreFails(t *testing.T) {
	f := newFixture(t)
	f.notices(t, 3)
	m := &storeClosingMailer{store: f.store}
	if n, err := f.worker(t, m).DeliverDue(context.Background()); err == nil || n != 4 {
		t.Errorf("DeliverDue = %d, %v; want 4 claimed and the store's error", n, err)
	}
	if m.sent != 1 {
		t.Errorf("sent %d messages; want only the one before the store failed", m.sent)
	}
}

// lockRecorder is the fixture's store, noting the account each Write
// locks.
type lockRecorder struct {
	roster.Store
	mu       sync.Mutex
	accounts []string
}

func (s *lockRecorder) Write(ctx context.Context, account string, fn func(roster.Tx) error) error {
	s.mu.Lock()
	s.accounts = append(s.accounts, account)
	s.mu.Unlock()
	return s.Store.Write(ctx, account, fn)
}

// TestWorkerWritesOutcomesUnderTheAccountLock: recording a delivery's
// outcome changes the member's invitation and the account's audit log, so
// it takes the account's lock, as every other change to the account does.
func TestWorkerWritesOutcomesUnderTheAccountLock(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	rec := &lockRecorder{Store: f.store}
	f.store = rec
	srv := smtptest.Start(t, "", "")
	srv.FailWith(errors.New("452 mailbox full"))
	m := smtpMailer(t, srv.URL())
	w := f.worker(t, m)
	for _, fail := range []bool{true, false} {
		if !fail {
			srv.FailWith(nil)
			f.now = f.now.Add(time.Hour)
		}
		rec.mu.Lock()
		rec.accounts = nil
		rec.mu.Unlock()
		if n, _ := w.DeliverDue(ctx); n != 1 {
			t.Fatalf("DeliverDue claimed %d", n)
		}
		rec.mu.Lock()
		last := rec.accounts[len(rec.accounts)-1]
		rec.mu.Unlock()
		if last != f.acc {
			t.Errorf("failed %v: the outcome was written locking %q, want the account %q", fail, last, f.acc)
		}
	}
}

// TestWorkerDropsMessagesWhoseLinkDied: an invitation email waiting for a
// retry when the invitation is resent (or revoked, or accepted) would
// carry a dead link; it is not sent, and neither the new invitation's
// delivery error nor the audit log hears of it. The new email goes out.
func TestWorkerDropsMessagesWhoseLinkDied(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	srv, w := f.smtpWorker(t)
	srv.FailWith(errors.New("mailbox busy"))
	if n, err := w.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("DeliverDue = %d, %v", n, err)
	}
	old := f.message(t)
	srv.FailWith(nil)
	f.now = f.now.Add(time.Minute)
	if _, err := f.app.ResendOwnerActivation(ctx, f.acc); err != nil { // a new link, the old one dead
		t.Fatal(err)
	}
	id := f.message(t).ID
	before := f.auditActions(t)
	f.now = f.now.Add(time.Hour)
	if n, err := w.DeliverDue(ctx); err != nil || n != 2 {
		t.Fatalf("DeliverDue = %d, %v; want both messages claimed", n, err)
	}
	srv.WaitFor(1, 5*time.Second)
	time.Sleep(100 * time.Millisecond) // a second delivery would have arrived by now
	if got := srv.Messages(); len(got) != 1 || !strings.Contains(got[0].Link(), "token=") {
		t.Fatalf("delivered %d messages, want only the new one", len(got))
	}
	var dropped, sent *roster.Message
	f.store.Read(ctx, func(tx roster.Tx) error {
		dropped, _ = tx.Message(old.ID)
		sent, _ = tx.Message(id)
		return nil
	})
	if dropped.Status != roster.MessageFailed || dropped.Link != "" || !strings.Contains(dropped.LastError, "Not sent") {
		t.Errorf("the message with the dead link: %+v; want failed, not sent, its link gone", dropped)
	}
	if sent.Status != roster.MessageSent {
		t.Errorf("the new message: status %q, want sent", sent.Status)
	}
	if got := f.invitationError(t); got != "" {
		t.Errorf("invitation_error = %q, want the new message's outcome (none)", got)
	}
	if after := f.auditActions(t); !maps.Equal(before, after) {
		t.Errorf("audit log changed by dropping a message: %v → %v", before, after)
	}
}

// TestWorkerSendsExpiredLinksNot: a link that expired while its email
// waited (retries, an outage) is not sent; a link that still works is sent
// on the running service's base URL, whichever command queued it.
func TestWorkerSendsExpiredLinksNot(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	srv, w := f.smtpWorker(t)
	w.BaseURL, w.Relink = "https://roster.example.com", true
	f.now = f.now.Add(8 * 24 * time.Hour) // the owner's activation lasts 7 days
	if n, err := w.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("DeliverDue = %d, %v", n, err)
	}
	if got := f.message(t); got.Status != roster.MessageFailed || !strings.Contains(got.LastError, "expired") {
		t.Errorf("the expired link's message: %+v; want failed, not sent", got)
	}
	if _, err := f.app.ResendOwnerActivation(ctx, f.acc); err != nil {
		t.Fatal(err)
	}
	if n, err := w.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("DeliverDue = %d, %v", n, err)
	}
	got := srv.WaitFor(1, 5*time.Second)
	if len(got) != 1 || !strings.HasPrefix(got[0].Link(), "https://roster.example.com/activate?token=rsi_") {
		t.Fatalf("delivered %d messages, the link %q; want one on the worker's base URL", len(got), got[0].Link())
	}
}

// TestWorkerSendsTheInvitationAsItIsNow: the role and the name an
// invitation's email states are the member's when it is sent, not when it
// was queued: an inviter who mends them at once (or while the email waits
// for a retry) is not contradicted by it.
func TestWorkerSendsTheInvitationAsItIsNow(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	srv := smtptest.Start(t, "", "")
	m := smtpMailer(t, srv.URL())
	err := f.store.Write(ctx, f.acc, func(tx roster.Tx) error {
		member, err := tx.Member(f.acc, f.member)
		if err != nil {
			return err
		}
		member.Role = "Admin"
		if err := tx.UpdateMember(member); err != nil {
			return err
		}
		return tx.SetMemberName(f.acc, f.member, "Mended Name")
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := f.worker(t, m).DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("DeliverDue = %d, %v", n, err)
	}
	text := srv.WaitFor(1, 5*time.Second)[0].Part("text/plain")
	if !strings.Contains(text, "Hello Mended Name,") || !strings.Contains(text, "as its Admin") {
		t.Errorf("the email does not say the member as they are now:\n%s", text)
	}
}

func TestSMTPRequiredSTARTTLSRefusesAPlainServer(t *testing.T) {
	srv := smtptest.Start(t, "roster", "s3cret pass") // offers no STARTTLS
	m := smtpMailer(t, srv.URL()+"?starttls=required")
	e := mail.Email{MessageID: "<x@y>", From: "a@b.test", To: "c@d.test", Subject: "s", Text: "https://roster.test/reset?token=secret", HTML: "h"}
	if err := m.Send(context.Background(), e); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("Send to a server without STARTTLS = %v, want a STARTTLS error", err)
	}
	if got := srv.Messages(); len(got) != 0 {
		t.Errorf("the server received %d messages in the clear", len(got))
	}
	if _, err := mail.NewSMTPMailer(srv.URL()+"?starttls=maybe", ""); err == nil {
		t.Error("starttls=maybe was accepted")
	}
}

// TestDeliveryErrorsNameNoNetwork: what account administrators read of a
// failed delivery (the invitation's error, the audit log) is the mail
// server's reply code, or that it could not be reached — never the
// operator's addresses, which the log line of the failure keeps.
func TestDeliveryErrorsNameNoNetwork(t *testing.T) {
	ctx := context.Background()
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}()
	srv := smtptest.Start(t, "", "")
	srv.FailWith(&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user here"})
	for _, tc := range []struct{ url, want, logged string }{
		{"smtp://" + closed, "The email could not be handed to the mail server; the operator's log has the details.", closed},
		{srv.URL(), "The mail server refused the email (550 5.1.1).", "no such user here"},
	} {
		f := newFixture(t)
		m := smtpMailer(t, tc.url)
		var log bytes.Buffer
		w := f.worker(t, m)
		w.Log = slog.New(slog.NewTextHandler(&log, nil))
		if n, err := w.DeliverDue(ctx); err != nil || n != 1 {
			t.Fatalf("DeliverDue = %d, %v", n, err)
		}
		if got := f.message(t).LastError; got != tc.want {
			t.Errorf("%s: the outbox says %q, want %q", tc.url, got, tc.want)
		}
		if got := f.invitationError(t); got != tc.want {
			t.Errorf("%s: invitation_error = %q, want %q", tc.url, got, tc.want)
		}
		if !strings.Contains(log.String(), "delivery failed") || !strings.Contains(log.String(), tc.logged) {
			t.Errorf("%s: the log lacks the failure's details (%s):\n%s", tc.url, tc.logged, log.String())
		}
	}
}

// TestGivenUpResetLinkIsForgotten: a reset link whose email was given up is
// in nobody's hands, so it does not count among the three a person may have
// out: asking again sends a new one.
func TestGivenUpResetLinkIsForgotten(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if _, err := f.app.AcceptInvitation(ctx, "", app.Acceptance{Token: tokenOfLink(t, f.message(t).Link), Name: "Olive", Password: "olive's long passphrase"}); err != nil {
		t.Fatal(err)
	}
	srv, w := f.smtpWorker(t)
	w.MaxAttempts = 1
	srv.FailWith(errors.New("mailbox busy"))
	resets := func() int {
		n := 0
		f.store.Read(ctx, func(tx roster.Tx) error {
			msgs, err := tx.Messages("", 100)
			for _, msg := range msgs {
				if msg.Kind == roster.MessagePasswordReset {
					n++
				}
			}
			return err
		})
		return n
	}
	for range 3 {
		if err := f.app.RequestPasswordReset(ctx, "olive@acme.test"); err != nil {
			t.Fatal(err)
		}
		f.app.Wait()
	}
	if n := resets(); n != 3 {
		t.Fatalf("%d reset emails queued, want 3", n)
	}
	if _, err := w.DeliverDue(ctx); err != nil { // every one given up at its first failure
		t.Fatal(err)
	}
	if err := f.app.RequestPasswordReset(ctx, "olive@acme.test"); err != nil {
		t.Fatal(err)
	}
	f.app.Wait()
	if n := resets(); n != 4 {
		t.Errorf("%d reset emails after three were given up, want a fourth", n)
	}
}

// tokenOfLink is the token a link carries.
func tokenOfLink(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("no token in %q", link)
	}
	return u.Query().Get("token")
}

// TestAcceptedMessageIsNotSentAgain: a server that takes a message (250
// after its data) and then drops the connection, before the RSET or QUIT
// after it is answered, has the message: Send reports it sent, or the
// worker would send it again at every attempt of the retry window. A
// server that refuses the data has not.
func TestAcceptedMessageIsNotSentAgain(t *testing.T) {
	for _, c := range []struct {
		name     string
		dataCode string
		sent     bool
	}{
		{"accepted, then the connection drops", "250 2.0.0 queued", true},
		{"deferred", "451 4.3.0 try later", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr, got := startDroppingServer(t, c.dataCode)
			m := smtpMailer(t, "smtp://"+addr)
			e := mail.Email{MessageID: "<x@y>", From: "a@b.test", To: "c@d.test", Subject: "s", Text: "t", HTML: "h"}
			err := m.Send(context.Background(), e)
			if (err == nil) != c.sent {
				t.Errorf("Send = %v; want sent %v", err, c.sent)
			}
			if n := got(); n != 1 {
				t.Errorf("the server received %d messages, want 1", n)
			}
		})
	}
}

// startDroppingServer is an SMTP server that answers the end of a
// message's data with dataCode, then closes the connection at once. It
// returns its address and a count of the messages whose data it read.
func startDroppingServer(t *testing.T, dataCode string) (string, func() int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var mu sync.Mutex
	n := 0
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				r := bufio.NewReader(conn)
				reply := func(s string) { io.WriteString(conn, s+"\r\n") }
				reply("220 test ESMTP")
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					switch verb := strings.ToUpper(strings.Fields(line + " x")[0]); verb {
					case "EHLO":
						reply("250-test")
						reply("250 8BITMIME")
					case "DATA":
						reply("354 go ahead")
						for {
							l, err := r.ReadString('\n')
							if err != nil {
								return
							}
							if l == ".\r\n" {
								break
							}
						}
						mu.Lock()
						n++
						mu.Unlock()
						reply(dataCode)
						return // the connection drops
					case "QUIT":
						reply("221 bye")
						return
					default: // HELO, MAIL, RCPT, NOOP, RSET
						reply("250 ok")
					}
				}
			}()
		}
	}()
	return l.Addr().String(), func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

// TestUnicodeDomainSentAsDNSWritesIt: an address whose domain is not ASCII
// goes out with the domain as DNS writes it, in the envelope and the To
// and From headers, which a mail server without SMTPUTF8 takes.
func TestUnicodeDomainSentAsDNSWritesIt(t *testing.T) {
	srv := smtptest.Start(t, "roster", "s3cret pass")
	m := smtpMailer(t, srv.URL())
	e := mail.Email{MessageID: "<x@y>", From: "Roster <roster@bücher.example>", To: "dana@bücher.example", Subject: "s", Text: "t", HTML: "h"}
	if err := m.Send(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	got := srv.WaitFor(1, 5*time.Second)[0]
	if len(got.To) != 1 || got.To[0] != "dana@xn--bcher-kva.example" || !strings.Contains(got.Header("To"), "dana@xn--bcher-kva.example") {
		t.Errorf("sent to %q, To header %q; want dana@xn--bcher-kva.example", got.To, got.Header("To"))
	}
	if got.From != "roster@xn--bcher-kva.example" || got.Header("From") != `"Roster" <roster@xn--bcher-kva.example>` {
		t.Errorf("sent from %q, From header %q; want Roster <roster@xn--bcher-kva.example>", got.From, got.Header("From"))
	}
}

// TestSMTPUTF8DeclaredForAUnicodeMailbox: an address whose mailbox (before
// the @) is not ASCII goes to a server that offers SMTPUTF8 with the
// parameter on MAIL FROM, and as it is written in the envelope and the To
// header (RFC 6531, 6532). An ASCII one goes out as before: go-mail
// declares SMTPUTF8 whenever the server offers it.
func TestSMTPUTF8DeclaredForAUnicodeMailbox(t *testing.T) {
	srv := smtptest.StartWith(t, smtptest.Options{SMTPUTF8: true})
	m := smtpMailer(t, srv.URL())
	for _, to := range []string{"josé@bücher.example", "dana@acme.test"} {
		e := mail.Email{MessageID: "<x@y>", From: "Roster <roster@acme.test>", To: to, Subject: "s", Text: "t", HTML: "h"}
		if err := m.Send(context.Background(), e); err != nil {
			t.Fatalf("Send to %s: %v", to, err)
		}
	}
	got := srv.WaitFor(2, 5*time.Second)
	if len(got[0].To) != 1 || got[0].To[0] != "josé@xn--bcher-kva.example" || !got[0].SMTPUTF8 {
		t.Errorf("sent to %q, SMTPUTF8 %v; want josé@xn--bcher-kva.example with SMTPUTF8", got[0].To, got[0].SMTPUTF8)
	}
	if !bytes.Contains(got[0].Raw, []byte("\r\nTo: <josé@xn--bcher-kva.example>\r\n")) {
		t.Errorf("the To header is not the address in UTF-8:\n%s", got[0].Raw)
	}
	if len(got[1].To) != 1 || got[1].To[0] != "dana@acme.test" || !got[1].SMTPUTF8 {
		t.Errorf("ASCII: sent to %q, SMTPUTF8 %v; want dana@acme.test, SMTPUTF8 as go-mail declares it", got[1].To, got[1].SMTPUTF8)
	}
}

// TestWorkerGivesUpAtOnceWithoutSMTPUTF8: a server that does not offer
// SMTPUTF8 cannot take an address whose mailbox is not ASCII, and never
// will; nothing is sent to it, and the message is given up at its first
// attempt with a reason the operator and the account's administrators can
// read. An ASCII address goes to the same server as before.
func TestWorkerGivesUpAtOnceWithoutSMTPUTF8(t *testing.T) {
	ctx := context.Background()
	f := newFixtureFor(t, "josé@acme.test")
	srv, w := f.smtpWorker(t) // offers no SMTPUTF8
	if n, err := w.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("DeliverDue = %d, %v", n, err)
	}
	const want = "Not sent: the address has characters beyond ASCII (before the @, or in a domain DNS cannot spell in ASCII), which the mail server does not take (it offers no SMTPUTF8)."
	msg := f.message(t)
	if msg.Status != roster.MessageFailed || msg.Attempts != 1 || msg.LastError != want || msg.Link != "" {
		t.Errorf("after a send to a server without SMTPUTF8: status %q, attempts %d, error %q, link %q; want given up at once with %q",
			msg.Status, msg.Attempts, msg.LastError, msg.Link, want)
	}
	if got := f.invitationError(t); got != want {
		t.Errorf("invitation_error = %q, want %q", got, want)
	}
	if got := f.auditActions(t); got[roster.AuditInvitationGivenUp] != 1 {
		t.Errorf("audit = %v, want it given up", got)
	}
	if got := srv.Messages(); len(got) != 0 {
		t.Errorf("the server received %d messages", len(got))
	}

	ascii := newFixture(t)
	w.Store = ascii.store
	if n, err := w.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("DeliverDue = %d, %v", n, err)
	}
	if got := srv.WaitFor(1, 5*time.Second); got[0].To[0] != "olive@acme.test" || got[0].SMTPUTF8 {
		t.Errorf("ASCII: sent to %q, SMTPUTF8 %v; want olive@acme.test without it", got[0].To, got[0].SMTPUTF8)
	}
}

// TestSMTPIntroducesItselfByName: the mailer gives the server, in EHLO,
// the name it was made with; ?ehlo= in the URL wins over it; without
// either, the machine's host name, as go-mail does.
func TestSMTPIntroducesItselfByName(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	srv := smtptest.Start(t, "", "")
	for _, tc := range []struct{ query, hello, want string }{
		{"", "roster.example.com", "roster.example.com"},
		{"", "[192.0.2.1]", "[192.0.2.1]"},
		{"?ehlo=mta.example.com", "roster.example.com", "mta.example.com"},
		{"?ehlo=%5BIPv6:2001:db8::1%5D", "", "[IPv6:2001:db8::1]"},
		{"", "", host},
	} {
		m, err := mail.NewSMTPMailer(srv.URL()+tc.query, tc.hello)
		if err != nil {
			t.Fatal(err)
		}
		before := len(srv.Messages())
		if err := m.Send(context.Background(), mail.Email{MessageID: "<x@y>", From: "a@b.test", To: "c@d.test", Subject: "s", Text: "t", HTML: "h"}); err != nil {
			t.Fatal(err)
		}
		if got := srv.WaitFor(before+1, 5*time.Second)[before].Hello; got != tc.want {
			t.Errorf("URL%s, name %q: EHLO %q, want %q", tc.query, tc.hello, got, tc.want)
		}
	}
	for _, bad := range []string{"?ehlo=", "?ehlo=a%20b", "?ehlo=-x.example", "?ehlo=x..example", "?ehlo=r%C3%B6ster.example",
		"?ehlo=%5B192.0.2%5D", "?ehlo=%5B2001:db8::1%5D", "?ehlo=%5BIPv6:192.0.2.1%5D", "?ehlo=x.example%0D%0AMAIL"} {
		if _, err := mail.NewSMTPMailer(srv.URL()+bad, ""); err == nil {
			t.Errorf("NewSMTPMailer(%s) = nil error", bad)
		}
	}
}

// TestEHLOName: the name for a base URL is its host as RFC 5321 writes
// it in EHLO.
func TestEHLOName(t *testing.T) {
	for base, want := range map[string]string{
		"https://roster.example.com":      "roster.example.com",
		"https://Roster.Example.com:8443": "roster.example.com",
		"https://bücher.example":          "xn--bcher-kva.example",
		"http://127.0.0.1:8080":           "[127.0.0.1]",
		"http://[2001:db8::1]:8080":       "[IPv6:2001:db8::1]",
		"http://localhost:8080":           "localhost",
		"":                                "",
		"https://under_score.example":     "",
	} {
		if got := mail.EHLOName(base); got != want {
			t.Errorf("EHLOName(%q) = %q, want %q", base, got, want)
		}
	}
}
