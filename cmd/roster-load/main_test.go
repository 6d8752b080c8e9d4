package main

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// server serves POST /check over loopback, holding the first request for
// stall. It counts the requests that arrive before firstHalf, if set.
func server(t *testing.T, stall time.Duration, firstHalf *atomic.Pointer[time.Time], early *atomic.Int64) workload {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			time.Sleep(stall)
		}
		if end := firstHalf.Load(); end != nil && time.Now().Before(*end) {
			early.Add(1)
		}
		w.Write([]byte(`{"allowed":true}`))
	}))
	t.Cleanup(srv.Close)
	w, err := trivialWorkload(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// An open loop sends as many requests as fall due at its rate, spread over
// the run, however fast the server answers; a closed loop sends as many as
// it can.
func TestOpenLoopKeepsItsRate(t *testing.T) {
	var firstHalf atomic.Pointer[time.Time]
	var early atomic.Int64
	w := server(t, 0, &firstHalf, &early)
	half := time.Now().Add(500 * time.Millisecond)
	firstHalf.Store(&half)
	res := drive(w, 4, time.Second, 200)
	firstHalf.Store(nil)
	if res.Due != 200 {
		t.Errorf("due %d in 1 s at 200 a second, want 200", res.Due)
	}
	// Half fall due in the first half second; sent all at once, all would
	// arrive in it.
	if n := early.Load(); n > int64(res.Due)*3/4 {
		t.Errorf("%d of %d requests arrived in the first half of the run; want them spread over it", n, res.Due)
	}
	// Never more than fell due. (The last falls due at 0.995 s: on a busy
	// machine a few may still wait for a client when the run ends.)
	if res.Requests > res.Due || res.Requests < res.Due*3/4 || res.Errors != 0 {
		t.Errorf("%d requests answered and %d failed of %d due (first error %q)", res.Requests, res.Errors, res.Due, res.FirstError)
	}
	closed := drive(w, 4, time.Second, 0)
	if closed.Due != 0 || closed.Requests <= res.Due {
		t.Errorf("closed loop: %d due, %d requests in 1 s; want none due and more than the open loop's %d", closed.Due, closed.Requests, res.Due)
	}
}

// In an open loop, a request's latency counts from when it fell due: the
// requests that fell due while the one client waited for a stalled answer
// are charged for that wait. A closed loop sees one slow request.
func TestOpenLoopChargesTheWait(t *testing.T) {
	const stall = 300 * time.Millisecond
	// 100 a second for 1 s: about 30 fall due during the stall, so a
	// tenth of the requests wait at least 10 ms, most of them far more.
	var none atomic.Pointer[time.Time]
	var early atomic.Int64
	res := drive(server(t, stall, &none, &early), 1, time.Second, 100)
	// The ones due during the stall are sent right after it; of the rest,
	// a busy machine may not send the last before the run ends (86 of 100
	// in one run). Six in ten are enough for the percentiles below to mean
	// what they say.
	if res.Requests < 60 || res.Requests > res.Due || res.Errors != 0 {
		t.Fatalf("%d requests answered and %d failed of %d due (first error %q)", res.Requests, res.Errors, res.Due, res.FirstError)
	}
	if res.P90ms < 50 || res.MaxMs < float64(stall.Milliseconds()) {
		t.Errorf("open loop: p90 %.3f ms, max %.3f ms; want the wait behind a %v stall counted (p90 ≥ 50 ms)", res.P90ms, res.MaxMs, stall)
	}
	closed := drive(server(t, stall, &none, &early), 1, time.Second, 0)
	if closed.P50ms >= 50 || closed.MaxMs < float64(stall.Milliseconds()) {
		t.Errorf("closed loop: p50 %.3f ms, max %.3f ms; want one slow request only", closed.P50ms, closed.MaxMs)
	}
}
