package hybrid_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"shiftbot/internal/hybrid"
	"shiftbot/internal/hybrid/hybridtest"
	"shiftbot/internal/store"
)

func TestPayPeriods(t *testing.T) {
	for _, tc := range []struct{ now, cur, prev string }{
		{"2026/11/20 10:00:00", "2026/11/15 – 2026/12/01", "2026/11/01 – 2026/11/15"},
		{"2026/11/15 00:00:00", "2026/11/15 – 2026/12/01", "2026/11/01 – 2026/11/15"},
		{"2026/11/14 23:59:59", "2026/11/01 – 2026/11/15", "2026/10/15 – 2026/11/01"},
		{"2027/01/03 08:00:00", "2027/01/01 – 2027/01/15", "2026/12/15 – 2027/01/01"},
		{"2026/03/09 12:00:00", "2026/03/01 – 2026/03/15", "2026/02/15 – 2026/03/01"}, // a day after DST began
	} {
		cur, prev := hybrid.PayPeriods(at(tc.now))
		f := func(p hybrid.Period) string {
			return p.From.Format("2006/01/02") + " – " + p.To.Format("2006/01/02")
		}
		if f(cur) != tc.cur || f(prev) != tc.prev || cur.From.Hour() != 0 || prev.From.Hour() != 0 {
			t.Errorf("%s: current %s, previous %s; want %s, %s", tc.now, f(cur), f(prev), tc.cur, tc.prev)
		}
	}
}

func TestOfferedProductsFromTheCatalog(t *testing.T) {
	e := newEnv(t, true, 0)
	offered := func() string {
		var p []string
		e.update(func(ctx context.Context, tx *store.Tx) error {
			var err error
			p, err = e.svc.OfferedProducts(ctx, tx)
			return err
		})
		return strings.Join(p, ",")
	}
	if got := offered(); got != "Model A,Model B,Model C" {
		t.Errorf("without a Products tab: %s (want PRODUCTS)", got)
	}
	e.update(func(ctx context.Context, tx *store.Tx) error {
		for i, r := range [][2]string{{" Model Z ", ""}, {"", "true"}, {"Model A", "False"}, {"model z", "true"}, {"Model B", "yes"}} {
			v := store.Values{store.Pos: fmt.Sprint(i + 1), store.ProductName: r[0], store.Active: r[1]}
			if err := hybridtest.Synced(ctx, tx, store.ProductCatalog, v); err != nil {
				return err
			}
		}
		return nil
	})
	if got := offered(); got != "Model Z,Model B" {
		t.Errorf("from the catalog: %s", got)
	}
}

// /recalc_ranks' rules: from the shifts of this month only, every employee
// with a record or a shift, nothing granted, silent first records.
func TestRecalcRanks(t *testing.T) {
	e := newEnv(t, true, 0)
	e.finish(shift(anna, "2026/10/30 09:00:00", "2026/10/30 17:00:00", "2026/10/30 17:05:00", "Model A", "9000")) // last month
	e.finish(shift(anna, "2026/11/02 09:00:00", "2026/11/02 17:00:00", "2026/11/02 17:05:00", "Model A", "2500")) // Hustler
	e.finish(shift(boris, "2026/11/03 09:00:00", "2026/11/03 17:00:00", "2026/11/03 17:05:00", "Model A", "100"))
	// The admin set boris's rank by hand and deleted anna's November record;
	// a third employee has a record and no shift left.
	e.update(func(ctx context.Context, tx *store.Tx) error {
		if err := tx.DeleteRow(ctx, store.EmployeeRanks, "1001|2026|11"); err != nil {
			return err
		}
		for emp, rank := range map[string]string{"1002": "Shark", "1003": "Closer"} {
			v := store.Values{store.EmployeeID: emp, store.Year: "2026", store.Month: "11", store.CurrentRank: rank, store.PreviousRank: "Rookie", store.Notified: "true"}
			if err := hybridtest.Synced(ctx, tx, store.EmployeeRanks, v); err != nil {
				return err
			}
		}
		return nil
	})
	bonusesBefore := len(e.rows(store.ActiveBonuses))
	var changes []hybrid.RankUpdate
	e.update(func(ctx context.Context, tx *store.Tx) error {
		var err error
		changes, err = e.svc.RecalcRanks(ctx, tx, at("2026/11/20 10:00:00"))
		return err
	})
	got := fmt.Sprint(changes)
	if want := "[{1003 1003 Closer Rookie} {1001 user1001  Hustler} {1002 user1002 Shark Rookie}]"; got != want {
		t.Errorf("changes %s, want %s", got, want)
	}
	wantValues(t, "anna", e.row(store.EmployeeRanks, "1001|2026|11").Values, store.Values{store.CurrentRank: "Hustler", store.PreviousRank: "Rookie", store.Notified: "false"})
	wantValues(t, "boris", e.row(store.EmployeeRanks, "1002|2026|11").Values, store.Values{store.CurrentRank: "Rookie", store.PreviousRank: "Shark", store.Notified: "false",
		store.LastUpdated: "2026/11/20 10:00:00"})
	if n := len(e.rows(store.ActiveBonuses)); n != bonusesBefore {
		t.Errorf("bonuses %d → %d: a recalculation grants nothing", bonusesBefore, n)
	}
	if !e.row(store.EmployeeRanks, "1002|2026|11").Pending {
		t.Error("the changed record is not pending for the worker")
	}
	e.update(func(ctx context.Context, tx *store.Tx) error {
		var err error
		changes, err = e.svc.RecalcRanks(ctx, tx, at("2026/11/20 10:05:00"))
		return err
	})
	if len(changes) != 0 {
		t.Errorf("a second run changed %v", changes)
	}
}

func (e *env) rows(t store.Table) []store.Row {
	e.t.Helper()
	rows, err := e.db.AllRows(context.Background(), t)
	if err != nil {
		e.t.Fatal(err)
	}
	return rows
}
