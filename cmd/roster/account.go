package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/config"
	"github.com/rosterhq/roster/internal/password"
	"github.com/rosterhq/roster/policy"
)

const accountUsage = `Usage:
  roster account create --name NAME --owner-email EMAIL [--owner-name NAME] [--catalog bizmetry|bigeye|FILE] [--invite-ttl DURATION]
  roster account resend-owner --account ID
  roster account update --account ID [--name NAME] [--invite-ttl DURATION]
`

func cmdAccount(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, accountUsage)
		return usagef("account: say create, resend-owner or update")
	}
	switch args[0] {
	case "create":
		return cmdAccountCreate(ctx, e, args[1:])
	case "resend-owner":
		return cmdAccountResendOwner(ctx, e, args[1:])
	case "update":
		return cmdAccountUpdate(ctx, e, args[1:])
	case "--help", "-help", "-h", "help":
		fmt.Fprint(e.stdout, accountUsage)
		return errHelp
	}
	return usagef("account: unknown subcommand %q; say create, resend-owner or update", args[0])
}

// operatorApp opens the store and the use cases for an operator's command.
// dbUse says whether a command may create the SQLite database it opens.
type dbUse bool

const (
	existingDB dbUse = false // the database must be there
	createDB   dbUse = true  // made if missing (account create)
)

func operatorApp(ctx context.Context, e env, c config.Config, db dbUse) (*app.App, func() error, error) {
	if err := c.Validate(); err != nil {
		return nil, nil, usageError{err}
	}
	// Only a command that makes something may make the database too: a
	// mistyped --db would otherwise look like an empty outbox or an
	// unknown account, and leave a new file behind.
	if _, err := os.Stat(c.DB); db == existingDB && !c.Postgres() && errors.Is(err, fs.ErrNotExist) {
		return nil, nil, usagef("no database at %s; give --db (or ROSTER_DB) the file roster serve uses", c.DB)
	}
	store, err := openStore(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	a := app.New(app.Config{Store: store, Hasher: password.NewHasher(password.DefaultParams, 1), BaseURL: c.BaseURL, Logger: newLogger(e, c, c.LogLevel)})
	return a, store.Close, nil
}

func cmdAccountCreate(ctx context.Context, e env, args []string) error {
	c := config.Default()
	c.FromEnv(e.getenv)
	fs := newFlags(e, "account create", "Creates an account whose first owner is invited by the printed activation link.\nPrints {\"account\",\"owner\",\"activation_url\"} as JSON.")
	c.RegisterDB(fs)
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public base URL for the link (ROSTER_BASE_URL)")
	name := fs.String("name", "", "the account's name (required)")
	ownerEmail := fs.String("owner-email", "", "the first owner's email (required)")
	ownerName := fs.String("owner-name", "", "the first owner's full name")
	catalogName := fs.String("catalog", "bizmetry", "role catalog: bizmetry, bigeye, or a YAML/JSON file")
	inviteTTL := fs.Duration("invite-ttl", roster.DefaultInviteTTL, "how long invitation links stay valid (24h to 720h)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *name == "" || *ownerEmail == "" {
		return usagef("account create: --name and --owner-email are required")
	}
	catalog, err := policy.Load(*catalogName, readCatalogFile)
	if err != nil {
		// Every problem of the file, a line each: the first alone may
		// be a consequence of a later one (a misspelt permissions key
		// leaves its role with none).
		lines := strings.Split(err.Error(), "\n")
		for i := range lines {
			lines[i] = "catalog: " + lines[i]
		}
		return usagef("%s", strings.Join(lines, "\n"))
	}
	in, err := app.NewAccount{
		Name: *name, OwnerEmail: *ownerEmail, OwnerName: *ownerName, Catalog: catalog, InviteTTL: *inviteTTL,
	}.Check()
	if err != nil {
		return operatorError(err) // before the database is opened, or made
	}
	a, closeStore, err := operatorApp(ctx, e, c, createDB)
	if err != nil {
		return err
	}
	defer closeStore()
	out, err := a.CreateAccount(ctx, in)
	if err != nil {
		return operatorError(err)
	}
	return json.NewEncoder(e.stdout).Encode(map[string]string{
		"account": out.Account.ID, "owner": out.Owner.UserID, "activation_url": out.ActivationURL,
	})
}

func cmdAccountResendOwner(ctx context.Context, e env, args []string) error {
	c := config.Default()
	c.FromEnv(e.getenv)
	fs := newFlags(e, "account resend-owner", "Prints a fresh activation link for the account's pending first owner;\nthe previous link stops working.")
	c.RegisterDB(fs)
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public base URL for the link (ROSTER_BASE_URL)")
	account := fs.String("account", "", "the account's id (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *account == "" {
		return usagef("account resend-owner: --account is required")
	}
	a, closeStore, err := operatorApp(ctx, e, c, existingDB)
	if err != nil {
		return err
	}
	defer closeStore()
	url, err := a.ResendOwnerActivation(ctx, *account)
	if err != nil {
		return operatorError(err)
	}
	return json.NewEncoder(e.stdout).Encode(map[string]string{"account": *account, "activation_url": url})
}

func cmdAccountUpdate(ctx context.Context, e env, args []string) error {
	c := config.Default()
	c.FromEnv(e.getenv)
	fs := newFlags(e, "account update", "Changes an account's name or how long its invitation links stay valid (24h to 720h).\nLinks already sent keep their expiry.")
	c.RegisterDB(fs)
	account := fs.String("account", "", "the account's id (required)")
	name := fs.String("name", "", "a new name")
	inviteTTL := fs.Duration("invite-ttl", 0, "a new invitation lifetime, e.g. 72h")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *account == "" || (*name == "" && *inviteTTL == 0) {
		return usagef("account update: --account and at least one of --name, --invite-ttl are required")
	}
	a, closeStore, err := operatorApp(ctx, e, c, existingDB)
	if err != nil {
		return err
	}
	defer closeStore()
	acc, err := a.UpdateAccount(ctx, *account, app.AccountUpdate{Name: *name, InviteTTL: *inviteTTL})
	if err != nil {
		return operatorError(err)
	}
	return json.NewEncoder(e.stdout).Encode(map[string]string{"account": acc.ID, "name": acc.Name, "invite_ttl": acc.InviteTTL.String()})
}

// operatorError turns a refusal into a usage error (bad input: status 2) and
// leaves anything else a failure.
func operatorError(err error) error {
	switch roster.ErrorCode(err) {
	case roster.CodeInternal:
		return err
	case roster.CodeInvalidInput:
		return usagef("%s", roster.ErrorMessage(err))
	}
	return fmt.Errorf("%s", roster.ErrorMessage(err))
}

// readCatalogFile reads a catalog file: a regular file, of which it reads
// no more than a catalog may hold, so that --catalog naming a huge file or
// /dev/zero is refused without filling the memory.
func readCatalogFile(path string) ([]byte, error) {
	// Looked at before it is opened: opening a named pipe waits for a
	// writer, for good.
	if st, err := os.Stat(path); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	return io.ReadAll(io.LimitReader(f, policy.MaxFileSize+1))
}
