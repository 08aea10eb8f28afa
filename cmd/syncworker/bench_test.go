package main

import (
	"fmt"
	"os"
	"shiftbot/internal/testutil"
	"strings"
	"syscall"
	"testing"
	"time"
)

var shiftHeader = []any{"ID", "Date", "EmployeeId", "EmployeeName", "Clock in", "Clock out", "Worked hours/shift",
	"Model A", "Model B", "Total sales", "Net sales", "%", "Total per hour", "Commissions", "Total made"}

func bigShifts(n int) [][]any {
	rows := make([][]any, 0, n+1)
	rows = append(rows, shiftHeader)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		// As a sheet fills over two years: ids and dates rise together.
		day := start.AddDate(0, 0, i*730/n).Format("2006/01/02")
		rows = append(rows, []any{i, day + " 17:00:00", 100 + i%20, fmt.Sprintf("Employee %d", i%20),
			day + " 09:00:00", day + " 17:00:00", "8.00",
			"500.00", fmt.Sprintf("%d.00", i%700), fmt.Sprintf("%d.00", 500+i%700), "400.00", "10.00", "120.00", "40.00", "160.00"})
	}
	return rows
}

// maxRSSMB runs the worker and returns its peak RSS. The rusage of wait4
// would not do: Linux carries the parent's high-water mark across the
// vfork+exec os/exec uses, and the parent here holds the emulator's data. So
// the child's own VmHWM is sampled until it exits.
func maxRSSMB(b *testing.B, w *worker, args ...string) float64 {
	c := w.cmd(args...)
	if err := c.Start(); err != nil {
		b.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- c.Wait() }()
	peak := 0.0
	for {
		select {
		case err := <-done:
			if err != nil {
				b.Fatalf("syncworker %v: %v\n%s", args, err, w.stdout)
			}
			return peak
		case <-time.After(2 * time.Millisecond):
			if v, ok := testutil.ProcStatusMB(c.Process.Pid, "VmHWM:"); ok {
				peak = max(peak, v)
			}
		}
	}
}

// BenchmarkOnceRSS50k reports the peak RSS of `syncworker --once` over a
// spreadsheet with 50,000 shifts: the first pull (every row new) and a
// pull with nothing changed.
func BenchmarkOnceRSS50k(b *testing.B) {
	w := newWorker(b, nil)
	w.emu.SetTab(sheetID, "Shifts", bigShifts(50000))
	seedReference(w)
	var first, unchanged float64
	for range b.N {
		os.RemoveAll(w.dir + "/data")
		first = max(first, maxRSSMB(b, w, "--once"))
		unchanged = max(unchanged, maxRSSMB(b, w, "--once"))

	}
	b.ReportMetric(first, "peak-MB-first-pull")
	b.ReportMetric(unchanged, "peak-MB-unchanged")
}

// BenchmarkIdleRSS reports the RSS of a continuous worker waiting between
// cycles on a small spreadsheet.
func BenchmarkIdleRSS(b *testing.B) {
	w := newWorker(b, nil)
	seedReference(w)
	w.emu.SetTab(sheetID, "Shifts", bigShifts(100))
	var rss float64
	for range b.N {
		c := w.cmd("--interval", "300")
		if err := c.Start(); err != nil {
			b.Fatal(err)
		}
		for !strings.Contains(w.stdout.String(), "completed in") {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond)
		v, ok := testutil.ProcStatusMB(c.Process.Pid, "VmRSS:")
		if !ok {
			b.Fatal("no VmRSS")
		}
		rss = max(rss, v)
		c.Process.Signal(syscall.SIGTERM)
		c.Wait()
	}
	b.ReportMetric(rss, "idle-MB")
}

func seedReference(w *worker) {
	w.emu.SetTab(sheetID, "EmployeeSettings", [][]any{{"EmployeeId", "Hourly wage", "Sales commission"}, {101, "15.00", "8.0"}})
	w.emu.SetTab(sheetID, "DynamicRates", [][]any{{"Min Amount", "Max Amount", "Percentage"}, {0, 499.99, 0}})
	w.emu.SetTab(sheetID, "Ranks", [][]any{{"Rank Name", "Min Amount", "Max Amount", "Emoji", "Bonus 1", "Bonus 2", "Bonus 3", "TEXT"}, {"Rookie", 0, 1999.99, "x", "none", "none", "none", ""}})
	w.emu.SetTab(sheetID, "EmployeeRanks", [][]any{{"EmployeeId", "Current Rank", "Previous Rank", "Month", "Year", "Notified", "Last Updated"}})
	w.emu.SetTab(sheetID, "ActiveBonuses", [][]any{{"ID", "EmployeeId", "Bonus Type", "Value", "Applied", "Shift ID", "Created At"}})
}
