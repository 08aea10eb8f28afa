package bot_test

import (
	"fmt"
	"strings"
	"testing"

	"shiftbot/internal/store"
	"shiftbot/internal/telegramfake"
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
	if !strings.Contains(stats.Text, "Rookie") || !strings.Contains(stats.Text, "$1,700.00") ||
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
	golden(t, "bonus_applied", next.Text)
	if got := field(next.Text, "Commission %"); got != "11.00% (8.0% base + 2.0% dynamic + 1.0% bonus)" {
		t.Errorf("next shift commission: %q", got)
	}
	if !strings.Contains(next.Text, "🎁 Bonus applied to this shift: 📈 +1% commission") || field(next.Text, "Earned") != "164.00" {
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

// putRank writes a rank as the worker's pull would.
func (e *env) putRank(name, lo, hi, emoji string, bonuses [3]string, text string) {
	e.t.Helper()
	v := store.Values{"rank_name": name, "min_amount": lo, "max_amount": hi, "emoji": emoji,
		"bonus_1": bonuses[0], "bonus_2": bonuses[1], "bonus_3": bonuses[2], "text": text}
	if err := e.db.Update(e.t.Context(), func(tx *store.Tx) error {
		return tx.PutRow(e.t.Context(), store.Ranks, store.Row{Values: v, Base: v})
	}); err != nil {
		e.t.Fatal(err)
	}
}

// sentSince is the text of the messages the bot sent u after message id.
func (e *env) sentSince(u telegramfake.User, id int) []telegramfake.Message {
	var out []telegramfake.Message
	for _, m := range e.fake.Messages(u.ID) {
		if m.ID > id {
			out = append(out, m)
		}
	}
	return out
}

// 76 ranks make a Ranks screen of some 15,000 characters, which Telegram
// refuses as one message: it comes in parts, every rank in one of them, the
// menu under the last.
func TestRanksScreenWith76Ranks(t *testing.T) {
	e := newEnv(t)
	var names []string
	for i := 7; i <= 76; i++ { // after the six default ranks
		name := fmt.Sprintf("Level %02d Grandmaster of the Evening Shift", i)
		lo := 100000 + 1000*i
		e.putRank(name, fmt.Sprint(lo), fmt.Sprintf("%d.99", lo+999), "🏅", [3]string{"flat_10", "percent_next_2", "double_commission"}, "")
		names = append(names, name)
	}
	e.say(anna, "/start")
	before := e.last(anna).ID
	e.press(anna, "🏆 Ranks")
	parts := e.sentSince(anna, before)
	if len(parts) < 2 {
		t.Fatalf("%d message(s) for 76 ranks", len(parts))
	}
	var all strings.Builder
	for i, m := range parts {
		if n := utf16Len(m.Text); n > 4096 {
			t.Errorf("part %d is %d characters long", i+1, n)
		}
		if (len(m.Buttons) > 0) != (i == len(parts)-1) {
			t.Errorf("part %d of %d has buttons %+v; only the last carries the menu", i+1, len(parts), m.Buttons)
		}
		all.WriteString(m.Text + "\n")
	}
	for _, n := range append([]string{"Rookie", "Chatting God 🔥 ($15,000+)"}, names...) {
		if !strings.Contains(all.String(), n) {
			t.Errorf("the Ranks screen lacks %q", n)
		}
	}
	if !strings.Contains(all.String(), "Level 76 Grandmaster of the Evening Shift 🏅 ($176,000 – $176,999)\n1. 💵 Flat bonus +$10\n2. 📈 +2% Commission on your next shift\n3. ⚡ Double commission on your next shift") {
		t.Error("the last rank is not whole")
	}
	e.press(anna, "Create new shift") // the menu under the last part works
	if m := e.last(anna); !strings.Contains(m.Text, "When did the shift start?") {
		t.Fatalf("menu under the ranks: %q", m.Text)
	}
}

// The longest TEXT an admin could type in a cell of the sheet still reaches
// the user, in parts, with ✅ Claim under the last.
func TestRankUpWithA5000CharacterText(t *testing.T) {
	e := newEnv(t, withDraw(1)) // percent_next_1
	long := strings.Repeat("You are on fire, keep going! ", 173)[:5000]
	e.putRank("Hustler", "2000", "3999.99", "💪", [3]string{"flat_10", "percent_next_1", "percent_prev_1"}, long)
	sum := e.createShift(anna, "Today", "9 AM", "5 PM", "Model A", "2500")
	parts := e.sentSince(anna, sum.ID)
	if len(parts) != 2 {
		t.Fatalf("%d rank message parts, want 2:\n%s", len(parts), e.transcript(anna))
	}
	if !strings.HasPrefix(parts[0].Text, "🎉 Congratulations!\n\nYou are now Hustler 💪") || len(parts[0].Buttons) != 0 {
		t.Errorf("first part %.80q with buttons %+v", parts[0].Text, parts[0].Buttons)
	}
	if !hasButton(parts[1], "✅ Claim") || !strings.HasSuffix(parts[1].Text, "📈 +1% Commission on your next shift") {
		t.Errorf("last part %.80q… with buttons %+v", parts[1].Text, parts[1].Buttons)
	}
	joined := strings.Join(strings.Fields(parts[0].Text+" "+parts[1].Text), " ")
	if !strings.Contains(joined, strings.Join(strings.Fields(long), " ")) {
		t.Error("the rank's TEXT lost words in the split")
	}
	if rec, _ := e.row(store.EmployeeRanks, "1001|2026|11"); rec.Values["notified"] != "true" {
		t.Errorf("rank record %v", rec.Values)
	}
}

// After Edit → Total sales the month's rank is checked again (SPEC §4): the
// same rank message and bonus as a new shift with that total gets.
func TestTotalSalesEditRanksUpAsANewShiftWould(t *testing.T) {
	created := newEnv(t)
	created.createShift(anna, "Today", "9 AM", "5 PM", "Model A", "4,500")
	want := created.last(anna)

	e := newEnv(t)
	e.createShift(anna, "Today", "9 AM", "5 PM", "Model A", "100")
	if m := e.last(anna); !strings.Contains(m.Text, "✅ Shift created") {
		t.Fatalf("a Rookie's first shift announced a rank: %q", m.Text)
	}
	e.press(anna, "🏠 Main menu")
	e.press(anna, "Edit shift")
	e.press(anna, "ID 1 • 2026/11/28 17:05:09")
	e.press(anna, "Total sales")
	e.say(anna, "4,500")
	upd := e.lastWith(anna, "✅ Shift #1 Updated")
	rank := e.last(anna)
	if rank.ID <= upd.ID || rank.Text != want.Text || !hasButton(rank, "✅ Claim") {
		t.Fatalf("after the edit:\n%s\nwant, as after a create:\n%s", rank.Text, want.Text)
	}
	golden(t, "edit_rank_up", e.transcript(anna)[strings.Index(e.transcript(anna), "👤 Anna pressed [Total sales]"):])
	for _, env := range []*env{created, e} {
		if row, _ := env.row(store.Shifts, "1"); row.Values["total_sales"] != "4500.00" || row.Values["total_made"] != "649.00" {
			t.Errorf("shift %v", row.Values)
		}
		if b, _ := env.row(store.ActiveBonuses, "1"); b.Values["bonus_type"] != "flat_immediate" || b.Values["value"] != "25.00" || b.Values["shift_id"] != "1" {
			t.Errorf("bonus %v", b.Values)
		}
		if rec, _ := env.row(store.EmployeeRanks, "1001|2026|11"); rec.Values["current_rank"] != "Closer" || rec.Values["notified"] != "true" {
			t.Errorf("rank record %v", rec.Values)
		}
	}
	e.press(anna, "✅ Claim")
	if m := e.last(anna); !hasButton(m, "Create new shift") {
		t.Fatalf("Claim: %q", m.Text)
	}
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}
