package hybrid_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"shiftbot/internal/hybrid"
	"shiftbot/internal/hybrid/hybridtest"
	"shiftbot/internal/payroll"
	"shiftbot/internal/store"
)

var ny = mustLoc("America/New_York")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// fixedRand always draws the same position.
type fixedRand int

func (f fixedRand) IntN(n int) int { return int(f) % n }

const anna, boris = 1001, 1002

func at(s string) time.Time {
	t, err := time.ParseInLocation(hybrid.DateTimeLayout, s, ny)
	if err != nil {
		panic(err)
	}
	return t
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

type env struct {
	t   *testing.T
	db  *store.DB
	svc *hybrid.Service
}

// newEnv opens a real database file and, if pulled, fills it as the
// worker's first pull of the default spreadsheet would.
func newEnv(t *testing.T, pulled bool, draw int) *env {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "reference_data.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{t: t, db: db, svc: hybrid.New(hybrid.Config{
		Products: []string{"Model A", "Model B", "Model C"}, CommissionRate: d("0.20"), Location: ny, Rand: fixedRand(draw),
	})}
	if pulled {
		hybridtest.SeedPulled(t, db)
	}
	return e
}

func (e *env) update(fn func(ctx context.Context, tx *store.Tx) error) {
	e.t.Helper()
	if err := e.db.Update(context.Background(), func(tx *store.Tx) error { return fn(context.Background(), tx) }); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) row(t store.Table, key string) store.Row {
	e.t.Helper()
	var r store.Row
	e.update(func(ctx context.Context, tx *store.Tx) error {
		var ok bool
		var err error
		r, ok, err = tx.GetRow(ctx, t, key)
		if err == nil && !ok {
			err = fmt.Errorf("%s row %s missing", t.Name, key)
		}
		return err
	})
	return r
}

// synced writes a row as the worker's pull would leave it.
func (e *env) synced(t store.Table, v store.Values) {
	e.t.Helper()
	e.update(func(ctx context.Context, tx *store.Tx) error { return hybridtest.Synced(ctx, tx, t, v) })
}

func (e *env) finish(in hybrid.NewShift) hybrid.Finished {
	e.t.Helper()
	var f hybrid.Finished
	e.update(func(ctx context.Context, tx *store.Tx) error {
		var err error
		f, err = e.svc.FinishShift(ctx, tx, in)
		return err
	})
	return f
}

func shift(emp int64, in, out, now string, sales ...string) hybrid.NewShift {
	s := hybrid.NewShift{EmployeeID: emp, EmployeeName: fmt.Sprint("user", emp), ClockIn: at(in), ClockOut: at(out), Now: at(now)}
	for i := 0; i+1 < len(sales); i += 2 {
		s.Products = append(s.Products, payroll.ProductSale{Product: sales[i], Amount: d(sales[i+1])})
	}
	return s
}

func wantValues(t *testing.T, what string, got store.Values, want store.Values) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %q, want %q (row %v)", what, k, got[k], v, got)
		}
	}
}

// SPEC §6's example, for an employee the sheet does not know yet.
func TestFinishShiftPricesSpecExampleAndWritesPendingRows(t *testing.T) {
	e := newEnv(t, true, 0)
	e.synced(store.Shifts, store.Values{store.ID: "41", store.Date: "2026/10/01 17:00:00", store.EmployeeID: "7", store.ClockIn: "2026/10/01 09:00:00",
		store.ClockOut: "2026/10/01 17:00:00", store.TotalSales: "1.00", store.TotalMade: "1.00"})
	f := e.finish(shift(anna, "2026/11/28 09:00:00", "2026/11/28 17:00:00", "2026/11/28 17:05:09", "Model A", "500"))

	if f.Shift.ID != 42 {
		t.Errorf("ID = %d, want 42 (max + 1)", f.Shift.ID)
	}
	if f.Rank != nil {
		t.Errorf("first Rookie record must be silent, got %+v", f.Rank)
	}
	if got := payroll.CommissionBreakdown(f.Result); got != "10.00% (8.0% base + 2.0% dynamic)" {
		t.Errorf("breakdown %q", got)
	}
	row := e.row(store.Shifts, "42")
	if !row.Pending || row.Base != nil {
		t.Errorf("new shift must be pending and never synced: %+v", row)
	}
	wantValues(t, "shift", row.Values, store.Values{
		store.Date: "2026/11/28 17:05:09", store.EmployeeID: "1001", store.EmployeeName: "user1001",
		store.ClockIn: "2026/11/28 09:00:00", store.ClockOut: "2026/11/28 17:00:00", store.WorkedHours: "8.00",
		store.ProductField("Model A"): "500.00", store.TotalSales: "500.00", store.NetSales: "400.00", store.CommissionPct: "10.00",
		store.TotalPerHour: "120.00", store.Commissions: "40.00", store.TotalMade: "160.00",
	})
	set := e.row(store.EmployeeSettings, "1001")
	if !set.Pending {
		t.Error("default settings row must be pending")
	}
	wantValues(t, "settings", set.Values, store.Values{store.HourlyWage: "15.00", store.SalesCommission: "8.00"})
	rank := e.row(store.EmployeeRanks, "1001|2026|11")
	wantValues(t, "rank record", rank.Values, store.Values{store.CurrentRank: "Rookie", store.PreviousRank: "Rookie", store.Notified: "true"})
}

func TestFinishShiftIsRefusedBeforeTheFirstPull(t *testing.T) {
	e := newEnv(t, false, 0)
	err := e.db.Update(context.Background(), func(tx *store.Tx) error {
		_, err := e.svc.FinishShift(context.Background(), tx, shift(anna, "2026/11/28 09:00:00", "2026/11/28 17:00:00", "2026/11/28 17:05:00", "Model A", "500"))
		return err
	})
	if !errors.Is(err, hybrid.ErrNotReady) {
		t.Fatalf("err = %v, want ErrNotReady", err)
	}
	if n, _, _ := e.db.PendingCount(context.Background()); n != 0 {
		t.Fatalf("%d pending rows written by a refused finish", n)
	}
}

func TestFinishShiftConsumesUnappliedBonuses(t *testing.T) {
	e := newEnv(t, true, 0)
	e.synced(store.EmployeeSettings, store.Values{store.EmployeeID: "1001", store.HourlyWage: "20.00", store.SalesCommission: "10.00"})
	e.synced(store.ActiveBonuses, store.Values{store.ID: "1", store.EmployeeID: "1001", store.BonusType: "percent_next", store.BonusValue: "1.00", store.Applied: "false"})
	e.synced(store.ActiveBonuses, store.Values{store.ID: "2", store.EmployeeID: "1001", store.BonusType: "flat", store.BonusValue: "10.00", store.Applied: "false"})
	e.synced(store.ActiveBonuses, store.Values{store.ID: "3", store.EmployeeID: "1002", store.BonusType: "flat", store.BonusValue: "99.00", store.Applied: "false"})

	f := e.finish(shift(anna, "2026/11/28 10:00:00", "2026/11/28 14:00:00", "2026/11/28 14:01:00", "Model B", "600", "Model A", "100"))
	// 4 h × 20 = 80; 700 → net 560; 10 + 2 + 1 = 13 % → 72.80; + 10 flat.
	wantValues(t, "shift", e.row(store.Shifts, "1").Values, store.Values{
		store.CommissionPct: "13.00", store.Commissions: "72.80", store.TotalPerHour: "80.00", store.TotalMade: "162.80",
		store.ProductField("Model A"): "100.00", store.ProductField("Model B"): "600.00",
	})
	if got := payroll.CommissionBreakdown(f.Result); got != "13.00% (10.0% base + 2.0% dynamic + 1.0% bonus)" {
		t.Errorf("breakdown %q", got)
	}
	if f.Shift.Products[0].Product != "Model B" || f.Shift.Products[1].Product != "Model A" {
		t.Errorf("products not in the order entered: %+v", f.Shift.Products)
	}
	for _, k := range []string{"1", "2"} {
		b := e.row(store.ActiveBonuses, k)
		if !b.Pending || b.Base == nil {
			t.Errorf("bonus %s: want pending with its base kept, got %+v", k, b)
		}
		wantValues(t, "bonus "+k, b.Values, store.Values{store.Applied: "true", store.ShiftID: "1"})
	}
	if b := e.row(store.ActiveBonuses, "3"); b.Pending || b.Values[store.Applied] != "false" {
		t.Errorf("another employee's bonus was touched: %+v", b)
	}
}

func TestPercentPrevAndPercentAllFindTheirShifts(t *testing.T) {
	e := newEnv(t, true, 0)
	// Boris worked earlier the same day: Model A 1000, Model B 300.
	e.synced(store.Shifts, store.Values{store.ID: "1", store.Date: "2026/11/28 12:00:00", store.EmployeeID: "1002", store.ClockIn: "2026/11/28 06:00:00",
		store.ClockOut: "2026/11/28 12:00:00", store.ProductField("Model A"): "1000.00", store.ProductField("Model B"): "300.00", store.TotalSales: "1300.00"})
	// A later shift of Boris's with another product only: not a percent_prev match.
	e.synced(store.Shifts, store.Values{store.ID: "2", store.Date: "2026/11/28 13:00:00", store.EmployeeID: "1002", store.ClockIn: "2026/11/28 08:00:00",
		store.ClockOut: "2026/11/28 13:00:00", store.ProductField("Model C"): "50.00", store.TotalSales: "50.00"})
	e.synced(store.ActiveBonuses, store.Values{store.ID: "1", store.EmployeeID: "1001", store.BonusType: "percent_prev", store.BonusValue: "1.00", store.Applied: "false"})
	e.synced(store.ActiveBonuses, store.Values{store.ID: "2", store.EmployeeID: "1001", store.BonusType: "percent_all", store.BonusValue: "2.00", store.Applied: "false"})

	f := e.finish(shift(anna, "2026/11/28 09:00:00", "2026/11/28 17:00:00", "2026/11/28 17:05:00", "Model A", "200"))
	money := map[string]string{}
	for _, a := range f.Result.Applied {
		money[a.Bonus.Type] = a.Money.StringFixed(2) + " " + a.Product
	}
	// percent_prev: 1000 × 0.8 × 1 % = 8.00; percent_all: 1000 × 0.8 × 2 % = 16.00.
	if money["percent_prev"] != "8.00 Model A" || money["percent_all"] != "16.00 Model A" {
		t.Fatalf("applied = %v", money)
	}
}

func TestRankUpWithFlatBonusAddsItToTheShiftAfterTheSummary(t *testing.T) {
	e := newEnv(t, true, 0) // draws Bonus 1: Hustler's flat_10
	f := e.finish(shift(anna, "2026/11/28 09:00:00", "2026/11/28 17:00:00", "2026/11/28 17:05:00", "Model A", "2500"))
	if f.Rank == nil || f.Rank.Kind != payroll.RankUp || f.Rank.To.Name != "Hustler" || f.Rank.From.Name != "Rookie" {
		t.Fatalf("rank = %+v", f.Rank)
	}
	if f.Rank.BonusCode != "flat_10" || !f.Rank.Immediate.Equal(d("10")) {
		t.Fatalf("bonus %q %s", f.Rank.BonusCode, f.Rank.Immediate)
	}
	// 120 + 2500 × 0.8 × 14 % = 400 shown; the sheet gets 410.
	if got := f.Shift.TotalMade.StringFixed(2); got != "400.00" {
		t.Errorf("summary total made %s, want 400.00", got)
	}
	wantValues(t, "shift", e.row(store.Shifts, "1").Values, store.Values{store.TotalMade: "410.00"})
	wantValues(t, "bonus", e.row(store.ActiveBonuses, "1").Values, store.Values{
		store.BonusType: "flat_immediate", store.BonusValue: "10.00", store.Applied: "true", store.ShiftID: "1", store.EmployeeID: "1001",
		store.CreatedAt: "2026/11/28 17:05:00",
	})
	rec := e.row(store.EmployeeRanks, "1001|2026|11")
	wantValues(t, "rank", rec.Values, store.Values{store.CurrentRank: "Hustler", store.PreviousRank: "Rookie", store.Notified: "false"})
	e.update(func(ctx context.Context, tx *store.Tx) error { return e.svc.MarkNotified(ctx, tx, anna, 2026, 11) })
	if rec := e.row(store.EmployeeRanks, "1001|2026|11"); rec.Values[store.Notified] != "true" || !rec.Pending {
		t.Errorf("after MarkNotified: %+v", rec)
	}
}

func TestRankUpPercentNextIsUsedByTheNextShift(t *testing.T) {
	e := newEnv(t, true, 1) // Bonus 2: percent_next_1
	f := e.finish(shift(anna, "2026/11/27 09:00:00", "2026/11/27 17:00:00", "2026/11/27 17:05:00", "Model A", "2500"))
	if f.Rank == nil || f.Rank.BonusCode != "percent_next_1" || !f.Rank.Immediate.IsZero() {
		t.Fatalf("rank = %+v", f.Rank)
	}
	wantValues(t, "bonus", e.row(store.ActiveBonuses, "1").Values, store.Values{store.BonusType: "percent_next", store.BonusValue: "1.00", store.Applied: "false", store.ShiftID: ""})
	next := e.finish(shift(anna, "2026/11/28 09:00:00", "2026/11/28 17:00:00", "2026/11/28 17:05:00", "Model A", "500"))
	if got := payroll.CommissionBreakdown(next.Result); got != "11.00% (8.0% base + 2.0% dynamic + 1.0% bonus)" {
		t.Errorf("next shift breakdown %q", got)
	}
	wantValues(t, "bonus", e.row(store.ActiveBonuses, "1").Values, store.Values{store.Applied: "true", store.ShiftID: "2"})
	if next.Rank != nil {
		t.Errorf("same rank again must be silent: %+v", next.Rank)
	}
}

func TestEditsRecalculateAndOnlyTouchOwnShifts(t *testing.T) {
	e := newEnv(t, true, 0)
	e.finish(shift(anna, "2026/11/28 09:00:00", "2026/11/28 17:00:00", "2026/11/28 17:05:00", "Model A", "500"))
	e.finish(shift(boris, "2026/11/28 09:00:00", "2026/11/28 17:00:00", "2026/11/28 17:06:00", "Model A", "500"))

	var ed hybrid.Edited
	e.update(func(ctx context.Context, tx *store.Tx) error {
		var err error
		ed, err = e.svc.EditClockIn(ctx, tx, anna, 1, at("2026/11/28 07:00:00"))
		return err
	})
	if ed.Shift.WorkedHours.StringFixed(2) != "10.00" || ed.Shift.TotalMade.StringFixed(2) != "190.00" {
		t.Errorf("after clock in edit: %+v", ed.Shift)
	}
	e.update(func(ctx context.Context, tx *store.Tx) error {
		var err error
		ed, err = e.svc.EditClockOut(ctx, tx, anna, 1, at("2026/11/28 15:00:00"))
		return err
	})
	wantValues(t, "after clock out edit", e.row(store.Shifts, "1").Values, store.Values{
		store.ClockIn: "2026/11/28 07:00:00", store.ClockOut: "2026/11/28 15:00:00", store.WorkedHours: "8.00", store.TotalPerHour: "120.00", store.TotalMade: "160.00",
	})
	e.update(func(ctx context.Context, tx *store.Tx) error {
		var err error
		ed, err = e.svc.EditTotalSales(ctx, tx, anna, 1, d("1000"))
		return err
	})
	// 1000 → net 800 × 12 % = 96 + 120.
	wantValues(t, "after sales edit", e.row(store.Shifts, "1").Values, store.Values{
		store.TotalSales: "1000.00", store.NetSales: "800.00", store.CommissionPct: "12.00", store.Commissions: "96.00", store.TotalMade: "216.00",
		store.ProductField("Model A"): "500.00",
	})
	if got := payroll.CommissionBreakdown(ed.Result); got != "12.00% (8.0% base + 4.0% dynamic)" {
		t.Errorf("breakdown %q", got)
	}

	err := e.db.Update(context.Background(), func(tx *store.Tx) error {
		_, err := e.svc.EditClockOut(context.Background(), tx, anna, 1, at("2026/11/28 06:00:00"))
		return err
	})
	if !errors.Is(err, payroll.ErrClockOrder) {
		t.Errorf("clock out before clock in: err = %v", err)
	}
	err = e.db.Update(context.Background(), func(tx *store.Tx) error {
		_, err := e.svc.EditTotalSales(context.Background(), tx, anna, 2, d("1"))
		return err
	})
	if !errors.Is(err, hybrid.ErrNotFound) {
		t.Errorf("editing Boris's shift: err = %v", err)
	}
	wantValues(t, "Boris's shift", e.row(store.Shifts, "2").Values, store.Values{store.TotalSales: "500.00"})
}

func TestLastShiftsNewestFirstOwnOnly(t *testing.T) {
	e := newEnv(t, true, 0)
	for i, day := range []string{"24", "28", "26", "27"} {
		e.finish(shift(anna, "2026/11/"+day+" 09:00:00", "2026/11/"+day+" 17:00:00", "2026/11/"+day+" 17:05:00", "Model A", fmt.Sprint(10+i)))
	}
	e.finish(shift(boris, "2026/11/29 09:00:00", "2026/11/29 17:00:00", "2026/11/29 17:05:00", "Model A", "1"))
	var refs []hybrid.ShiftRef
	var owns, foreign bool
	e.update(func(ctx context.Context, tx *store.Tx) error {
		var err error
		if refs, err = e.svc.LastShifts(ctx, tx, anna, 3); err != nil {
			return err
		}
		if owns, err = e.svc.Owns(ctx, tx, anna, 1); err != nil {
			return err
		}
		foreign, err = e.svc.Owns(ctx, tx, anna, 5)
		return err
	})
	var got []int64
	for _, r := range refs {
		got = append(got, r.ID)
	}
	if fmt.Sprint(got) != "[2 4 3]" {
		t.Errorf("last shifts %v, want [2 4 3]", got)
	}
	if !owns || foreign {
		t.Errorf("Owns: own=%v foreign=%v", owns, foreign)
	}
}

func TestStatisticsAndPayDays(t *testing.T) {
	e := newEnv(t, true, 2)                                                                                       // Hustler's Bonus 3: percent_prev_1, recorded for later
	e.finish(shift(anna, "2026/10/31 09:00:00", "2026/10/31 17:00:00", "2026/10/31 17:05:00", "Model A", "5000")) // last month
	e.finish(shift(anna, "2026/11/14 09:00:00", "2026/11/14 17:00:00", "2026/11/14 17:05:00", "Model A", "1500"))
	e.finish(shift(anna, "2026/11/15 09:00:00", "2026/11/15 17:00:00", "2026/11/15 17:05:00", "Model A", "600"))
	e.finish(shift(boris, "2026/11/16 09:00:00", "2026/11/16 17:00:00", "2026/11/16 17:05:00", "Model A", "9000"))

	var st hybrid.Stats
	e.update(func(ctx context.Context, tx *store.Tx) error {
		var err error
		st, err = e.svc.Statistics(ctx, tx, anna, at("2026/11/20 10:00:00"))
		return err
	})
	// 1500 + 600 = 2100 this month → Hustler; since the 15th: the 600 shift
	// (120 + 600 × 0.8 × 10 % = 168; its percent_prev money is 0: nobody
	// else sold Model A before it).
	if st.Rank.Name != "Hustler" || st.Rank.Emoji != "💪" || st.MonthSales.StringFixed(2) != "2100.00" {
		t.Errorf("stats %+v", st)
	}
	if st.SincePayDay.StringFixed(2) != "168.00" {
		t.Errorf("since pay day %s, want 168.00", st.SincePayDay.StringFixed(2))
	}
	if st.NextPayDay.Format("January 2, 2006") != "December 1, 2026" {
		t.Errorf("next pay day %v", st.NextPayDay)
	}

	for now, want := range map[string]string{
		"2026/01/01 00:00:00": "2026/01/01 00:00:00 January 15, 2026",
		"2026/01/14 23:59:59": "2026/01/01 00:00:00 January 15, 2026",
		"2026/01/15 00:00:00": "2026/01/15 00:00:00 February 1, 2026",
		"2026/12/31 12:00:00": "2026/12/15 00:00:00 January 1, 2027",
	} {
		last, next := hybrid.PayDays(at(now))
		if got := last.Format(hybrid.DateTimeLayout) + " " + next.Format("January 2, 2006"); got != want {
			t.Errorf("PayDays(%s) = %s, want %s", now, got, want)
		}
	}
}

// A Total sales edit checks the month's rank again, with the rank-up bonus
// a new shift would get (SPEC §4); a flat one goes on the edited shift.
func TestTotalSalesEditChecksTheRankAgain(t *testing.T) {
	e := newEnv(t, true, 0) // draws Bonus 1: Closer's flat_25
	if f := e.finish(shift(anna, "2026/11/28 09:00:00", "2026/11/28 17:00:00", "2026/11/28 17:05:00", "Model A", "100")); f.Rank != nil {
		t.Fatalf("a Rookie's first shift: rank %+v", f.Rank)
	}
	var ed hybrid.Edited
	e.update(func(ctx context.Context, tx *store.Tx) error {
		var err error
		ed, err = e.svc.EditTotalSales(ctx, tx, anna, 1, d("4500"))
		return err
	})
	if ed.Rank == nil || ed.Rank.Kind != payroll.RankUp || ed.Rank.To.Name != "Closer" || ed.Rank.BonusCode != "flat_25" {
		t.Fatalf("rank after the edit: %+v", ed.Rank)
	}
	// 120 + 4500 × 0.8 × 14 % = 624 shown; 25 more stored.
	if got := ed.Shift.TotalMade.StringFixed(2); got != "624.00" {
		t.Errorf("edited total made %s", got)
	}
	wantValues(t, "shift", e.row(store.Shifts, "1").Values, store.Values{store.TotalSales: "4500.00", store.TotalMade: "649.00"})
	wantValues(t, "bonus", e.row(store.ActiveBonuses, "1").Values, store.Values{store.BonusType: "flat_immediate", store.BonusValue: "25.00", store.Applied: "true", store.ShiftID: "1"})
	wantValues(t, "rank", e.row(store.EmployeeRanks, "1001|2026|11").Values, store.Values{store.CurrentRank: "Closer", store.PreviousRank: "Rookie", store.Notified: "false"})

	// Back down: a rank-down, no bonus; a clock edit never re-ranks.
	e.update(func(ctx context.Context, tx *store.Tx) error {
		var err error
		ed, err = e.svc.EditTotalSales(ctx, tx, anna, 1, d("100"))
		return err
	})
	if ed.Rank == nil || ed.Rank.Kind != payroll.RankDown || ed.Rank.To.Name != "Rookie" {
		t.Fatalf("rank after lowering the sales: %+v", ed.Rank)
	}
	e.update(func(ctx context.Context, tx *store.Tx) error {
		var err error
		ed, err = e.svc.EditClockIn(ctx, tx, anna, 1, at("2026/11/28 08:00:00"))
		return err
	})
	if ed.Rank != nil {
		t.Fatalf("a clock edit announced a rank: %+v", ed.Rank)
	}
}
