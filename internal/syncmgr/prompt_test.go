package syncmgr_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"shiftbot/internal/sheetsemu"
	"shiftbot/internal/store"
	"shiftbot/internal/syncmgr"
	"shiftbot/internal/testutil"
)

// running is a worker loop running in the background with the defaults of
// the real daemon, except where a test says otherwise.
type running struct {
	h      *harness
	runner *syncmgr.Runner
	cancel context.CancelFunc
	done   chan error
}

func startRunner(h *harness, configure func(*syncmgr.Runner)) *running {
	h.t.Helper()
	r := &syncmgr.Runner{Engine: h.eng, DB: h.db, Interval: 300 * time.Second, Log: h.log}
	if configure != nil {
		configure(r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rn := &running{h: h, runner: r, cancel: cancel, done: make(chan error, 1)}
	go func() { rn.done <- r.Run(ctx) }()
	h.t.Cleanup(rn.stop)
	return rn
}

func (rn *running) stop() {
	rn.cancel()
	if err := <-rn.done; err != nil {
		rn.h.t.Errorf("runner: %v", err)
	}
	rn.done <- nil // a second stop returns at once
}

// waitRows waits until the sheet holds shift id, and returns when.
func waitRow(t testing.TB, h *harness, id int, limit time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		if len(rowsWithID(h.sheet("Shifts"), fmt.Sprint(id))) > 0 {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("shift %d not in the sheet after %v\n%s", id, limit, h.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cycles counts completed or failed cycles in the log.
func cycles(h *harness) int {
	logs := h.logs.String()
	return strings.Count(logs, "completed in") + strings.Count(logs, " failed: ")
}

func TestFinishedShiftReachesTheSheetWithinPushDelay(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	startRunner(h, nil)
	testutil.WaitFor(t, 30*time.Second, func() bool { return cycles(h) == 1 }) // the cycle at start
	time.Sleep(syncmgr.DefaultMinGap)                                          // idle, like a quiet afternoon

	finished := time.Now()
	h.botWrite(store.Shifts, newShift(3, 101))
	took := waitRow(t, h, 3, 30*time.Second).Sub(finished)
	if limit := syncmgr.DefaultPushDelay + time.Second; took > limit {
		t.Errorf("shift reached the sheet after %v, want within %v", took, limit)
	}
	if took < syncmgr.DefaultPushDelay-100*time.Millisecond {
		t.Errorf("shift reached the sheet after %v: no debounce", took)
	}
	t.Logf("finish to sheet: %v", took)
}

func TestBurstOfFiftyShiftsIsAtMostTwoCycles(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	startRunner(h, nil)
	testutil.WaitFor(t, 30*time.Second, func() bool { return cycles(h) == 1 })
	time.Sleep(syncmgr.DefaultMinGap)
	before := cycles(h)
	for i := range 50 {
		h.botWrite(store.Shifts, newShift(3+i, 101+i%20))
		time.Sleep(40 * time.Millisecond) // 50 shifts in 2 s
	}
	waitRow(t, h, 52, 30*time.Second)
	time.Sleep(syncmgr.DefaultMinGap + syncmgr.DefaultPushDelay) // let any follow-up cycle happen
	if n := cycles(h) - before; n > 2 {
		t.Errorf("the burst took %d cycles, want at most 2", n)
	}
	assertEachShiftOnce(t, h, 3, 52)
}

func TestSteadyStreamStaysUnderTenRequestsAMinute(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for a minute; skipped with -short")
	}
	t.Parallel()
	h := newHarness(t)
	startRunner(h, nil)
	testutil.WaitFor(t, 30*time.Second, func() bool { return cycles(h) == 1 })
	h.emu.ResetCounts()
	start := time.Now()
	for i := 0; time.Since(start) < time.Minute; i++ {
		h.botWrite(store.Shifts, newShift(3+i, 101+i%20))
		time.Sleep(time.Second)
	}
	if n := h.emu.Count(""); n >= 10 {
		t.Errorf("%d requests in the minute, want under 10", n)
	}
	t.Logf("%d requests in a minute of one shift per second", h.emu.Count(""))
}

func TestQuotaErrorsDuringBurstBackOffWithoutLossOrDuplicate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	rn := startRunner(h, func(r *syncmgr.Runner) {
		r.PushDelay, r.MinGap = 200*time.Millisecond, 500*time.Millisecond
	})
	testutil.WaitFor(t, 30*time.Second, func() bool { return cycles(h) == 1 })
	// Google refuses everything for a while: each cycle retries three
	// times, then fails; the next prompt cycle waits longer.
	h.emu.InjectFault(sheetsemu.Fault{Op: "batchGet", Times: 12, Status: 429})
	for i := range 20 {
		h.botWrite(store.Shifts, newShift(3+i, 101))
		time.Sleep(10 * time.Millisecond)
	}
	waitRow(t, h, 22, 60*time.Second)
	rn.stop()
	assertEachShiftOnce(t, h, 3, 22)
	logs := h.logs.String()
	if !strings.Contains(logs, "backing off") || !strings.Contains(logs, "failed: ") {
		t.Errorf("no back-off visible in the log:\n%s", logs)
	}
}

func assertEachShiftOnce(t *testing.T, h *harness, from, to int) {
	t.Helper()
	sheet := h.sheet("Shifts")
	for id := from; id <= to; id++ {
		if n := len(rowsWithID(sheet, fmt.Sprint(id))); n != 1 {
			t.Errorf("shift %d is in the sheet %d times, want once", id, n)
		}
	}
}

// BenchmarkFinishToSheet measures, with the daemon's defaults, the time from
// a shift written by the bot to its row in the emulator's sheet. Shifts are
// spaced like real ones (more than --min-gap apart).
func BenchmarkFinishToSheet(b *testing.B) {
	h := newHarness(b)
	startRunner(h, nil)
	testutil.WaitFor(b, 30*time.Second, func() bool { return cycles(h) == 1 })
	var mu sync.Mutex
	var lat []time.Duration
	const samples = 8
	for i := range samples {
		time.Sleep(syncmgr.DefaultMinGap)
		start := time.Now()
		h.botWrite(store.Shifts, newShift(3+i, 101))
		d := waitRow(b, h, 3+i, time.Minute).Sub(start)
		mu.Lock()
		lat = append(lat, d)
		mu.Unlock()
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(lat[len(lat)/2].Seconds(), "p50-s")
	b.ReportMetric(lat[(len(lat)*95+99)/100-1].Seconds(), "p95-s")
}
