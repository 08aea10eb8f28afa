package payroll

import "testing"

func TestDynamicRate(t *testing.T) {
	// Unsorted, with a gap between 199.99 and 300 (SPEC §2 lookup).
	gappy := []RateRow{
		{Min: d("300"), Max: d("399.99"), Percent: d("3")},
		{Min: d("100"), Max: d("199.99"), Percent: d("1")},
	}
	tests := []struct {
		name  string
		rows  []RateRow
		sales string
		want  string
	}{
		{"below the first row", gappy, "50", "0"},
		{"x = Min", gappy, "100", "1"},
		{"x = Max", gappy, "199.99", "1"},
		{"just above Max, in the gap", gappy, "199.995", "0"},
		{"in the gap", gappy, "250", "0"},
		{"x = Min of the later row", gappy, "300", "3"},
		{"x = Max of the last row", gappy, "399.99", "3"},
		{"above the last row", gappy, "400", "0"},
		{"no rows", nil, "500", "0"},
		{"default 0", DefaultRates(), "0", "0"},
		{"default 499.99", DefaultRates(), "499.99", "0"},
		{"default 500 (worked example)", DefaultRates(), "500", "2"},
		{"default 999.99", DefaultRates(), "999.99", "2"},
		{"default 1000", DefaultRates(), "1000", "4"},
		{"default 1999.99", DefaultRates(), "1999.99", "4"},
		{"default 2000", DefaultRates(), "2000", "6"},
		{"default 999999", DefaultRates(), "999999", "6"},
		{"default above the table", DefaultRates(), "1000000", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eq(t, "rate", DynamicRate(tt.rows, d(tt.sales)), d(tt.want))
		})
	}
}

func TestDynamicRateEqualMinFirstWins(t *testing.T) {
	rows := []RateRow{
		{Min: d("0"), Max: d("100"), Percent: d("1")},
		{Min: d("0"), Max: d("1000"), Percent: d("2")},
	}
	eq(t, "rate", DynamicRate(rows, d("50")), d("1"))
	eq(t, "rate above the first row's Max", DynamicRate(rows, d("500")), d("0"))
}
