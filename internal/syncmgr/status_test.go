package syncmgr_test

import (
	"bufio"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"shiftbot/internal/store"
	"shiftbot/internal/syncmgr"
)

// kv parses WriteKV's output, failing on a line that is not key=value.
func kv(t *testing.T, h syncmgr.Health) map[string]string {
	t.Helper()
	var b strings.Builder
	h.WriteKV(&b)
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok || k == "" {
			t.Fatalf("line %q is not key=value", sc.Text())
		}
		if _, dup := out[k]; dup {
			t.Fatalf("key %s twice", k)
		}
		out[k] = v
	}
	return out
}

func TestHealthNamesSkippedTabsHeldAppendsAndStalePendingRows(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "reference_data.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	interval := 300 * time.Second
	read := func() syncmgr.Health {
		t.Helper()
		h, err := syncmgr.ReadHealth(ctx, db, interval, now)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}

	if h := read(); h.State != syncmgr.StateCritical || kv(t, h)["last_success_at"] != "" {
		t.Errorf("before any cycle: %s %v, want critical with no last success", h.State, h.Reasons)
	}
	id, err := db.StartRun(ctx, 41, now.Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.FinishRun(ctx, store.Run{ID: id, Cycle: 41, Ended: now.Add(-time.Minute + time.Second), OK: true}); err != nil {
		t.Fatal(err)
	}
	h := read()
	if h.State != syncmgr.StateOK || !h.Healthy() {
		t.Fatalf("after a recent success: %s %v, want ok", h.State, h.Reasons)
	}
	if m := kv(t, h); m["last_success_age_seconds"] != "59" || m["last_cycle"] != "41" || m["last_cycle_state"] != "ok" || m["format"] != "1" {
		t.Errorf("kv after a success: %v", m)
	}

	// A skipped tab and held appends: warning, naming each tab.
	err = db.Update(ctx, func(tx *store.Tx) error {
		if _, _, err := tx.SetProblems(ctx, store.ProblemSkippedTab, "Shifts", []store.Problem{{Message: `missing header "Clock in"`}}, now); err != nil {
			return err
		}
		_, _, err := tx.SetProblems(ctx, store.ProblemHeldAppends, "ActiveBonuses", []store.Problem{{Message: "emptied"}}, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	h = read()
	m := kv(t, h)
	if h.State != syncmgr.StateWarning || m["skipped_tabs"] != "Shifts" || m["held_tabs"] != "ActiveBonuses" || m["healthy"] != "false" {
		t.Errorf("skipped and held: %s, kv %v", h.State, m)
	}
	if !strings.Contains(m["reasons"], "tab Shifts is skipped") || !strings.Contains(m["reasons"], "--accept-empty ActiveBonuses") {
		t.Errorf("reasons do not name the tabs: %q", m["reasons"])
	}

	// The tab is fixed: the problem is resolved, health is back.
	err = db.Update(ctx, func(tx *store.Tx) error {
		_, resolved, err := tx.SetProblems(ctx, store.ProblemSkippedTab, "Shifts", nil, now)
		if len(resolved) != 1 {
			t.Errorf("resolved %v, want the Shifts problem", resolved)
		}
		if err == nil {
			_, _, err = tx.SetProblems(ctx, store.ProblemHeldAppends, "ActiveBonuses", nil, now)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if h := read(); h.State != syncmgr.StateOK {
		t.Errorf("after the fixes: %s %v", h.State, h.Reasons)
	}

	// A row pending for an hour is a warning; for two days, critical.
	err = db.Update(ctx, func(tx *store.Tx) error {
		return tx.PutRow(ctx, store.EmployeeSettings, store.Row{Pending: true,
			Values: store.Values{"employee_id": "7", "hourly_wage": "15.00", "sales_commission": "8.00"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if h := read(); h.State != syncmgr.StateCritical {
		t.Errorf("last success an hour ago: %s, want critical", h.State)
	}
	// A success just now, the row still pending for an hour.
	id, _ = db.StartRun(ctx, 42, now.Add(-time.Second))
	if err := db.FinishRun(ctx, store.Run{ID: id, Cycle: 42, Ended: now, OK: true}); err != nil {
		t.Fatal(err)
	}
	h = read()
	if m := kv(t, h); h.State != syncmgr.StateWarning || m["pending_rows"] != "1" || m["oldest_pending_age_seconds"] < "3500" {
		t.Errorf("a row pending an hour: %s %v", h.State, m)
	}
	now = now.Add(48 * time.Hour)
	id, _ = db.StartRun(ctx, 43, now.Add(-time.Second))
	if err := db.FinishRun(ctx, store.Run{ID: id, Cycle: 43, Ended: now, OK: true}); err != nil {
		t.Fatal(err)
	}
	if h := read(); h.State != syncmgr.StateCritical || !strings.Contains(strings.Join(h.Reasons, ";"), "over a day") {
		t.Errorf("a row pending two days: %s %v, want critical", h.State, h.Reasons)
	}
}
