// Package config reads Roster's configuration from flags and ROSTER_*
// environment variables. A flag wins over its variable; the variable wins
// over the default.
package config

import (
	"errors"
	"flag"
	"fmt"
	"maps"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster"
	rostermail "github.com/rosterhq/roster/internal/mail"
)

// Config is the service's configuration.
type Config struct {
	Addr     string // ROSTER_ADDR: listen address
	DB       string // ROSTER_DB: a SQLite path or a postgres:// URL
	BaseURL  string // ROSTER_BASE_URL: public address, for links in emails
	SMTPURL  string // ROSTER_SMTP_URL: smtp://user:pass@host:port; "" for the log mailer
	MailFrom string // ROSTER_MAIL_FROM
	// BaseURLDerived says BaseURL was not given but made from Addr by
	// Validate (DerivedBaseURL), so serve may correct it to the address it
	// really listens on (a port of 0).
	BaseURLDerived bool
	LogLevel       string // ROSTER_LOG_LEVEL: debug, info, warn, error
	LogFormat      string // ROSTER_LOG_FORMAT: text (key=value) or json

	// AuthBurstPerIP and AuthBurstPerEmail bound login, password reset and
	// invitation accept attempts (ROSTER_AUTH_BURST_PER_IP, _PER_EMAIL).
	AuthBurstPerIP    int
	AuthBurstPerEmail int

	// MailPoll is how often the outbox is polled (ROSTER_MAIL_POLL);
	// MailRetryBase the wait after a first failed delivery, doubled after
	// each further one (ROSTER_MAIL_RETRY_BASE); MailMaxAttempts how many
	// tries a message gets (ROSTER_MAIL_MAX_ATTEMPTS).
	MailPoll        time.Duration
	MailRetryBase   time.Duration
	MailMaxAttempts int

	// TrustedProxies lists the load balancers (addresses or CIDR prefixes,
	// comma-separated) whose X-Forwarded-For header names the client
	// (ROSTER_TRUSTED_PROXIES). Empty: the connection's address is the client.
	TrustedProxies string

	// MetricsToken, when set, is the bearer token /metrics asks for
	// (ROSTER_METRICS_TOKEN; from the environment only, as a flag would
	// show it in the process list).
	MetricsToken string

	ShutdownTimeout time.Duration

	// envErrs are the values FromEnv could not read, by the flag that
	// sets the same: Validate reports those the flags did not replace.
	envErrs map[string]error
	flags   *flag.FlagSet
}

// Default returns the embedded defaults: SQLite next to the binary, the log
// mailer, loopback only.
func Default() Config {
	return Config{
		Addr:              "127.0.0.1:8080",
		DB:                "roster.db",
		MailFrom:          "Roster <roster@localhost>",
		LogLevel:          "info",
		LogFormat:         "text",
		AuthBurstPerIP:    100,
		AuthBurstPerEmail: 10,
		MailPoll:          time.Second,
		MailRetryBase:     30 * time.Second,
		MailMaxAttempts:   30, // 30 s, doubling to an hour: about a day
		ShutdownTimeout:   10 * time.Second,
	}
}

// Register adds the flags of the serve-like commands to fs, with defaults
// taken from c (already overlaid with the environment by FromEnv).
func (c *Config) Register(fs *flag.FlagSet) {
	c.flags = fs
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (ROSTER_ADDR)")
	c.RegisterDB(fs)
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public base URL for links in emails (ROSTER_BASE_URL); default http://ADDR")
	fs.StringVar(&c.SMTPURL, "smtp-url", c.SMTPURL, "SMTP server smtp://user:pass@host:port (ROSTER_SMTP_URL); empty logs mail instead")
	hideDefault(fs, "smtp-url", "ROSTER_SMTP_URL", "")
	fs.StringVar(&c.MailFrom, "mail-from", c.MailFrom, "From address of emails (ROSTER_MAIL_FROM)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (ROSTER_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "text (key=value lines) or json (one object a line) (ROSTER_LOG_FORMAT)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", c.TrustedProxies, "load balancers whose X-Forwarded-For names the client, e.g. 10.0.0.0/8,192.168.1.5 (ROSTER_TRUSTED_PROXIES)")
	fs.DurationVar(&c.MailPoll, "mail-poll", c.MailPoll, "how often the outbox is polled (ROSTER_MAIL_POLL)")
	fs.DurationVar(&c.MailRetryBase, "mail-retry-base", c.MailRetryBase, "wait after a first failed delivery, doubled per further failure up to 1h (ROSTER_MAIL_RETRY_BASE)")
	fs.IntVar(&c.MailMaxAttempts, "mail-max-attempts", c.MailMaxAttempts, "delivery attempts before a message is given up (ROSTER_MAIL_MAX_ATTEMPTS)")
	fs.IntVar(&c.AuthBurstPerIP, "auth-burst-per-ip", c.AuthBurstPerIP, "login, reset, accept, password change and transfer attempts a client address may burst; one more per second after (ROSTER_AUTH_BURST_PER_IP)")
	fs.IntVar(&c.AuthBurstPerEmail, "auth-burst-per-email", c.AuthBurstPerEmail, "login, reset, accept, password change and transfer attempts per email from one address before waiting, one more per 30 s after; five times that from all addresses (ROSTER_AUTH_BURST_PER_EMAIL)")
}

// RegisterDB adds only the database flag, for commands that need nothing else.
func (c *Config) RegisterDB(fs *flag.FlagSet) {
	c.flags = fs
	fs.StringVar(&c.DB, "db", c.DB, "SQLite file path or postgres:// URL (ROSTER_DB)")
	hideDefault(fs, "db", "ROSTER_DB", Default().DB)
}

// hideDefault shows a flag's default taken from the environment as the
// variable's name in --help, which is pasted into tickets and CI logs: a
// database or SMTP URL may hold a password.
func hideDefault(fs *flag.FlagSet, name, env, builtin string) {
	if f := fs.Lookup(name); f != nil && f.DefValue != builtin {
		f.DefValue = "$" + env
	}
}

// FromEnv overlays the ROSTER_* variables found by getenv.
func (c *Config) FromEnv(getenv func(string) string) {
	set := func(dst *string, name string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	set(&c.Addr, "ROSTER_ADDR")
	set(&c.DB, "ROSTER_DB")
	set(&c.BaseURL, "ROSTER_BASE_URL")
	set(&c.SMTPURL, "ROSTER_SMTP_URL")
	set(&c.MailFrom, "ROSTER_MAIL_FROM")
	set(&c.LogLevel, "ROSTER_LOG_LEVEL")
	set(&c.LogFormat, "ROSTER_LOG_FORMAT")
	set(&c.TrustedProxies, "ROSTER_TRUSTED_PROXIES")
	set(&c.MetricsToken, "ROSTER_METRICS_TOKEN")
	// A value that is not a number or a duration is refused by Validate,
	// naming the variable and the value.
	bad := func(flag string, err error) {
		if c.envErrs == nil {
			c.envErrs = map[string]error{}
		}
		c.envErrs[flag] = err
	}
	setInt := func(dst *int, name, flag string) {
		if v := getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				bad(flag, fmt.Errorf("%s=%q: want a whole number", name, v))
				return
			}
			*dst = n
		}
	}
	setDuration := func(dst *time.Duration, name, flag string) {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				bad(flag, fmt.Errorf("%s=%q: want a duration such as 30s or 1m", name, v))
				return
			}
			*dst = d
		}
	}
	setDuration(&c.MailPoll, "ROSTER_MAIL_POLL", "mail-poll")
	setDuration(&c.MailRetryBase, "ROSTER_MAIL_RETRY_BASE", "mail-retry-base")
	setInt(&c.MailMaxAttempts, "ROSTER_MAIL_MAX_ATTEMPTS", "mail-max-attempts")
	setInt(&c.AuthBurstPerIP, "ROSTER_AUTH_BURST_PER_IP", "auth-burst-per-ip")
	setInt(&c.AuthBurstPerEmail, "ROSTER_AUTH_BURST_PER_EMAIL", "auth-burst-per-email")
}

// Validate checks the configuration and fills in what derives from it. Its
// errors are one line each, naming the setting.
func (c *Config) Validate() error {
	var errs []error
	given := map[string]bool{}
	if c.flags != nil {
		c.flags.Visit(func(f *flag.Flag) { given[f.Name] = true })
	}
	for _, name := range slices.Sorted(maps.Keys(c.envErrs)) {
		if !given[name] { // a flag given wins over the variable
			errs = append(errs, c.envErrs[name])
		}
	}
	if _, port, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: want host:port", c.Addr))
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		errs = append(errs, fmt.Errorf("addr %q: the port must be a number from 0 to 65535", c.Addr))
	}
	if err := c.CheckDB(); err != nil {
		errs = append(errs, err)
	}
	if c.BaseURL == "" {
		c.BaseURL, c.BaseURLDerived = DerivedBaseURL(c.Addr), true
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("base-url %q: want an absolute http or https URL", c.BaseURL))
	} else if u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(c.BaseURL, "?") || strings.Contains(c.BaseURL, "#") ||
		strings.Trim(u.Path, "/") != "" {
		// Links are the base URL with a path appended: a query or a
		// fragment would swallow it, and a password would be in every
		// email and log line. Roster serves from the root of its address,
		// its pages linking to /static/… and posting to /login, so a path
		// would give links that lead nowhere (DECISIONS 64).
		errs = append(errs, errors.New("base-url: want scheme://host[:port], without a path, user, query or fragment; Roster serves from the root of its address"))
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
			errs = append(errs, errors.New("smtp-url: want smtp://user:pass@host:port or smtps://user:pass@host:port"))
		}
	}
	if a, err := mail.ParseAddress(c.MailFrom); err != nil || a.Address == "" {
		errs = append(errs, fmt.Errorf("mail-from %q: want an address such as Roster <roster@example.com>", c.MailFrom))
	} else if !roster.IsASCII(roster.ASCIIEmail(a.Address)) {
		// Every email would need SMTPUTF8, and a server without it would
		// refuse them all (the name before the address may be any text).
		errs = append(errs, fmt.Errorf("mail-from %q: the address must be ASCII before the @, and its domain one DNS can spell in ASCII", c.MailFrom))
	}
	if c.AuthBurstPerIP < 1 {
		errs = append(errs, errors.New("auth-burst-per-ip must be a whole number of at least 1"))
	}
	if c.AuthBurstPerEmail < 1 {
		errs = append(errs, errors.New("auth-burst-per-email must be a whole number of at least 1"))
	}
	if c.MailPoll < 10*time.Millisecond {
		errs = append(errs, fmt.Errorf("mail-poll must be a duration of at least 10ms, not %s", c.MailPoll))
	}
	if c.MailRetryBase < 10*time.Millisecond {
		errs = append(errs, fmt.Errorf("mail-retry-base must be a duration of at least 10ms, not %s", c.MailRetryBase))
	}
	if c.MailMaxAttempts < 1 || c.MailMaxAttempts > 100 {
		errs = append(errs, errors.New("mail-max-attempts must be between 1 and 100"))
	}
	if _, err := c.Proxies(); err != nil {
		errs = append(errs, err)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	if c.MetricsToken != "" && (len(c.MetricsToken) < 16 || strings.ContainsAny(c.MetricsToken, " \t\r\n")) {
		errs = append(errs, errors.New("ROSTER_METRICS_TOKEN: want at least 16 characters without spaces, such as the output of openssl rand -hex 32"))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log-format %q: want text or json", c.LogFormat))
	}
	return errors.Join(errs...)
}

// Postgres reports whether DB names a PostgreSQL database.
func (c *Config) Postgres() bool {
	db := strings.ToLower(c.DB)
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// CheckDB refuses a database setting that is neither a file path nor a
// postgres:// URL but looks meant as a database address: another scheme,
// or libpq's keyword form ("host=db password=…"), which would otherwise
// become the name of a new SQLite file, and be logged as one. A
// PostgreSQL URL's scheme is written in lower case, as the driver wants.
func (c *Config) CheckDB() error {
	db := strings.TrimSpace(c.DB)
	switch {
	case db == "":
		return errors.New("db: a SQLite path or a postgres:// URL is required")
	case c.Postgres():
		scheme, rest, _ := strings.Cut(c.DB, "://")
		c.DB = strings.ToLower(scheme) + "://" + rest
	case strings.Contains(db, "://"):
		return errors.New("db: want a SQLite file path or a postgres:// URL")
	case libpqKeywords.MatchString(db):
		return errors.New("db: libpq's keyword form is not read; write the database as a postgres://user:password@host/name URL")
	}
	return nil
}

var libpqKeywords = regexp.MustCompile(`(?i)^\s*(host|hostaddr|port|dbname|user|password|sslmode|service)\s*=`)

// DerivedBaseURL is the base URL of a service that was given none: its
// listen address, with localhost for an address that means every
// interface (0.0.0.0:8080, :8080), which is not a place a browser can go.
func DerivedBaseURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip, err := netip.ParseAddr(host); host == "" || (err == nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// MailWarnings are what an operator who configured a mail server should
// hear at start: the defaults that suit the log mailer, a sender at
// localhost and links derived from the listen address, send mail that
// mail servers refuse and links that lead nowhere (and, without a base
// URL, the mailer introduces itself by the machine's name). (Validate has
// run.)
func (c *Config) MailWarnings() []string {
	if c.SMTPURL == "" {
		return nil
	}
	var out []string
	if a, err := mail.ParseAddress(c.MailFrom); err == nil {
		if _, domain, _ := strings.Cut(a.Address, "@"); !strings.Contains(domain, ".") {
			out = append(out, fmt.Sprintf("emails are sent from %s, which other mail servers refuse: set ROSTER_MAIL_FROM to an address of your domain", a.Address))
		}
	}
	if c.BaseURLDerived {
		out = append(out, fmt.Sprintf("links in emails point at %s, derived from the listen address: set ROSTER_BASE_URL to the address people reach Roster at (its host is also the name Roster gives the mail server)", c.BaseURL))
	}
	return append(out, rostermail.URLWarnings(c.SMTPURL)...)
}

// SecureCookies reports whether cookies must be marked Secure.
func (c *Config) SecureCookies() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// Proxies parses TrustedProxies.
func (c *Config) Proxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(c.TrustedProxies, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted-proxies: %q is neither an address nor a CIDR prefix", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
