package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Write is a write to Sheets as recorded before it was sent (sync_writes).
type Write struct {
	ID     int64
	Tab    string
	Key    string // the row it was meant for
	RowNum int    // the sheet row it addressed
	Cells  Values // what it wrote
	Prior  Values // what the pull saw in those cells
	SentAt time.Time
	State  string
}

// Write states.
const (
	WriteSent       = "sent"       // outcome unknown
	WriteOK         = "ok"         // Google confirmed it
	WriteSuperseded = "superseded" // a newer write of the same row was confirmed
)

const (
	sqlRecordWrite = `INSERT INTO sync_writes (tab, key, row_num, cells, prior, sent_at) VALUES (?, ?, ?, ?, ?, ?)`
	sqlWriteOK     = `UPDATE sync_writes SET state = 'ok' WHERE id = ?`
	sqlSupersede   = `UPDATE sync_writes SET state = 'superseded' WHERE tab = ? AND key = ? AND id < ?`
	sqlRecentWrite = `SELECT id, tab, key, row_num, cells, prior, sent_at, state FROM sync_writes WHERE tab = ? ORDER BY id`
	sqlPruneWrites = `DELETE FROM sync_writes WHERE sent_at < ?`
	sqlTabDigest   = `SELECT digest FROM sync_tabs WHERE tab = ?`
	sqlSetTab      = `INSERT INTO sync_tabs (tab, digest) VALUES (?, ?) ON CONFLICT (tab) DO UPDATE SET digest = excluded.digest`
)

// RecordWrite records a write about to be sent and returns its id.
func (tx *Tx) RecordWrite(ctx context.Context, w Write) (int64, error) {
	cells, _ := json.Marshal(w.Cells) // a map of strings always marshals
	prior, _ := json.Marshal(w.Prior)
	res, err := tx.Exec(ctx, sqlRecordWrite, w.Tab, w.Key, w.RowNum, string(cells), string(prior), stamp(w.SentAt))
	if err != nil {
		return 0, fmt.Errorf("record write of %s row %s: %w", w.Tab, w.Key, err)
	}
	return res.LastInsertId()
}

// WriteConfirmed marks a write confirmed by Google; older writes of the same
// row become superseded, so one of them landing late is known to be stale.
func (tx *Tx) WriteConfirmed(ctx context.Context, w Write) error {
	if _, err := tx.Exec(ctx, sqlWriteOK, w.ID); err != nil {
		return fmt.Errorf("confirm write %d: %w", w.ID, err)
	}
	if _, err := tx.Exec(ctx, sqlSupersede, w.Tab, w.Key, w.ID); err != nil {
		return fmt.Errorf("confirm write %d: %w", w.ID, err)
	}
	return nil
}

// Writes lists the recorded writes to tab, oldest first.
func (db *DB) Writes(ctx context.Context, tab string) ([]Write, error) {
	rows, err := db.r.QueryContext(ctx, sqlRecentWrite, tab)
	if err != nil {
		return nil, fmt.Errorf("read writes of %s: %w", tab, err)
	}
	defer rows.Close()
	var out []Write
	for rows.Next() {
		var w Write
		var cells, prior, at string
		if err := rows.Scan(&w.ID, &w.Tab, &w.Key, &w.RowNum, &cells, &prior, &at, &w.State); err != nil {
			return nil, fmt.Errorf("read writes of %s: %w", tab, err)
		}
		if err := errors.Join(json.Unmarshal([]byte(cells), &w.Cells), json.Unmarshal([]byte(prior), &w.Prior)); err != nil {
			return nil, fmt.Errorf("read write %d: %w", w.ID, err)
		}
		w.SentAt, _ = time.Parse(timeLayout, at)
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read writes of %s: %w", tab, err)
	}
	return out, nil
}

// HasWrites reports whether any write is still remembered.
func (db *DB) HasWrites(ctx context.Context) (bool, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, "SELECT count(*) FROM sync_writes").Scan(&n); err != nil {
		return false, fmt.Errorf("count recorded writes: %w", err)
	}
	return n > 0, nil
}

// PruneWrites forgets writes sent before t.
func (tx *Tx) PruneWrites(ctx context.Context, t time.Time) error {
	if _, err := tx.Exec(ctx, sqlPruneWrites, stamp(t)); err != nil {
		return fmt.Errorf("prune recorded writes: %w", err)
	}
	return nil
}

// TabDigest is the digest of tab as the last completed pull saw it; 0 when
// unknown or when the push has written to the tab since.
func (db *DB) TabDigest(ctx context.Context, tab string) (Digest, error) {
	var d sql.NullInt64
	err := db.r.QueryRowContext(ctx, sqlTabDigest, tab).Scan(&d)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("read digest of tab %s: %w", tab, err)
	}
	return Digest(uint64(d.Int64)), nil
}

// SetTabDigest records the digest of tab (0 to forget it).
func (tx *Tx) SetTabDigest(ctx context.Context, tab string, d Digest) error {
	if _, err := tx.Exec(ctx, sqlSetTab, tab, d.arg()); err != nil {
		return fmt.Errorf("record digest of tab %s: %w", tab, err)
	}
	return nil
}
