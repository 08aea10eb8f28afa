package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"shiftbot/internal/sheetsemu"
	"shiftbot/internal/store"
	"shiftbot/internal/testutil"
)

// The tests run the real binary, so signals and exit statuses are real.
var binDir string

// TestMain builds the worker, and the bot for the cutover tests.
func TestMain(m *testing.M) { testutil.MainWithBuild(m, &binDir, ".", "../bot") }

func binary() string { return filepath.Join(binDir, "syncworker") }

const sheetID = "sheet-1"

type worker struct {
	t      testing.TB
	dir    string
	emu    *sheetsemu.Server
	url    string
	db     string
	stdout *testutil.Buffer
}

// newWorker serves an initialised spreadsheet through handler wrap (nil for
// the emulator as it is).
func newWorker(t testing.TB, wrap func(http.Handler) http.Handler) *worker {
	t.Helper()
	w := &worker{t: t, dir: t.TempDir(), emu: sheetsemu.New(), stdout: &testutil.Buffer{}}
	w.emu.AddSpreadsheet(sheetID, "test")
	var h http.Handler = w.emu
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	w.url = srv.URL + "/"
	w.db = filepath.Join(w.dir, "data", "reference_data.db")
	return w
}

func (w *worker) cmd(args ...string) *exec.Cmd {
	c := exec.Command(binary(), append([]string{"--db-path", w.db, "--log-file", filepath.Join(w.dir, "sync_worker.log")}, args...)...)
	c.Dir = w.dir
	c.Env = append(os.Environ(), "SPREADSHEET_ID="+sheetID, "SHEETS_ENDPOINT="+w.url, "PRODUCTS=Model A,Model B",
		"GOOGLE_SA_JSON="+filepath.Join(w.dir, "absent.json"))
	c.Stdout, c.Stderr = w.stdout, w.stdout
	return c
}

// run runs the worker to the end and returns its exit status.
func (w *worker) run(args ...string) int {
	w.t.Helper()
	err := w.cmd(args...).Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	default:
		w.t.Fatal(err)
		return -1
	}
}

func (w *worker) mustRun(args ...string) {
	w.t.Helper()
	if code := w.run(args...); code != 0 {
		w.t.Fatalf("syncworker %v exited %d:\n%s", args, code, w.stdout)
	}
}

func (w *worker) addPendingShift(id int) {
	w.t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, w.db)
	if err != nil {
		w.t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(ctx, func(tx *store.Tx) error {
		return tx.PutRow(ctx, store.Shifts, store.Row{Pending: true, Values: store.Values{"id": fmt.Sprint(id),
			"date": "2026/11/28 17:00:00", "employee_id": "101", "clock_in": "2026/11/28 09:00:00",
			"clock_out": "2026/11/28 17:00:00", "products:Model A": "500.00", "total_sales": "500.00"}})
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

func (w *worker) shiftRows(id string) int {
	n := 0
	for _, r := range w.emu.TabStrings(sheetID, "Shifts") {
		if len(r) > 0 && r[0] == id {
			n++
		}
	}
	return n
}

func TestInitSheetsOnceAndStatus(t *testing.T) {
	w := newWorker(t, nil)
	w.mustRun("--init-sheets")
	tabs := strings.Join(w.emu.Tabs(sheetID), ",")
	for _, want := range []string{"EmployeeSettings", "DynamicRates", "Ranks", "Shifts", "EmployeeRanks", "ActiveBonuses"} {
		if !strings.Contains(tabs, want) {
			t.Errorf("tab %s not created (have %s)", want, tabs)
		}
	}
	if ranks := w.emu.TabStrings(sheetID, "Ranks"); len(ranks) != 7 || ranks[6][0] != "Chatting God" {
		t.Errorf("default ranks = %v", ranks)
	}
	// A second init changes nothing.
	before := fmt.Sprint(w.emu.TabStrings(sheetID, "Ranks"), w.emu.TabStrings(sheetID, "Shifts"))
	w.mustRun("--init-sheets")
	if after := fmt.Sprint(w.emu.TabStrings(sheetID, "Ranks"), w.emu.TabStrings(sheetID, "Shifts")); after != before {
		t.Errorf("second --init-sheets changed the sheet")
	}

	if code := w.run("--status"); code != 1 || !strings.Contains(w.stdout.String(), "Last successful sync: never") {
		t.Errorf("--status before any sync exited %d:\n%s", code, w.stdout)
	}
	w.mustRun("--once")
	if !strings.Contains(w.stdout.String(), "Sync cycle #1 completed in") || !strings.Contains(w.stdout.String(), "Stats: ") {
		t.Errorf("log lacks the phrases operators grep for:\n%s", w.stdout)
	}
	if code := w.run("--status"); code != 0 {
		t.Errorf("--status after a sync exited %d:\n%s", code, w.stdout)
	}
	// Cycle numbers go on across processes, so --status and the logs never
	// show #1, #1, #1.
	w.stdout.Reset()
	w.mustRun("--once")
	if !strings.Contains(w.stdout.String(), "Sync cycle #2 completed in") {
		t.Errorf("the second process's cycle is not #2:\n%s", w.stdout)
	}
	w.stdout.Reset()
	w.mustRun("--status", "--format=kv")
	if !strings.Contains(w.stdout.String(), "\nlast_cycle=2\n") || !strings.Contains(w.stdout.String(), "\nstate=ok\n") {
		t.Errorf("--status --format=kv:\n%s", w.stdout)
	}
	w.addPendingShift(7)
	w.stdout.Reset()
	w.run("--status")
	if !strings.Contains(w.stdout.String(), "Pending rows: 1 (oldest ") {
		t.Errorf("--status does not show the pending row and its age:\n%s", w.stdout)
	}
	fi, err := os.Stat(filepath.Join(w.dir, "sync_worker.log"))
	if err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("log file: %v, mode %v; want owner-only", err, fi.Mode().Perm())
	}
}

func TestConfigurationErrorsExit2NamingTheVariable(t *testing.T) {
	w := newWorker(t, nil)
	for _, tc := range []struct{ env, want string }{
		{"SPREADSHEET_ID=", "SPREADSHEET_ID"},
		{"PRODUCTS=", "PRODUCTS"},
		{"COMMISSION_RATE=abc", "COMMISSION_RATE"},
		{"USE_FIXED_UTC_MINUS_5=maybe", "USE_FIXED_UTC_MINUS_5"},
	} {
		c := w.cmd("--once")
		c.Env = append(c.Env, tc.env)
		var out bytes.Buffer
		c.Stdout, c.Stderr = &out, &out
		err := c.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(out.String(), tc.want) {
			t.Errorf("%s: err %v, output %q; want exit 2 naming %s", tc.env, err, out.String(), tc.want)
		}
	}
	if code := w.run("--interval", "0"); code != 2 {
		t.Errorf("--interval 0 exited %d, want 2", code)
	}
}

func TestFiveFailedCyclesExit1(t *testing.T) {
	w := newWorker(t, nil)
	// An unknown spreadsheet fails every cycle at once (404 is not retried).
	c := w.cmd("--interval", "1")
	c.Env = append(c.Env, "SPREADSHEET_ID=no-such-sheet")
	err := c.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit = %v, want status 1\n%s", err, w.stdout)
	}
	if n := strings.Count(w.stdout.String(), "failed: pull"); n != 5 {
		t.Errorf("%d failed cycles logged, want 5:\n%s", n, w.stdout)
	}
}

func TestSIGTERMMidCycleFinishesTheCycleAndExits0(t *testing.T) {
	w := newWorker(t, nil)
	w.mustRun("--init-sheets")
	w.addPendingShift(1)
	w.emu.ResetCounts()
	w.emu.InjectFault(sheetsemu.Fault{Op: "batchGet", Times: 1, Latency: 1500 * time.Millisecond})
	c := w.cmd("--interval", "300")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 10*time.Second, func() bool { return w.emu.Count("batchGet") > 0 })
	if err := c.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := c.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, w.stdout)
	}
	if !strings.Contains(w.stdout.String(), "Sync cycle #1 completed") || w.shiftRows("1") != 1 {
		t.Errorf("the cycle in hand did not complete:\n%s", w.stdout)
	}
	if !strings.Contains(w.stdout.String(), "Sync worker stopped after 1 cycles") {
		t.Errorf("no final stats:\n%s", w.stdout)
	}
}

func TestSIGTERMWhileIdleExitsAtOnce(t *testing.T) {
	w := newWorker(t, nil)
	w.mustRun("--init-sheets")
	c := w.cmd("--interval", "300")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 10*time.Second, func() bool { return strings.Contains(w.stdout.String(), "completed in") })
	start := time.Now()
	c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err != nil {
		t.Fatalf("exit: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("idle stop took %v", d)
	}
}

// The process is killed after Sheets applied its append but before it could
// mark the row synced. After a restart nothing is lost or duplicated.
func TestKilledBetweenPushAndMarkingSynced(t *testing.T) {
	var (
		mu     sync.Mutex
		victim *os.Process
	)
	w := newWorker(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if !strings.HasSuffix(r.URL.Path, ":append") {
				next.ServeHTTP(rw, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r) // applied in the sheet
			mu.Lock()
			if victim != nil {
				victim.Kill()
				victim.Wait()
				victim = nil
			}
			mu.Unlock()
			rw.WriteHeader(rec.Code)
			rw.Write(rec.Body.Bytes())
		})
	})
	w.mustRun("--init-sheets")
	w.mustRun("--once")
	w.addPendingShift(1)
	c := w.cmd("--once")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	victim = c.Process
	mu.Unlock()
	c.Wait()
	if w.shiftRows("1") != 1 {
		t.Fatalf("append not applied before the kill")
	}
	w.mustRun("--once")
	w.mustRun("--once")
	if n := w.shiftRows("1"); n != 1 {
		t.Errorf("shift 1 in the sheet %d times after restart, want 1", n)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, w.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, _, _ := db.PendingCount(ctx); n != 0 {
		t.Errorf("%d rows still pending", n)
	}
}

// systemd integration: the worker speaks sd_notify on $NOTIFY_SOCKET; the
// test listens on a unixgram socket in a temp dir, as systemd would.
func TestNotifiesSystemdReadyStatusAndWatchdog(t *testing.T) {
	w := newWorker(t, nil)
	w.mustRun("--init-sheets")
	sock := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	msgs := make(chan string, 100)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, _, err := conn.ReadFromUnix(buf)
			if err != nil {
				close(msgs)
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	c := w.cmd("--interval", "300")
	c.Env = append(c.Env, "NOTIFY_SOCKET="+sock, "WATCHDOG_USEC=400000")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	w.addPendingShift(9) // the first cycle pushes it; STATUS then says none are left
	want := map[string]bool{"READY=1": false, "STATUS=Cycle #1 ok": false, "WATCHDOG=1": false}
	deadline := time.After(10 * time.Second)
	for watchdogs := 0; watchdogs < 3; {
		select {
		case m := <-msgs:
			for k := range want {
				if strings.HasPrefix(m, k) {
					want[k] = true
				}
			}
			if strings.HasPrefix(m, "STATUS=Cycle #1 ok") && !strings.Contains(m, "pushed=1") || strings.HasPrefix(m, "STATUS=") && !strings.Contains(m, "pending 0") {
				t.Errorf("STATUS line lacks the pushed row or the pending count: %q", m)
			}
			if m == "WATCHDOG=1" {
				watchdogs++ // fed while idle, not only after cycles
			}
		case <-deadline:
			t.Fatalf("notifications so far: %v\n%s", want, w.stdout)
		}
	}
	c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err != nil {
		t.Fatal(err)
	}
	for k, seen := range want {
		if !seen {
			t.Errorf("never sent %s", k)
		}
	}
}
