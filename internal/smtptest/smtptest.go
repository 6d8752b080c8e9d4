// Package smtptest runs a real SMTP server on loopback for tests: it speaks
// the protocol (github.com/emersion/go-smtp), optionally asks for PLAIN
// authentication, and keeps every message it accepts.
package smtptest

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one accepted email.
type Message struct {
	From string
	To   []string
	Raw  []byte
	// SMTPUTF8 says MAIL FROM carried the SMTPUTF8 parameter (RFC 6531).
	SMTPUTF8 bool
	// Hello is the name the client gave in EHLO (or HELO).
	Hello string
}

// Header returns a header of the message.
func (m Message) Header(name string) string {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
	if err != nil {
		return ""
	}
	v := msg.Header.Get(name)
	if dec, err := new(mime.WordDecoder).DecodeHeader(v); err == nil {
		return dec
	}
	return v
}

// Part returns the decoded body part of the given media type ("text/plain",
// "text/html"), or "" when there is none.
func (m Message) Part(mediaType string) string {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
	if err != nil {
		return ""
	}
	return findPart(header(msg.Header), msg.Body, mediaType)
}

type header mail.Header

func findPart(h header, body io.Reader, want string) string {
	mt, params, err := mime.ParseMediaType(mail.Header(h).Get("Content-Type"))
	if err != nil {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") {
		r := multipart.NewReader(body, params["boundary"])
		for {
			p, err := r.NextRawPart()
			if err != nil {
				return ""
			}
			if s := findPart(header(p.Header), p, want); s != "" {
				return s
			}
		}
	}
	if mt != want {
		return ""
	}
	if strings.EqualFold(mail.Header(h).Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	b, _ := io.ReadAll(body)
	return string(b)
}

var linkRE = regexp.MustCompile(`https?://[^\s"<>]+token=[A-Za-z0-9_\-]+`)

// Link returns the first link with a token in the plain-text part.
func (m Message) Link() string { return linkRE.FindString(m.Part("text/plain")) }

// Server is a running SMTP server.
type Server struct {
	t        testing.TB
	user     string
	password string

	smtpUTF8 bool

	mu   sync.Mutex
	msgs []Message
	addr string
	srv  *smtp.Server
	// Fail, when set, refuses every message with this error.
	fail error
}

// Start runs a server on a free loopback port. With a user, clients must
// authenticate with PLAIN as user and password. It stops at the test's end.
func Start(t testing.TB, user, password string) *Server {
	t.Helper()
	return StartWith(t, Options{User: user, Password: password})
}

// Options are a server's settings.
type Options struct {
	// User and Password, when User is set, are the PLAIN credentials
	// clients must authenticate with.
	User, Password string
	// SMTPUTF8 makes the server offer the SMTPUTF8 extension (RFC 6531).
	SMTPUTF8 bool
}

// StartWith is Start with more settings.
func StartWith(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{t: t, user: o.User, password: o.Password, smtpUTF8: o.SMTPUTF8}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	s.serve(l)
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) serve(l net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, hello: c.Hostname()}, nil
	}))
	srv.Domain = "localhost"
	srv.EnableSMTPUTF8 = s.smtpUTF8
	srv.AllowInsecureAuth = true // loopback only
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 10 << 20
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go srv.Serve(l)
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// URL is the value for ROSTER_SMTP_URL.
func (s *Server) URL() string {
	u := url.URL{Scheme: "smtp", Host: s.addr}
	if s.user != "" {
		u.User = url.UserPassword(s.user, s.password)
	}
	return u.String()
}

// Stop closes the listener and every connection; the address stays ours
// to Restart on (nothing else on this machine takes it in a test's time).
func (s *Server) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// Restart listens again on the same address.
func (s *Server) Restart() {
	s.t.Helper()
	var l net.Listener
	var err error
	for i := 0; i < 50; i++ { // the port may linger briefly after Close
		if l, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("smtptest: listen again on %s: %v", s.addr, err)
	}
	s.serve(l)
}

// FailWith makes the server refuse every message with err (nil to accept
// again): a *smtp.SMTPError is the reply as it is, any other error a 451.
func (s *Server) FailWith(err error) {
	s.mu.Lock()
	s.fail = err
	s.mu.Unlock()
}

// Messages returns the accepted messages in arrival order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// WaitFor waits until at least n messages have arrived and returns them.
func (s *Server) WaitFor(n int, timeout time.Duration) []Message {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msgs := s.Messages()
		if len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("smtptest: %d messages after %v, want %d", len(msgs), timeout, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// To returns the messages sent to addr, in arrival order.
func (s *Server) To(addr string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

type session struct {
	s      *Server
	hello  string
	authed bool
	from   string
	utf8   bool
	to     []string
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != ss.s.user || password != ss.s.password {
			return errors.New("invalid credentials")
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, opts *smtp.MailOptions) error {
	if ss.s.user != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	if !opts.UTF8 && !ascii(from) {
		return errUndeclaredUTF8
	}
	ss.from, ss.utf8 = from, opts.UTF8
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !ss.utf8 && !ascii(to) {
		return errUndeclaredUTF8
	}
	ss.to = append(ss.to, to)
	return nil
}

// errUndeclaredUTF8 is Postfix's refusal of an address that is not ASCII
// in a transaction whose MAIL FROM did not declare SMTPUTF8: such an
// address can be neither delivered nor downgraded as it is.
var errUndeclaredUTF8 = &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 6, 7}, Message: "Must declare SMTPUTF8 to send unicode address"}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.fail != nil {
		var reply *smtp.SMTPError
		if errors.As(ss.s.fail, &reply) {
			return reply
		}
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: ss.s.fail.Error()}
	}
	ss.s.msgs = append(ss.s.msgs, Message{From: ss.from, To: ss.to, Raw: b, SMTPUTF8: ss.utf8, Hello: ss.hello})
	return nil
}

func (ss *session) Reset()        { ss.from, ss.utf8, ss.to = "", false, nil }
func (ss *session) Logout() error { return nil }
