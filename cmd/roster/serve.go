package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"net/url"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/api"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/config"
	"github.com/rosterhq/roster/internal/httpserver"
	"github.com/rosterhq/roster/internal/mail"
	"github.com/rosterhq/roster/internal/password"
	"github.com/rosterhq/roster/internal/postgres"
	"github.com/rosterhq/roster/internal/secret"
	"github.com/rosterhq/roster/internal/sqlite"
	"github.com/rosterhq/roster/internal/web"
)

func cmdServe(ctx context.Context, e env, args []string) error {
	c := config.Default()
	c.FromEnv(e.getenv)
	fs := newFlags(e, "serve", "Runs the Roster service: the JSON API, the web UI and the outbox worker.\nMigrations are applied at start.\n\n"+
		"Environment only: ROSTER_METRICS_TOKEN (a bearer token /metrics then asks for)\nand ROSTER_PPROF_ADDR (a loopback address for Go's profiler).")
	c.Register(fs)
	demo := fs.Bool("demo", false, "on an empty database, create a demo account per role catalog with one member of every role, and print their logins (demo data: never for real use)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return usageError{err}
	}
	// Profiling for operators who ask for it, on its own listener, never on
	// the service's address, and only on loopback: pprof has no
	// authentication. Refused before anything starts.
	pprofAddr := e.getenv("ROSTER_PPROF_ADDR")
	if pprofAddr != "" && !loopbackAddr(pprofAddr) {
		return usageError{fmt.Errorf("ROSTER_PPROF_ADDR %q: profiling listens on a loopback address only (127.0.0.1:port or [::1]:port)", pprofAddr)}
	}
	log := newLogger(e, c, c.LogLevel)
	// What an operator needs to get in, logged whatever level the log is
	// set to: the first-run setup link, the demo logins, and the log
	// mailer's messages (invitation links; one lost to a quiet log could
	// not be sent again, the outbox holding it as sent).
	always := newLogger(e, c, "info")
	// The mailer first: a bad SMTP URL is the operator's typo, refused
	// before a database is made or a port taken.
	mailer, err := newMailer(c, always)
	if err != nil {
		return usageError{err}
	}

	// The port is tried before the database: a second instance started on
	// a busy port fails without migrating the database or opening its
	// pool. Only tried: while the database opens (a migration, waiting for
	// another instance's), connections are refused, as a load balancer
	// expects, not taken and left unanswered.
	if probe, err := net.Listen("tcp", c.Addr); err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	} else if err := probe.Close(); err != nil {
		return err
	}
	// A migration of a large database takes seconds, with the port
	// closed, and so does waiting for another instance's: an operator
	// should see why nothing answers yet.
	opened := time.Now()
	slow := time.AfterFunc(time.Second, func() {
		log.Info("still opening the database: applying migrations, or waiting for another instance applying them", "db", dbLabel(c))
	})
	store, err := openStore(ctx, c)
	slow.Stop()
	if err != nil {
		return err
	}
	defer store.Close()
	schema, err := schemaVersion(ctx, store)
	if err != nil {
		return err
	}
	log.Info("database ready", "schema", schema, "took", time.Since(opened).Round(time.Millisecond))
	if pg, ok := store.(*postgres.Store); ok {
		// A PostgreSQL that stops answering fails requests rather than
		// holding them, in time for the failure to be answered: the HTTP
		// server gives a request a minute to answer (its WriteTimeout).
		pg.SetWorkTimeout(30 * time.Second)
	}

	l, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	defer l.Close() // on a failure before serving; closing twice is harmless
	if c.BaseURLDerived && c.Addr != l.Addr().String() {
		// The base URL was derived from an address such as :0 or a host
		// name; links in emails must name where the service really listens.
		c.BaseURL = config.DerivedBaseURL(l.Addr().String())
	}
	a := app.New(app.Config{Store: store, Hasher: password.NewHasher(password.DefaultParams, 2), BaseURL: c.BaseURL, Logger: log})
	templates, err := mail.ParseTemplates()
	if err != nil {
		return err
	}
	worker := &mail.Worker{Store: store, Mailer: mailer, Templates: templates, Log: log, From: c.MailFrom, BaseURL: c.BaseURL, Relink: !c.BaseURLDerived,
		Interval: c.MailPoll, RetryBase: c.MailRetryBase, MaxAttempts: c.MailMaxAttempts}

	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	has, err := a.HasAccounts(ctx)
	if err != nil {
		return err
	}
	// First run: a one-time setup link whose secret lives only in this
	// process, so that whoever reads the server's log makes the first
	// account in the browser. --demo fills the empty database instead.
	setupToken := ""
	var demoLogins []demoLogin
	switch {
	case !has && *demo:
		if demoLogins, err = seedDemo(ctx, a); err != nil {
			return err
		}
	case !has:
		setupToken, _ = secret.NewToken("rsu_")
	}
	limits := httpserver.NewLimits(c.AuthBurstPerIP, c.AuthBurstPerEmail, store, nil)
	ui, err := web.New(web.Config{App: a, Logger: log, SecureCookies: c.SecureCookies(),
		Limits: limits, SetupToken: setupToken})
	if err != nil {
		return err
	}
	proxies, _ := c.Proxies() // validated with the rest of the configuration
	srv := httpserver.New(httpserver.Config{
		Store: store, Logger: log, Auth: a, Registry: registry, TrustedProxies: proxies, HTTPS: c.SecureCookies(), MetricsToken: c.MetricsToken,
		API: api.New(api.Config{App: a, Logger: log, SecureCookies: c.SecureCookies(), Registerer: registry,
			Limits: limits}),
		Web: ui,
	})
	log.Info("roster serving", "addr", l.Addr().String(), "base_url", c.BaseURL, "db", dbLabel(c), "mail", mailLabel(c), "version", versionString())
	for _, w := range c.MailWarnings() {
		log.Warn("mail: " + w)
	}
	switch {
	case demoLogins != nil:
		logDemoLogins(always, demoLogins)
	case setupToken != "":
		always.Info("first run: open this one-time link to create the first account and its owner (or use roster account create)",
			"setup_url", c.BaseURL+"/setup?token="+setupToken)
	case *demo:
		log.Warn("--demo ignored: the database already has accounts")
	}

	if pprofAddr != "" {
		pl, err := net.Listen("tcp", pprofAddr)
		if err != nil {
			return fmt.Errorf("pprof listen on %s: %w", pprofAddr, err)
		}
		defer pl.Close()
		go http.Serve(pl, pprofMux())
		log.Info("pprof serving", "addr", pl.Addr().String())
	}

	workerCtx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		worker.Run(workerCtx)
	}()
	go func() {
		defer wg.Done()
		a.SweepEvery(workerCtx, time.Hour) // expired sessions, reset links, idle rate-limit buckets
	}()

	// Start-up made a dummy argon2id hash (19 MiB) and parsed templates:
	// hand that memory back now rather than at the runtime's next forced GC.
	debug.FreeOSMemory()

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(l) }()
	select {
	case err = <-serveErr:
	case <-ctx.Done():
	}
	// The outbox worker and the sweep stop with the requests, within the
	// same timeout: the worker finishes an email under way (see
	// DeliverDue), which a mail server that stopped answering would hold
	// for its whole SMTP timeout.
	stopWorker()
	stopBy := time.Now().Add(c.ShutdownTimeout)
	if err == nil {
		log.Info("shutting down")
		shutdownCtx, cancel := context.WithDeadline(context.WithoutCancel(ctx), stopBy)
		err = srv.Shutdown(shutdownCtx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			// Requests still running when the drain ends are cut off, as
			// the operator asked for a stop; each is its own transaction,
			// so none is half done.
			log.Warn("requests still running after the shutdown timeout were cut off", "timeout", c.ShutdownTimeout)
			err = srv.Close()
		}
	}
	workerDone := make(chan struct{})
	go func() { wg.Wait(); close(workerDone) }()
	select {
	case <-workerDone:
	case <-time.After(time.Until(stopBy)):
		// (A message claimed and cut off is sent again when its claim
		// lapses, by whichever instance claims it.)
		log.Warn("stopping while background work (an email being sent, the sweep) still runs", "timeout", c.ShutdownTimeout)
	}
	a.Wait()
	if err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// pprofMux serves net/http/pprof's handlers, to requests that name a
// loopback host: a web page in the operator's browser whose name was
// rebound to 127.0.0.1 sends its own host name, and is refused.
func pprofMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if ip, err := netip.ParseAddr(host); host != "localhost" && (err != nil || !ip.IsLoopback()) {
			http.Error(w, "pprof answers on a loopback host name only", http.StatusMisdirectedRequest)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// newLogger returns the logger of c's format at the level given (c's own,
// or higher for what must always be seen), writing to stderr.
func newLogger(e env, c config.Config, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level)) // validated by config
	opts := &slog.HandlerOptions{Level: l}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}

// newMailer returns the SMTP mailer when configured, the log mailer otherwise.
// The SMTP mailer introduces itself by the host of the base URL the
// operator gave (DECISIONS 77); one derived from the listen address names
// no public host, and leaves it to the machine's host name.
func newMailer(c config.Config, log *slog.Logger) (mail.Mailer, error) {
	if c.SMTPURL == "" {
		return mail.LogMailer{Log: log}, nil
	}
	hello := ""
	if !c.BaseURLDerived {
		hello = mail.EHLOName(c.BaseURL)
	}
	return mail.NewSMTPMailer(c.SMTPURL, hello)
}

// mailLabel names where mail goes, for the log: the SMTP server's scheme,
// host and port (no user, no password), or the log itself, so that an
// operator whose ROSTER_SMTP_URL was not read (a typo in its name) sees
// that mail stays in the log.
func mailLabel(c config.Config) string {
	if c.SMTPURL == "" {
		return "log (ROSTER_SMTP_URL is not set: messages and their links are written to this log)"
	}
	u, err := url.Parse(c.SMTPURL)
	if err != nil || u.Host == "" {
		return "smtp"
	}
	return u.Scheme + "://" + u.Host
}

// openStore opens (and migrates) the configured database.
func openStore(ctx context.Context, c config.Config) (roster.Store, error) {
	if c.Postgres() {
		s, err := postgres.Open(ctx, c.DB)
		if err != nil {
			// dbLabel: the URL may hold a password, and errors are logged.
			err = fmt.Errorf("open database %s: %w", dbLabel(c), err)
			if errors.Is(err, postgres.ErrInvalidURL) {
				return nil, usageError{err} // the operator's typo
			}
			return nil, err
		}
		return s, nil
	}
	s, err := sqlite.Open(ctx, c.DB)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", c.DB, err)
	}
	return s, nil
}

// dbLabel names the database for logs without any password in a URL.
func dbLabel(c config.Config) string {
	if !c.Postgres() {
		return c.DB
	}
	// What the driver makes of the URL, not what net/url does: pgx reads
	// "postgres://u:12#pw@host/db" as libpq does, a password with # or ?
	// in it, which net/url takes for a fragment or a query.
	pc, err := pgconn.ParseConfig(c.DB)
	if err != nil {
		return "postgres"
	}
	u := url.URL{Scheme: "postgres", User: url.User(pc.User), Host: net.JoinHostPort(pc.Host, strconv.Itoa(int(pc.Port))), Path: "/" + pc.Database}
	return u.String()
}

func cmdMigrate(ctx context.Context, e env, args []string) error {
	c := config.Default()
	c.FromEnv(e.getenv)
	fs := newFlags(e, "migrate", "Applies pending database migrations and exits. roster serve also applies them at start.")
	c.RegisterDB(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := c.CheckDB(); err != nil {
		return usageError{err}
	}
	store, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	// The schema reached, so that an operator upgrading release by
	// release can tell.
	n, err := schemaVersion(ctx, store)
	if err != nil {
		store.Close()
		return err
	}
	fmt.Fprintf(e.stdout, "migrations applied to %s; schema version %d\n", dbLabel(c), n)
	return store.Close()
}

// schemaVersion is the newest migration applied to the store's database.
func schemaVersion(ctx context.Context, store roster.Store) (int64, error) {
	v, ok := store.(interface {
		Version(context.Context) (int64, error)
	})
	if !ok {
		return 0, fmt.Errorf("the store does not say its schema version")
	}
	return v.Version(ctx)
}

// loopbackAddr reports whether addr is host:port with a loopback IP host.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
