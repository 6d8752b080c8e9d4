package policy

import "sort"

// Permissions the policy itself reads. A catalog may hold any others (the
// product permissions such as templates.manage); these are the ones that gate
// Roster's own actions (SPEC §3).
const (
	PermMembersRead       = "members.read"
	PermMembersInvite     = "members.invite"
	PermMembersEdit       = "members.edit"
	PermMembersDisable    = "members.disable"
	PermMembersRemove     = "members.remove"
	PermAuditRead         = "audit.read"
	PermOwnershipTransfer = "ownership.transfer"
)

// Role is one role of a catalog. A higher Rank is a more powerful role.
type Role struct {
	Name        string
	Description string
	Rank        int
	// Permissions in the order the catalog file writes them.
	Permissions []string

	perms permSet // compiled from Permissions against the catalog's index
	// Reasons given by the check, made once so that checking never allocates.
	grantedReason, grantedProfileReason string
}

// Catalog is the set of roles an account uses. It is immutable once built:
// share it freely between goroutines.
type Catalog struct {
	// Name is the built-in name ("bizmetry", "bigeye") or the name the file gives.
	Name string
	// Roles in the order the catalog file writes them (most powerful first by convention).
	Roles []Role
	// Owner is the owner role: the one role, of the highest rank, that holds ownership.transfer.
	Owner string
	// Fallback is the role an owner takes after transferring ownership.
	Fallback string
	// DefaultRole is the role of an invitation that names none; "" means a role is required.
	DefaultRole string

	byName      map[string]int // role name → index in Roles
	index       map[string]int // permission → bit
	accountWide permSet        // members.* and ownership.*: never from a profile role
}

// Role returns the role with exactly this name.
func (c *Catalog) Role(name string) (Role, bool) {
	i, ok := c.byName[name]
	if !ok {
		return Role{}, false
	}
	return c.Roles[i], true
}

// Order returns the position of the named role in Roles, which a member
// carries to sort the list by role and which the stores filter a role by;
// len(Roles), a position no role has, for a name the catalog lacks.
func (c *Catalog) Order(name string) int {
	if i, ok := c.byName[name]; ok {
		return i
	}
	return len(c.Roles)
}

// HasRole reports whether the catalog has a role of exactly this name.
func (c *Catalog) HasRole(name string) bool {
	_, ok := c.byName[name]
	return ok
}

// Grants reports whether the named role grants the permission. An unknown
// role or permission grants nothing.
func (c *Catalog) Grants(role, permission string) bool {
	i, ok := c.byName[role]
	if !ok {
		return false
	}
	bit, ok := c.index[permission]
	if !ok {
		return false
	}
	return c.Roles[i].perms.has(bit)
}

// KnownPermission reports whether any role of the catalog holds the permission.
// The check API answers invalid_input for one it does not know.
func (c *Catalog) KnownPermission(permission string) bool {
	_, ok := c.index[permission]
	return ok
}

// AllPermissions returns every permission some role holds, sorted.
func (c *Catalog) AllPermissions() []string {
	out := make([]string, 0, len(c.index))
	for p := range c.index {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// compile builds the lookup tables. It is called once the roles are valid.
func (c *Catalog) compile() {
	c.byName = make(map[string]int, len(c.Roles))
	c.index = make(map[string]int)
	for i, r := range c.Roles {
		c.byName[r.Name] = i
		for _, p := range r.Permissions {
			if _, ok := c.index[p]; !ok {
				c.index[p] = len(c.index)
			}
		}
	}
	for i := range c.Roles {
		set := newPermSet(len(c.index))
		for _, p := range c.Roles[i].Permissions {
			set.add(c.index[p])
		}
		c.Roles[i].perms = set
		c.Roles[i].grantedReason = "Granted by the role " + c.Roles[i].Name + "."
		c.Roles[i].grantedProfileReason = "Granted by the profile role " + c.Roles[i].Name + "."
	}
	c.accountWide = newPermSet(len(c.index))
	for p, bit := range c.index {
		if accountWide(p) {
			c.accountWide.add(bit)
		}
	}
}

// permSet is a bitset over a catalog's permission index.
type permSet []uint64

func newPermSet(n int) permSet { return make(permSet, (n+63)/64) }

func (s permSet) add(bit int) { s[bit/64] |= 1 << (bit % 64) }

// has reports whether the set holds bit; never -1, Catalog.bit's answer
// for a permission no role holds.
func (s permSet) has(bit int) bool {
	if bit < 0 {
		return false
	}
	w := bit / 64
	return w < len(s) && s[w]&(1<<(bit%64)) != 0
}
