package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"shiftbot/internal/store"
)

// The reads the bot's admin side makes: problems after a mark, open ones,
// one by id, a fingerprint that moves with every change; shifts by Date.
func TestReadsForTheBot(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "reference_data.db"))
	t0 := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	state := func() store.ProblemsState {
		s, err := db.ProblemsState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	empty := state()
	if empty != (store.ProblemsState{}) {
		t.Fatalf("empty state %+v", empty)
	}
	err := db.Update(ctx, func(tx *store.Tx) error {
		if _, _, err := tx.SetProblems(ctx, store.ProblemReject, "Ranks", []store.Problem{{Subject: "a", Message: "row 2"}, {Subject: "b", Message: "row 3"}}, t0); err != nil {
			return err
		}
		return tx.Event(ctx, store.Problem{Kind: store.ProblemConflict, Tab: "Shifts", Subject: "7", Message: "kept Sheets"}, t0)
	})
	if err != nil {
		t.Fatal(err)
	}
	opened := state()
	err = db.Update(ctx, func(tx *store.Tx) error {
		_, _, err := tx.SetProblems(ctx, store.ProblemReject, "Ranks", []store.Problem{{Subject: "b", Message: "row 3"}}, t0.Add(time.Minute))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := state(); s == opened || opened == empty || s.Open != 1 || s.MaxID != 3 {
		t.Fatalf("states %+v %+v %+v", empty, opened, s)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		after, err := tx.ProblemsAfter(ctx, 1)
		if err != nil || len(after) != 2 || after[0].Subject != "b" || !after[0].Resolved.IsZero() || after[1].Kind != store.ProblemConflict || after[1].Resolved.IsZero() {
			t.Errorf("after 1: %+v, %v", after, err)
		}
		open, err := tx.OpenProblems(ctx)
		if err != nil || len(open) != 1 || open[0].Message != "row 3" || open[0].Tab != "Ranks" || !open[0].Started.Equal(t0) {
			t.Errorf("open: %+v, %v", open, err)
		}
		p, ok, err := tx.ProblemByID(ctx, 1)
		if err != nil || !ok || !p.Resolved.Equal(t0.Add(time.Minute)) {
			t.Errorf("problem 1: %+v %v %v", p, ok, err)
		}
		if _, ok, err := tx.ProblemByID(ctx, 99); ok || err != nil {
			t.Errorf("problem 99: %v %v", ok, err)
		}
		if n, err := tx.MaxProblemID(ctx); n != 3 || err != nil {
			t.Errorf("max id %d %v", n, err)
		}

		for id, date := range map[string]string{"1": "2026/11/14 23:59:59", "2": "2026/11/15 00:00:00", "3": "2026/12/01 00:00:00"} {
			v := store.Values{store.ID: id, store.Date: date, store.EmployeeID: "1001", store.ProductField("Model A"): "10.00"}
			if err := tx.PutRow(ctx, store.Shifts, store.Row{Values: v, Pending: true}); err != nil {
				return err
			}
		}
		rows, err := tx.ShiftsDated(ctx, "2026/11/15 00:00:00", "2026/12/01 00:00:00")
		if err != nil || len(rows) != 1 || rows[0].Values[store.ID] != "2" || rows[0].Values[store.ProductField("Model A")] != "10.00" {
			t.Errorf("shifts dated in the period: %+v, %v", rows, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
