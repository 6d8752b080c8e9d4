package web

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
)

// bulkInvite invites every row of an uploaded (or pasted) CSV and shows each
// row's outcome in the dialog. The result is the page itself, not a
// redirect: the table is what the person came for, and posting the same
// file again only reports the rows as already members.
func (w *Web) bulkInvite(rw http.ResponseWriter, r *http.Request) {
	p, pg, list, ok := w.formFrame(rw, r, maxCSVBytes)
	if !ok {
		return
	}
	v := pg.Viewer
	dryRun := r.PostFormValue("dry_run") != ""
	pasted := r.PostFormValue("rows")
	d := &dialogState{Kind: "bulk", Values: map[string]string{"rows": pasted}}
	if dryRun {
		d.Values["dry_run"] = "1"
	}
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
	d.Bulk, d.BulkDone = rows, true
	counts := map[string]int{}
	for _, row := range rows {
		counts[row.Outcome]++
	}
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
	w.renderUsers(rw, r, p, pg, list, d, nil, http.StatusOK)
}
