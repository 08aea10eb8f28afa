package main

import (
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"shiftbot/internal/testutil"
)

func TestASecondWorkerOnTheSameDatabaseExits2NamingTheFirst(t *testing.T) {
	w := newWorker(t, nil)
	w.mustRun("--init-sheets")
	first := w.cmd("--interval", "300")
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { first.Process.Kill(); first.Wait() }()
	testutil.WaitFor(t, 10*time.Second, func() bool { return strings.Contains(w.stdout.String(), "completed in") })

	w.stdout.Reset()
	if code := w.run("--once"); code != 2 {
		t.Fatalf("second worker exited %d, want 2:\n%s", code, w.stdout)
	}
	if want := "process " + strconv.Itoa(first.Process.Pid) + " is already syncing"; !strings.Contains(w.stdout.String(), want) {
		t.Errorf("the refusal does not name the first worker (%q):\n%s", want, w.stdout)
	}
	// Reading the status needs no lock.
	w.stdout.Reset()
	if code := w.run("--status"); code != 0 {
		t.Errorf("--status beside a running worker exited %d:\n%s", code, w.stdout)
	}

	// The lock dies with the process: a crash leaves nothing to clean up.
	first.Process.Kill()
	first.Wait()
	w.mustRun("--once")
}

func TestAcceptEmptyDeletesTheLocalRowsAndAppendsPendingOnes(t *testing.T) {
	w := newWorker(t, nil)
	w.mustRun("--init-sheets")
	w.emu.SetTab(sheetID, "Shifts", append(w.emu.Tab(sheetID, "Shifts"),
		[]any{1, "2026/11/27 17:00:00", 101, "Anna", "2026/11/27 09:00:00", "2026/11/27 17:00:00"}))
	w.mustRun("--once")
	w.emu.SetTab(sheetID, "Shifts", w.emu.Tab(sheetID, "Shifts")[:1]) // emptied
	w.addPendingShift(2)
	w.mustRun("--once")
	if w.shiftRows("2") != 0 {
		t.Fatal("appended into the emptied tab")
	}
	w.stdout.Reset()
	if code := w.run("--status", "--format=kv"); code != 1 || !strings.Contains(w.stdout.String(), "\nheld_tabs=Shifts\n") {
		t.Errorf("--status with appends held exited %d:\n%s", code, w.stdout)
	}

	if code := w.run("--accept-empty", "Nope"); code != 2 {
		t.Errorf("--accept-empty of an unknown tab exited %d, want 2", code)
	}
	w.mustRun("--accept-empty", "Shifts")
	w.mustRun("--once")
	if w.shiftRows("1") != 0 || w.shiftRows("2") != 1 {
		t.Errorf("after --accept-empty: %v", w.emu.TabStrings(sheetID, "Shifts"))
	}
	w.stdout.Reset()
	if code := w.run("--status", "--format=kv"); code != 0 {
		t.Errorf("--status after --accept-empty exited %d:\n%s", code, w.stdout)
	}
}

func TestARenamedHeaderWithAPendingShiftIsUnhealthy(t *testing.T) {
	w := newWorker(t, nil)
	w.mustRun("--init-sheets")
	w.mustRun("--once")
	rows := w.emu.Tab(sheetID, "Shifts")
	rows[0][4] = "Start" // was "Clock in"
	w.emu.SetTab(sheetID, "Shifts", rows)
	w.addPendingShift(5)
	w.mustRun("--once")
	w.stdout.Reset()
	if code := w.run("--status"); code != 1 || !strings.Contains(w.stdout.String(), "tab Shifts is skipped") {
		t.Errorf("--status exited %d, want 1 naming Shifts:\n%s", code, w.stdout)
	}
}

func TestWithoutPromptPushTheDaemonKeepsCycling(t *testing.T) {
	w := newWorker(t, nil)
	w.mustRun("--init-sheets")
	c := w.cmd("--interval", "1", "--push-delay", "0")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(15 * time.Second) // the issue's own measure: real seconds of a real daemon
	c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, w.stdout)
	}
	if n := strings.Count(w.stdout.String(), "completed in"); n < 8 {
		t.Errorf("%d cycles in 15 s at --interval 1 --push-delay 0, want at least 8:\n%s", n, w.stdout)
	}
}
