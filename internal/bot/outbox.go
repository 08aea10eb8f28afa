package bot

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shiftbot/internal/store"
)

// The outbox (SPEC §4): every call an update makes the bot owe Telegram is a
// row of bot_outbox, written in the update's transaction, so a reply can no
// more be lost than the update's effect. deliver.go sends the rows; this
// file is their format and their bookkeeping.
//
// A row is one Bot API call. A later kind (an admin alert is a sendMessage; a
// CSV would be "sendDocument" with the file in its payload) needs a kind
// constant, its payload fields and a case in courier.call; the queue, the
// order per chat, the retries and the effects stay as they are.

// Kinds: the Bot API methods the outbox calls.
const (
	kindSend     = "sendMessage"
	kindKeyboard = "editMessageReplyMarkup"
	kindAnswer   = "answerCallbackQuery"
)

// payload is the JSON of an outbox row; each kind uses its own fields.
type payload struct {
	Text      string                         `json:"text,omitempty"`       // sendMessage; the toast of answerCallbackQuery
	Keyboard  *tgbotapi.InlineKeyboardMarkup `json:"keyboard,omitempty"`   // sendMessage; editMessageReplyMarkup (nil: remove it)
	MessageID int                            `json:"message_id,omitempty"` // editMessageReplyMarkup
	Callback  string                         `json:"callback,omitempty"`   // answerCallbackQuery
	Alert     bool                           `json:"alert,omitempty"`      // answerCallbackQuery: a dialog, not a toast
}

// effect is what a delivery records, in the transaction that deletes its
// row: what must be true only once the user has the message.
type effect struct {
	// Live: the message sent carries the buttons of the user's current step
	// (generation Gen), so presses on it are accepted.
	Live *liveRef `json:"live,omitempty"`
	// Notified: the month's rank message was delivered (SPEC §6).
	Notified *rankRef `json:"notified,omitempty"`
}

type liveRef struct {
	User int64 `json:"user"`
	Gen  int64 `json:"gen"`
}

type rankRef struct {
	Employee int64 `json:"employee"`
	Year     int   `json:"year"`
	Month    int   `json:"month"`
}

// item is an outbox row on its way out.
type item struct {
	id       int64
	chat     int64
	kind     string
	payload  payload
	effect   *effect
	attempts int
	next     time.Time // not before
}

// enqueueItem writes one row in tx.
func enqueueItem(ctx context.Context, tx *store.Tx, chat int64, kind string, p payload, e *effect, now time.Time) error {
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("outbox: encode %s for chat %d: %w", kind, chat, err)
	}
	var eff any // NULL when there is nothing to record
	if e != nil {
		b, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("outbox: encode effect of %s for chat %d: %w", kind, chat, err)
		}
		eff = string(b)
	}
	if _, err := tx.Exec(ctx, sqlOutboxInsert, chat, kind, string(body), eff, now.UTC().Format(time.RFC3339)); err != nil {
		return fmt.Errorf("outbox: enqueue %s for chat %d: %w", kind, chat, err)
	}
	return nil
}

// head is the first row of one chat's queue.
type head struct {
	chat int64
	next time.Time
}

// heads lists the chats with something to deliver.
func heads(ctx context.Context, db *store.DB) ([]head, error) {
	rows, err := db.Read().QueryContext(ctx, sqlOutboxHeads)
	if err != nil {
		return nil, fmt.Errorf("outbox: list chats: %w", err)
	}
	defer rows.Close()
	var out []head
	for rows.Next() {
		var h head
		var id, next int64
		if err := rows.Scan(&h.chat, &id, &next); err != nil {
			return nil, fmt.Errorf("outbox: list chats: %w", err)
		}
		h.next = time.UnixMilli(next)
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("outbox: list chats: %w", err)
	}
	return out, nil
}

// headOf loads the first row of chat's queue; false when it is empty.
func headOf(ctx context.Context, db *store.DB, chat int64) (item, bool, error) {
	it := item{chat: chat}
	var body string
	var eff sql.NullString
	var next int64
	err := db.Read().QueryRowContext(ctx, sqlOutboxHead, chat).Scan(&it.id, &it.kind, &body, &eff, &it.attempts, &next)
	if errors.Is(err, sql.ErrNoRows) {
		return it, false, nil
	}
	if err != nil {
		return it, false, fmt.Errorf("outbox: load the head of chat %d: %w", chat, err)
	}
	it.next = time.UnixMilli(next)
	if err := json.Unmarshal([]byte(body), &it.payload); err != nil {
		return it, true, fmt.Errorf("outbox: item %d: payload: %w", it.id, err)
	}
	if eff.Valid {
		it.effect = &effect{}
		if err := json.Unmarshal([]byte(eff.String), it.effect); err != nil {
			return it, true, fmt.Errorf("outbox: item %d: effect: %w", it.id, err)
		}
	}
	return it, true, nil
}

// undelivered counts the outbox rows waiting: calls Telegram has not
// confirmed yet.
func undelivered(ctx context.Context, db *store.DB) (int, error) {
	var n int
	if err := db.Read().QueryRowContext(ctx, sqlOutboxCount).Scan(&n); err != nil {
		return 0, fmt.Errorf("outbox: count: %w", err)
	}
	return n, nil
}

// delivered records that Telegram confirmed it: the row goes and its effect
// is recorded, in one transaction. messageID is the message sent, if any.
// An effect that cannot be recorded (the admin deleted the rank row
// meanwhile) is logged and dropped rather than keeping the row, which would
// send the message again and again.
func (b *Bot) delivered(ctx context.Context, it item, messageID int) error {
	err := b.db.Update(ctx, func(tx *store.Tx) error {
		if err := deleteItem(ctx, tx, it.id); err != nil {
			return err
		}
		return b.record(ctx, tx, it, messageID)
	})
	if err == nil {
		return nil
	}
	b.log.Error("Cannot record what a delivered message changes; the message itself is kept as sent",
		"chat_id", it.chat, "item", it.id, "err", err)
	return b.db.Update(ctx, func(tx *store.Tx) error { return deleteItem(ctx, tx, it.id) })
}

func (b *Bot) record(ctx context.Context, tx *store.Tx, it item, messageID int) error {
	e := it.effect
	if e == nil {
		return nil
	}
	if e.Live != nil && messageID > 0 {
		live, err := liveKeyboard(ctx, tx, e.Live.User, e.Live.Gen, messageID)
		if err != nil {
			return err
		}
		if !live { // the user moved on while it waited: its buttons go
			if err := enqueueItem(ctx, tx, it.chat, kindKeyboard, payload{MessageID: messageID}, nil, time.Now()); err != nil {
				return err
			}
		}
	}
	if n := e.Notified; n != nil {
		if err := b.svc.MarkNotified(ctx, tx, n.Employee, n.Year, n.Month); err != nil {
			return fmt.Errorf("mark the rank of %d for %d-%02d notified: %w", n.Employee, n.Year, n.Month, err)
		}
	}
	return nil
}

func deleteItem(ctx context.Context, tx *store.Tx, id int64) error {
	if _, err := tx.Exec(ctx, sqlOutboxDelete, id); err != nil {
		return fmt.Errorf("outbox: delete item %d: %w", id, err)
	}
	return nil
}

// postpone counts a failed attempt and sets when to try again.
func (b *Bot) postpone(ctx context.Context, it item, next time.Time, cause error) error {
	return b.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, sqlOutboxPostpone, next.UnixMilli(), cause.Error(), it.id); err != nil {
			return fmt.Errorf("outbox: postpone item %d: %w", it.id, err)
		}
		return nil
	})
}

// drop gives up on one row, or on all of its chat's, without their effects.
func (b *Bot) drop(ctx context.Context, it item, wholeChat bool) (int64, error) {
	var n int64
	err := b.db.Update(ctx, func(tx *store.Tx) error {
		q, arg := sqlOutboxDelete, it.id
		if wholeChat {
			q, arg = sqlOutboxDropChat, it.chat
		}
		res, err := tx.Exec(ctx, q, arg)
		if err != nil {
			return fmt.Errorf("outbox: give up item %d of chat %d: %w", it.id, it.chat, err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
