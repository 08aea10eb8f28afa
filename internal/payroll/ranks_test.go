package payroll

import "testing"

func TestRankFor(t *testing.T) {
	// Reversed order: the lookup must not depend on row order.
	def := DefaultRanks()
	reversed := make([]Rank, len(def))
	for i, r := range def {
		reversed[len(def)-1-i] = r
	}
	gappy := []Rank{
		{Name: "High", Min: d("5000"), Max: d("5999.99")},
		{Name: "Low", Min: d("100"), Max: d("999.99")},
	}
	tests := []struct {
		name  string
		ranks []Rank
		sales string
		want  string
	}{
		{"zero", reversed, "0", "Rookie"},
		{"Max of Rookie", reversed, "1999.99", "Rookie"},
		{"Min of Hustler", reversed, "2000", "Hustler"},
		{"Max of Hustler", reversed, "3999.99", "Hustler"},
		{"King of Greed", reversed, "10000", "King of Greed"},
		{"Chatting God at 999999", reversed, "999999", "Chatting God"},
		{"above the last row → lowest", reversed, "1000000", "Rookie"},
		{"below the first row → lowest", gappy, "50", "Low"},
		{"in a gap → lowest", gappy, "3000", "Low"},
		{"x = Min", gappy, "5000", "High"},
		{"x = Max", gappy, "5999.99", "High"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RankFor(tt.ranks, d(tt.sales)).Name; got != tt.want {
				t.Errorf("RankFor(%s) = %q, want %q", tt.sales, got, tt.want)
			}
		})
	}
	if got := RankFor(nil, d("10")); got.Name != "" {
		t.Errorf("no ranks: got %q, want zero Rank", got.Name)
	}
}

func TestDefaultRanks(t *testing.T) {
	rs := DefaultRanks()
	if len(rs) != 6 || LowestRank(rs).Name != "Rookie" {
		t.Fatalf("defaults: %d ranks, lowest %q", len(rs), LowestRank(rs).Name)
	}
	if rs[0].Emoji != "🧑‍🚀" || rs[0].DisplayText() != "Keep pushing!" {
		t.Errorf("Rookie: %q %q", rs[0].Emoji, rs[0].DisplayText())
	}
	if _, ok := DrawBonus(fixed(0), rs[0]); ok {
		t.Error("Rookie has no bonuses")
	}
	for i := 1; i < len(rs); i++ {
		// Contiguous at cent precision: Max + 0.01 = next Min.
		if !rs[i-1].Max.Add(d("0.01")).Equal(rs[i].Min) {
			t.Errorf("%s ends at %s, %s starts at %s", rs[i-1].Name, rs[i-1].Max, rs[i].Name, rs[i].Min)
		}
		if rs[i].DisplayText() != DefaultRankText {
			t.Errorf("%s text %q", rs[i].Name, rs[i].Text)
		}
	}
	if got := (Rank{Text: "  "}).DisplayText(); got != DefaultRankText {
		t.Errorf("blank TEXT → %q", got)
	}
}

func TestFormatRange(t *testing.T) {
	tests := []struct{ min, max, want string }{
		{"0", "1999.99", "$0 – $1,999"},
		{"2000", "3999.99", "$2,000 – $3,999"},
		{"10000", "14999.99", "$10,000 – $14,999"},
		{"15000", "999999", "$15,000+"},
		{"15000.75", "1000000", "$15,000+"},
		{"999.99", "999998.99", "$999 – $999,998"},
		{"1234567", "12345678", "$1,234,567+"},
	}
	for _, tt := range tests {
		if got := FormatRange(Rank{Min: d(tt.min), Max: d(tt.max)}); got != tt.want {
			t.Errorf("FormatRange(%s, %s) = %q, want %q", tt.min, tt.max, got, tt.want)
		}
	}
}

func TestEvaluateRank(t *testing.T) {
	ranks := DefaultRanks()
	rec := func(cur, prev string, notified bool) *RankRecord {
		return &RankRecord{Current: cur, Previous: prev, Notified: notified}
	}
	tests := []struct {
		name     string
		sales    string
		existing *RankRecord
		kind     string
		from, to string
		record   RankRecord
	}{
		{"first record at the lowest rank: silent", "500", nil,
			RankFirst, "Rookie", "Rookie", RankRecord{"Rookie", "Rookie", false}},
		{"first record above the lowest: a rank-up", "2500", nil,
			RankUp, "Rookie", "Hustler", RankRecord{"Hustler", "Rookie", false}},
		{"first record straight to the top", "20000", nil,
			RankUp, "Rookie", "Chatting God", RankRecord{"Chatting God", "Rookie", false}},
		{"rank up", "4500", rec("Hustler", "Rookie", true),
			RankUp, "Hustler", "Closer", RankRecord{"Closer", "Hustler", false}},
		{"rank down", "2500", rec("Closer", "Hustler", true),
			RankDown, "Closer", "Hustler", RankRecord{"Hustler", "Closer", false}},
		{"same rank keeps the record", "3000", rec("Hustler", "Rookie", true),
			RankNone, "Hustler", "Hustler", RankRecord{"Hustler", "Rookie", true}},
		{"same rank typed by an admin", "3000", rec(" hustler ", "Rookie", false),
			RankNone, "Hustler", "Hustler", RankRecord{" hustler ", "Rookie", false}},
		{"unknown recorded rank, now above the lowest", "2500", rec("Legend", "Rookie", true),
			RankUp, "Legend", "Hustler", RankRecord{"Hustler", "Legend", false}},
		{"unknown recorded rank, now the lowest", "100", rec("Legend", "Rookie", true),
			RankDown, "Legend", "Rookie", RankRecord{"Rookie", "Legend", false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EvaluateRank(ranks, d(tt.sales), tt.existing)
			if got.Kind != tt.kind || got.From.Name != tt.from || got.To.Name != tt.to || got.Record != tt.record {
				t.Errorf("got %s %q→%q %+v, want %s %q→%q %+v",
					got.Kind, got.From.Name, got.To.Name, got.Record, tt.kind, tt.from, tt.to, tt.record)
			}
		})
	}
}

func TestMonthSales(t *testing.T) {
	shifts := []SaleRecord{
		{EmployeeID: 1, Date: at("2025/10/31 23:59:59"), TotalSales: d("5000")},
		{EmployeeID: 1, Date: at("2025/11/01 00:30:00"), TotalSales: d("1500")},
		{EmployeeID: 1, Date: at("2025/11/20 18:00:00"), TotalSales: d("700.50")},
		{EmployeeID: 2, Date: at("2025/11/05 18:00:00"), TotalSales: d("9000")},
		{EmployeeID: 1, Date: at("2024/11/05 18:00:00"), TotalSales: d("9000")},
	}
	tests := []struct {
		name      string
		shiftDate string
		want      string
	}{
		// A shift finished at 00:30 on Nov 1 belongs to November even though its
		// clock times were on Oct 31: the month is the shift's Date (SPEC §6).
		{"November", "2025/11/01 00:30:00", "2200.50"},
		{"October", "2025/10/31 23:59:59", "5000"},
		{"a month without shifts", "2025/12/01 10:00:00", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eq(t, "month sales", MonthSales(1, at(tt.shiftDate), shifts), d(tt.want))
		})
	}
	// The month decides the rank: 2200.50 in November is Hustler, although the
	// employee's October sales alone were Closer.
	if got := RankFor(DefaultRanks(), MonthSales(1, at("2025/11/01 00:30:00"), shifts)); got.Name != "Hustler" {
		t.Errorf("November rank %q", got.Name)
	}
}
