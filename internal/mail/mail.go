// Package mail delivers the outbox: it renders each queued message from its
// templates and hands it to a mailer (the log mailer by default, SMTP when
// configured), retrying with backoff.
package mail

import (
	"context"
	"log/slog"
)

// Email is a rendered message ready to send.
type Email struct {
	// MessageID is stable across attempts, so a receiver can drop a repeat.
	MessageID string
	From      string
	To        string
	Subject   string
	Text      string
	HTML      string
}

// LogMailer writes each message, link included, to the log: the embedded
// default that needs no mail server.
type LogMailer struct {
	Log *slog.Logger
}

// Send logs the message.
func (m LogMailer) Send(_ context.Context, e Email) error {
	m.Log.Info("mail (log mailer; set ROSTER_SMTP_URL to send for real)",
		"message_id", e.MessageID, "to", e.To, "subject", e.Subject, "body", e.Text)
	return nil
}
