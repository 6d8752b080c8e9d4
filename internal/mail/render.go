package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/rosterhq/roster"
)

//go:embed templates
var templateFS embed.FS

// Templates renders outbox messages. Parse them once at start so that a
// broken template stops the service at boot, not at the first email.
type Templates struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

var funcs = map[string]any{
	"date": func(s string) string {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return s
		}
		return t.UTC().Format("2 January 2006 at 15:04 UTC")
	},
}

// ParseTemplates parses the embedded templates.
func ParseTemplates() (*Templates, error) {
	text, err := texttemplate.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.txt")
	if err != nil {
		return nil, fmt.Errorf("parse text mail templates: %w", err)
	}
	html, err := htmltemplate.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse html mail templates: %w", err)
	}
	for _, kind := range []string{roster.MessageInvitation, roster.MessageOwnerActivation, roster.MessagePasswordReset,
		roster.MessagePasswordChanged, roster.MessageOwnerNotice} {
		for _, part := range []string{"subject", "text"} {
			if text.Lookup(kind+"."+part) == nil {
				return nil, fmt.Errorf("mail template %s.%s is missing", kind, part)
			}
		}
		if html.Lookup(kind+".html") == nil {
			return nil, fmt.Errorf("mail template %s.html is missing", kind)
		}
	}
	return &Templates{text: text, html: html}, nil
}

// view is what a template sees.
type view struct {
	Data map[string]string
	Link string
}

// Render turns an outbox message into an email.
func (t *Templates) Render(m *roster.Message, from, messageIDHost string) (Email, error) {
	v := view{Data: m.Data, Link: m.Link}
	var subject, text, html bytes.Buffer
	if err := t.text.ExecuteTemplate(&subject, m.Kind+".subject", v); err != nil {
		return Email{}, fmt.Errorf("render %s subject: %w", m.Kind, err)
	}
	if err := t.text.ExecuteTemplate(&text, m.Kind+".text", v); err != nil {
		return Email{}, fmt.Errorf("render %s text: %w", m.Kind, err)
	}
	if err := t.html.ExecuteTemplate(&html, m.Kind+".html", v); err != nil {
		return Email{}, fmt.Errorf("render %s html: %w", m.Kind, err)
	}
	return Email{
		// The row's id and time: a database made again, or restored,
		// numbers its messages from 1 again, and a mail program may drop
		// a message whose id it has seen.
		MessageID: fmt.Sprintf("<roster-%d.%d@%s>", m.ID, m.CreatedAt.UnixMicro(), messageIDHost),
		From:      from,
		To:        m.To,
		// A subject is one line, and plain text: names in it come from
		// users, and "=?…?=" in a header is decoded by mail programs as an
		// encoded word, which could carry the characters names may not
		// (names have refused "=?" since; older ones may hold it).
		Subject: strings.ReplaceAll(strings.Join(strings.Fields(subject.String()), " "), "=?", "= ?"),
		Text:    text.String(),
		HTML:    html.String(),
	}, nil
}
