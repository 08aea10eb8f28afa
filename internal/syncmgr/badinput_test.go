package syncmgr_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"shiftbot/internal/store"
)

func TestBadSheetInputIsRejectedPerRowAndNothingElseIsLost(t *testing.T) {
	h := newHarness(t)
	h.cycle()
	// The admin reorders the settings columns, adds one of their own, and
	// types an unparsable wage, a blank id and a duplicate id.
	h.emu.SetTab(sheetID, "EmployeeSettings", [][]any{
		{"Sales commission", "Notes", "EmployeeId", "Hourly wage"},
		{"8", "top seller", 101, "fifteen"},
		{"9", "", "", "16"},
		{"10", "", 102, "18"},
		{"11", "", 102, "19"},
		{"8", "new hire", 103, "$1,234.50"},
	})
	// Ranks lost a required header; EmployeeRanks vanished; DynamicRates was
	// emptied by accident.
	h.emu.SetTab(sheetID, "Ranks", [][]any{{"Rank Name", "Min Amount", "Emoji"}, {"Rookie", 0, "x"}})
	h.emu.DeleteTab(sheetID, "EmployeeRanks")
	h.emu.SetTab(sheetID, "DynamicRates", [][]any{{"Min Amount", "Max Amount", "Percentage"}})

	st := h.cycle()
	logs := h.logs.String()
	for _, want := range []string{
		`tab=EmployeeSettings row=2 column="Hourly wage" value=fifteen`,
		`tab=EmployeeSettings row=3 column=EmployeeId`,
		`duplicate key 102 (first at row 4)`,
		`tab Ranks: missing header \"Max Amount\"`,
		`tab missing from the spreadsheet`,
		`tab=EmployeeRanks`,
		`tab is empty but had 4 rows`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if st.Rejected != 3 || st.Skipped != 2 {
		t.Errorf("stats %v: want 3 rejected rows and 2 skipped tabs", st)
	}
	if r, _ := h.local(store.EmployeeSettings, "101"); r.Values["hourly_wage"] != "15.00" {
		t.Errorf("employee 101 lost its previous wage: %v", r.Values)
	}
	if r, _ := h.local(store.EmployeeSettings, "102"); r.Values["hourly_wage"] != "18.00" || r.Values["sales_commission"] != "10.00" {
		t.Errorf("employee 102 = %v, want the first of the duplicates", r.Values)
	}
	if r, ok := h.local(store.EmployeeSettings, "103"); !ok || r.Values["hourly_wage"] != "1234.50" {
		t.Errorf("new employee 103 = %v, %v", r.Values, ok)
	}
	if rows, _ := h.db.AllRows(context.Background(), store.DynamicRates); len(rows) != 4 {
		t.Errorf("dynamic rates = %d rows, want the 4 kept", len(rows))
	}
	if _, ok := h.local(store.Ranks, "Hustler"); !ok {
		t.Error("ranks wiped although the tab was skipped")
	}

	// A bot edit of employee 102 goes to the right cell despite the column
	// order, and leaves the admin's column alone.
	h.botWrite(store.EmployeeSettings, store.Values{"employee_id": "102", "sales_commission": "12.00"})
	h.cycle()
	got := h.sheet("EmployeeSettings")
	if got[3][0] != "12.00" || got[3][3] != "18" || got[1][1] != "top seller" {
		t.Errorf("sheet after push = %v\n%s", got, h.logs)
	}
}

// A bot-like writer inserts pending shifts through its own database handle
// (as the other process does) while the worker runs 100 cycles.
func TestConcurrentWriterThrough100Cycles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 100 cycles; skipped with -short")
	}
	h := newHarness(t)
	h.cycle()
	bot := h.openDB(h.db.Path())
	ctx := context.Background()
	var (
		stop    atomic.Bool
		written atomic.Int64
		wg      sync.WaitGroup
		errs    = make(chan error, 1)
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		// About as fast as 20 busy employees could ever finish shifts.
		for !stop.Load() && written.Load() < 500 {
			time.Sleep(time.Millisecond)
			err := bot.Update(ctx, func(tx *store.Tx) error {
				var max int
				if err := tx.QueryRow(ctx, "SELECT coalesce(max(id), 0) FROM shifts").Scan(&max); err != nil {
					return err
				}
				return tx.PutRow(ctx, store.Shifts, store.Row{Values: newShift(max+1, 101), Pending: true})
			})
			if err != nil {
				errs <- err
				return
			}
			written.Add(1)
		}
	}()
	for i := range 100 {
		if _, err := h.eng.SyncOnce(ctx); err != nil {
			stop.Store(true)
			t.Fatalf("cycle %d: %v", i+1, err)
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatalf("bot writer: %v", err)
	}
	h.cycle()
	if strings.Contains(h.logs.String(), "locked") {
		t.Error("a lock error reached the log")
	}
	sheet := h.sheet("Shifts")
	n := written.Load()
	seen := map[string]int{}
	for _, r := range sheet[1:] {
		seen[r[0]]++
	}
	for id := 3; id <= int(n)+2; id++ {
		if c := seen[fmt.Sprint(id)]; c != 1 {
			t.Fatalf("shift %d is in the sheet %d times, want 1 (of %d written)", id, c, n)
		}
	}
	if len(sheet)-1 != int(n)+2 {
		t.Errorf("sheet has %d shifts, want %d", len(sheet)-1, n+2)
	}
	t.Logf("%d shifts written during 100 cycles", n)
}
