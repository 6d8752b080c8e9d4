package app

import (
	"context"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/policy"
)

// MemberQuery is a request for a page of the member list, as a client
// writes it; ListMembers validates it.
type MemberQuery struct {
	Query  string
	Role   string
	Status string
	Sort   string // name, email, role, status, last_login; "-" in front for descending
	Cursor string
	Limit  int // 0 for the default
}

// ListMembers returns a page of the account's members (needs members.read).
func (a *App) ListMembers(ctx context.Context, p roster.Principal, accountID string, q MemberQuery) (*roster.MemberPage, error) {
	var out *roster.MemberPage
	err := a.readAccount(ctx, p, accountID, func(tx roster.Tx, acc *roster.Account, me *roster.Member) error {
		if err := decide(acc.Catalog, policy.Request{Action: policy.ActionListMembers, Actor: me.Policy()}); err != nil {
			return err
		}
		f, err := memberFilter(acc.Catalog, q)
		if err != nil {
			return err
		}
		if f.After != nil && f.After.Back {
			out, err = pageBefore(tx, accountID, f)
			return err
		}
		out, err = tx.ListMembers(accountID, f)
		if err == nil && f.After != nil && len(out.Items) > 0 {
			out.Prev = roster.NewMemberCursorBefore(out.Items[0], f.Sort, f.Desc)
		}
		return err
	})
	return out, err
}

// pageBefore reads the page that ends just before f's cursor: the list in
// the other direction from the same position, turned round. When fewer
// than a page come before it (members left meanwhile), it is the first
// page instead, so that a page going back is never short.
func pageBefore(tx roster.Tx, accountID string, f roster.MemberFilter) (*roster.MemberPage, error) {
	back, at := f, *f.After
	at.Desc, at.Back = !f.Desc, false
	back.Desc, back.After = !f.Desc, &at
	page, err := tx.ListMembers(accountID, back)
	if err != nil {
		return nil, err
	}
	if len(page.Items) < f.Limit {
		f.After = nil
		return tx.ListMembers(accountID, f)
	}
	slices.Reverse(page.Items)
	out := &roster.MemberPage{Items: page.Items}
	if page.Next != nil {
		out.Prev = roster.NewMemberCursorBefore(page.Items[0], f.Sort, f.Desc)
	}
	// A next page only when a member follows: the cursor's own member may
	// have left, or a client made the cursor up.
	after := f
	after.After, after.Limit = roster.NewMemberCursor(page.Items[len(page.Items)-1], f.Sort, f.Desc), 1
	rest, err := tx.ListMembers(accountID, after)
	if err != nil {
		return nil, err
	}
	if len(rest.Items) > 0 {
		out.Next = after.After
	}
	return out, nil
}

func memberFilter(c *policy.Catalog, q MemberQuery) (roster.MemberFilter, error) {
	var f roster.MemberFilter
	if !utf8.ValidString(q.Query) || utf8.RuneCountInString(q.Query) > roster.MaxQueryLen {
		return f, roster.Invalid("q", "The search text must be valid text of at most %d characters.", roster.MaxQueryLen)
	}
	f.Query = q.Query
	if q.Role != "" && !c.HasRole(q.Role) {
		return f, roster.Invalid("role", "There is no role %q in this account.", roster.Truncate(q.Role, 80))
	}
	if q.Role != "" {
		f = withRole(f, c, q.Role)
	}
	if q.Status != "" {
		st, err := roster.ParseStatus("status", q.Status)
		if err != nil {
			return f, err
		}
		f.Status = st
	}
	sort, desc, err := roster.ParseSort(q.Sort)
	if err != nil {
		return f, err
	}
	f.Sort, f.Desc = sort, desc
	switch {
	case q.Limit == 0:
		f.Limit = roster.DefaultPageSize
	case q.Limit < 1 || q.Limit > roster.MaxPageSize:
		return f, roster.Invalid("limit", "limit must be between 1 and %d.", roster.MaxPageSize)
	default:
		f.Limit = q.Limit
	}
	if q.Cursor != "" {
		if f.After, err = roster.DecodeMemberCursor(q.Cursor, sort, desc); err != nil {
			return f, err
		}
	}
	return f, nil
}

// Member returns one member of the account (needs members.read, or is oneself).
func (a *App) Member(ctx context.Context, p roster.Principal, accountID, userID string) (*roster.Member, error) {
	var out *roster.Member
	err := a.readAccount(ctx, p, accountID, func(tx roster.Tx, acc *roster.Account, me *roster.Member) error {
		if err := decide(acc.Catalog, policy.Request{Action: policy.ActionListMembers, Actor: me.Policy(), Self: userID == me.UserID}); err != nil {
			return err
		}
		var err error
		out, err = target(tx, accountID, userID)
		return err
	})
	return out, err
}

// RoleView is a role of the account with whether the caller may assign it.
type RoleView struct {
	policy.Role
	Assignable bool
}

// Roles lists the account's roles, most powerful first, each marked with
// whether the caller may give it (needs members.read).
func (a *App) Roles(ctx context.Context, p roster.Principal, accountID string) ([]RoleView, error) {
	var out []RoleView
	err := a.readAccount(ctx, p, accountID, func(tx roster.Tx, acc *roster.Account, me *roster.Member) error {
		if err := decide(acc.Catalog, policy.Request{Action: policy.ActionListMembers, Actor: me.Policy()}); err != nil {
			return err
		}
		for _, r := range acc.Catalog.Roles {
			out = append(out, RoleView{Role: r, Assignable: acc.Catalog.CanGive(me.Role, r.Name)})
		}
		return nil
	})
	return out, err
}

// ChangeRole gives a member a new role (SPEC §3). Giving the role the member
// already has succeeds and changes nothing.
func (a *App) ChangeRole(ctx context.Context, p roster.Principal, accountID, userID, role string) (*roster.Member, error) {
	return a.changeMember(ctx, p, accountID, userID, func(tx roster.Tx, acc *roster.Account, me, t *roster.Member, req policy.Request) (bool, error) {
		if role == "" || !acc.Catalog.HasRole(role) {
			return false, roster.Invalid("role", "There is no role %q in this account.", roster.Truncate(role, 80))
		}
		req.Action, req.NewRole = policy.ActionChangeRole, role
		if err := a.decideWithOwners(tx, acc, req); err != nil {
			return false, err
		}
		if t.Role == role {
			return false, nil
		}
		before := t.Role
		t.Role, t.RoleOrder = role, acc.Catalog.Order(role)
		if err := tx.UpdateMember(t); err != nil {
			return false, err
		}
		return true, audit(tx, p, accountID, roster.AuditMemberRoleChanged, t.UserID, a.clock(),
			map[string]string{"role": before}, map[string]string{"role": role})
	})
}

// SetStatus disables or enables a member. Asking for the status the member
// already has succeeds and changes nothing.
func (a *App) SetStatus(ctx context.Context, p roster.Principal, accountID, userID, status string) (*roster.Member, error) {
	var st roster.Status
	switch roster.Status(status) {
	case roster.StatusActive, roster.StatusDisabled:
		st = roster.Status(status)
	default:
		return nil, roster.Invalid("status", "status must be \"active\" or \"disabled\".")
	}
	return a.changeMember(ctx, p, accountID, userID, func(tx roster.Tx, acc *roster.Account, me, t *roster.Member, req policy.Request) (bool, error) {
		action := roster.AuditMemberEnabled
		req.Action = policy.ActionEnable
		if st == roster.StatusDisabled {
			req.Action, action = policy.ActionDisable, roster.AuditMemberDisabled
		}
		if err := a.decideWithOwners(tx, acc, req); err != nil {
			return false, err
		}
		if t.Status == st {
			return false, nil
		}
		before := t.Status
		t.Status = st
		if err := tx.UpdateMember(t); err != nil {
			return false, err
		}
		return true, audit(tx, p, accountID, action, t.UserID, a.clock(),
			map[string]string{"status": string(before)}, map[string]string{"status": string(st)})
	})
}

// SetPendingName mends the name this account shows for a pending member
// (SPEC §5: to fix a typo in an invitation), registered elsewhere or not:
// the name is the account's only (roster.Member.Shown). A blank name
// clears it, as an invitation may be sent without one.
func (a *App) SetPendingName(ctx context.Context, p roster.Principal, accountID, userID, name string) (*roster.Member, error) {
	name, err := roster.ValidateOptionalName("name", name)
	if err != nil {
		return nil, err
	}
	return a.changeMember(ctx, p, accountID, userID, func(tx roster.Tx, acc *roster.Account, me, t *roster.Member, req policy.Request) (bool, error) {
		req.Action = policy.ActionEditName
		if err := decide(acc.Catalog, req); err != nil {
			return false, err
		}
		// The name is this account's only (roster.Member.Shown): the person
		// sets their own as they join, and other accounts never see it.
		if t.Name == name {
			return false, nil
		}
		if err := tx.SetMemberName(accountID, t.UserID, name); err != nil {
			return false, err
		}
		return true, audit(tx, p, accountID, roster.AuditMemberNameChanged, t.UserID, a.clock(),
			map[string]string{"name": t.Name}, map[string]string{"name": name})
	})
}

// changeMember runs a change to one member in the account's transaction.
// change returns whether it changed anything.
func (a *App) changeMember(ctx context.Context, p roster.Principal, accountID, userID string,
	change func(tx roster.Tx, acc *roster.Account, me, t *roster.Member, req policy.Request) (bool, error)) (*roster.Member, error) {
	var out *roster.Member
	err := a.inAccount(ctx, p, accountID, func(tx roster.Tx, acc *roster.Account, me *roster.Member) error {
		t, err := target(tx, accountID, userID)
		if err != nil {
			return err
		}
		tp := t.Policy()
		req := policy.Request{Actor: me.Policy(), Target: &tp, Self: t.UserID == me.UserID, ViaToken: p.ViaToken()}
		changed, err := change(tx, acc, me, t, req)
		if err != nil {
			return err
		}
		if changed {
			t, err = tx.Member(accountID, userID)
		}
		out = t
		return err
	})
	return out, err
}

// decideWithOwners asks the policy with the number of Active owners counted
// inside the transaction.
func (a *App) decideWithOwners(tx roster.Tx, acc *roster.Account, req policy.Request) error {
	n, err := activeOwners(tx, acc)
	if err != nil {
		return err
	}
	req.ActiveOwners = n
	return decide(acc.Catalog, req)
}

// Remove removes a member, revokes a pending invitation or, on oneself,
// leaves the account. Nothing the member created is deleted.
func (a *App) Remove(ctx context.Context, p roster.Principal, accountID, userID string) error {
	return a.inAccount(ctx, p, accountID, func(tx roster.Tx, acc *roster.Account, me *roster.Member) error {
		t, err := target(tx, accountID, userID)
		if err != nil {
			return err
		}
		tp := t.Policy()
		self := t.UserID == me.UserID
		if err := a.decideWithOwners(tx, acc, policy.Request{
			Action: policy.ActionRemove, Actor: me.Policy(), Target: &tp, Self: self, ViaToken: p.ViaToken(),
		}); err != nil {
			return err
		}
		action := roster.AuditMemberRemoved
		switch {
		case self:
			action = roster.AuditMemberLeft
		case t.Status == roster.StatusPending:
			action = roster.AuditInvitationRevoked
		}
		// The member's API tokens of this account go with the membership
		// (DeleteMember): the log names them, as it does their profile roles.
		tokens, err := tx.APITokens(userID)
		if err != nil {
			return err
		}
		var names []string
		for _, k := range tokens {
			if k.AccountID == accountID {
				names = append(names, k.Name)
			}
		}
		if err := tx.DeleteMember(accountID, userID); err != nil {
			return err
		}
		before := map[string]string{"role": t.Role, "status": string(t.Status)}
		if len(t.ProfileRoles) > 0 {
			before["profile_roles"] = profileRolesText(t.ProfileRoles) // removed with the membership
		}
		if len(names) > 0 {
			slices.Sort(names)
			before["api_tokens"] = strings.Join(names, ", ")
		}
		return audit(tx, p, accountID, action, userID, a.clock(), before, nil)
	})
}

// profileRolesText writes a member's profile roles for the audit log:
// "eu-prod: SRE, us-prod: DevOps", by profile.
func profileRolesText(roles map[string]string) string {
	out := make([]string, 0, len(roles))
	for _, profile := range slices.Sorted(maps.Keys(roles)) {
		out = append(out, profile+": "+roles[profile])
	}
	return strings.Join(out, ", ")
}

// TransferOwnership makes another Active member the owner; in the same
// transaction the caller takes the catalog's fallback role (SPEC §3 rule 5).
// The caller re-enters their password; API tokens cannot do this.
func (a *App) TransferOwnership(ctx context.Context, p roster.Principal, accountID, userID, pass string) (*roster.Member, error) {
	// The password is checked before the account's lock is taken: a hash
	// takes tens of milliseconds.
	passwordOK, checked := false, ""
	if !p.ViaToken() {
		var u *roster.User
		err := a.store.Read(ctx, func(tx roster.Tx) error {
			var err error
			u, err = tx.User(p.UserID)
			return err
		})
		if err != nil && roster.ErrorCode(err) != roster.CodeNotFound {
			return nil, err
		}
		if u != nil {
			if passwordOK, err = a.hasher.Verify(ctx, pass, u.PasswordHash); err != nil {
				return nil, err
			}
			checked = u.PasswordHash
		}
	}
	var out *roster.Member
	err := a.inAccount(ctx, p, accountID, func(tx roster.Tx, acc *roster.Account, me *roster.Member) error {
		if passwordOK {
			// The password checked must still be the owner's: a change or
			// reset since (which ends this session too) wins.
			if u, err := tx.User(p.UserID); err != nil {
				return err
			} else if u.PasswordHash != checked {
				return errChangedMeanwhile()
			}
		}
		t, err := tx.Member(accountID, userID)
		if roster.ErrorCode(err) == roster.CodeNotFound {
			// Rule 1 first: someone who may not transfer learns nothing more.
			if err := decide(acc.Catalog, policy.Request{Action: policy.ActionTransferOwnership, Actor: me.Policy(),
				Target: &policy.Member{Role: me.Role, Status: roster.StatusActive}, ViaToken: p.ViaToken(), PasswordOK: passwordOK}); err != nil &&
				roster.ErrorCode(err) == roster.CodeForbidden {
				return err
			}
			return roster.Errorf(roster.CodeNotFound, "That person is not a member of this account.")
		} else if err != nil {
			return err
		}
		tp := t.Policy()
		if err := a.decideWithOwners(tx, acc, policy.Request{
			Action: policy.ActionTransferOwnership, Actor: me.Policy(), Target: &tp, Self: t.UserID == me.UserID,
			ViaToken: p.ViaToken(), PasswordOK: passwordOK,
		}); err != nil {
			return err
		}
		now := a.clock()
		before := t.Role
		t.Role, t.RoleOrder = acc.Catalog.Owner, acc.Catalog.Order(acc.Catalog.Owner)
		if err := tx.UpdateMember(t); err != nil {
			return err
		}
		me.Role, me.RoleOrder = acc.Catalog.Fallback, acc.Catalog.Order(acc.Catalog.Fallback)
		if err := tx.UpdateMember(me); err != nil {
			return err
		}
		// Both role changes, each under the name of whose it is.
		if err := audit(tx, p, accountID, roster.AuditOwnershipTransferred, t.UserID, now,
			map[string]string{"owner": me.UserID, "new_owner_role": before, "previous_owner_role": acc.Catalog.Owner},
			map[string]string{"owner": t.UserID, "new_owner_role": t.Role, "previous_owner_role": me.Role}); err != nil {
			return err
		}
		u, err := tx.User(t.UserID)
		if err != nil {
			return err
		}
		if err := tx.EnqueueMessage(&roster.Message{
			Kind: roster.MessageOwnerNotice, To: u.Email, AccountID: accountID, UserID: u.ID,
			Data:          map[string]string{"name": u.Name, "account_name": acc.Name, "role": acc.Catalog.Owner},
			NextAttemptAt: now, CreatedAt: now,
		}); err != nil {
			return err
		}
		out, err = tx.Member(accountID, userID)
		return err
	})
	return out, err
}
