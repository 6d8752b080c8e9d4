package api

import (
	"net/http"
	"time"

	"github.com/rosterhq/roster/internal/app"
)

func (a *API) listTokens(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	ts, err := a.app.Tokens(r.Context(), p)
	if err != nil {
		return err
	}
	out := listJSON[tokenJSON]{Items: make([]tokenJSON, 0, len(ts))}
	for _, t := range ts {
		out.Items = append(out.Items, toToken(t))
	}
	return write(w, http.StatusOK, out)
}

func (a *API) createToken(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	var in createTokenIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	t, raw, err := a.app.CreateToken(r.Context(), p, app.NewToken{Name: in.Name, AccountID: in.Account, ExpiresAt: (*time.Time)(in.ExpiresAt)})
	if err != nil {
		return err
	}
	out := toToken(t)
	out.Token = raw
	return write(w, http.StatusCreated, out)
}

func (a *API) revokeToken(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	if err := a.app.RevokeToken(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
