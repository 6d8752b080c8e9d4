package web

import (
	"net/http"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/httpserver"
	"github.com/rosterhq/roster/policy"
)

// usersPage is the model of the Users panel (seed: "User List View").
type usersPage struct {
	AccountURL string // /accounts/{id}
	Base       string // /accounts/{id}/users
	List       listState
	Columns    []column
	// SortOptions are the orders of the sort control phones show.
	SortOptions []sortOption
	Rows        []memberRow
	NextURL     string
	PrevURL     string
	FirstURL    string
	// Roles is the whole catalog, for the role filter.
	Roles         []policy.Role
	StatusOptions any
	ListError     string
	// Refusal is a row action's refusal when its row is not on this
	// page (filtered out, on another page, removed meanwhile).
	Refusal string
	Dialog  *dialogState
}

// memberRow is one member with what the viewer may do to them, and the
// refusal of an action tried on this row, shown next to its buttons.
type memberRow struct {
	M         *roster.Member
	Can       app.MemberActions
	Expired   bool
	Error     string
	LastOwner bool
}

// Display is the member's name, or their email while they have none.
func (m memberRow) Display() string {
	if m.M.Name != "" {
		return m.M.Name
	}
	return m.M.Email
}

// rowError is a refusal of an action taken from a row's buttons.
type rowError struct {
	UserID    string
	Message   string
	LastOwner bool
}

// DialogURL is the link that opens a dialog over the list as it is now.
func (u *usersPage) DialogURL(kind, userID string) string {
	return u.List.link(u.Base, "dialog", kind, "user", userID)
}

// MemberURL is where a row's form posts.
func (u *usersPage) MemberURL(userID, action string) string {
	return u.AccountURL + "/members/" + userID + "/" + action
}

// CloseURL is the list without any dialog.
func (u *usersPage) CloseURL() string { return u.List.link(u.Base) }

// users serves the Users panel, with a dialog open when ?dialog= asks.
func (w *Web) users(rw http.ResponseWriter, r *http.Request) {
	p, pg, err := w.accountFrame(r, "users")
	if err != nil {
		w.fail(rw, r, pg, err)
		return
	}
	q := r.URL.Query()
	list := listFrom(q)
	dlg, err := w.dialogFromQuery(r, p, pg.Viewer, q.Get("dialog"), q.Get("user"))
	if err != nil {
		w.fail(rw, r, pg, err)
		return
	}
	w.renderUsers(rw, r, p, pg, list, dlg, nil, http.StatusOK)
}

// renderUsers renders the panel. It is also how a refused action answers:
// with the list as it was, the dialog still open with what was typed, and
// the refusal next to the control that was used.
func (w *Web) renderUsers(rw http.ResponseWriter, r *http.Request, p roster.Principal, pg *page,
	list listState, dlg *dialogState, rowErr *rowError, status int) {
	v := pg.Viewer
	ctx := r.Context()
	base := accountURL(v.Account.ID)
	query := app.MemberQuery{Query: list.trimmed(), Role: list.Role, Status: list.Status, Sort: list.Sort, Cursor: list.Cursor}
	res, err := w.app.ListMembers(ctx, p, v.Account.ID, query)
	listErr := ""
	if roster.ErrorCode(err) == roster.CodeInvalidInput {
		// A hand-edited or stale URL: say what was wrong and show the
		// plain list rather than an error page.
		listErr = roster.ErrorMessage(err)
		list = listState{}
		res, err = w.app.ListMembers(ctx, p, v.Account.ID, app.MemberQuery{})
	}
	if err != nil {
		w.fail(rw, r, pg, err)
		return
	}
	d := &usersPage{
		AccountURL: base, Base: base + "/users", List: list, Roles: v.Catalog().Roles,
		StatusOptions: statusOptions, ListError: listErr, Dialog: dlg,
	}
	d.Columns, d.SortOptions = list.columns(d.Base), list.sortOptions()
	now := w.now()
	for _, m := range res.Items {
		row := memberRow{M: m, Can: v.On(m)}
		row.Expired = m.InvitationExpiresAt != nil && !now.Before(*m.InvitationExpiresAt)
		if rowErr != nil && rowErr.UserID == m.UserID {
			row.Error, row.LastOwner = rowErr.Message, rowErr.LastOwner
			rowErr = nil
		}
		d.Rows = append(d.Rows, row)
	}
	if rowErr != nil {
		d.Refusal = rowErr.Message
	}
	if res.Next != nil {
		d.NextURL = list.link(d.Base, "cursor", res.Next.Encode())
	}
	if res.Prev != nil {
		d.PrevURL = list.link(d.Base, "cursor", res.Prev.Encode())
	}
	if list.Cursor != "" {
		// Even a page left empty (its last member removed) leads back.
		d.FirstURL = list.link(d.Base, "cursor", "")
	}
	if dlg != nil {
		// Closed, the dialog gives focus back to what opened it.
		dlg.CloseURL = d.CloseURL() + openerAnchor[dlg.Kind]
		if dlg.Target != nil {
			dlg.CloseURL = d.CloseURL() + rowAnchor(dlg.Target.UserID)
		}
		if dlg.Kind == "transfer" {
			if err := w.loadTransferCandidates(r, p, v, dlg); err != nil {
				w.fail(rw, r, pg, err)
				return
			}
		}
	}
	pg.Title = "Users & Roles"
	pg.Data, pg.DialogOpen = d, dlg != nil
	w.render(rw, r, status, "users", pg)
}

// openerAnchor is the fragment of the toolbar button that opens each
// dialog without a member.
var openerAnchor = map[string]string{"invite": "#invite-user", "bulk": "#open-bulk", "transfer": "#open-transfer"}

// refusalStatus is the HTTP status of a page that shows a refusal.
func refusalStatus(err error) int { return httpserver.StatusOf(roster.ErrorCode(err)) }

// ExpiryVerb is "expired" or "expires", for a pending invitation's date.
func (m memberRow) ExpiryVerb() string {
	if m.Expired {
		return "expired"
	}
	return "expires"
}

// rowAnchor is the fragment of a member's row in the list (its id,
// member-ID): after a dialog or an action on a row the list opens there,
// where the keyboard's focus resumes, rather than at its top.
func rowAnchor(userID string) string { return "#member-" + userID }

// atRow is the account's Users panel in this list state, opened at the
// member's row: where a row's action returns.
func (l listState) atRow(accountID, userID string) string {
	return l.link(accountURL(accountID)+"/users") + rowAnchor(userID)
}
