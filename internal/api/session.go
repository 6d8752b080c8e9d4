package api

import (
	"net/http"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/httpserver"
)

func (a *API) setSessionCookie(w http.ResponseWriter, raw string) {
	httpserver.SetSessionCookie(w, raw, a.secureCookies, a.sessionMax)
}

func (a *API) clearSessionCookie(w http.ResponseWriter) {
	httpserver.ClearSessionCookie(w, a.secureCookies)
}

func (a *API) login(w http.ResponseWriter, r *http.Request) error {
	var in loginIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	// A field left out is the client's mistake, whoever the email is; a
	// wrong one is answered as every failed login is.
	if strings.TrimSpace(in.Email) == "" {
		return roster.Invalid("email", "An email address is required.")
	}
	if in.Password == "" {
		return roster.Invalid("password", "A password is required.")
	}
	key := httpserver.LoginKey(in.Email)
	if err := a.limits.Take(w, r, key); err != nil {
		return err
	}
	raw, user, err := a.app.Login(r.Context(), httpserver.ClientIP(r), in.Email, in.Password)
	if err != nil {
		return err
	}
	if err := a.limits.Forgive(r.Context(), r, key); err != nil {
		return err
	}
	a.setSessionCookie(w, raw)
	p := roster.Principal{UserID: user.ID}
	u, ms, err := a.app.Me(r.Context(), p)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, toMe(u, ms))
}

func (a *API) logout(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	if err := a.app.Logout(r.Context(), p); err != nil {
		return err
	}
	a.clearSessionCookie(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) me(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	u, ms, err := a.app.Me(r.Context(), p)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, toMe(u, ms))
}

func (a *API) patchMe(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	if err := a.app.MayChangeName(p); err != nil {
		return err
	}
	var in patchMeIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Name == nil {
		return roster.Invalid("name", "Give the new name as {\"name\": \"…\"}.")
	}
	if _, err := a.app.SetMyName(r.Context(), p, *in.Name); err != nil {
		return err
	}
	return a.me(w, r)
}

func (a *API) changePassword(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	if err := a.app.MayChangePassword(p); err != nil {
		return err
	}
	var in passwordChangeIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := a.limits.Take(w, r, httpserver.PasswordKey(p.UserID)); err != nil {
		return err
	}
	if err := a.app.ChangePassword(r.Context(), p, in.Current, in.New); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) requestReset(w http.ResponseWriter, r *http.Request) error {
	var in resetRequestIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := a.limits.Take(w, r, httpserver.ResetKey(in.Email)); err != nil {
		return err
	}
	if err := a.app.RequestPasswordReset(r.Context(), in.Email); err != nil {
		return err
	}
	// The same answer whether or not the address has an account.
	return write(w, http.StatusAccepted, map[string]string{
		"detail": "If this address belongs to an account, a reset link is on its way.",
	})
}

func (a *API) confirmReset(w http.ResponseWriter, r *http.Request) error {
	var in resetConfirmIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := a.limits.Take(w, r, httpserver.LinkKey(in.Token)); err != nil {
		return err
	}
	if _, err := a.app.ConfirmPasswordReset(r.Context(), httpserver.ClientIP(r), strings.TrimSpace(in.Token), in.Password); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) acceptInvitation(w http.ResponseWriter, r *http.Request) error {
	var in acceptIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := a.limits.Take(w, r, httpserver.LinkKey(in.Token)); err != nil {
		return err
	}
	acc, err := a.app.AcceptInvitation(r.Context(), httpserver.ClientIP(r), app.Acceptance{
		Token: strings.TrimSpace(in.Token), Name: in.Name, Password: in.Password,
	})
	if err != nil {
		return err
	}
	a.setSessionCookie(w, acc.Session)
	u, ms, err := a.app.Me(r.Context(), roster.Principal{UserID: acc.User.ID})
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, toMe(u, ms))
}
