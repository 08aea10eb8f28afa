package syncmgr

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"shiftbot/internal/sheets"
	"shiftbot/internal/store"
)

// rowWrite is a pending edit of a row Sheets has: the cells that differ.
type rowWrite struct {
	p      *tabPlan
	key    string
	values store.Values // the local row as pushed
	cells  store.Values // owned cells to write
	prior  store.Values // what the sheet held in them
	num    int          // where the guard read found the row (0: not found)
	rec    int64        // its sync_writes record
}

// push writes pending rows: edits of rows Sheets has in one batchUpdate,
// addressed where the rows are right before it is sent; new rows with one
// append per tab; extra copies of our own rows are deleted (SPEC §3 "Push").
func (e *Engine) push(ctx context.Context, plans map[string]*tabPlan, st *Stats) error {
	if plans == nil {
		return nil // the pull skipped an unchanged response: nothing was pending then; new rows get their own cycle
	}
	now := e.now()
	var writes []*rowWrite
	appends := map[string][]store.Row{}
	for _, t := range e.tabs {
		if !t.Keyed {
			continue
		}
		p := plans[t.Name]
		pending, err := e.db.PendingRows(ctx, t.Table)
		if err != nil {
			return fmt.Errorf("push: %w", err)
		}
		if p.skip != "" {
			if len(pending) > 0 {
				e.log.Error("Pending rows wait until the tab can be read", "tab", t.Name, "rows", len(pending))
			}
			continue
		}
		if len(pending) == 0 {
			continue
		}
		p.buildIndex()
		held := 0
		for _, r := range pending {
			key := t.Table.KeyOf(r.Values)
			i, inSheet := p.index[key]
			switch {
			case p.rejected[key]:
				// The admin's row with this key cannot be read: writing next
				// to a typo could make it worse; the row waits for the fix.
			case r.Base == nil && inSheet:
				// Its id appeared in Sheets after the pull: the next pull
				// recognises our own append or renumbers the row.
			case r.Base == nil && p.held:
				held++
			case r.Base == nil:
				if r.Sent != nil && now.Sub(r.SentAt) < e.hold {
					continue // an append in doubt may still land: never send it twice
				}
				appends[t.Name] = append(appends[t.Name], r)
			case !inSheet:
				// Deleted in Sheets; the pull removed it locally.
			default:
				if w := diffRow(p, i, key, r.Values); w != nil {
					writes = append(writes, w)
				}
			}
		}
		if held > 0 {
			e.log.Warn("New rows wait: the tab looks emptied by accident", "tab", t.Name, "rows", held)
		}
	}
	if err := e.writeRows(ctx, plans, writes, st); err != nil {
		return err
	}
	if err := e.removeCopies(ctx, plans, st); err != nil {
		return err
	}
	for _, t := range e.tabs {
		rows := appends[t.Name]
		for len(rows) > 0 {
			n := min(len(rows), MaxAppendRows)
			if err := e.appendRows(ctx, plans[t.Name].tab, plans[t.Name].header, rows[:n]); err != nil {
				return err
			}
			st.Pushed += n
			rows = rows[n:]
			e.progressed()
		}
	}
	return nil
}

// diffRow compares a pending row with its sheet row at position i and
// returns the owned cells that differ (a row whose cells already match is
// returned with none, to be marked synced).
func diffRow(p *tabPlan, i int, key string, values store.Values) *rowWrite {
	t := p.tab
	if p.rows[i] == nil {
		return nil // released by the pull (the row changed locally since): next cycle
	}
	cells := p.cells(i)
	have, rej := t.Decode(p.header, cells, p.fmtRow(i), i+2)
	if rej != nil {
		return nil
	}
	w := &rowWrite{p: p, key: key, values: values, cells: store.Values{}, prior: store.Values{}}
	for _, c := range t.Columns {
		want := values[c.Field]
		if want == have[c.Field] {
			continue
		}
		if _, isNum := cellAt(cells, p.header.pos[c.Field]).(float64); c.Kind == Percent && isNum && p.fmtd == nil {
			continue // its meaning depends on a number format this pull did not read
		}
		w.cells[c.Field] = want
		w.prior[c.Field] = have[c.Field]
	}
	return w
}

// removeCopies deletes extra copies of our own rows from the sheet: each is
// read again first and deleted only if it is still the same row at the same
// place. Deletions are never retried (deleting a row twice deletes two).
func (e *Engine) removeCopies(ctx context.Context, plans map[string]*tabPlan, st *Stats) error {
	for _, t := range e.tabs {
		p := plans[t.Name]
		if p.skip != "" || len(p.removals) == 0 {
			continue
		}
		ranges := make([]string, len(p.removals))
		for i, r := range p.removals {
			ranges[i] = sheets.WholeRow(t.Name, r.num)
		}
		got, err := e.sh.GetRanges(ctx, ranges, false)
		if err != nil {
			return fmt.Errorf("push %s: read duplicate copies: %w", t.Name, err)
		}
		var rows []int
		for i, r := range p.removals {
			if len(got[i]) > 0 && digestOf(got[i][0]) == r.raw {
				rows = append(rows, r.num)
			}
		}
		if len(rows) == 0 {
			continue
		}
		if err := e.sh.DeleteRows(ctx, t.Name, rows); err != nil {
			return fmt.Errorf("push %s: delete duplicate copies (settled by the next pull): %w", t.Name, err)
		}
		st.Removed += len(rows)
		err = e.db.Update(ctx, func(tx *store.Tx) error {
			for _, r := range p.removals {
				if slices.Contains(rows, r.num) {
					e.logEntry(ctx, tx, slog.LevelWarn, t.Name, store.OpRepair, r.key, "removed",
						fmt.Sprintf("row %d was an extra copy of our own row %s (an append Google applied twice): deleted from the sheet", r.num, r.key), e.now())
				}
			}
			return forgetDigest(ctx, tx, t.Name)
		})
		if err != nil {
			return fmt.Errorf("push %s: %w", t.Name, err)
		}
	}
	return nil
}

// MaxAppendRows bounds one append request, so a backlog (a worker that was
// down for days) goes out in requests that finish well inside their timeout.
const MaxAppendRows = 500

// appendRows records what it sends and when, appends, and marks the rows
// synced once Sheets confirmed. If the response is lost, the record lets
// the next pulls recognise the rows as ours, and keeps them from being sent
// again while Google may still apply the request.
func (e *Engine) appendRows(ctx context.Context, t Tab, h Header, rows []store.Row) error {
	now := e.now()
	err := e.db.Update(ctx, func(tx *store.Tx) error {
		for _, r := range rows {
			cur, ok, err := tx.GetRow(ctx, t.Table, t.Table.KeyOf(r.Values))
			if err != nil || !ok {
				return err
			}
			cur.Sent, cur.SentAt = r.Values, now
			if err := tx.PutRow(ctx, t.Table, cur); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("push %s: record rows to send: %w", t.Name, err)
	}
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = t.EncodeRow(h, r.Values)
	}
	_, err = e.sh.Append(ctx, t.Name, out)
	if err != nil {
		refused := sheets.Refused(err)
		bg := context.WithoutCancel(ctx)
		derr := e.db.Update(bg, func(tx *store.Tx) error {
			if refused {
				// Google answered with an error: nothing was appended, and
				// the rows may go again next cycle.
				for _, r := range rows {
					if err := unsend(bg, tx, t.Table, t.Table.KeyOf(r.Values)); err != nil {
						return err
					}
				}
			}
			// Otherwise whether Google applied it is unknown: the rows wait
			// (appendRows is not called for them until the hold passed) and
			// the next pulls look at the tab.
			return forgetDigest(bg, tx, t.Name)
		})
		if derr != nil {
			e.log.Error("record append outcome", "tab", t.Name, "err", derr)
		}
		return fmt.Errorf("push %s: append %d rows (outcome settled by the next pull): %w", t.Name, len(rows), err)
	}
	err = e.db.Update(ctx, func(tx *store.Tx) error {
		for _, r := range rows {
			if err := markSynced(ctx, tx, t.Table, t.Table.KeyOf(r.Values), r.Values); err != nil {
				return err
			}
		}
		return forgetDigest(ctx, tx, t.Name)
	})
	if err != nil {
		return fmt.Errorf("push %s: mark appended rows synced: %w", t.Name, err)
	}
	return nil
}

// unsend forgets the record of an append Google refused.
func unsend(ctx context.Context, tx *store.Tx, t store.Table, key string) error {
	cur, ok, err := tx.GetRow(ctx, t, key)
	if err != nil || !ok {
		return err
	}
	cur.Sent, cur.SentAt = nil, time.Time{}
	return tx.PutRow(ctx, t, cur)
}

// markSynced records that Sheets now holds vals for the row. An edit the bot
// made meanwhile keeps the row pending.
func markSynced(ctx context.Context, tx *store.Tx, t store.Table, key string, vals store.Values) error {
	cur, ok, err := tx.GetRow(ctx, t, key)
	if err != nil || !ok {
		return err
	}
	cur.Base, cur.Sent, cur.SentAt, cur.SheetDigest = vals, nil, time.Time{}, 0
	cur.Pending = store.Encode(cur.Values) != store.Encode(vals)
	return tx.PutRow(ctx, t, cur)
}
