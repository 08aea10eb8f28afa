package store

import (
	"context"
	"fmt"
	"time"
)

// Problem kinds (sync_problems.kind).
const (
	ProblemReject       = "reject"        // a sheet row that cannot be read
	ProblemSkippedTab   = "skipped_tab"   // a tab missing, or missing a header
	ProblemHeldAppends  = "held_appends"  // a tab that looks emptied by accident
	ProblemStalePending = "stale_pending" // rows pending longer than 3 intervals
	ProblemConflict     = "conflict"      // a cell changed on both sides (an event)
)

// Problem is one row of sync_problems: something a person should know.
type Problem struct {
	ID       int64
	Kind     string
	Tab      string
	Subject  string // identifies the problem within kind and tab
	Message  string
	Started  time.Time
	Resolved time.Time // zero while open
}

const (
	sqlOpenProblems = `SELECT id, kind, tab, subject, message, started_at FROM sync_problems
		WHERE resolved_at IS NULL AND kind = ? AND tab = ?`
	sqlOpenProblem    = `INSERT INTO sync_problems (kind, tab, subject, message, started_at) VALUES (?, ?, ?, ?, ?)`
	sqlResolveProblem = `UPDATE sync_problems SET resolved_at = ? WHERE id = ?`
	sqlEvent          = `INSERT INTO sync_problems (kind, tab, subject, message, started_at, resolved_at) VALUES (?, ?, ?, ?, ?, ?)`
	sqlAllOpen        = `SELECT id, kind, tab, subject, message, started_at FROM sync_problems
		WHERE resolved_at IS NULL ORDER BY id`
	// Resolved problems are history; a month of it is plenty.
	sqlPruneProblems = `DELETE FROM sync_problems WHERE resolved_at IS NOT NULL AND resolved_at < ?`
)

// KeepProblems is how long resolved problems are kept.
const KeepProblems = 30 * 24 * time.Hour

// SetProblems makes the open problems of kind in tab exactly current (by
// subject): new subjects are opened, open ones not in current are resolved,
// the rest stay as they are. It returns what it opened and resolved, so the
// caller logs each problem once when it starts and once when it ends.
func (tx *Tx) SetProblems(ctx context.Context, kind, tab string, current []Problem, now time.Time) (opened, resolved []Problem, err error) {
	open, err := tx.openProblems(ctx, kind, tab)
	if err != nil {
		return nil, nil, err
	}
	at := stamp(now)
	want := make(map[string]bool, len(current))
	for _, p := range current {
		if want[p.Subject] {
			continue
		}
		want[p.Subject] = true
		if _, ok := open[p.Subject]; ok {
			continue
		}
		p.Kind, p.Tab, p.Started = kind, tab, now
		res, err := tx.Exec(ctx, sqlOpenProblem, kind, tab, p.Subject, p.Message, at)
		if err != nil {
			return nil, nil, fmt.Errorf("open %s problem in %s: %w", kind, tab, err)
		}
		p.ID, _ = res.LastInsertId()
		opened = append(opened, p)
	}
	for subject, p := range open {
		if want[subject] {
			continue
		}
		if _, err := tx.Exec(ctx, sqlResolveProblem, at, p.ID); err != nil {
			return nil, nil, fmt.Errorf("resolve %s problem in %s: %w", kind, tab, err)
		}
		p.Resolved = now
		resolved = append(resolved, p)
	}
	return opened, resolved, nil
}

func (tx *Tx) openProblems(ctx context.Context, kind, tab string) (map[string]Problem, error) {
	rows, err := tx.Query(ctx, sqlOpenProblems, kind, tab)
	if err != nil {
		return nil, fmt.Errorf("read open %s problems: %w", kind, err)
	}
	defer rows.Close()
	out := map[string]Problem{}
	for rows.Next() {
		p, err := scanProblem(rows)
		if err != nil {
			return nil, fmt.Errorf("read open %s problems: %w", kind, err)
		}
		out[p.Subject] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read open %s problems: %w", kind, err)
	}
	return out, nil
}

// Event records a problem that has no end (a conflict): opened and resolved
// at once, so it is reported once.
func (tx *Tx) Event(ctx context.Context, p Problem, now time.Time) error {
	at := stamp(now)
	if _, err := tx.Exec(ctx, sqlEvent, p.Kind, p.Tab, p.Subject, p.Message, at, at); err != nil {
		return fmt.Errorf("record %s event: %w", p.Kind, err)
	}
	return nil
}

// CountOpen counts the open problems of kind.
func (tx *Tx) CountOpen(ctx context.Context, kind string) (int, error) {
	var n int
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM sync_problems WHERE kind = ? AND resolved_at IS NULL", kind).Scan(&n); err != nil {
		return 0, fmt.Errorf("count open %s problems: %w", kind, err)
	}
	return n, nil
}

// CountOpenProblems counts the open problems of kind, through the read pool.
func (db *DB) CountOpenProblems(ctx context.Context, kind string) (int, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, "SELECT count(*) FROM sync_problems WHERE kind = ? AND resolved_at IS NULL", kind).Scan(&n); err != nil {
		return 0, fmt.Errorf("count open %s problems: %w", kind, err)
	}
	return n, nil
}

// OpenProblems lists every open problem, oldest first.
func (db *DB) OpenProblems(ctx context.Context) ([]Problem, error) {
	rows, err := db.r.QueryContext(ctx, sqlAllOpen)
	if err != nil {
		return nil, fmt.Errorf("read open problems: %w", err)
	}
	defer rows.Close()
	var out []Problem
	for rows.Next() {
		p, err := scanProblem(rows)
		if err != nil {
			return nil, fmt.Errorf("read open problems: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read open problems: %w", err)
	}
	return out, nil
}

func scanProblem(s scanner) (Problem, error) {
	var p Problem
	var started string
	if err := s.Scan(&p.ID, &p.Kind, &p.Tab, &p.Subject, &p.Message, &started); err != nil {
		return p, err
	}
	p.Started, _ = time.Parse(timeLayout, started)
	return p, nil
}

// Reads for the bot, which tells the admins about each problem once when it
// starts and once when it is resolved (SPEC §11). They run in the bot's
// write transaction, so what it records as told matches what it read.

const (
	sqlProblemCols    = `id, kind, tab, subject, message, started_at, coalesce(resolved_at, '')`
	sqlProblemsAfter  = `SELECT ` + sqlProblemCols + ` FROM sync_problems WHERE id > ? ORDER BY id`
	sqlOpenProblemsTx = `SELECT ` + sqlProblemCols + ` FROM sync_problems WHERE resolved_at IS NULL ORDER BY id`
	sqlProblemByID    = `SELECT ` + sqlProblemCols + ` FROM sync_problems WHERE id = ?`
	sqlMaxProblemID   = `SELECT coalesce(max(id), 0) FROM sync_problems`
	// Any change of the open set or a new problem changes one of these.
	sqlProblemsState = `SELECT coalesce(max(id), 0), coalesce(sum(resolved_at IS NULL), 0),
		coalesce(sum(CASE WHEN resolved_at IS NULL THEN id END), 0) FROM sync_problems`
)

// ProblemsAfter lists the problems recorded after problem id, open and
// resolved, oldest first.
func (tx *Tx) ProblemsAfter(ctx context.Context, id int64) ([]Problem, error) {
	return tx.problems(ctx, sqlProblemsAfter, id)
}

// OpenProblems lists every open problem, oldest first, in the transaction.
func (tx *Tx) OpenProblems(ctx context.Context) ([]Problem, error) {
	return tx.problems(ctx, sqlOpenProblemsTx)
}

// ProblemByID loads one problem; false when there is none (resolved
// problems are pruned after KeepProblems).
func (tx *Tx) ProblemByID(ctx context.Context, id int64) (Problem, bool, error) {
	ps, err := tx.problems(ctx, sqlProblemByID, id)
	if err != nil || len(ps) == 0 {
		return Problem{}, false, err
	}
	return ps[0], true, nil
}

// MaxProblemID is the id of the newest problem ever recorded and kept; 0 if
// none.
func (tx *Tx) MaxProblemID(ctx context.Context) (int64, error) {
	var n int64
	if err := tx.QueryRow(ctx, sqlMaxProblemID).Scan(&n); err != nil {
		return 0, fmt.Errorf("read the newest problem id: %w", err)
	}
	return n, nil
}

// ProblemsState is a fingerprint of sync_problems that changes whenever a
// problem is recorded or an open one is resolved, read without the write
// lock: a caller polling for news compares it before doing more.
type ProblemsState struct {
	MaxID, Open, OpenSum int64
}

// ProblemsState reads the fingerprint through the read pool.
func (db *DB) ProblemsState(ctx context.Context) (ProblemsState, error) {
	var s ProblemsState
	if err := db.r.QueryRowContext(ctx, sqlProblemsState).Scan(&s.MaxID, &s.Open, &s.OpenSum); err != nil {
		return s, fmt.Errorf("read the problems' state: %w", err)
	}
	return s, nil
}

func (tx *Tx) problems(ctx context.Context, query string, args ...any) ([]Problem, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read problems: %w", err)
	}
	defer rows.Close()
	var out []Problem
	for rows.Next() {
		var p Problem
		var started, resolved string
		if err := rows.Scan(&p.ID, &p.Kind, &p.Tab, &p.Subject, &p.Message, &started, &resolved); err != nil {
			return nil, fmt.Errorf("read problems: %w", err)
		}
		p.Started, _ = time.Parse(timeLayout, started)
		if resolved != "" {
			p.Resolved, _ = time.Parse(timeLayout, resolved)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read problems: %w", err)
	}
	return out, nil
}
