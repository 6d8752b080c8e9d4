package config

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func TestPrecedence(t *testing.T) {
	env := map[string]string{"ROSTER_ADDR": "127.0.0.1:9000", "ROSTER_DB": "env.db"}
	c := Default()
	c.FromEnv(func(k string) string { return env[k] })
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.Register(fs)
	if err := fs.Parse([]string{"--db", "flag.db"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9000" {
		t.Errorf("Addr = %q, want the environment's 127.0.0.1:9000", c.Addr)
	}
	if c.DB != "flag.db" {
		t.Errorf("DB = %q, want the flag's flag.db", c.DB)
	}
	if c.BaseURL != "http://127.0.0.1:9000" {
		t.Errorf("BaseURL = %q, want it derived from the address", c.BaseURL)
	}
}

func TestValidateRefuses(t *testing.T) {
	for name, mod := range map[string]func(*Config){
		"addr":                       func(c *Config) { c.Addr = "nonsense" },
		"addr port":                  func(c *Config) { c.Addr = "127.0.0.1:99999" },
		"db":                         func(c *Config) { c.DB = " " },
		"base-url":                   func(c *Config) { c.BaseURL = "ftp://x" },
		"smtp-url":                   func(c *Config) { c.SMTPURL = "http://mail" },
		"log-level":                  func(c *Config) { c.LogLevel = "loud" },
		"log-format":                 func(c *Config) { c.LogFormat = "yaml" },
		"roster_metrics_token short": func(c *Config) { c.MetricsToken = "letmein" },
		// A database address that is not a postgres:// URL would be the
		// name of a new SQLite file, password included, and logged.
		"db libpq keywords":    func(c *Config) { c.DB = "host=db user=roster password=pw dbname=roster" },
		"db other scheme":      func(c *Config) { c.DB = "mysql://u:pw@db/roster" },
		"base-url user":        func(c *Config) { c.BaseURL = "https://u:pw@roster.example.com" },
		"base-url query":       func(c *Config) { c.BaseURL = "https://roster.example.com?x=1" },
		"base-url fragment":    func(c *Config) { c.BaseURL = "https://roster.example.com#f" },
		"base-url empty query": func(c *Config) { c.BaseURL = "https://roster.example.com/?" },
		"base-url path":        func(c *Config) { c.BaseURL = "https://roster.example.com/team" },
		"mail-from":            func(c *Config) { c.MailFrom = "not an address" },
		"mail-from mailbox":    func(c *Config) { c.MailFrom = "Roster <rostér@acme.example>" },
		"mail-from domain":     func(c *Config) { c.MailFrom = "roster@aא.example" },
		"mail-poll":            func(c *Config) { c.MailPoll = time.Millisecond },
		"mail-retry-base":      func(c *Config) { c.MailRetryBase = 0 },
		"mail-max-attempts":    func(c *Config) { c.MailMaxAttempts = 0 },
		"auth-burst-per-ip":    func(c *Config) { c.AuthBurstPerIP = 0 },
		"auth-burst-per-email": func(c *Config) { c.AuthBurstPerEmail = -1 },
	} {
		c := Default()
		mod(&c)
		// The error names the setting: which of two is wrong is not left
		// to guess.
		if err := c.Validate(); err == nil || !strings.Contains(strings.ToLower(err.Error()), strings.Fields(name)[0]) {
			t.Errorf("%s: Validate() = %v, want an error naming %s", name, err, strings.Fields(name)[0])
		}
	}
}

func TestValidateAccepts(t *testing.T) {
	for name, tc := range map[string]struct {
		mod               func(*Config)
		db, base          string
		postgres, derived bool
	}{
		"defaults":            {func(c *Config) {}, "roster.db", "http://127.0.0.1:8080", false, true},
		"every interface":     {func(c *Config) { c.Addr = "0.0.0.0:8080" }, "roster.db", "http://localhost:8080", false, true},
		"every interface v6":  {func(c *Config) { c.Addr = "[::]:9000" }, "roster.db", "http://localhost:9000", false, true},
		"no host":             {func(c *Config) { c.Addr = ":8080" }, "roster.db", "http://localhost:8080", false, true},
		"given base":          {func(c *Config) { c.BaseURL = "https://roster.example.com/" }, "roster.db", "https://roster.example.com", false, false},
		"postgres upper case": {func(c *Config) { c.DB = "POSTGRES://u:pw@db/Roster" }, "postgres://u:pw@db/Roster", "http://127.0.0.1:8080", true, true},
		"a path with =":       {func(c *Config) { c.DB = "/srv/a=b/roster.db" }, "/srv/a=b/roster.db", "http://127.0.0.1:8080", false, true},
		"a Unicode sender":    {func(c *Config) { c.MailFrom = "Rösti Roster <roster@bücher.example>" }, "roster.db", "http://127.0.0.1:8080", false, true},
	} {
		c := Default()
		tc.mod(&c)
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if c.DB != tc.db || c.BaseURL != tc.base || c.Postgres() != tc.postgres || c.BaseURLDerived != tc.derived {
			t.Errorf("%s: db %q, base %q, postgres %v, derived %v; want %q, %q, %v, %v", name, c.DB, c.BaseURL, c.Postgres(), c.BaseURLDerived, tc.db, tc.base, tc.postgres, tc.derived)
		}
	}
}

// TestBadEnvironmentNamesTheVariable: a number or a duration that cannot
// be read is refused naming the variable and its value.
func TestBadEnvironmentNamesTheVariable(t *testing.T) {
	env := map[string]string{"ROSTER_MAIL_POLL": "abc", "ROSTER_AUTH_BURST_PER_IP": "ten"}
	c := Default()
	c.FromEnv(func(k string) string { return env[k] })
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate accepted unreadable variables")
	}
	for _, want := range []string{`ROSTER_MAIL_POLL="abc"`, `ROSTER_AUTH_BURST_PER_IP="ten"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

// TestFlagReplacesBadEnvironment: a flag given wins over the variable,
// even one that could not be read.
func TestFlagReplacesBadEnvironment(t *testing.T) {
	c := Default()
	c.FromEnv(func(k string) string { return map[string]string{"ROSTER_MAIL_POLL": "abc"}[k] })
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.Register(fs)
	if err := fs.Parse([]string{"--mail-poll", "2s"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil || c.MailPoll != 2*time.Second {
		t.Errorf("Validate = %v, mail poll %v; want the flag's 2s", err, c.MailPoll)
	}
}

// TestMailWarnings: with a mail server configured, the log mailer's
// defaults (a sender at localhost, links derived from the listen address)
// are warned of, and so is a password that may never be sent; without
// one, or once set, nothing is.
func TestMailWarnings(t *testing.T) {
	for name, tc := range map[string]struct {
		mod  func(*Config)
		want []string
	}{
		"log mailer": {func(c *Config) {}, nil},
		"smtp alone": {func(c *Config) { c.SMTPURL = "smtp://mail.example.com:587" }, []string{"roster@localhost", "derived from the listen address"}},
		"smtp and from": {func(c *Config) {
			c.SMTPURL, c.MailFrom = "smtp://mail.example.com:587", "Acme <roster@acme.example>"
		}, []string{"derived from the listen address"}},
		"all set": {func(c *Config) {
			c.SMTPURL, c.MailFrom, c.BaseURL = "smtp://mail.example.com:587", "roster@acme.example", "https://roster.acme.example"
		}, nil},
		// A password that go-mail will not send in the clear to another
		// host, to a server that may not offer STARTTLS.
		"opportunistic with a password": {func(c *Config) {
			c.SMTPURL, c.MailFrom, c.BaseURL = "smtp://u:p@mail.example.com:587?starttls=opportunistic", "roster@acme.example", "https://roster.acme.example"
		}, []string{"gets no password"}},
		"opportunistic with cram-md5": {func(c *Config) {
			c.SMTPURL, c.MailFrom, c.BaseURL = "smtp://u:p@mail.example.com:587?starttls=opportunistic&auth=cram-md5", "roster@acme.example", "https://roster.acme.example"
		}, nil},
		"opportunistic without a user": {func(c *Config) {
			c.SMTPURL, c.MailFrom, c.BaseURL = "smtp://mail.example.com:587?starttls=opportunistic", "roster@acme.example", "https://roster.acme.example"
		}, nil},
		"opportunistic to this machine": {func(c *Config) {
			c.SMTPURL, c.MailFrom, c.BaseURL = "smtp://u:p@localhost:587?starttls=opportunistic", "roster@acme.example", "https://roster.acme.example"
		}, nil},
		// Opportunistic by default to a loopback address, but go-mail
		// sends PLAIN in the clear only to the three names it knows.
		"another loopback address": {func(c *Config) {
			c.SMTPURL, c.MailFrom, c.BaseURL = "smtp://u:p@127.0.0.2:587", "roster@acme.example", "https://roster.acme.example"
		}, []string{"gets no password"}},
		"opportunistic with auto": {func(c *Config) {
			c.SMTPURL, c.MailFrom, c.BaseURL = "smtp://u:p@mail.example.com:587?starttls=opportunistic&auth=auto", "roster@acme.example", "https://roster.acme.example"
		}, nil},
		"opportunistic with login": {func(c *Config) {
			c.SMTPURL, c.MailFrom, c.BaseURL = "smtp://u:p@mail.example.com:587?starttls=opportunistic&auth=login", "roster@acme.example", "https://roster.acme.example"
		}, []string{"gets no password"}},
		"required with a password": {func(c *Config) {
			c.SMTPURL, c.MailFrom, c.BaseURL = "smtp://u:p@mail.example.com:587", "roster@acme.example", "https://roster.acme.example"
		}, nil},
	} {
		c := Default()
		tc.mod(&c)
		if err := c.Validate(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := c.MailWarnings()
		if len(got) != len(tc.want) {
			t.Errorf("%s: warnings %q; want %d", name, got, len(tc.want))
			continue
		}
		for i, w := range tc.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("%s: warning %q; want it to say %q", name, got[i], w)
			}
		}
	}
}
