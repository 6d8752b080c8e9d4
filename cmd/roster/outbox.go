package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/config"
)

const outboxUsage = `Usage:
  roster outbox list [--status pending|sent|failed] [--limit N]
  roster outbox retry ID
`

func cmdOutbox(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return usagef("outbox: say list or retry (see roster outbox --help)")
	}
	switch args[0] {
	case "list":
		return cmdOutboxList(ctx, e, args[1:])
	case "retry":
		return cmdOutboxRetry(ctx, e, args[1:])
	case "--help", "-help", "-h", "help":
		fmt.Fprint(e.stdout, outboxUsage)
		return errHelp
	}
	return usagef("outbox: unknown subcommand %q; say list or retry", args[0])
}

func cmdOutboxList(ctx context.Context, e env, args []string) error {
	c := config.Default()
	c.FromEnv(e.getenv)
	fs := newFlags(e, "outbox list", "Lists outgoing messages, newest first, with their delivery state and last error.\nLinks are never shown.")
	c.RegisterDB(fs)
	status := fs.String("status", "", "only messages with this status: pending, sent or failed")
	limit := fs.Int("limit", 50, "how many messages at most (1-200)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *limit < 1 || *limit > 200 {
		return usagef("outbox list: --limit must be between 1 and 200")
	}
	a, closeStore, err := operatorApp(ctx, e, c, existingDB)
	if err != nil {
		return err
	}
	defer closeStore()
	msgs, err := a.Outbox(ctx, *status, *limit)
	if err != nil {
		return operatorError(err)
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tTO\tSTATUS\tATTEMPTS\tNEXT ATTEMPT\tLAST ERROR")
	now := time.Now()
	for _, m := range msgs {
		status, next := m.Status, "-"
		switch {
		case m.Status != roster.MessagePending:
		case m.ClaimedUntil != nil && m.ClaimedUntil.After(now):
			// Being sent, or held by an instance that stopped while
			// sending it: tried again when the claim ends, if need be.
			status, next = "sending", m.ClaimedUntil.UTC().Format(time.RFC3339)
		default:
			next = m.NextAttemptAt.UTC().Format(time.RFC3339)
		}
		lastErr := m.LastError
		if lastErr == "" {
			lastErr = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\n", m.ID, m.Kind, m.To, status, m.Attempts, next, lastErr)
	}
	return tw.Flush()
}

func cmdOutboxRetry(ctx context.Context, e env, args []string) error {
	c := config.Default()
	c.FromEnv(e.getenv)
	fs := newFlags(e, "outbox retry [--db PATH] ID", "Makes a pending or failed message due now (one being sent stays with the instance\nsending it). A given-up invitation has lost its link, so a fresh one is sent instead,\nunless the member was sent a newer one since, which stays the one that works.")
	c.RegisterDB(fs)
	var id int64
	// The id is the last argument, after any flags; "-5" is a bad id, not
	// an unknown flag.
	// The id may also come first, before the flags.
	if len(args) > 1 && args[0] != "" && args[0][0] != '-' {
		args = append(args[1:], args[0])
	}
	// The last argument is a flag's value when the one before is a flag
	// without "=" (--db r.db): then no id was given.
	flagValue := len(args) > 1 && strings.HasPrefix(args[len(args)-2], "-") && !strings.Contains(args[len(args)-2], "=")
	if len(args) > 0 && !flagValue {
		last := args[len(args)-1]
		n, err := strconv.ParseInt(last, 10, 64)
		if last != "" && (last[0] != '-' || err == nil) {
			if err != nil || n < 1 {
				return usagef("outbox retry: %q is not a message id", last)
			}
			id, args = n, args[:len(args)-1]
		}
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if id == 0 {
		return usagef("outbox retry: say which message: roster outbox retry ID")
	}
	a, closeStore, err := operatorApp(ctx, e, c, existingDB)
	if err != nil {
		return err
	}
	defer closeStore()
	sent, err := a.RetryMessage(ctx, id)
	if err != nil {
		return operatorError(err)
	}
	if sent != id {
		fmt.Fprintf(e.stdout, "message %d lost its link when it was given up; a fresh invitation is queued as message %d\n", id, sent)
		return nil
	}
	fmt.Fprintf(e.stdout, "message %d is due now; a running roster serve will send it\n", id)
	return nil
}
