package bot

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/shopspring/decimal"

	"shiftbot/internal/hybrid"
	"shiftbot/internal/hybrid/hybridtest"
	"shiftbot/internal/payroll"
	"shiftbot/internal/store"
)

// BenchmarkFinishShift20k measures what pressing Finish shift costs the bot
// with 20,000 shifts in the database: the update's whole transaction (record
// the update, load the conversation, settings, rates, bonuses, compute, store
// the shift, evaluate the rank, render the summary, save the conversation).
// The Telegram round trips are not included. It reports p50 and p99 of the
// iterations; run it with -benchtime 2000x for stable percentiles.
func BenchmarkFinishShift20k(b *testing.B) {
	// percent_prev and percent_all bonuses make the rules read other
	// shifts. The tail of the plain case is SQLite's automatic WAL
	// checkpoint (a copy and an fsync) landing on a user's commit; the
	// "checkpointed" cases checkpoint between updates, off the user's path,
	// as Config.Checkpoint does after each batch once wired (see
	// docs/BENCHMARKS.md).
	for _, c := range []struct {
		name                string
		percent, checkpoint bool
	}{
		{"plain", false, false},
		{"percent_bonuses", true, false},
		{"plain_checkpointed", false, true},
		{"percent_bonuses_checkpointed", true, true},
	} {
		b.Run(c.name, func(b *testing.B) { benchFinish(b, c.percent, c.checkpoint) })
	}
}

func benchFinish(b *testing.B, percentBonuses, checkpoint bool) {
	ctx := context.Background()
	loc, _ := time.LoadLocation("America/New_York")
	products := []string{"Model A", "Model B", "Model C", "Model D"}
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "reference_data.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	seedShifts(b, db, loc, products, 20000)
	var ckpt *sql.DB
	if checkpoint {
		if ckpt, err = sql.Open("sqlite3", "file:"+db.Path()+"?_busy_timeout=15000"); err != nil {
			b.Fatal(err)
		}
		defer ckpt.Close()
	}
	svc := hybrid.New(hybrid.Config{Products: products, CommissionRate: decimal.RequireFromString("0.20"), Location: loc})
	now := time.Date(2026, 11, 28, 17, 5, 0, 0, loc)
	bot := New(db, svc, Config{Token: "1:x", Now: func() time.Time { return now }})

	samples := make([]time.Duration, 0, b.N)
	for i := 0; b.Loop(); i++ {
		user := int64(1 + i%100) // employees who already have shifts this month
		b.StopTimer()
		if ckpt != nil {
			if _, err := ckpt.Exec("PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
				b.Fatal(err)
			}
		}
		err := db.Update(ctx, func(tx *store.Tx) error {
			if percentBonuses {
				for j, typ := range []string{payroll.PercentPrev, payroll.PercentAll} {
					v := store.Values{"id": fmt.Sprint(100000 + 2*i + j), "employee_id": fmt.Sprint(user), "bonus_type": typ, "value": "1.00", "applied": "false"}
					if err := tx.PutRow(ctx, store.ActiveBonuses, store.Row{Values: v, Base: v}); err != nil {
						return err
					}
				}
			}
			return saveConversation(ctx, tx, conversation{user: user, step: stepMore, keyboards: []int{10}, draft: draft{
				In: "2026/11/28 09:00:00", Out: "2026/11/28 17:00:00",
				Sales: []sale{{Product: "Model A", Amount: "420.00"}, {Product: "Model C", Amount: "99.90"}},
			}}, now)
		})
		if err != nil {
			b.Fatal(err)
		}
		u := tgbotapi.Update{UpdateID: i + 1, CallbackQuery: &tgbotapi.CallbackQuery{ID: "q", Data: cbFinish,
			From:    &tgbotapi.User{ID: user, UserName: "bench"},
			Message: &tgbotapi.Message{MessageID: 10, Chat: &tgbotapi.Chat{ID: user}}}}
		b.StartTimer()

		start := time.Now()
		out, err := bot.apply(ctx, u)
		samples = append(samples, time.Since(start))
		if err != nil || len(out.send) == 0 || !strings.Contains(out.send[0].text, "✅ Shift created") {
			b.Fatalf("finish: %v %+v", err, out)
		}
	}
	slices.Sort(samples)
	pct := func(p float64) float64 {
		return float64(samples[min(len(samples)-1, int(p*float64(len(samples))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// seedShifts fills the database as the worker's pulls of a busy year would:
// default rates and ranks, settings for 100 employees, n shifts over twelve
// months spread across them.
func seedShifts(b *testing.B, db *store.DB, loc *time.Location, products []string, n int) {
	ctx := context.Background()
	hybridtest.SeedPulled(b, db)
	err := db.Update(ctx, func(tx *store.Tx) error {
		put := func(t store.Table, v store.Values) error { return hybridtest.Synced(ctx, tx, t, v) }
		for e := 1; e <= 100; e++ {
			if err := put(store.EmployeeSettings, store.Values{"employee_id": fmt.Sprint(e), "hourly_wage": "15.00", "sales_commission": "8.00"}); err != nil {
				return err
			}
		}
		start := time.Date(2025, 11, 29, 0, 0, 0, 0, loc)
		for i := 1; i <= n; i++ {
			day := start.Add(time.Duration(i) * 365 * 24 * time.Hour / time.Duration(n))
			in := time.Date(day.Year(), day.Month(), day.Day(), 6+i%6, 0, 0, 0, loc)
			f := func(t time.Time) string { return t.Format(hybrid.DateTimeLayout) }
			v := store.Values{"id": fmt.Sprint(i), "date": f(in.Add(8*time.Hour + 5*time.Minute)), "employee_id": fmt.Sprint(1 + i%100),
				"employee_name": fmt.Sprint("employee", 1+i%100), "clock_in": f(in), "clock_out": f(in.Add(8 * time.Hour)),
				"worked_hours": "8.00", store.ProductField(products[i%len(products)]): fmt.Sprintf("%d.00", 100+i%900),
				"total_sales": fmt.Sprintf("%d.00", 100+i%900), "net_sales": "80.00", "commission_pct": "8.00",
				"total_per_hour": "120.00", "commissions": "6.40", "total_made": "126.40"}
			if err := put(store.Shifts, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
