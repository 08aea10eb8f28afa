package payroll

import (
	"math/rand/v2"
	"testing"
)

// fixed is a random source that always answers n % its value.
type fixed int

func (f fixed) IntN(n int) int { return int(f) % n }

func TestParseBonusCode(t *testing.T) {
	tests := []struct {
		code, typ, value string
		ok               bool
	}{
		{"flat_10", Flat, "10", true},
		{"flat_12.5", Flat, "12.5", true},
		{" Flat_25 ", Flat, "25", true},
		{"percent_next_1", PercentNext, "1", true},
		{"percent_prev_1", PercentPrev, "1", true},
		{"percent_all_2", PercentAll, "2", true},
		{"double_commission", DoubleCommission, "0", true},
		{"paid_day_off", PaidDayOff, "0", true},
		{"telegram_premium", TelegramPremium, "0", true},
		{"none", "", "0", false},
		{"", "", "0", false},
		{"flat_", "", "0", false},
		{"flat_abc", "", "0", false},
		{"flat_-5", "", "0", false},
		{"flat_1e3", "", "0", false},
		{"flat_10_extra", "", "0", false},
		{"flat_immediate", "", "0", false},
		{"percent_next", "", "0", false},
		{"percent_other_3", "", "0", false},
		{"dinner_with_boss", "", "0", false},
	}
	for _, tt := range tests {
		typ, v, ok := ParseBonusCode(tt.code)
		if typ != tt.typ || ok != tt.ok || !v.Equal(d(tt.value)) {
			t.Errorf("ParseBonusCode(%q) = %q %s %v, want %q %s %v", tt.code, typ, v, ok, tt.typ, tt.value, tt.ok)
		}
	}
}

func TestDescribeBonus(t *testing.T) {
	tests := []struct{ code, want string }{
		{"flat_10", "💵 Flat bonus +$10"},
		{"flat_12.50", "💵 Flat bonus +$12.5"},
		{"percent_next_1", "📈 +1% Commission on your next shift"},
		{"percent_prev_1", "💰 +1% Commission from the chatter from previous shift"},
		{"percent_all_2", "🔥 +2% from sales of ALL other chatters on your model that day(next shift)"},
		{"double_commission", "⚡ Double commission on your next shift"},
		{"paid_day_off", "🏖️ Pick a Date for Paid Day Off"},
		{"telegram_premium", "⭐ Telegram Premium for 3 months"},
		{"dinner_with_boss", "🎁 Special bonus"},
		{"flat_x", "🎁 Special bonus"},
		{"none", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := DescribeBonus(tt.code); got != tt.want {
			t.Errorf("DescribeBonus(%q) = %q, want %q", tt.code, got, tt.want)
		}
	}
}

func TestBonusCode(t *testing.T) {
	tests := []struct {
		b    Bonus
		want string
	}{
		{Bonus{Type: "flat", Value: d("10.00")}, "flat_10"},
		{Bonus{Type: "flat_immediate", Value: d("25")}, "flat_25"},
		{Bonus{Type: "percent_next", Value: d("1.50")}, "percent_next_1.5"},
		{Bonus{Type: " Percent_All ", Value: d("2")}, "percent_all_2"},
		{Bonus{Type: "double_commission"}, "double_commission"},
		{Bonus{Type: "paid_day_off"}, "paid_day_off"},
	}
	for _, tt := range tests {
		if got := tt.b.Code(); got != tt.want {
			t.Errorf("%+v.Code() = %q, want %q", tt.b, got, tt.want)
		}
	}
}

func TestDrawBonus(t *testing.T) {
	rank := Rank{Name: "Mixed", Bonuses: [3]string{"flat_10", "none", " percent_next_1 "}}
	tests := []struct {
		pick int
		want string
	}{
		{0, "flat_10"},
		{1, "percent_next_1"}, // "none" is never drawn
		{2, "flat_10"},        // only two candidates: IntN(2)
	}
	for _, tt := range tests {
		got, ok := DrawBonus(fixed(tt.pick), rank)
		if !ok || got != tt.want {
			t.Errorf("pick %d: %q %v, want %q", tt.pick, got, ok, tt.want)
		}
	}
	for _, r := range []Rank{{Bonuses: [3]string{"none", "NONE", ""}}, {}} {
		if got, ok := DrawBonus(fixed(0), r); ok {
			t.Errorf("no bonuses: drew %q", got)
		}
	}

	// A seeded math/rand/v2 source is deterministic and fits the interface.
	god := DefaultRanks()[5]
	src := func() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }
	a, b := src(), src()
	seen := map[string]bool{}
	for range 50 {
		x, _ := DrawBonus(a, god)
		y, _ := DrawBonus(b, god)
		if x != y {
			t.Fatalf("same seed drew %q and %q", x, y)
		}
		seen[x] = true
	}
	if len(seen) != 3 {
		t.Errorf("50 draws covered %v", seen)
	}
}

func TestRankUpGrant(t *testing.T) {
	tests := []struct {
		code      string
		typ, val  string
		immediate bool
		ok        bool
	}{
		{"flat_10", FlatImmediate, "10", true, true},
		{"percent_next_1", PercentNext, "1", false, true},
		{"percent_prev_1", PercentPrev, "1", false, true},
		{"percent_all_2", PercentAll, "2", false, true},
		{"double_commission", DoubleCommission, "0", false, true},
		{"paid_day_off", PaidDayOff, "0", false, true},
		{"telegram_premium", TelegramPremium, "0", false, true},
		{"dinner_with_boss", "", "0", false, false},
	}
	for _, tt := range tests {
		b, imm, ok := RankUpGrant(tt.code)
		if b.Type != tt.typ || !b.Value.Equal(d(tt.val)) || imm != tt.immediate || ok != tt.ok {
			t.Errorf("RankUpGrant(%q) = %+v %v %v", tt.code, b, imm, ok)
		}
	}
}
