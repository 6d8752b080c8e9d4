package app

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/policy"
)

// Outcomes of a bulk invitation row (SPEC §5).
const (
	OutcomeInvited       = "invited"
	OutcomeWouldInvite   = "would_invite"
	OutcomeAlreadyMember = "already_member"
	OutcomeInvalid       = "invalid"
)

// MaxBulkRows is the most rows one CSV may hold.
const MaxBulkRows = 10000

// BulkRow is the outcome of one CSV row.
type BulkRow struct {
	Line    int
	Email   string
	Outcome string
	Code    string
	Detail  string
}

// errDryRun rolls a dry run's transaction back once every row is decided.
var errDryRun = errors.New("dry run")

// BulkInvite invites every row of a CSV with the header email,role,name (in
// any order; role and name may be left out). Every row stands alone: a bad
// row is reported and the others go ahead. With dryRun nothing changes and
// would-be invitations are reported as would_invite.
func (a *App) BulkInvite(ctx context.Context, p roster.Principal, accountID string, r io.Reader, dryRun bool) ([]BulkRow, error) {
	// A member who may not invite at all is refused as a whole, before the
	// file is read (reading costs anyone who may send one); rank and the
	// other rules are then decided row by row.
	mayInvite := func(tx roster.Tx, acc *roster.Account, me *roster.Member) error {
		if d := acc.Catalog.Decide(inviteProbe(acc, me)); d.Code == policy.CodeForbidden {
			return roster.Errorf(d.Code, "%s", d.Reason)
		}
		return nil
	}
	if err := a.readAccount(ctx, p, accountID, mayInvite); err != nil {
		return nil, err
	}
	rows, err := parseInviteCSV(r)
	if err != nil {
		return nil, err
	}
	var out []BulkRow
	err = a.inAccount(ctx, p, accountID, func(tx roster.Tx, acc *roster.Account, me *roster.Member) error {
		if err := mayInvite(tx, acc, me); err != nil { // again, under the account's lock
			return err
		}
		// Every row is validated first, so that the users of all of them
		// are looked up at once.
		valid := make([]Invitation, len(rows))
		errs := make([]error, len(rows))
		var emails []string
		for i, row := range rows {
			if errs[i] = row.err; errs[i] == nil {
				if valid[i], errs[i] = validInvitation(acc.Catalog, row.in); errs[i] == nil {
					emails = append(emails, valid[i].Email)
				}
			}
		}
		b, err := a.newInviteBatch(tx, p, acc, me, emails, a.clock())
		if err != nil {
			return err
		}
		out = make([]BulkRow, 0, len(rows))
		for i, row := range rows {
			res := BulkRow{Line: row.line, Email: roster.Truncate(strings.TrimSpace(row.in.Email), 254)}
			err := errs[i]
			if err == nil {
				_, err = b.add(valid[i])
			}
			switch code := roster.ErrorCode(err); {
			case err == nil && dryRun:
				res.Outcome = OutcomeWouldInvite
			case err == nil:
				res.Outcome = OutcomeInvited
			case code == roster.CodeConflict:
				res.Outcome, res.Code, res.Detail = OutcomeAlreadyMember, code, roster.ErrorMessage(err)
			case code == roster.CodeInternal:
				return err
			default:
				res.Outcome, res.Code, res.Detail = OutcomeInvalid, code, roster.ErrorMessage(err)
			}
			out = append(out, res)
		}
		if dryRun {
			return errDryRun
		}
		return b.write()
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// maxCSVLine bounds a line of a bulk invitation's CSV, in bytes, and
// maxCSVFields the fields of the whole file: an email, a role and a name
// fit in far less, and a file of MaxBulkRows of them, quoted names with
// commas and all, holds far fewer. encoding/csv has no limit of its own:
// one line of 8 MiB of commas made millions of fields, and so did quoted
// fields of one line break each, a record over millions of short lines.
const (
	maxCSVLine   = 4096
	maxCSVFields = 10 * MaxBulkRows
)

// lineLimit fails a read once a line is longer than maxCSVLine, or the
// file has more commas than maxCSVFields.
type lineLimit struct {
	r            io.Reader
	line, commas int
}

func (l *lineLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i, b := range p[:n] {
		if b == ',' { // each comma, quoted or not, is one more field to hold
			if l.commas++; l.commas > maxCSVFields {
				return i, roster.Invalid("csv", "The file has more fields than %d rows of email,role,name could.", MaxBulkRows)
			}
		}
		if b == '\n' {
			l.line = 0
		} else if l.line++; l.line > maxCSVLine {
			return i, roster.Invalid("csv", "A line is longer than %d bytes; a row is email,role,name.", maxCSVLine)
		}
	}
	return n, err
}

// MaxBulkBytes bounds a bulk invitation's CSV, in the API and the web UI
// alike: MaxBulkRows rows of generous width.
const MaxBulkBytes = 8 << 20

type csvRow struct {
	line int
	in   Invitation
	err  error
}

// parseInviteCSV reads the rows of a bulk invitation. A malformed file as a
// whole (no header, too many rows, a quote left open across lines) is
// invalid_input; a malformed row is reported on its own.
func parseInviteCSV(r io.Reader) ([]csvRow, error) {
	// A byte order mark goes before the reader sees it: in front of a
	// quoted header ("email", as PowerShell writes it) it would be a bare
	// quote.
	br := bufio.NewReader(r)
	if bom, _ := br.Peek(3); string(bom) == "\ufeff" {
		br.Discard(3)
	}
	cr := csv.NewReader(&lineLimit{r: br})
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, roster.Invalid("csv", "The file is empty; it needs a header line email,role,name.")
		}
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return nil, fmt.Errorf("read csv: %w", err) // the body itself failed (too large, cut off)
		}
		return nil, roster.Invalid("csv", "The header line cannot be read as CSV: %v.", csvReason(err))
	}
	col := map[string]int{"email": -1, "role": -1, "name": -1}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		j, known := col[h]
		if !known {
			return nil, roster.Invalid("csv", "Unknown column %q; the header is email,role,name.", roster.Truncate(h, 40))
		}
		if j >= 0 {
			return nil, roster.Invalid("csv", "The column %q appears twice in the header.", h)
		}
		col[h] = i
	}
	if col["email"] < 0 {
		return nil, roster.Invalid("csv", "The header has no email column; it is email,role,name.")
	}
	var rows []csvRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, fmt.Errorf("read csv: %w", err)
			}
			if pe.StartLine != pe.Line {
				// A quoted field left open took the lines after it: where
				// their rows begin cannot be known.
				return nil, roster.Invalid("csv", "Line %d is not valid CSV: %v.", pe.StartLine, csvReason(err))
			}
			// A stray quote within one line spoils that row alone: the
			// reader goes on at the next line.
			if len(rows) >= MaxBulkRows {
				return nil, roster.Invalid("csv", "The file has more than %d rows; split it.", MaxBulkRows)
			}
			rows = append(rows, csvRow{line: pe.Line, err: roster.Invalid("csv", "This line is not valid CSV: %v.", csvReason(err))})
			continue
		}
		line, _ := cr.FieldPos(0) // only valid after a successful Read
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if len(rows) >= MaxBulkRows {
			return nil, roster.Invalid("csv", "The file has more than %d rows; split it.", MaxBulkRows)
		}
		get := func(name string) string {
			if i := col[name]; i >= 0 && i < len(rec) {
				return rec[i]
			}
			return ""
		}
		row := csvRow{line: line, in: Invitation{Email: get("email"), Role: strings.TrimSpace(get("role")), Name: get("name")}}
		if len(rec) > len(header) {
			row.err = roster.Invalid("csv", "This row has %d fields; the header has %d.", len(rec), len(header))
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func csvReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// inviteProbe asks whether the member may invite anyone, with the least
// powerful role of the catalog.
func inviteProbe(acc *roster.Account, me *roster.Member) policy.Request {
	lowest := acc.Catalog.Roles[0]
	for _, r := range acc.Catalog.Roles {
		if r.Rank < lowest.Rank {
			lowest = r
		}
	}
	return policy.Request{Action: policy.ActionInvite, Actor: me.Policy(), NewRole: lowest.Name}
}
