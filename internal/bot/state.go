package bot

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"shiftbot/internal/store"
)

// The package's SQL, in one place: the bot's own tables of migrations 0002
// (updates, conversations) and 0003 (the outbox).
const (
	sqlMarkUpdate   = `INSERT INTO bot_updates (update_id) VALUES (?) ON CONFLICT DO NOTHING`
	sqlLoadOffset   = `SELECT value FROM bot_state WHERE name = 'offset'`
	sqlSaveOffset   = `INSERT INTO bot_state (name, value) VALUES ('offset', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`
	sqlPruneUpdates = `DELETE FROM bot_updates WHERE update_id < ?`
	sqlLoadConv     = `SELECT step, draft, keyboards, keyboard_gen FROM bot_conversations WHERE user_id = ?`
	sqlSaveConv     = `INSERT INTO bot_conversations (user_id, step, draft, keyboards, keyboard_gen, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET step = excluded.step, draft = excluded.draft,
		keyboards = excluded.keyboards, keyboard_gen = excluded.keyboard_gen, updated_at = excluded.updated_at`
	sqlLoadKeyboards = `SELECT keyboards, keyboard_gen FROM bot_conversations WHERE user_id = ?`
	sqlSetKeyboards  = `UPDATE bot_conversations SET keyboards = ? WHERE user_id = ?`

	sqlOutboxInsert = `INSERT INTO bot_outbox (chat_id, kind, payload, on_delivered, created_at) VALUES (?, ?, ?, ?, ?)`
	// The head of every chat's queue: SQLite fills the bare column
	// next_attempt from the row that holds min(id)
	// (https://sqlite.org/lang_select.html#bare_columns_in_an_aggregate_query).
	sqlOutboxHeads = `SELECT chat_id, min(id), next_attempt FROM bot_outbox GROUP BY chat_id`
	sqlOutboxHead  = `SELECT id, kind, payload, on_delivered, attempts, next_attempt FROM bot_outbox
		WHERE chat_id = ? ORDER BY id LIMIT 1`
	sqlOutboxCount    = `SELECT count(*) FROM bot_outbox`
	sqlOutboxDelete   = `DELETE FROM bot_outbox WHERE id = ?`
	sqlOutboxDropChat = `DELETE FROM bot_outbox WHERE chat_id = ?`
	sqlOutboxPostpone = `UPDATE bot_outbox SET attempts = attempts + 1, next_attempt = ?, last_error = ? WHERE id = ?`
)

// conversation is where one user is: the step whose answer the bot waits
// for, what was chosen so far, and the messages whose buttons are live.
type conversation struct {
	user      int64
	step      step
	draft     draft
	keyboards []int // delivered messages whose buttons are live
	// keyboardGen counts the user's moves to a new step; a message is sent
	// with the generation it belongs to, and on delivery its keyboard becomes
	// live only if the user has not moved on since (see liveKeyboard).
	keyboardGen int64
}

// draft is what the user chose so far; it is stored as JSON, so products
// are kept by name (a PRODUCTS change between restarts cannot shift them).
type draft struct {
	Day     string `json:"day,omitempty"`     // start date, or the record date when editing
	In      string `json:"in,omitempty"`      // chosen clock in
	Out     string `json:"out,omitempty"`     // chosen clock out
	PM      bool   `json:"pm,omitempty"`      // the hour keyboard shows PM
	Sales   []sale `json:"sales,omitempty"`   // products entered, in order
	Product string `json:"product,omitempty"` // product whose amount is asked
	Shift   int64  `json:"shift,omitempty"`   // shift being edited (checked to be the user's)
}

type sale struct {
	Product string `json:"product"`
	Amount  string `json:"amount"` // canonical, two decimals
}

// markUpdate records that update id is being applied in this transaction;
// false when it already was (a batch seen again after a crash).
func markUpdate(ctx context.Context, tx *store.Tx, id int) (bool, error) {
	res, err := tx.Exec(ctx, sqlMarkUpdate, id)
	if err != nil {
		return false, fmt.Errorf("record update %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record update %d: %w", id, err)
	}
	return n == 1, nil
}

// saveOffset moves the getUpdates offset past a handled batch.
func saveOffset(ctx context.Context, tx *store.Tx, offset int) error {
	if _, err := tx.Exec(ctx, sqlSaveOffset, strconv.Itoa(offset)); err != nil {
		return fmt.Errorf("save offset %d: %w", offset, err)
	}
	if _, err := tx.Exec(ctx, sqlPruneUpdates, offset); err != nil {
		return fmt.Errorf("prune handled updates: %w", err)
	}
	return nil
}

func loadOffset(ctx context.Context, db *store.DB) (int, error) {
	var v string
	err := db.Read().QueryRowContext(ctx, sqlLoadOffset).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("load offset: %w", err)
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("load offset %q: %w", v, err)
	}
	return n, nil
}

func loadConversation(ctx context.Context, tx *store.Tx, user int64) (conversation, error) {
	c := conversation{user: user, step: stepMenu}
	var st, d, kb string
	err := tx.QueryRow(ctx, sqlLoadConv, user).Scan(&st, &d, &kb, &c.keyboardGen)
	if errors.Is(err, sql.ErrNoRows) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("load conversation of %d: %w", user, err)
	}
	c.step = step(st)
	if err := json.Unmarshal([]byte(d), &c.draft); err != nil {
		return c, fmt.Errorf("load conversation of %d: draft: %w", user, err)
	}
	if err := json.Unmarshal([]byte(kb), &c.keyboards); err != nil {
		return c, fmt.Errorf("load conversation of %d: keyboards: %w", user, err)
	}
	return c, nil
}

func saveConversation(ctx context.Context, tx *store.Tx, c conversation, now time.Time) error {
	d, _ := json.Marshal(c.draft) // plain strings and numbers always marshal
	kb, _ := json.Marshal(nonNil(c.keyboards))
	if _, err := tx.Exec(ctx, sqlSaveConv, c.user, string(c.step), string(d), string(kb), c.keyboardGen, now.UTC().Format(time.RFC3339)); err != nil {
		return fmt.Errorf("save conversation of %d: %w", c.user, err)
	}
	return nil
}

// liveKeyboard records that message id, just delivered with a keyboard,
// is live for the user, unless the user moved on past generation gen while
// it waited in the outbox: then it returns false and the caller removes that
// keyboard, so only the current step's buttons stay pressable.
func liveKeyboard(ctx context.Context, tx *store.Tx, user, gen int64, id int) (bool, error) {
	var kb string
	var cur int64
	err := tx.QueryRow(ctx, sqlLoadKeyboards, user).Scan(&kb, &cur)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load keyboards of %d: %w", user, err)
	}
	if cur != gen {
		return false, nil
	}
	var ids []int
	if err := json.Unmarshal([]byte(kb), &ids); err != nil {
		return false, fmt.Errorf("load keyboards of %d: %w", user, err)
	}
	out, _ := json.Marshal(append(ids, id))
	if _, err := tx.Exec(ctx, sqlSetKeyboards, string(out), user); err != nil {
		return false, fmt.Errorf("save keyboards of %d: %w", user, err)
	}
	return true, nil
}

func nonNil(ids []int) []int {
	if ids == nil {
		return []int{}
	}
	return ids
}
