package mail

import (
	"context"
	"log/slog"
	"time"

	"github.com/rosterhq/roster"
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
	// MessageIDHost is the right-hand side of Message-IDs (the base URL's host).
	MessageIDHost string
	// Interval is how often the outbox is polled; Lease how long a claim
	// lasts; MaxAttempts how many tries a message gets before it is given up.
	Interval    time.Duration
	Lease       time.Duration
	MaxAttempts int
	// Batch is how many messages one poll claims.
	Batch int
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
		w.MaxAttempts = 8
	}
	if w.Batch == 0 {
		w.Batch = 50
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
	for {
		for {
			n, err := w.DeliverDue(ctx)
			if err != nil && ctx.Err() == nil {
				w.Log.Error("outbox delivery", "err", err)
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

// DeliverDue claims the messages that are due and tries each once. It
// returns how many it claimed.
func (w *Worker) DeliverDue(ctx context.Context) (int, error) {
	w.defaults()
	var msgs []*roster.Message
	err := w.Store.Write(ctx, "", func(tx roster.Tx) error {
		var err error
		msgs, err = tx.ClaimMessages(w.Now().UTC(), w.Lease, w.Batch)
		return err
	})
	if err != nil {
		return 0, err
	}
	for _, m := range msgs {
		if ctx.Err() != nil {
			// Shutting down: the claim lapses and another run sends it.
			return len(msgs), nil
		}
		w.deliver(ctx, m)
	}
	return len(msgs), nil
}

func (w *Worker) deliver(ctx context.Context, m *roster.Message) {
	e, err := w.Templates.Render(m, w.From, w.MessageIDHost)
	if err == nil {
		err = w.Mailer.Send(ctx, e)
	}
	now := w.Now().UTC()
	if err == nil {
		if err := w.Store.Write(ctx, "", func(tx roster.Tx) error { return tx.MarkMessageSent(m.ID, now) }); err != nil {
			w.Log.Error("outbox: mark sent", "id", m.ID, "err", err)
		}
		return
	}
	retry := time.Time{}
	if m.Attempts+1 < w.MaxAttempts {
		retry = now.Add(backoff(m.Attempts))
	}
	w.Log.Warn("outbox: delivery failed", "id", m.ID, "kind", m.Kind, "attempt", m.Attempts+1, "err", err, "retry_at", retry)
	if err := w.Store.Write(ctx, "", func(tx roster.Tx) error { return tx.MarkMessageFailed(m.ID, err.Error(), retry) }); err != nil {
		w.Log.Error("outbox: mark failed", "id", m.ID, "err", err)
	}
}

// backoff is 30 s doubled per attempt, at most an hour.
func backoff(attempts int) time.Duration {
	d := 30 * time.Second
	for i := 0; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}
