package httpserver

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/rosterhq/roster"
)

// Limits guard the endpoints that take a secret: sign-in, password reset,
// a link's acceptance, a password change and an ownership transfer. Each
// attempt takes one from three buckets:
//
//   - its client address's (an IPv6 address by its /64, which one
//     subscriber holds whole): perAddr, and one more each second;
//   - its key's from that address (the email signed in as, the link's
//     token…): perKey, and one more every 30 seconds. A person gets a few
//     typos; a script guessing one password from one address, two a minute;
//   - its key's from anywhere: keyWide times perKey, and keyWide times as
//     fast. Guessing one password from many addresses is bounded too.
//
// The key's bucket from anywhere is wider than its bucket from one address
// so that no one address can spend it: whoever knows an email could
// otherwise keep its owner from signing in or resetting the password
// with two guesses a minute (DECISIONS 63).
type Limits struct {
	addr, keyAddr, key *Limiter
}

// keyWide is how many addresses' worth of attempts a key has in all.
const keyWide = 5

// NewLimits returns the limits with buckets in store, shared by every
// instance, or in this process when store is nil (one instance, tests).
// now is the clock, time.Now when nil.
func NewLimits(perAddr, perKey int, store roster.Store, now func() time.Time) *Limits {
	mk := func(burst int, per time.Duration) *Limiter {
		if store == nil {
			return NewLimiter(burst, per, now)
		}
		return NewSharedLimiter(store, burst, per, now)
	}
	return &Limits{
		addr:    mk(perAddr, time.Second),
		keyAddr: mk(perKey, 30*time.Second),
		key:     mk(keyWide*perKey, 30*time.Second/keyWide),
	}
}

// Take takes an attempt for key (none but the address's when key is "")
// and, when a bucket is empty, answers 429 with Retry-After and returns
// the error that says so.
func (l *Limits) Take(w http.ResponseWriter, r *http.Request, key string) error {
	addr := limitAddr(ClientIP(r))
	buckets := []struct {
		l   *Limiter
		key string
	}{{l.addr, "addr\x00" + addr}, {l.keyAddr, keyFrom(key, addr)}, {l.key, keyAll(key)}}
	if key == "" {
		buckets = buckets[:1]
	}
	for _, b := range buckets {
		ok, wait, err := b.l.Allow(r.Context(), b.key)
		if err != nil {
			return err
		}
		if !ok {
			return RateLimited(w, wait)
		}
	}
	return nil
}

// Forgive forgets key's failures, from this address and from anywhere,
// after a success (a sign-in), so that the real owner of an account is not
// kept waiting by the failures that came before.
func (l *Limits) Forgive(ctx context.Context, r *http.Request, key string) error {
	if err := l.keyAddr.Reset(ctx, keyFrom(key, limitAddr(ClientIP(r)))); err != nil {
		return err
	}
	return l.key.Reset(ctx, keyAll(key))
}

// The three limiters' buckets share the store's table: each has a prefix
// of its own, so that no key a client writes (an email holding a NUL and
// an address) names another limiter's bucket, which it could refill.
func keyFrom(key, addr string) string { return "from\x00" + key + "\x00" + addr }
func keyAll(key string) string        { return "all\x00" + key }

// limitAddr is the bucket of a client address: an IPv6 address's /64, the
// least a subscriber is given, so that walking through one's own addresses
// does not give a fresh bucket each time.
func limitAddr(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// The keys of the buckets, the same in the API and the pages, so that a
// guesser gains nothing by switching between them.

// LoginKey is the key of a sign-in as email.
func LoginKey(email string) string { return "login:" + roster.EmailKey(email) }

// ResetKey is the key of a password reset asked for email.
func ResetKey(email string) string { return "reset:" + roster.EmailKey(email) }

// LinkKey is the key of a link's token (an invitation, a reset, the setup
// link), however it is padded.
func LinkKey(token string) string { return "token:" + roster.Truncate(strings.TrimSpace(token), 64) }

// PasswordKey is the key of a password change or an ownership transfer:
// guesses of the current password with a stolen session.
func PasswordKey(userID string) string { return "password:" + userID }
