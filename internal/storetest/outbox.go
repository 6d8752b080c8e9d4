package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rosterhq/roster"
)

func claim(t *testing.T, s roster.Store, now time.Time, lease time.Duration, limit int) []int64 {
	t.Helper()
	var got []*roster.Message
	Write(t, s, "", func(tx roster.Tx) error {
		var err error
		got, err = tx.ClaimMessages(now, lease, limit)
		return err
	})
	out := make([]int64, len(got))
	for i, m := range got {
		out[i] = m.ID
	}
	return out
}

func message(t *testing.T, s roster.Store, id int64) *roster.Message {
	t.Helper()
	var out *roster.Message
	Read(t, s, func(tx roster.Tx) error {
		all, err := tx.Messages("", roster.MaxPageSize)
		for _, m := range all {
			if m.ID == id {
				out = m
			}
		}
		return err
	})
	if out == nil {
		t.Fatalf("message %d is not in Messages", id)
	}
	return out
}

func enqueue(t *testing.T, s roster.Store, m *roster.Message) *roster.Message {
	t.Helper()
	Write(t, s, "", func(tx roster.Tx) error { return tx.EnqueueMessage(m) })
	return m
}

func testOutbox(t *testing.T, s roster.Store) {
	const lease = time.Minute
	now := T0
	m1 := enqueue(t, s, &roster.Message{
		Kind: roster.MessagePasswordReset, To: "a@example.test", UserID: "u1",
		Data: map[string]string{"name": "Ann", "quote": `"x" ✓`}, Link: "https://roster.test/reset?token=secret",
		NextAttemptAt: now.Add(-time.Second), CreatedAt: now.Add(-time.Second),
	})
	m2 := enqueue(t, s, &roster.Message{Kind: roster.MessageOwnerNotice, To: "b@example.test", NextAttemptAt: now, CreatedAt: now})
	later := enqueue(t, s, &roster.Message{Kind: roster.MessageOwnerNotice, To: "c@example.test", NextAttemptAt: now.Add(time.Hour), CreatedAt: now})
	if !(m1.ID < m2.ID && m2.ID < later.ID) {
		t.Fatalf("EnqueueMessage ids = %d, %d, %d; want increasing", m1.ID, m2.ID, later.ID)
	}

	got := message(t, s, m1.ID)
	want := *m1
	want.Status = roster.MessagePending
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("Messages: enqueued message mismatch (-want +got):\n%s", diff)
	}

	if got := claim(t, s, now, lease, 1); !cmp.Equal(got, []int64{m1.ID}) {
		t.Errorf("ClaimMessages(limit 1) = %v, want [%d] (the oldest due)", got, m1.ID)
	}
	if got := claim(t, s, now, lease, 10); !cmp.Equal(got, []int64{m2.ID}) {
		t.Errorf("ClaimMessages = %v, want [%d] (m1 is claimed, the third not due)", got, m2.ID)
	}
	if got := claim(t, s, now.Add(lease-time.Second), lease, 10); len(got) != 0 {
		t.Errorf("ClaimMessages before the leases end = %v, want none", got)
	}
	if got := claim(t, s, now.Add(lease), lease, 10); !cmp.Equal(got, []int64{m1.ID, m2.ID}) {
		t.Errorf("ClaimMessages when the leases end = %v, want [%d %d] again", got, m1.ID, m2.ID)
	}
	Read(t, s, func(tx roster.Tx) error {
		got, err := tx.Message(m2.ID)
		if err != nil || got.ID != m2.ID || got.To != m2.To {
			t.Errorf("Message(%d) = %+v, %v", m2.ID, got, err)
		}
		_, err = tx.Message(later.ID + 1000)
		wantCode(t, "Message of a missing id", err, roster.CodeNotFound)
		return nil
	})
	// A released claim is free again at once.
	Write(t, s, "", func(tx roster.Tx) error { return tx.ReleaseMessage(m2.ID) })
	if got := claim(t, s, now.Add(lease), lease, 10); !cmp.Equal(got, []int64{m2.ID}) {
		t.Errorf("ClaimMessages after ReleaseMessage = %v, want [%d]", got, m2.ID)
	}
	wantWriteCode(t, s, "", "ReleaseMessage of a missing message", roster.CodeNotFound,
		func(tx roster.Tx) error { return tx.ReleaseMessage(later.ID + 1000) })
	now = now.Add(lease)

	// m1 is delivered: its link goes.
	sentAt := now.Add(time.Second)
	Write(t, s, "", func(tx roster.Tx) error { return tx.MarkMessageSent(m1.ID, sentAt) })
	got = message(t, s, m1.ID)
	if got.Status != roster.MessageSent || got.Link != "" || got.SentAt == nil || !got.SentAt.Equal(sentAt) {
		t.Errorf("after MarkMessageSent: status %q, link %q, sent at %v; want sent, no link, %v", got.Status, got.Link, got.SentAt, sentAt)
	}

	// m2 fails and is retried later.
	retryAt := now.Add(10 * time.Second)
	Write(t, s, "", func(tx roster.Tx) error { return tx.MarkMessageFailed(m2.ID, "450 try later", retryAt) })
	got = message(t, s, m2.ID)
	if got.Status != roster.MessagePending || got.Attempts != m2.Attempts+1 || got.LastError != "450 try later" || !got.NextAttemptAt.Equal(retryAt) {
		t.Errorf("after MarkMessageFailed with a retry: %+v; want pending, one more attempt, the error, due at %v", got, retryAt)
	}
	if got := claim(t, s, retryAt.Add(-time.Microsecond), lease, 10); len(got) != 0 {
		t.Errorf("ClaimMessages before the retry is due = %v, want none", got)
	}
	if got := claim(t, s, retryAt, lease, 10); !cmp.Equal(got, []int64{m2.ID}) {
		t.Errorf("ClaimMessages when the retry is due = %v, want [%d] (a sent message is never claimed)", got, m2.ID)
	}

	// m2 is given up: its link goes.
	Write(t, s, "", func(tx roster.Tx) error { return tx.MarkMessageFailed(m2.ID, "550 no such user", time.Time{}) })
	got = message(t, s, m2.ID)
	if got.Status != roster.MessageFailed || got.Link != "" || got.LastError != "550 no such user" || got.ClaimedUntil != nil {
		t.Errorf("after giving up: %+v; want failed, no link, the error, no claim", got)
	}
	if got := claim(t, s, now.Add(24*time.Hour), lease, 10); !cmp.Equal(got, []int64{later.ID}) {
		t.Errorf("ClaimMessages a day later = %v, want only [%d]", got, later.ID)
	}

	// An operator retries it, while the third message's claim still runs.
	retried := now.Add(24*time.Hour + lease/2)
	Write(t, s, "", func(tx roster.Tx) error { return tx.RetryMessage(m2.ID, retried) })
	got = message(t, s, m2.ID)
	if got.Status != roster.MessagePending || !got.NextAttemptAt.Equal(retried) {
		t.Errorf("after RetryMessage: status %q, due %v; want pending, %v", got.Status, got.NextAttemptAt, retried)
	}
	if got := claim(t, s, retried, lease, 10); !cmp.Equal(got, []int64{m2.ID}) {
		t.Errorf("ClaimMessages after RetryMessage = %v, want [%d]", got, m2.ID)
	}
	// Retried again while that claim runs (the message is being sent), it
	// is refused, changes nothing, and is not claimed a second time
	// before the lease ends.
	// The message says it is claimed, and the refusal when the claim ends.
	if got := message(t, s, m2.ID); got.ClaimedUntil == nil || !got.ClaimedUntil.Equal(retried.Add(lease)) {
		t.Errorf("a claimed message's ClaimedUntil = %v, want %v", got.ClaimedUntil, retried.Add(lease))
	}
	err := s.Write(context.Background(), "", func(tx roster.Tx) error { return tx.RetryMessage(m2.ID, retried.Add(time.Second)) })
	wantCode(t, "RetryMessage(claimed)", err, roster.CodeConflict)
	if until := retried.Add(lease).UTC().Format("15:04:05"); !strings.Contains(roster.ErrorMessage(err), until) {
		t.Errorf("RetryMessage(claimed): %q does not say the claim ends at %s", roster.ErrorMessage(err), until)
	}
	if got := message(t, s, m2.ID); !got.NextAttemptAt.Equal(retried) {
		t.Errorf("a refused retry of a claimed message made it due at %v, want %v still", got.NextAttemptAt, retried)
	}
	if got := claim(t, s, retried.Add(time.Second), lease, 10); len(got) != 0 {
		t.Errorf("ClaimMessages after retrying a claimed message = %v, want none until the claim ends", got)
	}
	// (The third message's claim has ended by then too.)
	if got := claim(t, s, retried.Add(lease), lease, 10); !cmp.Equal(got, []int64{later.ID, m2.ID}) {
		t.Errorf("ClaimMessages when the claims have ended = %v, want [%d %d]", got, later.ID, m2.ID)
	}

	Read(t, s, func(tx roster.Tx) error {
		all, err := tx.Messages("", 10)
		if err != nil {
			t.Fatalf("Messages: %v", err)
		}
		if got, want := msgIDs(all), []int64{later.ID, m2.ID, m1.ID}; !cmp.Equal(got, want) {
			t.Errorf("Messages (newest first) = %v, want %v", got, want)
		}
		if two, err := tx.Messages("", 2); err != nil || !cmp.Equal(msgIDs(two), []int64{later.ID, m2.ID}) {
			t.Errorf("Messages(limit 2) = %v, %v; want [%d %d]", msgIDs(two), err, later.ID, m2.ID)
		}
		sent, err := tx.Messages(roster.MessageSent, 10)
		if err != nil || !cmp.Equal(msgIDs(sent), []int64{m1.ID}) {
			t.Errorf("Messages(sent) = %v, %v; want [%d]", msgIDs(sent), err, m1.ID)
		}
		failed, err := tx.Messages(roster.MessageFailed, 10)
		if err != nil || len(failed) != 0 {
			t.Errorf("Messages(failed) = %v, %v; want none", msgIDs(failed), err)
		}
		return nil
	})

	for _, tc := range []struct {
		what string
		fn   func(tx roster.Tx) error
	}{
		{"MarkMessageSent(unknown)", func(tx roster.Tx) error { return tx.MarkMessageSent(1<<40, now) }},
		{"MarkMessageFailed(unknown)", func(tx roster.Tx) error { return tx.MarkMessageFailed(1<<40, "x", now) }},
		{"RetryMessage(unknown)", func(tx roster.Tx) error { return tx.RetryMessage(1<<40, now) }},
	} {
		wantWriteCode(t, s, "", tc.what, roster.CodeNotFound, tc.fn)
	}
}

func msgIDs(ms []*roster.Message) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// testOutboxInvitationError checks that a member's invitation error follows
// the delivery of the messages tied to it.
func testOutboxInvitationError(t *testing.T, s roster.Store) {
	a := NewAccount(t, s, "Acme", "bigeye")
	m := NewUserMember(t, s, a, "Ivy Invited", "User", roster.StatusPending)
	Write(t, s, a.ID, func(tx roster.Tx) error {
		return tx.PutInvitation(&roster.Invitation{AccountID: a.ID, UserID: m.UserID, TokenHash: NewID("hash"), ExpiresAt: T0.Add(time.Hour), SentAt: T0})
	})
	invite := func() *roster.Message {
		return enqueue(t, s, &roster.Message{
			Kind: roster.MessageInvitation, To: m.Email, AccountID: a.ID, UserID: m.UserID,
			Link: "https://roster.test/activate?token=secret", NextAttemptAt: T0, CreatedAt: T0,
		})
	}
	invitationError := func() string {
		t.Helper()
		return member(t, s, a.ID, m.UserID).InvitationError
	}

	msg := invite()
	Write(t, s, "", func(tx roster.Tx) error { return tx.MarkMessageFailed(msg.ID, "421 busy", T0.Add(time.Minute)) })
	if got := invitationError(); got != "421 busy" {
		t.Errorf("InvitationError after a failed attempt = %q, want %q", got, "421 busy")
	}
	if got := message(t, s, msg.ID).Link; got == "" {
		t.Errorf("a message that will be retried lost its link")
	}
	Write(t, s, "", func(tx roster.Tx) error { return tx.MarkMessageSent(msg.ID, T0.Add(time.Minute)) })
	if got := invitationError(); got != "" {
		t.Errorf("InvitationError after delivery = %q, want \"\"", got)
	}

	// The link is issued again a minute later, with a new email: the
	// outcome of the older email, still being retried, says nothing of it.
	old := invite()
	Write(t, s, a.ID, func(tx roster.Tx) error {
		return tx.PutInvitation(&roster.Invitation{AccountID: a.ID, UserID: m.UserID, TokenHash: NewID("hash"), ExpiresAt: T0.Add(time.Hour), SentAt: T0.Add(time.Minute)})
	})
	newer := enqueue(t, s, &roster.Message{
		Kind: roster.MessageInvitation, To: m.Email, AccountID: a.ID, UserID: m.UserID,
		Link: "https://roster.test/activate?token=newer", NextAttemptAt: T0.Add(time.Minute), CreatedAt: T0.Add(time.Minute),
	})
	Write(t, s, "", func(tx roster.Tx) error { return tx.MarkMessageSent(newer.ID, T0.Add(2*time.Minute)) })
	Write(t, s, "", func(tx roster.Tx) error { return tx.MarkMessageFailed(old.ID, "421 try later", T0.Add(3*time.Minute)) })
	if got := invitationError(); got != "" {
		t.Errorf("InvitationError after the older email failed = %q, want the newer one's outcome, \"\"", got)
	}

	msg = enqueue(t, s, &roster.Message{
		Kind: roster.MessageInvitation, To: m.Email, AccountID: a.ID, UserID: m.UserID,
		Link: "https://roster.test/activate?token=newer", NextAttemptAt: T0.Add(time.Minute), CreatedAt: T0.Add(time.Minute),
	})
	Write(t, s, "", func(tx roster.Tx) error { return tx.MarkMessageFailed(msg.ID, "550 unknown mailbox", time.Time{}) })
	if got := invitationError(); got != "550 unknown mailbox" {
		t.Errorf("InvitationError after giving up = %q, want %q", got, "550 unknown mailbox")
	}
	if got := message(t, s, msg.ID); got.Link != "" || got.Status != roster.MessageFailed {
		t.Errorf("given-up message: status %q, link %q; want failed, no link", got.Status, got.Link)
	}

	// Instances' clocks disagree: the email of the link before was made by
	// one whose clock runs ahead, the link is issued again by one behind,
	// so the older email looks made after the newer link. Its outcome
	// still says nothing of the newer link.
	ahead := enqueue(t, s, &roster.Message{
		Kind: roster.MessageInvitation, To: m.Email, AccountID: a.ID, UserID: m.UserID,
		Link: "https://roster.test/activate?token=ahead", NextAttemptAt: T0.Add(10 * time.Minute), CreatedAt: T0.Add(10 * time.Minute),
	})
	Write(t, s, a.ID, func(tx roster.Tx) error {
		return tx.PutInvitation(&roster.Invitation{AccountID: a.ID, UserID: m.UserID, TokenHash: NewID("hash"), ExpiresAt: T0.Add(time.Hour), SentAt: T0.Add(5 * time.Minute)})
	})
	Write(t, s, "", func(tx roster.Tx) error {
		return tx.MarkMessageFailed(ahead.ID, "421 from the clock ahead", T0.Add(11*time.Minute))
	})
	if got := invitationError(); got != "" {
		t.Errorf("InvitationError after an older email made by a clock ahead failed = %q, want \"\"", got)
	}
}
