package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/policy"
)

// invite sends one invitation from the "+ Invite User" dialog (seed:
// "Inviting a New User").
func (w *Web) invite(rw http.ResponseWriter, r *http.Request) {
	p, pg, list, ok := w.formFrame(rw, r, maxFormBytes)
	if !ok {
		return
	}
	in := app.Invitation{Email: r.PostFormValue("email"), Role: r.PostFormValue("role"), Name: r.PostFormValue("name")}
	m, err := w.app.Invite(r.Context(), p, pg.Viewer.Account.ID, in)
	if err != nil {
		err = w.resendAdvice(r, p, pg.Viewer, in.Email, err)
		d := &dialogState{Kind: "invite", Roles: pg.Viewer.AssignableRoles(),
			Values: map[string]string{"email": in.Email, "role": in.Role, "name": in.Name}}
		w.dialogRefused(rw, r, p, pg, list, d, err)
		return
	}
	// Back to the button, where the next invitation starts.
	w.redirectWithFlash(rw, r, afterDialog(pg.Viewer, list)+"#invite-user",
		fmt.Sprintf("Invitation sent to %s as %s.", m.Email, m.Role))
}

// askToResend is the refusal of inviting someone already invited for a
// viewer who cannot resend the invitation from the Users panel.
const askToResend = "This person is already invited and has not joined yet. If they need a new link, ask one of the account's administrators to resend the invitation."

// resendAdvice makes the refusal of inviting someone whose invitation is
// pending say what this viewer can do. The policy's sentence tells them to
// resend, which is right for whoever has the Resend control on that
// person's row; a viewer who may invite without seeing the list (DECISIONS
// 71) has no row to use, and one below the pending member's role has no
// Resend on it. Both are told to ask an administrator instead. Any other
// refusal is returned as it is.
func (w *Web) resendAdvice(r *http.Request, p roster.Principal, v *app.Viewer, email string, err error) error {
	if roster.ErrorCode(err) != roster.CodeConflict || roster.ErrorMessage(err) != policy.ReasonAlreadyInvited {
		return err
	}
	if v.CanList() {
		m := w.pendingMember(r, p, v, email)
		if m == nil || app.Shown(v.On(m).Resend) {
			return err
		}
	}
	return roster.Errorf(roster.CodeConflict, askToResend)
}

// pendingMember is the pending member with this email, as the list shows
// them to the viewer; nil when the list does not find them or cannot be
// read, and the policy's sentence then stands.
func (w *Web) pendingMember(r *http.Request, p roster.Principal, v *app.Viewer, email string) *roster.Member {
	// Searched by its key, the email's every spelling finds them.
	key := roster.EmailKey(strings.TrimSpace(email))
	res, err := w.app.ListMembers(r.Context(), p, v.Account.ID, app.MemberQuery{Query: key, Status: string(roster.StatusPending)})
	if err != nil {
		return nil
	}
	for _, m := range res.Items {
		if roster.EmailKey(m.Email) == key {
			return m
		}
	}
	return nil
}
