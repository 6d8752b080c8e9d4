package roster

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// MemberCursor is a keyset position in the member list: the sort key of the
// last member of a page, or with Back, of the first member of the page
// after the one it names. Clients see it only as an opaque string.
type MemberCursor struct {
	Sort MemberSort `json:"s"`
	Desc bool       `json:"d,omitempty"`
	// Back makes the cursor name the page that ends just before its
	// position: the list read the other way from it, turned round.
	Back bool `json:"b,omitempty"`
	// Key is the value of the sort column of the last row: the lowercase
	// name or email, the role order, the status, or the last login in unix
	// microseconds (0 for never). The name key breaks ties for role, status
	// and last login; UserID breaks every remaining tie.
	Key     string `json:"k,omitempty"`
	Num     int64  `json:"n,omitempty"`
	NameKey string `json:"m,omitempty"`
	UserID  string `json:"u"`
}

// NewMemberCursor returns the cursor that continues after m in the given order.
func NewMemberCursor(m *Member, sort MemberSort, desc bool) *MemberCursor {
	c := &MemberCursor{Sort: sort, Desc: desc, UserID: m.UserID, NameKey: NameKey(m.Name)}
	switch sort {
	case SortName:
		c.Key = NameKey(m.Name)
		c.NameKey = ""
	case SortEmail:
		c.Key = EmailKey(m.Email)
		c.NameKey = ""
	case SortRole:
		c.Num = int64(m.RoleOrder)
	case SortStatus:
		c.Key = string(m.Status)
	case SortLastLogin:
		if m.LastLoginAt != nil {
			c.Num = m.LastLoginAt.UnixMicro()
		}
	}
	return c
}

// NewMemberCursorBefore returns the cursor of the page that ends just
// before m in the given order.
func NewMemberCursorBefore(m *Member, sort MemberSort, desc bool) *MemberCursor {
	c := NewMemberCursor(m, sort, desc)
	c.Back = true
	return c
}

// NameKey is the form under which names sort.
func NameKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// Encode returns the cursor as an opaque URL-safe string.
func (c *MemberCursor) Encode() string {
	b, _ := json.Marshal(c) // a struct of strings and numbers always marshals
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeMemberCursor reads a cursor given by a client for a list in the given
// order. It returns invalid_input for anything it did not issue for that order.
func DecodeMemberCursor(s string, sort MemberSort, desc bool) (*MemberCursor, error) {
	bad := Invalid("cursor", "The cursor is not valid for this list; start again from the first page.")
	if len(s) > 2048 {
		return nil, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	var c MemberCursor
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, bad
	}
	if c.Sort != sort || c.Desc != desc || c.UserID == "" || !c.numInRange() {
		return nil, bad
	}
	return &c, nil
}

// Bounds of the cursor's number that NewMemberCursor can issue (the login
// bounds exported so that the stores' tests can try them): a role
// order is a catalog's index (a 32-bit integer column), a last login a
// time between the years 1 and 9999 in unix microseconds. A number
// outside them is forged, and would fail in the database as a value out
// of range.
const (
	maxRoleOrder         = 1<<31 - 1
	MinCursorLoginMicros = -62135596800000000 // 0001-01-01T00:00:00Z
	MaxCursorLoginMicros = 253402300799999999 // 9999-12-31T23:59:59.999999Z
)

func (c *MemberCursor) numInRange() bool {
	switch c.Sort {
	case SortRole:
		return c.Num >= 0 && c.Num <= maxRoleOrder
	case SortLastLogin:
		return c.Num >= MinCursorLoginMicros && c.Num <= MaxCursorLoginMicros
	}
	return c.Num == 0
}

// AuditCursor is a position in the audit log, newest first.
type AuditCursor struct {
	BeforeID int64
}

// Encode returns the cursor as an opaque string.
func (c AuditCursor) Encode() string {
	b, _ := json.Marshal(struct {
		B int64 `json:"b"`
	}{c.BeforeID})
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeAuditCursor reads an audit cursor given by a client.
func DecodeAuditCursor(s string) (AuditCursor, error) {
	bad := Invalid("cursor", "The cursor is not valid for the audit log; start again from the first page.")
	if len(s) > 256 {
		return AuditCursor{}, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return AuditCursor{}, bad
	}
	var v struct {
		B int64 `json:"b"`
	}
	if err := json.Unmarshal(b, &v); err != nil || v.B <= 0 {
		return AuditCursor{}, bad
	}
	return AuditCursor{BeforeID: v.B}, nil
}
