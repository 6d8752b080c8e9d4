package web

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
)

// bulkInvite invites every row of an uploaded (or pasted) CSV and shows the
// rows' outcomes in the dialog (of a large file, those that need attention:
// bulkShown). The result is the page itself, not a redirect: the table is
// what the person came for, and posting the same file again only reports
// the rows as already members.
func (w *Web) bulkInvite(rw http.ResponseWriter, r *http.Request) {
	p, pg, list, ok := w.formFrame(rw, r, maxCSVBytes)
	if !ok {
		return
	}
	v := pg.Viewer
	dryRun := r.PostFormValue("dry_run") != ""
	pasted := r.PostFormValue("rows")
	d := &dialogState{Kind: "bulk", Values: map[string]string{"rows": pasted}}
	var src io.Reader
	if f, _, err := r.FormFile("csv"); err == nil {
		defer f.Close()
		src = f
	} else if strings.TrimSpace(pasted) != "" {
		src = strings.NewReader(pasted)
	} else {
		w.dialogRefused(rw, r, p, pg, list, d, roster.Invalid("csv", "Choose a CSV file, or paste its rows, with the header line email,role,name."))
		return
	}
	rows, err := w.app.BulkInvite(r.Context(), p, v.Account.ID, src, dryRun)
	if err != nil {
		w.dialogRefused(rw, r, p, pg, list, d, err)
		return
	}
	if !dryRun && len(rows) > bulkListAll {
		// Megabytes of rows, which posting again would only report as
		// already members. A dry run's are kept, to be sent for real, and
		// a few, to mend a typo and send again.
		delete(d.Values, "rows")
	}
	counts := map[string]int{}
	listed := v.CanList()
	for i, row := range rows {
		counts[row.Outcome]++
		rows[i].Detail = resendAdviceFor(listed, row.Code, row.Detail)
	}
	d.BulkDone = true
	d.Bulk, d.BulkNote = bulkShown(rows, counts, dryRun, listed)
	already := fmt.Sprintf("%d already members", counts[app.OutcomeAlreadyMember])
	if counts[app.OutcomeAlreadyMember] == 1 {
		already = "1 already a member"
	}
	if dryRun {
		pg.Flash = fmt.Sprintf("Dry run: %d would be invited, %s, %d invalid. Nobody was invited.",
			counts[app.OutcomeWouldInvite], already, counts[app.OutcomeInvalid])
	} else {
		pg.Flash = fmt.Sprintf("%d invited, %s, %d invalid.",
			counts[app.OutcomeInvited], already, counts[app.OutcomeInvalid])
	}
	d.BulkSummary = pg.Flash
	w.renderWithDialog(rw, r, p, pg, list, d, http.StatusOK)
}

// A file of up to bulkListAll rows shows every row's outcome. A larger one
// shows only the rows that need attention (invalid, already a member), at
// most bulkListMax: the table of a file of 10,000 rows was 2 MB of HTML
// that took a browser seconds to lay out, and the people invited are in
// the list anyway.
const (
	bulkListAll = 100
	bulkListMax = 500
)

// bulkShown returns the rows of a bulk invitation's outcome to list, and a
// note on those it leaves out ("" when it lists them all); listed says the
// viewer has the list to find the invited in.
func bulkShown(rows []app.BulkRow, counts map[string]int, dryRun, listed bool) ([]app.BulkRow, string) {
	if len(rows) <= bulkListAll {
		return rows, ""
	}
	var shown []app.BulkRow
	for _, row := range rows {
		if row.Outcome != app.OutcomeInvited && row.Outcome != app.OutcomeWouldInvite {
			shown = append(shown, row)
		}
	}
	note := fmt.Sprintf("Of the file's %d rows, the %d invited are not listed here.", len(rows), counts[app.OutcomeInvited])
	if listed {
		note = strings.TrimSuffix(note, ".") + ": they are in the list as Pending Activation."
	}
	if dryRun {
		note = fmt.Sprintf("Of the file's %d rows, the %d that would be invited are not listed here.", len(rows), counts[app.OutcomeWouldInvite])
	}
	if len(shown) > bulkListMax {
		note += fmt.Sprintf(" Of the %d rows that need attention, the first %d are listed.", len(shown), bulkListMax)
		shown = shown[:bulkListMax]
	}
	return shown, note
}
