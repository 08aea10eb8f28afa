package syncmgr_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"testing"

	"shiftbot/internal/sheets"
	"shiftbot/internal/sheetsemu"
	"shiftbot/internal/store"
	"shiftbot/internal/syncmgr"
	"shiftbot/internal/testutil"
)

// pythonLayout is a spreadsheet as the Python version (v2.1.0, gspread,
// valueInputOption RAW) and months of hand edits left it (SPEC §10): numbers
// and ids stored as text ("15.00", "8.0", "1003"), numbers typed by the admin,
// a decimal comma, "$20.00", empty product cells, true/false as text and as
// checkboxes, blank rows in the middle and at the end, a Shifts tab whose
// product columns follow PRODUCTS, admin columns (Name, Comment, Notes, Paid)
// and a row holding only an admin's note.
const pythonLayout = "testdata/python_layout.json"

const pythonSheetID = "python-v2"

var pythonProducts = []string{"Model A", "Model B", "Model C", "Model D"}

// pythonTabs are the tabs of the fixture, in order.
var pythonTabs = []string{"EmployeeSettings", "DynamicRates", "Ranks", "Shifts", "EmployeeRanks", "ActiveBonuses"}

// newPythonHarness is a worker with a fresh database in front of the
// Python-layout spreadsheet.
func newPythonHarness(t *testing.T) *harness {
	t.Helper()
	emu, err := sheetsemu.Load(pythonLayout)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	h := &harness{t: t, emu: emu, url: srv.URL + "/", logs: &testutil.Buffer{}}
	h.log = slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.tabs = syncmgr.Tabs("Shifts", pythonProducts)
	c, err := sheets.New(context.Background(), sheets.Config{SpreadsheetID: pythonSheetID, Endpoint: h.url,
		KeyFile: filepath.Join(t.TempDir(), "absent.json"), Logger: h.log})
	if err != nil {
		t.Fatal(err)
	}
	h.client = c
	h.db = h.openDB(filepath.Join(t.TempDir(), "reference_data.db"))
	h.eng = syncmgr.NewEngine(h.db, h.client, h.tabs, h.log)
	return h
}

// wholeSheet is every tab's typed cells (strings, numbers, bools; nil for
// empty), as the admin's spreadsheet holds them.
func wholeSheet(emu *sheetsemu.Server, id string) map[string][][]any {
	out := map[string][][]any{}
	for _, tab := range emu.Tabs(id) {
		out[tab] = emu.Tab(id, tab)
	}
	return out
}

// TestPythonLayoutFullPullRejectsNothingAndWritesNothing: the first pull of
// a spreadsheet the Python version left takes every row, reads each quirk
// as the Python version meant it, and sends Sheets nothing but one read.
func TestPythonLayoutFullPullRejectsNothingAndWritesNothing(t *testing.T) {
	h := newPythonHarness(t)
	before := wholeSheet(h.emu, pythonSheetID)
	if len(before) != len(pythonTabs) {
		t.Fatalf("fixture tabs: %v", h.emu.Tabs(pythonSheetID))
	}

	st := h.cycle()
	if st.Rejected != 0 || st.Skipped != 0 || st.Pushed != 0 || st.Conflicts != 0 || st.Renumbered != 0 {
		t.Fatalf("first pull: %v\nlogs:\n%s", st, h.logs)
	}
	// 4 settings + 4 rates + 6 ranks + 5 shifts + 5 rank records + 4 bonuses
	if st.Pulled != 28 || st.Requests != 1 {
		t.Errorf("first pull: %v; want 28 rows taken in one request", st)
	}
	if got := h.emu.Count("batchUpdate") + h.emu.Count("append") + h.emu.Count("update") + h.emu.Count("clear"); got != 0 {
		t.Errorf("%d writes to Sheets during a pull", got)
	}
	if after := wholeSheet(h.emu, pythonSheetID); !reflect.DeepEqual(after, before) {
		t.Errorf("the pull changed the spreadsheet:\nbefore %v\nafter  %v", before, after)
	}
	if rejects, err := h.db.LogEntries(context.Background(), "reject", 10); err != nil || len(rejects) != 0 {
		t.Errorf("sync_log rejects: %v, %v", rejects, err)
	}

	// Each quirk read as meant.
	want := []struct {
		table  store.Table
		key    string
		values store.Values
	}{
		{store.EmployeeSettings, "1001", store.Values{"employee_id": "1001", "hourly_wage": "15.00", "sales_commission": "8.00"}},
		{store.EmployeeSettings, "120962578", store.Values{"employee_id": "120962578", "hourly_wage": "17.50", "sales_commission": "10.00"}},
		{store.EmployeeSettings, "1003", store.Values{"employee_id": "1003", "hourly_wage": "18.00", "sales_commission": "9.50"}},
		{store.EmployeeSettings, "1004", store.Values{"employee_id": "1004", "hourly_wage": "20.00", "sales_commission": "8.00"}},
		{store.DynamicRates, "3", store.Values{"pos": "3", "min_amount": "1000.00", "max_amount": "1999.99", "percentage": "4.00"}},
		{store.DynamicRates, "4", store.Values{"pos": "4", "min_amount": "2000.00", "max_amount": "999999.00", "percentage": "6.00"}},
		{store.Ranks, "Hustler", store.Values{"rank_name": "Hustler", "min_amount": "2000.00", "max_amount": "3999.99", "emoji": "💪",
			"bonus_1": "flat_10", "bonus_2": "percent_next_1", "bonus_3": "percent_prev_1"}},
		{store.Shifts, "3", store.Values{"id": "3", "date": "2026/11/05 16:00:00", "employee_id": "1003", "employee_name": "Olga",
			"clock_in": "2026/11/05 08:00:00", "clock_out": "2026/11/05 14:30:00", "worked_hours": "6.50",
			store.ProductField("Model A"): "200.00", store.ProductField("Model B"): "300.00", "total_sales": "500.00",
			"net_sales": "400.00", "commission_pct": "11.50", "total_per_hour": "117.00", "commissions": "46.00", "total_made": "163.00"}},
		{store.Shifts, "4", store.Values{"id": "4", "date": "2026/11/10 21:00:00", "employee_id": "1001", "employee_name": "Anna",
			"clock_in": "2026/11/10 12:00:00", "clock_out": "2026/11/10 20:00:00", "worked_hours": "8.00",
			store.ProductField("Model C"): "250.50", "total_sales": "250.50", "net_sales": "200.40", "commission_pct": "8.00",
			"total_per_hour": "120.00", "commissions": "16.03", "total_made": "136.03"}},
		{store.EmployeeRanks, "1003|2026|10", store.Values{"employee_id": "1003", "year": "2026", "month": "10",
			"current_rank": "Hustler", "previous_rank": "Rookie", "notified": "true", "last_updated": "2026/10/30 20:00:00"}},
		{store.EmployeeRanks, "1003|2026|11", store.Values{"employee_id": "1003", "year": "2026", "month": "11",
			"current_rank": "Rookie", "previous_rank": "Rookie", "notified": "false", "last_updated": "2026/11/05 16:00:00"}},
		{store.EmployeeRanks, "1004|2026|11", store.Values{"employee_id": "1004", "year": "2026", "month": "11",
			"current_rank": "Rookie", "previous_rank": "Rookie", "notified": "false", "last_updated": "2026/11/20 18:00:00"}},
		{store.ActiveBonuses, "1", store.Values{"id": "1", "employee_id": "1003", "bonus_type": "flat_immediate", "value": "10.00",
			"applied": "true", "created_at": "2026/10/30 20:00:00"}},
		{store.ActiveBonuses, "3", store.Values{"id": "3", "employee_id": "1001", "bonus_type": "percent_next", "value": "2.00",
			"applied": "false", "created_at": "2026/11/12 09:00:00"}},
	}
	for _, w := range want {
		r, ok := h.local(w.table, w.key)
		if !ok {
			t.Errorf("%s %s: not pulled", w.table.Name, w.key)
			continue
		}
		if !reflect.DeepEqual(r.Values, w.values) || r.Pending {
			t.Errorf("%s %s = %v (pending %t)\nwant %v", w.table.Name, w.key, r.Values, r.Pending, w.values)
		}
	}
	for _, c := range []struct {
		table store.Table
		n     int
	}{{store.EmployeeSettings, 4}, {store.DynamicRates, 4}, {store.Ranks, 6}, {store.Shifts, 5}, {store.EmployeeRanks, 5}, {store.ActiveBonuses, 4}} {
		rows, err := h.db.AllRows(context.Background(), c.table)
		if err != nil || len(rows) != c.n {
			t.Errorf("%s: %d rows (%v), want %d", c.table.Name, len(rows), err, c.n)
		}
	}

	// A second cycle reads once and rewrites nothing.
	writes := h.countWrites()
	if st := h.cycle(); st.Pulled != 0 || st.Requests != 1 || st.Rejected != 0 {
		t.Errorf("second cycle: %v", st)
	}
	if n := writes(); n != 0 {
		t.Errorf("second cycle wrote %d local rows", n)
	}
	if after := wholeSheet(h.emu, pythonSheetID); !reflect.DeepEqual(after, before) {
		t.Error("the second cycle changed the spreadsheet")
	}
}

// A row holding nothing but an admin's note, or only spaces, in the columns
// the worker reads is not a row of the table: not a rejection, and in a
// key-less tab it does not hold back the whole table.
func TestRowsWithOnlyAdminNotesAreSkipped(t *testing.T) {
	h := newPythonHarness(t)
	h.emu.SetTab(pythonSheetID, "DynamicRates", [][]any{
		{"Min Amount", "Max Amount", "Percentage", "Comment"},
		{"0", "999999", "3"},
		{" ", "", " ", "spaces only"},
		{nil, nil, nil, "a note below the table"},
	})
	h.emu.SetTab(pythonSheetID, "EmployeeSettings", [][]any{
		{"Name", "EmployeeId", "Hourly wage", "Sales commission"},
		{"Anna", "1001", "15.00", "8.0"},
		{"(vacancy)", "", "", ""},
	})
	if st := h.cycle(); st.Rejected != 0 {
		t.Fatalf("%v\n%s", st, h.logs)
	}
	if r, ok := h.local(store.DynamicRates, "1"); !ok || r.Values["percentage"] != "3.00" {
		t.Errorf("DynamicRates not applied: %v", r.Values)
	}
	if rows, _ := h.db.AllRows(context.Background(), store.DynamicRates); len(rows) != 1 {
		t.Errorf("DynamicRates: %d rows, want 1", len(rows))
	}
	// A row whose key is missing but whose other cells are filled is still
	// a rejection: that is data, not a note.
	h.emu.SetTab(pythonSheetID, "EmployeeSettings", [][]any{
		{"EmployeeId", "Hourly wage", "Sales commission"},
		{"1001", "15.00", "8.0"},
		{"", "16.00", ""},
	})
	if st := h.cycle(); st.Rejected != 1 {
		t.Errorf("a keyless data row: %v, want 1 rejected", st)
	}
}
