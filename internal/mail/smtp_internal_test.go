package mail

import (
	"context"
	"errors"
	"net"
	"net/url"
	"testing"

	gomail "github.com/wneessen/go-mail"
)

// Only a server on this machine may be sent to in the clear by default;
// the URL's starttls= overrides the default either way.
func TestSTARTTLSPolicy(t *testing.T) {
	for raw, want := range map[string]gomail.TLSPolicy{
		"smtp://mail.example.com:587":                              gomail.TLSMandatory,
		"smtp://10.0.0.5:25":                                       gomail.TLSMandatory,
		"smtp://localhost.example.com":                             gomail.TLSMandatory,
		"smtp://127.0.0.1.nip.io":                                  gomail.TLSMandatory,
		"smtp://localhost:25":                                      gomail.TLSOpportunistic,
		"smtp://LOCALHOST:25":                                      gomail.TLSOpportunistic,
		"smtp://127.0.0.1:2525":                                    gomail.TLSOpportunistic,
		"smtp://[::1]:25":                                          gomail.TLSOpportunistic,
		"smtp://mail.example.com:25?starttls=opportunistic":        gomail.TLSOpportunistic,
		"smtp://127.0.0.1:25?starttls=required":                    gomail.TLSMandatory,
		"smtp://u:p@mail.example.com?auth=login&starttls=required": gomail.TLSMandatory,
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		got, err := startTLSPolicy(u)
		if err != nil || got != want {
			t.Errorf("startTLSPolicy(%s) = %v, %v; want %v", raw, got, err, want)
		}
	}
}

// The mailer dials the URL's port, or 587 (smtp) or 465 (smtps) without
// one, and nothing else: go-mail's port policies would try port 25 in the
// clear after a failed connection, even to a port given explicitly.
func TestSMTPDialsOnlyItsPort(t *testing.T) {
	for raw, want := range map[string]string{
		"smtp://127.0.0.1:1":                             "127.0.0.1:1",
		"smtp://127.0.0.1:1?starttls=opportunistic":      "127.0.0.1:1",
		"smtp://mail.example.com":                        "mail.example.com:587",
		"smtp://mail.example.com?starttls=opportunistic": "mail.example.com:587",
		"smtps://mail.example.com":                       "mail.example.com:465",
		"smtps://mail.example.com:2465":                  "mail.example.com:2465",
	} {
		m, err := NewSMTPMailer(raw, "")
		if err != nil {
			t.Fatal(err)
		}
		var dialled []string
		m.opts = append(m.opts, gomail.WithDialContextFunc(func(_ context.Context, _, addr string) (net.Conn, error) {
			dialled = append(dialled, addr)
			return nil, errors.New("refused")
		}))
		if err := m.Send(context.Background(), Email{MessageID: "<x@y>", From: "a@b.test", To: "c@d.test", Subject: "s", Text: "t", HTML: "h"}); err == nil {
			t.Errorf("%s: Send with every dial refused succeeded", raw)
		}
		if len(dialled) != 1 || dialled[0] != want {
			t.Errorf("%s dialled %q, want only %s", raw, dialled, want)
		}
	}
}
