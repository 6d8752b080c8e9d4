package mail

import (
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
