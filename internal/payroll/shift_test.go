package payroll

import (
	"errors"
	"testing"
	"time"
	_ "time/tzdata" // the DST test needs America/New_York wherever it runs
)

// example is SPEC §6's worked example: 9 AM–5 PM, wage 15, base 8, Model A 500.
func example() ShiftInput {
	return ShiftInput{
		EmployeeID:     1,
		Date:           at("2025/11/10 17:05:00"),
		ClockIn:        at("2025/11/10 09:00:00"),
		ClockOut:       at("2025/11/10 17:00:00"),
		Products:       sales("Model A", "500"),
		Settings:       DefaultSettings(),
		Rates:          DefaultRates(),
		CommissionRate: d("0.20"),
	}
}

type want struct {
	hours, perHour, total, net, pct, commissions, bonusMoney, made string
}

func check(t *testing.T, r Result, w want) {
	t.Helper()
	eq(t, "WorkedHours", r.WorkedHours, d(w.hours))
	eq(t, "TotalPerHour", r.TotalPerHour, d(w.perHour))
	eq(t, "TotalSales", r.TotalSales, d(w.total))
	eq(t, "NetSales", r.NetSales, d(w.net))
	eq(t, "CommissionPercent", r.CommissionPercent, d(w.pct))
	eq(t, "Commissions", r.Commissions, d(w.commissions))
	eq(t, "BonusMoney", r.BonusMoney, d(w.bonusMoney))
	eq(t, "TotalMade", r.TotalMade, d(w.made))
}

func TestComputeWorkedExample(t *testing.T) {
	r, err := Compute(example())
	if err != nil {
		t.Fatal(err)
	}
	check(t, r, want{"8.00", "120.00", "500.00", "400.00", "10.00", "40.00", "0", "160.00"})
	eq(t, "DynamicRate", r.DynamicRate, d("2"))
	if got := CommissionBreakdown(r); got != "10.00% (8.0% base + 2.0% dynamic)" {
		t.Errorf("breakdown %q", got)
	}
	if len(r.Applied) != 0 {
		t.Errorf("applied %v", r.Applied)
	}
}

func TestComputeCases(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*ShiftInput)
		want   want
	}{
		{"several products, rate from this shift's total", func(in *ShiftInput) {
			in.Products = sales("A", "700.25", "B", "299.75", "C", "1000")
		}, want{"8.00", "120.00", "2000.00", "1600.00", "14.00", "224.00", "0", "344.00"}},
		{"partial hours: 20 minutes at $15 is exactly $5", func(in *ShiftInput) {
			in.ClockOut = at("2025/11/10 09:20:00")
		}, want{"0.33", "5.00", "500.00", "400.00", "10.00", "40.00", "0", "45.00"}},
		{"no products", func(in *ShiftInput) {
			in.Products = nil
		}, want{"8.00", "120.00", "0", "0", "8.00", "0", "0", "120.00"}},
		{"other commission rate", func(in *ShiftInput) {
			in.CommissionRate = d("0.25")
		}, want{"8.00", "120.00", "500.00", "375.00", "10.00", "37.50", "0", "157.50"}},
		{"overnight shift across midnight", func(in *ShiftInput) {
			in.ClockIn, in.ClockOut = at("2025/11/09 22:00:00"), at("2025/11/10 06:00:00")
		}, want{"8.00", "120.00", "500.00", "400.00", "10.00", "40.00", "0", "160.00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := example()
			tt.modify(&in)
			r, err := Compute(in)
			if err != nil {
				t.Fatal(err)
			}
			check(t, r, tt.want)
		})
	}
}

func TestComputeHoursAcrossDST(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	in := example()
	// 2025-11-02: clocks fall back at 2 AM, so 00:00–03:00 local is 4 real hours.
	in.ClockIn = time.Date(2025, 11, 2, 0, 0, 0, 0, ny)
	in.ClockOut = time.Date(2025, 11, 2, 3, 0, 0, 0, ny)
	r, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "WorkedHours", r.WorkedHours, d("4"))
	eq(t, "TotalPerHour", r.TotalPerHour, d("60"))
}

// TestRounding: money is rounded half away from zero (SPEC §6), not to even.
func TestRounding(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"0.005", "0.01"}, {"0.015", "0.02"}, {"0.025", "0.03"}, {"2.675", "2.68"},
		{"-0.005", "-0.01"}, {"-2.675", "-2.68"}, {"0.0049999", "0.00"}, {"1.994999", "1.99"},
	} {
		eq(t, "cents("+tt.in+")", cents(d(tt.in)), d(tt.want))
	}

	in := example()
	in.Settings = Settings{HourlyWage: d("15.005"), SalesCommission: d("8.02")}
	in.ClockOut = at("2025/11/10 10:00:00")
	in.Products = sales("A", "31.25") // net 25.00 × 8.02% = 2.005
	r, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	check(t, r, want{"1.00", "15.01", "31.25", "25.00", "8.02", "2.01", "0", "17.02"})
}

func TestComputeErrors(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*ShiftInput)
		err    error
	}{
		{"clock out = clock in", func(in *ShiftInput) { in.ClockOut = in.ClockIn }, ErrClockOrder},
		{"clock out before clock in", func(in *ShiftInput) { in.ClockOut = in.ClockIn.Add(-time.Hour) }, ErrClockOrder},
		{"negative amount", func(in *ShiftInput) { in.Products = sales("A", "-1") }, ErrNegativeAmount},
		{"product twice", func(in *ShiftInput) { in.Products = sales("A", "1", "A", "2") }, ErrDuplicate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := example()
			tt.modify(&in)
			if _, err := Compute(in); !errors.Is(err, tt.err) {
				t.Errorf("err = %v, want %v", err, tt.err)
			}
		})
	}
}

func TestComputeSimpleBonuses(t *testing.T) {
	pn := Bonus{ID: 1, Type: PercentNext, Value: d("1")}
	dbl := Bonus{ID: 2, Type: DoubleCommission}
	flat := Bonus{ID: 3, Type: Flat, Value: d("10")}
	tests := []struct {
		name      string
		bonuses   []Bonus
		want      want
		breakdown string
		applied   []int64
	}{
		{"percent_next", []Bonus{pn},
			want{"8.00", "120.00", "500.00", "400.00", "11.00", "44.00", "0", "164.00"},
			"11.00% (8.0% base + 2.0% dynamic + 1.0% bonus)", []int64{1}},
		{"double_commission", []Bonus{dbl},
			want{"8.00", "120.00", "500.00", "400.00", "20.00", "80.00", "0", "200.00"},
			"20.00% (8.0% base + 2.0% dynamic, ×2)", []int64{2}},
		{"flat", []Bonus{flat},
			want{"8.00", "120.00", "500.00", "400.00", "10.00", "40.00", "10.00", "170.00"},
			"10.00% (8.0% base + 2.0% dynamic)", []int64{3}},
		// (8 + 2 + 1) × 2 = 22 %; 400 × 22 % = 88; 88 + 120 + 10 = 218.
		{"percent_next + double_commission + flat", []Bonus{pn, dbl, flat},
			want{"8.00", "120.00", "500.00", "400.00", "22.00", "88.00", "10.00", "218.00"},
			"22.00% (8.0% base + 2.0% dynamic + 1.0% bonus, ×2)", []int64{1, 2, 3}},
		{"row order does not matter: points are added before doubling", []Bonus{flat, dbl, pn},
			want{"8.00", "120.00", "500.00", "400.00", "22.00", "88.00", "10.00", "218.00"},
			"22.00% (8.0% base + 2.0% dynamic + 1.0% bonus, ×2)", []int64{3, 2, 1}},
		{"two doubles: ×4", []Bonus{dbl, {ID: 4, Type: "Double_Commission"}},
			want{"8.00", "120.00", "500.00", "400.00", "40.00", "160.00", "0", "280.00"},
			"40.00% (8.0% base + 2.0% dynamic, ×4)", []int64{2, 4}},
		{"flat_immediate left unapplied counts as flat", []Bonus{{ID: 5, Type: FlatImmediate, Value: d("25")}},
			want{"8.00", "120.00", "500.00", "400.00", "10.00", "40.00", "25.00", "185.00"},
			"10.00% (8.0% base + 2.0% dynamic)", []int64{5}},
		{"no-money bonuses are consumed, unknown types are not", []Bonus{
			{ID: 6, Type: PaidDayOff}, {ID: 7, Type: TelegramPremium}, {ID: 8, Type: "mystery", Value: d("50")}},
			want{"8.00", "120.00", "500.00", "400.00", "10.00", "40.00", "0", "160.00"},
			"10.00% (8.0% base + 2.0% dynamic)", []int64{6, 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := example()
			in.Bonuses = tt.bonuses
			r, err := Compute(in)
			if err != nil {
				t.Fatal(err)
			}
			check(t, r, tt.want)
			if got := CommissionBreakdown(r); got != tt.breakdown {
				t.Errorf("breakdown %q, want %q", got, tt.breakdown)
			}
			var ids []int64
			for _, a := range r.Applied {
				ids = append(ids, a.Bonus.ID)
			}
			if !equalIDs(ids, tt.applied) {
				t.Errorf("applied %v, want %v", ids, tt.applied)
			}
		})
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func other(id, emp int64, clockIn, date string, kv ...string) OtherShift {
	return OtherShift{ID: id, EmployeeID: emp, ClockIn: at(clockIn), Date: at(date), Products: sales(kv...)}
}

func TestPercentPrev(t *testing.T) {
	// This shift: employee 1, 09:00–17:00 on Nov 10, sold A 500 and B 100.
	base := func() ShiftInput {
		in := example()
		in.Products = sales("A", "500", "B", "100")
		in.Bonuses = []Bonus{{ID: 9, Type: PercentPrev, Value: d("2")}}
		return in
	}
	tests := []struct {
		name    string
		others  []OtherShift
		product string
		shifts  []int64
		money   string
	}{
		{"nothing to draw from", nil, "", nil, "0"},
		{"the employee's own earlier shift does not count", []OtherShift{
			other(1, 1, "2025/11/10 08:00:00", "2025/11/10 08:30:00", "A", "1000"),
		}, "", nil, "0"},
		{"a shift that started later does not count", []OtherShift{
			other(2, 4, "2025/11/10 10:00:00", "2025/11/10 12:00:00", "A", "800"),
			other(3, 4, "2025/11/10 09:00:00", "2025/11/10 12:00:00", "A", "800"),
		}, "", nil, "0"},
		{"the latest earlier shift with a common product wins", []OtherShift{
			other(4, 2, "2025/11/09 06:00:00", "2025/11/09 14:00:00", "A", "300"),
			other(5, 3, "2025/11/10 01:00:00", "2025/11/10 08:00:00", "A", "20", "B", "50", "C", "900"),
			other(6, 5, "2025/11/10 02:00:00", "2025/11/10 08:30:00", "C", "700"), // no common product
			other(7, 2, "2025/11/10 03:00:00", "2025/11/10 09:00:00", "A", "0"),   // A not sold
			other(1, 1, "2025/11/10 08:00:00", "2025/11/10 08:30:00", "A", "1000"),
		}, "B", []int64{5}, "0.80"}, // largest common product B 50 (C is not sold here): 50 × 0.8 × 2 %
		{"it is the latest by clock in, not by when it was recorded", []OtherShift{
			other(10, 2, "2025/11/10 05:00:00", "2025/11/10 20:00:00", "A", "100"),
			other(11, 3, "2025/11/10 06:00:00", "2025/11/10 07:00:00", "A", "400"),
		}, "A", []int64{11}, "6.40"},
		{"equal clock in: the later Date, then the higher ID", []OtherShift{
			other(12, 2, "2025/11/10 06:00:00", "2025/11/10 14:00:00", "A", "100"),
			other(14, 3, "2025/11/10 06:00:00", "2025/11/10 15:00:00", "A", "200"),
			other(13, 4, "2025/11/10 06:00:00", "2025/11/10 15:00:00", "A", "300"),
		}, "A", []int64{14}, "3.20"},
		{"equal amounts: the first product by name", []OtherShift{
			other(15, 2, "2025/11/10 06:00:00", "2025/11/10 14:00:00", "B", "100", "A", "100"),
		}, "A", []int64{15}, "1.60"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base()
			in.Others = tt.others
			r, err := Compute(in)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Applied) != 1 {
				t.Fatalf("applied %v: percent_prev is consumed even without money", r.Applied)
			}
			a := r.Applied[0]
			if a.Product != tt.product || !equalIDs(a.Shifts, tt.shifts) {
				t.Errorf("took %q from %v, want %q from %v", a.Product, a.Shifts, tt.product, tt.shifts)
			}
			eq(t, "money", a.Money, d(tt.money))
			eq(t, "BonusMoney", r.BonusMoney, d(tt.money))
			// total 600 → rate 2: 480 × 10 % + 120 + bonus
			eq(t, "TotalMade", r.TotalMade, d("168").Add(d(tt.money)))
		})
	}
}

func TestPercentAll(t *testing.T) {
	// This shift: employee 1, 12:00–17:00, finished Nov 10 17:05; B is its
	// largest product.
	in := example()
	in.ClockIn = at("2025/11/10 12:00:00")
	in.Products = sales("A", "300", "B", "500")
	in.Bonuses = []Bonus{{ID: 9, Type: PercentAll, Value: d("2")}}
	in.Others = []OtherShift{
		other(1, 2, "2025/11/10 09:00:00", "2025/11/10 11:00:00", "B", "200", "A", "1000"), // counts
		other(2, 3, "2025/11/10 11:00:00", "2025/11/10 19:00:00", "B", "100"),              // counts: started before, finished after
		other(3, 3, "2025/11/10 13:00:00", "2025/11/10 16:00:00", "B", "400"),              // started after
		other(4, 3, "2025/11/10 12:00:00", "2025/11/10 16:00:00", "B", "400"),              // started at the same time
		other(5, 1, "2025/11/10 08:00:00", "2025/11/10 10:00:00", "B", "300"),              // own shift
		other(6, 4, "2025/11/09 20:00:00", "2025/11/09 23:00:00", "B", "1000"),             // another date
		other(7, 4, "2025/11/09 22:00:00", "2025/11/10 02:00:00", "B", "5"),                // Date is today: counts
		other(8, 5, "2025/11/10 10:00:00", "2025/11/10 11:00:00", "A", "900"),              // no B
	}
	r, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	a := r.Applied[0]
	if a.Product != "B" || !equalIDs(a.Shifts, []int64{1, 2, 7}) {
		t.Errorf("took %q from %v", a.Product, a.Shifts)
	}
	// (200 + 100 + 5) × 0.8 × 2 % = 4.88
	eq(t, "money", a.Money, d("4.88"))
	// total 800 → rate 2: 640 × 10 % = 64; 5 h × 15 = 75; 64 + 75 + 4.88
	eq(t, "TotalMade", r.TotalMade, d("143.88"))

	in.Products = nil
	r, _ = Compute(in)
	if len(r.Applied) != 1 || !r.Applied[0].Money.IsZero() || r.Applied[0].Product != "" {
		t.Errorf("no products: %+v", r.Applied)
	}
}

// stored turns a Compute result into what the sheet and ActiveBonuses hold.
func stored(in ShiftInput, r Result) StoredShift {
	s := StoredShift{
		ClockIn: in.ClockIn, ClockOut: in.ClockOut,
		WorkedHours: r.WorkedHours, TotalSales: r.TotalSales, NetSales: r.NetSales,
		CommissionPercent: r.CommissionPercent, TotalPerHour: r.TotalPerHour,
		Commissions: r.Commissions, TotalMade: r.TotalMade,
	}
	for _, a := range r.Applied {
		s.Applied = append(s.Applied, a.Bonus)
	}
	return s
}

func TestRecomputeKeepsAppliedBonuses(t *testing.T) {
	in := example()
	in.Bonuses = []Bonus{
		{ID: 1, Type: PercentNext, Value: d("1")},
		{ID: 2, Type: Flat, Value: d("10")},
		{ID: 3, Type: PercentPrev, Value: d("2")},
	}
	in.Others = []OtherShift{other(8, 2, "2025/11/10 06:00:00", "2025/11/10 08:00:00", "Model A", "250")}
	r, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	// 400 × 11 % = 44; bonus money 10 + 250 × 0.8 × 2 % = 14; 44 + 120 + 14
	check(t, r, want{"8.00", "120.00", "500.00", "400.00", "11.00", "44.00", "14.00", "178.00"})
	s := stored(in, r)
	// The rank-up flat bonus of this shift, added after the summary (SPEC §6).
	s.TotalMade = s.TotalMade.Add(d("25"))
	s.Applied = append(s.Applied, Bonus{ID: 4, Type: FlatImmediate, Value: d("25")})

	t.Run("clock edit", func(t *testing.T) {
		r, err := RecomputeClock(s, at("2025/11/10 09:00:00"), at("2025/11/10 13:00:00"), DefaultSettings())
		if err != nil {
			t.Fatal(err)
		}
		// 4 h × 15 = 60; commissions stay 44; bonus money 14 + 25 stays.
		check(t, r, want{"4.00", "60.00", "500.00", "400.00", "11.00", "44.00", "39.00", "143.00"})
		if got := CommissionBreakdown(r); got != "11.00% (8.0% base + 2.0% dynamic + 1.0% bonus)" {
			t.Errorf("breakdown %q", got)
		}
	})
	t.Run("sales edit", func(t *testing.T) {
		r, err := RecomputeSales(s, d("1200"), DefaultSettings(), DefaultRates(), d("0.20"))
		if err != nil {
			t.Fatal(err)
		}
		// net 960; rate 4 → 8 + 4 + 1 = 13 %; 124.80 + 120 + 39
		check(t, r, want{"8.00", "120.00", "1200.00", "960.00", "13.00", "124.80", "39.00", "283.80"})
		if got := CommissionBreakdown(r); got != "13.00% (8.0% base + 4.0% dynamic + 1.0% bonus)" {
			t.Errorf("breakdown %q", got)
		}
	})
	t.Run("sales edit keeps a double", func(t *testing.T) {
		s := s
		s.Applied = append([]Bonus{{ID: 5, Type: DoubleCommission}}, s.Applied...)
		r, err := RecomputeSales(s, d("100"), DefaultSettings(), DefaultRates(), d("0.20"))
		if err != nil {
			t.Fatal(err)
		}
		// net 80; rate 0 → (8 + 0 + 1) × 2 = 18 %; 14.40 + 120 + 39
		check(t, r, want{"8.00", "120.00", "100.00", "80.00", "18.00", "14.40", "39.00", "173.40"})
		if got := CommissionBreakdown(r); got != "18.00% (8.0% base + 1.0% bonus, ×2)" {
			t.Errorf("breakdown %q", got)
		}
	})
	t.Run("clock edit of a doubled shift derives the dynamic part", func(t *testing.T) {
		s := s
		s.CommissionPercent, s.Applied = d("22.00"), append(s.Applied, Bonus{ID: 5, Type: DoubleCommission})
		r, err := RecomputeClock(s, s.ClockIn, s.ClockOut, DefaultSettings())
		if err != nil {
			t.Fatal(err)
		}
		if got := CommissionBreakdown(r); got != "22.00% (8.0% base + 2.0% dynamic + 1.0% bonus, ×2)" {
			t.Errorf("breakdown %q", got)
		}
	})
	t.Run("errors", func(t *testing.T) {
		if _, err := RecomputeClock(s, s.ClockOut, s.ClockIn, DefaultSettings()); !errors.Is(err, ErrClockOrder) {
			t.Errorf("clock: %v", err)
		}
		if _, err := RecomputeSales(s, d("-1"), DefaultSettings(), DefaultRates(), d("0.2")); !errors.Is(err, ErrNegativeAmount) {
			t.Errorf("sales: %v", err)
		}
	})
}

func TestCommissionBreakdown(t *testing.T) {
	tests := []struct {
		r    Result
		want string
	}{
		{Result{CommissionPercent: d("8"), BaseCommission: d("8")}, "8.00% (8.0% base)"},
		{Result{CommissionPercent: d("14"), BaseCommission: d("8"), DynamicRate: d("6")}, "14.00% (8.0% base + 6.0% dynamic)"},
		{Result{CommissionPercent: d("10.25"), BaseCommission: d("8.25"), DynamicRate: d("2")}, "10.25% (8.25% base + 2.0% dynamic)"},
		{Result{CommissionPercent: d("7"), BaseCommission: d("8"), DynamicRate: d("-1")}, "7.00% (8.0% base - 1.0% dynamic)"},
		{Result{CommissionPercent: d("17.5"), BaseCommission: d("8"), DynamicRate: d("6"), BonusPercent: d("3.5")},
			"17.50% (8.0% base + 6.0% dynamic + 3.5% bonus)"},
		{Result{CommissionPercent: d("16"), BaseCommission: d("8"), Doubled: 1}, "16.00% (8.0% base, ×2)"},
	}
	for _, tt := range tests {
		if got := CommissionBreakdown(tt.r); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
