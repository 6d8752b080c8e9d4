package app

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/rosterhq/roster"
)

func TestParseInviteCSV(t *testing.T) {
	rows, err := parseInviteCSV(strings.NewReader("\ufeffName, Email ,ROLE\n\"Dev, Dana\",dana@acme.test,Admin\n\nx@acme.test\na,b,c,d\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3 (blank line skipped): %+v", len(rows), rows)
	}
	if r := rows[0]; r.line != 2 || r.in.Email != "dana@acme.test" || r.in.Name != "Dev, Dana" || r.in.Role != "Admin" || r.err != nil {
		t.Errorf("row 1 = %+v", r)
	}
	// Fields go by the header's columns: a short row fills the first ones.
	if r := rows[1]; r.line != 4 || r.in.Name != "x@acme.test" || r.in.Email != "" || r.in.Role != "" || r.err != nil {
		t.Errorf("a short row = %+v, want its missing fields empty", r)
	}
	if r := rows[2]; roster.ErrorCode(r.err) != roster.CodeInvalidInput {
		t.Errorf("a row with too many fields = %+v, want invalid", r)
	}
}

// TestParseInviteCSVStrayQuote: a quote out of place within one line (a
// nickname in quotes, an extra quote after a quoted field) makes that row
// invalid and the others are read; a quote left open takes the lines after
// it, so the file is refused.
func TestParseInviteCSVStrayQuote(t *testing.T) {
	rows, err := parseInviteCSV(strings.NewReader("email,name\nx@acme.test,X\ny@acme.test,Bob \"the builder\" Y\n\"z@acme.test\"z,Z\nw@acme.test,W\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[0].err != nil || rows[3].err != nil || rows[3].in.Email != "w@acme.test" || rows[3].line != 5 {
		t.Fatalf("rows = %+v, want four with the last read", rows)
	}
	for _, r := range rows[1:3] {
		if roster.ErrorCode(r.err) != roster.CodeInvalidInput || !strings.Contains(r.err.Error(), "quote") {
			t.Errorf("row on line %d = %+v, want invalid for its quote", r.line, r)
		}
	}
	if rows[1].line != 3 || rows[2].line != 4 {
		t.Errorf("lines %d and %d, want 3 and 4", rows[1].line, rows[2].line)
	}
	_, err = parseInviteCSV(strings.NewReader("email,name\nx@acme.test,\"X\ny@acme.test,Y\nz@acme.test,Z\"\"\n"))
	if roster.ErrorCode(err) != roster.CodeInvalidInput || !strings.Contains(err.Error(), "Line 2 ") {
		t.Errorf("a quote left open: %v, want the file refused at line 2", err)
	}
}

func TestParseInviteCSVTooManyRows(t *testing.T) {
	var b strings.Builder
	b.WriteString("email\n")
	for i := 0; i <= MaxBulkRows; i++ {
		b.WriteString("a@b.test\n")
	}
	if _, err := parseInviteCSV(strings.NewReader(b.String())); roster.ErrorCode(err) != roster.CodeInvalidInput {
		t.Errorf("%d rows: %v, want invalid_input", MaxBulkRows+1, err)
	}
}

// TestParseInviteCSVAsSpreadsheetsWriteIt: a byte order mark before a
// quoted header (PowerShell's Export-Csv), and blank lines after the last
// of MaxBulkRows rows, which are not rows.
func TestParseInviteCSVAsSpreadsheetsWriteIt(t *testing.T) {
	rows, err := parseInviteCSV(strings.NewReader("\ufeff\"email\",\"role\",\"name\"\r\n\"ps@acme.test\",\"User\",\"P S\"\r\n"))
	if err != nil || len(rows) != 1 || rows[0].in.Email != "ps@acme.test" || rows[0].in.Name != "P S" {
		t.Errorf("a BOM before a quoted header: %+v, %v", rows, err)
	}
	var b strings.Builder
	b.WriteString("email\n")
	for range MaxBulkRows {
		b.WriteString("a@b.test\n")
	}
	b.WriteString("   \n\n")
	if rows, err := parseInviteCSV(strings.NewReader(b.String())); err != nil || len(rows) != MaxBulkRows {
		t.Errorf("%d rows and blank lines: %d rows, %v; want all %d", MaxBulkRows, len(rows), err, MaxBulkRows)
	}
}

// FuzzParseInviteCSV: no input panics, and every outcome is either a
// refusal of the whole file as invalid_input or rows with line numbers.
func FuzzParseInviteCSV(f *testing.F) {
	for _, s := range []string{"email,role,name\na@b.test,Admin,A\n", "email\n\"unterminated\n", "role\nx\n", "email,email\n", "", "\ufeffemail\r\na@b.test\r\n", "email,name\n\"a\"\"b\",c\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rows, err := parseInviteCSV(strings.NewReader(s))
		if err != nil {
			if roster.ErrorCode(err) != roster.CodeInvalidInput {
				t.Fatalf("parseInviteCSV(%q): %v", s, err)
			}
			return
		}
		last := 1
		for _, r := range rows {
			if r.line <= last-1 || r.line < 2 {
				t.Fatalf("parseInviteCSV(%q): row line %d after %d", s, r.line, last)
			}
			last = r.line
			if r.err != nil && roster.ErrorCode(r.err) != roster.CodeInvalidInput {
				t.Fatalf("parseInviteCSV(%q): row error %v", s, r.err)
			}
		}
	})
}

// TestParseInviteCSVLongLine: a line longer than any row could be, or more
// fields than any file of rows could hold, refuses the file at once, before
// the CSV reader makes a field of every comma (a line of 8 MiB of commas
// took 500 MB).
func TestParseInviteCSVLongLine(t *testing.T) {
	for _, body := range []string{
		"email,role,name\n" + strings.Repeat(",", 8<<20),
		strings.Repeat(",", maxCSVLine+1),
		"email,name\nx@acme.test,\"" + strings.Repeat("a", maxCSVLine) + "\"\n",
		// One record of millions of short lines.
		"email,role,name\n" + strings.Repeat("\"\n\",", 2<<20),
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := parseInviteCSV(strings.NewReader(body))
		runtime.ReadMemStats(&after)
		if msg := roster.ErrorMessage(err); roster.ErrorCode(err) != roster.CodeInvalidInput || !strings.Contains(msg, "longer than 4096 bytes") && !strings.Contains(msg, "more fields than 10000 rows") {
			t.Errorf("a line of %d bytes: %v, want invalid_input", len(body), err)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
			t.Errorf("reading a line of %d bytes allocated %d bytes", len(body), grew)
		}
	}
	// A long row still within the bound is read, and so is a file of as
	// many rows as may be, quoted names with commas and all.
	var full strings.Builder
	full.WriteString("email,role,name\n")
	for i := range MaxBulkRows {
		fmt.Fprintf(&full, "p%d@acme.test,User,\"Dev, Dana, the %d, of Acme\"\n", i, i)
	}
	if rows, err := parseInviteCSV(strings.NewReader(full.String())); err != nil || len(rows) != MaxBulkRows {
		t.Errorf("a full file: %v, %d rows", err, len(rows))
	}
	name := strings.Repeat("n", 2000)
	rows, err := parseInviteCSV(strings.NewReader("email,name\nx@acme.test," + name + "\n"))
	if err != nil || len(rows) != 1 || rows[0].in.Name != name {
		t.Errorf("a row of 2,000 bytes: %v, %d rows", err, len(rows))
	}
}
