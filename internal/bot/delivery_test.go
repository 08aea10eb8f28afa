package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"shiftbot/internal/store"
	"shiftbot/internal/telegramfake"
	"shiftbot/internal/testutil"
)

// Every reply reaches the employee (SPEC §4): Telegram's 429 and 5xx
// answers delay a message, never lose it or send it twice, and what depends
// on the employee having seen it is recorded only once they have.

// The one test that waits out a real retry_after: Telegram says 2 s, the
// bot waits 2 s.
func TestSummaryWaitsOutRetryAfter(t *testing.T) {
	e := newEnv(t, realRetryAfter)
	e.toFinish(anna, "Today", "9 AM", "5 PM", "Model A", "500")
	e.fake.Fail("sendMessage", 1, telegramfake.TooManyRequests(2))
	start := time.Now()
	e.press(anna, "Finish shift") // returns once every reply is delivered
	if waited := time.Since(start); waited < 2*time.Second {
		t.Errorf("the summary came %v after Finish, inside the 2 s Telegram asked for", waited)
	}
	if n := e.count(anna, "✅ Shift created"); n != 1 || e.fake.Refused() != 1 {
		t.Fatalf("%d summaries after one 429 (%d refused); transcript:\n%s", n, e.fake.Refused(), e.transcript(anna))
	}
	if !strings.Contains(e.logs.String(), "Telegram asked to slow down; waiting") || !strings.Contains(e.logs.String(), "retry_after=2") {
		t.Errorf("the 429 is not logged:\n%s", e.logs)
	}
	// The summary's button works: its keyboard was recorded on delivery.
	sum := e.lastWith(anna, "✅ Shift created")
	e.pressOn(anna, sum.ID, "🏠 Main menu")
	if m := e.last(anna); !strings.Contains(m.Text, "Choose an action") || strings.Contains(e.transcript(anna), "no longer active") {
		t.Fatalf("Main menu on the summary: %q", m.Text)
	}
	if _, ok := e.row(store.Shifts, "2"); ok {
		t.Fatal("the shift was stored twice")
	}
}

func TestSummaryRetriedAfterBadGateway(t *testing.T) {
	e := newEnv(t)
	e.toFinish(anna, "Today", "9 AM", "5 PM", "Model A", "500")
	e.fake.Fail("sendMessage", 1, telegramfake.BadGateway)
	e.press(anna, "Finish shift")
	if n := e.count(anna, "✅ Shift created"); n != 1 || e.fake.Refused() != 1 {
		t.Fatalf("%d summaries after one 502; transcript:\n%s", n, e.transcript(anna))
	}
	if !strings.Contains(e.logs.String(), "Delivery failed; retrying") {
		t.Errorf("the 502 is not logged:\n%s", e.logs)
	}
	if live := e.live(anna); len(live) != 1 || live[0] != e.lastWith(anna, "✅ Shift created").ID {
		t.Errorf("live keyboards %v, want only the summary's", live)
	}
}

// The rank message is retried like any other, and Notified turns true only
// once Telegram has confirmed it (SPEC §6).
func TestRankUpMessageThrough429And502(t *testing.T) {
	for name, fault := range map[string]telegramfake.Fault{"429": telegramfake.TooManyRequests(2), "502": telegramfake.BadGateway} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t) // draws Hustler's flat_10
			e.toFinish(anna, "Today", "9 AM", "5 PM", "Model A", "2500")
			e.fake.FailMatching("sendMessage", "Congratulations", fault)
			release := e.fake.HoldMatching("sendMessage", "Congratulations") // the retry waits here
			if err := e.fake.Press(anna, "Finish shift"); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			if err := e.fake.WaitHeld(ctx, "sendMessage"); err != nil { // the fault was answered, the retry is on its way
				t.Fatalf("%v\n%s", err, e.logs)
			}
			if e.fake.Refused() != 1 || e.count(anna, "✅ Shift created") != 1 || e.count(anna, "Congratulations") != 0 {
				t.Fatalf("while the retry is held:\n%s", e.transcript(anna))
			}
			if rec, _ := e.row(store.EmployeeRanks, "1001|2026|11"); rec.Values["current_rank"] != "Hustler" || rec.Values["notified"] != "false" {
				t.Fatalf("before the rank message is delivered: %v", rec.Values)
			}
			release()
			e.idle()
			if n := e.count(anna, "You are now Hustler"); n != 1 {
				t.Fatalf("%d rank messages; transcript:\n%s", n, e.transcript(anna))
			}
			if rank := e.last(anna); !hasButton(rank, "✅ Claim") || !strings.Contains(rank.Text, "Earned is now $410.00") {
				t.Fatalf("rank message %+v", rank)
			}
			if rec, _ := e.row(store.EmployeeRanks, "1001|2026|11"); rec.Values["notified"] != "true" || !rec.Pending {
				t.Fatalf("after delivery: %+v", rec)
			}
			if row, _ := e.row(store.Shifts, "1"); row.Values["total_made"] != "410.00" {
				t.Fatalf("the flat bonus once: %v", row.Values["total_made"])
			}
		})
	}
}

// A user who blocked the bot: Telegram answers 403 to everything for that
// chat. The bot says so in its log once, drops that chat's queue and goes on
// serving the others; the rank stays not notified.
func TestBlockedUserIsGivenUpWithALogLine(t *testing.T) {
	e := newEnv(t)
	e.toFinish(anna, "Today", "9 AM", "5 PM", "Model A", "2500")
	e.fake.Block(anna)
	e.press(anna, "Finish shift")
	if n := e.count(anna, "✅ Shift created"); n != 0 {
		t.Fatalf("a blocked chat got %d summaries", n)
	}
	logs := e.logs.String()
	if n := strings.Count(logs, "Delivery given up: Telegram refuses this chat"); n != 1 || !strings.Contains(logs, "bot was blocked by the user") {
		t.Fatalf("want one give-up line naming the cause, got %d:\n%s", n, logs)
	}
	if row, ok := e.row(store.Shifts, "1"); !ok || !row.Pending {
		t.Fatalf("the shift must be saved all the same: %+v", row)
	}
	if rec, _ := e.row(store.EmployeeRanks, "1001|2026|11"); rec.Values["notified"] != "false" {
		t.Fatalf("an undelivered rank message marked notified: %v", rec.Values)
	}
	e.say(boris, "/start")
	if m := e.last(boris); !strings.Contains(m.Text, "Welcome") {
		t.Fatalf("another user after the block: %q", m.Text)
	}
}

// Messages wait in order behind a 429; a step the user left meanwhile does
// not come back to life when its message finally arrives: only the newest
// step's buttons are live.
func TestAMessageThatArrivesLateKeepsOnlyTheNewestButtonsLive(t *testing.T) {
	e := newEnv(t, withRetryAfterUnit(250*time.Millisecond))
	e.toFinish(anna, "Today", "9 AM", "5 PM", "Model A", "500")
	e.press(anna, "Add model")
	e.press(anna, "Model B")
	e.fake.FailMatching("sendMessage", "Added Model B", telegramfake.TooManyRequests(2))
	e.fake.SendText(anna, "300")
	e.fake.SendText(anna, "what now?") // while "Added" waits out the 429
	e.idle()

	var order []string
	for _, m := range e.fake.Messages(anna.ID) {
		order = append(order, strings.SplitN(m.Text, "\n", 2)[0])
	}
	got := strings.Join(order[len(order)-2:], " | ")
	if got != "✔️ Added Model B: $300.00 | 🤖 Please answer with the buttons below; what you entered so far is kept. ⬅️ Back goes one step back." {
		t.Fatalf("last messages, in order: %s", got)
	}
	last := e.last(anna)
	if live := e.live(anna); len(live) != 1 || live[0] != last.ID {
		t.Fatalf("live keyboards %v, want only #%d; transcript:\n%s", live, last.ID, e.transcript(anna))
	}
	e.press(anna, "Finish shift")
	if sum := e.lastWith(anna, "✅ Shift created"); field(sum.Text, "Model B") != "300.00" {
		t.Fatalf("summary:\n%s", sum.Text)
	}
}

// A stop while replies wait for a retry leaves them in the outbox; the next
// run delivers them.
func TestRepliesWaitingAtAStopAreSentAfterTheRestart(t *testing.T) {
	e := newEnv(t)
	e.toFinish(anna, "Today", "9 AM", "5 PM", "Model A", "500")
	e.fake.Fail("sendMessage", 1000, telegramfake.BadGateway) // Telegram is down
	if err := e.fake.Press(anna, "Finish shift"); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 10*time.Second, func() bool { return e.fake.Refused() >= 2 }) // retrying
	e.stop()
	if e.undelivered() == 0 {
		t.Fatal("the summary left the outbox without being delivered")
	}
	e.fake.ClearFaults() // Telegram is back
	e.start()
	e.idle()
	if n := e.count(anna, "✅ Shift created"); n != 1 {
		t.Fatalf("%d summaries after the restart", n)
	}
}

// A stop with one chat's request hanging and another chat retrying: once
// the drain time is over nothing new is started, and Run returns when the
// request in flight is done.
func TestStopEndsTheDrainWhileAnotherChatRetries(t *testing.T) {
	e := newEnv(t)
	e.toFinish(anna, "Today", "9 AM", "5 PM", "Model A", "500")
	release := e.fake.HoldMatching("sendMessage", "✅ Shift created")
	defer release()
	if err := e.fake.Press(anna, "Finish shift"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := e.fake.WaitHeld(ctx, "sendMessage"); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		e.fake.FailMatching("sendMessage", "Welcome", telegramfake.BadGateway)
	}
	e.fake.SendText(boris, "/start")
	testutil.WaitFor(t, 10*time.Second, func() bool { return e.fake.Refused() >= 1 }) // Boris's reply is retrying
	e.cancel()                                                                        // SIGTERM
	time.Sleep(700 * time.Millisecond)                                                // past the 500 ms drain, with Boris's retry due
	release()
	select {
	case err := <-e.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the drain")
	}
	e.cancel = nil
	if n := e.count(anna, "✅ Shift created"); n != 1 {
		t.Fatalf("the request in flight at the stop: %d summaries", n)
	}
	if e.undelivered() == 0 {
		t.Fatal("Boris's reply left the outbox undelivered")
	}
}
