package bot_test

import (
	"fmt"
	"strings"
	"testing"

	"shiftbot/internal/store"
)

func TestEditEachFieldRecalculates(t *testing.T) {
	e := newEnv(t)
	e.say(anna, "/start")
	e.press(anna, "Edit shift")
	if m := e.last(anna); !strings.Contains(m.Text, "no shifts to edit") || !hasButton(m, "Create new shift") {
		t.Fatalf("nothing to edit: %q", m.Text)
	}
	for i, day := range []string{"24", "25", "26", "27"} {
		e.clock.SetS("2026/11/" + day + " 17:05:00")
		e.createShift(anna, "Today", "9 AM", "5 PM", "Model A", fmt.Sprint(100*(i+1)))
	}
	e.press(anna, "🏠 Main menu")
	e.press(anna, "Edit shift")
	list := e.last(anna)
	var labels []string
	for _, r := range list.Buttons {
		labels = append(labels, r[0].Text)
	}
	if got := strings.Join(labels, " | "); got != "ID 4 • 2026/11/27 17:05:00 | ID 3 • 2026/11/26 17:05:00 | ID 2 • 2026/11/25 17:05:00 | ⬅️ Back" {
		t.Fatalf("edit list: %s", got)
	}

	// Clock in: the day before the record, 10 PM → 19 hours.
	e.press(anna, "ID 3 • 2026/11/26 17:05:00")
	e.press(anna, "Clock in")
	e.press(anna, "The day BEFORE the record")
	e.pickHour(anna, "10 PM")
	m := e.last(anna)
	for label, want := range map[string]string{
		"Start": "2026/11/25 22:00:00", "End": "2026/11/26 17:00:00", "Worked hours": "19.00", "Total per hour": "285.00",
		"Commissions": "19.20", "Earned": "304.20", "Total sales": "300.00",
	} {
		if got := field(m.Text, label); got != want {
			t.Errorf("after clock in edit, %s = %q, want %q", label, got, want)
		}
	}
	if !strings.HasPrefix(m.Text, "✅ Shift #3 Updated") || !hasButton(m, "🏠 Main menu") {
		t.Fatalf("confirmation: %q", m.Text)
	}

	// Clock out: an hour on the record's date; before clock in is refused.
	e.press(anna, "🏠 Main menu")
	e.press(anna, "Edit shift")
	e.press(anna, "ID 3 • 2026/11/26 17:05:00")
	e.press(anna, "Clock out")
	e.press(anna, "3 AM")
	if m := e.last(anna); !strings.HasPrefix(m.Text, "✅ Shift #3 Updated") || field(m.Text, "End") != "2026/11/26 03:00:00" || field(m.Text, "Worked hours") != "5.00" {
		t.Fatalf("clock out edit: %q", m.Text)
	}
	e.press(anna, "🏠 Main menu")
	e.press(anna, "Edit shift")
	e.press(anna, "ID 3 • 2026/11/26 17:05:00")
	e.press(anna, "Clock in")
	e.press(anna, "The SAME day as the record")
	e.press(anna, "9 AM") // after the 3 AM clock out
	if m := e.last(anna); !strings.Contains(m.Text, "Clock out must stay after clock in") || !hasButton(m, "9 AM") {
		t.Fatalf("clock order: %q", m.Text)
	}
	e.press(anna, "⬅️ Back")
	e.press(anna, "⬅️ Back")
	if m := e.last(anna); !strings.Contains(m.Text, "What do you want to change?") {
		t.Fatalf("Back twice from the clock in hour: %q", m.Text)
	}

	// Total sales: shows the current value, asks, validates, recalculates.
	e.press(anna, "Total sales")
	if m := e.last(anna); !strings.Contains(m.Text, "Current Total sales: $300.00") {
		t.Fatalf("sales prompt: %q", m.Text)
	}
	e.say(anna, "12.345")
	if m := e.last(anna); !strings.Contains(m.Text, "2 decimal places") || !strings.Contains(m.Text, "Current Total sales") {
		t.Fatalf("bad sales: %q", m.Text)
	}
	e.say(anna, "1,500")
	m = e.lastWith(anna, "✅ Shift #3 Updated")
	for label, want := range map[string]string{
		"Total sales": "1,500.00", "Net sales": "1,200.00", "Commission %": "12.00% (8.0% base + 4.0% dynamic)",
		"Commissions": "144.00", "Worked hours": "5.00", "Earned": "219.00",
	} {
		if got := field(m.Text, label); got != want {
			t.Errorf("after sales edit, %s = %q, want %q", label, got, want)
		}
	}
	// The month is at 2,200.00 now: Hustler, whose flat_10 goes on this shift.
	if r := e.last(anna); !strings.Contains(r.Text, "You are now Hustler") || !strings.Contains(r.Text, "Earned is now $229.00") {
		t.Errorf("rank message after the edit: %q", r.Text)
	}
	row, _ := e.row(store.Shifts, "3")
	if !row.Pending || row.Values["total_made"] != "229.00" || row.Values["total_sales"] != "1500.00" || row.Values["clock_out"] != "2026/11/26 03:00:00" {
		t.Errorf("stored: %+v", row)
	}
	golden(t, "edit_sales_confirmation", m.Text)
}

func TestBackFromEveryEditStep(t *testing.T) {
	e := newEnv(t)
	e.createShift(anna, "Today", "9 AM", "5 PM", "Model A", "100")
	e.press(anna, "🏠 Main menu")
	const pick = "ID 1 • 2026/11/28 17:05:09"
	for _, tc := range []struct {
		path []string // presses from the edit list on
		want string   // the prompt Back leads to
	}{
		{nil, "Main menu"},
		{[]string{pick}, "Choose the shift to edit"},
		{[]string{pick, "Clock in"}, "What do you want to change?"},
		{[]string{pick, "Clock in", "The SAME day as the record"}, "On which day did the shift start?"},
		{[]string{pick, "Clock out"}, "What do you want to change?"},
		{[]string{pick, "Total sales"}, "What do you want to change?"},
	} {
		e.press(anna, "Edit shift")
		for _, p := range tc.path {
			e.press(anna, p)
		}
		e.press(anna, "⬅️ Back")
		if m := e.last(anna); !strings.Contains(m.Text, tc.want) {
			t.Errorf("Back after %v: %q, want %q", tc.path, m.Text, tc.want)
		}
		if live := e.live(anna); len(live) != 1 {
			t.Errorf("after %v: live keyboards %v", tc.path, live)
		}
		e.say(anna, "/start")
	}
	if row, _ := e.row(store.Shifts, "1"); row.Values["clock_in"] != "2026/11/28 09:00:00" || row.Values["total_sales"] != "100.00" {
		t.Errorf("Back changed the shift: %v", row.Values)
	}
}
