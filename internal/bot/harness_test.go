package bot_test

import (
	"context"
	"flag"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"shiftbot/internal/bot"
	"shiftbot/internal/hybrid"
	"shiftbot/internal/hybrid/hybridtest"
	"shiftbot/internal/store"
	"shiftbot/internal/telegramfake"
	"shiftbot/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the bot's current messages")

const token = "123456:TEST-secret-token-never-logged"

var (
	products = []string{"Model A", "Model B", "Model C", "Model D"}
	ny       = mustLoc("America/New_York")
	anna     = telegramfake.User{ID: 1001, FirstName: "Anna", Username: "anna"}
	boris    = telegramfake.User{ID: 1002, FirstName: "Boris", LastName: "B"}
)

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// clock is the server clock the bot sees; tests move it.
type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time     { return time.Unix(0, c.ns.Load()).In(ny) }
func (c *clock) Set(t time.Time)    { c.ns.Store(t.UnixNano()) }
func (c *clock) SetS(layout string) { c.Set(at(layout)) }

func at(s string) time.Time {
	t, err := time.ParseInLocation(hybrid.DateTimeLayout, s, ny)
	if err != nil {
		panic(err)
	}
	return t
}

// fixedRand always draws the same position of a rank's bonuses.
type fixedRand int

func (f fixedRand) IntN(n int) int { return int(f) % n }

// env is one bot over a real SQLite file, talking HTTP to the fake Telegram.
type env struct {
	t     testing.TB
	fake  *telegramfake.Server
	ts    *httptest.Server
	db    *store.DB
	clock *clock
	logs  *testutil.Buffer
	log   *slog.Logger
	draw  int // which rank bonus a rank-up draws
	// noPull leaves the database as before the worker's first pull.
	noPull bool
	wrap   func(http.Handler) http.Handler // around the fake, e.g. to delay it
	// retryAfterUnit is how long one second of a 429's retry_after lasts
	// for the bot: short, unless a test means to wait for real.
	retryAfterUnit time.Duration
	// running bot
	cancel context.CancelFunc
	done   chan error
}

type option func(*env)

func notPulled(e *env) { e.noPull = true }

func withDraw(i int) option { return func(e *env) { e.draw = i } }

func withHandler(wrap func(http.Handler) http.Handler) option { return func(e *env) { e.wrap = wrap } }

// realRetryAfter makes the bot wait out a 429's retry_after in real seconds.
func realRetryAfter(e *env) { e.retryAfterUnit = time.Second }

// withRetryAfterUnit makes one second of a 429's retry_after last d.
func withRetryAfterUnit(d time.Duration) option { return func(e *env) { e.retryAfterUnit = d } }

func newEnv(t testing.TB, opts ...option) *env {
	t.Helper()
	e := &env{t: t, fake: telegramfake.New(token), clock: &clock{}, logs: &testutil.Buffer{}, retryAfterUnit: 20 * time.Millisecond}
	e.log = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.clock.SetS("2026/11/28 17:05:09")
	for _, o := range opts {
		o(e)
	}
	var h http.Handler = e.fake
	if e.wrap != nil {
		h = e.wrap(h)
	}
	e.ts = httptest.NewServer(h)
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "reference_data.db"))
	if err != nil {
		t.Fatal(err)
	}
	e.db = db
	t.Cleanup(func() {
		e.stop()
		e.fake.Close()
		e.ts.Close()
		db.Close()
		if strings.Contains(e.logs.String(), token) {
			t.Errorf("the bot token appears in the log")
		}
	})
	if !e.noPull {
		hybridtest.SeedPulled(t, db)
	}
	e.start()
	return e
}

func (e *env) newBot() *bot.Bot {
	svc := hybrid.New(hybrid.Config{Products: products, CommissionRate: decimal.RequireFromString("0.20"), Location: ny, Rand: fixedRand(e.draw)})
	return bot.New(e.db, svc, bot.Config{
		Token: token, Endpoint: e.ts.URL, HTTPClient: e.ts.Client(), Now: e.clock.Now, Log: e.log,
		RetryDelay: 10 * time.Millisecond, ConflictDelay: 50 * time.Millisecond,
		// Short waits keep the suite fast; TestRetryAfterIsWaitedOut keeps a real one.
		RetryBackoff: 10 * time.Millisecond, RetryAfterUnit: e.retryAfterUnit,
		ChatInterval: time.Millisecond, GlobalRate: 10000, DrainTimeout: 500 * time.Millisecond,
	})
}

// start runs a bot until stop.
func (e *env) start() {
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel, e.done = cancel, make(chan error, 1)
	b := e.newBot()
	go func() { e.done <- b.Run(ctx) }()
}

// stop stops the bot as SIGTERM does and waits for Run to return.
func (e *env) stop() {
	if e.cancel == nil {
		return
	}
	e.cancel()
	select {
	case err := <-e.done:
		if err != nil {
			e.t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		e.t.Errorf("Run did not return within 10 s of the stop")
	}
	e.cancel = nil
}

func (e *env) restart() {
	e.t.Helper()
	e.stop()
	e.start()
}

// idle waits until the bot has handled every update and delivered every
// reply: the fake has nothing queued or in flight and the outbox is empty.
func (e *env) idle() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := e.fake.WaitIdle(ctx); err != nil {
		e.t.Fatalf("%v\nlogs:\n%s", err, e.logs)
	}
	testutil.WaitFor(e.t, 15*time.Second, func() bool { return e.undelivered() == 0 })
	if err := e.fake.WaitIdle(ctx); err != nil {
		e.t.Fatalf("%v\nlogs:\n%s", err, e.logs)
	}
}

func (e *env) undelivered() int {
	e.t.Helper()
	n, err := bot.Undelivered(context.Background(), e.db)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) say(u telegramfake.User, text string) {
	e.t.Helper()
	e.fake.SendText(u, text)
	e.idle()
}

func (e *env) press(u telegramfake.User, label string) {
	e.t.Helper()
	if err := e.fake.Press(u, label); err != nil {
		e.t.Fatalf("%v\ntranscript:\n%s", err, telegramfake.FormatTranscript(e.fake.Transcript(u.ID)))
	}
	e.idle()
}

func (e *env) pressOn(u telegramfake.User, msgID int, label string) {
	e.t.Helper()
	if err := e.fake.PressOn(u, msgID, label); err != nil {
		e.t.Fatal(err)
	}
	e.idle()
}

func (e *env) pressData(u telegramfake.User, msgID int, data string) {
	e.t.Helper()
	e.fake.PressData(u, msgID, data)
	e.idle()
}

// last is the newest message the bot sent u.
func (e *env) last(u telegramfake.User) telegramfake.Message {
	e.t.Helper()
	msgs := e.fake.Messages(u.ID)
	if len(msgs) == 0 {
		e.t.Fatal("the bot sent nothing")
	}
	return msgs[len(msgs)-1]
}

// lastWith is the newest message the bot sent u that contains s.
func (e *env) lastWith(u telegramfake.User, s string) telegramfake.Message {
	e.t.Helper()
	msgs := e.fake.Messages(u.ID)
	for i := len(msgs) - 1; i >= 0; i-- {
		if strings.Contains(msgs[i].Text, s) {
			return msgs[i]
		}
	}
	e.t.Fatalf("no message contains %q; transcript:\n%s", s, telegramfake.FormatTranscript(e.fake.Transcript(u.ID)))
	return telegramfake.Message{}
}

// live lists the messages that still carry a keyboard.
func (e *env) live(u telegramfake.User) []int {
	var ids []int
	for _, m := range e.fake.Messages(u.ID) {
		if len(m.Buttons) > 0 {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

func (e *env) transcript(u telegramfake.User) string {
	return telegramfake.FormatTranscript(e.fake.Transcript(u.ID))
}

// createShift walks the whole create flow: day ("Today"/"Yesterday"),
// start and end hours by label, then product/amount pairs, then Finish.
func (e *env) createShift(u telegramfake.User, day, start, end string, sales ...string) telegramfake.Message {
	e.t.Helper()
	e.toFinish(u, day, start, end, sales...)
	e.press(u, "Finish shift")
	return e.lastWith(u, "✅ Shift created")
}

// toFinish is createShift up to the Add model / Finish shift step.
func (e *env) toFinish(u telegramfake.User, day, start, end string, sales ...string) {
	e.t.Helper()
	e.say(u, "/start")
	e.press(u, "Create new shift")
	e.press(u, day)
	e.pickHour(u, start)
	e.pickHour(u, end)
	for i := 0; i+1 < len(sales); i += 2 {
		if i > 0 {
			e.press(u, "Add model")
		}
		e.press(u, sales[i])
		e.say(u, sales[i+1])
	}
}

// count is how many of the messages the bot sent u contain s.
func (e *env) count(u telegramfake.User, s string) int {
	n := 0
	for _, m := range e.fake.Messages(u.ID) {
		if strings.Contains(m.Text, s) {
			n++
		}
	}
	return n
}

// pickHour presses an hour, switching the keyboard to PM first if needed.
func (e *env) pickHour(u telegramfake.User, label string) {
	e.t.Helper()
	if strings.HasSuffix(label, "PM") {
		e.press(u, "→ PM")
	}
	e.press(u, label)
}

// row reads one synced row.
func (e *env) row(t store.Table, key string) (store.Row, bool) {
	e.t.Helper()
	var r store.Row
	var ok bool
	err := e.db.Update(context.Background(), func(tx *store.Tx) error {
		var err error
		r, ok, err = tx.GetRow(context.Background(), t, key)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return r, ok
}

// golden compares got with testdata/name.golden (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

// field returns the value after "label: " in a message, e.g. "Earned".
func field(text, label string) string {
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "•"))
		if v, ok := strings.CutPrefix(line, label+": "); ok {
			return strings.TrimPrefix(v, "$")
		}
	}
	return ""
}
