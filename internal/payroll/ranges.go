package payroll

import "github.com/shopspring/decimal"

// RateRow is one row of the DynamicRates tab (SPEC §2).
type RateRow struct {
	Min, Max, Percent decimal.Decimal
}

// lookup applies the SPEC §2 range rule to n rows given by min and max: the
// row with the largest Min ≤ x, or -1 when there is none or x is above that
// row's Max. Rows may come in any order (admins sort the tab as they like);
// of rows with equal Min the first wins.
func lookup(n int, minOf, maxOf func(int) decimal.Decimal, x decimal.Decimal) int {
	best := -1
	for i := 0; i < n; i++ {
		if minOf(i).GreaterThan(x) {
			continue
		}
		if best == -1 || minOf(i).GreaterThan(minOf(best)) {
			best = i
		}
	}
	if best == -1 || x.GreaterThan(maxOf(best)) {
		return -1
	}
	return best
}

// DynamicRate is the percentage points the DynamicRates table adds for a
// shift's total sales, or 0 when no row covers it (SPEC §2, §6).
func DynamicRate(rows []RateRow, totalSales decimal.Decimal) decimal.Decimal {
	i := lookup(len(rows),
		func(i int) decimal.Decimal { return rows[i].Min },
		func(i int) decimal.Decimal { return rows[i].Max },
		totalSales)
	if i < 0 {
		return decimal.Zero
	}
	return rows[i].Percent
}

// DefaultRates is the DynamicRates table written by --init-sheets (SPEC §2).
func DefaultRates() []RateRow {
	row := func(min, max, pct string) RateRow {
		return RateRow{decimal.RequireFromString(min), decimal.RequireFromString(max), decimal.RequireFromString(pct)}
	}
	return []RateRow{
		row("0", "499.99", "0"),
		row("500", "999.99", "2"),
		row("1000", "1999.99", "4"),
		row("2000", "999999", "6"),
	}
}
