package syncmgr_test

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"shiftbot/internal/sheetsemu"
	"shiftbot/internal/store"
)

// Columns of the harness's Shifts tab.
const (
	colDate      = 1
	colClockIn   = 4
	colClockOut  = 5
	colTotalMade = 14
)

// sixShifts lays out shifts 1-6 of two employees, dated out of order so that
// sorting by Date moves every row.
func sixShifts(h *harness) {
	rows := [][]any{shiftHeader}
	for id, day := range []int{0, 5, 2, 6, 1, 4, 3} {
		if id == 0 {
			continue
		}
		d := fmt.Sprintf("2026/11/%02d", 10+day)
		rows = append(rows, []any{id, d + " 17:00:00", 101 + id%2, "Anna", d + " 09:00:00", d + " 17:00:00", "8.00",
			"500.00", "", "500.00", "400.00", "10.00", "120.00", "40.00", fmt.Sprintf("%d.00", 160+id)})
	}
	h.emu.SetTab(sheetID, "Shifts", rows)
}

// without returns the rows of m except id.
func without(m map[string][]string, id string) map[string][]string {
	out := maps.Clone(m)
	delete(out, id)
	return out
}

func TestEditFollowsItsRowWhenTheAdminInsertsARowDuringARetry(t *testing.T) {
	h := newHarness(t)
	sixShifts(h)
	h.cycle()
	before := byID(t, h.sheet("Shifts"))

	h.botWrite(store.Shifts, store.Values{store.ID: "4", store.TotalMade: "999.00"})
	// Google answers 503; before the retry the admin inserts a row above
	// and types a note in it.
	h.emu.InjectFault(sheetsemu.Fault{Op: "batchUpdate", Status: 503, Before: func() {
		h.emu.InsertRows(sheetID, "Shifts", 2, 1)
		h.emu.Type(sheetID, "Shifts", 2, 3, "week 46")
	}})
	h.cycle()
	// The retry looked again where shift 4 is: right at once, nothing to
	// repair.
	if got := byID(t, h.sheet("Shifts"))["4"][colTotalMade]; got != "999.00" {
		t.Errorf("after the retry shift 4 Total made = %q, want 999.00", got)
	}
	if st := h.cycle(); st.Repaired != 0 {
		t.Errorf("the next cycle repaired %d rows: the retry wrote to the wrong row", st.Repaired)
	}

	after := byID(t, h.sheet("Shifts"))
	if got := after["4"][colTotalMade]; got != "999.00" {
		t.Errorf("shift 4 Total made = %q, want the employee's 999.00", got)
	}
	if !reflect.DeepEqual(without(after, "4"), without(before, "4")) {
		t.Errorf("other rows changed:\nbefore %v\nafter  %v", without(before, "4"), without(after, "4"))
	}
	if r, _ := h.local(store.Shifts, "4"); r.Pending || r.Values[store.TotalMade] != "999.00" {
		t.Errorf("local shift 4: pending=%v %v", r.Pending, r.Values)
	}
}

func TestEditWrittenWhileTheAdminSortsIsRepairedByTheNextCycle(t *testing.T) {
	h := newHarness(t)
	sixShifts(h)
	h.cycle()
	before := byID(t, h.sheet("Shifts"))

	h.botWrite(store.Shifts, store.Values{store.ID: "4", store.ClockOut: "2026/11/16 18:00:00", store.WorkedHours: "9.00",
		store.TotalMade: "999.00"})
	// The request is in flight when the admin sorts the tab by Date: Google
	// applies it to the row numbers it names, now another shift's.
	h.emu.InjectFault(sheetsemu.Fault{Op: "batchUpdate", Before: func() {
		h.emu.SortRows(sheetID, "Shifts", 2, colDate, false)
	}})
	h.cycle()
	if mid := byID(t, h.sheet("Shifts")); reflect.DeepEqual(without(mid, "4"), without(before, "4")) {
		t.Fatal("the write did not land on another row: the test does not test anything")
	}

	st := h.cycle()
	after := byID(t, h.sheet("Shifts"))
	if got := after["4"]; got[colClockOut] != "2026/11/16 18:00:00" || got[colTotalMade] != "999.00" {
		t.Errorf("shift 4 = %v, want the employee's edit", got)
	}
	if !reflect.DeepEqual(without(after, "4"), without(before, "4")) {
		t.Errorf("other rows not restored:\nbefore %v\nafter  %v", without(before, "4"), without(after, "4"))
	}
	if st.Repaired == 0 || !strings.Contains(h.logs.String(), "rows moved under it") || !strings.Contains(h.logs.String(), "landed elsewhere") {
		t.Errorf("repair not logged (stats %v):\n%s", st, h.logs)
	}
	// Settled: a further cycle changes nothing.
	h.cycle()
	if again := byID(t, h.sheet("Shifts")); !reflect.DeepEqual(again, after) {
		t.Errorf("the sheet changed again:\n%v\n%v", after, again)
	}
	for id, row := range before {
		r, _ := h.local(store.Shifts, id)
		if id != "4" && (r.Pending || r.Values[store.TotalMade] != row[colTotalMade]) {
			t.Errorf("local shift %s: pending=%v total made %q, want %q", id, r.Pending, r.Values[store.TotalMade], row[colTotalMade])
		}
	}
}

func TestLostAppendResponseThenTheAdminCorrectsClockIn(t *testing.T) {
	h := newHarness(t)
	h.cycle()
	id := h.nextShift(101)
	h.emu.InjectFault(sheetsemu.Fault{Op: "append", DropResponse: true})
	if _, err := h.eng.SyncOnce(context.Background()); err == nil {
		t.Fatal("cycle whose append response was lost reported success")
	}
	// Before the next cycle the admin fixes the Clock in of the new row.
	sheet := h.sheet("Shifts")
	for i, r := range sheet {
		if r[0] == id {
			h.emu.Type(sheetID, "Shifts", i+1, colClockIn, "2026/11/28 08:00:00")
		}
	}
	st := h.cycle()
	h.cycle()
	rows := rowsWithID(h.sheet("Shifts"), id)
	if len(rows) != 1 || st.Renumbered != 0 {
		t.Fatalf("shift %s in the sheet %d times (renumbered %d), want once", id, len(rows), st.Renumbered)
	}
	if rows[0][colClockIn] != "2026/11/28 08:00:00" {
		t.Errorf("sheet Clock in = %q, want the admin's", rows[0][colClockIn])
	}
	all, _ := h.db.AllRows(context.Background(), store.Shifts)
	if len(all) != 3 {
		t.Errorf("%d local shifts, want 3", len(all))
	}
	if r, _ := h.local(store.Shifts, id); r.Values[store.ClockIn] != "2026/11/28 08:00:00" || r.Pending {
		t.Errorf("local shift: pending=%v clock in %q, want the admin's", r.Pending, r.Values[store.ClockIn])
	}
}

func TestAppendAppliedLateIsNeverSentAgain(t *testing.T) {
	h := newHarness(t)
	h.client = h.newClient(300 * time.Millisecond)
	h.eng = newEngine(h)
	clock := h.withClock()
	h.cycle()
	id := h.nextShift(101)
	hold := make(chan struct{})
	h.emu.InjectFault(sheetsemu.Fault{Op: "append", Hold: hold})
	if _, err := h.eng.SyncOnce(context.Background()); err == nil {
		t.Fatal("cycle whose append timed out reported success")
	}
	// Cycles while Google may still apply it: the row is not sent again.
	for range 3 {
		clock.advance(10 * time.Second)
		h.cycle()
	}
	if h.emu.Count("append") != 1 {
		t.Fatalf("append sent %d times while the first may still land", h.emu.Count("append"))
	}
	// Google applies it 40 s after the client gave up.
	clock.advance(10 * time.Second)
	close(hold)
	waitFor(t, func() bool { return len(rowsWithID(h.sheet("Shifts"), id)) == 1 })
	h.cycle()
	clock.advance(10 * time.Minute)
	h.cycle()
	h.cycle()
	if n := len(rowsWithID(h.sheet("Shifts"), id)); n != 1 {
		t.Errorf("shift %s in the sheet %d times, want once", id, n)
	}
	if r, _ := h.local(store.Shifts, id); r.Pending || r.Sent != nil || r.Base == nil {
		t.Errorf("shift %s not settled: pending=%v sent=%v", id, r.Pending, r.Sent)
	}
}

func TestAnAppendThatLandsTwiceIsRemovedOnce(t *testing.T) {
	h := newHarness(t)
	h.cycle()
	id := h.nextShift(101)
	h.cycle()
	// A copy of our row appears (an append applied twice): same id, same
	// values.
	rows := h.emu.Tab(sheetID, "Shifts")
	rows = append(rows, rows[len(rows)-1])
	h.emu.SetTab(sheetID, "Shifts", rows)
	st := h.cycle()
	if st.Removed != 1 || len(rowsWithID(h.sheet("Shifts"), id)) != 1 {
		t.Fatalf("removed %d, rows with id %s: %d; want the copy removed", st.Removed, id, len(rowsWithID(h.sheet("Shifts"), id)))
	}
	if len(h.sheet("Shifts")) != 4 {
		t.Errorf("sheet = %v, want the header and three shifts", h.sheet("Shifts"))
	}
	if !strings.Contains(h.logs.String(), "extra copy of our own row") {
		t.Error("removal not logged")
	}
}

func TestAnUpdateAppliedLateAfterANewerOneDoesNotWin(t *testing.T) {
	h := newHarness(t)
	h.client = h.newClient(200 * time.Millisecond)
	h.eng = newEngine(h)
	h.withClock()
	h.cycle()

	h.botWrite(store.Shifts, store.Values{store.ID: "1", store.TotalMade: "170.00"})
	hold := make(chan struct{})
	h.emu.InjectFault(sheetsemu.Fault{Op: "batchUpdate", Times: 4, Hold: hold}) // the first try and its retries
	if _, err := h.eng.SyncOnce(context.Background()); err == nil {
		t.Fatal("cycle whose update timed out reported success")
	}
	h.botWrite(store.Shifts, store.Values{store.ID: "1", store.TotalMade: "180.00"})
	h.cycle() // the newer edit reaches the sheet
	if got := rowsWithID(h.sheet("Shifts"), "1")[0][colTotalMade]; got != "180.00" {
		t.Fatalf("newer edit not in the sheet: %q", got)
	}
	close(hold) // now Google applies the old request
	waitFor(t, func() bool { return rowsWithID(h.sheet("Shifts"), "1")[0][colTotalMade] == "170.00" })

	h.cycle()
	if got := rowsWithID(h.sheet("Shifts"), "1")[0][colTotalMade]; got != "180.00" {
		t.Errorf("sheet Total made = %q, want the newest edit 180.00", got)
	}
	if r, _ := h.local(store.Shifts, "1"); r.Values[store.TotalMade] != "180.00" || r.Pending {
		t.Errorf("local: pending=%v total made %q, want 180.00", r.Pending, r.Values[store.TotalMade])
	}
	if !strings.Contains(h.logs.String(), "Google applied late") {
		t.Errorf("stale write not logged:\n%s", h.logs)
	}
}

func TestIDsAreNeverReused(t *testing.T) {
	h := newHarness(t)
	// An admin's row with a typo holds id 42.
	rows := h.emu.Tab(sheetID, "Shifts")
	rows = append(rows, []any{42, "2026/11/27 17:00:00", 102, "Boris", "yesterday", "2026/11/27 17:00:00"})
	h.emu.SetTab(sheetID, "Shifts", rows)
	h.cycle()
	if id := h.nextShift(101); id != "43" {
		t.Errorf("new shift id %s, want 43 (42 belongs to the admin's row)", id)
	}
	h.cycle()
	// The admin fixes the typo: both shifts stay, each once.
	h.emu.Type(sheetID, "Shifts", 4, colClockIn, "2026/11/27 09:00:00")
	h.cycle()
	sheet := byID(t, h.sheet("Shifts"))
	if sheet["42"] == nil || sheet["43"] == nil || sheet["42"][2] != "102" || sheet["43"][2] != "101" {
		t.Errorf("sheet = %v, want the admin's 42 and our 43", sheet)
	}
	if _, ok := h.local(store.Shifts, "42"); !ok {
		t.Error("the fixed row 42 is not local")
	}

	// The newest shift is deleted in the sheet; the next one does not get
	// its id again.
	all := h.emu.Tab(sheetID, "Shifts")
	h.emu.SetTab(sheetID, "Shifts", all[:len(all)-1])
	h.cycle()
	if _, ok := h.local(store.Shifts, "43"); ok {
		t.Fatal("shift 43 deleted in the sheet is still local")
	}
	if id := h.nextShift(101); id != "44" {
		t.Errorf("new shift id %s after deleting 43, want 44", id)
	}
}

func TestARejectedRowOwningAPendingShiftsIDMovesTheShift(t *testing.T) {
	h := newHarness(t)
	h.cycle()
	id := h.nextShift(101) // 3, not yet pushed
	// Meanwhile the admin types a row with id 3 and a typo.
	rows := h.emu.Tab(sheetID, "Shifts")
	rows = append(rows, []any{3, "2026/11/27 17:00:00", 102, "Boris", "yesterday", "2026/11/27 17:00:00"})
	h.emu.SetTab(sheetID, "Shifts", rows)
	st := h.cycle()
	if st.Renumbered != 1 {
		t.Fatalf("renumbered %d, want our shift %s moved off the admin's id", st.Renumbered, id)
	}
	h.emu.Type(sheetID, "Shifts", 4, colClockIn, "2026/11/27 09:00:00")
	h.cycle()
	sheet := byID(t, h.sheet("Shifts"))
	if sheet["3"][2] != "102" || sheet["4"][2] != "101" {
		t.Errorf("sheet = %v, want the admin's 3 and our shift as 4", sheet)
	}
}

func TestATotalRowUnderTheTableDoesNotBlockDeletions(t *testing.T) {
	h := newHarness(t)
	rows := h.emu.Tab(sheetID, "Shifts")
	total := make([]any, len(shiftHeader))
	total[3], total[9], total[14] = "TOTAL", "1500.00", "412.00"
	h.emu.SetTab(sheetID, "Shifts", append(rows, []any{}, total))
	if st := h.cycle(); st.Rejected != 0 {
		t.Errorf("rejected %d rows: a TOTAL line is not a shift", st.Rejected)
	}
	// The admin deletes shift 2; the TOTAL line stays.
	rows = h.emu.Tab(sheetID, "Shifts")
	h.emu.SetTab(sheetID, "Shifts", append(rows[:2:2], rows[3:]...))
	h.cycle()
	if _, ok := h.local(store.Shifts, "2"); ok {
		t.Error("shift 2 deleted by the admin is still local: the TOTAL row blocked deletions")
	}
}

func TestAHugeIDRejectsOnlyItsRow(t *testing.T) {
	h := newHarness(t)
	rows := h.emu.Tab(sheetID, "Shifts")
	h.emu.SetTab(sheetID, "Shifts", append(rows,
		[]any{"12345678901234567890", "2026/11/27 17:00:00", 102, "Boris", "2026/11/27 09:00:00", "2026/11/27 17:00:00"},
		[]any{3, "2026/11/27 17:00:00", 102, "Boris", "2026/11/27 09:00:00", "2026/11/27 17:00:00"}))
	h.emu.SetTab(sheetID, "EmployeeSettings", [][]any{
		{"EmployeeId", "Hourly wage", "Sales commission"}, {101, "15.00", "8.0"}, {"98765432109876543210", 15, 8}, {103, 17.5, 10},
	})
	st := h.cycle()
	if st.Rejected != 2 {
		t.Errorf("rejected %d rows, want the two with 20-digit ids", st.Rejected)
	}
	if !strings.Contains(h.logs.String(), "out of range") {
		t.Error("the reject does not say the number is out of range")
	}
	if _, ok := h.local(store.EmployeeSettings, "103"); !ok {
		t.Error("the other settings rows were not taken")
	}
	if _, ok := h.local(store.Shifts, "3"); !ok {
		t.Error("the other shifts were not taken")
	}
}

func TestAnEmptiedTabHoldsAppendsUntilTheOperatorAcceptsIt(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.cycle()
	h.emu.SetTab(sheetID, "Shifts", [][]any{shiftHeader}) // cleared by accident
	id := h.nextShift(101)
	h.cycle()
	h.cycle()
	if all, _ := h.db.AllRows(ctx, store.Shifts); len(all) != 3 {
		t.Errorf("%d local shifts, want all 3 kept", len(all))
	}
	if n := len(h.sheet("Shifts")); n != 1 {
		t.Errorf("appended into the emptied tab: %v", h.sheet("Shifts"))
	}
	health, err := readHealth(h)
	if err != nil || strings.Join(health.HeldTabs, ",") != "Shifts" || health.Healthy() {
		t.Errorf("health = %v %v, want appends to Shifts held", health.HeldTabs, err)
	}

	if err := acceptEmpty(h, "Shifts"); err != nil {
		t.Fatal(err)
	}
	h.cycle()
	sheet := byID(t, h.sheet("Shifts"))
	if len(sheet) != 1 || sheet[id] == nil {
		t.Errorf("sheet = %v, want only the pending shift %s", sheet, id)
	}
	for _, gone := range []string{"1", "2"} {
		if _, ok := h.local(store.Shifts, gone); ok {
			t.Errorf("shift %s still local after --accept-empty", gone)
		}
	}
	if health, _ := readHealth(h); len(health.HeldTabs) != 0 {
		t.Errorf("appends still held: %v", health.HeldTabs)
	}
	if entries, _ := h.db.LogEntries(ctx, store.OpDelete, 10); len(entries) != 2 || !strings.Contains(entries[0].Message, "accept") {
		t.Errorf("deletions not recorded: %v", entries)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
