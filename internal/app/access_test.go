package app

import (
	"fmt"
	"runtime"
	"testing"
	"time"

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
	// The ids are made first, in a loop of their own as the floor's are
	// (BenchmarkMapLookupFloor), so that both read the same layout of them.
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("usr_%016d", i)
	}
	for _, id := range ids {
		pm := policy.Member{Role: "Developer", Status: roster.StatusActive}
		acct.members[id] = c.Subject(pm, map[string]string{"prod": "DevOps"})
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

// TestMissesDoNotEvictMembers checks that user ids found not to be members
// are cached apart, with their own bound: asking about more made-up ids
// than that bound leaves the cached members in place.
func TestMissesDoNotEvictMembers(t *testing.T) {
	cache, ids := warmAccount(t, 3)
	acct, _ := cache.account("acc_bench", 7, nil)
	loads := 0
	notMember := func() (*roster.Member, error) {
		loads++
		return nil, roster.Errorf(roster.CodeNotFound, "No such member.")
	}
	for i := range maxCachedMisses + 10 {
		m, err := acct.member(fmt.Sprintf("usr_made_up_%d", i), notMember)
		if err != nil || m.found {
			t.Fatalf("made-up user %d: found %v, %v", i, m.found, err)
		}
	}
	if loads != maxCachedMisses+10 {
		t.Errorf("%d loads for %d made-up users", loads, maxCachedMisses+10)
	}
	// The members' map holds members only, and the misses' keeps to its
	// bound: made-up ids fill neither towards the members' cap.
	if len(acct.members) != len(ids) || len(acct.misses) > maxCachedMisses {
		t.Errorf("after %d made-up users: %d entries cached as members (want %d), %d misses (at most %d)",
			maxCachedMisses+10, len(acct.members), len(ids), len(acct.misses), maxCachedMisses)
	}
	if _, err := acct.member("usr_made_up_9999999", notMember); err != nil {
		t.Fatal(err)
	}
	if _, err := acct.member("usr_made_up_9999999", notMember); err != nil || loads != maxCachedMisses+11 {
		t.Errorf("a miss asked twice was loaded %d times in all, want %d; %v", loads, maxCachedMisses+11, err)
	}
	for _, id := range ids {
		m, err := acct.member(id, func() (*roster.Member, error) {
			t.Fatalf("member %s was loaded again: the misses pushed it out of the cache", id)
			return nil, nil
		})
		if err != nil || !m.found {
			t.Errorf("member %s: found %v, %v", id, m.found, err)
		}
	}
}

// Of the requests that find a token's last use a minute old, one records
// it: the others, until a minute has passed, do not.
func TestTokenUseClaimedOncePerMinute(t *testing.T) {
	var u tokenUses
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		id   string
		at   time.Time
		want bool
	}{
		{"tok_a", t0, true},
		{"tok_a", t0, false},
		{"tok_b", t0, true},
		{"tok_a", t0.Add(touchEvery - time.Second), false},
		{"tok_a", t0.Add(touchEvery), true},
		{"tok_b", t0.Add(touchEvery / 2), false},
	} {
		if got := u.claim(c.id, c.at); got != c.want {
			t.Errorf("claim(%s, t0+%v) = %v, want %v", c.id, c.at.Sub(t0), got, c.want)
		}
	}
	// Full, it starts again: a token claimed before may be claimed again,
	// which costs one more write, never a missed one.
	for i := range maxTokenUses {
		u.claim(fmt.Sprint("tok_", i), t0)
	}
	if !u.claim("tok_new", t0) || len(u.last) > maxTokenUses {
		t.Errorf("a full tokenUses refused a new token or grew past %d (%d)", maxTokenUses, len(u.last))
	}
}

// BenchmarkCacheMemory reports what the check cache holds per member
// (B/member: heap after a collection, the user ids aside), for members
// without profile roles, members who share theirs, and members who each
// hold roles on a profile of their own:
//
//	go test -run '^$' -bench CacheMemory -benchtime 1x ./internal/app/
func BenchmarkCacheMemory(b *testing.B) {
	c, err := policy.Builtin("bizmetry")
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{100_000, 500_000, 1_000_000} {
		for _, profiles := range []string{"none", "shared", "distinct"} {
			b.Run(fmt.Sprintf("members=%d/profiles=%s", n, profiles), func(b *testing.B) {
				members := make([]*roster.Member, n)
				for i := range members {
					members[i] = &roster.Member{UserID: fmt.Sprintf("usr_%025d", i), Role: "Developer", Status: roster.StatusActive}
					switch profiles {
					case "shared":
						members[i].ProfileRoles = map[string]string{"prod": "DevOps"}
					case "distinct":
						members[i].ProfileRoles = map[string]string{fmt.Sprintf("p%d", i): "DevOps"}
					}
				}
				var perMember float64
				for b.Loop() {
					var before, after runtime.MemStats
					runtime.GC()
					runtime.ReadMemStats(&before)
					acct, _ := newAccessCache().account("acc_bench", 1, func() (*policy.Catalog, error) { return c, nil })
					for _, m := range members {
						acct.put(m.UserID, acct.access(m))
					}
					runtime.GC()
					runtime.ReadMemStats(&after)
					if len(acct.members) != n {
						b.Fatalf("%d members cached, want %d", len(acct.members), n)
					}
					if perMember == 0 {
						// The first fill only: later ones find profile roles
						// still interned (unique) from the one before.
						perMember = float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
					}
				}
				b.ReportMetric(perMember, "B/member")
			})
		}
	}
}
