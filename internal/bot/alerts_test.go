package bot_test

import (
	"strings"
	"testing"
	"time"

	"shiftbot/internal/store"
	"shiftbot/internal/telegramfake"
	"shiftbot/internal/testutil"
)

var (
	olga = telegramfake.User{ID: 9001, FirstName: "Olga", Username: "olga_admin"}
	ivan = telegramfake.User{ID: 9002, FirstName: "Ivan", Username: "ivan_admin"}
)

// A row the admin broke in the sheet reaches every admin once, naming tab,
// row, column and value, whatever number of cycles it stays broken; fixing
// it sends one "fixed". Real engine, real Sheets client, the emulator.
func TestRejectedRowReachesEachAdminOnceAndItsFixOnce(t *testing.T) {
	e := newEnv(t, notPulled, withAdmins(olga, ivan))
	w := newWorker(t, e)
	for _, u := range []telegramfake.User{olga, ivan, anna} {
		e.say(u, "/start")
	}
	w.run() // the first pull
	e.alerts()
	for _, u := range []telegramfake.User{olga, ivan} {
		if n := e.count(u, "Sync problems"); n != 0 {
			t.Fatalf("%s was alerted with nothing wrong:\n%s", u.FirstName, e.transcript(u))
		}
	}

	w.emu.SetTab(sheetID, "EmployeeSettings", [][]any{
		{"EmployeeId", "Hourly wage", "Sales commission"},
		{1001, "fifteen", 8},
	})
	for range 10 { // ten cycles with the row broken, five minutes apart
		w.run()
		e.alerts()
		e.clock.Add(5 * time.Minute)
	}
	for _, u := range []telegramfake.User{olga, ivan} {
		if n := e.count(u, "fifteen"); n != 1 {
			t.Fatalf("%s got %d alerts for the broken row, want 1:\n%s", u.FirstName, n, e.transcript(u))
		}
		alert := e.lastWith(u, "fifteen")
		for _, want := range []string{"Sync problems", "EmployeeSettings", "row 2", `"Hourly wage"`, `"fifteen"`} {
			if !strings.Contains(alert.Text, want) {
				t.Errorf("the alert to %s lacks %s:\n%s", u.FirstName, want, alert.Text)
			}
		}
	}

	w.emu.Type(sheetID, "EmployeeSettings", 2, 1, "15")
	for range 3 {
		w.run()
		e.alerts()
		e.clock.Add(5 * time.Minute)
	}
	for _, u := range []telegramfake.User{olga, ivan} {
		if n := e.count(u, "✅ Fixed"); n != 1 {
			t.Fatalf("%s got %d fixed messages, want 1:\n%s", u.FirstName, n, e.transcript(u))
		}
		if fixed := e.lastWith(u, "✅ Fixed"); !strings.Contains(fixed.Text, `EmployeeSettings row 2 column "Hourly wage"`) {
			t.Errorf("the fixed message does not say what was fixed:\n%s", fixed.Text)
		}
		if n := e.count(u, "Sync problems"); n != 2 {
			t.Errorf("%s got %d digests, want 2:\n%s", u.FirstName, n, e.transcript(u))
		}
	}
	golden(t, "alert_rejected_row", e.transcript(olga))
	if n := e.count(anna, "Sync problems"); n != 0 {
		t.Errorf("an employee got the admins' alerts:\n%s", e.transcript(anna))
	}
}

// The worker stopped for more than three of its intervals: the admins are
// told, by the bot's own watcher; it runs again: "fixed".
func TestStoppedWorkerIsToldAndItsReturn(t *testing.T) {
	e := newEnv(t, notPulled, withAdmins(olga))
	w := newWorker(t, e)
	w.runner.Interval = 2 * time.Minute // the bot reads it from the database, not its own default
	e.say(olga, "/start")
	w.run()
	stopped := e.clock.Now()

	e.clock.Add(6 * time.Minute) // three intervals exactly: not yet
	e.alerts()
	if n := e.count(olga, "sync worker"); n != 0 {
		t.Fatalf("alerted at three intervals:\n%s", e.transcript(olga))
	}
	e.clock.Add(time.Second)
	down := waitFor(t, e, olga, "has not completed a cycle")
	if want := "since " + stopped.Format("2006/01/02 15:04:05") + " (over 3 × its 2-minute interval)"; !strings.Contains(down.Text, want) {
		t.Errorf("the alert lacks %q:\n%s", want, down.Text)
	}

	e.clock.Add(time.Minute)
	w.run()
	back := waitFor(t, e, olga, "✅ Fixed")
	if !strings.Contains(back.Text, "the sync worker completed a cycle again at "+e.clock.Now().Format("2006/01/02 15:04:05")) {
		t.Errorf("fixed: %s", back.Text)
	}
	for range 30 { // an hour of cycles on time: nothing more to say
		e.clock.Add(2 * time.Minute)
		w.run()
	}
	e.alerts()
	golden(t, "alert_worker_stopped", e.transcript(olga))
	if n, m := e.count(olga, "has not completed a cycle"), e.count(olga, "✅ Fixed"); n != 1 || m != 1 {
		t.Errorf("%d alerts and %d fixed messages, want one each:\n%s", n, m, e.transcript(olga))
	}
}

// waitFor waits for the bot's own watcher (no CheckAlerts) to deliver a
// message to u containing s.
func waitFor(t *testing.T, e *env, u telegramfake.User, s string) telegramfake.Message {
	t.Helper()
	testutil.WaitFor(t, 10*time.Second, func() bool { return e.count(u, s) > 0 })
	return e.lastWith(u, s)
}

// At most one digest a minute per admin: what starts meanwhile waits and
// goes out together; a problem that starts and ends in between is told as
// both at once.
func TestOneDigestAMinute(t *testing.T) {
	e := newEnv(t, withAdmins(olga))
	e.say(olga, "/start")
	set := func(kind, tab string, msgs ...string) {
		t.Helper()
		var ps []store.Problem
		for _, m := range msgs {
			ps = append(ps, store.Problem{Subject: m, Message: m})
		}
		if err := e.db.Update(t.Context(), func(tx *store.Tx) error {
			_, _, err := tx.SetProblems(t.Context(), kind, tab, ps, e.clock.Now())
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	recentSuccess(t, e)
	set(store.ProblemSkippedTab, "Ranks", "tab missing from the spreadsheet; local data kept")
	e.alerts()
	if n := e.count(olga, "Sync problems"); n != 1 {
		t.Fatalf("%d digests, want the first at once:\n%s", n, e.transcript(olga))
	}
	e.clock.Add(10 * time.Second)
	set(store.ProblemHeldAppends, "Shifts", "tab Shifts is empty but had synced rows")
	set(store.ProblemReject, "Ranks", `tab Ranks row 4 column "Min Amount": not a number (value "lots")`)
	e.alerts()
	e.clock.Add(20 * time.Second)
	set(store.ProblemReject, "Ranks") // fixed before the next digest
	e.alerts()
	if n := e.count(olga, "Sync problems"); n != 1 {
		t.Fatalf("a second digest within the minute:\n%s", e.transcript(olga))
	}
	e.clock.Add(30 * time.Second)
	waitFor(t, e, olga, "is empty but had synced rows") // the watcher's own pass, once the minute is over
	second := e.last(olga)
	if !strings.Contains(second.Text, `(value "lots")`+"\n   ✅ Fixed since.") || strings.Count(second.Text, "⚠️") != 2 {
		t.Errorf("the second digest:\n%s", second.Text)
	}
	e.alerts()
	if n := e.count(olga, "Sync problems"); n != 2 {
		t.Errorf("%d digests, want 2:\n%s", n, e.transcript(olga))
	}
}

// recentSuccess records a successful worker cycle at the clock's time, so
// the bot does not take the worker for dead.
func recentSuccess(t *testing.T, e *env) {
	t.Helper()
	id, err := e.db.StartRun(t.Context(), 1, e.clock.Now())
	if err == nil {
		err = e.db.FinishRun(t.Context(), store.Run{ID: id, Cycle: 1, Ended: e.clock.Now(), OK: true})
	}
	if err != nil {
		t.Fatal(err)
	}
}
