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

// stepClock is a fake Clock: time moves only when the test advances it, so
// the loop's tests run through minutes of waiting in milliseconds.
type stepClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []stepWaiter
	calls   int // After calls so far: the loop re-arms a timer once it is waiting again
}

type stepWaiter struct {
	at time.Time
	ch chan time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, stepWaiter{c.now.Add(d), ch})
	return ch
}

func (c *stepClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
		} else {
			w.ch <- c.now
		}
	}
	c.waiters = kept
}

func (c *stepClock) afterCalls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// loop is a worker loop running in the background with the defaults of the
// real daemon, except where a test says otherwise, on a stepClock.
type loop struct {
	h      *harness
	clock  *stepClock
	runner *syncmgr.Runner
	cancel context.CancelFunc
	done   chan error
}

func startLoop(h *harness, configure func(*syncmgr.Runner)) *loop {
	h.t.Helper()
	clock := &stepClock{now: time.Now()}
	h.eng.SetClock(clock.Now)
	r := &syncmgr.Runner{Engine: h.eng, DB: h.db, Interval: 300 * time.Second, Log: h.log, Clock: clock,
		PollEvery: syncmgr.DefaultPollEvery}
	if configure != nil {
		configure(r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &loop{h: h, clock: clock, runner: r, cancel: cancel, done: make(chan error, 1)}
	go func() { l.done <- r.Run(ctx) }()
	h.t.Cleanup(l.stop)
	l.settle(0) // the cycle at start, then waiting
	return l
}

// settle waits (in real time) until the loop armed a timer after the first
// n: it has handled what the last advance fired, cycle included.
func (l *loop) settle(n int) {
	l.h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for l.clock.afterCalls() <= n {
		if time.Now().After(deadline) {
			l.h.t.Fatalf("the loop did not wait again\n%s", l.h.logs)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// step moves the clock one poll interval on and lets the loop react.
func (l *loop) step() {
	n := l.clock.afterCalls()
	l.clock.advance(l.runner.PollEvery)
	l.settle(n)
}

// run lets d of loop time pass.
func (l *loop) run(d time.Duration) {
	for end := l.clock.Now().Add(d); l.clock.Now().Before(end); {
		l.step()
	}
}

// until steps until cond holds and returns the loop time it took.
func (l *loop) until(cond func() bool, limit time.Duration) time.Duration {
	l.h.t.Helper()
	start := l.clock.Now()
	for !cond() {
		if l.clock.Now().Sub(start) > limit {
			l.h.t.Fatalf("not done after %v of loop time\n%s", limit, l.h.logs)
		}
		l.step()
	}
	return l.clock.Now().Sub(start)
}

func (l *loop) stop() {
	l.cancel()
	if err := <-l.done; err != nil {
		l.h.t.Errorf("runner: %v", err)
	}
	l.done <- nil // a second stop returns at once
}

// inSheet reports whether the sheet holds shift id.
func inSheet(h *harness, id int) func() bool {
	return func() bool { return len(rowsWithID(h.sheet("Shifts"), fmt.Sprint(id))) > 0 }
}

// cycles counts completed or failed cycles in the log.
func cycles(h *harness) int {
	logs := h.logs.String()
	return strings.Count(logs, "completed in") + strings.Count(logs, " failed: ")
}

func TestFinishedShiftReachesTheSheetWithinPushDelay(t *testing.T) {
	h := newHarness(t)
	l := startLoop(h, nil)
	l.run(syncmgr.DefaultMinGap) // idle, like a quiet afternoon
	h.botWrite(store.Shifts, newShift(3, 101))
	took := l.until(inSheet(h, 3), time.Minute)
	if limit := syncmgr.DefaultPushDelay + time.Second; took > limit {
		t.Errorf("shift reached the sheet after %v, want within %v", took, limit)
	}
	if took < syncmgr.DefaultPushDelay-100*time.Millisecond {
		t.Errorf("shift reached the sheet after %v: no debounce", took)
	}
}

func TestBurstOfFiftyShiftsIsAtMostTwoCycles(t *testing.T) {
	h := newHarness(t)
	l := startLoop(h, nil)
	l.run(syncmgr.DefaultMinGap)
	before := cycles(h)
	for i := range 50 {
		h.botWrite(store.Shifts, newShift(3+i, 101+i%20))
		if i%6 == 5 {
			l.step() // 50 shifts in about 2 s
		}
	}
	l.until(inSheet(h, 52), time.Minute)
	l.run(syncmgr.DefaultMinGap + syncmgr.DefaultPushDelay) // let any follow-up cycle happen
	if n := cycles(h) - before; n > 2 {
		t.Errorf("the burst took %d cycles, want at most 2", n)
	}
	assertEachShiftOnce(t, h, 3, 52)
}

func TestSteadyStreamStaysUnderTenRequestsAMinute(t *testing.T) {
	h := newHarness(t)
	l := startLoop(h, nil)
	h.emu.ResetCounts()
	for i := range 60 { // a shift every second for a minute
		h.botWrite(store.Shifts, newShift(3+i, 101+i%20))
		l.run(time.Second)
	}
	if n := h.emu.Count(""); n >= 10 {
		t.Errorf("%d requests in the minute, want under 10", n)
	}
}

func TestQuotaErrorsDuringBurstBackOffWithoutLossOrDuplicate(t *testing.T) {
	h := newHarness(t)
	l := startLoop(h, func(r *syncmgr.Runner) {
		r.PushDelay, r.MinGap = 200*time.Millisecond, 500*time.Millisecond
	})
	// Google refuses everything for a while: each cycle retries three
	// times, then fails; the next prompt cycle waits longer.
	h.emu.InjectFault(sheetsemu.Fault{Op: "batchGet", Times: 12, Status: 429})
	for i := range 20 {
		h.botWrite(store.Shifts, newShift(3+i, 101))
	}
	l.until(inSheet(h, 22), 10*time.Minute)
	l.stop()
	assertEachShiftOnce(t, h, 3, 22)
	logs := h.logs.String()
	if !strings.Contains(logs, "backing off") || !strings.Contains(logs, "failed: ") {
		t.Errorf("no back-off visible in the log:\n%s", logs)
	}
}

func TestAnEditMadeWhileItsRowIsPushedGetsAPromptCycle(t *testing.T) {
	h := newHarness(t)
	l := startLoop(h, nil)
	l.run(syncmgr.DefaultMinGap)
	// The employee corrects the shift again while the first correction is
	// on its way to Google.
	h.emu.InjectFault(sheetsemu.Fault{Op: "batchUpdate", Before: func() {
		h.botWrite(store.Shifts, store.Values{store.ID: "1", store.TotalMade: "190.00"})
	}})
	h.botWrite(store.Shifts, store.Values{store.ID: "1", store.TotalMade: "170.00"})
	l.until(func() bool { return h.emu.Count("batchUpdate") == 1 }, time.Minute)
	took := l.until(func() bool { return rowsWithID(h.sheet("Shifts"), "1")[0][colTotalMade] == "190.00" }, 10*time.Minute)
	// The next prompt cycle may start MinGap after the last one ended.
	if limit := max(syncmgr.DefaultPushDelay, syncmgr.DefaultMinGap) + time.Second; took > limit {
		t.Errorf("the second edit reached the sheet %v after the first push, want within %v (not the %v interval)", took, limit, l.runner.Interval)
	}
}

func TestWithoutPromptPushTheLoopKeepsCycling(t *testing.T) {
	h := newHarness(t)
	l := startLoop(h, func(r *syncmgr.Runner) { r.PushDelay, r.Interval = -1, time.Second })
	before := cycles(h)
	for range 15 {
		n := l.clock.afterCalls()
		l.clock.advance(time.Second)
		l.settle(n)
	}
	if n := cycles(h) - before; n < 8 {
		t.Errorf("%d cycles in 15 s at --interval 1 with prompt push off, want at least 8", n)
	}
}

// The one loop test on the real clock: the same wiring with short delays.
func TestPromptPushOnTheRealClock(t *testing.T) {
	h := newHarness(t)
	r := &syncmgr.Runner{Engine: h.eng, DB: h.db, Interval: 300 * time.Second, Log: h.log,
		PushDelay: 200 * time.Millisecond, MinGap: 300 * time.Millisecond, PollEvery: 20 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	testutil.WaitFor(t, 10*time.Second, func() bool { return cycles(h) == 1 })
	h.botWrite(store.Shifts, newShift(3, 101))
	testutil.WaitFor(t, 10*time.Second, inSheet(h, 3))
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
	r := &syncmgr.Runner{Engine: h.eng, DB: h.db, Interval: 300 * time.Second, Log: h.log}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	testutil.WaitFor(b, 30*time.Second, func() bool { return cycles(h) == 1 })
	var mu sync.Mutex
	var lat []time.Duration
	const samples = 8
	for i := range samples {
		time.Sleep(syncmgr.DefaultMinGap)
		start := time.Now()
		h.botWrite(store.Shifts, newShift(3+i, 101))
		testutil.WaitFor(b, time.Minute, inSheet(h, 3+i))
		d := time.Since(start)
		mu.Lock()
		lat = append(lat, d)
		mu.Unlock()
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(lat[len(lat)/2].Seconds(), "p50-s")
	b.ReportMetric(lat[(len(lat)*95+99)/100-1].Seconds(), "p95-s")
}
