package bot_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"shiftbot/internal/sheets"
	"shiftbot/internal/sheetsemu"
	"shiftbot/internal/store"
	"shiftbot/internal/syncmgr"
)

// The spreadsheet as the Python version (v2.1.0) and the admin left it; see
// internal/syncmgr/python_layout_test.go for what it holds.
const (
	pythonLayout  = "../syncmgr/testdata/python_layout.json"
	pythonSheetID = "python-v2"
)

// allTabs is every tab's typed cells (nil for empty), in the emulator's
// order: the whole spreadsheet as the admin sees it.
func allTabs(emu *sheetsemu.Server) map[string][][]any {
	out := map[string][][]any{}
	for _, tab := range emu.Tabs(pythonSheetID) {
		out[tab] = emu.Tab(pythonSheetID, tab)
	}
	return out
}

func cloneTabs(in map[string][][]any) map[string][][]any {
	out := make(map[string][][]any, len(in))
	for tab, rows := range in {
		for _, r := range rows {
			out[tab] = append(out[tab], append(make([]any, 0, len(r)), r...))
		}
	}
	return out
}

// TestPythonLayoutBotShiftsChangeOnlyTheirRows: the Go port takes over a
// spreadsheet the Python version left. Its first pull rejects nothing; two
// employees then finish shifts through the real bot conversation (one
// consuming a bonus the admin granted by hand, one new employee), and the
// push changes exactly the rows the bot created or edited: every other cell
// of every tab, the headers, the admin's columns and the row order stay as
// they were.
func TestPythonLayoutBotShiftsChangeOnlyTheirRows(t *testing.T) {
	e := newEnv(t, notPulled) // 2026/11/28 17:05:09, New York
	emu, err := sheetsemu.Load(pythonLayout)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	client, err := sheets.New(context.Background(), sheets.Config{SpreadsheetID: pythonSheetID, Endpoint: srv.URL + "/",
		KeyFile: filepath.Join(t.TempDir(), "absent.json"), Timeout: 10 * time.Second, Logger: e.log, BackoffUnit: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	wdb, err := store.Open(context.Background(), e.db.Path()) // the worker's own handle
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wdb.Close() })
	eng := syncmgr.NewEngine(wdb, client, syncmgr.Tabs("Shifts", products), e.log)
	cycle := func() syncmgr.Stats {
		t.Helper()
		st, err := eng.SyncOnce(context.Background())
		if err != nil {
			t.Fatalf("sync cycle: %v\nlogs:\n%s", err, e.logs)
		}
		if st.Rejected != 0 || st.Skipped != 0 || st.Conflicts != 0 || st.Renumbered != 0 {
			t.Fatalf("sync cycle: %v\nlogs:\n%s", st, e.logs)
		}
		return st
	}

	before := allTabs(emu)
	if st := cycle(); st.Pulled != 28 || st.Pushed != 0 {
		t.Fatalf("first pull: %v", st)
	}
	if !reflect.DeepEqual(allTabs(emu), before) {
		t.Fatal("the first pull changed the spreadsheet")
	}

	// Anna (1001) has settings typed as text ("15.00", "8.0"), this month's
	// rank record, and a percent_next bonus of 2 the admin typed in with a
	// checkbox. 300 on Model B: 0% dynamic + 8% base + 2% bonus = 10%.
	sum := e.createShift(anna, "Today", "9 AM", "5 PM", "Model B", "300")
	if got := field(sum.Text, "📋 ID"); got != "6" {
		t.Errorf("Anna's shift ID %q, want 6 (the sheet has 1 to 5)", got)
	}
	if got := field(sum.Text, "Earned"); got != "144.00" {
		t.Errorf("Anna earned %q, want 144.00 (120 for 8 h + 10%% of 240 net):\n%s", got, sum.Text)
	}
	// Boris (1002) is new: a default settings row and his first rank record.
	e.createShift(boris, "Today", "10 AM", "4 PM", "Model A", "400")
	if strings.Contains(e.transcript(anna)+e.transcript(boris), "Claim") {
		t.Errorf("no rank change was due:\n%s\n%s", e.transcript(anna), e.transcript(boris))
	}

	// 2 shifts, Anna's bonus, Boris's settings and rank record.
	if st := cycle(); st.Pushed != 5 {
		t.Errorf("push: %v, want 5 rows", st)
	}
	after := allTabs(emu)

	want := cloneTabs(before)
	// Appended below the last row, in the columns the bot owns; the
	// admin's Notes and Paid stay empty.
	want["Shifts"] = append(want["Shifts"],
		[]any{6.0, "2026/11/28 17:05:09", 1001.0, "anna", "2026/11/28 09:00:00", "2026/11/28 17:00:00", "8.00",
			nil, "300.00", nil, nil, "300.00", "240.00", "10.00", "120.00", "24.00", "144.00"},
		[]any{7.0, "2026/11/28 17:05:09", 1002.0, "Boris B", "2026/11/28 10:00:00", "2026/11/28 16:00:00", "6.00",
			"400.00", nil, nil, nil, "400.00", "320.00", "8.00", "90.00", "25.60", "115.60"},
	)
	// Edited in place: the two cells that changed, nothing else of the row.
	bonus := want["ActiveBonuses"][3]
	if bonus[0] != 3.0 {
		t.Fatalf("fixture: ActiveBonuses row 4 is %v", bonus)
	}
	bonus[4], bonus[5] = "true", 6.0
	want["EmployeeSettings"] = append(want["EmployeeSettings"], []any{1002.0, "15.00", "8.00"})
	want["EmployeeRanks"] = append(want["EmployeeRanks"],
		[]any{1002.0, "Rookie", "Rookie", 11.0, 2026.0, "true", "2026/11/28 17:05:09"})

	if !reflect.DeepEqual(after, want) {
		for _, tab := range emu.Tabs(pythonSheetID) {
			if !reflect.DeepEqual(after[tab], want[tab]) {
				t.Errorf("tab %s after the push:\n%s\nwant:\n%s", tab, dump(after[tab]), dump(want[tab]))
			}
		}
	}

	// Nothing left to do: the next cycle reads once and writes nothing.
	emu.ResetCounts()
	if st := cycle(); st.Pulled != 0 || st.Pushed != 0 || st.Requests != 1 {
		t.Errorf("third cycle: %v", st)
	}
	if n, _, _ := e.db.PendingCount(context.Background()); n != 0 {
		t.Errorf("%d rows still pending", n)
	}
	if !reflect.DeepEqual(allTabs(emu), after) {
		t.Error("the third cycle changed the spreadsheet")
	}
}

func dump(rows [][]any) string {
	var b strings.Builder
	for i, r := range rows {
		fmt.Fprintf(&b, "  %2d %#v\n", i+1, r)
	}
	return b.String()
}
