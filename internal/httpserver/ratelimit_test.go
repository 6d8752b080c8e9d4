package httpserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/sqlite"
)

func TestLimiterBurstRefillAndReset(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	for name, l := range map[string]*Limiter{
		"in process": NewLimiter(2, 30*time.Second, clock),
		"shared":     NewSharedLimiter(store, 2, 30*time.Second, clock),
	} {
		t.Run(name, func(t *testing.T) {
			for i := 0; i < 2; i++ {
				if ok, _, err := l.Allow(ctx, name+"a@b.test"); !ok || err != nil {
					t.Fatalf("attempt %d: %v, %v", i+1, ok, err)
				}
			}
			ok, wait, err := l.Allow(ctx, name+"a@b.test")
			if ok || wait != 30 || err != nil {
				t.Errorf("third attempt = %v, retry after %d s, %v; want refused, 30 s", ok, wait, err)
			}
			if ok, _, _ := l.Allow(ctx, name+"other@b.test"); !ok {
				t.Error("another key was refused")
			}
			if err := l.Reset(ctx, name+"a@b.test"); err != nil {
				t.Fatal(err)
			}
			if ok, _, _ := l.Allow(ctx, name+"a@b.test"); !ok {
				t.Error("refused after Reset")
			}
		})
	}
}

func TestSharedLimiterIsSharedAcrossLimiters(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	// Two limiters on one store stand for two instances behind a balancer.
	a := NewSharedLimiter(store, 3, time.Minute, nil)
	b := NewSharedLimiter(store, 3, time.Minute, nil)
	allowed := 0
	for i := 0; i < 6; i++ {
		l := a
		if i%2 == 1 {
			l = b
		}
		if ok, _, _ := l.Allow(ctx, "k"); ok {
			allowed++
		}
	}
	if allowed != 3 {
		t.Errorf("two instances allowed %d attempts together, want the burst of 3", allowed)
	}
}

// TestLimitsKeysNameNoOtherBucket: the three limiters of Limits share the
// store's table; a key a client writes (an email holding a NUL and an
// address) must not name another limiter's bucket, whose faster refill it
// would lend to its own. Guessing from one address, spent, then "pumping"
// with such an email: still refused.
func TestLimitsKeysNameNoOtherBucket(t *testing.T) {
	store := openStore(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimits(1000, 3, store, func() time.Time { return now })
	take := func(key string) int {
		r := httptest.NewRequest("POST", "/api/v1/session", nil)
		r.RemoteAddr = "203.0.113.7:4000"
		w := httptest.NewRecorder()
		if err := l.Take(w, r, key); err != nil {
			return http.StatusTooManyRequests
		}
		return http.StatusOK
	}
	victim := LoginKey("victim@acme.test")
	for i := range 3 {
		if got := take(victim); got != http.StatusOK {
			t.Fatalf("guess %d: %d", i+1, got)
		}
	}
	if got := take(victim); got != http.StatusTooManyRequests {
		t.Fatalf("guess 4: %d, want limited", got)
	}
	now = now.Add(30 * time.Second) // one attempt back
	for range 5 {
		take(victim + "\x00203.0.113.7") // the same row as the address's bucket, were the keys not apart
	}
	allowed := 0
	for range 5 {
		if take(victim) == http.StatusOK {
			allowed++
		}
	}
	if allowed != 1 {
		t.Errorf("after 30 s and the pump, %d guesses allowed, want 1", allowed)
	}
}

// openStore opens a SQLite store of the test's own, closed when it ends.
func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}
