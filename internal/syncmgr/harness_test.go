package syncmgr_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"shiftbot/internal/sheets"
	"shiftbot/internal/sheetsemu"
	"shiftbot/internal/store"
	"shiftbot/internal/syncmgr"
	"shiftbot/internal/testutil"
)

const sheetID = "sheet-1"

var products = []string{"Model A", "Model B"}

// harness is one worker: a real SQLite file, the real Sheets client talking
// HTTP to the emulator on loopback.
type harness struct {
	t      testing.TB
	emu    *sheetsemu.Server
	url    string
	db     *store.DB
	client *sheets.Client
	eng    *syncmgr.Engine
	logs   *testutil.Buffer
	log    *slog.Logger
	tabs   []syncmgr.Tab
}

var shiftHeader = []any{"ID", "Date", "EmployeeId", "EmployeeName", "Clock in", "Clock out", "Worked hours/shift",
	"Model A", "Model B", "Total sales", "Net sales", "%", "Total per hour", "Commissions", "Total made"}

// seedSheets lays out a spreadsheet as an admin would have it.
func seedSheets(emu *sheetsemu.Server) {
	emu.AddSpreadsheet(sheetID, "Shift tracking")
	emu.SetTab(sheetID, "EmployeeSettings", [][]any{
		{"EmployeeId", "Hourly wage", "Sales commission"},
		{101, "15.00", "8.0"},
		{102, 17.5, 10},
	})
	emu.SetTab(sheetID, "DynamicRates", [][]any{
		{"Min Amount", "Max Amount", "Percentage"},
		{0, 499.99, 0}, {500, 999.99, 2}, {1000, 1999.99, 4}, {2000, 999999, 6},
	})
	emu.SetTab(sheetID, "Ranks", [][]any{
		{"Rank Name", "Min Amount", "Max Amount", "Emoji", "Bonus 1", "Bonus 2", "Bonus 3", "TEXT"},
		{"Rookie", 0, 1999.99, "🧑‍🚀", "none", "none", "none", "Keep pushing!"},
		{"Hustler", 2000, 3999.99, "💪", "flat_10", "percent_next_1", "percent_prev_1", ""},
	})
	emu.SetTab(sheetID, "Shifts", [][]any{
		shiftHeader,
		{1, "2026/11/01 17:00:00", 101, "Anna", "2026/11/01 09:00:00", "2026/11/01 17:00:00", "8.00", "500.00", "", "500.00", "400.00", "10.00", "120.00", "40.00", "160.00"},
		{2, "2026/11/02 18:00:00", 102, "Boris", "2026/11/02 10:00:00", "2026/11/02 18:00:00", "8.00", "", "1000.00", "1000.00", "800.00", "14.00", "140.00", "112.00", "252.00"},
	})
	emu.SetTab(sheetID, "EmployeeRanks", [][]any{
		{"EmployeeId", "Current Rank", "Previous Rank", "Month", "Year", "Notified", "Last Updated"},
	})
	emu.SetTab(sheetID, "ActiveBonuses", [][]any{
		{"ID", "EmployeeId", "Bonus Type", "Value", "Applied", "Shift ID", "Created At"},
	})
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	emu := sheetsemu.New()
	seedSheets(emu)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	h := &harness{t: t, emu: emu, url: srv.URL + "/", logs: &testutil.Buffer{}}
	h.log = slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.tabs = syncmgr.Tabs("Shifts", products)
	h.client = h.newClient(5 * time.Second)
	h.db = h.openDB(filepath.Join(t.TempDir(), "reference_data.db"))
	h.eng = syncmgr.NewEngine(h.db, h.client, h.tabs, h.log)
	return h
}

func (h *harness) newClient(timeout time.Duration) *sheets.Client {
	h.t.Helper()
	c, err := sheets.New(context.Background(), sheets.Config{SpreadsheetID: sheetID, Endpoint: h.url,
		KeyFile: filepath.Join(h.t.TempDir(), "absent.json"), Timeout: timeout, Logger: h.log, BackoffUnit: 5 * time.Millisecond})
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

func (h *harness) openDB(path string) *store.DB {
	h.t.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { db.Close() })
	return db
}

// cycle runs one cycle that must succeed.
func (h *harness) cycle() syncmgr.Stats {
	h.t.Helper()
	st, err := h.eng.SyncOnce(context.Background())
	if err != nil {
		h.t.Fatalf("sync cycle: %v\nlogs:\n%s", err, h.logs)
	}
	return st
}

// sheet returns a tab as the admin sees it.
func (h *harness) sheet(tab string) [][]string { return h.emu.TabStrings(sheetID, tab) }

// local reads one row of the database.
func (h *harness) local(t store.Table, key string) (store.Row, bool) {
	h.t.Helper()
	var r store.Row
	var ok bool
	err := h.db.Update(context.Background(), func(tx *store.Tx) error {
		var err error
		r, ok, err = tx.GetRow(context.Background(), t, key)
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return r, ok
}

// botWrite stands in for the bot: a local write left pending for the worker.
func (h *harness) botWrite(t store.Table, v store.Values) {
	h.t.Helper()
	err := h.db.Update(context.Background(), func(tx *store.Tx) error {
		cur, _, err := tx.GetRow(context.Background(), t, t.KeyOf(v))
		if err != nil {
			return err
		}
		if cur.Values == nil {
			cur.Values = store.Values{}
		}
		for k, s := range v {
			cur.Values[k] = s
		}
		cur.Pending = true
		return tx.PutRow(context.Background(), t, cur)
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

// newShift is a finished shift as the bot writes it.
func newShift(id int, employee int) store.Values {
	return store.Values{
		"id": fmt.Sprint(id), "date": "2026/11/28 17:00:00", "employee_id": fmt.Sprint(employee), "employee_name": "Anna",
		"clock_in": fmt.Sprintf("2026/11/28 %02d:00:00", 9+id%8), "clock_out": "2026/11/28 17:00:00", "worked_hours": "8.00",
		store.ProductField("Model A"): "500.00", "total_sales": "500.00", "net_sales": "400.00",
		"commission_pct": "10.00", "total_per_hour": "120.00", "commissions": "40.00", "total_made": "160.00",
	}
}

// rowsWithID returns the sheet rows of tab whose first cell is id.
func rowsWithID(rows [][]string, id string) [][]string {
	var out [][]string
	for _, r := range rows[1:] {
		if len(r) > 0 && r[0] == id {
			out = append(out, r)
		}
	}
	return out
}

// countWrites installs triggers counting every row write to the synced
// tables, so a test can prove a cycle rewrote nothing.
func (h *harness) countWrites() func() int {
	h.t.Helper()
	ctx := context.Background()
	err := h.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "CREATE TABLE test_writes (tab TEXT)"); err != nil {
			return err
		}
		for _, t := range store.Synced {
			for _, op := range []string{"INSERT", "UPDATE", "DELETE"} {
				q := fmt.Sprintf("CREATE TRIGGER test_%s_%s AFTER %s ON %s BEGIN INSERT INTO test_writes VALUES ('%s'); END",
					t.Name, strings.ToLower(op), op, t.Name, t.Name)
				if _, err := tx.Exec(ctx, q); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return func() int {
		var n int
		if err := h.db.Read().QueryRow("SELECT count(*) FROM test_writes").Scan(&n); err != nil {
			h.t.Fatal(err)
		}
		return n
	}
}

func newEngine(h *harness) *syncmgr.Engine { return syncmgr.NewEngine(h.db, h.client, h.tabs, h.log) }

// fakeNow is a clock the engine judges write ages by, moved by the test.
type fakeNow struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *fakeNow) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *fakeNow) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// withClock gives the harness's engine a clock the test moves.
func (h *harness) withClock() *fakeNow {
	c := &fakeNow{}
	h.eng.SetClock(c.now)
	return c
}

// nextShift is a new shift as the bot allocates it: an id from the store's
// high-water mark, pending for the worker.
func (h *harness) nextShift(employee int) string {
	h.t.Helper()
	ctx := context.Background()
	var id string
	err := h.db.Update(ctx, func(tx *store.Tx) error {
		n, err := tx.NextID(ctx, store.Shifts)
		if err != nil {
			return err
		}
		v := newShift(int(n), employee)
		id = v[store.ID]
		return tx.PutRow(ctx, store.Shifts, store.Row{Values: v, Pending: true})
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

// byID maps a tab's data rows (as the admin sees them) by their first cell,
// failing on a duplicate.
func byID(t testing.TB, rows [][]string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, r := range rows[1:] {
		if len(r) == 0 || r[0] == "" {
			continue
		}
		if _, dup := out[r[0]]; dup {
			t.Fatalf("id %s twice in the sheet:\n%v", r[0], rows)
		}
		out[r[0]] = r
	}
	return out
}

func readHealth(h *harness) (syncmgr.Health, error) {
	return syncmgr.ReadHealth(context.Background(), h.db, 300*time.Second, time.Now())
}

func acceptEmpty(h *harness, tab string) error {
	return syncmgr.AcceptEmpty(context.Background(), h.db, h.tabs, tab)
}
