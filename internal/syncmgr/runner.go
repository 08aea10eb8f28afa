package syncmgr

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"shiftbot/internal/store"
)

// Defaults for Runner.
const (
	DefaultInterval    = 300 * time.Second
	DefaultMaxFailures = 5
	// A stop signal lets the cycle in hand finish for at most this long, well
	// inside systemd's 30 s stop timeout (SPEC §8).
	DefaultStopGrace = 20 * time.Second
	// DefaultCycleTimeout cuts short a cycle that has made no progress (no
	// request answered, no transaction committed) for this long, well
	// inside the unit's WatchdogSec; a cycle that makes progress, like a
	// first import of 50,000 rows on a throttled Pi, feeds the watchdog and
	// goes on. Cutting a cycle short is safe: what it committed stays, and
	// an append whose outcome is unknown is settled by the next pulls.
	DefaultCycleTimeout = 90 * time.Second

	// Prompt push (SPEC §3): a cycle within DefaultPushDelay of new local
	// writes, never closer than DefaultMinGap to the previous cycle, and at
	// most DefaultPromptsPerMinute such cycles in any minute. A cycle is one
	// or two requests, so prompt cycles spend at most about 8 of the ~60
	// requests a minute Google grants the service account, whatever the
	// employees do.
	DefaultPushDelay        = 5 * time.Second
	DefaultMinGap           = 10 * time.Second
	DefaultPromptsPerMinute = 4
	// How often the local database is checked for new writes.
	DefaultPollEvery = 250 * time.Millisecond
)

// Clock is the time the loop reads and waits on; nil means the real one.
// Tests drive a fake one step by step instead of sleeping.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Runner runs cycles: once, or on an interval until stopped. It records each
// cycle in sync_runs and logs the lines operators grep for.
type Runner struct {
	Engine       *Engine
	DB           *store.DB
	Interval     time.Duration
	MaxFailures  int
	StopGrace    time.Duration
	CycleTimeout time.Duration
	Watchdog     time.Duration      // systemd's WatchdogSec; 0 when the unit has none
	Notify       func(state string) // sd_notify; nil outside systemd
	Log          *slog.Logger
	// PushDelay is how soon a cycle follows new pending rows; negative
	// disables prompt push. MinGap is the least time between the end of a
	// cycle and a prompt one.
	PushDelay        time.Duration
	MinGap           time.Duration
	PromptsPerMinute int
	PollEvery        time.Duration
	Clock            Clock

	lastProgress atomic.Int64 // unix ns of the engine's last sign of progress

	cycle  int // number of the last cycle, across restarts
	ran    int // cycles this process ran
	failed int
	total  Stats
	// lastOK is when the last successful cycle started, by the wall clock:
	// the database stamps edits with it, whatever Clock the loop runs on.
	lastOK  time.Time
	lastEnd time.Time
	prompts []time.Time // starts of recent prompt cycles
}

func (r *Runner) notify(state string) {
	if r.Notify != nil {
		r.Notify(state)
	}
}

// Cycle runs one cycle with its bookkeeping. Cycle numbers go on from the
// last recorded one, so they stay unique across restarts.
func (r *Runner) Cycle(ctx context.Context) error {
	if r.cycle == 0 {
		last, err := r.DB.LastCycle(ctx)
		if err != nil {
			r.Log.Error("Cannot read the last cycle number; numbering from 1", "err", err)
		}
		r.cycle = last
	}
	r.cycle++
	r.ran++
	n := r.cycle
	wall, start := time.Now(), r.Clock.Now()
	defer func() { r.lastEnd = r.Clock.Now() }()
	id, err := r.DB.StartRun(ctx, n, start)
	if err != nil {
		r.Log.Error(fmt.Sprintf("Sync cycle #%d failed: %v", n, err))
		return err
	}
	st, err := r.Engine.SyncOnce(ctx)
	dur := r.Clock.Now().Sub(start)
	run := store.Run{ID: id, Cycle: n, Ended: r.Clock.Now(), OK: err == nil, Pulled: st.Pulled, Pushed: st.Pushed,
		Rejected: st.Rejected, Requests: st.Requests}
	if err != nil {
		run.Err = err.Error()
	}
	run.StalePending = r.stalePending(ctx)
	// Record the outcome even when the stop grace ran out.
	if ferr := r.DB.FinishRun(context.WithoutCancel(ctx), run); ferr != nil {
		r.Log.Error("record sync run", "err", ferr)
	}
	r.total.add(st)
	if err != nil {
		r.failed++
		r.Log.Error(fmt.Sprintf("Sync cycle #%d failed: %v", n, err), "duration", dur.Round(time.Millisecond).String())
		if r.Notify != nil {
			r.notify(fmt.Sprintf("STATUS=Cycle #%d failed at %s: %v; %s", n, r.Clock.Now().Format(time.TimeOnly), err, r.pendingSummary(context.WithoutCancel(ctx))))
		}
		return err
	}
	r.lastOK = wall
	r.Log.Info(fmt.Sprintf("Sync cycle #%d completed in %.2fs", n, dur.Seconds()))
	r.Log.Info("Stats: " + st.String())
	if r.Notify != nil { // the pending count is for systemctl status only
		r.notify(fmt.Sprintf("STATUS=Cycle #%d ok at %s: %s; %s", n, r.Clock.Now().Format(time.TimeOnly), st, r.pendingSummary(ctx)))
	}
	return nil
}

// stalePending describes rows pending longer than three intervals (the
// health check's warning, and an alert for the admins), or is "".
func (r *Runner) stalePending(ctx context.Context) string {
	n, oldest, err := r.DB.PendingCount(context.WithoutCancel(ctx))
	if err != nil || n == 0 {
		return ""
	}
	if age := time.Since(oldest); age > 3*r.Interval {
		return fmt.Sprintf("%d rows pending, the oldest for %s (over 3 x the %s interval): they are not reaching the sheet",
			n, age.Round(time.Second), r.Interval)
	}
	return ""
}

// recordInterval tells the bot the interval this worker runs at.
func (r *Runner) recordInterval(ctx context.Context) {
	want := strconv.Itoa(int(r.Interval / time.Second))
	if v, _, err := r.DB.State(ctx, store.StateWorkerInterval); err == nil && v == want {
		return // as recorded: no write
	}
	err := r.DB.Update(ctx, func(tx *store.Tx) error {
		return tx.SetState(ctx, store.StateWorkerInterval, want)
	})
	if err != nil {
		r.Log.Warn("Cannot record the interval for the bot", "err", err)
	}
}

// pendingSummary says how many rows wait for Google and for how long.
func (r *Runner) pendingSummary(ctx context.Context) string {
	n, oldest, err := r.DB.PendingCount(ctx)
	switch {
	case err != nil:
		return "pending unknown"
	case n == 0:
		return "pending 0"
	default:
		return fmt.Sprintf("pending %d (oldest %s)", n, r.Clock.Now().Sub(oldest).Round(time.Second))
	}
}

// Run runs a cycle now and then every Interval until ctx ends (it returns
// nil) or MaxFailures cycles in a row have failed (it returns an error).
// A stop while a cycle runs lets that cycle finish, within StopGrace.
func (r *Runner) Run(ctx context.Context) error {
	r.defaults()
	r.Engine.SetProgress(r.progressed)
	r.recordInterval(ctx)
	consecutive := 0
	for {
		err := r.graceful(ctx, r.Cycle)
		if ctx.Err() != nil {
			r.stopped()
			return nil
		}
		r.notify("WATCHDOG=1")
		switch {
		case err == nil && consecutive > 0:
			r.Log.Info(fmt.Sprintf("Sync recovered after %d failed cycles", consecutive))
			consecutive = 0
		case err != nil:
			consecutive++
			if consecutive >= r.MaxFailures {
				return fmt.Errorf("%d consecutive sync cycles failed, last: %w", consecutive, err)
			}
		}
		if !r.idle(ctx, consecutive) {
			r.stopped()
			return nil
		}
	}
}

// Once runs one cycle (--once); a stop signal lets it finish like Run does.
func (r *Runner) Once(ctx context.Context) error {
	r.defaults()
	r.Engine.SetProgress(r.progressed)
	r.recordInterval(ctx)
	return r.graceful(ctx, r.Cycle)
}

func (r *Runner) defaults() {
	if r.Interval <= 0 {
		r.Interval = DefaultInterval
	}
	if r.MaxFailures <= 0 {
		r.MaxFailures = DefaultMaxFailures
	}
	if r.StopGrace <= 0 {
		r.StopGrace = DefaultStopGrace
	}
	if r.CycleTimeout <= 0 {
		r.CycleTimeout = DefaultCycleTimeout
	}
	if r.Log == nil {
		r.Log = slog.Default()
	}
	if r.PushDelay == 0 {
		r.PushDelay = DefaultPushDelay
	}
	if r.MinGap <= 0 {
		r.MinGap = DefaultMinGap
	}
	if r.PromptsPerMinute <= 0 {
		r.PromptsPerMinute = DefaultPromptsPerMinute
	}
	if r.PollEvery <= 0 {
		r.PollEvery = DefaultPollEvery
	}
	if r.Clock == nil {
		r.Clock = realClock{}
	}
}

// graceful runs fn with a context that outlives ctx by at most StopGrace,
// and ends when the cycle has made no progress for CycleTimeout.
func (r *Runner) graceful(ctx context.Context, fn func(context.Context) error) error {
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	r.lastProgress.Store(time.Now().UnixNano())
	done := make(chan struct{})
	defer close(done)
	go func() {
		tick := time.NewTicker(min(time.Second, r.CycleTimeout))
		defer tick.Stop()
		stop := ctx.Done()
		var grace <-chan time.Time
		for {
			select {
			case <-done:
				return
			case <-stop:
				r.Log.Info("Stop requested: finishing the cycle in hand")
				stop, grace = nil, r.Clock.After(r.StopGrace)
			case <-grace:
				cancel()
				return
			case <-tick.C:
				if time.Since(time.Unix(0, r.lastProgress.Load())) > r.CycleTimeout {
					r.Log.Error(fmt.Sprintf("Cycle made no progress for %s: cutting it short", r.CycleTimeout))
					cancel()
					return
				}
			}
		}
	}()
	return fn(cctx)
}

// progressed is the engine's sign of progress within a cycle: it feeds the
// watchdog, at most once a second, and keeps the cycle from being cut short.
func (r *Runner) progressed() {
	now := time.Now().UnixNano()
	if prev := r.lastProgress.Swap(now); now-prev >= int64(time.Second) {
		r.notify("WATCHDOG=1")
	}
}

// idle waits for the next cycle, feeding the watchdog meanwhile: the
// regular one after Interval, or a prompt one when the bot has written
// (SPEC §3 "Prompt push"). It returns false when ctx ended.
func (r *Runner) idle(ctx context.Context, failures int) bool {
	regular := r.Clock.After(r.Interval)
	var watchdog <-chan time.Time
	if r.Watchdog > 0 {
		watchdog = r.Clock.After(r.Watchdog / 2)
	}
	var poll <-chan time.Time
	var conn *sql.Conn
	if r.PushDelay >= 0 {
		// One read connection for the whole wait, returned when it ends:
		// data_version is per connection.
		c, err := r.DB.Read().Conn(ctx)
		if err != nil {
			r.Log.Warn("Cannot watch for new local writes; waiting for the regular cycle", "err", err)
		} else {
			conn = c
			defer conn.Close()
			poll = r.Clock.After(r.PollEvery)
		}
	}
	version := int64(-1)
	var seen time.Time // when new pending rows were first noticed
	for {
		select {
		case <-ctx.Done():
			return false
		case <-regular:
			return true
		case <-watchdog:
			r.notify("WATCHDOG=1")
			watchdog = r.Clock.After(r.Watchdog / 2)
		case now := <-poll:
			poll = r.Clock.After(r.PollEvery)
			if seen.IsZero() {
				v, err := store.DataVersion(ctx, conn)
				if err != nil || v == version {
					continue
				}
				version = v
				// Rows left pending by a failed cycle count too: they are
				// retried promptly, with the back-off of promptDue. So does
				// an edit made while its row was being pushed.
				n, err := r.DB.EditedSince(ctx, r.lastOK)
				if err != nil || n == 0 {
					continue
				}
				seen = now
			}
			if now.Before(r.promptDue(seen, failures)) {
				continue
			}
			r.prompts = append(r.prompts, now)
			r.Log.Debug("Prompt push: new pending rows", "waited", now.Sub(seen).Round(time.Millisecond).String())
			return true
		}
	}
}

// promptDue is when a prompt cycle may start for rows first seen at seen:
// PushDelay later, so a burst of writes becomes one cycle; MinGap after the
// last cycle, doubled for each failed cycle in a row (Google may be
// answering 429); and within PromptsPerMinute.
func (r *Runner) promptDue(seen time.Time, failures int) time.Time {
	gap := r.MinGap << min(failures, 10)
	due := seen.Add(r.PushDelay)
	if g := r.lastEnd.Add(min(gap, r.Interval)); g.After(due) {
		due = g
	}
	cutoff := r.Clock.Now().Add(-time.Minute)
	for len(r.prompts) > 0 && r.prompts[0].Before(cutoff) {
		r.prompts = r.prompts[1:]
	}
	if len(r.prompts) >= r.PromptsPerMinute {
		if q := r.prompts[0].Add(time.Minute); q.After(due) {
			due = q
		}
	}
	return due
}

func (r *Runner) stopped() {
	r.Log.Info(fmt.Sprintf("Sync worker stopped after %d cycles (%d failed)", r.ran, r.failed))
	r.Log.Info("Stats: " + r.total.String())
}
