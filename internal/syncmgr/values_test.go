package syncmgr_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"shiftbot/internal/hybrid"
	"shiftbot/internal/payroll"
	"shiftbot/internal/store"
)

// What an admin who only knows Google Sheets types: "10%" in Sales
// commission is stored by Sheets as 0.1 with a percent format, and must pay
// 10 %, not 0.1 % (SPEC §2).
func TestPercentagesAndCurrencyAsTypedDecideTheNextShiftsPay(t *testing.T) {
	h := newHarness(t)
	h.cycle()
	h.emu.Type(sheetID, "EmployeeSettings", 2, 2, "10%")       // employee 101, Sales commission
	h.emu.Type(sheetID, "EmployeeSettings", 3, 1, "$1,234.50") // employee 102, Hourly wage
	h.emu.Type(sheetID, "DynamicRates", 3, 2, "3 %")           // 500-999.99
	h.emu.ResetCounts()
	h.cycle()
	if got := h.emu.Count("batchGet"); got != 2 {
		t.Errorf("%d reads, want 2: a changed percent tab is read once more as displayed", got)
	}
	if r, _ := h.local(store.EmployeeSettings, "101"); r.Values[store.SalesCommission] != "10.00" {
		t.Errorf("Sales commission typed 10%% stored as %q, want 10.00", r.Values[store.SalesCommission])
	}
	if r, _ := h.local(store.EmployeeSettings, "102"); r.Values[store.HourlyWage] != "1234.50" {
		t.Errorf("Hourly wage typed $1,234.50 stored as %q, want 1234.50", r.Values[store.HourlyWage])
	}

	svc := hybrid.New(hybrid.Config{Products: products, CommissionRate: decimal.RequireFromString("0.20"), Location: time.UTC})
	finish := func(employee int64, sales string) hybrid.Finished {
		t.Helper()
		var f hybrid.Finished
		ctx := context.Background()
		err := h.db.Update(ctx, func(tx *store.Tx) error {
			var err error
			f, err = svc.FinishShift(ctx, tx, hybrid.NewShift{EmployeeID: employee, EmployeeName: "x",
				ClockIn:  time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC),
				ClockOut: time.Date(2026, 11, 30, 17, 0, 0, 0, time.UTC), Now: time.Date(2026, 11, 30, 17, 5, 0, 0, time.UTC),
				Products: []payroll.ProductSale{{Product: "Model A", Amount: decimal.RequireFromString(sales)}}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	f := finish(101, "600")
	if got := payroll.CommissionBreakdown(f.Result); got != "13.00% (10.0% base + 3.0% dynamic)" {
		t.Errorf("commission = %s, want 13.00%% (10.0%% base + 3.0%% dynamic)", got)
	}
	if got := f.Shift.TotalPerHour.StringFixed(2); got != "120.00" {
		t.Errorf("employee 101 total per hour %s", got)
	}
	if got := finish(102, "100").Shift.TotalPerHour.StringFixed(2); got != "9876.00" {
		t.Errorf("employee 102 total per hour %s, want 8 h × $1,234.50 = 9876.00", got)
	}

	// Nothing changed since: one request, no second read.
	h.emu.ResetCounts()
	h.cycle()
	if got := h.emu.Count("batchGet"); got != 1 {
		t.Errorf("an unchanged cycle read %d times", got)
	}
}

// A rejected row is logged when it starts being rejected, not every cycle;
// and however much is logged, the record of a conflict stays (SPEC §3
// "Records").
func TestRejectedRowsAreLoggedOnceAndConflictRecordsStay(t *testing.T) {
	h := newHarness(t)
	h.cycle()
	// A conflict: the same cell changed on both sides.
	h.botWrite(store.Shifts, store.Values{store.ID: "1", store.TotalMade: "170.00"})
	h.emu.Type(sheetID, "Shifts", 2, colTotalMade, "165.00")
	if st := h.cycle(); st.Conflicts != 1 {
		t.Fatalf("conflicts = %d, want 1", st.Conflicts)
	}
	// 500 rows with a typo, and the admin keeps editing other rows.
	rows := h.emu.Tab(sheetID, "Shifts")
	for i := range 500 {
		rows = append(rows, []any{100 + i, "2026/11/27 17:00:00", 102, "Boris", "yesterday", "2026/11/27 17:00:00"})
	}
	h.emu.SetTab(sheetID, "Shifts", rows)
	for i := range 30 {
		h.emu.Type(sheetID, "Shifts", 3, 3, fmt.Sprint("Boris ", i)) // a real change every cycle
		if st := h.cycle(); st.Rejected != 500 {
			t.Fatalf("cycle %d: rejected = %d, want 500", i, st.Rejected)
		}
	}
	if n := strings.Count(h.logs.String(), "Rejected sheet row"); n != 500 {
		t.Errorf("%d reject lines in the log, want 500 (one per row)", n)
	}
	ctx := context.Background()
	if e, _ := h.db.LogEntries(ctx, store.OpConflict, 10); len(e) != 1 || !strings.Contains(e[0].Message, "170.00") {
		t.Errorf("the conflict record is gone: %v", e)
	}
	// A fixed row is no longer rejected; its problem is resolved.
	h.emu.Type(sheetID, "Shifts", 4, colClockIn, "2026/11/27 09:00:00")
	if st := h.cycle(); st.Rejected != 499 {
		t.Errorf("after fixing one row, rejected = %d, want 499", st.Rejected)
	}
}

// The log is bounded by count, but records of what vanished are kept 90
// days whatever else is logged.
func TestPruningKeepsConflictsDeletionsAndRenumberings(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	now := time.Now()
	err := h.db.Update(ctx, func(tx *store.Tx) error {
		for _, op := range []string{store.OpConflict, store.OpDelete, store.OpRenumber} {
			if err := tx.Log(ctx, store.LogEntry{At: now.Add(-80 * 24 * time.Hour), Tab: "Shifts", Op: op, Message: "kept"}); err != nil {
				return err
			}
		}
		for range store.KeepLog + 50 {
			if err := tx.Log(ctx, store.LogEntry{At: now, Tab: "Shifts", Op: store.OpPull, Message: "noise"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	id, err := h.db.StartRun(ctx, 100, now) // pruning runs every hundredth cycle
	if err != nil {
		t.Fatal(err)
	}
	if err := h.db.FinishRun(ctx, store.Run{ID: id, Cycle: 100, Ended: now, OK: true}); err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{store.OpConflict, store.OpDelete, store.OpRenumber} {
		if e, _ := h.db.LogEntries(ctx, op, 10); len(e) < 1 || e[0].Message != "kept" {
			t.Errorf("%s records after pruning: %v, want the 80-day-old one kept", op, e)
		}
	}
	if e, _ := h.db.LogEntries(ctx, store.OpPull, store.KeepLog+100); len(e) > store.KeepLog {
		t.Errorf("%d pull entries kept, want at most %d", len(e), store.KeepLog)
	}
}

// A product the admin adds to the Products tab is in the catalog after one
// cycle, gets a Shifts column at the end of the header, and a shift with it
// lands in that column (SPEC §11).
func TestAProductAddedInTheSheetGetsItsColumnAndItsShifts(t *testing.T) {
	h := newHarness(t)
	h.cycle()
	h.emu.SetTab(sheetID, "Products", [][]any{{"Product", "Active"}, {"Model A", true}, {"Model B", false}, {"Model C", ""}})
	h.cycle()
	ctx := context.Background()
	cat, _ := h.db.AllRows(ctx, store.ProductCatalog)
	var names []string
	for _, r := range cat {
		names = append(names, r.Values[store.ProductName]+"="+r.Values[store.Active])
	}
	if got := strings.Join(names, ","); got != "Model A=true,Model B=false,Model C=" {
		t.Errorf("catalog = %s", got)
	}
	header := h.sheet("Shifts")[0]
	if header[len(header)-1] != "Model C" || len(header) != len(shiftHeader)+1 {
		t.Fatalf("Shifts header = %v, want Model C added at the end", header)
	}
	v := newShift(3, 101)
	v[store.ProductField("Model C")] = "300.00"
	h.botWrite(store.Shifts, v)
	h.cycle()
	row := rowsWithID(h.sheet("Shifts"), "3")[0]
	if got := row[len(header)-1]; got != "300.00" {
		t.Errorf("Model C cell of shift 3 = %q, want 300.00 (row %v)", got, row)
	}
	// An inactive product keeps its column; the next cycles add nothing.
	h.cycle()
	if again := h.sheet("Shifts")[0]; len(again) != len(header) {
		t.Errorf("header grew again: %v", again)
	}
}
