package password

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// TestHashersQueueIsBounded: while every slot is taken, up to
// waitingPerSlot derivations a slot wait for one, and the next is refused
// at once (rate_limited) instead of queueing behind them; once the slots
// free, the waiting ones run.
func TestHashersQueueIsBounded(t *testing.T) {
	h := NewHasher(Params{MemoryKiB: 64, Passes: 1, Lanes: 1}, 2)
	encoded, err := h.Hash(context.Background(), "a fine password")
	if err != nil {
		t.Fatal(err)
	}
	for range cap(h.slots) {
		h.slots <- struct{}{} // every slot busy
	}
	var wg sync.WaitGroup
	errs := make(chan error, waitingPerSlot*cap(h.slots))
	for range waitingPerSlot * cap(h.slots) {
		wg.Go(func() {
			_, err := h.Verify(context.Background(), "a fine password", encoded)
			errs <- err
		})
	}
	for deadline := time.Now().Add(5 * time.Second); h.waiting.Load() < int64(waitingPerSlot*cap(h.slots)); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d derivations counted as waiting, want %d", h.waiting.Load(), waitingPerSlot*cap(h.slots))
		}
	}
	// The next is refused rather than queued: it returns while every slot
	// is still taken (queued, it would wait until they free, below).
	refused := make(chan error, 1)
	go func() {
		_, err := h.Verify(context.Background(), "a fine password", encoded)
		refused <- err
	}()
	select {
	case err := <-refused:
		if roster.ErrorCode(err) != roster.CodeRateLimited {
			t.Errorf("a derivation past the queue: %v; want rate_limited", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a derivation past the queue waited for a slot instead of being refused")
	}
	for range cap(h.slots) {
		<-h.slots
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a derivation that waited: %v", err)
		}
	}
	if n := h.waiting.Load(); n != 0 {
		t.Errorf("%d still counted as waiting", n)
	}
}
