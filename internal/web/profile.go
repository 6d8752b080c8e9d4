package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/policy"
)

// profileRow is one of a member's profile roles in the Edit dialog, with
// whether the viewer may take it away.
type profileRow struct {
	Profile, Role string
	Revoke        policy.Decision
}

// grantProfile gives the member a role on a profile from the Edit dialog
// (SPEC §6; PUT …/members/{user}/profiles/{profile} in the API), and
// returns to the dialog.
func (w *Web) grantProfile(rw http.ResponseWriter, r *http.Request) {
	p, pg, list, ok := w.formFrame(rw, r, maxFormBytes)
	if !ok {
		return
	}
	v := pg.Viewer
	userID := r.PathValue("user")
	profile, role := strings.TrimSpace(r.PostFormValue("profile")), r.PostFormValue("role")
	m, err := w.app.GrantProfileRole(r.Context(), p, v.Account.ID, userID, profile, role)
	if err != nil {
		w.editRefused(rw, r, p, pg, list, userID, true, map[string]string{"profile": profile, "profile_role": role}, err)
		return
	}
	w.redirectWithFlash(rw, r, list.link(accountURL(v.Account.ID)+"/users", "dialog", "edit", "user", userID, "at", "profiles"),
		fmt.Sprintf("%s is now %s on the profile %s.", displayName(m), role, profile))
}

// revokeProfile takes a member's role on a profile away from the Edit
// dialog (DELETE …/members/{user}/profiles/{profile}).
func (w *Web) revokeProfile(rw http.ResponseWriter, r *http.Request) {
	p, pg, list, ok := w.formFrame(rw, r, maxFormBytes)
	if !ok {
		return
	}
	v := pg.Viewer
	userID, profile := r.PathValue("user"), r.PathValue("profile")
	m, err := w.app.RevokeProfileRole(r.Context(), p, v.Account.ID, userID, profile)
	if err != nil {
		w.editRefused(rw, r, p, pg, list, userID, true, nil, err)
		return
	}
	w.redirectWithFlash(rw, r, list.link(accountURL(v.Account.ID)+"/users", "dialog", "edit", "user", userID, "at", "profiles"),
		fmt.Sprintf("%s no longer has a role on the profile %s.", displayName(m), profile))
}

// loadProfiles fills in the Edit dialog's profile roles: the member's, in
// order of profile, what the viewer may grant, and the account's profiles
// to choose from.
func (w *Web) loadProfiles(r *http.Request, p roster.Principal, v *app.Viewer, d *dialogState) error {
	m := d.Target
	d.Profiles = d.Profiles[:0]
	for profile, role := range m.ProfileRoles {
		d.Profiles = append(d.Profiles, profileRow{Profile: profile, Role: role, Revoke: v.RevokeProfile(m, role)})
	}
	slices.SortFunc(d.Profiles, func(a, b profileRow) int { return strings.Compare(a.Profile, b.Profile) })
	d.ProfileRoles = v.ProfileGrants(m)
	if len(d.ProfileRoles) == 0 {
		return nil
	}
	// The role chosen at first is the account's default role, or the
	// least powerful: never, unasked, the highest.
	first := slices.MinFunc(d.ProfileRoles, func(a, b policy.Role) int { return a.Rank - b.Rank })
	for _, r := range d.ProfileRoles {
		if r.Name == v.Catalog().DefaultRole {
			first = r
		}
	}
	d.Values["profile_role"] = first.Name
	profiles, err := w.app.Profiles(r.Context(), p, v.Account.ID)
	if err != nil {
		return err
	}
	for _, pr := range profiles {
		d.ProfileNames = append(d.ProfileNames, pr.Name)
	}
	return nil
}
