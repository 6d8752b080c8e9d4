package app

import (
	"fmt"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/policy"
)

// warmAccount builds an account cache holding n members, as the check path
// has it once every member asked about has been seen. Every member is a
// Developer with the DevOps role on the profile "prod", so that each case
// of benchCases answers the same for all of them. (It writes the cache
// directly: with n above maxCachedMembers, the app would start the cache
// again empty instead.)
func warmAccount(tb testing.TB, n int) (*accessCache, []string) {
	tb.Helper()
	c, err := policy.Builtin("bizmetry")
	if err != nil {
		tb.Fatal(err)
	}
	cache := newAccessCache()
	acct, err := cache.account("acc_bench", 7, func() (*policy.Catalog, error) { return c, nil })
	if err != nil {
		tb.Fatal(err)
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("usr_%016d", i)
		pm := policy.Member{Role: "Developer", Status: roster.StatusActive}
		acct.members[ids[i]] = memberAccess{found: true, member: pm, subject: c.Subject(pm, map[string]string{"prod": "DevOps"})}
	}
	return cache, ids
}

// cachedCheck is the in-process check: the account's cache at its version,
// the member, the policy. It is what every check of a request costs once
// the version is read.
func cachedCheck(cache *accessCache, user, permission, profile string) policy.CheckResult {
	acct, _ := cache.account("acc_bench", 7, nil)
	m, _ := acct.member(user, nil)
	return acct.catalog.CheckSubject(&m.subject, permission, profile)
}

// benchCases are the checks measured: allowed by the account role, denied,
// and allowed only by the profile role.
var benchCases = []struct {
	name, perm, profile string
	allowed             bool
}{
	{"allow", "agents.configure", "", true},
	{"deny", "billing.manage", "", false},
	{"profile", "agents.deploy", "prod", true},
}

func TestCachedCheckDoesNotAllocate(t *testing.T) {
	cache, ids := warmAccount(t, 1000)
	for _, q := range benchCases {
		if got := cachedCheck(cache, ids[17], q.perm, q.profile); got.Allowed != q.allowed {
			t.Errorf("cached check %s: allowed %v (%s), want %v", q.name, got.Allowed, got.Code, q.allowed)
		}
		if got := cachedCheck(cache, ids[17], q.perm, ""); q.profile != "" && got.Allowed {
			t.Errorf("cached check %s: allowed without the profile; the case would not measure the profile path", q.name)
		}
		if n := testing.AllocsPerRun(1000, func() { cachedCheck(cache, ids[17], q.perm, q.profile) }); n != 0 {
			t.Errorf("cached check %s allocates %.0f times", q.name, n)
		}
	}
}

// BenchmarkCheck measures the in-process check against accounts of growing
// size, allowed, denied and on a profile; the target is ≤ 100 ns, 0 allocs,
// flat from 1k to 1M members (≤ 200 ns on a profile). "hot" asks about a few
// members in turn, as a service checking its active users does; "scattered"
// visits a different member each time, so a large account cannot stay in
// the CPU's cache and memory latency shows (compare with the floor).
func BenchmarkCheck(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000, 1_000_000} {
		cache, ids := warmAccount(b, n)
		for _, q := range benchCases {
			for _, pattern := range []struct {
				name string
				next func(i int) int
			}{
				{"hot", func(i int) int { return (i * 7) % 64 % n }},
				{"scattered", func(i int) int { return (i * 7919) % n }},
			} {
				b.Run(fmt.Sprintf("members=%d/%s/%s", n, q.name, pattern.name), func(b *testing.B) {
					b.ReportAllocs()
					i := 0
					for b.Loop() {
						cachedCheck(cache, ids[pattern.next(i)], q.perm, q.profile)
						i++
					}
				})
			}
		}
	}
}

// BenchmarkMapLookupFloor is the floor the check is compared with: one map
// lookup of a member's permission bitset and a bit test, visiting members
// in the same "scattered" order.
func BenchmarkMapLookupFloor(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000, 1_000_000} {
		perms := make(map[string]uint64, n)
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("usr_%016d", i)
			perms[ids[i]] = uint64(i) | 1
		}
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i, hits := 0, 0
			for b.Loop() {
				if perms[ids[(i*7919)%n]]&1 != 0 {
					hits++
				}
				i++
			}
			_ = hits
		})
	}
}
