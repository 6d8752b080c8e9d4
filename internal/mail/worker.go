package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/secret"
	gomail "github.com/wneessen/go-mail"
	"golang.org/x/net/idna"
)

// Mailer sends one email. It returns an error for anything but a delivery
// the server accepted.
type Mailer interface {
	Send(ctx context.Context, e Email) error
}

// Worker delivers the outbox. Several workers (on several instances) may run
// against one database: each message is claimed by one of them for a lease.
type Worker struct {
	Store     roster.Store
	Mailer    Mailer
	Templates *Templates
	Log       *slog.Logger
	Now       func() time.Time
	From      string
	// BaseURL is the public base URL (scheme://host[:port]); its host is
	// the right-hand side of Message-IDs. With Relink (the operator gave
	// the base URL, rather than leaving it derived from the listen
	// address), every link is sent on it: a message queued by a command
	// run with another (or none) still links to the running service.
	BaseURL string
	Relink  bool
	// Interval is how often the outbox is polled; Lease how long a claim
	// lasts; MaxAttempts how many tries a message gets before it is given up.
	Interval    time.Duration
	Lease       time.Duration
	MaxAttempts int
	// Batch is how many messages one poll claims.
	Batch int
	// RetryBase is the wait after a first failure, doubled after each
	// further one up to an hour; SendTimeout bounds one delivery.
	RetryBase   time.Duration
	SendTimeout time.Duration
}

func (w *Worker) defaults() {
	if w.Now == nil {
		w.Now = time.Now
	}
	if w.Interval == 0 {
		w.Interval = time.Second
	}
	if w.Lease == 0 {
		w.Lease = 2 * time.Minute
	}
	if w.MaxAttempts == 0 {
		w.MaxAttempts = 30 // with RetryBase's default, about a day (DECISIONS 69)
	}
	if w.Batch == 0 {
		w.Batch = 50
	}
	if w.RetryBase == 0 {
		w.RetryBase = 30 * time.Second
	}
	if w.SendTimeout == 0 {
		w.SendTimeout = time.Minute
	}
	if w.Lease < 2*w.SendTimeout {
		w.Lease = 2 * w.SendTimeout
	}
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
}

// Run delivers until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	w.defaults()
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	failing := outage{log: w.Log}
	for {
		for {
			n, err := w.DeliverDue(ctx)
			if ctx.Err() == nil {
				failing.note(err, w.Now())
			}
			if n < w.Batch || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// outage logs the worker's failures to reach the store: the first at once,
// then at most one line every outageReport while they go on (a database
// that is down fails every poll, once a second), and the end of them.
type outage struct {
	log             *slog.Logger
	since, reported time.Time
	failures        int
}

// outageReport is how often a failure that goes on is logged again.
const outageReport = time.Minute

// note records the outcome of one poll at now: err, or nil when it reached
// the store.
func (o *outage) note(err error, now time.Time) {
	switch {
	case err == nil && o.failures > 0:
		o.log.Info("outbox delivery resumed", "failed_polls", o.failures, "for", now.Sub(o.since).Round(time.Second))
		*o = outage{log: o.log}
	case err == nil:
	case o.failures == 0:
		o.log.Error("outbox delivery", "err", err)
		o.since, o.reported, o.failures = now, now, 1
	default:
		o.failures++
		if now.Sub(o.reported) >= outageReport {
			o.log.Error("outbox delivery still failing", "err", err, "failed_polls", o.failures, "for", now.Sub(o.since).Round(time.Second))
			o.reported = now
		}
	}
}

// DeliverDue claims the messages that are due and tries each once, until
// the store fails (the rest are given back). It returns how many it
// claimed, and the store's error.
func (w *Worker) DeliverDue(ctx context.Context) (int, error) {
	w.defaults()
	var msgs []*roster.Message
	claimedAt := w.Now()
	err := w.Store.Write(ctx, "", func(tx roster.Tx) error {
		var err error
		msgs, err = tx.ClaimMessages(claimedAt.UTC(), w.Lease, w.Batch)
		return err
	})
	if err != nil {
		return 0, err
	}
	// A send under way finishes even when shutdown begins: cutting it off
	// mid-conversation is how a message gets delivered and then sent again.
	sendCtx := context.WithoutCancel(ctx)
	for i, m := range msgs {
		// A send must end before the claim does, or another instance could
		// claim the message while it is being sent.
		if ctx.Err() != nil || w.Now().Sub(claimedAt) > w.Lease-w.SendTimeout {
			w.release(sendCtx, msgs[i:])
			return len(msgs), nil
		}
		if err := w.deliver(sendCtx, m); err != nil {
			// The store failed: the rest wait for it. Sent meanwhile, each
			// would have nothing to record that it went, and would go
			// again when its claim ends. This one keeps its claim until
			// then, sent or not, rather than be first in the next batch.
			w.release(sendCtx, msgs[i+1:])
			return len(msgs), err
		}
	}
	return len(msgs), nil
}

// release gives back the claims of messages not attempted, so that the next
// instance (or this one after a restart) sends them at once rather than
// after the lease.
func (w *Worker) release(ctx context.Context, msgs []*roster.Message) {
	err := w.Store.Write(ctx, "", func(tx roster.Tx) error {
		for _, m := range msgs {
			if err := tx.ReleaseMessage(m.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		w.Log.Error("outbox: release claims", "err", err)
	}
}

// deliver tries to send m once and records the outcome. An error is the
// store's: a message whose link could not be looked up is not sent (it may
// have been revoked), nor is the next after one whose outcome could not be
// recorded.
func (w *Worker) deliver(ctx context.Context, m *roster.Message) error {
	if live, err := w.current(ctx, m); err != nil {
		return fmt.Errorf("outbox: look up the link of message %d: %w", m.ID, err)
	} else if !live {
		return w.drop(ctx, m)
	}
	if w.Relink {
		m.Link = relink(m.Link, w.BaseURL)
	}
	e, err := w.Templates.Render(m, w.From, messageIDHost(w.BaseURL))
	if err == nil {
		sendCtx, cancel := context.WithTimeout(ctx, w.SendTimeout)
		err = w.Mailer.Send(sendCtx, e)
		cancel()
	}
	now := w.Now().UTC()
	// The outcome is written under the lock of the message's account, if
	// any, as every change to an account is: it updates the member's
	// invitation and appends to the account's audit log, and must neither
	// interleave with an acceptance or a removal of that member (on
	// PostgreSQL the two would lock the invitation and the member in
	// opposite orders) nor break the log's order.
	if err == nil {
		if err := w.Store.Write(ctx, m.AccountID, func(tx roster.Tx) error { return tx.MarkMessageSent(m.ID, now) }); err != nil {
			return fmt.Errorf("outbox: mark message %d sent: %w", m.ID, err)
		}
		return nil
	}
	retry := time.Time{}
	if m.Attempts+1 < w.MaxAttempts && !refused(err) {
		retry = now.Add(backoff(w.RetryBase, m.Attempts))
	}
	w.Log.Warn("outbox: delivery failed", "id", m.ID, "kind", m.Kind, "attempt", m.Attempts+1, "err", err, "retry_at", retry)
	reason := deliveryError(err)
	if err := w.Store.Write(ctx, m.AccountID, func(tx roster.Tx) error {
		if err := tx.MarkMessageFailed(m.ID, reason, retry); err != nil {
			return err
		}
		// A reset link given up is in nobody's hands: it no longer
		// counts among the links a person may have out at once.
		if token := linkToken(m.Link); retry.IsZero() && m.Kind == roster.MessagePasswordReset && token != "" {
			if err := tx.DeletePasswordReset(secret.Hash(token)); err != nil {
				return err
			}
		}
		// The event's time is taken under the account's lock, which a
		// long bulk invitation may have held meanwhile: the log's order
		// is its times' order.
		return w.recordFailure(tx, m, reason, retry, w.Now().UTC())
	}); err != nil {
		return fmt.Errorf("outbox: mark message %d failed: %w", m.ID, err)
	}
	return nil
}

// current reports whether the link a message carries still works, and
// brings an invitation's email up to date with its member: the role and
// the name it greets may have been mended since it was queued (a retried
// message waits up to an hour). An invitation resent, revoked or accepted,
// or a password reset replaced or used, since the message was queued has a
// dead link, which would only confuse the person who receives it. A
// message without a link is live.
func (w *Worker) current(ctx context.Context, m *roster.Message) (live bool, err error) {
	err = w.Store.Read(ctx, func(tx roster.Tx) error {
		if live, err = linkLive(tx, m, w.Now()); err != nil || !live || m.Data == nil ||
			(m.Kind != roster.MessageInvitation && m.Kind != roster.MessageOwnerActivation) {
			return err
		}
		member, err := tx.Member(m.AccountID, m.UserID)
		if err == nil {
			m.Data["role"], m.Data["name"] = member.Role, member.Name
		}
		return err
	})
	return live, err
}

// linkLive reports whether the link m carries still works at now: its
// invitation or password reset is the newest, unused, not revoked and not
// expired. A message without a link, or of another kind, is live.
func linkLive(tx roster.Tx, m *roster.Message, now time.Time) (bool, error) {
	token := linkToken(m.Link)
	if token == "" {
		return true, nil // no link, or not ours to judge: send it
	}
	hash := secret.Hash(token)
	var expires time.Time
	var err error
	switch m.Kind {
	case roster.MessageInvitation, roster.MessageOwnerActivation:
		var inv *roster.Invitation
		if inv, err = tx.InvitationByToken(hash); err == nil {
			expires = inv.ExpiresAt
		}
	case roster.MessagePasswordReset:
		var r *roster.PasswordReset
		if r, err = tx.PasswordResetByHash(hash); err == nil {
			expires = r.ExpiresAt
		}
	default:
		return true, nil
	}
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return false, nil
	}
	return err == nil && now.Before(expires), err
}

// linkToken is the token a message's link carries, or "".
func linkToken(link string) string {
	u, err := url.Parse(link)
	if link == "" || err != nil {
		return ""
	}
	return u.Query().Get("token")
}

// relink puts a link on the base URL: the path and query Roster gave it,
// on the running service's address.
func relink(link, base string) string {
	u, err := url.Parse(link)
	if link == "" || base == "" || err != nil || u.Host == "" {
		return link
	}
	return base + u.RequestURI()
}

// messageIDHost is the right-hand side of the Message-IDs sent for the
// base URL: its host, an IP address in brackets as RFC 5322 writes it, a
// name that is not ASCII as its DNS form (xn--…), since a Message-ID is
// ASCII and an encoded word is no Message-ID.
func messageIDHost(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Hostname() == "" {
		return "roster.local"
	}
	if _, err := netip.ParseAddr(u.Hostname()); err == nil {
		return "[" + u.Hostname() + "]"
	}
	host, err := idna.Lookup.ToASCII(u.Hostname())
	if err != nil {
		return "roster.local"
	}
	return host
}

// drop gives up a message whose link is dead without sending it. Its
// outcome does not reach the member's invitation (a newer one's, if any:
// MarkMessageFailed leaves an invitation issued after the message) nor the
// audit log: nothing failed.
func (w *Worker) drop(ctx context.Context, m *roster.Message) error {
	w.Log.Info("outbox: not sent, its link no longer works", "id", m.ID, "kind", m.Kind)
	err := w.Store.Write(ctx, m.AccountID, func(tx roster.Tx) error {
		return tx.MarkMessageFailed(m.ID, "Not sent: its link was replaced, used, revoked or expired before it could be delivered.", time.Time{})
	})
	if err != nil {
		return fmt.Errorf("outbox: mark message %d not sent: %w", m.ID, err)
	}
	return nil
}

// recordFailure puts an invitation's delivery failure in its account's
// audit log, the invitation's history: on the first failure and when the
// message is given up, not on every retry in between; and only while the
// message's invitation is the member's current one (resent, revoked or
// accepted during the attempt, it is history the log already has).
func (w *Worker) recordFailure(tx roster.Tx, m *roster.Message, reason string, retry, now time.Time) error {
	invitation := m.Kind == roster.MessageInvitation || m.Kind == roster.MessageOwnerActivation
	if !invitation || m.AccountID == "" || (m.Attempts > 0 && !retry.IsZero()) {
		return nil
	}
	if live, err := linkLive(tx, m, w.Now()); err != nil || !live {
		return err
	}
	after := map[string]string{"error": reason, "attempts": strconv.Itoa(m.Attempts + 1)}
	action := roster.AuditInvitationDeliveryFailed
	if retry.IsZero() {
		action = roster.AuditInvitationGivenUp
	} else {
		after["retry_at"] = retry.Format(time.RFC3339)
	}
	return tx.AppendAudit(&roster.AuditEvent{AccountID: m.AccountID, At: now, Action: action, Target: m.UserID, After: after})
}

// deliveryError is what the outbox, the member's invitation and the
// account's audit log say of a failed delivery: the mail server's reply
// code when it answered, else that it could not be reached. Account
// administrators read it, and a connection error names the operator's
// network ("dial tcp 10.0.3.7:25: connect: connection refused"); the
// whole error is in the log line of the failure, with the message's id.
func deliveryError(err error) string {
	if errors.Is(err, ErrNoSMTPUTF8) {
		return "Not sent: the address has characters beyond ASCII (before the @, or in a domain DNS cannot spell in ASCII), which the mail server does not take (it offers no SMTPUTF8)."
	}
	var reply *gomail.SendError
	if errors.As(err, &reply) && reply.ErrorCode() >= 400 && reply.ErrorCode() < 600 {
		code := strconv.Itoa(reply.ErrorCode())
		if enhanced := reply.EnhancedStatusCode(); enhanced != "" {
			code += " " + enhanced
		}
		if reply.ErrorCode() >= 500 {
			return "The mail server refused the email (" + code + ")."
		}
		return "The mail server deferred the email (" + code + ")."
	}
	return "The email could not be handed to the mail server; the operator's log has the details."
}

// refused reports whether the mail server refused this email for good: a
// 5xx reply to its recipient or its content whose enhanced status (RFC
// 3463) blames the address (5.1.x: no such mailbox) or the message itself
// (5.6.x), the same on every try. Anything else is tried again: a refusal
// of the sender, the login or the relay (5.7.x, "relay access denied" to
// a server without credentials) is the operator's to mend meanwhile. An
// address the server cannot take at all (ErrNoSMTPUTF8) is refused too.
func refused(err error) bool {
	if errors.Is(err, ErrNoSMTPUTF8) {
		return true
	}
	var reply *gomail.SendError
	if !errors.As(err, &reply) || reply.ErrorCode() < 500 || reply.ErrorCode() >= 600 {
		return false
	}
	switch reply.Reason {
	case gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
		code := reply.EnhancedStatusCode()
		return strings.HasPrefix(code, "5.1.") || strings.HasPrefix(code, "5.6.")
	}
	return false
}

// backoff is base doubled per attempt already made, at most an hour.
func backoff(base time.Duration, attempts int) time.Duration {
	d := base
	for i := 0; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}
