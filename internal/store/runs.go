package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Bounds on the bookkeeping tables, so months of cycles every few seconds
// cannot fill the Pi's card. Conflicts, deletions and renumberings hold the
// only copy of a value that was overwritten or removed: they are kept
// KeepRecords whatever else is logged (SPEC §3 "Records").
const (
	KeepLog     = 10000
	KeepRuns    = 2000
	KeepRecords = 90 * 24 * time.Hour
)

const pruneEvery = 100

// Log operations (sync_log.op). Records are the ones kept KeepRecords.
const (
	OpPull     = "pull"
	OpPush     = "push"
	OpReject   = "reject"
	OpConflict = "conflict"
	OpDelete   = "delete"
	OpRenumber = "renumber"
	OpRepair   = "repair"
)

const records = "('" + OpConflict + "', '" + OpDelete + "', '" + OpRenumber + "', '" + OpRepair + "')"

// Pruning: the newest KeepLog entries of each class stay; records older than
// KeepRecords go only beyond that.
var (
	sqlPruneLog = `DELETE FROM sync_log WHERE op NOT IN ` + records + ` AND id <= coalesce((SELECT id FROM sync_log
		WHERE op NOT IN ` + records + ` ORDER BY id DESC LIMIT 1 OFFSET ?), 0)`
	sqlPruneRecords = `DELETE FROM sync_log WHERE op IN ` + records + ` AND at < ? AND id <= coalesce((SELECT id FROM sync_log
		WHERE op IN ` + records + ` ORDER BY id DESC LIMIT 1 OFFSET ?), 0)`
)

// timeLayout is how the database stores times: UTC, fixed width, so that
// text comparison in SQL orders them as time.
const timeLayout = "2006-01-02T15:04:05.000000Z07:00"

func stamp(t time.Time) string { return t.UTC().Format(timeLayout) }

// Run is one sync cycle as recorded in sync_runs.
type Run struct {
	ID       int64
	Cycle    int
	Started  time.Time
	Ended    time.Time // zero while running, or if the process died mid-cycle
	OK       bool
	Err      string
	Pulled   int
	Pushed   int
	Rejected int
	Requests int
	// StalePending, when set, says rows have been pending longer than the
	// worker's threshold: FinishRun opens that problem, or resolves it.
	StalePending string
}

// StartRun records the start of a cycle and returns its row id.
func (db *DB) StartRun(ctx context.Context, cycle int, at time.Time) (int64, error) {
	var id int64
	err := db.Update(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, "INSERT INTO sync_runs (cycle, started_at) VALUES (?, ?)", cycle, stamp(at))
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("record start of cycle %d: %w", cycle, err)
	}
	return id, nil
}

// FinishRun records a cycle's outcome and prunes old runs and log entries.
func (db *DB) FinishRun(ctx context.Context, r Run) error {
	err := db.Update(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE sync_runs SET ended_at = ?, ok = ?, error = ?, pulled = ?, pushed = ?,
			rejected = ?, requests = ? WHERE id = ?`,
			stamp(r.Ended), r.OK, r.Err, r.Pulled, r.Pushed, r.Rejected, r.Requests, r.ID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM sync_runs WHERE id <= (SELECT max(id) FROM sync_runs) - ?", KeepRuns); err != nil {
			return err
		}
		var stale []Problem
		if r.StalePending != "" {
			stale = []Problem{{Message: r.StalePending}}
		}
		if _, _, err := tx.SetProblems(ctx, ProblemStalePending, "", stale, r.Ended); err != nil {
			return err
		}
		// Pruning scans the bookkeeping tables: every hundredth cycle is
		// often enough to keep them near their bounds, and spares the
		// other cycles' transaction the work.
		if r.Cycle%pruneEvery != 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, sqlPruneLog, KeepLog); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlPruneRecords, stamp(r.Ended.Add(-KeepRecords)), KeepLog); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, sqlPruneProblems, stamp(r.Ended.Add(-KeepProblems)))
		return err
	})
	if err != nil {
		return fmt.Errorf("record end of cycle %d: %w", r.Cycle, err)
	}
	return nil
}

// LastRuns returns the newest n runs, newest first.
func (db *DB) LastRuns(ctx context.Context, n int) ([]Run, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, cycle, started_at, coalesce(ended_at, ''), ok, error, pulled, pushed,
		rejected, requests FROM sync_runs ORDER BY id DESC LIMIT ?`, n)
	if err != nil {
		return nil, fmt.Errorf("read sync runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var started, ended string
		if err := rows.Scan(&r.ID, &r.Cycle, &started, &ended, &r.OK, &r.Err, &r.Pulled, &r.Pushed, &r.Rejected, &r.Requests); err != nil {
			return nil, fmt.Errorf("read sync runs: %w", err)
		}
		r.Started, _ = time.Parse(timeLayout, started)
		r.Ended, _ = time.Parse(timeLayout, ended)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read sync runs: %w", err)
	}
	return out, nil
}

// LastCycle is the number of the newest recorded cycle (0 if none), so a
// restarted worker numbers its cycles on from there.
func (db *DB) LastCycle(ctx context.Context) (int, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, "SELECT coalesce(max(cycle), 0) FROM sync_runs").Scan(&n); err != nil {
		return 0, fmt.Errorf("read last cycle number: %w", err)
	}
	return n, nil
}

// LastSuccess returns when the newest successful cycle ended.
func (db *DB) LastSuccess(ctx context.Context) (time.Time, bool, error) {
	var ended string
	err := db.r.QueryRowContext(ctx, "SELECT ended_at FROM sync_runs WHERE ok = 1 ORDER BY id DESC LIMIT 1").Scan(&ended)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read last successful sync: %w", err)
	}
	t, err := time.Parse(timeLayout, ended)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read last successful sync: %w", err)
	}
	return t, true, nil
}

// LogEntry is one line of sync_log.
type LogEntry struct {
	At      time.Time
	Tab     string
	Op      string // pull, push, conflict, reject, delete, renumber
	Key     string
	Status  string
	Message string
}

// Log appends an entry to sync_log.
func (tx *Tx) Log(ctx context.Context, e LogEntry) error {
	_, err := tx.Exec(ctx, "INSERT INTO sync_log (at, tab, op, key, status, message) VALUES (?, ?, ?, ?, ?, ?)",
		stamp(e.At), e.Tab, e.Op, e.Key, e.Status, e.Message)
	if err != nil {
		return fmt.Errorf("write sync log: %w", err)
	}
	return nil
}

// LogEntries returns the newest n sync_log entries of the given operation
// ("" for all), newest first.
func (db *DB) LogEntries(ctx context.Context, op string, n int) ([]LogEntry, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT at, tab, op, key, status, message FROM sync_log
		WHERE ? = '' OR op = ? ORDER BY id DESC LIMIT ?`, op, op, n)
	if err != nil {
		return nil, fmt.Errorf("read sync log: %w", err)
	}
	defer rows.Close()
	var out []LogEntry
	for rows.Next() {
		var e LogEntry
		var at string
		if err := rows.Scan(&at, &e.Tab, &e.Op, &e.Key, &e.Status, &e.Message); err != nil {
			return nil, fmt.Errorf("read sync log: %w", err)
		}
		e.At, _ = time.Parse(timeLayout, at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read sync log: %w", err)
	}
	return out, nil
}

// StateLastPull names the sync_state entry holding when the last pull was
// applied; the bot refuses to compute pay before the first (SPEC §4).
const StateLastPull = "last_pull_at"

// StateWorkerInterval names the sync_state entry holding the running
// worker's --interval in seconds, so the bot can tell when the worker's last
// success is older than three of them (SPEC §11) without knowing its flags.
const StateWorkerInterval = "worker_interval"

// SetState stores a named value.
func (tx *Tx) SetState(ctx context.Context, name, value string) error {
	_, err := tx.Exec(ctx, "INSERT INTO sync_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value", name, value)
	if err != nil {
		return fmt.Errorf("write state %s: %w", name, err)
	}
	return nil
}

// DeleteState removes a named value.
func (tx *Tx) DeleteState(ctx context.Context, name string) error {
	if _, err := tx.Exec(ctx, "DELETE FROM sync_state WHERE name = ?", name); err != nil {
		return fmt.Errorf("delete state %s: %w", name, err)
	}
	return nil
}

// HasStatePrefix reports whether a named value starting with prefix exists.
func (db *DB) HasStatePrefix(ctx context.Context, prefix string) (bool, error) {
	var n int
	err := db.r.QueryRowContext(ctx, "SELECT count(*) FROM sync_state WHERE substr(name, 1, ?) = ?", len(prefix), prefix).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read state %s*: %w", prefix, err)
	}
	return n > 0, nil
}

// State reads a named value.
func (db *DB) State(ctx context.Context, name string) (string, bool, error) {
	var v string
	err := db.r.QueryRowContext(ctx, "SELECT value FROM sync_state WHERE name = ?", name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read state %s: %w", name, err)
	}
	return v, true, nil
}
