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

// The package's SQL, in one place: the bot's own tables of migration 0002.
const (
	sqlMarkUpdate   = `INSERT INTO bot_updates (update_id) VALUES (?) ON CONFLICT DO NOTHING`
	sqlLoadOffset   = `SELECT value FROM bot_state WHERE name = 'offset'`
	sqlSaveOffset   = `INSERT INTO bot_state (name, value) VALUES ('offset', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`
	sqlPruneUpdates = `DELETE FROM bot_updates WHERE update_id < ?`
	sqlLoadConv     = `SELECT step, draft, keyboards FROM bot_conversations WHERE user_id = ?`
	sqlSaveConv     = `INSERT INTO bot_conversations (user_id, step, draft, keyboards, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET step = excluded.step, draft = excluded.draft,
		keyboards = excluded.keyboards, updated_at = excluded.updated_at`
	sqlSetKeyboards = `UPDATE bot_conversations SET keyboards = ? WHERE user_id = ?`
)

// conversation is where one user is: the step whose answer the bot waits
// for, what was chosen so far, and the messages whose buttons are live.
type conversation struct {
	user      int64
	step      step
	draft     draft
	keyboards []int
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
	err := tx.QueryRow(ctx, sqlLoadConv, user).Scan(&st, &d, &kb)
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
	if _, err := tx.Exec(ctx, sqlSaveConv, c.user, string(c.step), string(d), string(kb), now.UTC().Format(time.RFC3339)); err != nil {
		return fmt.Errorf("save conversation of %d: %w", c.user, err)
	}
	return nil
}

func setKeyboards(ctx context.Context, tx *store.Tx, user int64, ids []int) error {
	kb, _ := json.Marshal(nonNil(ids))
	if _, err := tx.Exec(ctx, sqlSetKeyboards, string(kb), user); err != nil {
		return fmt.Errorf("save keyboards of %d: %w", user, err)
	}
	return nil
}

func nonNil(ids []int) []int {
	if ids == nil {
		return []int{}
	}
	return ids
}
