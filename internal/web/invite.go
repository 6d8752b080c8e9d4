package web

import (
	"fmt"
	"net/http"

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
		err = resendAdvice(pg.Viewer, err)
		d := &dialogState{Kind: "invite", Roles: pg.Viewer.AssignableRoles(),
			Values: map[string]string{"email": in.Email, "role": in.Role, "name": in.Name}}
		w.dialogRefused(rw, r, p, pg, list, d, err)
		return
	}
	// Back to the button, where the next invitation starts.
	w.redirectWithFlash(rw, r, afterDialog(pg.Viewer, list)+"#invite-user",
		fmt.Sprintf("Invitation sent to %s as %s.", m.Email, m.Role))
}

// resendAdvice makes the refusal of inviting someone whose invitation is
// pending say what this viewer can do. The policy tells an inviter who may
// resend it to resend it, which is right for whoever has the Resend control
// on that person's row; a viewer who may invite without seeing the list
// (DECISIONS 71) has no row to use, and is told to ask an administrator
// instead, as the policy tells one who may not resend. Any other refusal
// is returned as it is.
func resendAdvice(v *app.Viewer, err error) error {
	code, msg := roster.ErrorCode(err), roster.ErrorMessage(err)
	if advice := resendAdviceFor(v.CanList(), code, msg); advice != msg {
		return roster.Errorf(code, "%s", advice)
	}
	return err
}

// resendAdviceFor is resendAdvice of a refusal's code and sentence (a
// bulk row's), for a viewer who has the list or not: the sentence to show.
func resendAdviceFor(listed bool, code, msg string) string {
	if !listed && code == roster.CodeConflict && msg == policy.ReasonAlreadyInvited {
		return policy.ReasonAskToResend
	}
	return msg
}
