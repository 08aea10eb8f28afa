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
