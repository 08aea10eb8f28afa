package bot_test

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"shiftbot/internal/store"
	"shiftbot/internal/telegramfake"
)

var alice = telegramfake.User{ID: 1003, FirstName: "Alice", Username: "alice"}

// /payroll for a fixture of known shifts, made through the bot and pushed by
// the real worker: every figure is the hand computation below, and the CSV
// of the previous period parses and holds what the sheet holds.
func TestPayrollFiguresAndCSV(t *testing.T) {
	e := newEnv(t, notPulled, withAdmins(olga)) // rank-ups draw Bonus 1 (Hustler: flat_10)
	w := newWorker(t, e)
	e.clock.SetS("2026/11/01 08:00:00")
	w.run()
	// The previous period, November 1 – 14 (SPEC §6 pay, wage 15, base 8 %,
	// net = 80 % of sales):
	e.clock.SetS("2026/11/03 18:00:00") // anna: 8 h; 500 → +2 % dynamic = 10 %: 120 + 40 = 160.00
	e.createShift(anna, "Today", "9 AM", "5 PM", "Model A", "500")
	e.clock.SetS("2026/11/05 18:00:00") // boris: 4 h; 1,500 → +4 % = 12 %: 60 + 144 = 204.00
	e.createShift(boris, "Today", "9 AM", "1 PM", "Model B", "1500")
	e.clock.SetS("2026/11/10 18:00:00") // anna: 6 h; 2,000 → +6 % = 14 %: 90 + 224 = 314.00,
	e.createShift(anna, "Today", "9 AM", "3 PM", "Model A", "1000", "Model C", "1000")
	// and her month reaches 2,500: Hustler, whose flat_10 makes that shift 324.00.
	// The current period, from November 15:
	e.clock.SetS("2026/11/16 18:00:00") // anna: 8 h; 200 → 8 %: 120 + 12.80 = 132.80
	e.createShift(anna, "Today", "9 AM", "5 PM", "Model B", "200")
	e.clock.SetS("2026/11/18 18:00:00") // boris: 8 h; 300 → 8 %: 120 + 19.20 = 139.20
	e.createShift(boris, "Today", "9 AM", "5 PM", "Model A", "300")
	w.run()

	e.clock.SetS("2026/11/20 10:00:00")
	e.fake.Fail("sendDocument", 1, telegramfake.BadGateway) // the file is retried like any message
	e.say(olga, "/payroll")
	rep := e.lastWith(olga, "💼 Payroll")
	golden(t, "payroll", rep.Text)
	cur, prev, ok := strings.Cut(rep.Text, "📅 Previous period")
	if !ok || !strings.Contains(cur, "📅 Current period, so far: November 15 – 30, 2026") || !strings.HasPrefix(prev, ": November 1 – 14, 2026") {
		t.Fatalf("periods:\n%s", rep.Text)
	}
	for _, want := range []string{
		"👤 anna (1001): 1 shift, 8.00 h\n   Total sales $200.00 · Commissions $12.80 · Bonuses $0.00 · Earned $132.80",
		"👤 Boris B (1002): 1 shift, 8.00 h\n   Total sales $300.00 · Commissions $19.20 · Bonuses $0.00 · Earned $139.20",
		"👥 Team: 2 shifts, 16.00 h\n   Total sales $500.00 · Commissions $32.00 · Bonuses $0.00 · Earned $272.00",
	} {
		if !strings.Contains(cur, want) {
			t.Errorf("the current period lacks\n%s\nin\n%s", want, cur)
		}
	}
	for _, want := range []string{
		// 500 + 2,000; 40 + 224; the flat_10; 160 + 324.
		"👤 anna (1001): 2 shifts, 14.00 h\n   Total sales $2,500.00 · Commissions $264.00 · Bonuses $10.00 · Earned $484.00",
		"👤 Boris B (1002): 1 shift, 4.00 h\n   Total sales $1,500.00 · Commissions $144.00 · Bonuses $0.00 · Earned $204.00",
		"👥 Team: 3 shifts, 18.00 h\n   Total sales $4,000.00 · Commissions $408.00 · Bonuses $10.00 · Earned $688.00",
	} {
		if !strings.Contains(prev, want) {
			t.Errorf("the previous period lacks\n%s\nin\n%s", want, prev)
		}
	}
	if !hasButton(rep, "Create new shift") {
		t.Errorf("the payroll comes with the menu: %+v", rep.Buttons)
	}

	doc := lastDocument(t, e, olga)
	if doc.Document.Name != "shifts_2026-11-01_2026-11-14.csv" || !strings.Contains(doc.Text, "November 1 – 14, 2026") {
		t.Errorf("document %q, caption %q", doc.Document.Name, doc.Text)
	}
	records, err := csv.NewReader(bytes.NewReader(doc.Document.Data)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v\n%s", err, doc.Document.Data)
	}
	sheet := w.emu.TabStrings(sheetID, "Shifts")
	if !slices.Equal(records[0], sheet[0]) {
		t.Fatalf("CSV columns %q, the Shifts tab's %q", records[0], sheet[0])
	}
	if len(records) != 4 {
		t.Fatalf("%d CSV lines, want the header and the previous period's 3 shifts:\n%s", len(records), doc.Document.Data)
	}
	byID := map[string]map[string]string{}
	for _, r := range w.sheetRows("Shifts") {
		byID[r["ID"]] = r
	}
	for i, rec := range records[1:] {
		if want := []string{"1", "2", "3"}[i]; rec[0] != want {
			t.Errorf("CSV line %d is shift %s, want %s", i+2, rec[0], want)
		}
		row := byID[rec[0]]
		for j, col := range records[0] {
			if rec[j] != row[col] {
				t.Errorf("shift %s %s: CSV %q, sheet %q", rec[0], col, rec[j], row[col])
			}
		}
	}
	if got := strings.Join(records[3], ","); got != "3,2026/11/10 18:00:00,1001,anna,2026/11/10 09:00:00,2026/11/10 15:00:00,6.00,1000.00,,1000.00,,2000.00,1600.00,14.00,90.00,224.00,324.00" {
		t.Errorf("shift 3 in the CSV: %s", got)
	}
	if !strings.Contains(e.logs.String(), "method=sendDocument") {
		t.Errorf("the 502 on sendDocument was not retried through the outbox")
	}
}

func lastDocument(t *testing.T, e *env, u telegramfake.User) telegramfake.Message {
	t.Helper()
	msgs := e.fake.Messages(u.ID)
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Document != nil {
			return msgs[i]
		}
	}
	t.Fatalf("no document sent to %s:\n%s", u.FirstName, e.transcript(u))
	return telegramfake.Message{}
}

// The admin deleted in the sheet the shift that had made alice a Closer:
// /recalc_ranks puts her back, says so, updates EmployeeRanks (pending, then
// in the sheet) and grants nothing.
func TestRecalcRanksAfterTheAdminDeletedAShift(t *testing.T) {
	e := newEnv(t, notPulled, withAdmins(olga))
	w := newWorker(t, e)
	w.run()
	e.createShift(alice, "Today", "9 AM", "5 PM", "Model A", "2500") // Hustler
	e.createShift(alice, "Today", "9 AM", "5 PM", "Model B", "2000") // 4,500: Closer
	if m := e.last(alice); !strings.Contains(m.Text, "You are now Closer") {
		t.Fatalf("the fixture: %q", m.Text)
	}
	w.run()
	if r := w.sheetRows("Shifts"); len(r) != 2 || r[1]["ID"] != "2" {
		t.Fatalf("sheet shifts %v", r)
	}
	w.emu.DeleteRow(sheetID, "Shifts", 3) // shift 2
	w.run()
	if _, ok := e.row(store.Shifts, "2"); ok {
		t.Fatal("the pull kept the deleted shift")
	}
	aliceSaw := len(e.fake.Messages(alice.ID))

	e.say(olga, "/recalc_ranks")
	reply := e.last(olga)
	golden(t, "recalc_ranks", reply.Text)
	if !strings.Contains(reply.Text, "\nalice: Closer → Hustler") || !hasButton(reply, "Create new shift") {
		t.Fatalf("reply: %q", reply.Text)
	}
	rec, _ := e.row(store.EmployeeRanks, "1003|2026|11")
	if rec.Values[store.CurrentRank] != "Hustler" || rec.Values[store.PreviousRank] != "Closer" || rec.Values[store.Notified] != "false" || !rec.Pending {
		t.Fatalf("EmployeeRanks %+v", rec)
	}
	bonuses, err := e.db.AllRows(t.Context(), store.ActiveBonuses)
	if err != nil || len(bonuses) != 2 {
		t.Fatalf("bonuses after the recalculation: %d, %v", len(bonuses), err)
	}
	if n := len(e.fake.Messages(alice.ID)); n != aliceSaw {
		t.Errorf("alice was messaged by the recalculation:\n%s", e.transcript(alice))
	}
	w.run()
	ranks := w.sheetRows("EmployeeRanks")
	if len(ranks) != 1 || ranks[0]["Current Rank"] != "Hustler" || ranks[0]["Previous Rank"] != "Closer" || ranks[0]["Notified"] != "false" {
		t.Fatalf("the sheet's EmployeeRanks: %v", ranks)
	}
	e.say(olga, "/recalc_ranks")
	if m := e.last(olga); !strings.HasSuffix(m.Text, ": no changes.") {
		t.Fatalf("again: %q", m.Text)
	}
}

// Anyone not in ADMIN_IDS sending the admin commands gets what any unknown
// text gets, the menu, and nothing happens.
func TestAdminCommandsFromAnEmployeeShowTheMenu(t *testing.T) {
	e := newEnv(t, withAdmins(olga))
	e.createShift(anna, "Today", "9 AM", "5 PM", "Model A", "100")
	v := store.Values{store.EmployeeID: "1002", store.Year: "2026", store.Month: "11", store.CurrentRank: "Shark", store.PreviousRank: "Closer", store.Notified: "true"}
	if err := e.db.Update(t.Context(), func(tx *store.Tx) error {
		return tx.PutRow(t.Context(), store.EmployeeRanks, store.Row{Values: v, Base: v})
	}); err != nil {
		t.Fatal(err)
	}
	e.say(boris, "/start")
	e.say(boris, "/whatever")
	unknown := e.last(boris)
	for _, cmd := range []string{"/payroll", "/recalc_ranks", "/payroll@" + telegramfake.BotUsername} {
		e.say(boris, cmd)
		m := e.last(boris)
		if m.Text != unknown.Text || !hasButton(m, "Create new shift") {
			t.Errorf("%s: %q, want the menu as for any text: %q", cmd, m.Text, unknown.Text)
		}
	}
	for _, m := range e.fake.Messages(boris.ID) {
		if strings.Contains(m.Text, "$") || strings.Contains(m.Text, "anna") || m.Document != nil {
			t.Errorf("an employee was shown data: %q", m.Text)
		}
	}
	if rec, _ := e.row(store.EmployeeRanks, "1002|2026|11"); rec.Values[store.CurrentRank] != "Shark" || rec.Pending {
		t.Errorf("an employee's /recalc_ranks changed the ranks: %+v", rec)
	}
	if n := e.fake.Calls("sendDocument"); n != 0 {
		t.Errorf("%d documents sent", n)
	}
}

// The library's upload path drops Telegram's error_code; the outbox still
// tells a refusal (given up) from a failure (retried) by the description,
// so a document Telegram will never take does not hold the admin's chat.
func TestDocumentRefusalsAreGivenUp(t *testing.T) {
	e := newEnv(t, withAdmins(olga))
	e.clock.SetS("2026/11/03 18:00:00")
	e.createShift(anna, "Today", "9 AM", "5 PM", "Model A", "500")
	e.clock.SetS("2026/11/20 10:00:00")
	e.fake.Fail("sendDocument", 1, telegramfake.Fault{Code: 400, Description: "Bad Request: file is too big"})
	e.say(olga, "/payroll") // idle: the outbox empties
	if !strings.Contains(e.logs.String(), "Delivery given up: Telegram refuses it") {
		t.Errorf("a 400 on sendDocument was not given up:\n%s", e.logs)
	}
	e.say(olga, "/start")
	if m := e.last(olga); !strings.Contains(m.Text, "Welcome") {
		t.Fatalf("the chat is held up: %q", m.Text)
	}
	e.fake.Fail("sendDocument", 1, telegramfake.Fault{Code: 403, Description: "Forbidden: bot was blocked by the user"})
	e.say(olga, "/payroll")
	if !strings.Contains(e.logs.String(), "Telegram refuses this chat") || e.fake.Calls("sendDocument") != 2 {
		t.Errorf("a 403 on sendDocument: %d calls\n%s", e.fake.Calls("sendDocument"), e.logs)
	}
}
