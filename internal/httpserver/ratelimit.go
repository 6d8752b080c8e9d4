package httpserver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"sync"
	"time"

	"github.com/rosterhq/roster"
)

// Limiter allows a burst of attempts per key and refills them at a steady
// rate (a token bucket per key). It guards login, password reset and
// invitation accept, per client address and per email. Shared limiters
// keep their buckets in the store, so that N instances behind a load
// balancer allow what one would, not N times as much.
type Limiter struct {
	burst int
	per   time.Duration // time to regain one attempt
	now   func() time.Time
	store roster.Store // nil: buckets live in this process

	mu     sync.Mutex
	bucket map[string]*bucket
	swept  time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewLimiter allows burst attempts per key, regaining one every per, with
// buckets in this process.
func NewLimiter(burst int, per time.Duration, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{burst: burst, per: per, now: now, bucket: make(map[string]*bucket)}
}

// NewSharedLimiter is NewLimiter with buckets in the store.
func NewSharedLimiter(store roster.Store, burst int, per time.Duration, now func() time.Time) *Limiter {
	l := NewLimiter(burst, per, now)
	l.store = store
	return l
}

// Allow takes one attempt for key. When none is left it returns false and
// how many seconds until one is.
func (l *Limiter) Allow(ctx context.Context, key string) (bool, int, error) {
	now := l.now()
	if l.store == nil {
		ok, wait := l.allowHere(key, now)
		return ok, seconds(wait), nil
	}
	var ok bool
	var wait time.Duration
	err := l.store.Write(ctx, "", func(tx roster.Tx) error {
		var err error
		ok, wait, err = tx.TakeAttempt(digest(key), l.burst, l.per, now)
		return err
	})
	return ok, seconds(wait), err
}

// Reset forgets key, e.g. after a successful login, so that the real owner
// of an account is not kept waiting by failures that came before.
func (l *Limiter) Reset(ctx context.Context, key string) error {
	if l.store == nil {
		l.mu.Lock()
		delete(l.bucket, key)
		l.mu.Unlock()
		return nil
	}
	return l.store.Write(ctx, "", func(tx roster.Tx) error { return tx.ClearAttempts(digest(key)) })
}

// digest keeps emails and addresses out of the store's bucket table.
func digest(key string) string {
	sum := sha256.Sum256([]byte("roster rate limit\x00" + key))
	return hex.EncodeToString(sum[:])
}

func seconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int(math.Ceil(d.Seconds()))
}

func (l *Limiter) allowHere(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	burst := float64(l.burst)
	b, ok := l.bucket[key]
	if !ok {
		b = &bucket{tokens: burst, at: now}
		l.bucket[key] = b
	}
	b.tokens = math.Min(burst, b.tokens+float64(now.Sub(b.at))/float64(l.per))
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(l.per))
}

// sweep drops full buckets now and then so that the map stays small.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	full := time.Duration(float64(l.burst) * float64(l.per))
	for k, b := range l.bucket {
		if now.Sub(b.at) > full {
			delete(l.bucket, k)
		}
	}
}
