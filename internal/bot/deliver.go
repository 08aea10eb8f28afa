package bot

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Delivery of the outbox (SPEC §4): at least once, in order per chat. A
// dispatcher starts one worker per chat whose first row is due; a worker
// sends that chat's rows in order until the queue is empty or Telegram asks
// it to wait, so one chat waiting out a 429 or a hung request never holds up
// another. A row is deleted only in the transaction that records its
// delivery; a crash between Telegram's answer and that commit sends it again
// after the restart, which is the price of never losing one.

// Defaults for the delivery settings of Config.
const (
	DefaultRetryBackoff = time.Second // first wait after a 5xx or a network error
	DefaultMaxBackoff   = time.Minute // the longest; a Telegram outage is retried for as long as it lasts
	// DefaultChatInterval and chatBurst keep to Telegram's "about one
	// message a second" per chat: a reply of a few messages goes at once,
	// a longer run one a second.
	DefaultChatInterval = time.Second
	chatBurst           = 3
	// DefaultGlobalRate is Telegram's 30 messages a second for a bot.
	DefaultGlobalRate = 30
	// DefaultDrainTimeout is how long a stop keeps delivering what is due;
	// what is left waits in the outbox for the next start.
	DefaultDrainTimeout = 5 * time.Second
)

// courier sends the outbox through api.
type courier struct {
	b      *Bot
	api    *tgbotapi.BotAPI
	global *bucket
	mu     sync.Mutex
	chats  map[int64]*bucket // message pacing per chat, while it is in use
	// flights are the calls under way, by chat: closed once the call's
	// outcome is committed (see settle).
	flights map[int64]chan struct{}
	stopAt  atomic.Int64 // unix ns after which no new row is started; 0 while running
}

func (b *Bot) newCourier(api *tgbotapi.BotAPI) *courier {
	return &courier{
		b: b, api: api,
		global:  &bucket{interval: time.Second / time.Duration(b.cfg.GlobalRate), burst: b.cfg.GlobalRate},
		chats:   map[int64]*bucket{},
		flights: map[int64]chan struct{}{},
	}
}

// settle waits until the call under way for chat, if any, is settled. An
// update is applied only after that: the user may have pressed a button of
// the message that call just delivered, and its keyboard is live only once
// the delivery is recorded. Waits are bounded by requestTimeout.
func (c *courier) settle(ctx context.Context, chat int64) {
	c.mu.Lock()
	ch := c.flights[chat]
	c.mu.Unlock()
	if ch == nil {
		return
	}
	t := time.NewTimer(requestTimeout + time.Second)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	case <-ctx.Done():
	}
}

func (c *courier) takeOff(chat int64) (land func()) {
	ch := make(chan struct{})
	c.mu.Lock()
	c.flights[chat] = ch
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		delete(c.flights, chat)
		c.mu.Unlock()
		close(ch)
	}
}

// kick tells the dispatcher that rows were committed.
func (b *Bot) kickDelivery() {
	select {
	case b.kick <- struct{}{}:
	default: // a kick is pending already
	}
}

// run delivers until stop is cancelled, then for DrainTimeout more: what is
// due by then is still sent, requests in flight finish (each is bounded by
// requestTimeout); then it returns.
func (c *courier) run(stop context.Context) {
	work := context.WithoutCancel(stop) // a stop must not cut a request or a commit in half
	busy := map[int64]bool{}
	done := make(chan int64)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	stopped := stop.Done()
	var deadline time.Time
	for {
		now := time.Now()
		var wake time.Time
		hs, err := heads(work, c.b.db)
		if err != nil {
			c.b.log.Error("Cannot read the outbox; retrying", "err", err)
			wake = now.Add(c.b.cfg.RetryBackoff)
		}
		over := !deadline.IsZero() && now.After(deadline) // the drain is over: start nothing new
		for _, h := range hs {
			switch {
			case busy[h.chat], over:
			case h.next.After(now):
				if wake.IsZero() || h.next.Before(wake) {
					wake = h.next
				}
			default:
				busy[h.chat] = true
				go func(chat int64) {
					c.deliverChat(work, chat)
					done <- chat
				}(h.chat)
			}
		}
		if !deadline.IsZero() && len(busy) == 0 && (over || wake.IsZero() || wake.After(deadline)) {
			return
		}
		if wake.IsZero() {
			timer.Stop()
		} else {
			timer.Reset(time.Until(wake))
		}
		select {
		case <-c.b.kick:
		case chat := <-done:
			delete(busy, chat)
			c.prune()
		case <-timer.C:
		case <-stopped:
			stopped = nil
			deadline = time.Now().Add(c.b.cfg.DrainTimeout)
			c.stopAt.Store(deadline.UnixNano())
		}
	}
}

// deliverAll sends every row that is due, chat after chat, and returns:
// the loop's work in one step, for tests.
func (c *courier) deliverAll(ctx context.Context) error {
	hs, err := heads(ctx, c.b.db)
	if err != nil {
		return err
	}
	for _, h := range hs {
		c.deliverChat(ctx, h.chat)
	}
	return nil
}

func (c *courier) expired() bool {
	at := c.stopAt.Load()
	return at != 0 && time.Now().UnixNano() > at
}

// deliverChat sends chat's rows in order while they are due.
func (c *courier) deliverChat(ctx context.Context, chat int64) {
	for !c.expired() {
		it, ok, err := headOf(ctx, c.b.db, chat)
		if err != nil && ok { // a row this version cannot read: nothing can send it
			c.b.log.Error("Delivery given up: unreadable outbox row", "chat_id", chat, "item", it.id, "err", err)
			if _, err := c.b.drop(ctx, it, false); err != nil {
				c.b.log.Error("Cannot drop an outbox row", "chat_id", chat, "item", it.id, "err", err)
				sleep(ctx, c.b.cfg.RetryBackoff)
				return
			}
			continue
		}
		if err != nil {
			c.b.log.Error("Cannot read the outbox; retrying", "chat_id", chat, "err", err)
			sleep(ctx, c.b.cfg.RetryBackoff) // not at once: the dispatcher would start this chat again right away
			return
		}
		if !ok || it.next.After(time.Now()) || !c.deliver(ctx, it) {
			return
		}
	}
}

// outcome is what a call's answer means for its row.
type outcome int

const (
	sent       outcome = iota // delivered (or already as wanted)
	retryLater                // 429, 5xx, network: try again after a wait
	refused                   // this call can never succeed: give it up
	chatGone                  // no call to this chat can succeed: give up its queue
)

// deliver makes one call and settles its row; false when the chat must
// wait before its next row.
func (c *courier) deliver(ctx context.Context, it item) bool {
	c.pace(ctx, it)
	defer c.takeOff(it.chat)()
	messageID, err := c.call(it)
	res, wait := c.classify(err, it)
	log := c.b.log.With("chat_id", it.chat, "method", it.kind, "item", it.id)
	switch res {
	case sent:
		if err := c.b.delivered(ctx, it, messageID); err != nil {
			log.Error("Cannot record a delivery; it will be sent again", "err", err)
			sleep(ctx, c.b.cfg.RetryBackoff)
			return false
		}
		return true
	case retryLater:
		var te *tgbotapi.Error
		if errors.As(err, &te) && te.Code == 429 {
			log.Info("Telegram asked to slow down; waiting", "retry_after", te.RetryAfter, "retry_in", wait.String())
		} else {
			log.Warn("Delivery failed; retrying", "attempt", it.attempts+1, "retry_in", wait.String(), "err", err)
		}
		next := time.Now().Add(wait)
		if err := c.b.postpone(ctx, it, next, err); err != nil {
			log.Error("Cannot record a failed delivery", "err", err)
			sleep(ctx, wait) // keep the wait even so
		}
		return false
	case chatGone:
		n, derr := c.b.drop(ctx, it, true)
		log.Warn("Delivery given up: Telegram refuses this chat (bot blocked, or chat not found); its queue is dropped",
			"dropped", n, "err", err)
		if derr != nil {
			log.Error("Cannot drop the chat's outbox rows", "err", derr)
			sleep(ctx, c.b.cfg.RetryBackoff)
			return false
		}
		return true
	default: // refused
		if it.kind == kindKeyboard && it.payload.Keyboard == nil {
			// Removing the buttons of a message the user deleted, or one too
			// old to edit: nothing is left to remove.
			log.Debug("Keyboard already gone", "message_id", it.payload.MessageID, "err", err)
		} else {
			log.Warn("Delivery given up: Telegram refuses it", "err", err)
		}
		if _, derr := c.b.drop(ctx, it, false); derr != nil {
			log.Error("Cannot drop an outbox row", "err", derr)
			sleep(ctx, c.b.cfg.RetryBackoff)
			return false
		}
		return true
	}
}

var noKeyboard = tgbotapi.InlineKeyboardMarkup{InlineKeyboard: [][]tgbotapi.InlineKeyboardButton{}}

// errUnknownKind: a row of a kind this version does not know (written by a
// newer one before a rollback).
var errUnknownKind = &tgbotapi.Error{Code: 400, Message: "outbox: unknown kind"}

// call makes the Bot API call of it; messageID is the message it sent.
func (c *courier) call(it item) (messageID int, err error) {
	p := it.payload
	switch it.kind {
	case kindSend:
		msg := tgbotapi.NewMessage(it.chat, p.Text)
		if p.Keyboard != nil {
			msg.ReplyMarkup = *p.Keyboard
		}
		m, err := c.api.Send(msg)
		return m.MessageID, err
	case kindKeyboard:
		kb := noKeyboard
		if p.Keyboard != nil && len(p.Keyboard.InlineKeyboard) > 0 {
			kb = *p.Keyboard
		}
		_, err := c.api.Request(tgbotapi.NewEditMessageReplyMarkup(it.chat, p.MessageID, kb))
		return 0, err
	case kindAnswer:
		cb := tgbotapi.NewCallback(p.Callback, p.Text)
		cb.ShowAlert = p.Alert
		_, err := c.api.Request(cb) // Request, not Send: the result is a boolean
		return 0, err
	}
	return 0, errUnknownKind
}

// classify reads Telegram's answer (https://core.telegram.org/bots/api:
// error_code, description, parameters.retry_after).
func (c *courier) classify(err error, it item) (outcome, time.Duration) {
	if err == nil {
		return sent, 0
	}
	var te *tgbotapi.Error
	if !errors.As(err, &te) {
		// A network error, a timeout, or a 5xx page that is not JSON.
		return retryLater, c.backoff(it.attempts)
	}
	switch {
	case te.Code == 429 && te.RetryAfter > 0:
		return retryLater, time.Duration(te.RetryAfter) * c.b.cfg.RetryAfterUnit
	case te.Code == 429 || te.Code >= 500:
		return retryLater, c.backoff(it.attempts)
	case te.Code == 403: // bot blocked, user deactivated, kicked
		return chatGone, 0
	case te.Code == 400 && strings.Contains(te.Message, "chat not found"):
		return chatGone, 0
	case te.Code == 400 && strings.Contains(te.Message, "message is not modified"):
		return sent, 0 // the keyboard is as wanted already
	case te.Code == 400:
		return refused, 0
	}
	// 401, 404, 409…: the token or Telegram's side; it may come back, and
	// dropping replies would not make it come back sooner.
	return retryLater, c.backoff(it.attempts)
}

// backoff doubles from RetryBackoff per failed attempt, up to MaxBackoff.
func (c *courier) backoff(attempts int) time.Duration {
	d := c.b.cfg.RetryBackoff
	for range attempts {
		if d *= 2; d >= c.b.cfg.MaxBackoff {
			return c.b.cfg.MaxBackoff
		}
	}
	return d
}

// pace waits for Telegram's limits on messages (https://core.telegram.org/bots/faq):
// about 30 a second in all, and about one a second in a chat. Answers to
// presses and keyboard edits are not messages and go at once.
func (c *courier) pace(ctx context.Context, it item) {
	now := time.Now()
	var wait time.Duration
	if it.kind == kindSend {
		wait = c.global.reserve(now)
		c.mu.Lock()
		b := c.chats[it.chat]
		if b == nil {
			b = &bucket{interval: c.b.cfg.ChatInterval, burst: chatBurst}
			c.chats[it.chat] = b
		}
		c.mu.Unlock()
		wait = max(wait, b.reserve(now))
	}
	if wait > 0 {
		sleep(ctx, wait)
	}
}

// prune forgets the pacing of chats that have used none of it lately, so
// the map holds the chats of the last few seconds, not every chat ever.
func (c *courier) prune() {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	for chat, b := range c.chats {
		if b.idle(now) {
			delete(c.chats, chat)
		}
	}
}

// bucket lets burst calls through at once, then one per interval (the
// generic cell rate algorithm: tat is when the next call would be on time).
type bucket struct {
	mu       sync.Mutex
	interval time.Duration
	burst    int
	tat      time.Time
}

// reserve books a call at now and returns how long it must wait.
func (b *bucket) reserve(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tat.Before(now) {
		b.tat = now
	}
	wait := b.tat.Sub(now) - time.Duration(b.burst-1)*b.interval
	b.tat = b.tat.Add(b.interval)
	return max(wait, 0)
}

func (b *bucket) idle(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.tat.After(now)
}
