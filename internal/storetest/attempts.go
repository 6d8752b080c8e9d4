package storetest

import (
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// testAttempts checks the shared token buckets of the rate limiter.
func testAttempts(t *testing.T, s roster.Store) {
	take := func(key string, at time.Time) (bool, time.Duration) {
		t.Helper()
		var ok bool
		var wait time.Duration
		Write(t, s, "", func(tx roster.Tx) error {
			var err error
			ok, wait, err = tx.TakeAttempt(key, 3, 10*time.Second, at)
			return err
		})
		return ok, wait
	}
	for i := 0; i < 3; i++ {
		if ok, _ := take("k", T0); !ok {
			t.Fatalf("attempt %d of a burst of 3 refused", i+1)
		}
	}
	ok, wait := take("k", T0)
	if ok || wait != 10*time.Second {
		t.Errorf("4th attempt = %v, wait %v; want refused, wait 10s", ok, wait)
	}
	if ok, _ := take("other", T0); !ok {
		t.Error("another key's bucket is shared")
	}
	if ok, _ := take("k", T0.Add(10*time.Second)); !ok {
		t.Error("no attempt regained after 10s")
	}
	if ok, wait := take("k", T0.Add(15*time.Second)); ok || wait != 5*time.Second {
		t.Errorf("after using the regained attempt: %v, wait %v; want refused, wait 5s", ok, wait)
	}
	Write(t, s, "", func(tx roster.Tx) error { return tx.ClearAttempts("k") })
	if ok, _ := take("k", T0.Add(15*time.Second)); !ok {
		t.Error("a cleared bucket is still empty")
	}
	// A long pause refills to the burst, no more.
	for i := 0; i < 3; i++ {
		if ok, _ := take("other", T0.Add(time.Hour)); !ok {
			t.Fatalf("after an hour, attempt %d refused", i+1)
		}
	}
	if ok, _ := take("other", T0.Add(time.Hour)); ok {
		t.Error("a bucket refilled above its burst")
	}
	// Instances whose clocks differ by a minute take in turn: the bucket's
	// time never goes back, so the skew refills it once, not at each turn.
	allowed := 0
	for i := range 20 {
		at := T0.Add(2 * time.Hour)
		if i%2 == 1 {
			at = at.Add(time.Minute)
		}
		if ok, _ := take("skewed", at); ok {
			allowed++
		}
	}
	if allowed > 3+3 {
		t.Errorf("%d of 20 attempts allowed from two clocks a minute apart; want the burst and one refill (6)", allowed)
	}
}
