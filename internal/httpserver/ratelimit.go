package httpserver

import (
	"math"
	"sync"
	"time"
)

// Limiter allows a burst of attempts per key and refills them at a steady
// rate (a token bucket per key). It guards login, password reset and
// invitation accept, per client address and per email.
type Limiter struct {
	burst  float64
	per    time.Duration // time to regain one attempt
	now    func() time.Time
	mu     sync.Mutex
	bucket map[string]*bucket
	swept  time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewLimiter allows burst attempts per key, regaining one every per.
func NewLimiter(burst int, per time.Duration, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{burst: float64(burst), per: per, now: now, bucket: make(map[string]*bucket)}
}

// Allow takes one attempt for key. When none is left it returns false and
// how many seconds until one is.
func (l *Limiter) Allow(key string) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)
	b, ok := l.bucket[key]
	if !ok {
		b = &bucket{tokens: l.burst, at: now}
		l.bucket[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+float64(now.Sub(b.at))/float64(l.per))
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) * float64(l.per))
	return false, int(math.Ceil(wait.Seconds()))
}

// Reset forgets key, e.g. after a successful login, so that the real owner
// of an account is not kept out by an attacker's failures for longer than needed.
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	delete(l.bucket, key)
	l.mu.Unlock()
}

// sweep drops full buckets now and then so that the map stays small.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	full := time.Duration(l.burst * float64(l.per))
	for k, b := range l.bucket {
		if now.Sub(b.at) > full {
			delete(l.bucket, k)
		}
	}
}
