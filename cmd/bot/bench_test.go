package main

import (
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"shiftbot/internal/telegramfake"
	"shiftbot/internal/testutil"
)

// BenchmarkRSSConversations runs the real binary against the fake Telegram
// and reports its memory once b.N users (20 at a time) have each gone
// through a whole create-shift conversation, /start to the summary. The
// figure the issue asks for is after 1,000 conversations: -benchtime 1000x.
func BenchmarkRSSConversations(b *testing.B) {
	fake := telegramfake.New(token)
	ts := httptest.NewServer(fake)
	defer func() { fake.Close(); ts.Close() }()
	dir := b.TempDir()
	dbPath := filepath.Join(dir, "reference_data.db")
	seedPulled(b, dbPath)

	env := []string{"BOT_TOKEN=" + token, "PRODUCTS=Model A,Model B,Model C", "TELEGRAM_API_ENDPOINT=" + ts.URL}
	c, out := command(nil, dir, env, "--db-path", dbPath, "--log-file", filepath.Join(dir, "bot.log"))
	if err := c.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		c.Process.Signal(syscall.SIGTERM)
		c.Wait()
	}()

	b.ResetTimer()
	users := make(chan int)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			for i := range users {
				u := telegramfake.User{ID: int64(10000 + i), FirstName: "U" + strconv.Itoa(i), Username: "u" + strconv.Itoa(i)}
				if err := testutil.CreateShift(fake, u, "123.45"); err != nil {
					errs <- fmt.Errorf("user %d: %w\n%s", u.ID, err, out)
					return
				}
			}
		})
	}
	for i := range b.N {
		users <- i
	}
	close(users)
	wg.Wait()
	b.StopTimer()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	time.Sleep(200 * time.Millisecond) // let the last replies settle
	rss, ok1 := testutil.ProcStatusMB(c.Process.Pid, "VmRSS:")
	hwm, ok2 := testutil.ProcStatusMB(c.Process.Pid, "VmHWM:")
	if !ok1 || !ok2 {
		b.Fatal("cannot read /proc status of the bot")
	}
	b.ReportMetric(rss, "rss-MB")
	b.ReportMetric(hwm, "peak-MB")
}
