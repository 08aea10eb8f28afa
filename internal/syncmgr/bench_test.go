package syncmgr_test

import (
	"context"
	"fmt"
	"testing"

	"shiftbot/internal/store"
)

// bigShifts returns a Shifts tab of n rows as the bot would have written them.
func bigShifts(n int) [][]any {
	rows := make([][]any, 0, n+1)
	rows = append(rows, shiftHeader)
	for i := 1; i <= n; i++ {
		day := 1 + i%28
		rows = append(rows, []any{i, fmt.Sprintf("2026/10/%02d 17:00:00", day), 100 + i%20, fmt.Sprintf("Employee %d", i%20),
			fmt.Sprintf("2026/10/%02d 09:00:00", day), fmt.Sprintf("2026/10/%02d 17:00:00", day), "8.00",
			"500.00", fmt.Sprintf("%d.00", i%700), fmt.Sprintf("%d.00", 500+i%700), "400.00", "10.00", "120.00", "40.00", "160.00"})
	}
	return rows
}

func benchHarness(b *testing.B, n int) *harness {
	h := newHarness(b)
	h.emu.SetTab(sheetID, "Shifts", bigShifts(n))
	h.cycle()
	return h
}

func report(b *testing.B, written, requests int) {
	b.ReportMetric(float64(written)/float64(b.N), "rows-written/op")
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
}

// BenchmarkPull50kUnchanged: a cycle over 50,000 shift rows nobody changed.
func BenchmarkPull50kUnchanged(b *testing.B) {
	h := benchHarness(b, 50000)
	writes := h.countWrites()
	h.emu.ResetCounts()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		h.cycle()
	}
	b.StopTimer()
	report(b, writes(), h.emu.Count(""))
}

// BenchmarkPull50kOnePercentChanged: the admin changed 500 of 50,000 rows.
func BenchmarkPull50kOnePercentChanged(b *testing.B) {
	h := benchHarness(b, 50000)
	writes := h.countWrites()
	rows := h.emu.Tab(sheetID, "Shifts")
	h.emu.ResetCounts()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		for j := 0; j < 500; j++ {
			r := 1 + (j*100+i)%50000
			rows[r][3] = fmt.Sprintf("Renamed %d-%d", i, j)
		}
		h.emu.SetTab(sheetID, "Shifts", rows)
		b.StartTimer()
		h.cycle()
	}
	b.StopTimer()
	report(b, writes(), h.emu.Count(""))
}

// BenchmarkPush1000Pending: a cycle that appends 1,000 new shifts.
func BenchmarkPush1000Pending(b *testing.B) {
	h := benchHarness(b, 1000)
	ctx := context.Background()
	next := 1001
	h.emu.ResetCounts()
	pushed := 0
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		err := h.db.Update(ctx, func(tx *store.Tx) error {
			for range 1000 {
				if err := tx.PutRow(ctx, store.Shifts, store.Row{Values: newShift(next, 101), Pending: true}); err != nil {
					return err
				}
				next++
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		pushed += h.cycle().Pushed
	}
	b.StopTimer()
	b.ReportMetric(float64(pushed)/float64(b.N), "rows-pushed/op")
	b.ReportMetric(float64(h.emu.Count(""))/float64(b.N), "requests/op")
}

// BenchmarkFirstImport10k: a pull of 10,000 shift rows into an empty database.
func BenchmarkFirstImport10k(b *testing.B) {
	for range b.N {
		b.StopTimer()
		h := newHarness(b)
		h.emu.SetTab(sheetID, "Shifts", bigShifts(10000))
		b.StartTimer()
		h.cycle()
	}
}
