// Package bot owns the Telegram side of the product: the long-poll loop and
// the conversation of SPEC §4 (create and edit shifts, statistics, ranks,
// rank-up messages), with each user's place in it kept in SQLite so it
// survives a restart. Data comes from package hybrid, inside the same write
// transaction that records the update, so an update is applied once or not
// at all. What the update makes the bot say is written to an outbox in that
// transaction too, and a delivery loop sends it after the commit, at least
// once and in order per chat, through 429s, 5xx answers and restarts
// (outbox.go, deliver.go).
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shiftbot/internal/hybrid"
	"shiftbot/internal/store"
)

// Defaults for Config.
const (
	DefaultEndpoint    = "https://api.telegram.org"
	DefaultPollTimeout = 30 * time.Second
	DefaultRetryDelay  = 5 * time.Second
	// ConflictDelay is the wait after a 409: another instance holds the
	// poll, and hammering Telegram would not change that.
	ConflictDelay = 30 * time.Second
)

// ErrTokenRejected: Telegram does not know BOT_TOKEN. Retrying cannot help,
// so Run returns it (a configuration error, SPEC §7).
var ErrTokenRejected = errors.New("BOT_TOKEN: rejected by Telegram")

// Config configures a Bot.
type Config struct {
	Token       string
	Endpoint    string        // Bot API base URL (TELEGRAM_API_ENDPOINT); "" for Telegram's
	PollTimeout time.Duration // long-poll timeout of getUpdates
	RetryDelay  time.Duration // wait after a failed getUpdates
	// ConflictDelay is the wait after a 409 Conflict; 0 for ConflictDelay.
	ConflictDelay time.Duration
	// HTTPClient makes the requests; nil for one whose timeout outlasts a
	// long poll. Its errors are redacted either way.
	HTTPClient *http.Client
	Now        func() time.Time // server clock for the conversation; nil for time.Now
	Log        *slog.Logger
	// Checkpoint, when set, runs after each batch is committed, so SQLite's
	// WAL checkpoint (a copy and an fsync) rarely falls on a user's commit;
	// nil leaves it to SQLite's automatic checkpoints.
	Checkpoint func(context.Context) error

	// Delivery of the outbox (deliver.go); zero values take the defaults.
	// Its waits are real time, not Now: they are waits on Telegram.
	RetryBackoff time.Duration // first wait after a 5xx or network error; doubles per attempt
	MaxBackoff   time.Duration // the longest such wait
	// RetryAfterUnit is how long one second of a 429's retry_after lasts;
	// time.Second except in tests that would rather not wait.
	RetryAfterUnit time.Duration
	ChatInterval   time.Duration // between messages to one chat, after a short burst
	GlobalRate     int           // messages a second, all chats together
	DrainTimeout   time.Duration // how long a stop keeps delivering what is due
}

// Bot is the Telegram bot.
type Bot struct {
	db       *store.DB
	svc      *hybrid.Service
	cfg      Config
	log      *slog.Logger
	products []string
	kick     chan struct{} // rows were committed to the outbox
	courier  atomic.Pointer[courier]
}

// New returns a bot serving the data of svc in db.
func New(db *store.DB, svc *hybrid.Service, cfg Config) *Bot {
	if cfg.Endpoint == "" {
		cfg.Endpoint = DefaultEndpoint
	}
	cfg.Endpoint = strings.TrimRight(cfg.Endpoint, "/")
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = DefaultPollTimeout
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = DefaultRetryDelay
	}
	if cfg.ConflictDelay <= 0 {
		cfg.ConflictDelay = ConflictDelay
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: cfg.PollTimeout + 15*time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	cfg.RetryBackoff = orDefault(cfg.RetryBackoff, DefaultRetryBackoff)
	cfg.MaxBackoff = max(cfg.RetryBackoff, orDefault(cfg.MaxBackoff, DefaultMaxBackoff))
	cfg.RetryAfterUnit = orDefault(cfg.RetryAfterUnit, time.Second)
	cfg.ChatInterval = orDefault(cfg.ChatInterval, DefaultChatInterval)
	cfg.DrainTimeout = orDefault(cfg.DrainTimeout, DefaultDrainTimeout)
	if cfg.GlobalRate <= 0 {
		cfg.GlobalRate = DefaultGlobalRate
	}
	return &Bot{db: db, svc: svc, cfg: cfg, log: cfg.Log, products: svc.Products(), kick: make(chan struct{}, 1)}
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func (b *Bot) now() time.Time { return b.cfg.Now().In(b.svc.Location()) }

// Run polls Telegram and handles updates until ctx is cancelled, then
// returns nil once the batch in hand is handled (SPEC §8). It returns an
// error only when it cannot go on: Telegram rejects the token, or the
// database fails at start.
func (b *Bot) Run(ctx context.Context) error {
	client := &apiClient{http: b.cfg.HTTPClient, token: b.cfg.Token, poll: ctx}
	var api *tgbotapi.BotAPI
	for {
		var err error
		api, err = tgbotapi.NewBotAPIWithClient(b.cfg.Token, b.cfg.Endpoint+"/bot%s/%s", client)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		var te *tgbotapi.Error
		if errors.As(err, &te) && (te.Code == http.StatusUnauthorized || te.Code == http.StatusNotFound) {
			return fmt.Errorf("%w: %w", ErrTokenRejected, err)
		}
		b.log.Warn("Cannot reach Telegram; retrying", "err", err, "retry_in", b.cfg.RetryDelay.String())
		if !sleep(ctx, b.cfg.RetryDelay) {
			return nil
		}
	}
	offset, err := loadOffset(ctx, b.db)
	if err != nil {
		return err
	}
	waiting, err := undelivered(ctx, b.db)
	if err != nil {
		return err
	}
	b.log.Info("Bot started", "username", api.Self.UserName, "endpoint", b.cfg.Endpoint, "offset", offset, "undelivered", waiting)

	// Handling is not cancelled by a stop: the batch in hand is finished.
	work := context.WithoutCancel(ctx)
	// Delivery outlives the poll: it stops after the last batch is
	// committed, and drains what is due before Run returns.
	stopDelivery, delivering := b.startDelivery(work, api)
	poll := tgbotapi.UpdateConfig{Limit: 100, Timeout: int(b.cfg.PollTimeout / time.Second)}
	for ctx.Err() == nil {
		poll.Offset = offset
		updates, err := api.GetUpdates(poll)
		if ctx.Err() != nil {
			break // an abandoned poll: its updates are confirmed by nobody and come again
		}
		if err != nil {
			delay := b.cfg.RetryDelay
			var te *tgbotapi.Error
			if errors.As(err, &te) && te.Code == http.StatusConflict {
				delay = b.cfg.ConflictDelay
				b.log.Error("Another bot instance is polling with this token; backing off", "err", err, "retry_in", delay.String())
			} else {
				b.log.Warn("getUpdates failed; retrying", "err", err, "retry_in", delay.String())
			}
			sleep(ctx, delay)
			continue
		}
		if len(updates) > 0 {
			offset = b.handleBatch(work, updates)
		}
	}
	stopDelivery()
	<-delivering
	b.log.Info("Bot stopped")
	return nil
}

func (b *Bot) startDelivery(ctx context.Context, api *tgbotapi.BotAPI) (stop func(), done <-chan struct{}) {
	ctx, stop = context.WithCancel(ctx)
	ch := make(chan struct{})
	c := b.newCourier(api)
	b.courier.Store(c)
	go func() {
		defer close(ch)
		c.run(ctx)
	}()
	return stop, ch
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// handleBatch applies one getUpdates answer and returns the next offset.
// Different users' updates run concurrently, each user's in order. The
// offset is stored only once the whole batch is handled; each update was
// recorded as applied in its own transaction, so after a crash mid-batch the
// batch comes again and the applied ones are skipped.
func (b *Bot) handleBatch(ctx context.Context, updates []tgbotapi.Update) int {
	byUser := map[int64][]tgbotapi.Update{}
	var order []int64
	for _, u := range updates {
		user, _ := identify(u)
		if _, ok := byUser[user]; !ok {
			order = append(order, user)
		}
		byUser[user] = append(byUser[user], u)
	}
	var wg sync.WaitGroup
	for _, user := range order {
		wg.Go(func() {
			for _, u := range byUser[user] {
				b.handle(ctx, u)
			}
		})
	}
	wg.Wait()
	next := updates[len(updates)-1].UpdateID + 1
	if err := b.db.Update(ctx, func(tx *store.Tx) error { return saveOffset(ctx, tx, next) }); err != nil {
		b.log.Error("Cannot store the update offset; the batch will be fetched again and skipped", "err", err)
	}
	if b.cfg.Checkpoint != nil {
		if err := b.cfg.Checkpoint(ctx); err != nil {
			b.log.Debug("WAL checkpoint skipped", "err", err)
		}
	}
	return next
}

// identify returns the user an update comes from and the chat to answer in.
func identify(u tgbotapi.Update) (user, chat int64) {
	switch {
	case u.Message != nil && u.Message.From != nil:
		return u.Message.From.ID, u.Message.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.From != nil:
		chat = u.CallbackQuery.From.ID // private chat: chat id == user id
		if m := u.CallbackQuery.Message; m != nil && m.Chat != nil {
			chat = m.Chat.ID
		}
		return u.CallbackQuery.From.ID, chat
	}
	return 0, 0
}

// handle applies one update and wakes the delivery of its replies.
func (b *Bot) handle(ctx context.Context, u tgbotapi.Update) {
	start := time.Now()
	if c := b.courier.Load(); c != nil {
		_, chat := identify(u)
		c.settle(ctx, chat)
	}
	out, err := b.apply(ctx, u)
	switch {
	case err != nil:
		b.log.Error("Cannot handle update", "update_id", u.UpdateID, "user_id", out.user, "err", err)
		b.apologise(ctx, u, out)
	case out.skip:
		b.log.Info("Update already applied before a restart; skipped", "update_id", u.UpdateID, "user_id", out.user)
		return
	case out.user == 0:
		return // not from a user (e.g. an edited message): nothing to do
	}
	b.kickDelivery()
	b.log.Debug("Update handled", "update_id", u.UpdateID, "user_id", out.user, "ms", time.Since(start).Milliseconds())
}

// apologise queues the reply to an update whose transaction failed, in a
// transaction of its own; a press is answered so its spinner stops.
func (b *Bot) apologise(ctx context.Context, u tgbotapi.Update, failed *reply) {
	if failed.user == 0 {
		return
	}
	r := &reply{user: failed.user, chat: failed.chat, send: []screen{{text: textFailed}}}
	if u.CallbackQuery != nil {
		r.callback = u.CallbackQuery.ID
	}
	err := b.db.Update(ctx, func(tx *store.Tx) error { return enqueue(ctx, tx, r, 0, b.now()) })
	if err != nil {
		b.log.Error("Cannot queue the apology either", "update_id", u.UpdateID, "user_id", failed.user, "err", err)
	}
}

// apply is the update's one transaction: it records the update as applied,
// moves the user's conversation on, writes any data, and queues the
// replies in the outbox, so they commit, or not, with all the rest.
func (b *Bot) apply(ctx context.Context, u tgbotapi.Update) (*reply, error) {
	user, chat := identify(u)
	out := &reply{user: user, chat: chat}
	err := b.db.Update(ctx, func(tx *store.Tx) error {
		fresh, err := markUpdate(ctx, tx, u.UpdateID)
		if err != nil || user == 0 {
			return err
		}
		if out.skip = !fresh; out.skip {
			return nil
		}
		c, err := loadConversation(ctx, tx, user)
		if err != nil {
			return err
		}
		if err := b.react(ctx, tx, &c, u, out); err != nil {
			return err
		}
		if err := saveConversation(ctx, tx, c, b.now()); err != nil {
			return err
		}
		return enqueue(ctx, tx, out, c.keyboardGen, b.now())
	})
	return out, err
}
