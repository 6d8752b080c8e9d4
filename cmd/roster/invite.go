package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/config"
)

func cmdInvite(ctx context.Context, e env, args []string) error {
	c := config.Default()
	c.FromEnv(e.getenv)
	fs := newFlags(e, "invite", "Invites every row of a CSV file (header email,role,name) into an account, acting as\nan Active member whose rank applies and who stands as the inviter in the audit log.\nPrints one JSON line per row: {line, email, outcome, code, detail}, and exits 1 when\nany row was invalid (the valid rows are invited all the same).")
	c.RegisterDB(fs)
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public base URL for links (ROSTER_BASE_URL)")
	csvPath := fs.String("csv", "", "the CSV file (required)")
	account := fs.String("account", "", "the account's id (required)")
	as := fs.String("as", "", "email of the Active member inviting (required)")
	dryRun := fs.Bool("dry-run", false, "report what each row would do and change nothing")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *csvPath == "" || *account == "" || *as == "" {
		return usagef("invite: --csv, --account and --as are required")
	}
	f, err := os.Open(*csvPath)
	if err != nil {
		return usagef("invite: %v", err)
	}
	defer f.Close()
	a, closeStore, err := operatorApp(ctx, e, c, existingDB)
	if err != nil {
		return err
	}
	defer closeStore()
	p, err := a.OperatorActor(ctx, *as)
	if err != nil {
		return operatorError(err)
	}
	rows, err := a.BulkInvite(ctx, p, *account, f, *dryRun)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		// The API's not_found hides from a stranger whether the account
		// exists; the operator is told what it may mean.
		return fmt.Errorf("no account %s of which %s is an Active member", *account, *as)
	}
	if err != nil {
		return operatorError(err)
	}
	enc := json.NewEncoder(e.stdout)
	counts := map[string]int{}
	for _, r := range rows {
		counts[r.Outcome]++
		// A row the API answers with null code and detail (invited)
		// prints them null too: one reader serves both.
		if err := enc.Encode(map[string]any{"line": r.Line, "email": r.Email, "outcome": r.Outcome, "code": orNull(r.Code), "detail": orNull(r.Detail)}); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stderr, "%d rows: %d invited, %d would be invited, %d already members, %d invalid\n",
		len(rows), counts["invited"], counts["would_invite"], counts["already_member"], counts["invalid"])
	if n := counts["invalid"]; n > 0 {
		// A script must learn that some people were not invited without
		// reading every line; the summary above says how many.
		return errInvalidRows
	}
	return nil
}

// errInvalidRows ends a bulk invitation in which some rows were refused.
var errInvalidRows = errors.New("invite: some rows were not invited; their lines have the outcome \"invalid\"")

// orNull is s, or nil (JSON null) for "".
func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}
