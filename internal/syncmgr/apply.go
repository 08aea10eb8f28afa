package syncmgr

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"time"

	"shiftbot/internal/store"
)

// isReference reports the small tabs the bot reads as a whole: pay is
// computed from settings, rates and ranks, and the product list makes its
// keyboard. They are applied together in one transaction, so the bot never
// works from half a snapshot of them (SPEC §3 "Pull").
func isReference(t store.Table) bool {
	switch t.Name {
	case store.EmployeeSettings.Name, store.DynamicRates.Name, store.Ranks.Name, store.ProductCatalog.Name:
		return true
	}
	return false
}

// apply carries out the plans. Every transaction is short: the reference
// tabs (a few dozen rows) in one, every other tab in windows of at most
// e.chunk of work (planChanges), so a writer never waits long for the lock. A cycle cut short
// keeps the chunks it committed; the next pull finds those rows equal to
// their base and goes on from there.
func (e *Engine) apply(ctx context.Context, plans map[string]*tabPlan, now time.Time, st *Stats, digest uint64) error {
	err := e.db.UpdateFromSheet(ctx, func(tx *store.Tx) error {
		for _, t := range e.tabs {
			p := plans[t.Name]
			if err := e.recordSkip(ctx, tx, p, now, st); err != nil {
				return err
			}
			if p.maxID > 0 {
				if err := tx.RaiseIDFloor(ctx, t.Table, p.maxID); err != nil {
					return err
				}
			}
			if !isReference(t.Table) || p.skip != "" || p.unchanged {
				continue
			}
			if err := e.applyRows(ctx, tx, p, now, st); err != nil {
				return err
			}
			for _, key := range p.deletes {
				if err := e.applyDelete(ctx, tx, p, key, now, st); err != nil {
					return err
				}
			}
			if p.wholeSet {
				if err := e.replaceWhole(ctx, tx, p, st); err != nil {
					return err
				}
			}
			if err := e.finishTab(ctx, tx, p, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, t := range e.tabs {
		p := plans[t.Name]
		if isReference(t.Table) || p.skip != "" || p.unchanged {
			continue
		}
		if err := e.applyStreamed(ctx, p, now, st); err != nil {
			return fmt.Errorf("tab %s: %w", t.Name, err)
		}
	}
	return e.db.UpdateFromSheet(ctx, func(tx *store.Tx) error {
		if err := tx.PruneWrites(ctx, now.Add(-e.hold)); err != nil {
			return err
		}
		n, err := tx.CountOpen(ctx, store.ProblemReject)
		if err != nil {
			return err
		}
		st.Rejected = n
		// The next pull may skip the same response only if this one took
		// all of it.
		complete := true
		for _, t := range e.tabs {
			p := plans[t.Name]
			complete = complete && (p.skip == "" || p.absent) && !p.held
		}
		if complete {
			err = tx.SetState(ctx, statePullDigest, strconv.FormatUint(digest, 16))
		} else {
			err = tx.DeleteState(ctx, statePullDigest)
		}
		if err != nil {
			return err
		}
		// The bot prices shifts only once the reference tabs were read.
		for _, t := range e.tabs {
			if p := plans[t.Name]; isReference(t.Table) && p.skip != "" && !p.absent {
				return nil
			}
		}
		return tx.SetState(ctx, store.StateLastPull, now.UTC().Format(time.RFC3339))
	})
}

// applyStreamed decides and applies a tab a window at a time: each window's
// rows are decoded and compared outside any transaction, then applied in a
// transaction of at most e.chunk of work; deletions follow, then the tab's
// findings.
func (e *Engine) applyStreamed(ctx context.Context, p *tabPlan, now time.Time, st *Stats) error {
	for p.cursor < len(p.keep) {
		if err := e.planChanges(ctx, p, e.chunk); err != nil {
			return err
		}
		if len(p.changes)+len(p.digests) == 0 {
			continue
		}
		if err := e.db.UpdateFromSheet(ctx, func(tx *store.Tx) error { return e.applyRows(ctx, tx, p, now, st) }); err != nil {
			return err
		}
		e.progressed()
		if err := yield(ctx); err != nil {
			return err
		}
	}
	p.changes, p.digests = nil, nil
	for from := 0; from < len(p.deletes); from += e.chunk {
		keys := p.deletes[from:min(from+e.chunk, len(p.deletes))]
		if from > 0 {
			if err := yield(ctx); err != nil {
				return err
			}
		}
		err := e.db.UpdateFromSheet(ctx, func(tx *store.Tx) error {
			for _, key := range keys {
				if err := e.applyDelete(ctx, tx, p, key, now, st); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return e.db.UpdateFromSheet(ctx, func(tx *store.Tx) error { return e.finishTab(ctx, tx, p, now) })
}

// chunkGap is the pause between two chunks of a pull: the bot, waiting for
// the lock, tries every millisecond and gets in here, instead of waiting
// for the whole pull.
const chunkGap = 3 * time.Millisecond

func yield(ctx context.Context) error {
	t := time.NewTimer(chunkGap)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// recordSkip opens or resolves the skipped-tab problem of a tab.
func (e *Engine) recordSkip(ctx context.Context, tx *store.Tx, p *tabPlan, now time.Time, st *Stats) error {
	var current []store.Problem
	if p.skip != "" && !p.absent {
		st.Skipped++
		current = []store.Problem{{Message: p.skip}}
	}
	opened, resolved, err := tx.SetProblems(ctx, store.ProblemSkippedTab, p.tab.Name, current, now)
	switch {
	case len(opened) > 0:
		e.logEntry(ctx, tx, slog.LevelError, p.tab.Name, store.OpPull, "", "skipped", p.skip, now)
	case p.skip != "" && !p.absent:
		e.log.Error(p.skip, "tab", p.tab.Name, "op", store.OpPull) // every cycle: it needs a person
	case len(resolved) > 0:
		e.log.Info("Tab can be read again", "tab", p.tab.Name)
	}
	return err
}

// applyRows applies the plan's current window: its changes and digest
// notes.
func (e *Engine) applyRows(ctx context.Context, tx *store.Tx, p *tabPlan, now time.Time, st *Stats) error {
	for _, c := range p.changes {
		if err := e.applyChange(ctx, tx, p, c, now, st); err != nil {
			return err
		}
	}
	for _, d := range p.digests {
		if err := tx.SetSheetDigest(ctx, p.tab.Table, d.key, d.base, d.raw); err != nil {
			return err
		}
	}
	return nil
}

// applyChange merges one changed sheet row with the local row as it is now,
// inside the transaction: a bot edit made while the pull was deciding is
// merged, never overwritten (SPEC §3).
func (e *Engine) applyChange(ctx context.Context, tx *store.Tx, p *tabPlan, c change, now time.Time, st *Stats) error {
	t := p.tab
	if c.isNew && c.repair == "" {
		inserted, err := tx.InsertNew(ctx, t.Table, store.Row{Values: c.sheet, Base: c.actual, SheetDigest: c.raw})
		if err != nil || inserted {
			st.Pulled++
			return err
		}
		// The bot wrote a row with this key since the pull looked: merge.
	}
	r, ok, err := tx.GetRow(ctx, t.Table, c.key)
	if err != nil {
		return err
	}
	if c.renumberOnly {
		if ok && r.Base == nil && r.Sent == nil {
			return e.renumber(ctx, tx, p, c.key, r, now, st)
		}
		return nil
	}
	st.Pulled++
	if c.repair != "" {
		st.Repaired++
		e.logEntry(ctx, tx, slog.LevelWarn, t.Name, store.OpRepair, c.key, "repaired", fmt.Sprintf("row %d: %s", c.num, c.repair), now)
	}
	row := store.Row{Values: c.sheet, Base: c.actual, SheetDigest: c.raw}
	if !ok {
		row.Pending = c.repair != "" && store.Encode(c.sheet) != store.Encode(c.actual)
		return tx.PutRow(ctx, t.Table, row)
	}
	base := r.Base
	if base == nil {
		switch {
		case r.Sent != nil:
			// A row carrying an id this worker sent is its own, whatever the
			// admin corrected since: the append landed though its response
			// was lost, or Google applied it late. What was sent is the base;
			// the admin's corrections and any local edit merge per cell.
			base = r.Sent
			e.log.Info("Recognised our own appended row in the sheet", "tab", t.Name, "key", c.key, "row", c.num)
		case t.Table.Allocated:
			if err := e.renumber(ctx, tx, p, c.key, r, now, st); err != nil {
				return err
			}
			return tx.PutRow(ctx, t.Table, row)
		default:
			base = store.Values{} // nothing in common: Sheets wins each differing cell
		}
	}
	merged := c.sheet
	if !r.Pending && c.repair == "" {
		return tx.PutRow(ctx, t.Table, row) // Sheets changed, nothing local: take it
	}
	if r.Pending {
		var conflicts []conflict
		merged, conflicts = merge3(base, r.Values, c.sheet)
		for _, cf := range conflicts {
			st.Conflicts++
			msg := fmt.Sprintf("row %d column %s changed on both sides: kept Sheets %q, local was %q", c.num, cf.field, cf.sheet, cf.local)
			e.logEntry(ctx, tx, slog.LevelWarn, t.Name, store.OpConflict, c.key, "sheets_won", msg, now)
			if err := tx.Event(ctx, store.Problem{Kind: store.ProblemConflict, Tab: t.Name, Subject: c.key, Message: msg}, now); err != nil {
				return err
			}
		}
	}
	row.Values = merged
	row.Pending = store.Encode(merged) != store.Encode(c.actual)
	return tx.PutRow(ctx, t.Table, row)
}

// applyDelete deletes a local row the admin deleted in Sheets.
func (e *Engine) applyDelete(ctx context.Context, tx *store.Tx, p *tabPlan, key string, now time.Time, st *Stats) error {
	t := p.tab
	r, ok, err := tx.GetRow(ctx, t.Table, key)
	if err != nil || !ok || r.Base == nil {
		return err
	}
	msg := "deleted in Sheets: deleted locally"
	if p.accept {
		msg = "the operator accepted the emptied tab (--accept-empty): deleted locally"
	}
	if r.Pending {
		msg += fmt.Sprintf("; local values were %s", store.Encode(r.Values))
	}
	st.Pulled++
	e.logEntry(ctx, tx, slog.LevelInfo, t.Name, store.OpDelete, key, "deleted", msg+"; last synced values were "+store.Encode(r.Base), now)
	return tx.DeleteRow(ctx, t.Table, key)
}

// renumber moves a local row that never reached Sheets to a new id because
// its id belongs to another row in Sheets (someone typed it there; SPEC §3).
func (e *Engine) renumber(ctx context.Context, tx *store.Tx, p *tabPlan, oldKey string, r store.Row, now time.Time, st *Stats) error {
	t := p.tab.Table
	id, err := tx.NextID(ctx, t)
	if err != nil {
		return err
	}
	newKey := strconv.FormatInt(id, 10)
	r.Values = maps.Clone(r.Values)
	r.Values[t.Key[0]] = newKey
	r.Sent, r.Pending = nil, true
	if err := tx.DeleteRow(ctx, t, oldKey); err != nil {
		return err
	}
	if err := tx.PutRow(ctx, t, r); err != nil {
		return err
	}
	if t.Name == store.Shifts.Name {
		if err := tx.RenumberShiftRefs(ctx, oldKey, newKey); err != nil {
			return err
		}
	}
	st.Renumbered++
	e.logEntry(ctx, tx, slog.LevelWarn, p.tab.Name, store.OpRenumber, oldKey, "renumbered",
		fmt.Sprintf("id %s is taken in Sheets by another row: local row renumbered to %s", oldKey, newKey), now)
	return nil
}

// replaceWhole replaces DynamicRates with the sheet's rows.
func (e *Engine) replaceWhole(ctx context.Context, tx *store.Tx, p *tabPlan, st *Stats) error {
	t := p.tab.Table
	if err := tx.DeleteAll(ctx, t); err != nil {
		return err
	}
	for _, v := range p.whole {
		if err := tx.PutRow(ctx, t, store.Row{Values: v, Base: v}); err != nil {
			return err
		}
	}
	st.Pulled += len(p.whole)
	return nil
}

// finishTab records what the pull found of a tab once its rows are applied:
// its rejected rows (each logged when it starts being rejected, not every
// cycle), whether appends are held, and its digest.
func (e *Engine) finishTab(ctx context.Context, tx *store.Tx, p *tabPlan, now time.Time) error {
	t := p.tab
	current := make([]store.Problem, len(p.rejects))
	byDigest := make(map[string]*Reject, len(p.rejects))
	for i, n := range p.rejects {
		current[i] = n.problem()
		byDigest[current[i].Subject] = n.r
	}
	opened, resolved, err := tx.SetProblems(ctx, store.ProblemReject, t.Name, current, now)
	if err != nil {
		return err
	}
	for _, pr := range opened {
		r := byDigest[pr.Subject]
		e.log.Warn("Rejected sheet row; keeping the local copy", "tab", r.Tab, "row", r.Row, "column", r.Column, "value", r.Value, "reason", r.Reason)
		if err := tx.Log(ctx, store.LogEntry{At: now, Tab: t.Name, Op: store.OpReject, Key: r.Key, Status: "rejected", Message: r.Error()}); err != nil {
			e.log.Error("write sync log", "err", err)
		}
	}
	for _, pr := range resolved {
		e.log.Info("Sheet row no longer rejected", "tab", t.Name, "was", pr.Message)
	}

	var held []store.Problem
	if p.held {
		held = []store.Problem{{Message: fmt.Sprintf("tab %s is empty but had synced rows: probable accident, local rows kept and appends held; "+
			"restore the sheet, or accept it with syncworker --accept-empty %s", t.Name, t.Name)}}
	}
	opened, resolved, err = tx.SetProblems(ctx, store.ProblemHeldAppends, t.Name, held, now)
	if err != nil {
		return err
	}
	for _, pr := range opened {
		e.logEntry(ctx, tx, slog.LevelWarn, t.Name, store.OpPull, "", "held", pr.Message, now)
	}
	if p.held {
		e.log.Warn("Tab looks emptied by accident: local rows kept, appends held", "tab", t.Name)
	}
	for range resolved {
		e.log.Info("Tab no longer empty: appends resume", "tab", t.Name)
	}
	if p.accept {
		if len(p.index) > 0 {
			e.log.Info("--accept-empty request dropped: the tab is not empty (restored?)", "tab", t.Name)
		}
		if err := tx.DeleteState(ctx, acceptEmptyName(t.Name)); err != nil {
			return err
		}
	}
	if p.held {
		return tx.SetTabDigest(ctx, t.Name, 0) // look again every cycle
	}
	return tx.SetTabDigest(ctx, t.Name, p.digest)
}

type conflict struct{ field, local, sheet string }

// merge3 merges per cell: a cell changed on one side takes that side; a cell
// changed on both to different values takes Sheets and is reported.
func merge3(base, local, sheet store.Values) (store.Values, []conflict) {
	out := make(store.Values, len(sheet))
	var cs []conflict
	fields := make(map[store.Field]bool, len(sheet))
	for f := range local {
		fields[f] = true
	}
	for f := range sheet {
		fields[f] = true
	}
	for _, f := range slices.Sorted(maps.Keys(fields)) {
		b, l, s := base[f], local[f], sheet[f]
		v := s
		switch {
		case l == s, l == b:
		case s == b:
			v = l
		default:
			cs = append(cs, conflict{field: string(f), local: l, sheet: s})
		}
		if v != "" {
			out[f] = v
		}
	}
	return out, cs
}
