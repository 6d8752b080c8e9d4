package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/httpserver"
)

func (a *API) listMembers(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	q := newQuery(r, "q", "role", "status", "sort", "cursor", "limit")
	mq := app.MemberQuery{Query: q.str("q"), Role: q.str("role"), Status: q.str("status"), Sort: q.str("sort"),
		Cursor: q.str("cursor"), Limit: q.int("limit")}
	if q.err != nil {
		return q.err
	}
	page, err := a.app.ListMembers(r.Context(), p, r.PathValue("account"), mq)
	if err != nil {
		return err
	}
	out := listJSON[memberJSON]{Items: make([]memberJSON, 0, len(page.Items))}
	for _, m := range page.Items {
		out.Items = append(out.Items, toMember(m))
	}
	if page.Next != nil {
		out.NextCursor = page.Next.Encode()
	}
	if page.Prev != nil {
		out.PrevCursor = page.Prev.Encode()
	}
	return write(w, http.StatusOK, out)
}

func (a *API) getMember(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	m, err := a.app.Member(r.Context(), p, r.PathValue("account"), r.PathValue("user"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, toMember(m))
}

// patchMember changes exactly one of role, status, or a pending member's name.
func (a *API) patchMember(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	var in patchMemberIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	n := 0
	for _, f := range []*string{in.Role, in.Status, in.Name} {
		if f != nil {
			n++
		}
	}
	if n != 1 {
		return roster.Invalid("", "Send exactly one of role, status or name, as a string (not null): one change a request.")
	}
	account, user := r.PathValue("account"), r.PathValue("user")
	var m *roster.Member
	switch {
	case in.Role != nil:
		m, err = a.app.ChangeRole(r.Context(), p, account, user, *in.Role)
	case in.Status != nil:
		m, err = a.app.SetStatus(r.Context(), p, account, user, *in.Status)
	default:
		m, err = a.app.SetPendingName(r.Context(), p, account, user, *in.Name)
	}
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, toMember(m))
}

func (a *API) removeMember(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	if err := a.app.Remove(r.Context(), p, r.PathValue("account"), r.PathValue("user")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) resend(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	m, err := a.app.Resend(r.Context(), p, r.PathValue("account"), r.PathValue("user"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, toMember(m))
}

func (a *API) invite(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	var in inviteIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	m, err := a.app.Invite(r.Context(), p, r.PathValue("account"), app.Invitation{Email: in.Email, Role: in.Role, Name: in.Name})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/accounts/"+url.PathEscape(m.AccountID)+"/members/"+url.PathEscape(m.UserID))
	return write(w, http.StatusCreated, toMember(m))
}

func (a *API) bulkInvite(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	q := newQuery(r, "dry_run")
	dry := q.bool("dry_run")
	if q.err != nil {
		return q.err
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "text/csv" {
		return roster.Invalid("", "Send the CSV with Content-Type: text/csv.")
	}
	if cs, ok := params["charset"]; ok && !utf8Charset(cs) {
		return roster.Invalid("", "The CSV must be in UTF-8, not %q: save it as CSV UTF-8.", roster.Truncate(cs, 40))
	}
	body := &bodyReader{r: http.MaxBytesReader(w, r.Body, app.MaxBulkBytes)}
	rows, err := a.app.BulkInvite(r.Context(), p, r.PathValue("account"), body, dry)
	if err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe), errors.As(body.err, &mbe):
			return httpserver.ErrTooLarge
		case body.err != nil:
			// The client sent less than it said, or went away.
			return roster.Invalid("", "The body could not be read.")
		}
		return err
	}
	out := struct {
		Items []bulkRowJSON `json:"items"`
	}{Items: make([]bulkRowJSON, 0, len(rows))}
	for _, row := range rows {
		out.Items = append(out.Items, bulkRowJSON{Line: row.Line, Email: row.Email, Outcome: row.Outcome,
			Code: nullable(row.Code), Detail: nullable(row.Detail)})
	}
	return write(w, http.StatusOK, out)
}

func (a *API) transferOwnership(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	var in transferIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.User == "" {
		return roster.Invalid("user", "Say whom to transfer ownership to: {\"user\": \"usr_…\", \"password\": \"…\"}.")
	}
	if err := a.limits.Take(w, r, httpserver.PasswordKey(p.UserID)); err != nil {
		return err
	}
	m, err := a.app.TransferOwnership(r.Context(), p, r.PathValue("account"), in.User, in.Password)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, toMember(m))
}

func (a *API) roles(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	rs, err := a.app.Roles(r.Context(), p, r.PathValue("account"))
	if err != nil {
		return err
	}
	out := listJSON[roleJSON]{Items: make([]roleJSON, 0, len(rs))}
	for _, role := range rs {
		out.Items = append(out.Items, toRole(role))
	}
	return write(w, http.StatusOK, out)
}

func (a *API) profiles(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	ps, err := a.app.Profiles(r.Context(), p, r.PathValue("account"))
	if err != nil {
		return err
	}
	out := listJSON[profileJSON]{Items: make([]profileJSON, 0, len(ps))}
	for _, pr := range ps {
		out.Items = append(out.Items, profileJSON{Name: pr.Name, CreatedAt: pr.CreatedAt.UTC(), Members: pr.Members})
	}
	return write(w, http.StatusOK, out)
}

func (a *API) grantProfileRole(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	var in profileRoleIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	m, err := a.app.GrantProfileRole(r.Context(), p, r.PathValue("account"), r.PathValue("user"), r.PathValue("profile"), in.Role)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, toMember(m))
}

func (a *API) revokeProfileRole(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	if _, err := a.app.RevokeProfileRole(r.Context(), p, r.PathValue("account"), r.PathValue("user"), r.PathValue("profile")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) audit(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	q := newQuery(r, "cursor", "limit")
	cursor, limit := q.str("cursor"), q.int("limit")
	if q.err != nil {
		return q.err
	}
	page, err := a.app.Audit(r.Context(), p, r.PathValue("account"), cursor, limit)
	if err != nil {
		return err
	}
	out := listJSON[auditJSON]{Items: make([]auditJSON, 0, len(page.Items))}
	for _, e := range page.Items {
		out.Items = append(out.Items, toAudit(e))
	}
	if page.Next != nil {
		out.NextCursor = page.Next.Encode()
	}
	return write(w, http.StatusOK, out)
}

type checkIn struct {
	User       string `json:"user"`
	Permission string `json:"permission"`
	Profile    string `json:"profile"`
}

func (c checkIn) app() app.Check {
	return app.Check{User: c.User, Permission: c.Permission, Profile: c.Profile}
}

func (a *API) check(w http.ResponseWriter, r *http.Request) error {
	httpserver.Quiet(r)
	p, err := principal(r)
	if err != nil {
		return err
	}
	var in checkIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	res, err := a.app.CheckPermission(r.Context(), p, r.PathValue("account"), in.app())
	if err != nil {
		return err
	}
	a.checks.WithLabelValues(res.Code).Inc()
	return write(w, http.StatusOK, toCheck(res))
}

func (a *API) checkBatch(w http.ResponseWriter, r *http.Request) error {
	httpserver.Quiet(r)
	p, err := principal(r)
	if err != nil {
		return err
	}
	var in checkBatchIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	checks := make([]app.Check, len(in.Checks))
	for i, c := range in.Checks {
		checks[i] = c.app()
	}
	res, err := a.app.CheckBatch(r.Context(), p, r.PathValue("account"), checks)
	if err != nil {
		return err
	}
	out := struct {
		Results []checkJSON `json:"results"`
	}{Results: make([]checkJSON, len(res))}
	// Decisions are counted once per code, not once per check: looking a
	// counter up by its label costs more than a check.
	var codes []string
	var counts []float64
	for i, c := range res {
		out.Results[i] = toCheck(c)
		k := slices.Index(codes, c.Code)
		if k < 0 {
			codes, counts, k = append(codes, c.Code), append(counts, 0), len(codes)
		}
		counts[k]++
	}
	for k, code := range codes {
		a.checks.WithLabelValues(code).Add(counts[k])
	}
	return write(w, http.StatusOK, out)
}

// bodyReader remembers an error reading the request's body, other than its
// end, so that a body cut short is the client's 400, not an internal error
// of whatever read it.
type bodyReader struct {
	r   io.Reader
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}
