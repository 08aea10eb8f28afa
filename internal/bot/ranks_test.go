package bot_test

import (
	"strings"
	"testing"

	"shiftbot/internal/store"
)

func TestStatisticsAndRanksScreens(t *testing.T) {
	e := newEnv(t)
	e.clock.SetS("2026/10/31 18:00:00")
	e.createShift(anna, "Today", "9 AM", "5 PM", "Model A", "900") // last month
	e.clock.SetS("2026/11/14 18:00:00")
	e.createShift(anna, "Today", "9 AM", "5 PM", "Model A", "1500")
	e.clock.SetS("2026/11/15 18:00:00")
	e.createShift(anna, "Today", "9 AM", "1 PM", "Model B", "200")
	e.createShift(boris, "Today", "9 AM", "5 PM", "Model B", "9000") // not Anna's

	e.clock.SetS("2026/11/20 10:00:00")
	e.say(anna, "/start")
	e.press(anna, "📊 Statistics")
	stats := e.last(anna)
	// This month 1500 + 200; since the 15th: 60 + 200 × 0.8 × 8 % = 72.80.
	golden(t, "statistics", stats.Text)
	if !strings.Contains(stats.Text, "Rookie") || !strings.Contains(stats.Text, "$1700.00") ||
		!strings.Contains(stats.Text, "$72.80") || !strings.Contains(stats.Text, "December 1, 2026") {
		t.Errorf("statistics: %q", stats.Text)
	}
	if !hasButton(stats, "Create new shift") {
		t.Errorf("statistics come with the menu: %+v", stats.Buttons)
	}
	e.press(anna, "🏆 Ranks")
	ranks := e.last(anna)
	golden(t, "ranks", ranks.Text)
	for _, want := range []string{"Rookie 🧑\u200d🚀 ($0 – $1,999)\nNo bonuses", "Hustler 💪 ($2,000 – $3,999)\n1. 💵 Flat bonus +$10\n2. 📈 +1% Commission on your next shift",
		"Chatting God 🔥 ($15,000+)"} {
		if !strings.Contains(ranks.Text, want) {
			t.Errorf("ranks screen lacks %q:\n%s", want, ranks.Text)
		}
	}
}

func TestRankUpClaimAndItsBonusOnTheNextShift(t *testing.T) {
	e := newEnv(t, withDraw(1)) // Hustler's Bonus 2: percent_next_1
	sum := e.createShift(anna, "Today", "9 AM", "5 PM", "Model A", "2500")
	rank := e.last(anna)
	if rank.ID <= sum.ID || !hasButton(rank, "✅ Claim") {
		t.Fatalf("the rank message must follow the summary, with Claim: %+v", rank)
	}
	golden(t, "rank_up", rank.Text)
	rec, _ := e.row(store.EmployeeRanks, "1001|2026|11")
	if rec.Values["current_rank"] != "Hustler" || rec.Values["previous_rank"] != "Rookie" || rec.Values["notified"] != "true" || !rec.Pending {
		t.Fatalf("rank record %+v", rec)
	}
	bonus, _ := e.row(store.ActiveBonuses, "1")
	if bonus.Values["bonus_type"] != "percent_next" || bonus.Values["applied"] != "false" || !bonus.Pending {
		t.Fatalf("bonus row %+v", bonus)
	}
	e.press(anna, "✅ Claim")
	if m := e.last(anna); !strings.Contains(m.Text, "Main menu") || !hasButton(m, "Create new shift") {
		t.Fatalf("Claim leads to the menu: %q", m.Text)
	}
	if live := e.live(anna); len(live) != 1 {
		t.Fatalf("Claim left keyboards live: %v", live)
	}

	next := e.createShift(anna, "Today", "9 AM", "5 PM", "Model A", "500")
	if got := field(next.Text, "Commission %"); got != "11.00% (8.0% base + 2.0% dynamic + 1.0% bonus)" {
		t.Errorf("next shift commission: %q", got)
	}
	if !strings.Contains(next.Text, "🎁 Bonus applied: 📈 +1% Commission on your next shift") || field(next.Text, "Earned") != "164.00" {
		t.Errorf("next shift summary:\n%s", next.Text)
	}
	if bonus, _ := e.row(store.ActiveBonuses, "1"); bonus.Values["applied"] != "true" || bonus.Values["shift_id"] != "2" {
		t.Errorf("bonus after use %+v", bonus.Values)
	}
	if e.last(anna).ID != next.ID {
		t.Error("same rank again must send no rank message")
	}
}

func TestRankDownMessage(t *testing.T) {
	e := newEnv(t)
	v := store.Values{"employee_id": "1001", "year": "2026", "month": "11", "current_rank": "Shark", "previous_rank": "Closer", "notified": "true"}
	if err := e.db.Update(t.Context(), func(tx *store.Tx) error {
		return tx.PutRow(t.Context(), store.EmployeeRanks, store.Row{Values: v, Base: v})
	}); err != nil {
		t.Fatal(err)
	}
	e.createShift(anna, "Today", "9 AM", "5 PM", "Model A", "100")
	m := e.last(anna)
	if !strings.Contains(m.Text, "from Shark 🦈 to Rookie") || !hasButton(m, "✅ Claim") {
		t.Fatalf("rank-down: %q", m.Text)
	}
	rec, _ := e.row(store.EmployeeRanks, "1001|2026|11")
	if rec.Values["current_rank"] != "Rookie" || rec.Values["previous_rank"] != "Shark" || rec.Values["notified"] != "true" {
		t.Fatalf("record %+v", rec.Values)
	}
	if _, ok := e.row(store.ActiveBonuses, "1"); ok {
		t.Fatal("a rank-down grants no bonus")
	}
}
