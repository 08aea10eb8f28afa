package syncmgr_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"shiftbot/internal/sheets"
	"shiftbot/internal/sheetsemu"
	"shiftbot/internal/store"
	"shiftbot/internal/testutil"
)

func TestPullIsOneRequestAndAnIdleCycleWritesNothing(t *testing.T) {
	h := newHarness(t)
	st := h.cycle()
	if got := h.emu.Count(""); got != 1 || h.emu.Count("batchGet") != 1 {
		t.Fatalf("first cycle made %d requests (%d batchGet), want exactly one batchGet", got, h.emu.Count("batchGet"))
	}
	if st.Pulled == 0 {
		t.Fatal("first pull stored nothing")
	}
	if r, ok := h.local(store.EmployeeSettings, "102"); !ok || r.Values["hourly_wage"] != "17.50" || r.Pending {
		t.Fatalf("employee 102 settings = %+v, %v", r, ok)
	}
	if r, ok := h.local(store.Shifts, "1"); !ok || r.Values[store.ProductField("Model A")] != "500.00" {
		t.Fatalf("shift 1 = %+v, %v", r, ok)
	}

	writes := h.countWrites()
	h.emu.ResetCounts()
	before := h.sheet("Shifts")
	st = h.cycle()
	if got := h.emu.Count(""); got != 1 {
		t.Errorf("idle cycle made %d requests, want 1", got)
	}
	if n := writes(); n != 0 || st.Pulled != 0 || st.Pushed != 0 {
		t.Errorf("idle cycle rewrote %d rows (stats %v), want none", n, st)
	}
	if after := h.sheet("Shifts"); !equalRows(before, after) {
		t.Errorf("idle cycle changed the sheet:\n%v\n%v", before, after)
	}
}

func equalRows(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.Join(a[i], "\x1f") != strings.Join(b[i], "\x1f") {
			return false
		}
	}
	return true
}

func TestPendingEditSurvivesPullAndMergesAdminEditOfAnotherCell(t *testing.T) {
	h := newHarness(t)
	h.cycle()
	// The employee edits total sales in the bot; before the worker pushes,
	// the admin fixes the name in the sheet.
	h.botWrite(store.Shifts, store.Values{"id": "1", "total_sales": "600.00"})
	h.emu.SetTab(sheetID, "Shifts", replaceCell(h.emu.Tab(sheetID, "Shifts"), 1, 3, "Anna K."))

	h.cycle()
	r, _ := h.local(store.Shifts, "1")
	if r.Values["total_sales"] != "600.00" || r.Values["employee_name"] != "Anna K." {
		t.Fatalf("local shift 1 = %v: want both the local edit and the admin's", r.Values)
	}
	if r.Pending {
		t.Error("shift 1 still pending after a successful push")
	}
	row := rowsWithID(h.sheet("Shifts"), "1")[0]
	if row[9] != "600.00" || row[3] != "Anna K." {
		t.Errorf("sheet row 1 = %v: want both edits", row)
	}
}

func TestSameCellChangedOnBothSidesSheetsWinsAndConflictIsRecorded(t *testing.T) {
	h := newHarness(t)
	h.cycle()
	h.botWrite(store.Shifts, store.Values{"id": "2", "total_sales": "1100.00"})
	h.emu.SetTab(sheetID, "Shifts", replaceCell(h.emu.Tab(sheetID, "Shifts"), 2, 9, "1200.00"))
	st := h.cycle()
	if st.Conflicts != 1 {
		t.Fatalf("conflicts = %d, want 1", st.Conflicts)
	}
	r, _ := h.local(store.Shifts, "2")
	if r.Values["total_sales"] != "1200.00" || r.Pending {
		t.Errorf("local = %v pending=%v; want Sheets' value, settled", r.Values, r.Pending)
	}
	entries, err := h.db.LogEntries(context.Background(), "conflict", 10)
	if err != nil || len(entries) != 1 || !strings.Contains(entries[0].Message, "1100.00") || !strings.Contains(entries[0].Message, "1200.00") {
		t.Errorf("conflict log = %+v, %v: want both values kept", entries, err)
	}
}

func replaceCell(rows [][]any, r, c int, v any) [][]any {
	for len(rows[r]) <= c {
		rows[r] = append(rows[r], "")
	}
	rows[r][c] = v
	return rows
}

func TestNewRowsAppendedOnceInKeyOrderAndEditsUpdateOnlyOwnedCells(t *testing.T) {
	h := newHarness(t)
	// The admin keeps notes in a column of their own.
	rows := h.emu.Tab(sheetID, "Shifts")
	rows[0] = append(rows[0], "Admin notes")
	rows[1] = replaceCell(rows, 1, 15, "checked")[1]
	h.emu.SetTab(sheetID, "Shifts", rows)
	h.cycle()

	h.botWrite(store.Shifts, newShift(4, 101))
	h.botWrite(store.Shifts, newShift(3, 101))
	h.botWrite(store.Shifts, store.Values{"id": "1", "total_made": "170.00"})
	h.emu.ResetCounts()
	st := h.cycle()
	if st.Pushed != 3 {
		t.Errorf("pushed %d rows, want 3", st.Pushed)
	}
	// The second read finds where the edited row is right before the write.
	if got := h.emu.Count(""); got != 4 || h.emu.Count("batchGet") != 2 {
		t.Errorf("cycle made %d requests, want 4 (batchGet, batchGet of the key column, batchUpdate, append)", got)
	}
	sheet := h.sheet("Shifts")
	if len(sheet) != 5 || sheet[3][0] != "3" || sheet[4][0] != "4" {
		t.Fatalf("sheet = %v: want new shifts 3 then 4 appended", sheet)
	}
	if sheet[1][14] != "170.00" || sheet[1][15] != "checked" {
		t.Errorf("row 1 = %v: want the edit and the admin's note untouched", sheet[1])
	}
	h.emu.ResetCounts()
	h.cycle()
	if got := h.emu.Count(""); got != 1 || len(h.sheet("Shifts")) != 5 {
		t.Errorf("next cycle: %d requests, %d rows; want 1 and no duplicate", got, len(h.sheet("Shifts")))
	}
}

func TestRetriesQuotaErrorsWithinTheCycle(t *testing.T) {
	h := newHarness(t)
	h.emu.InjectFault(sheetsemu.Fault{Op: "batchGet", Times: 3, Status: 429})
	h.cycle()
	if got := h.emu.Count("batchGet"); got != 4 {
		t.Errorf("batchGet requests = %d, want 4 (three 429s, then success)", got)
	}
	if !strings.Contains(h.logs.String(), "backing off") {
		t.Error("no back-off in the log")
	}
}

func TestServerErrorOnAppendLeavesRowPendingAndNextCycleAppendsOnce(t *testing.T) {
	h := newHarness(t)
	h.cycle()
	h.botWrite(store.Shifts, newShift(3, 101))
	h.emu.InjectFault(sheetsemu.Fault{Op: "append", Times: 1, Status: 500})
	if _, err := h.eng.SyncOnce(context.Background()); err == nil {
		t.Fatal("cycle with a failed append succeeded")
	}
	if h.emu.Count("append") != 1 {
		t.Errorf("append attempts = %d, want 1 (an append is never blindly retried)", h.emu.Count("append"))
	}
	if r, _ := h.local(store.Shifts, "3"); !r.Pending {
		t.Error("shift 3 not pending after a failed push")
	}
	h.cycle()
	if n := len(rowsWithID(h.sheet("Shifts"), "3")); n != 1 {
		t.Errorf("shift 3 in sheet %d times, want 1", n)
	}
}

func TestServerErrorOnBatchUpdateIsRetried(t *testing.T) {
	h := newHarness(t)
	h.cycle()
	h.botWrite(store.Shifts, store.Values{"id": "2", "employee_name": "Boris B."})
	h.emu.InjectFault(sheetsemu.Fault{Op: "batchUpdate", Times: 1, Status: 503})
	h.cycle()
	if got := rowsWithID(h.sheet("Shifts"), "2")[0][3]; got != "Boris B." {
		t.Errorf("name in sheet = %q", got)
	}
}

func TestTimedOutRequestIsRetried(t *testing.T) {
	h := newHarness(t)
	h.client = h.newClient(200 * time.Millisecond)
	h.eng = newEngine(h)
	h.emu.InjectFault(sheetsemu.Fault{Op: "batchGet", Times: 1, Latency: 2 * time.Second})
	h.cycle()
	if got := h.emu.Count("batchGet"); got != 2 {
		t.Errorf("batchGet requests = %d, want 2", got)
	}
}

func TestAppendAppliedButResponseLostIsNotDuplicated(t *testing.T) {
	h := newHarness(t)
	h.cycle()
	h.botWrite(store.Shifts, newShift(3, 101))
	h.emu.InjectFault(sheetsemu.Fault{Op: "append", Times: 1, DropResponse: true})
	if _, err := h.eng.SyncOnce(context.Background()); err == nil {
		t.Fatal("cycle whose append response was lost reported success")
	}
	if n := len(rowsWithID(h.sheet("Shifts"), "3")); n != 1 {
		t.Fatalf("append was not applied by the emulator (%d rows)", n)
	}
	// The employee edits the shift before the next cycle settles it.
	h.botWrite(store.Shifts, store.Values{"id": "3", "total_made": "175.00"})
	st := h.cycle()
	rows := rowsWithID(h.sheet("Shifts"), "3")
	if len(rows) != 1 {
		t.Fatalf("shift 3 in sheet %d times, want 1", len(rows))
	}
	if st.Renumbered != 0 {
		t.Error("our own row was renumbered as if foreign")
	}
	if rows[0][14] != "175.00" {
		t.Errorf("the later edit was not pushed: %v", rows[0])
	}
	if r, _ := h.local(store.Shifts, "3"); r.Pending || r.Sent != nil {
		t.Errorf("shift 3 not settled: pending=%v sent=%v", r.Pending, r.Sent)
	}
}

func TestPendingShiftWhoseIDWasTypedInSheetsIsRenumbered(t *testing.T) {
	h := newHarness(t)
	h.cycle()
	h.botWrite(store.Shifts, newShift(3, 101))
	ctx := context.Background()
	err := h.db.Update(ctx, func(tx *store.Tx) error {
		return tx.PutRow(ctx, store.ActiveBonuses, store.Row{Values: store.Values{"id": "1", "employee_id": "101",
			"bonus_type": "flat", "value": "10.00", "applied": "true", "shift_id": "3"}, Pending: true})
	})
	if err != nil {
		t.Fatal(err)
	}
	// Meanwhile the admin typed a shift with ID 3 for someone else.
	rows := h.emu.Tab(sheetID, "Shifts")
	rows = append(rows, []any{3, "2026/11/27 17:00:00", 102, "Boris", "2026/11/27 09:00:00", "2026/11/27 17:00:00"})
	h.emu.SetTab(sheetID, "Shifts", rows)
	st := h.cycle()
	if st.Renumbered != 1 {
		t.Fatalf("renumbered = %d, want 1", st.Renumbered)
	}
	sheet := h.sheet("Shifts")
	if got := rowsWithID(sheet, "4"); len(got) != 1 || got[0][2] != "101" {
		t.Errorf("our shift should be appended as 4: %v", sheet)
	}
	if got := rowsWithID(sheet, "3"); len(got) != 1 || got[0][2] != "102" {
		t.Errorf("the admin's shift 3 must stay: %v", got)
	}
	if b := rowsWithID(h.sheet("ActiveBonuses"), "1"); len(b) != 1 || b[0][5] != "4" {
		t.Errorf("bonus must follow the renumbered shift: %v", b)
	}
	if !strings.Contains(h.logs.String(), "renumbered to 4") {
		t.Error("no renumber warning in the log")
	}
}

func TestRowDeletedInSheetsIsDeletedLocallyButNeverSyncedRowsStay(t *testing.T) {
	h := newHarness(t)
	h.cycle()
	h.botWrite(store.Shifts, newShift(3, 101))
	h.emu.InjectFault(sheetsemu.Fault{Op: "append", Times: 1, Status: 500})
	h.eng.SyncOnce(context.Background()) // shift 3 stays pending
	rows := h.emu.Tab(sheetID, "Shifts")
	h.emu.SetTab(sheetID, "Shifts", append(rows[:2:2], rows[3:]...)) // admin deletes shift 2
	h.cycle()
	if _, ok := h.local(store.Shifts, "2"); ok {
		t.Error("shift 2 deleted in Sheets still local")
	}
	if _, ok := h.local(store.Shifts, "3"); !ok || len(rowsWithID(h.sheet("Shifts"), "3")) != 1 {
		t.Error("pending shift 3 lost")
	}
}

func TestServiceAccountAuthAgainstLocalTokenEndpoint(t *testing.T) {
	h := newHarness(t)
	keyFile := filepath.Join(t.TempDir(), "sa.json")
	testutil.RequireServiceAccount(t, h.emu, keyFile)

	// Without credentials the emulator refuses.
	if _, err := h.eng.SyncOnce(context.Background()); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("unauthenticated cycle: err = %v, want 401", err)
	}
	c, err := sheets.New(context.Background(), sheets.Config{SpreadsheetID: sheetID, Endpoint: h.url, KeyFile: keyFile, Logger: h.log})
	if err != nil {
		t.Fatal(err)
	}
	h.client = c
	h.eng = newEngine(h)
	h.cycle()
	if strings.Contains(h.logs.String(), "token-from-the-local-endpoint") {
		t.Error("the access token reached the log")
	}
}

// An unchanged spreadsheet is recognised by its response alone; after the
// push wrote to it, the next pull looks again, so an admin who puts the tab
// back exactly as it was before the push is still heard.
func TestAnUnchangedResponseIsSkippedButNotAfterAPush(t *testing.T) {
	h := newHarness(t)
	h.cycle()
	writes := h.countWrites()
	h.cycle()
	h.cycle()
	if n := writes(); n != 0 {
		t.Errorf("unchanged cycles wrote %d rows", n)
	}
	before := h.emu.Tab(sheetID, "Shifts")
	h.botWrite(store.Shifts, newShift(3, 101))
	h.cycle() // appends shift 3
	if len(rowsWithID(h.sheet("Shifts"), "3")) != 1 {
		t.Fatal("append did not land")
	}
	h.emu.SetTab(sheetID, "Shifts", before) // the admin deletes it: the tab byte for byte as before the push
	h.cycle()
	if _, ok := h.local(store.Shifts, "3"); ok {
		t.Error("the admin's deletion was missed: the pull took the tab for unchanged")
	}
}
