package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3" // the writer that measures lock waits opens its own connection

	"shiftbot/internal/store"
)

// The worker's unit caps it at CPUQuota=10% of a Raspberry Pi 4 core, about
// 3 % of a core here. BenchmarkPiBudget runs the real binary under that
// quota (CFS bandwidth control, as systemd applies it) while the sheet is
// served unthrottled and another process-like writer keeps writing, as the
// bot does, and reports how long each kind of pull takes and the longest
// the writer waited for the write lock during it (SPEC §3 "Cost").
//
//	make bench-pi   (root; sets CPU_QUOTA to the cpu-quota tool)
func BenchmarkPiBudget(b *testing.B) {
	quota := os.Getenv("CPU_QUOTA")
	if quota == "" {
		b.Skip("CPU_QUOTA (the cpu-quota tool) is not set: run make bench-pi, as root")
	}
	pct := os.Getenv("CPU_QUOTA_PERCENT")
	if pct == "" {
		pct = "3"
	}
	for _, n := range []int{10000, 50000} {
		for _, throttled := range []bool{false, true} {
			name := fmt.Sprintf("rows=%d/full-speed", n)
			if throttled {
				name = fmt.Sprintf("rows=%d/cpu-quota=%s", n, pct)
			}
			b.Run(name, func(b *testing.B) {
				w := newWorker(b, nil)
				seedReference(w)
				rows := bigShifts(n)
				w.emu.SetTab(sheetID, "Shifts", rows)
				var prefix []string
				if throttled {
					prefix = []string{quota, pct}
				}
				for range b.N {
					os.RemoveAll(w.dir + "/data")
					db, err := store.Open(context.Background(), w.db) // empty, as the bot leaves it before any pull
					if err != nil {
						b.Fatal(err)
					}
					db.Close()
					first, firstWait := timedOnce(b, w, prefix)
					unchanged, unchangedWait := timedOnce(b, w, prefix)
					for j := range 500 {
						rows[1+j*(n/500)][3] = fmt.Sprintf("Renamed %d", j)
					}
					w.emu.SetTab(sheetID, "Shifts", rows)
					changed, changedWait := timedOnce(b, w, prefix)
					b.ReportMetric(first.Seconds(), "first-import-s")
					b.ReportMetric(firstWait.Seconds(), "first-import-max-lock-wait-s")
					b.ReportMetric(unchanged.Seconds(), "unchanged-s")
					b.ReportMetric(unchangedWait.Seconds(), "unchanged-max-lock-wait-s")
					b.ReportMetric(changed.Seconds(), "changed500-s")
					b.ReportMetric(changedWait.Seconds(), "changed500-max-lock-wait-s")
				}
			})
		}
	}
}

// timedOnce runs `syncworker --once` (under prefix, the quota tool) while
// a writer commits a small write every 20 ms, and returns how long the
// worker took and the longest the writer waited for the lock.
func timedOnce(b *testing.B, w *worker, prefix []string) (took, maxWait time.Duration) {
	b.Helper()
	args := append(append([]string{}, prefix...), binary(), "--db-path", w.db, "--log-file", "-", "--once")
	c := w.cmd()
	c.Args = args
	c.Path = args[0]
	if len(prefix) == 0 {
		c.Path = binary()
	} else if p, err := exec.LookPath(prefix[0]); err == nil {
		c.Path = p
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var waits time.Duration
	wg.Add(1)
	go func() {
		defer wg.Done()
		waits = measureWrites(b, w.db, stop)
	}()
	start := time.Now()
	err := c.Run()
	took = time.Since(start)
	close(stop)
	wg.Wait()
	if err != nil {
		b.Fatalf("syncworker --once: %v\n%s", err, w.stdout)
	}
	return took, waits
}

// measureWrites commits one tiny write every 20 ms, as the bot might, and
// returns the longest wait for the write lock.
func measureWrites(b *testing.B, path string, stop <-chan struct{}) time.Duration {
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=15000&_txlock=immediate&_journal_mode=WAL&_synchronous=FULL")
	if err != nil {
		b.Error(err)
		return 0
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var worst time.Duration
	for i := 0; ; i++ {
		select {
		case <-stop:
			return max(worst, time.Nanosecond)
		case <-time.After(20 * time.Millisecond):
		}
		start := time.Now()
		tx, err := db.BeginTx(context.Background(), nil)
		if err != nil {
			b.Error(err)
			return worst
		}
		worst = max(worst, time.Since(start))
		tx.Exec("INSERT INTO bot_state (name, value) VALUES ('bench', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value", strconv.Itoa(i))
		if err := tx.Commit(); err != nil {
			b.Error(err)
			return worst
		}
	}
}
