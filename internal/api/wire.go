package api

import (
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/policy"
)

// The wire format of SPEC §5. Field names are relied on by clients.

type memberJSON struct {
	User                string            `json:"user"`
	Email               string            `json:"email"`
	Name                string            `json:"name"`
	Role                string            `json:"role"`
	Status              string            `json:"status"`
	LastLoginAt         *time.Time        `json:"last_login_at"`
	InvitedAt           *time.Time        `json:"invited_at"`
	InvitedBy           *string           `json:"invited_by"`
	JoinedAt            *time.Time        `json:"joined_at"`
	InvitationExpiresAt *time.Time        `json:"invitation_expires_at"`
	InvitationError     *string           `json:"invitation_error"`
	ProfileRoles        map[string]string `json:"profile_roles"`
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func toMember(m *roster.Member) memberJSON {
	out := memberJSON{
		User: m.UserID, Email: m.Email, Name: m.Name, Role: m.Role, Status: string(m.Status),
		LastLoginAt: utc(m.LastLoginAt), InvitedAt: utc(m.InvitedAt), InvitedBy: nullable(m.InvitedBy),
		JoinedAt: utc(m.JoinedAt), ProfileRoles: m.ProfileRoles,
	}
	if m.Status == roster.StatusPending {
		out.InvitationExpiresAt = utc(m.InvitationExpiresAt)
		out.InvitationError = nullable(m.InvitationError)
	}
	if out.ProfileRoles == nil {
		out.ProfileRoles = map[string]string{}
	}
	return out
}

type listJSON[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
	// PrevCursor is the member list's way back; other lists have none.
	PrevCursor string `json:"prev_cursor,omitempty"`
}

type meJSON struct {
	User struct {
		ID    string `json:"id"`
		Email string `json:"email"`
		Name  string `json:"name"`
	} `json:"user"`
	Memberships []membershipJSON `json:"memberships"`
}

type membershipJSON struct {
	Account     string `json:"account"`
	AccountName string `json:"account_name"`
	Role        string `json:"role"`
	Status      string `json:"status"`
}

func toMe(u *roster.User, ms []roster.Membership) meJSON {
	var out meJSON
	out.User.ID, out.User.Email, out.User.Name = u.ID, u.Email, u.Name
	out.Memberships = make([]membershipJSON, 0, len(ms))
	for _, m := range ms {
		out.Memberships = append(out.Memberships, membershipJSON{m.AccountID, m.AccountName, m.Role, string(m.Status)})
	}
	return out
}

type tokenJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Account    string     `json:"account"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	// Token is the secret, present only in the answer that creates it.
	Token string `json:"token,omitempty"`
}

func toToken(t *roster.APIToken) tokenJSON {
	return tokenJSON{ID: t.ID, Name: t.Name, Account: t.AccountID, CreatedAt: t.CreatedAt.UTC(),
		ExpiresAt: utc(t.ExpiresAt), LastUsedAt: utc(t.LastUsedAt)}
}

type roleJSON struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Rank        int      `json:"rank"`
	Permissions []string `json:"permissions"`
	Assignable  bool     `json:"assignable"`
}

func toRole(r app.RoleView) roleJSON {
	perms := r.Permissions
	if perms == nil {
		perms = []string{}
	}
	return roleJSON{Name: r.Name, Description: r.Description, Rank: r.Rank, Permissions: perms, Assignable: r.Assignable}
}

type profileJSON struct {
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	Members   int       `json:"members"`
}

type auditJSON struct {
	ID     int64             `json:"id"`
	At     time.Time         `json:"at"`
	Actor  *string           `json:"actor"`
	Action string            `json:"action"`
	Target *string           `json:"target"`
	Before map[string]string `json:"before"`
	After  map[string]string `json:"after"`
	IP     *string           `json:"ip"`
}

func toAudit(e *roster.AuditEvent) auditJSON {
	return auditJSON{ID: e.ID, At: e.At.UTC(), Actor: nullable(e.Actor), Action: e.Action, Target: nullable(e.Target),
		Before: e.Before, After: e.After, IP: nullable(e.IP)}
}

type checkJSON struct {
	Allowed bool   `json:"allowed"`
	Code    string `json:"code"`
	Reason  string `json:"reason"`
}

func toCheck(r policy.CheckResult) checkJSON { return checkJSON{r.Allowed, r.Code, r.Reason} }

type bulkRowJSON struct {
	Line    int     `json:"line"`
	Email   string  `json:"email"`
	Outcome string  `json:"outcome"`
	Code    *string `json:"code"`
	Detail  *string `json:"detail"`
}
