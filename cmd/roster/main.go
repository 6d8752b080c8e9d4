// Command roster is the Roster service and its operator's tool.
//
//	roster serve                      run the service
//	roster migrate                    apply database migrations
//	roster account create ...         create an account and print its owner's activation link
//	roster account resend-owner ...   print a fresh activation link for a pending first owner
//	roster invite --csv FILE ...      invite a CSV's rows into an account
//	roster outbox list|retry          inspect and retry outgoing email
//	roster version                    print the version
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// versionString is the version, and for a build from a git checkout (go
// build records it) the commit it was built from, so that an operator can
// tell which build migrated a database.
func versionString() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	if rev == "" {
		return version
	}
	return fmt.Sprintf("%s (commit %.12s%s)", version, rev, modified)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first signal asks for a graceful stop; a second one, once the
	// signals are the runtime's again, ends the process at once.
	context.AfterFunc(ctx, stop)
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and failed
	exitUsage   = 2 // bad flags, configuration or catalog: nothing ran
)

// usageError is an error in what the operator typed; it exits with status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// env is what a command reads from its surroundings.
type env struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

const topUsage = `Roster: users and roles for a SaaS account.

Usage:
  roster serve [flags]                 run the service (roster serve --help)
  roster migrate [flags]               apply database migrations
  roster account create [flags]        create an account; prints its owner's activation link
  roster account resend-owner [flags]  a fresh activation link for an account's pending first owner
  roster account update [flags]        rename an account or change its invitation lifetime
  roster invite --csv FILE --account ID --as EMAIL [--dry-run]
                                       invite every row of a CSV (email,role,name)
  roster outbox list [--status S]      outgoing email and its delivery state
  roster outbox retry ID               send a message again now
  roster version                       print the version

Configuration comes from flags and ROSTER_* environment variables
(ROSTER_ADDR, ROSTER_DB, ROSTER_BASE_URL, ROSTER_SMTP_URL, ROSTER_MAIL_FROM and
more: roster serve --help lists the flags; ROSTER_METRICS_TOKEN and
ROSTER_PPROF_ADDR are environment variables only).
`

// run executes one command line and returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	e := env{getenv: getenv, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(ctx, e, args[1:])
	case "migrate":
		err = cmdMigrate(ctx, e, args[1:])
	case "account":
		err = cmdAccount(ctx, e, args[1:])
	case "invite":
		err = cmdInvite(ctx, e, args[1:])
	case "outbox":
		err = cmdOutbox(ctx, e, args[1:])
	case "version", "--version", "-version":
		if len(args) > 1 && (args[1] == "--help" || args[1] == "-help" || args[1] == "-h") {
			fmt.Fprint(stdout, "Usage: roster version\n\nPrints the version of roster and the commit it was built from.\n")
			break
		}
		fmt.Fprintln(stdout, "roster", versionString())
	case "help", "--help", "-help", "-h":
		fmt.Fprint(stdout, topUsage)
	default:
		err = usagef("unknown command %q; run roster --help", args[0])
	}
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &ue):
		printError(stderr, err)
		return exitUsage
	default:
		printError(stderr, err)
		return exitFailure
	}
}

// printError writes err to stderr, each of its lines (several mistakes
// joined) as a line of its own starting "roster:".
func printError(stderr io.Writer, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintln(stderr, "roster:", line)
	}
}
