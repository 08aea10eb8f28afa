// Package hybridtest holds the bot's test fixtures: a database as the sync
// worker's first pull of a spreadsheet made by --init-sheets leaves it.
package hybridtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"shiftbot/internal/payroll"
	"shiftbot/internal/store"
)

// SeedPulled writes the default DynamicRates and Ranks as synced rows and
// records the first pull, after which the bot computes pay.
func SeedPulled(tb testing.TB, db *store.DB) {
	tb.Helper()
	ctx := context.Background()
	err := db.Update(ctx, func(tx *store.Tx) error {
		for i, r := range payroll.DefaultRates() {
			if err := Synced(ctx, tx, store.DynamicRates, store.Values{store.Pos: fmt.Sprint(i + 1),
				store.MinAmount: r.Min.StringFixed(2), store.MaxAmount: r.Max.StringFixed(2), store.Percentage: r.Percent.StringFixed(2)}); err != nil {
				return err
			}
		}
		for _, r := range payroll.DefaultRanks() {
			if err := Synced(ctx, tx, store.Ranks, store.Values{store.RankName: r.Name, store.MinAmount: r.Min.StringFixed(2),
				store.MaxAmount: r.Max.StringFixed(2), store.Emoji: r.Emoji, store.Bonus1: r.Bonuses[0], store.Bonus2: r.Bonuses[1],
				store.Bonus3: r.Bonuses[2], store.RankText: r.Text}); err != nil {
				return err
			}
		}
		return tx.SetState(ctx, store.StateLastPull, time.Now().UTC().Format(time.RFC3339))
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// Synced writes v as a row the worker pulled: not pending, base = v.
func Synced(ctx context.Context, tx *store.Tx, t store.Table, v store.Values) error {
	return tx.PutRow(ctx, t, store.Row{Values: v, Base: v})
}
