package bot_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"shiftbot/internal/sheets"
	"shiftbot/internal/sheetsemu"
	"shiftbot/internal/store"
	"shiftbot/internal/syncmgr"
	"shiftbot/internal/telegramfake"
	"shiftbot/internal/testutil"
)

const sheetID = "sheet-1"

// worker is the sync worker beside the bot: its own handle on the same
// database file, the real Sheets client talking HTTP to the emulator of a
// spreadsheet made by --init-sheets.
type worker struct {
	t   testing.TB
	emu *sheetsemu.Server
	eng *syncmgr.Engine
}

func newWorker(t testing.TB, e *env) *worker {
	t.Helper()
	emu := sheetsemu.New()
	emu.AddSpreadsheet(sheetID, "Shift tracking")
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	client, err := sheets.New(context.Background(), sheets.Config{SpreadsheetID: sheetID, Endpoint: srv.URL + "/",
		KeyFile: filepath.Join(t.TempDir(), "absent.json"), Timeout: 10 * time.Second, Logger: e.log, BackoffUnit: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	tabs := syncmgr.Tabs("Shifts", products)
	if err := syncmgr.InitSheets(context.Background(), client, tabs, e.log); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), e.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &worker{t: t, emu: emu, eng: syncmgr.NewEngine(db, client, tabs, e.log)}
}

func (w *worker) cycle() {
	w.t.Helper()
	if _, err := w.eng.SyncOnce(context.Background()); err != nil {
		w.t.Fatalf("sync cycle: %v", err)
	}
}

// sheetRow returns the row of tab whose column named keyCol is key, as a
// map from header to cell.
func (w *worker) sheetRows(tab string) []map[string]string {
	rows := w.emu.TabStrings(sheetID, tab)
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			if i < len(r) {
				m[h] = r[i]
			}
		}
		out = append(out, m)
	}
	return out
}

// plain is money as the sheet holds it: "1,500.00" is shown, 1500.00 stored.
func plain(shown string) string { return strings.ReplaceAll(shown, ",", "") }

// earnedNow is the Total made a rank message announces, as the sheet holds it.
func earnedNow(text string) string {
	_, after, _ := strings.Cut(text, "Earned is now $")
	return plain(strings.TrimSuffix(after, "."))
}

// The worker pushes what the bot wrote: the sheet holds exactly the values
// the user was shown, and the flat rank-up bonus on top of Earned as the
// rank message said.
func TestSyncPushesWhatTheUserWasShown(t *testing.T) {
	e := newEnv(t, notPulled) // draws Hustler's flat_10
	w := newWorker(t, e)
	w.cycle() // the first pull: settings, rates, ranks

	sum := e.createShift(anna, "Today", "9 AM", "5 PM", "Model A", "1500", "Model C", "999.99")
	rank := e.last(anna)
	w.cycle()

	shifts := w.sheetRows("Shifts")
	if len(shifts) != 1 {
		t.Fatalf("sheet shifts: %v", shifts)
	}
	got := shifts[0]
	for col, label := range map[string]string{
		"ID": "📋 ID", "Date": "📅 Date", "EmployeeName": "👤 Employee", "Clock in": "Start", "Clock out": "End",
		"Worked hours/shift": "Worked hours", "Model A": "Model A", "Model C": "Model C", "Total sales": "Total sales",
		"Net sales": "Net sales", "Total per hour": "Total per hour", "Commissions": "Commissions",
	} {
		if want := plain(field(sum.Text, label)); got[col] != want || want == "" {
			t.Errorf("sheet %s = %q, the user was shown %s = %q", col, got[col], label, want)
		}
	}
	if pct := field(sum.Text, "Commission %"); !strings.HasPrefix(pct, got["%"]+"% (") {
		t.Errorf("sheet %% = %q, shown %q", got["%"], pct)
	}
	if got["EmployeeId"] != "1001" || got["Model B"] != "" {
		t.Errorf("sheet row %v", got)
	}
	if want := earnedNow(rank.Text); got["Total made"] != want {
		t.Errorf("sheet Total made %q, the rank message said %q", got["Total made"], want)
	}
	if earned := plain(field(sum.Text, "Earned")); earned == got["Total made"] {
		t.Errorf("the flat bonus is missing from the sheet: %s", earned)
	}
	want := map[string][]map[string]string{
		"EmployeeSettings": {{"EmployeeId": "1001", "Hourly wage": "15.00", "Sales commission": "8.00"}},
		"EmployeeRanks":    {{"EmployeeId": "1001", "Current Rank": "Hustler", "Previous Rank": "Rookie", "Month": "11", "Year": "2026", "Notified": "true"}},
		"ActiveBonuses":    {{"ID": "1", "EmployeeId": "1001", "Bonus Type": "flat_immediate", "Value": "10.00", "Applied": "true", "Shift ID": "1"}},
	}
	for tab, rows := range want {
		have := w.sheetRows(tab)
		if len(have) != len(rows) {
			t.Errorf("%s: %v", tab, have)
			continue
		}
		for k, v := range rows[0] {
			if have[0][k] != v {
				t.Errorf("%s %s = %q, want %q", tab, k, have[0][k], v)
			}
		}
	}

	// An edit travels the same way, with the rank-up to Closer it causes
	// and that rank's flat bonus.
	e.pressOn(anna, sum.ID, "🏠 Main menu")
	e.press(anna, "Edit shift")
	e.press(anna, "ID 1 • 2026/11/28 17:05:09")
	e.press(anna, "Total sales")
	e.say(anna, "4,000")
	upd := e.lastWith(anna, "Updated")
	rank = e.lastWith(anna, "You are now Closer")
	w.cycle()
	got = w.sheetRows("Shifts")[0]
	for col, label := range map[string]string{"Total sales": "Total sales", "Net sales": "Net sales", "Commissions": "Commissions", "Model A": "Model A"} {
		if want := plain(field(upd.Text, label)); got[col] != want {
			t.Errorf("after the edit: sheet %s = %q, shown %q", col, got[col], want)
		}
	}
	if want := earnedNow(rank.Text); got["Total made"] != want {
		t.Errorf("after the edit: sheet Total made %q, the rank message said %q", got["Total made"], want)
	}
	if n, _, _ := e.db.PendingCount(t.Context()); n != 0 {
		t.Errorf("%d rows still pending after the push", n)
	}
}

// Twenty users create shifts at once while sync cycles run: no lock errors,
// no shift lost or duplicated, locally or in the sheet.
func TestTwentyUsersAtOnceWhileSyncing(t *testing.T) {
	e := newEnv(t, notPulled)
	w := newWorker(t, e)
	w.cycle()

	stop := make(chan struct{})
	var cycles int
	var syncErr error
	var wgSync sync.WaitGroup
	wgSync.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := w.eng.SyncOnce(context.Background()); err != nil && syncErr == nil {
				syncErr = err
			}
			cycles++
			time.Sleep(5 * time.Millisecond)
		}
	})

	const users, each = 20, 3
	var wg sync.WaitGroup
	errs := make(chan error, users)
	for i := range users {
		u := telegramfake.User{ID: int64(2000 + i), FirstName: fmt.Sprint("User", i), Username: fmt.Sprint("user", i)}
		wg.Go(func() {
			for n := range each {
				if err := testutil.CreateShift(e.fake, u, fmt.Sprint(100+10*n+i)); err != nil {
					errs <- fmt.Errorf("user %d shift %d: %w", u.ID, n, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	close(stop)
	wgSync.Wait()
	if syncErr != nil {
		t.Fatalf("sync cycle failed: %v", syncErr)
	}
	w.cycle()
	if t.Failed() {
		t.FailNow()
	}

	logs := e.logs.String()
	for _, bad := range []string{"locked", "Cannot handle update", "level=ERROR"} {
		if strings.Contains(logs, bad) {
			t.Errorf("log contains %q", bad)
		}
	}
	rows, err := e.db.AllRows(t.Context(), store.Shifts)
	if err != nil {
		t.Fatal(err)
	}
	perUser := map[string]int{}
	for _, r := range rows {
		perUser[r.Values["employee_id"]]++
	}
	if len(rows) != users*each || len(perUser) != users {
		t.Fatalf("%d shifts for %d users, want %d for %d", len(rows), len(perUser), users*each, users)
	}
	for u, n := range perUser {
		if n != each {
			t.Errorf("user %s has %d shifts", u, n)
		}
	}
	var ids []string
	for _, r := range w.sheetRows("Shifts") {
		ids = append(ids, r["ID"])
	}
	slices.Sort(ids)
	if len(ids) != users*each || len(slices.Compact(ids)) != users*each {
		t.Fatalf("sheet has %d shift rows (%d distinct IDs), want %d", len(w.sheetRows("Shifts")), len(ids), users*each)
	}
	t.Logf("%d sync cycles ran during the conversations", cycles)
}
