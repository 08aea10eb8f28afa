package bot_test

import (
	"fmt"
	"strings"
	"testing"

	"shiftbot/internal/bot"
	"shiftbot/internal/hybrid/hybridtest"
	"shiftbot/internal/store"
	"shiftbot/internal/telegramfake"
)

// setCatalog writes the Products tab as the worker's pull leaves it:
// name and Active by position, replaced as a whole.
func (e *env) setCatalog(rows ...[2]string) {
	e.t.Helper()
	err := e.db.Update(e.t.Context(), func(tx *store.Tx) error {
		if err := tx.DeleteAll(e.t.Context(), store.ProductCatalog); err != nil {
			return err
		}
		for i, r := range rows {
			v := store.Values{store.Pos: fmt.Sprint(i + 1), store.ProductName: r[0], store.Active: r[1]}
			if err := hybridtest.Synced(e.t.Context(), tx, store.ProductCatalog, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func buttonLabels(m telegramfake.Message) string {
	var out []string
	for _, r := range m.Buttons {
		for _, b := range r {
			out = append(out, b.Text)
		}
	}
	return strings.Join(out, " ")
}

// The product buttons follow the Products tab as the worker last pulled it,
// read when the keyboard is built: a product added in the sheet is offered
// without restarting the bot, an inactive one is not, PRODUCTS is the
// fallback while the tab was never pulled, and a button pressed after the
// list changed still means the product it showed, or is refused.
func TestProductButtonsFollowTheCatalog(t *testing.T) {
	e := newEnv(t)
	e.toFinish(anna, "Today", "9 AM", "5 PM")
	if got := buttonLabels(e.last(anna)); got != "Model A Model B Model C Model D ⬅️ Back" {
		t.Fatalf("before any Products tab (PRODUCTS): %s", got)
	}
	before := e.last(anna)

	// The worker pulls a Products tab: a new product, one switched off.
	e.setCatalog([2]string{"Model A", ""}, [2]string{"Model E", "true"}, [2]string{"Model B", "TRUE"},
		[2]string{"Model C", "false"}, [2]string{"Model D", "FALSE"})
	e.press(anna, "⬅️ Back")
	e.pickHour(anna, "5 PM")
	picker := e.last(anna)
	if got := buttonLabels(picker); got != "Model A Model E Model B ⬅️ Back" {
		t.Fatalf("after the pull: %s", got)
	}
	// A press on the keyboard sent before the pull: Model B moved, and
	// its button still means Model B.
	e.pressData(anna, picker.ID, before.Buttons[0][1].Data)
	if m := e.last(anna); !strings.Contains(m.Text, "Enter the sales amount for Model B") {
		t.Fatalf("a button of the old list: %q", m.Text)
	}
	e.say(anna, "200")

	// The admin hides Model E while anna's keyboard offers it.
	e.press(anna, "Add model")
	offer := e.last(anna)
	e.setCatalog([2]string{"Model A", ""}, [2]string{"Model E", "false"}, [2]string{"Model B", ""})
	e.pressOn(anna, offer.ID, "Model E")
	events := e.fake.Transcript(anna.ID)
	var alert telegramfake.Event
	for _, ev := range events {
		if ev.Kind == telegramfake.CallbackAnswered && ev.Text != "" {
			alert = ev
		}
	}
	if !alert.ShowAlert || !strings.Contains(alert.Text, "no longer offered") {
		t.Fatalf("a hidden product's button: %+v", alert)
	}
	if m := e.last(anna); !strings.Contains(m.Text, "Choose the next product") || buttonLabels(m) != "Model A ⬅️ Back" {
		t.Fatalf("after the refusal: %q %s", m.Text, buttonLabels(m))
	}
	e.press(anna, "Model A")
	e.say(anna, "100")
	if m := e.last(anna); hasButton(m, "Add model") {
		t.Errorf("nothing is left to add, yet: %s", buttonLabels(m))
	}
	e.press(anna, "Finish shift")
	row, _ := e.row(store.Shifts, "1")
	if row.Values[store.ProductField("Model B")] != "200.00" || row.Values[store.ProductField("Model A")] != "100.00" || row.Values[store.TotalSales] != "300.00" {
		t.Fatalf("stored %v", row.Values)
	}
	// Forged product data, even of the right shape, changes nothing.
	e.toFinish(boris, "Today", "9 AM", "5 PM")
	p := e.last(boris)
	e.pressData(boris, p.ID, "v1:p:"+bot.ProductRef("Model E"))
	e.pressData(boris, e.last(boris).ID, "v1:p:0")
	if m := e.last(boris); !strings.Contains(m.Text, "Choose a product") {
		t.Fatalf("forged product data: %q", m.Text)
	}
}

// Only shifts of the open pay period can be edited: older ones are not in
// Edit, a forged press on one is refused, and a period that closes while
// the user is choosing refuses the save.
func TestClosedPayPeriods(t *testing.T) {
	e := newEnv(t)
	e.clock.SetS("2026/11/14 18:00:00")
	e.createShift(anna, "Today", "9 AM", "5 PM", "Model A", "100") // shift 1, the previous period
	e.clock.SetS("2026/11/16 18:00:00")
	e.createShift(anna, "Today", "9 AM", "5 PM", "Model A", "200") // shift 2
	e.press(anna, "🏠 Main menu")
	e.press(anna, "Edit shift")
	list := e.last(anna)
	if got := buttonLabels(list); got != "ID 2 • 2026/11/16 18:00:00 ⬅️ Back" {
		t.Fatalf("edit list: %s", got)
	}
	e.pressData(anna, list.ID, "v1:s:1")
	var alert telegramfake.Event
	for _, ev := range e.fake.Transcript(anna.ID) {
		if ev.Kind == telegramfake.CallbackAnswered && ev.Text != "" {
			alert = ev
		}
	}
	if !alert.ShowAlert || !strings.Contains(alert.Text, "Shift #1 is in a closed pay period (before November 15)") {
		t.Fatalf("forged edit of shift 1: %+v", alert)
	}
	if m := e.last(anna); !hasButton(m, "Create new shift") {
		t.Fatalf("after the refusal: %q", m.Text)
	}

	// With only closed shifts, Edit says why there is nothing to edit.
	e.clock.SetS("2026/12/02 10:00:00")
	e.press(anna, "Edit shift")
	if m := e.last(anna); !strings.Contains(m.Text, "no shifts since the pay day of December 1 to edit") || !strings.Contains(m.Text, "ask the admin") {
		t.Fatalf("nothing open: %q", m.Text)
	}

	// The period closes between the choice and the save.
	e.clock.SetS("2026/12/14 18:00:00")
	e.createShift(anna, "Today", "9 AM", "5 PM", "Model A", "300") // shift 3
	e.press(anna, "🏠 Main menu")
	e.press(anna, "Edit shift")
	e.press(anna, "ID 3 • 2026/12/14 18:00:00")
	e.press(anna, "Total sales")
	e.clock.SetS("2026/12/15 00:01:00")
	e.say(anna, "900")
	if m := e.last(anna); !strings.Contains(m.Text, "Shift #3 is in a closed pay period (before December 15)") || !hasButton(m, "Create new shift") {
		t.Fatalf("a save after the pay day: %q", m.Text)
	}
	for id, want := range map[string]string{"1": "100.00", "3": "300.00"} {
		if row, _ := e.row(store.Shifts, id); row.Values[store.TotalSales] != want {
			t.Errorf("shift %s changed: %v", id, row.Values)
		}
	}
}

// 📊 Statistics says how far the month's sales are from the next rank, and
// when the top is reached.
func TestStatisticsShowTheWayToTheNextRank(t *testing.T) {
	e := newEnv(t)
	e.createShift(anna, "Today", "9 AM", "5 PM", "Model A", "2480")
	e.press(anna, "✅ Claim")
	e.press(anna, "📊 Statistics")
	if m := e.last(anna); !strings.Contains(m.Text, "🏆 Rank: Hustler 💪\n🎯 Next rank: $1,520.00 to 💼 Closer\n") {
		t.Fatalf("statistics: %q", m.Text)
	}
	e.createShift(anna, "Today", "9 AM", "5 PM", "Model A", "20000")
	e.press(anna, "✅ Claim")
	e.press(anna, "📊 Statistics")
	if m := e.last(anna); !strings.Contains(m.Text, "🏆 Rank: Chatting God 🔥\n🎯 Next rank: you have reached the top rank!") {
		t.Fatalf("statistics at the top: %q", m.Text)
	}
}

// End to end with the real worker: a product the admin adds to the Products
// tab is a button after one cycle, with neither daemon restarted; one set
// inactive is not; a shift with the new product lands in its column.
func TestProductAddedInTheSheetIsOfferedAfterOneCycle(t *testing.T) {
	e := newEnv(t, notPulled)
	w := newWorker(t, e)
	w.run()
	e.toFinish(anna, "Today", "9 AM", "5 PM")
	if got := buttonLabels(e.last(anna)); got != "Model A Model B Model C Model D ⬅️ Back" {
		t.Fatalf("from the Products tab --init-sheets wrote: %s", got)
	}
	tab := w.emu.TabStrings(sheetID, "Products")
	rows := [][]any{}
	for _, r := range tab {
		row := []any{}
		for _, c := range r {
			row = append(row, c)
		}
		rows = append(rows, row)
	}
	rows[3][1] = "FALSE" // Model C
	rows = append(rows, []any{"Model E", "TRUE"})
	w.emu.SetTab(sheetID, "Products", rows)
	w.run()
	e.press(anna, "⬅️ Back")
	e.pickHour(anna, "5 PM")
	if got := buttonLabels(e.last(anna)); got != "Model A Model B Model D Model E ⬅️ Back" {
		t.Fatalf("after one cycle: %s", got)
	}
	e.press(anna, "Model E")
	e.say(anna, "750")
	e.press(anna, "Finish shift")
	w.run()
	sheet := w.sheetRows("Shifts")
	if len(sheet) != 1 || sheet[0]["Model E"] != "750.00" || sheet[0]["Total sales"] != "750.00" {
		t.Fatalf("the sheet's shift: %v", sheet)
	}
}
