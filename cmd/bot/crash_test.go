package main

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"shiftbot/internal/hybrid/hybridtest"
	"shiftbot/internal/store"
	"shiftbot/internal/telegramfake"
	"shiftbot/internal/testutil"
)

// SIGKILL after Finish is committed and before Telegram has the summary:
// the summary was written with the shift, so the next start sends it, once,
// and the shift exists once (SPEC §4).
func TestSummaryArrivesAfterAKillBetweenCommitAndSend(t *testing.T) {
	fake := telegramfake.New(token)
	ts := httptest.NewServer(fake)
	defer func() { fake.Close(); ts.Close() }()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "reference_data.db")
	seedPulled(t, dbPath)
	env := []string{"BOT_TOKEN=" + token, "PRODUCTS=Model A,Model B", "TELEGRAM_API_ENDPOINT=" + ts.URL}
	start := func() (wait func() error, out *testutil.Buffer) {
		c, out := command(t, dir, env, "--db-path", dbPath, "--log-file", "-")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		var err error
		exited := make(chan struct{})
		go func() { err = c.Wait(); close(exited) }()
		kill := func() error {
			c.Process.Signal(syscall.SIGKILL)
			<-exited
			return err
		}
		t.Cleanup(func() { kill() })
		return kill, out
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	waitFor := func(out *testutil.Buffer, after int, want string) telegramfake.Message {
		t.Helper()
		m, err := fake.WaitFor(ctx, anna.ID, func(m telegramfake.Message) bool { return m.ID > after && strings.Contains(m.Text, want) })
		if err != nil {
			t.Fatalf("waiting for %q: %v\noutput:\n%s", want, err, out)
		}
		return m
	}

	kill, out := start()
	last := 0
	for _, s := range []struct{ act, want string }{
		{"/start", "Choose an action"}, {"Create new shift", "When did the shift start?"}, {"Today", "Choose the start hour"},
		{"9 AM", "Choose the end hour"}, {"11 AM", "Choose a product"}, {"Model B", "Enter the sales amount"}, {"250", "Add another model"},
	} {
		if strings.HasPrefix(s.act, "/") || s.act == "250" {
			fake.SendText(anna, s.act)
		} else if err := fake.Press(anna, s.act); err != nil {
			t.Fatal(err)
		}
		last = waitFor(out, last, s.want).ID
	}
	release := fake.HoldMatching("sendMessage", "✅ Shift created")
	if err := fake.Press(anna, "Finish shift"); err != nil {
		t.Fatal(err)
	}
	if err := fake.WaitHeld(ctx, "sendMessage"); err != nil { // committed, and on its way
		t.Fatalf("%v\n%s", err, out)
	}
	if err := kill(); err == nil {
		t.Fatal("the bot exited by itself")
	}
	// The request died with the process: Telegram never had it.
	testutil.WaitFor(t, 10*time.Second, func() bool { return fake.Held("sendMessage") == 0 })
	release()
	if n := summaries(fake); n != 0 {
		t.Fatalf("%d summaries before the restart", n)
	}

	_, out = start()
	sum := waitFor(out, last, "✅ Shift created")
	// Replies go in order per chat: once /start is answered, nothing sent
	// before it is still on its way.
	fake.SendText(anna, "/start")
	waitFor(out, sum.ID, "Welcome")
	if n := summaries(fake); n != 1 {
		t.Fatalf("%d summaries after the restart, want 1\n%s", n, telegramfake.FormatTranscript(fake.Transcript(anna.ID)))
	}
	t.Log(out.String())
	if !strings.Contains(out.String(), "undelivered=1") {
		t.Errorf("the start does not say a reply was waiting:\n%s", out)
	}
	db, err := store.OpenReadOnly(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.AllRows(ctx, store.Shifts)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Values["products:Model B"] != "250.00" {
		t.Fatalf("shifts after the crash: %+v", rows)
	}
}

func summaries(fake *telegramfake.Server) int {
	n := 0
	for _, m := range fake.Messages(anna.ID) {
		if strings.Contains(m.Text, "✅ Shift created") {
			n++
		}
	}
	return n
}

func seedPulled(tb testing.TB, path string) {
	db, err := store.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	hybridtest.SeedPulled(tb, db)
}
