package bot_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"shiftbot/internal/bot"
	"shiftbot/internal/hybrid"
	"shiftbot/internal/store"
	"shiftbot/internal/telegramfake"
	"shiftbot/internal/testutil"
)

// The conversation state lives in SQLite: a restart mid-conversation loses
// nothing, and the buttons sent before it still work.
func TestRestartMidConversationCarriesOn(t *testing.T) {
	e := newEnv(t)
	e.say(anna, "/start")
	e.press(anna, "Create new shift")
	e.press(anna, "Yesterday")
	e.press(anna, "8 AM")
	e.restart()
	e.pickHour(anna, "4 PM")
	e.press(anna, "Model B")
	e.restart()
	e.say(anna, "750")
	if m := e.last(anna); !strings.Contains(m.Text, "Added Model B: $750.00") {
		t.Fatalf("after restart: %q", m.Text)
	}
	e.restart()
	e.press(anna, "Finish shift")
	sum := e.lastWith(anna, "✅ Shift created")
	if field(sum.Text, "Start") != "2026/11/27 08:00:00" || field(sum.Text, "End") != "2026/11/28 16:00:00" || field(sum.Text, "Model B") != "750.00" {
		t.Fatalf("summary after restarts:\n%s", sum.Text)
	}
	if n := strings.Count(e.logs.String(), "Bot started"); n != 4 {
		t.Fatalf("%d starts logged, want 4", n)
	}
}

func TestForgedCallbackForAnotherUsersShiftIsRefused(t *testing.T) {
	e := newEnv(t)
	e.createShift(boris, "Today", "9 AM", "5 PM", "Model A", "900") // shift 1
	e.createShift(anna, "Today", "9 AM", "5 PM", "Model A", "100")  // shift 2
	e.press(anna, "🏠 Main menu")
	e.press(anna, "Edit shift")
	list := e.last(anna)
	if len(list.Buttons) != 2 || !strings.HasPrefix(list.Buttons[0][0].Text, "ID 2 ") {
		t.Fatalf("Anna must see only her own shift: %+v", list.Buttons)
	}
	e.pressData(anna, list.ID, "v1:s:1")
	events := e.fake.Transcript(anna.ID)
	var answer telegramfake.Event
	for _, ev := range events {
		if ev.Kind == telegramfake.CallbackAnswered {
			answer = ev
		}
	}
	if !strings.Contains(answer.Text, "not found") {
		t.Fatalf("answer to the forged press: %+v", answer)
	}
	m := e.last(anna)
	if !strings.Contains(m.Text, "Main menu") || strings.Contains(e.transcript(anna), "Shift #1") {
		t.Fatalf("the forged press must end at the menu, showing nothing of shift 1:\n%s", e.transcript(anna))
	}
	// The same id on other steps, or on a message that is not live.
	e.pressData(anna, m.ID, "v1:s:1")
	e.pressData(anna, list.ID, "v1:f:sales")
	e.pressData(anna, 9999, "v1:s:1")
	if strings.Contains(e.transcript(anna), "Current Total sales") {
		t.Fatal("a forged press reached the sales edit")
	}
	row, _ := e.row(store.Shifts, "1")
	if row.Values["total_sales"] != "900.00" || row.Values["employee_id"] != "1002" {
		t.Fatalf("Boris's shift changed: %v", row.Values)
	}
	if !strings.Contains(e.logs.String(), "Refused a shift that is not the user's") {
		t.Error("the refusal is not logged")
	}
}

// A press on an old message, or with data no button carries, is answered
// and shows the menu; it never acts on the stale state.
func TestOldAndUnknownButtonsShowTheMenu(t *testing.T) {
	e := newEnv(t)
	e.say(anna, "/start")
	e.press(anna, "Create new shift")
	dayMsg := e.last(anna)
	e.press(anna, "Today")
	e.press(anna, "9 AM")
	for _, data := range []string{"v1:day:y", "garbage", "v0:day:t", "v1:h:99", "", strings.Repeat("x", 64)} {
		before := len(e.fake.Messages(anna.ID))
		e.pressData(anna, dayMsg.ID, data)
		m := e.last(anna)
		if len(e.fake.Messages(anna.ID)) != before+1 || !strings.Contains(m.Text, "Main menu") {
			t.Fatalf("data %q: %q", data, m.Text)
		}
		e.press(anna, "Create new shift")
		e.press(anna, "Today")
		e.press(anna, "9 AM")
	}
	// A live keyboard with data of another step: v1:p:0 on the end-hour step.
	e.pressData(anna, e.last(anna).ID, "v1:p:0")
	if m := e.last(anna); !strings.Contains(m.Text, "Main menu") {
		t.Fatalf("data of another step: %q", m.Text)
	}
	if strings.Contains(e.transcript(anna), "Start date: 2026/11/27") {
		t.Fatal("the old Yesterday button was acted on")
	}
	for _, ev := range e.fake.Transcript(anna.ID) {
		if ev.Kind == telegramfake.CallbackAnswered && ev.Text != "" && ev.Text != "This button is no longer active." {
			t.Errorf("unexpected answer %q", ev.Text)
		}
	}
}

func TestConflictIsLoggedAndTheBotRecovers(t *testing.T) {
	e := newEnv(t)
	e.say(anna, "/start")
	e.fake.SetConflict(3)
	e.fake.SendText(anna, "/start") // ends the poll in flight; the next three polls get 409
	e.idle()
	e.say(anna, "/start")
	if got := len(e.fake.Messages(anna.ID)); got != 3 {
		t.Fatalf("%d replies, want 3", got)
	}
	if n := strings.Count(e.logs.String(), "Another bot instance is polling with this token"); n != 3 {
		t.Fatalf("409 logged %d times, want 3:\n%s", n, e.logs)
	}
}

// The token is in every request URL; a network error must not carry it
// into the log.
func TestTokenNeverLogged(t *testing.T) {
	logs := &testutil.Buffer{}
	db, err := store.Open(context.Background(), t.TempDir()+"/db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := hybrid.New(hybrid.Config{Products: products, CommissionRate: decimal.RequireFromString("0.2"), Location: ny})
	b := bot.New(db, svc, bot.Config{Token: token, Endpoint: "http://127.0.0.1:1", RetryDelay: 20 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := b.Run(ctx); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, "Cannot reach Telegram") || !strings.Contains(out, "/bot<BOT_TOKEN>/getMe") {
		t.Fatalf("want the redacted URL in the log:\n%s", out)
	}
	if strings.Contains(out, token) || strings.Contains(out, "TEST-secret") {
		t.Fatalf("token in the log:\n%s", out)
	}
	lib := bot.LibraryLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), token)
	lib.Printf("Endpoint: %s", "https://api.telegram.org/bot"+token+"/getMe")
	if strings.Contains(logs.String(), token) {
		t.Fatal("the library logger leaks the token")
	}
}

// A stop signal while an update is being answered lets the answer finish,
// then Run returns (SPEC §8).
func TestStopFinishesTheUpdateInHand(t *testing.T) {
	inSend := make(chan struct{}, 1)
	release := make(chan struct{})
	e := newEnv(t, withHandler(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/sendMessage") {
				select {
				case inSend <- struct{}{}:
					<-release
				default:
				}
			}
			h.ServeHTTP(w, r)
		})
	}))
	e.fake.SendText(anna, "/start")
	<-inSend
	e.cancel() // SIGTERM while the reply is on its way
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-e.done:
		t.Fatalf("Run returned (%v) before the update in hand was answered", err)
	default:
	}
	close(release)
	select {
	case err := <-e.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the reply")
	}
	e.cancel = nil
	if m := e.fake.Messages(anna.ID); len(m) != 1 || !strings.Contains(m[0].Text, "Welcome") {
		t.Fatalf("replies %+v", m)
	}
	// The update is recorded as handled: a new run does not answer it again.
	e.start()
	e.say(anna, "/start")
	if n := len(e.fake.Messages(anna.ID)); n != 2 {
		t.Fatalf("%d replies, want 2", n)
	}
}
