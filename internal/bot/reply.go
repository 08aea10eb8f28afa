package bot

import (
	"context"
	"slices"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shiftbot/internal/hybrid"
	"shiftbot/internal/store"
)

// reply is what an update makes the bot say, decided inside the update's
// transaction and written to the outbox before it commits.
type reply struct {
	user, chat int64
	skip       bool   // the update was applied before (a replayed batch)
	callback   string // callback query to answer ("" for messages)
	toast      string
	alert      bool
	clear      []int // messages whose keyboards go
	editMsg    int   // message whose keyboard is replaced in place (AM/PM)
	editKB     *tgbotapi.InlineKeyboardMarkup
	send       []screen
	// rank is announced by the message send[rankAt]; once that is delivered
	// the month's record is marked notified (SPEC §6).
	rank   *hybrid.RankChange
	rankAt int
}

// moveOn sends screens that replace the live keyboards: the user is at a
// new step, so the buttons of the old one go.
func (o *reply) moveOn(c *conversation, s ...screen) {
	o.clear = append(o.clear, c.keyboards...)
	c.keyboards = nil
	c.keyboardGen++
	o.send = append(o.send, s...)
}

// maxToast is Telegram's limit for the text of a callback answer.
const maxToast = 200

// enqueue writes r to the outbox in tx, in the order the user should see
// it: the callback answer (it stops the button's spinner), keyboard changes,
// then the messages, each split to fit Telegram with its keyboard on the
// last part. gen is the conversation's keyboard generation after the update.
func enqueue(ctx context.Context, tx *store.Tx, r *reply, gen int64, now time.Time) error {
	if r.callback != "" {
		p := payload{Callback: r.callback, Text: cut(r.toast, maxToast), Alert: r.alert}
		if err := enqueueItem(ctx, tx, r.chat, kindAnswer, p, nil, now); err != nil {
			return err
		}
	}
	if r.editKB != nil {
		if err := enqueueItem(ctx, tx, r.chat, kindKeyboard, payload{MessageID: r.editMsg, Keyboard: r.editKB}, nil, now); err != nil {
			return err
		}
	}
	clear := slices.Clone(r.clear)
	slices.Sort(clear)
	for _, id := range slices.Compact(clear) {
		if id <= 0 {
			continue // a press on a message Telegram no longer shows
		}
		if err := enqueueItem(ctx, tx, r.chat, kindKeyboard, payload{MessageID: id}, nil, now); err != nil {
			return err
		}
	}
	for i, s := range r.send {
		parts := splitText(s.text)
		for j, text := range parts {
			p := payload{Text: text}
			var e *effect
			if j == len(parts)-1 { // the buttons, and what the message means, ride on the last part
				if s.kb != nil {
					p.Keyboard = s.kb
					e = &effect{Live: &liveRef{User: r.user, Gen: gen}}
				}
				if r.rank != nil && i == r.rankAt {
					if e == nil {
						e = &effect{}
					}
					e.Notified = &rankRef{Employee: r.user, Year: r.rank.Year, Month: r.rank.Month}
				}
			}
			if err := enqueueItem(ctx, tx, r.chat, kindSend, p, e, now); err != nil {
				return err
			}
		}
	}
	return nil
}
