package app

import (
	"context"
	"slices"
	"sync"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/policy"
)

// The check path answers from memory. Every account has a version number
// that the store increases in the same transaction as any change to a
// member's role or status, to who is a member, or to a profile or profile
// role of the account. A request reads the version once (with its API
// token, in the same statement) and uses what is cached for that version;
// anything cached for an older version is dropped. So a change made through
// this instance or any other applies on the very next request, and the
// cache needs no other invalidation.
//
// The order matters: the version is read before the data it vouches for.
// Data loaded after reading version v may be newer than v, which is safe
// (the next request sees a higher version and reloads); data loaded before
// could be older, and is never cached under v.

// maxCachedMembers bounds one account's cache of members; past it the
// cache starts again empty rather than grow without end. A million members
// take about 115 MB with their ids when they hold no profile roles or share
// them, as most do, and up to about 335 MB when each holds a set of its own
// (BenchmarkCacheMemory). Users found not to
// be members are kept apart, in a smaller cache with a bound of its own,
// maxCachedMisses: a caller asking about made-up user ids can only churn
// that one, never push the members out.
const (
	maxCachedMembers = 1_000_000
	maxCachedMisses  = 10_000
)

type accessCache struct {
	// accounts maps an account id to its *accountAccess. A sync.Map: it is
	// read on every check and written only when an account's version moves.
	accounts sync.Map
}

func newAccessCache() *accessCache { return &accessCache{} }

// accountAccess is what is known of one account at one version.
type accountAccess struct {
	id      string
	version int64
	catalog *policy.Catalog

	mu       sync.RWMutex
	members  map[string]policy.Subject // user id → member, held by value: one memory access fewer
	misses   map[string]struct{}       // user ids that are not members
	profiles map[string]bool           // nil until loaded
}

// memberAccess is a cached member; found is false for a user known not to
// be a member.
type memberAccess struct {
	found   bool
	subject policy.Subject
}

// account returns the cache of the account at version, replacing one of an
// older version. load is called for the catalog of an account not cached.
func (c *accessCache) account(id string, version int64, load func() (*policy.Catalog, error)) (*accountAccess, error) {
	var acct *accountAccess
	if v, ok := c.accounts.Load(id); ok {
		acct = v.(*accountAccess)
	}
	if acct != nil && acct.version >= version {
		return acct, nil // a newer version than the one read is newer still
	}
	var catalog *policy.Catalog
	if acct != nil {
		catalog = acct.catalog // a catalog never changes
	} else {
		var err error
		if catalog, err = load(); err != nil {
			return nil, err
		}
	}
	fresh := &accountAccess{id: id, version: version, catalog: catalog,
		members: make(map[string]policy.Subject), misses: make(map[string]struct{})}
	for {
		cur, loaded := c.accounts.LoadOrStore(id, fresh)
		if !loaded {
			return fresh, nil
		}
		if old := cur.(*accountAccess); old.version >= version {
			return old, nil // another request got there first, or saw a newer version
		}
		if c.accounts.CompareAndSwap(id, cur, fresh) {
			return fresh, nil
		}
	}
}

// member returns the cached member, loading it on a miss; found is false
// when the user is not a member.
func (a *accountAccess) member(userID string, load func() (*roster.Member, error)) (memberAccess, error) {
	a.mu.RLock()
	s, found := a.members[userID]
	missed := false
	if !found {
		_, missed = a.misses[userID]
	}
	a.mu.RUnlock()
	if found || missed {
		return memberAccess{found: found, subject: s}, nil
	}
	loaded, err := load()
	switch roster.ErrorCode(err) {
	case "":
	case roster.CodeNotFound:
		loaded = nil
	default:
		return memberAccess{}, err
	}
	m := a.access(loaded)
	a.mu.Lock()
	a.put(userID, m)
	a.mu.Unlock()
	return m, nil
}

// preload caches at once those of users not cached yet, so that a batch of
// checks about many of them costs one read, not one each. load returns the
// members among the users it is given, by user id.
func (a *accountAccess) preload(users []string, load func([]string) (map[string]*roster.Member, error)) error {
	var missing []string
	a.mu.RLock()
	for _, u := range users {
		if _, ok := a.members[u]; ok {
			continue
		}
		if _, ok := a.misses[u]; !ok {
			missing = append(missing, u)
		}
	}
	a.mu.RUnlock()
	slices.Sort(missing)
	if missing = slices.Compact(missing); len(missing) < 2 {
		return nil // one is loaded as it is asked about
	}
	loaded, err := load(missing)
	if err != nil {
		return err
	}
	access := make([]memberAccess, len(missing))
	for i, u := range missing {
		access[i] = a.access(loaded[u]) // by the ids asked about only
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, u := range missing {
		a.put(u, access[i])
	}
	return nil
}

// access resolves a member for the cache; nil is a user who is not one.
func (a *accountAccess) access(m *roster.Member) memberAccess {
	if m == nil {
		return memberAccess{}
	}
	return memberAccess{found: true, subject: a.catalog.Subject(m.Policy(), m.ProfileRoles)}
}

// put caches what access resolved for the user. a.mu must be held for
// writing.
func (a *accountAccess) put(userID string, m memberAccess) {
	if !m.found {
		if len(a.misses) >= maxCachedMisses {
			clear(a.misses)
		}
		a.misses[userID] = struct{}{}
		return
	}
	if len(a.members) >= maxCachedMembers {
		clear(a.members)
	}
	a.members[userID] = m.subject
}

// hasProfile reports whether the profile exists, loading the account's
// profiles on first use.
func (a *accountAccess) hasProfile(name string, load func() ([]roster.Profile, error)) (bool, error) {
	a.mu.RLock()
	ps := a.profiles
	a.mu.RUnlock()
	if ps == nil {
		list, err := load()
		if err != nil {
			return false, err
		}
		ps = make(map[string]bool, len(list))
		for _, p := range list {
			ps[p.Name] = true
		}
		a.mu.Lock()
		a.profiles = ps
		a.mu.Unlock()
	}
	return ps[name], nil
}

// accountVersion reads the account's version; not_found for no account.
func (a *App) accountVersion(ctx context.Context, accountID string) (int64, error) {
	v, err := a.store.AccountVersion(ctx, accountID)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return 0, errNoAccount()
	}
	return v, err
}

// cachedAccount returns the account's cache at its current version, reading
// the version unless the principal's authentication already did.
func (a *App) cachedAccount(ctx context.Context, p roster.Principal, accountID string) (*accountAccess, error) {
	v := p.AccountVersion
	if v == 0 || p.TokenAccount != accountID {
		var err error
		if v, err = a.accountVersion(ctx, accountID); err != nil {
			return nil, err
		}
	}
	return a.access.account(accountID, v, func() (*policy.Catalog, error) {
		var c *policy.Catalog
		err := a.store.Read(ctx, func(tx roster.Tx) error {
			acc, err := tx.Account(accountID)
			if err == nil {
				c = acc.Catalog
			}
			return err
		})
		return c, err
	})
}

// cachedActor returns the account's cache and the principal as a member
// of it, and whether the policy admits them there (an Active member): the
// asker of a check, the user of an API token.
func (a *App) cachedActor(ctx context.Context, p roster.Principal, accountID string) (*accountAccess, policy.Member, bool, error) {
	acct, err := a.cachedAccount(ctx, p, accountID)
	if err != nil {
		return nil, policy.Member{}, false, err
	}
	me, err := a.cachedMember(ctx, acct, p.UserID)
	if err != nil {
		return nil, policy.Member{}, false, err
	}
	if !me.found {
		return acct, policy.Member{}, false, nil
	}
	actor := acct.catalog.SubjectMember(&me.subject)
	return acct, actor, policy.Admits(&actor), nil
}

// cachedMember is accountAccess.member loading from the store.
func (a *App) cachedMember(ctx context.Context, acct *accountAccess, userID string) (memberAccess, error) {
	return acct.member(userID, func() (*roster.Member, error) {
		var m *roster.Member
		err := a.store.Read(ctx, func(tx roster.Tx) error {
			var err error
			m, err = tx.Member(acct.id, userID)
			return err
		})
		return m, err
	})
}

// preloadMembers caches at once those of users the account's cache lacks
// (see accountAccess.preload).
func (a *App) preloadMembers(ctx context.Context, acct *accountAccess, users []string) error {
	return acct.preload(users, func(missing []string) (map[string]*roster.Member, error) {
		var out map[string]*roster.Member
		err := a.store.Read(ctx, func(tx roster.Tx) error {
			var err error
			out, err = tx.MembersByUser(acct.id, missing)
			return err
		})
		return out, err
	})
}
