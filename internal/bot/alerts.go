package bot

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"shiftbot/internal/hybrid"
	"shiftbot/internal/store"
)

// Problem alerts for the admins (SPEC §11). The worker records what needs a
// person in sync_problems and never talks to Telegram, so the bot looks at
// that table every AlertEvery and tells each admin who has started the bot,
// through the outbox, what started and what was fixed since it last told
// them: one digest, at most one every DigestGap, whatever accumulated. What
// each admin was told is kept in bot_admin_alerts and bot_admin_open
// (migration 0007), written in the transaction that queues the digest, so a
// problem is told once when it starts and once when it ends, never once per
// cycle, across restarts too. A dead worker records nothing, so the bot also
// judges the worker's last success itself.

// Defaults for Config.
const (
	DefaultAlertEvery = 5 * time.Second
	DefaultDigestGap  = time.Minute
	// defaultWorkerInterval is the worker's --interval default, for a worker
	// that never recorded its own.
	defaultWorkerInterval = 300 * time.Second
	// maxDigestLines bounds a digest: an admin who breaks a whole tab makes
	// hundreds of rejects, and a phone screen of them says no more than ten.
	maxDigestLines = 30
	// workerProblem names the bot's own problem in bot_admin_open.
	workerProblem = "worker"
)

// alertWatch is the watcher's memory between passes. It only saves work:
// what was told is in the database.
type alertWatch struct {
	mu sync.Mutex // one pass at a time
	// since is when this bot started: a worker that never completed a
	// cycle is judged from then.
	since   time.Time
	last    alertInputs // what the last pass saw
	retryAt time.Time   // a digest held back by DigestGap is due then
}

// alertInputs is what a pass depends on, read without the write lock: when
// it is unchanged and no digest waits, a pass would find nothing new.
type alertInputs struct {
	problems   store.ProblemsState
	workerDown bool
	admins     int // admins who have started the bot
}

// workerHealth is the bot's view of the worker: down when its last
// successful cycle is older than three of its intervals.
type workerHealth struct {
	down     bool
	last     time.Time // end of the last successful cycle; zero if none
	interval time.Duration
}

// startAlerts watches for problems until ctx ends; nothing to watch for
// without admins.
func (b *Bot) startAlerts(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	if len(b.admins) == 0 {
		close(done)
		return done
	}
	go func() {
		defer close(done)
		failing := false
		t := time.NewTicker(b.cfg.AlertEvery)
		defer t.Stop()
		for {
			err := b.checkAlerts(ctx, false)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil && !failing:
				b.log.Error("Cannot check the problems for the admins; retrying", "err", err)
			case err == nil && failing:
				b.log.Info("Checking the problems for the admins works again")
			}
			failing = err != nil
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return done
}

// checkAlerts is one pass: it queues a digest for each admin who has news
// and may have one now. force runs it even when nothing seems to have
// changed.
func (b *Bot) checkAlerts(ctx context.Context, force bool) error {
	b.alerts.mu.Lock()
	defer b.alerts.mu.Unlock()
	now := b.now()
	w, err := b.workerHealth(ctx, now)
	if err != nil {
		return err
	}
	in := alertInputs{workerDown: w.down}
	if in.problems, err = b.db.ProblemsState(ctx); err != nil {
		return err
	}
	admins := b.adminList()
	if err := b.db.Read().QueryRowContext(ctx, sqlStartedCount, admins).Scan(&in.admins); err != nil {
		return fmt.Errorf("count the admins who started the bot: %w", err)
	}
	due := !b.alerts.retryAt.IsZero() && !now.Before(b.alerts.retryAt)
	if !force && !due && in == b.alerts.last {
		return nil
	}
	var sent []int64
	var retry time.Time
	err = b.db.Update(ctx, func(tx *store.Tx) error {
		sent, retry = nil, time.Time{}
		started, err := startedAdmins(ctx, tx, admins)
		if err != nil {
			return err
		}
		for _, a := range started {
			queued, wait, err := b.digestFor(ctx, tx, a, now, w)
			if err != nil {
				return fmt.Errorf("digest for admin %d: %w", a, err)
			}
			if queued {
				sent = append(sent, a)
			}
			if !wait.IsZero() && (retry.IsZero() || wait.Before(retry)) {
				retry = wait
			}
		}
		// Someone taken off ADMIN_IDS is told nothing more; put back, they
		// start afresh with what is open then.
		for _, q := range []string{sqlForgetAdmins, sqlForgetAdminOpen} {
			if _, err := tx.Exec(ctx, q, admins); err != nil {
				return fmt.Errorf("forget former admins: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	b.alerts.last, b.alerts.retryAt = in, retry
	if len(sent) > 0 {
		b.log.Info("Problem digest queued for the admins", "admins", len(sent), "worker_down", w.down)
		b.kickDelivery()
	}
	return nil
}

// adminList is ADMIN_IDS as a JSON array, for json_each in SQL.
func (b *Bot) adminList() string {
	out, _ := json.Marshal(b.cfg.Admins) // a slice of numbers always marshals
	return string(out)
}

func startedAdmins(ctx context.Context, tx *store.Tx, admins string) ([]int64, error) {
	rows, err := tx.Query(ctx, sqlStartedAdmins, admins)
	if err != nil {
		return nil, fmt.Errorf("list the admins who started the bot: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list the admins who started the bot: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the admins who started the bot: %w", err)
	}
	return out, nil
}

func (b *Bot) workerHealth(ctx context.Context, now time.Time) (workerHealth, error) {
	w := workerHealth{interval: defaultWorkerInterval}
	last, ok, err := b.db.LastSuccess(ctx)
	if err != nil {
		return w, err
	}
	v, found, err := b.db.State(ctx, store.StateWorkerInterval)
	if err != nil {
		return w, err
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); found && err == nil && n > 0 {
		w.interval = time.Duration(n) * time.Second
	}
	ref := b.alerts.since
	if ok {
		w.last, ref = last, last
	}
	w.down = now.Sub(ref) > 3*w.interval
	return w, nil
}

// news is what one admin is about to be told.
type news struct {
	lines  []string
	opened map[string]string // problem -> summary, to remember as told
	closed []string          // problems told fixed, to forget
	seen   int64
}

func (n *news) start(key, line, summary string) {
	n.lines = append(n.lines, line)
	n.opened[key] = summary
}

func (n *news) fixed(key, summary string) {
	n.lines = append(n.lines, "✅ Fixed: "+summary)
	n.closed = append(n.closed, key)
}

// digestFor queues admin's digest when there is news and the last digest
// is DigestGap old; otherwise it changes nothing and says when to retry.
func (b *Bot) digestFor(ctx context.Context, tx *store.Tx, admin int64, now time.Time, w workerHealth) (queued bool, retry time.Time, err error) {
	seen, lastDigest, known, err := loadAdminAlerts(ctx, tx, admin)
	if err != nil {
		return false, time.Time{}, err
	}
	told, err := loadTold(ctx, tx, admin)
	if err != nil {
		return false, time.Time{}, err
	}
	n := news{opened: map[string]string{}, seen: seen}
	loc := b.svc.Location()
	switch _, wasDown := told[workerProblem]; {
	case w.down && !wasDown:
		n.start(workerProblem, workerDownLine(w, b.alerts.since, loc), "the sync worker stopped completing cycles")
	case !w.down && wasDown:
		n.fixed(workerProblem, fmt.Sprintf("the sync worker completed a cycle again at %s", w.last.In(loc).Format(hybrid.DateTimeLayout)))
	}
	var fresh []store.Problem
	if known {
		fresh, err = tx.ProblemsAfter(ctx, seen)
	} else {
		// The first digest: what is open now, not the history before it.
		if n.seen, err = tx.MaxProblemID(ctx); err == nil {
			fresh, err = tx.OpenProblems(ctx)
		}
	}
	if err != nil {
		return false, time.Time{}, err
	}
	for _, p := range fresh {
		n.seen = max(n.seen, p.ID)
		key := "p" + strconv.FormatInt(p.ID, 10)
		switch {
		case p.Resolved.IsZero():
			n.start(key, problemLine(p), describe(p))
		case p.Kind == store.ProblemConflict: // an event: it has no end to announce
			n.lines = append(n.lines, problemLine(p))
		default: // started and ended since the last digest
			n.lines = append(n.lines, "⚠️ "+upperFirst(describe(p))+"\n   ✅ Fixed since.")
		}
	}
	keys := make([]string, 0, len(told))
	for k := range told {
		if k != workerProblem {
			keys = append(keys, k)
		}
	}
	// By id, as they started: "p9" before "p10".
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(len(a)-len(b), strings.Compare(a, b)) })
	for _, k := range keys {
		id, err := strconv.ParseInt(strings.TrimPrefix(k, "p"), 10, 64)
		if err != nil {
			n.fixed(k, told[k]) // not a key this version writes: let it go
			continue
		}
		p, ok, err := tx.ProblemByID(ctx, id)
		if err != nil {
			return false, time.Time{}, err
		}
		if !ok || !p.Resolved.IsZero() { // resolved, or pruned long after
			n.fixed(k, told[k])
		}
	}

	if len(n.lines) == 0 {
		if !known { // remember where history ends, so it is never news
			return false, time.Time{}, saveAdminAlerts(ctx, tx, admin, n.seen, sql.NullString{})
		}
		return false, time.Time{}, nil
	}
	if next := lastDigest.Add(b.cfg.DigestGap); known && !lastDigest.IsZero() && now.Before(next) {
		return false, next, nil // batched into the next digest, recomputed then
	}
	for _, part := range splitText(digestText(n.lines)) {
		if err := enqueueItem(ctx, tx, admin, kindSend, payload{Text: part}, nil, now); err != nil {
			return false, time.Time{}, err
		}
	}
	for k, summary := range n.opened {
		if _, err := tx.Exec(ctx, sqlToldOpen, admin, k, summary); err != nil {
			return false, time.Time{}, fmt.Errorf("remember problem %s as told: %w", k, err)
		}
	}
	for _, k := range n.closed {
		if _, err := tx.Exec(ctx, sqlToldFixed, admin, k); err != nil {
			return false, time.Time{}, fmt.Errorf("forget problem %s: %w", k, err)
		}
	}
	stamp := sql.NullString{String: now.UTC().Format(time.RFC3339Nano), Valid: true}
	return true, time.Time{}, saveAdminAlerts(ctx, tx, admin, n.seen, stamp)
}

func loadAdminAlerts(ctx context.Context, tx *store.Tx, admin int64) (seen int64, lastDigest time.Time, known bool, err error) {
	var last sql.NullString
	err = tx.QueryRow(ctx, sqlLoadAdminAlerts, admin).Scan(&seen, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, false, nil
	}
	if err != nil {
		return 0, time.Time{}, false, fmt.Errorf("load the alerts of admin %d: %w", admin, err)
	}
	if last.Valid {
		lastDigest, _ = time.Parse(time.RFC3339Nano, last.String)
	}
	return seen, lastDigest, true, nil
}

func saveAdminAlerts(ctx context.Context, tx *store.Tx, admin, seen int64, lastDigest sql.NullString) error {
	if _, err := tx.Exec(ctx, sqlSaveAdminAlerts, admin, seen, lastDigest); err != nil {
		return fmt.Errorf("save the alerts of admin %d: %w", admin, err)
	}
	return nil
}

func loadTold(ctx context.Context, tx *store.Tx, admin int64) (map[string]string, error) {
	rows, err := tx.Query(ctx, sqlLoadTold, admin)
	if err != nil {
		return nil, fmt.Errorf("load the problems told to admin %d: %w", admin, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, summary string
		if err := rows.Scan(&k, &summary); err != nil {
			return nil, fmt.Errorf("load the problems told to admin %d: %w", admin, err)
		}
		out[k] = summary
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load the problems told to admin %d: %w", admin, err)
	}
	return out, nil
}
