package web

import (
	"cmp"
	"net/http"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
)

const tokensTitle = "API tokens"

// tokensPage is the model of the API tokens page (SPEC §4: named tokens,
// shown once, stored hashed, optional expiry, revocable), the web face of
// GET|POST /api/v1/tokens and DELETE /api/v1/tokens/{id}.
type tokensPage struct {
	Tokens []tokenRow
	// Created is the token just made, and Raw its secret: shown on the
	// answer to the form and never again.
	Created *roster.APIToken
	Raw     string
	// Revoke is the token whose revocation the page asks to confirm.
	Revoke *tokenRow
	// The form as typed, and its refusal.
	Name, Account, Expiry string
	Error, Field          string
	Expiries              []expiryOption
}

// tokenRow is a token with the name of its account.
type tokenRow struct {
	*roster.APIToken
	AccountName string
	Expired     bool
}

// expiryOption is one of the lifetimes the form offers.
type expiryOption struct {
	Value, Label string
	days         int // 0: no expiry
}

var tokenExpiries = []expiryOption{
	{"30", "30 days", 30}, {"90", "90 days", 90}, {"365", "1 year", 365}, {"never", "No expiry", 0},
}

func (w *Web) tokensPage(rw http.ResponseWriter, r *http.Request) {
	p, pg, err := w.userFrame(r, "tokens")
	if err != nil {
		w.fail(rw, r, pg, err)
		return
	}
	d := &tokensPage{Expiry: tokenExpiries[0].Value}
	if len(pg.Accounts) > 0 {
		d.Account = pg.Accounts[0].AccountID
	}
	if err := w.loadTokens(r, p, pg, d); err != nil {
		w.fail(rw, r, pg, err)
		return
	}
	if id := r.URL.Query().Get("revoke"); id != "" {
		for i := range d.Tokens {
			if d.Tokens[i].ID == id {
				d.Revoke = &d.Tokens[i]
			}
		}
	}
	w.renderTokens(rw, r, pg, d, http.StatusOK)
}

// createToken makes a token and answers with the page showing its secret,
// once: not a redirect, which would have to carry the secret somewhere.
func (w *Web) createToken(rw http.ResponseWriter, r *http.Request) {
	p, pg, ok := w.userForm(rw, r, "tokens", tokensTitle)
	if !ok {
		return
	}
	d := &tokensPage{Name: r.PostFormValue("name"), Account: r.PostFormValue("account"), Expiry: r.PostFormValue("expiry")}
	in := app.NewToken{Name: d.Name, AccountID: d.Account}
	var err error = roster.Invalid("expiry", "Choose how long the token lasts.")
	for _, e := range tokenExpiries {
		if e.Value == d.Expiry {
			err = nil
			if e.days > 0 {
				at := w.now().AddDate(0, 0, e.days)
				in.ExpiresAt = &at
			}
		}
	}
	status := http.StatusCreated
	if err == nil {
		d.Created, d.Raw, err = w.app.CreateToken(r.Context(), p, in)
	}
	if err != nil {
		if c := roster.ErrorCode(err); c == roster.CodeInternal || c == roster.CodeUnauthenticated {
			w.fail(rw, r, pg, err)
			return
		}
		status = refusalStatus(err)
		d.Error, d.Field = roster.ErrorMessage(err), roster.ErrorField(err)
	} else {
		d.Name = ""
	}
	if err := w.loadTokens(r, p, pg, d); err != nil {
		w.fail(rw, r, pg, err)
		return
	}
	w.renderTokens(rw, r, pg, d, status)
}

func (w *Web) revokeToken(rw http.ResponseWriter, r *http.Request) {
	p, pg, ok := w.userForm(rw, r, "tokens", tokensTitle)
	if !ok {
		return
	}
	if err := w.app.RevokeToken(r.Context(), p, r.PathValue("id")); err != nil {
		w.fail(rw, r, pg, err)
		return
	}
	// At the list's heading: the row and its Revoke button are gone.
	w.redirectWithFlash(rw, r, "/me/tokens#tokens-heading", "The token is revoked; requests that send it are refused from now on.")
}

// loadTokens lists the person's tokens, each with its account's name.
func (w *Web) loadTokens(r *http.Request, p roster.Principal, pg *page, d *tokensPage) error {
	ts, err := w.app.Tokens(r.Context(), p)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, m := range pg.Accounts {
		names[m.AccountID] = m.AccountName
	}
	now := w.now()
	for _, t := range ts {
		d.Tokens = append(d.Tokens, tokenRow{APIToken: t, AccountName: cmp.Or(names[t.AccountID], t.AccountID),
			Expired: t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)})
	}
	d.Expiries = tokenExpiries
	return nil
}

// AccountOf names one of the person's accounts.
func (d *tokensPage) AccountOf(id string) string {
	for _, t := range d.Tokens {
		if t.AccountID == id {
			return t.AccountName
		}
	}
	return id
}

func (w *Web) renderTokens(rw http.ResponseWriter, r *http.Request, pg *page, d *tokensPage, status int) {
	pg.Title, pg.Data = tokensTitle, d
	w.render(rw, r, status, "tokens", pg)
}
