package bot

import (
	"context"
	"slices"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shiftbot/internal/hybrid"
	"shiftbot/internal/store"
)

// outbox is what an update makes the bot say, decided inside the update's
// transaction and delivered after it commits.
type outbox struct {
	user, chat int64
	skip       bool   // the update was applied before (a replayed batch)
	callback   string // callback query to answer ("" for messages)
	toast      string
	alert      bool
	clear      []int // messages whose keyboards go
	editMsg    int   // message whose keyboard is replaced in place (AM/PM)
	editKB     *tgbotapi.InlineKeyboardMarkup
	send       []screen
	// moved: the user moved on, so the keyboards of the messages sent now
	// become the live ones.
	moved bool
	// rank is announced by the message send[rankAt]; once it is sent the
	// month's record is marked notified (SPEC §6).
	rank   *hybrid.RankChange
	rankAt int
}

// moveOn sends screens that replace the live keyboards.
func (o *outbox) moveOn(c *conversation, s ...screen) {
	o.clear = append(o.clear, c.keyboards...)
	c.keyboards = nil
	o.moved = true
	o.send = append(o.send, s...)
}

var noKeyboard = tgbotapi.InlineKeyboardMarkup{InlineKeyboard: [][]tgbotapi.InlineKeyboardButton{}}

// deliver talks to Telegram. Failures are logged and the rest goes on: a
// lost reply must not stop the user's next press from working.
func (b *Bot) deliver(ctx context.Context, api *tgbotapi.BotAPI, o *outbox) {
	log := b.log.With("user_id", o.user)
	if o.callback != "" {
		cb := tgbotapi.NewCallback(o.callback, o.toast)
		cb.ShowAlert = o.alert
		if _, err := api.Request(cb); err != nil {
			log.Warn("Cannot answer callback query", "err", err)
		}
	}
	if o.editKB != nil {
		if _, err := api.Request(tgbotapi.NewEditMessageReplyMarkup(o.chat, o.editMsg, *o.editKB)); err != nil && !notModified(err) {
			log.Warn("Cannot change keyboard", "message_id", o.editMsg, "err", err)
		}
	}
	slices.Sort(o.clear)
	for _, id := range slices.Compact(o.clear) {
		if id <= 0 {
			continue // a press on a message Telegram no longer shows
		}
		// The keyboard may be gone already (an old message, a press on a
		// message whose keyboard a crash left): nothing to do then.
		if _, err := api.Request(tgbotapi.NewEditMessageReplyMarkup(o.chat, id, noKeyboard)); err != nil && !notModified(err) {
			log.Debug("Cannot remove keyboard", "message_id", id, "err", err)
		}
	}
	var live []int
	notified := false
	for i, s := range o.send {
		msg := tgbotapi.NewMessage(o.chat, s.text)
		if s.kb != nil {
			msg.ReplyMarkup = *s.kb
		}
		sent, err := api.Send(msg)
		if err != nil {
			log.Warn("Cannot send message", "err", err)
			continue
		}
		if s.kb != nil {
			live = append(live, sent.MessageID)
		}
		if o.rank != nil && i == o.rankAt {
			notified = true
		}
	}
	if !o.moved && !notified {
		return
	}
	err := b.db.Update(ctx, func(tx *store.Tx) error {
		if o.moved {
			if err := setKeyboards(ctx, tx, o.user, live); err != nil {
				return err
			}
		}
		if notified {
			return b.svc.MarkNotified(ctx, tx, o.user, o.rank.Year, o.rank.Month)
		}
		return nil
	})
	if err != nil {
		log.Error("Cannot record what was sent", "err", err)
	}
}

func notModified(err error) bool {
	return strings.Contains(err.Error(), "message is not modified")
}
