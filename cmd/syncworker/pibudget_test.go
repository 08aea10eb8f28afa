package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"shiftbot/internal/store"
	"shiftbot/internal/telegramfake"
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
					bot := startBot(b, w)
					first, firstWait := timedOnce(b, w, prefix, bot)
					unchanged, unchangedWait := timedOnce(b, w, prefix, bot)
					for j := range 500 {
						rows[1+j*(n/500)][3] = fmt.Sprintf("Renamed %d", j)
					}
					w.emu.SetTab(sheetID, "Shifts", rows)
					changed, changedWait := timedOnce(b, w, prefix, bot)
					b.ReportMetric(first.Seconds(), "first-import-s")
					b.ReportMetric(firstWait.Seconds(), "first-import-max-lock-wait-s")
					b.ReportMetric(unchanged.Seconds(), "unchanged-s")
					b.ReportMetric(unchangedWait.Seconds(), "unchanged-max-lock-wait-s")
					b.ReportMetric(changed.Seconds(), "changed500-s")
					b.ReportMetric(changedWait.Seconds(), "changed500-max-lock-wait-s")
					b.ReportMetric(bot.worst().Seconds(), "bot-max-reply-s")
					bot.kill()
				}
			})
		}
	}
}

// botProbe is the real bot (not throttled) on the worker's database, and a
// user pressing on: its longest wait for a reply while pulls run.
type botProbe struct {
	fake *telegramfake.Server
	user telegramfake.User
	mu   sync.Mutex
	max  time.Duration
	stop chan struct{}
	done chan struct{}
	kill func()
}

func startBot(b *testing.B, w *worker) *botProbe {
	const token = "777000:PI-BUDGET"
	fake := telegramfake.New(token)
	srv := httptest.NewServer(fake)
	c := exec.Command(filepath.Join(binDir, "bot"), "--db-path", w.db, "--log-file", "-")
	c.Dir = w.dir
	c.Env = append(os.Environ(), "BOT_TOKEN="+token, "TELEGRAM_API_ENDPOINT="+srv.URL, "PRODUCTS=Model A,Model B")
	if err := c.Start(); err != nil {
		b.Fatal(err)
	}
	p := &botProbe{fake: fake, user: telegramfake.User{ID: 4242, FirstName: "Pi"}}
	p.kill = func() { c.Process.Kill(); c.Wait(); fake.Close(); srv.Close() }
	return p
}

// run sends /start every 1.2 s (Telegram lets a bot send a chat about one
// message a second, and the bot's outbox keeps to that) until stopped,
// recording each reply's wait.
func (p *botProbe) run() {
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.done)
		for {
			select {
			case <-p.stop:
				return
			case <-time.After(1200 * time.Millisecond):
			}
			last := 0
			if m := p.fake.Messages(p.user.ID); len(m) > 0 {
				last = m[len(m)-1].ID
			}
			start := time.Now()
			p.fake.SendText(p.user, "/start")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			_, err := p.fake.WaitFor(ctx, p.user.ID, func(m telegramfake.Message) bool { return m.ID > last })
			cancel()
			d := time.Since(start)
			if err != nil {
				d = 30 * time.Second
			}
			p.mu.Lock()
			p.max = max(p.max, d)
			p.mu.Unlock()
		}
	}()
}

func (p *botProbe) halt() { close(p.stop); <-p.done }

func (p *botProbe) worst() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.max
}

// timedOnce runs `syncworker --once` (under prefix, the quota tool) while
// a writer commits a small write every 20 ms and the bot answers a user,
// and returns how long the worker took and the longest the writer waited
// for the lock.
func timedOnce(b *testing.B, w *worker, prefix []string, bot *botProbe) (took, maxWait time.Duration) {
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
	bot.run()
	start := time.Now()
	err := c.Run()
	took = time.Since(start)
	close(stop)
	wg.Wait()
	bot.halt()
	if err != nil {
		b.Fatalf("syncworker --once: %v\n%s", err, w.stdout)
	}
	return took, waits
}

// measureWrites commits one tiny write every 20 ms through the store, as the
// bot does (so it waits for the lock as the bot does), and returns the
// longest wait for the write lock: from asking for a transaction to being in
// it.
func measureWrites(b *testing.B, path string, stop <-chan struct{}) time.Duration {
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		b.Error(err)
		return 0
	}
	defer db.Close()
	var worst time.Duration
	for i := 0; ; i++ {
		select {
		case <-stop:
			return max(worst, time.Nanosecond)
		case <-time.After(20 * time.Millisecond):
		}
		start := time.Now()
		err := db.Update(ctx, func(tx *store.Tx) error {
			worst = max(worst, time.Since(start))
			_, err := tx.Exec(ctx, "INSERT INTO bot_state (name, value) VALUES ('bench', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value", strconv.Itoa(i))
			return err
		})
		if err != nil {
			b.Error(err)
			return worst
		}
	}
}
