package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	"golang.org/x/net/idna"

	"github.com/rosterhq/roster"
)

// SMTPMailer sends through an SMTP server: STARTTLS (smtp://), implicit TLS
// (smtps://), and authentication when the URL carries a user (PLAIN, or
// ?auth=login|cram-md5|auto).
//
// Emails carry invitation and password reset links, which are as good as a
// login, so smtp:// requires STARTTLS: a server that does not offer it, or
// a network that strips the offer, gets nothing. Only a server on this
// machine (localhost or a loopback IP), where no network lies between, is
// sent to in the clear when it offers no STARTTLS; ?starttls=opportunistic
// allows that for another host, and ?starttls=required refuses it for a
// local one.
//
// The mailer introduces itself (EHLO) by the name given to NewSMTPMailer,
// or ?ehlo=NAME, which wins; with neither, by the machine's host name.
type SMTPMailer struct {
	host string
	opts []gomail.Option
}

// NewSMTPMailer reads smtp://user:pass@host:port or smtps://… . hello is
// the name to give in EHLO (see EHLOName), "" for the machine's host name.
// It returns an error that names the problem but never the password.
func NewSMTPMailer(rawURL, hello string) (*SMTPMailer, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("smtp-url: not a URL")
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("smtp-url: no host")
	}
	// A misspelt parameter would otherwise be ignored without a word.
	// The parameter is not named: an unencoded ? in a password starts a
	// query that holds the rest of it.
	for k := range u.Query() {
		if k != "starttls" && k != "auth" && k != "ehlo" {
			return nil, fmt.Errorf("smtp-url: an unknown parameter; the URL takes starttls=, auth= and ehlo= (percent-encode a ? in the password as %%3F)")
		}
	}
	// A path or a fragment means nothing to SMTP: most likely a password
	// holding "/" or "#" that was not percent-encoded.
	if strings.Trim(u.Path, "/") != "" || u.Fragment != "" || strings.Contains(rawURL, "#") {
		return nil, fmt.Errorf("smtp-url: want smtp://user:pass@host:port, without a path or fragment; percent-encode a / or # in the password (%%2F, %%23)")
	}
	if pass, _ := u.User.Password(); u.User != nil && u.User.Username() != "" && pass == "" {
		// smtp://user@host and smtp://user:@host alike: an empty password
		// is a password forgotten, not one to send.
		return nil, fmt.Errorf("smtp-url: a user without a password; write smtp://user:pass@host")
	}
	if u.Query().Has("auth") && (u.User == nil || u.User.Username() == "") {
		return nil, fmt.Errorf("smtp-url: auth= needs a user in the URL (smtp://user:pass@host)")
	}
	// The port is always set here, never left to go-mail's port policies,
	// which fall back to port 25 in the clear when the connection fails,
	// even on a port given explicitly.
	opts := []gomail.Option{gomail.WithTimeout(30 * time.Second)}
	port := gomail.DefaultPortTLS // submission, STARTTLS
	switch u.Scheme {
	case "smtp":
		policy, err := startTLSPolicy(u)
		if err != nil {
			return nil, err
		}
		opts = append(opts, gomail.WithTLSPolicy(policy))
	case "smtps":
		if u.Query().Has("starttls") {
			return nil, fmt.Errorf("smtp-url: starttls= is for smtp://; smtps:// is TLS from the start")
		}
		port = gomail.DefaultPortSSL
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("smtp-url: scheme %q, want smtp or smtps", u.Scheme)
	}
	if p := u.Port(); p != "" {
		var err error
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("smtp-url: bad port %q", p)
		}
	}
	opts = append(opts, gomail.WithPort(port))
	if u.Query().Has("ehlo") {
		hello = u.Query().Get("ehlo")
		if !validEHLO(hello) {
			return nil, fmt.Errorf("smtp-url: ehlo=%q, want a host name such as roster.example.com or an address literal such as [192.0.2.1]", hello)
		}
	}
	if hello != "" {
		opts = append(opts, gomail.WithHELO(hello))
	}
	if u.User != nil && u.User.Username() != "" {
		pass, _ := u.User.Password()
		auth := gomail.SMTPAuthPlain
		switch mech := u.Query().Get("auth"); mech {
		case "", "plain":
		case "login":
			auth = gomail.SMTPAuthLogin
		case "cram-md5":
			auth = gomail.SMTPAuthCramMD5
		case "auto":
			auth = gomail.SMTPAuthAutoDiscover
		default:
			return nil, fmt.Errorf("smtp-url: auth=%q, want plain, login, cram-md5 or auto", mech)
		}
		// PLAIN and LOGIN refuse to send the password over a connection
		// that is not encrypted, unless the server is on this machine.
		opts = append(opts, gomail.WithSMTPAuth(auth),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass))
	}
	// Check the options once now, so that a bad URL stops the service at start.
	if _, err := gomail.NewClient(u.Hostname(), opts...); err != nil {
		return nil, fmt.Errorf("smtp-url: %w", err)
	}
	return &SMTPMailer{host: u.Hostname(), opts: opts}, nil
}

// URLWarnings are what an operator should hear at start about an SMTP URL
// that NewSMTPMailer takes: settings that deliver nothing in some case.
// PLAIN and LOGIN (the default, and ?auth=login) never send a password
// over a connection without TLS except to go-mail's own names for this
// machine (localhost, 127.0.0.1, ::1; not another loopback address). So a
// user in a URL whose STARTTLS is opportunistic (?starttls=opportunistic,
// or by default to a loopback host) gets nothing from a server that offers
// no STARTTLS, and every email to it fails. (?auth=auto picks SCRAM or
// CRAM-MD5 there when the server offers them.)
func URLWarnings(rawURL string) []string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "smtp" || u.User == nil || u.User.Username() == "" {
		return nil
	}
	q := u.Query()
	host := u.Hostname()
	policy, err := startTLSPolicy(u)
	if err != nil || policy != gomail.TLSOpportunistic || host == "localhost" || host == "127.0.0.1" || host == "::1" {
		return nil
	}
	if mech := q.Get("auth"); mech != "" && mech != "plain" && mech != "login" {
		return nil
	}
	return []string{"smtp-url: STARTTLS is opportunistic and the URL has a user: a mail server that offers no STARTTLS gets no password " +
		"(PLAIN and LOGIN are sent in the clear only to localhost, 127.0.0.1 or ::1), and every email to it fails; " +
		"use a server that offers STARTTLS, smtps://, or auth=cram-md5 or auto"}
}

// startTLSPolicy reads ?starttls= for an smtp:// URL; see SMTPMailer.
func startTLSPolicy(u *url.URL) (gomail.TLSPolicy, error) {
	switch v := u.Query().Get("starttls"); v {
	case "required":
		return gomail.TLSMandatory, nil
	case "opportunistic":
		return gomail.TLSOpportunistic, nil
	case "":
		if isLoopback(u.Hostname()) {
			return gomail.TLSOpportunistic, nil
		}
		return gomail.TLSMandatory, nil
	default:
		return 0, fmt.Errorf("smtp-url: starttls=%q, want required or opportunistic", v)
	}
}

// EHLOName is the name a mailer of the service at baseURL gives in EHLO:
// the base URL's host, as RFC 5321 writes it (a name encoded for DNS, an
// IP address as an address literal), or "" when it has none.
func EHLOName(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil || u.Hostname() == "" {
		return ""
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Is4() {
			return "[" + ip.String() + "]"
		}
		return "[IPv6:" + ip.WithZone("").String() + "]"
	}
	host, err = idna.Lookup.ToASCII(host)
	if err != nil || !validEHLO(host) {
		return ""
	}
	return host
}

// validEHLO reports whether name is a domain (letters, digits and hyphens
// in dot-separated labels) or an address literal ([192.0.2.1],
// [IPv6:2001:db8::1]), as RFC 5321 wants EHLO's argument.
func validEHLO(name string) bool {
	if lit, ok := strings.CutPrefix(name, "["); ok {
		lit, ok = strings.CutSuffix(lit, "]")
		v6, isV6 := strings.CutPrefix(lit, "IPv6:")
		if isV6 {
			lit = v6
		}
		ip, err := netip.ParseAddr(lit)
		return ok && err == nil && ip.Zone() == "" && ip.Is6() == isV6
	}
	if name == "" || len(name) > 253 {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range []byte(label) {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// isLoopback reports whether host names this machine: "localhost" or a
// loopback IP. It does not resolve names, whose answers a network can forge.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Send delivers one email in its own connection.
func (m *SMTPMailer) Send(ctx context.Context, e Email) error {
	// No User-Agent or X-Mailer naming the library and its version.
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	// The domains as DNS writes them: a mail server that does not take
	// UTF-8 addresses (no SMTPUTF8) takes bücher.example as
	// xn--bcher-kva.example.
	from, err := netmail.ParseAddress(e.From)
	if err != nil {
		return fmt.Errorf("from address %q: %w", e.From, err)
	}
	from.Address = roster.ASCIIEmail(from.Address)
	msg.FromMailAddress(from)
	if err := msg.To(roster.ASCIIEmail(e.To)); err != nil {
		return fmt.Errorf("to address: %w", err)
	}
	msg.Subject(e.Subject)
	msg.SetMessageIDWithValue(trimAngles(e.MessageID))
	msg.SetDate()
	// Sent by a program, not a person: vacation replies and ticket
	// systems (an invited support@ address) do not answer it (RFC 3834).
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, e.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, e.HTML)
	c, err := gomail.NewClient(m.host, m.opts...)
	if err != nil {
		return err
	}
	err = dialAndSend(ctx, c, msg)
	if err != nil && msg.IsDelivered() {
		// The server took the message (250 after its data); what failed
		// is the RSET or QUIT after it. Sent again, it would arrive again,
		// up to every attempt of the retry window.
		return nil
	}
	return err
}

// ErrNoSMTPUTF8 is returned by Send for a message with an address that
// is not ASCII before its @ (josé@example.com) to a mail server that does
// not offer SMTPUTF8 (RFC 6531): nothing is sent, since such a server
// cannot take the address, nor be given it in another form (the mailbox
// is its server's to read, and has no ASCII spelling). It will not take
// it on another try either.
var ErrNoSMTPUTF8 = errors.New("smtp: the message has an address that is not ASCII, and the mail server does not offer SMTPUTF8")

// dialAndSend is go-mail's DialAndSendWithContext, which declares
// SMTPUTF8 on MAIL FROM whenever the server offers it, with a look at the
// server's extensions between its EHLO and the message: a message that
// needs SMTPUTF8 is not sent to a server without it.
func dialAndSend(ctx context.Context, c *gomail.Client, msg *gomail.Msg) (err error) {
	client, err := c.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return fmt.Errorf("dial failed: %w", err)
	}
	defer func() {
		if closeErr := c.CloseWithSMTPClient(client); closeErr != nil {
			err = errors.Join(err, fmt.Errorf("failed to close connection: %w", closeErr))
		}
	}()
	if needsSMTPUTF8(msg) {
		if ok, _ := client.Extension("SMTPUTF8"); !ok {
			return ErrNoSMTPUTF8
		}
	}
	if err = c.SendWithSMTPClient(client, msg); err != nil {
		return fmt.Errorf("send failed: %w", err)
	}
	return nil
}

// needsSMTPUTF8 reports whether an address of msg's envelope is not
// ASCII. Its headers are ASCII but for the same addresses: go-mail
// encodes the subject and the names.
func needsSMTPUTF8(msg *gomail.Msg) bool {
	from, _ := msg.GetSender(false)
	rcpts, _ := msg.GetRecipients()
	for _, a := range append(rcpts, from) {
		if !roster.IsASCII(a) {
			return true
		}
	}
	return false
}

// trimAngles strips the <> that go-mail adds itself.
func trimAngles(id string) string {
	if len(id) >= 2 && id[0] == '<' && id[len(id)-1] == '>' {
		return id[1 : len(id)-1]
	}
	return id
}
