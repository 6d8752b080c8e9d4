package policy

import (
	"testing"
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
