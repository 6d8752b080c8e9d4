package httpserver

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/sqlite"
)

func TestLimiterBurstRefillAndReset(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
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
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
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
