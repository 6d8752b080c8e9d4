package policy

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

func TestCheckSubject(t *testing.T) {
	c, err := Builtin("bizmetry")
	if err != nil {
		t.Fatal(err)
	}
	dev := c.Subject(Member{Role: "Developer", Status: StatusActive}, map[string]string{"prod": "DevOps", "staging": "Organization Manager"})
	for _, tc := range []struct {
		s          *Subject
		perm, prof string
		code       string
	}{
		{&dev, "agents.configure", "", CheckGranted},
		{&dev, "agents.deploy", "", CheckNotGranted},
		{&dev, "agents.deploy", "prod", CheckGranted},
		{&dev, "agents.deploy", "other", CheckNotGranted},
		{&dev, "members.invite", "staging", CheckNotGranted}, // people management is account-wide
		{&dev, "templates.manage", "staging", CheckGranted},
		{&dev, "no.such", "", CheckNotGranted},
		{nil, "agents.configure", "", CheckNotMember},
	} {
		got := c.CheckSubject(tc.s, tc.perm, tc.prof)
		if got.Code != tc.code || got.Allowed != (tc.code == CheckGranted) || got.Reason == "" {
			t.Errorf("CheckSubject(%s on %q) = %+v, want %s", tc.perm, tc.prof, got, tc.code)
		}
	}
	for st, code := range map[Status]string{StatusPending: CheckPending, StatusDisabled: CheckDisabled} {
		s := c.Subject(Member{Role: "Organization Owner", Status: st}, nil)
		if got := c.CheckSubject(&s, "billing.manage", ""); got.Code != code {
			t.Errorf("%s owner: %+v, want %s", st, got, code)
		}
	}
}

func TestCheckDoesNotAllocate(t *testing.T) {
	c, _ := Builtin("bizmetry")
	s := c.Subject(Member{Role: "Developer", Status: StatusActive}, map[string]string{"prod": "DevOps"})
	for _, q := range [][2]string{{"agents.configure", ""}, {"billing.manage", ""}, {"agents.deploy", "prod"}, {"agents.deploy", "nope"}} {
		if n := testing.AllocsPerRun(1000, func() { c.CheckSubject(&s, q[0], q[1]) }); n != 0 {
			t.Errorf("CheckSubject(%v) allocates %.0f times", q, n)
		}
	}
}

// BenchmarkCheckSubject is the policy's share of a check: allow and deny,
// account-wide and on a profile.
func BenchmarkCheckSubject(b *testing.B) {
	c, _ := Builtin("bizmetry")
	s := c.Subject(Member{Role: "Developer", Status: StatusActive}, map[string]string{"prod": "DevOps"})
	for _, bc := range []struct{ name, perm, profile string }{
		{"allow", "agents.configure", ""},
		{"deny", "billing.manage", ""},
		{"profile", "agents.deploy", "prod"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.CheckSubject(&s, bc.perm, bc.profile)
			}
		})
	}
}

// TestSubjectProfiles checks that a member's profile roles, however many
// and however named, each answer for their own profile only: names that
// start one another, a name too long for a one-byte length, and a role the
// catalog lacks, which grants nothing. The answers expected are worked out
// from the catalog's roles (Grants), not from Subject, which Check is built
// on too. Each role given on a profile grants something the account role
// does not, and equal profile roles make equal subjects (one shared
// string).
func TestSubjectProfiles(t *testing.T) {
	c, err := Builtin("bizmetry")
	if err != nil {
		t.Fatal(err)
	}
	account := Member{Role: "Monitoring User", Status: StatusActive}
	long := strings.Repeat("p", 300)
	roles := map[string]string{
		"pr": "Telemetry Operator", long: "SRE", "pro": "DevOps", "prod": "Business Administrator",
		"prod-eu": "Organization Manager", "gone": "No Such Role",
	}
	s := c.Subject(account, roles)
	for _, profile := range append(slices.Collect(maps.Keys(roles)), "p", "prod-e", "other", long+"p") {
		gains := 0
		for _, perm := range c.AllPermissions() {
			want := notGranted
			role, onProfile := roles[profile]
			switch {
			case c.Grants(account.Role, perm):
				want = CheckResult{Allowed: true, Code: CheckGranted, Reason: "Granted by the role " + account.Role + "."}
			case onProfile && c.Grants(role, perm) && !accountWide(perm):
				want = CheckResult{Allowed: true, Code: CheckGranted, Reason: "Granted by the profile role " + role + "."}
				gains++
			}
			if got := c.CheckSubject(&s, perm, profile); got != want {
				t.Errorf("%s on %.12q: %+v, want %+v", perm, profile, got, want)
			}
		}
		if c.HasRole(roles[profile]) && gains == 0 {
			t.Errorf("the role on %.12q grants nothing the account role lacks: the case tests nothing", profile)
		}
	}
	if again := c.Subject(account, maps.Clone(roles)); again != s {
		t.Error("equal profile roles made unequal subjects: they do not share their encoding")
	}
}

// TestSubjectMember checks that the member a subject gives back for Decide
// has the role and status it was resolved from.
func TestSubjectMember(t *testing.T) {
	c, err := Builtin("bigeye")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range append(slices.Clone(c.Roles), Role{Name: "No Such Role"}) {
		for _, st := range []Status{StatusActive, StatusPending, StatusDisabled} {
			m := Member{Role: r.Name, Status: st}
			s := c.Subject(m, nil)
			want := m
			if _, ok := c.Role(r.Name); !ok {
				want.Role = ""
			}
			if got := c.SubjectMember(&s); got != want {
				t.Errorf("SubjectMember(Subject(%+v)) = %+v, want %+v", m, got, want)
			}
		}
	}
}

// TestSubjectIsSmall guards the size of what the check cache holds per
// member: a large account's subjects are read at random, so their size is
// the check's speed (docs/PERFORMANCE.md §1).
func TestSubjectIsSmall(t *testing.T) {
	if n := unsafe.Sizeof(Subject{}); n > 16 {
		t.Errorf("a Subject takes %d bytes, more than 16", n)
	}
}

// FuzzProfileRoles checks a subject's encoded profile roles against the
// map they were made from, for any profile names: each gives its own
// role, a role the catalog lacks gives none, and any other name none.
func FuzzProfileRoles(f *testing.F) {
	f.Add("prod", "prod-eu", "pro", uint8(1), uint8(2))
	f.Add(strings.Repeat("p", 300), "", "\x00", uint8(200), uint8(0))
	c, err := Builtin("bizmetry")
	if err != nil {
		f.Fatal(err)
	}
	roleName := func(r uint8) string {
		if int(r) < len(c.Roles) {
			return c.Roles[r].Name
		}
		return "No Such Role"
	}
	f.Fuzz(func(t *testing.T, a, b, other string, ra, rb uint8) {
		roles := map[string]string{a: roleName(ra), b: roleName(rb)}
		enc := c.encodeProfiles(roles)
		for _, p := range []string{a, b, other} {
			got, ok := profileRoleIn(enc, p)
			want, known := c.byName[roles[p]]
			if ok != known || ok && got != want {
				t.Errorf("profile %q of %v: role %d, %v; want %d, %v", p, roles, got, ok, want, known)
			}
		}
	})
}
