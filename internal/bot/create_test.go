package bot_test

import (
	"strings"
	"testing"

	"shiftbot/internal/hybrid/hybridtest"
	"shiftbot/internal/store"
	"shiftbot/internal/telegramfake"
)

func TestCreateShiftWithOneProduct(t *testing.T) {
	e := newEnv(t)
	sum := e.createShift(anna, "Today", "9 AM", "5 PM", "Model A", "500")
	golden(t, "create_one_product", e.transcript(anna))

	// SPEC §6's example, as the user reads it.
	for label, want := range map[string]string{
		"📋 ID": "1", "Worked hours": "8.00", "Model A": "500.00", "Total sales": "500.00", "Net sales": "400.00",
		"Commission %": "10.00% (8.0% base + 2.0% dynamic)", "Total per hour": "120.00", "Commissions": "40.00", "Earned": "160.00",
		"Start": "2026/11/28 09:00:00", "End": "2026/11/28 17:00:00", "📅 Date": "2026/11/28 17:05:09", "👤 Employee": "anna",
	} {
		if got := field(sum.Text, label); got != want {
			t.Errorf("%s: %q, want %q", label, got, want)
		}
	}
	if len(sum.Buttons) != 1 || sum.Buttons[0][0].Text != "🏠 Main menu" {
		t.Errorf("summary buttons %+v", sum.Buttons)
	}
	if live := e.live(anna); len(live) != 1 || live[0] != sum.ID {
		t.Errorf("messages with live keyboards %v, want only the summary #%d", live, sum.ID)
	}
	row, ok := e.row(store.Shifts, "1")
	if !ok || !row.Pending || row.Values["total_made"] != "160.00" || row.Values["employee_id"] != "1001" {
		t.Errorf("stored shift %+v", row)
	}
	e.press(anna, "🏠 Main menu")
	if m := e.last(anna); !strings.Contains(m.Text, "Main menu") || len(m.Buttons) != 4 {
		t.Errorf("after Main menu: %+v", m)
	}
}

// Back on every step returns to the previous one (SPEC §4); the walk goes
// forward again after each Back and ends in a shift with three products.
func TestBackFromEveryStepAndSeveralProducts(t *testing.T) {
	e := newEnv(t)
	e.say(anna, "/start")
	e.press(anna, "Create new shift")
	steps := []struct{ forward, prompt string }{
		{"Yesterday", "When did the shift start?"},
		{"10 PM", "Choose the start hour"},
		{"2 AM", "Choose the end hour"},
		{"Model B", "Choose a product"},
	}
	for _, s := range steps {
		prompt := e.last(anna)
		if !strings.Contains(prompt.Text, s.prompt) {
			t.Fatalf("expected the %q prompt, got %q", s.prompt, prompt.Text)
		}
		e.pickHourOrPress(anna, s.forward)
		e.press(anna, "⬅️ Back")
		if got := e.last(anna); !strings.Contains(got.Text, s.prompt) {
			t.Fatalf("Back after %q: got %q, want the %q prompt", s.forward, got.Text, s.prompt)
		}
		e.pickHourOrPress(anna, s.forward)
	}
	// Amount step: Back returns to the products, Model B still offered.
	e.press(anna, "⬅️ Back")
	if got := e.last(anna); !strings.Contains(got.Text, "Choose a product") || !hasButton(got, "Model B") {
		t.Fatalf("Back from the amount: %q %+v", got.Text, got.Buttons)
	}
	e.press(anna, "Model B")
	e.say(anna, "1000")
	// Add/Finish step: Back asks the last amount again.
	e.press(anna, "⬅️ Back")
	if got := e.last(anna); !strings.Contains(got.Text, "amount for Model B") {
		t.Fatalf("Back from Add/Finish: %q", got.Text)
	}
	e.say(anna, "1000")
	e.press(anna, "Add model")
	// Product step after Add model: Back returns to Add/Finish.
	e.press(anna, "⬅️ Back")
	if got := e.last(anna); !strings.Contains(got.Text, "Add another model") {
		t.Fatalf("Back from the second product: %q", got.Text)
	}
	e.press(anna, "Add model")
	if got := e.last(anna); hasButton(got, "Model B") {
		t.Fatalf("Model B offered twice: %+v", got.Buttons)
	}
	e.press(anna, "Model A")
	e.say(anna, "250.5")
	e.press(anna, "Add model")
	e.press(anna, "Model D")
	e.say(anna, "1 234,56")
	e.press(anna, "Finish shift")
	golden(t, "back_and_several_products", e.transcript(anna))

	sum := e.lastWith(anna, "✅ Shift created")
	// Overnight: 10 PM yesterday to 2 AM today; 2485.06 → 6 % dynamic.
	for label, want := range map[string]string{
		"Start": "2026/11/27 22:00:00", "End": "2026/11/28 02:00:00", "Worked hours": "4.00",
		"Model A": "250.50", "Model B": "1,000.00", "Model D": "1,234.56", "Total sales": "2,485.06",
		"Commission %": "14.00% (8.0% base + 6.0% dynamic)",
	} {
		if got := field(sum.Text, label); got != want {
			t.Errorf("%s: %q, want %q", label, got, want)
		}
	}
	// Back from the first step returns to the menu.
	e.pressOn(anna, sum.ID, "🏠 Main menu")
	e.press(anna, "Create new shift")
	e.press(anna, "⬅️ Back")
	if got := e.last(anna); !strings.Contains(got.Text, "Main menu") || !hasButton(got, "Create new shift") {
		t.Fatalf("Back from the first step: %q", got.Text)
	}
}

func (e *env) pickHourOrPress(u telegramfake.User, label string) {
	e.t.Helper()
	if strings.HasSuffix(label, " AM") || strings.HasSuffix(label, " PM") {
		if strings.HasSuffix(label, "PM") && hasButton(e.last(u), "→ PM") {
			e.press(u, "→ PM")
		}
		if strings.HasSuffix(label, "AM") && hasButton(e.last(u), "→ AM") {
			e.press(u, "→ AM")
		}
	}
	e.press(u, label)
}

func hasButton(m telegramfake.Message, label string) bool {
	for _, r := range m.Buttons {
		for _, b := range r {
			if b.Text == label {
				return true
			}
		}
	}
	return false
}

func TestAMPMSwitchEditsTheKeyboardInPlace(t *testing.T) {
	e := newEnv(t)
	e.say(anna, "/start")
	e.press(anna, "Create new shift")
	e.press(anna, "Today")
	before := e.last(anna)
	e.press(anna, "→ PM")
	after := e.last(anna)
	if after.ID != before.ID || !after.Edited || after.Text != before.Text {
		t.Fatalf("switch must edit the same message's keyboard: before %+v after %+v", before, after)
	}
	if !hasButton(after, "12 PM") || !hasButton(after, "11 PM") || !hasButton(after, "→ AM") || hasButton(after, "9 AM") {
		t.Fatalf("PM page: %+v", after.Buttons)
	}
	if len(after.Buttons) != 5 || len(after.Buttons[0]) != 4 {
		t.Fatalf("want 3 rows × 4 hours, the switch and Back: %+v", after.Buttons)
	}
	e.press(anna, "→ AM")
	if m := e.last(anna); m.ID != before.ID || !hasButton(m, "12 AM") || !hasButton(m, "→ PM") {
		t.Fatalf("AM page again: %+v", m.Buttons)
	}
	e.press(anna, "→ PM")
	e.press(anna, "1 PM")
	if m := e.last(anna); !strings.Contains(m.Text, "Start: 2026/11/28 13:00:00") {
		t.Fatalf("1 PM is 13:00: %q", m.Text)
	}
}

func TestEndBeforeStartIsRejected(t *testing.T) {
	e := newEnv(t)
	e.say(anna, "/start")
	e.press(anna, "Create new shift")
	e.press(anna, "Today")
	e.press(anna, "9 AM")
	for _, end := range []string{"9 AM", "8 AM"} {
		e.press(anna, end)
		m := e.last(anna)
		if !strings.Contains(m.Text, "The end must be after the start") || !hasButton(m, "5 AM") || !hasButton(m, "→ PM") {
			t.Fatalf("end %s: %q %+v", end, m.Text, m.Buttons)
		}
	}
	e.pickHour(anna, "5 PM")
	if m := e.last(anna); !strings.Contains(m.Text, "Choose a product") {
		t.Fatalf("after a valid end: %q", m.Text)
	}
	if live := e.live(anna); len(live) != 1 {
		t.Fatalf("old keyboards left live: %v", live)
	}
}

func TestBadAmountsAreRejectedAndAskedAgain(t *testing.T) {
	e := newEnv(t)
	e.say(anna, "/start")
	e.press(anna, "Create new shift")
	e.press(anna, "Today")
	e.press(anna, "9 AM")
	e.pickHour(anna, "5 PM")
	e.press(anna, "Model C")
	for input, why := range map[string]string{
		"abc":                      "not a number",
		"-5":                       "greater than 0",
		"0":                        "greater than 0",
		"0,00":                     "greater than 0",
		"1e400":                    "not a number",
		"NaN":                      "not a number",
		"Inf":                      "not a number",
		"12.345":                   "2 decimal places",
		"1000000.01":               "at most 1,000,000",
		"1.5.5":                    "not a number",
		"$5":                       "not a number",
		strings.Repeat("9", 10240): "not a number",
	} {
		e.say(anna, input)
		m := e.last(anna)
		if !strings.Contains(m.Text, why) || !strings.Contains(m.Text, "Enter the sales amount for Model C") || !hasButton(m, "⬅️ Back") {
			t.Errorf("%.20q: got %q, want %q and the question again", input, m.Text, why)
		}
	}
	if n, _, _ := e.db.PendingCount(t.Context()); n != 0 {
		t.Fatalf("bad amounts wrote %d rows", n)
	}
	e.say(anna, " 1 000 000 ")
	if m := e.last(anna); !strings.Contains(m.Text, "Added Model C: $1,000,000.00") {
		t.Fatalf("a valid amount: %q", m.Text)
	}
}

// The keyboard leaves entered products out; data naming one anyway (a
// modified client) is refused.
func TestAProductCannotBeEnteredTwice(t *testing.T) {
	e := newEnv(t)
	e.say(anna, "/start")
	e.press(anna, "Create new shift")
	e.press(anna, "Today")
	e.press(anna, "9 AM")
	e.pickHour(anna, "5 PM")
	e.press(anna, "Model A")
	e.say(anna, "100")
	e.press(anna, "Add model")
	picker := e.last(anna)
	if hasButton(picker, "Model A") {
		t.Fatalf("Model A offered again: %+v", picker.Buttons)
	}
	e.pressData(anna, picker.ID, "v1:p:0")
	if m := e.last(anna); m.ID != picker.ID {
		t.Fatalf("a duplicate product moved the conversation on: %q", m.Text)
	}
	events := e.fake.Transcript(anna.ID)
	if ans := events[len(events)-1]; ans.Kind != telegramfake.CallbackAnswered || !ans.ShowAlert || !strings.Contains(ans.Text, "already entered") {
		t.Fatalf("want an alert, got %+v", ans)
	}
	e.press(anna, "Model B")
	e.say(anna, "200")
	e.press(anna, "Finish shift")
	if row, _ := e.row(store.Shifts, "1"); row.Values["products:Model A"] != "100.00" || row.Values["total_sales"] != "300.00" {
		t.Fatalf("stored %v", row.Values)
	}
}

func TestFinishIsRefusedUntilTheFirstPull(t *testing.T) {
	e := newEnv(t, notPulled)
	e.say(anna, "/start")
	e.press(anna, "Create new shift")
	e.press(anna, "Today")
	e.press(anna, "9 AM")
	e.pickHour(anna, "5 PM")
	e.press(anna, "Model A")
	e.say(anna, "500")
	e.press(anna, "Finish shift")
	m := e.last(anna)
	if !strings.Contains(m.Text, "still loading") || !hasButton(m, "Finish shift") {
		t.Fatalf("want a refusal with the buttons again, got %q", m.Text)
	}
	if n, _, _ := e.db.PendingCount(t.Context()); n != 0 {
		t.Fatalf("a refused finish wrote %d rows", n)
	}
	hybridtest.SeedPulled(t, e.db) // the worker's first pull lands
	e.press(anna, "Finish shift")
	if m := e.last(anna); !strings.Contains(m.Text, "✅ Shift created") {
		t.Fatalf("after the pull: %q", m.Text)
	}
}

func TestTextWhereAButtonIsExpectedShowsTheMenu(t *testing.T) {
	e := newEnv(t)
	e.say(anna, "hello?") // at the menu
	m := e.last(anna)
	if !strings.Contains(m.Text, "buttons") || !hasButton(m, "Create new shift") {
		t.Fatalf("got %q %+v", m.Text, m.Buttons)
	}

	// Mid-way through a shift, what was entered is kept and the step asked again.
	e.press(anna, "Create new shift")
	e.press(anna, "Today")
	e.press(anna, "9 AM")
	e.press(anna, "→ PM")
	e.press(anna, "5 PM")
	e.press(anna, "Model A")
	e.say(anna, "500")
	e.say(anna, "hello?")
	m = e.last(anna)
	if !strings.Contains(m.Text, "buttons") || !strings.Contains(m.Text, "Model A: $500.00") || !hasButton(m, "Finish shift") {
		t.Fatalf("got %q %+v", m.Text, m.Buttons)
	}
	if live := e.live(anna); len(live) != 1 || live[0] != m.ID {
		t.Fatalf("old keyboards left live: %v", live)
	}
	// What it says of ⬅️ Back is what Back does: one step back.
	if !strings.Contains(m.Text, "⬅️ Back goes one step back") {
		t.Errorf("the reply misdescribes Back: %q", m.Text)
	}
	e.press(anna, "⬅️ Back")
	if back := e.last(anna); !strings.Contains(back.Text, "Enter the sales amount for Model A") {
		t.Fatalf("Back after the stray message: %q", back.Text)
	}
	e.say(anna, "500")
	e.press(anna, "Finish shift")
	if m = e.last(anna); !strings.Contains(m.Text, "Shift created") {
		t.Fatalf("after the stray message the shift could not be finished: %q", m.Text)
	}
	golden(t, "stray_text", e.transcript(anna))
}

// SPEC §4: a comma followed by exactly three digits separates thousands,
// any other comma is the decimal point; the amount read is echoed.
func TestAmountsAreReadAsMeant(t *testing.T) {
	e := newEnv(t)
	e.toFinish(anna, "Today", "9 AM", "5 PM", "Model A", "1,000")
	if m := e.last(anna); !strings.Contains(m.Text, "✔️ Added Model A: $1,000.00") {
		t.Fatalf("1,000 read as: %q", m.Text)
	}
	e.press(anna, "Add model")
	e.press(anna, "Model B")
	e.say(anna, "2,500")
	if m := e.last(anna); !strings.Contains(m.Text, "✔️ Added Model B: $2,500.00") {
		t.Fatalf("2,500 read as: %q", m.Text)
	}
	for typed, echo := range map[string]string{"15,5": "$15.50", "12,345.50": "$12,345.50", "1 234,5": "$1,234.50", "0,99": "$0.99"} {
		e.press(anna, "Add model")
		e.press(anna, "Model C")
		e.say(anna, typed)
		if m := e.last(anna); !strings.Contains(m.Text, "✔️ Added Model C: "+echo) {
			t.Errorf("%s read as: %q, want %s", typed, m.Text, echo)
		}
		e.press(anna, "⬅️ Back") // drops Model C again, and says so
		if m := e.last(anna); !strings.Contains(m.Text, "the Model C amount ("+echo+") is removed") {
			t.Errorf("Back after %s: %q", typed, m.Text)
		}
		e.press(anna, "⬅️ Back")
		e.press(anna, "⬅️ Back")
	}
	e.press(anna, "Finish shift")
	row, _ := e.row(store.Shifts, "1")
	if row.Values["products:Model A"] != "1000.00" || row.Values["products:Model B"] != "2500.00" || row.Values["total_sales"] != "3500.00" {
		t.Fatalf("stored %v", row.Values)
	}
	for _, bad := range []string{"1.000", "1,5,5", "1.5,000", "1,0000"} {
		e.say(anna, "/start")
		e.press(anna, "Edit shift")
		e.press(anna, "ID 1 • 2026/11/28 17:05:09")
		e.press(anna, "Total sales")
		e.say(anna, bad)
		if m := e.last(anna); !strings.HasPrefix(m.Text, "❌") || !strings.Contains(m.Text, "Enter the new Total sales") {
			t.Errorf("%s on the edit: %q, want an error and the question again", bad, m.Text)
		}
	}
	e.say(anna, "2,500")
	if m := e.lastWith(anna, "✅ Shift #1 Updated"); field(m.Text, "Total sales") != "2,500.00" {
		t.Fatalf("edit to 2,500: %q", m.Text)
	}
	if row, _ := e.row(store.Shifts, "1"); row.Values["total_sales"] != "2500.00" {
		t.Fatalf("stored after the edit %v", row.Values)
	}
}
