package web

import (
	"net/http"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/policy"
)

// dialogState is an open dialog over the Users panel. Dialogs are rendered
// by the server as <dialog open>, so they work without JavaScript: a link
// (?dialog=edit&user=…) opens one, and a refused form renders it again with
// what was typed and the refusal next to the control.
type dialogState struct {
	Kind string // invite, bulk, edit, remove, transfer
	// Target is the member acted on (edit, remove).
	Target *roster.Member
	// Can is what the viewer may do to Target.
	Can app.MemberActions
	// Values are the form's fields as typed; Errors the message for a field.
	Values map[string]string
	Errors map[string]string
	// Refusal is the policy's sentence for a refused action; LastOwner
	// marks the refusal that the seed's Last Owner Warning explains.
	Refusal   string
	LastOwner bool
	// RoleLocked says the policy refuses the viewer any change of the
	// Target's role (edit): the role shows, without Save.
	RoleLocked bool
	// ProfileForm says the dialog comes back from the profile roles'
	// forms: focus starts in their section, and a refusal shows there
	// (ProfileRefusal), or under the profile field when it is about that
	// field.
	ProfileForm    bool
	ProfileRefusal string
	// Roles are the roles the dialog offers (invite, edit).
	Roles []policy.Role
	// Candidates are the members ownership may go to (transfer): those
	// Find matches, the first MaxPageSize by name, and without a search
	// the member a link chose even when they are not among them.
	// MoreCandidates says that more match than are listed.
	Candidates     []*roster.Member
	Find           string
	MoreCandidates bool
	// Profiles are the Target's profile roles (edit); ProfileRoles the
	// roles the viewer may grant on a profile, and ProfileNames the
	// account's profiles, when they may.
	Profiles     []profileRow
	ProfileRoles []policy.Role
	ProfileNames []string
	// Bulk holds the per-row outcomes of a bulk invitation to list once
	// uploaded (see bulkShown), and BulkNote what they leave out.
	Bulk     []app.BulkRow
	BulkNote string
	// BulkSummary is the counts of the run, also the page's flash, which
	// the open dialog covers.
	BulkSummary string
	BulkDone    bool
	CloseURL    string
}

// TargetName is the target's name, or their email while they have none.
func (d *dialogState) TargetName() string {
	if d.Target == nil {
		return ""
	}
	if d.Target.Name != "" {
		return d.Target.Name
	}
	return d.Target.Email
}

// Value returns a typed value (templates cannot index a nil map safely).
func (d *dialogState) Value(field string) string { return d.Values[field] }

// Err returns the message for a field.
func (d *dialogState) Err(field string) string { return d.Errors[field] }

// setError places a refusal: a bad field next to the field, anything else
// as the policy's sentence next to the dialog's buttons.
func (d *dialogState) setError(err error) {
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	msg := roster.ErrorMessage(err)
	switch code := roster.ErrorCode(err); {
	case d.ProfileForm && code == roster.CodeInvalidInput && roster.ErrorField(err) == "profile" && len(d.ProfileRoles) > 0:
		d.Errors["profile"] = msg
	case d.ProfileForm:
		d.ProfileRefusal = msg
	case roster.ErrorField(err) != "" && d.hasField(roster.ErrorField(err)) && (code == roster.CodeInvalidInput || roster.ErrorField(err) == "password"):
		d.Errors[roster.ErrorField(err)] = msg
	case d.Kind == "invite" && code == roster.CodeConflict:
		// Already a member, already invited: said of the address, under
		// it, where the focus lands.
		d.Errors["email"] = msg
	case code == roster.CodeLastOwner:
		d.LastOwner, d.Refusal = true, msg
	default:
		d.Refusal = msg
	}
}

// fields each dialog's form has, so that an error about another field (one
// the form does not show) is not lost but shown as the refusal.
var dialogFields = map[string][]string{
	"invite":   {"email", "name", "role"},
	"edit":     {"role", "name", "profile"},
	"transfer": {"user", "password", "find"},
	"bulk":     {"csv"},
}

// Starts reports whether the dialog's focus starts in field: the first of
// its fields with an error, else its first field (focusField).
func (d *dialogState) Starts(field string) bool {
	return focusField(d.Errors, field, dialogFields[d.Kind]...)
}

func (d *dialogState) hasField(f string) bool {
	for _, x := range dialogFields[d.Kind] {
		if x == f {
			return true
		}
	}
	return false
}

// dialogFromQuery opens the dialog a link asked for. An unknown kind opens
// nothing; a member who is not in the account is not_found.
func (w *Web) dialogFromQuery(r *http.Request, p roster.Principal, v *app.Viewer, kind, userID string) (*dialogState, error) {
	d := &dialogState{Kind: kind, Values: map[string]string{}, Errors: map[string]string{}}
	switch kind {
	case "invite":
		d.Values["role"] = v.Catalog().DefaultRole
		d.Roles = v.AssignableRoles()
	case "bulk":
	case "transfer":
		if !v.CanTransfer() {
			return nil, nil // nobody to hand over to: the panel has no such button
		}
		d.Values["user"] = userID // a link may preselect the new owner
		d.Find = r.URL.Query().Get("find")
	case "edit", "remove", "disable":
		if err := w.loadTarget(r, p, v, d, userID); err != nil {
			return nil, err
		}
		d.Values["role"], d.Values["name"] = d.Target.Role, d.Target.Name
		d.ProfileForm = d.Kind == "edit" && r.URL.Query().Get("at") == "profiles"
		// Foreseen: what the policy refuses (removing or disabling the
		// last owner, acting on a higher role) is said at once, with no
		// button to try it, as when a link or a stale page opens a dialog
		// the panel would not have offered.
		var refused policy.Decision
		switch {
		case d.Kind == "remove" && d.Target.Status == roster.StatusPending:
			refused = d.Can.Revoke
		case d.Kind == "remove":
			refused = d.Can.Remove
		case d.Kind == "disable":
			refused = d.Can.Disable
		case d.Kind == "edit":
			refused = d.Can.Edit
			d.RoleLocked = !refused.Allowed
		}
		if !refused.Allowed {
			d.LastOwner, d.Refusal = refused.Code == policy.CodeLastOwner, refused.Reason
		}
	default:
		return nil, nil
	}
	return d, nil
}

// loadTarget fills in the member a dialog is about, and the roles the Edit
// dialog offers: the member's own, so that the dropdown shows it, and those
// the policy lets the viewer give them (and those the last-owner rule
// refuses, whose warning shows on Save). Asked of the policy for this
// member: with a catalog of the operator's own, a role may edit without
// inviting, and a role of one's rank may hold more than one may give
// oneself.
func (w *Web) loadTarget(r *http.Request, p roster.Principal, v *app.Viewer, d *dialogState, userID string) error {
	m, err := w.app.Member(r.Context(), p, v.Account.ID, userID)
	if err != nil {
		return err
	}
	d.Target, d.Can = m, v.On(m)
	for _, role := range v.Catalog().Roles {
		if role.Name == m.Role || app.Shown(v.ChangeRole(m, role.Name)) {
			d.Roles = append(d.Roles, role)
		}
	}
	if d.Kind == "edit" {
		return w.loadProfiles(r, p, v, d)
	}
	return nil
}

// loadTransferCandidates lists the Active members who could become owner:
// everyone Active but the viewer whom the dialog's search finds, the first
// MaxPageSize by name, and without a search the member already chosen
// wherever they are in that order, so that a large account's owner can
// reach anyone.
func (w *Web) loadTransferCandidates(r *http.Request, p roster.Principal, v *app.Viewer, d *dialogState) error {
	ctx := r.Context()
	query := app.MemberQuery{Query: strings.TrimSpace(d.Find), Status: string(roster.StatusActive),
		Sort: string(roster.SortName), Limit: roster.MaxPageSize}
	res, err := w.app.ListMembers(ctx, p, v.Account.ID, query)
	if roster.ErrorCode(err) == roster.CodeInvalidInput && query.Query != "" {
		d.setError(roster.Invalid("find", "%s", roster.ErrorMessage(err)))
		query.Query = ""
		res, err = w.app.ListMembers(ctx, p, v.Account.ID, query)
	}
	if err != nil {
		return err
	}
	d.MoreCandidates = res.Next != nil
	chosen, listed := d.Values["user"], false
	d.Candidates = d.Candidates[:0]
	// Whom ownership may go to is the policy's to say (not oneself, only
	// an Active member): the list's filter only narrows the reading.
	for _, m := range res.Items {
		if v.On(m).Transfer.Allowed {
			d.Candidates = append(d.Candidates, m)
			listed = listed || m.UserID == chosen
		}
	}
	if chosen == "" || listed || query.Query != "" {
		return nil // a search lists what it found, and nobody else
	}
	m, err := w.app.Member(ctx, p, v.Account.ID, chosen)
	switch {
	case roster.ErrorCode(err) == roster.CodeNotFound:
		return nil // a stale link: nobody is chosen
	case err != nil:
		return err
	case v.On(m).Transfer.Allowed:
		d.Candidates = append([]*roster.Member{m}, d.Candidates...)
	}
	return nil
}
