package syncmgr

import (
	"context"
	"fmt"
	"log/slog"
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
)

// Runner runs cycles: once, or on an interval until stopped. It records each
// cycle in sync_runs and logs the lines operators grep for.
type Runner struct {
	Engine      *Engine
	DB          *store.DB
	Interval    time.Duration
	MaxFailures int
	StopGrace   time.Duration
	Watchdog    time.Duration      // systemd's WatchdogSec; 0 when the unit has none
	Notify      func(state string) // sd_notify; nil outside systemd
	Log         *slog.Logger

	cycle  int
	failed int
	total  Stats
}

func (r *Runner) notify(state string) {
	if r.Notify != nil {
		r.Notify(state)
	}
}

// Cycle runs one cycle with its bookkeeping.
func (r *Runner) Cycle(ctx context.Context) error {
	r.cycle++
	n := r.cycle
	start := time.Now()
	id, err := r.DB.StartRun(ctx, n, start)
	if err != nil {
		r.Log.Error(fmt.Sprintf("Sync cycle #%d failed: %v", n, err))
		return err
	}
	st, err := r.Engine.SyncOnce(ctx)
	dur := time.Since(start)
	run := store.Run{ID: id, Cycle: n, Ended: time.Now(), OK: err == nil, Pulled: st.Pulled, Pushed: st.Pushed,
		Rejected: st.Rejected, Requests: st.Requests}
	if err != nil {
		run.Err = err.Error()
	}
	// Record the outcome even when the stop grace ran out.
	if ferr := r.DB.FinishRun(context.WithoutCancel(ctx), run); ferr != nil {
		r.Log.Error("record sync run", "err", ferr)
	}
	r.total.add(st)
	if err != nil {
		r.failed++
		r.Log.Error(fmt.Sprintf("Sync cycle #%d failed: %v", n, err), "duration", dur.Round(time.Millisecond).String())
		r.notify(fmt.Sprintf("STATUS=Cycle #%d failed at %s: %v", n, time.Now().Format(time.TimeOnly), err))
		return err
	}
	r.Log.Info(fmt.Sprintf("Sync cycle #%d completed in %.2fs", n, dur.Seconds()))
	r.Log.Info("Stats: " + st.String())
	r.notify(fmt.Sprintf("STATUS=Cycle #%d ok at %s: %s", n, time.Now().Format(time.TimeOnly), st))
	return nil
}

func (s *Stats) add(o Stats) {
	s.Pulled += o.Pulled
	s.Pushed += o.Pushed
	s.Rejected += o.Rejected
	s.Conflicts += o.Conflicts
	s.Renumbered += o.Renumbered
	s.Requests += o.Requests
}

// Run runs a cycle now and then every Interval until ctx ends (it returns
// nil) or MaxFailures cycles in a row have failed (it returns an error).
// A stop while a cycle runs lets that cycle finish, within StopGrace.
func (r *Runner) Run(ctx context.Context) error {
	r.defaults()
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
		if !r.wait(ctx, r.Interval) {
			r.stopped()
			return nil
		}
	}
}

// Once runs one cycle (--once); a stop signal lets it finish like Run does.
func (r *Runner) Once(ctx context.Context) error {
	r.defaults()
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
	if r.Log == nil {
		r.Log = slog.Default()
	}
}

// graceful runs fn with a context that outlives ctx by at most StopGrace.
func (r *Runner) graceful(ctx context.Context, fn func(context.Context) error) error {
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		r.Log.Info("Stop requested: finishing the cycle in hand")
		t := time.NewTimer(r.StopGrace)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			cancel()
		}
	}()
	return fn(cctx)
}

// wait sleeps d, feeding the watchdog meanwhile; false if ctx ended.
func (r *Runner) wait(ctx context.Context, d time.Duration) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	var tick <-chan time.Time
	if r.Watchdog > 0 {
		t := time.NewTicker(r.Watchdog / 2)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return false
		case <-deadline.C:
			return true
		case <-tick:
			r.notify("WATCHDOG=1")
		}
	}
}

func (r *Runner) stopped() {
	r.Log.Info(fmt.Sprintf("Sync worker stopped after %d cycles (%d failed)", r.cycle, r.failed))
	r.Log.Info("Stats: " + r.total.String())
}
