package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/policy"
)

// T0 is the time the fixtures are created at. It has microsecond precision,
// the precision stores keep, so values read back compare equal.
var T0 = time.Date(2026, time.March, 1, 9, 30, 0, 123456000, time.UTC)

// NewID returns a random id with a readable prefix, so that fixtures never
// collide even in a store that other tests share.
func NewID(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b) // never fails (crypto/rand documents it)
	return prefix + "-" + hex.EncodeToString(b)
}

// Write runs fn in s.Write and fails the test on an error.
func Write(t testing.TB, s roster.Store, account string, fn func(roster.Tx) error) {
	t.Helper()
	if err := s.Write(context.Background(), account, fn); err != nil {
		t.Fatalf("Write(%q): %v", account, err)
	}
}

// Read runs fn in s.Read and fails the test on an error.
func Read(t testing.TB, s roster.Store, fn func(roster.Tx) error) {
	t.Helper()
	if err := s.Read(context.Background(), fn); err != nil {
		t.Fatalf("Read: %v", err)
	}
}

// Catalog returns a built-in catalog ("bizmetry", "bigeye").
func Catalog(t testing.TB, name string) *policy.Catalog {
	t.Helper()
	c, err := policy.Builtin(name)
	if err != nil {
		t.Fatalf("policy.Builtin(%q): %v", name, err)
	}
	return c
}

// roleOrder returns the RoleOrder of a filter by role: its position in the
// catalog, or one no role has for a name the catalog lacks.
func roleOrder(c *policy.Catalog, role string) int { return c.Order(role) }

// RoleOrder returns the position of role in the catalog, as
// roster.Member.RoleOrder holds it.
func RoleOrder(t testing.TB, c *policy.Catalog, role string) int {
	t.Helper()
	if !c.HasRole(role) {
		t.Fatalf("catalog %s has no role %q", c.Name, role)
	}
	return c.Order(role)
}

// NewAccount stores an account named name with a built-in catalog.
func NewAccount(t testing.TB, s roster.Store, name, catalog string) *roster.Account {
	t.Helper()
	a := &roster.Account{
		ID:        NewID("acct"),
		Name:      name,
		Catalog:   Catalog(t, catalog),
		InviteTTL: roster.DefaultInviteTTL,
		CreatedAt: T0,
	}
	Write(t, s, "", func(tx roster.Tx) error { return tx.CreateAccount(a) })
	return a
}

// NewUser stores a user with no password. An empty email gets a unique one.
func NewUser(t testing.TB, s roster.Store, name, email string) *roster.User {
	t.Helper()
	id := NewID("user")
	if email == "" {
		email = id + "@example.test"
	}
	u := &roster.User{ID: id, Email: email, Name: name, CreatedAt: T0}
	Write(t, s, "", func(tx roster.Tx) error { return tx.CreateUser(u) })
	return u
}

// NewMember stores u's membership of a with the given role and status, and
// returns it as Member reads it back. A pending member was invited at T0; any
// other joined at T0.
func NewMember(t testing.TB, s roster.Store, a *roster.Account, u *roster.User, role string, status roster.Status) *roster.Member {
	t.Helper()
	at := T0
	m := &roster.Member{
		AccountID: a.ID,
		UserID:    u.ID,
		Name:      u.Name, // what a pending member shows, as an inviter who gave it
		Role:      role,
		RoleOrder: RoleOrder(t, a.Catalog, role),
		Status:    status,
		InvitedAt: &at,
	}
	if status != roster.StatusPending {
		m.JoinedAt = &at
	}
	Write(t, s, a.ID, func(tx roster.Tx) error { return tx.CreateMember(m) })
	var got *roster.Member
	Read(t, s, func(tx roster.Tx) error {
		var err error
		got, err = tx.Member(a.ID, u.ID)
		return err
	})
	return got
}

// NewUserMember stores a new user and makes it a member of a.
func NewUserMember(t testing.TB, s roster.Store, a *roster.Account, name, role string, status roster.Status) *roster.Member {
	t.Helper()
	return NewMember(t, s, a, NewUser(t, s, name, ""), role, status)
}

// wantCode fails the test unless err carries the error code want ("" for
// no error).
func wantCode(t testing.TB, what string, err error, want string) {
	t.Helper()
	if got := roster.ErrorCode(err); got != want {
		t.Errorf("%s: error code %q (%v), want %q", what, got, err, want)
	}
}

// errSentinel is returned by transaction functions to force a rollback.
var errSentinel = errors.New("storetest: rollback on purpose")

// ptr returns a pointer to a copy of v.
func ptr[T any](v T) *T { return &v }

// wantWriteCode runs fn alone in a Write on account and checks the code of
// the error it ends with. Each expected failure gets its own transaction:
// some databases (PostgreSQL) refuse every statement after a failed one.
func wantWriteCode(t testing.TB, s roster.Store, account, what, want string, fn func(roster.Tx) error) {
	t.Helper()
	wantCode(t, what, s.Write(context.Background(), account, fn), want)
}
