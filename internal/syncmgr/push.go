package syncmgr

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
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
			if err := e.appendRows(ctx, t, plans[t.Name].header, rows[:n]); err != nil {
				return err
			}
			st.Pushed += n
			rows = rows[n:]
		}
	}
	return nil
}

// diffRow compares a pending row with its sheet row at position i and
// returns the owned cells that differ (a row whose cells already match is
// returned with none, to be marked synced).
func diffRow(p *tabPlan, i int, key string, values store.Values) *rowWrite {
	t := p.tab
	have, rej := t.Decode(p.header, p.rows[i], p.fmtRow(i), i+2)
	if rej != nil {
		return nil
	}
	w := &rowWrite{p: p, key: key, values: values, cells: store.Values{}, prior: store.Values{}}
	for _, c := range t.Columns {
		want := values[c.Field]
		if want == have[c.Field] {
			continue
		}
		if _, isNum := cellAt(p.rows[i], p.header.pos[c.Field]).(float64); c.Kind == Percent && isNum && p.fmtd == nil {
			continue // its meaning depends on a number format this pull did not read
		}
		w.cells[c.Field] = want
		w.prior[c.Field] = have[c.Field]
	}
	return w
}

// writeRows sends the edits and the clears of debris in one batchUpdate.
// Right before each attempt it reads the header and key columns of the tabs
// it writes again, so each edit goes to the row that carries its key now
// (the admin may have inserted or sorted rows since the pull), and records
// what it sends: if rows move while the request is in flight anyway, the
// next pull recognises the write and repairs it (repair.go).
func (e *Engine) writeRows(ctx context.Context, plans map[string]*tabPlan, writes []*rowWrite, st *Stats) error {
	var clears []*tabPlan
	for _, t := range e.tabs {
		if p := plans[t.Name]; p.skip == "" && len(p.clears) > 0 {
			clears = append(clears, p)
		}
	}
	var sent []*rowWrite
	written := map[string]bool{}
	prepare := func(ctx context.Context) ([]sheets.ValueRange, error) {
		sent = sent[:0]
		clear(written)
		involved := map[*tabPlan]bool{}
		for _, w := range writes {
			if len(w.cells) > 0 {
				involved[w.p] = true
			}
		}
		for _, p := range clears {
			involved[p] = true
		}
		if len(involved) == 0 {
			return nil, nil
		}
		where, err := e.locate(ctx, slices.Collect(maps.Keys(involved)))
		if err != nil {
			return nil, err
		}
		var data []sheets.ValueRange
		var recs []store.Write
		now := e.now()
		for _, w := range writes {
			loc := where[w.p]
			if len(w.cells) == 0 || loc == nil {
				continue
			}
			num, ok := loc.find(w.key, w.p.index[w.key]+2)
			if !ok {
				e.log.Warn("Row moved away or vanished before the push: writing it next cycle", "tab", w.p.tab.Name, "key", w.key)
				continue
			}
			w.num = num
			data = append(data, rowRange(w.p, num, w.cells))
			recs = append(recs, store.Write{Tab: w.p.tab.Name, Key: w.key, RowNum: num, Cells: w.cells, Prior: w.prior, SentAt: now})
			sent = append(sent, w)
			written[w.p.tab.Name] = true
		}
		for _, p := range clears {
			loc := where[p]
			for _, c := range p.clears {
				if loc == nil || loc.digests[c.num] != c.raw {
					continue // the row changed since the pull: leave it
				}
				empty := store.Values{}
				for _, f := range c.fields {
					empty[f] = ""
				}
				data = append(data, rowRange(p, c.num, empty))
				written[p.tab.Name] = true
			}
		}
		err = e.db.Update(ctx, func(tx *store.Tx) error {
			for i := range recs {
				id, err := tx.RecordWrite(ctx, recs[i])
				if err != nil {
					return err
				}
				sent[i].rec = id
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("record writes: %w", err)
		}
		return data, nil
	}
	var err error
	if len(writes) > 0 || len(clears) > 0 {
		err = e.sh.BatchUpdate(ctx, prepare)
	}
	if err != nil {
		return fmt.Errorf("push updates: %w", err)
	}
	// Rows whose cells already matched, and rows just written, are synced.
	var synced []*rowWrite
	for _, w := range writes {
		if len(w.cells) == 0 || slices.Contains(sent, w) {
			synced = append(synced, w)
		}
	}
	if len(synced) == 0 && len(written) == 0 {
		return nil
	}
	err = e.db.Update(ctx, func(tx *store.Tx) error {
		for _, w := range synced {
			if err := markSynced(ctx, tx, w.p.tab.Table, w.key, w.values); err != nil {
				return err
			}
			if w.rec != 0 {
				if err := tx.WriteConfirmed(ctx, store.Write{ID: w.rec, Tab: w.p.tab.Name, Key: w.key}); err != nil {
					return err
				}
			}
		}
		return forgetDigests(ctx, tx, written)
	})
	if err != nil {
		return fmt.Errorf("push: mark updated rows synced: %w", err)
	}
	st.Pushed += len(synced)
	return nil
}

// forgetDigests makes the next pull look at tabs the push wrote to: their
// stored digest describes the sheet before the write.
func forgetDigests(ctx context.Context, tx *store.Tx, tabs map[string]bool) error {
	for _, name := range slices.Sorted(maps.Keys(tabs)) {
		if err := forgetDigest(ctx, tx, name); err != nil {
			return err
		}
	}
	return nil
}

func forgetDigest(ctx context.Context, tx *store.Tx, tab string) error {
	if err := tx.DeleteState(ctx, statePullDigest); err != nil {
		return err
	}
	return tx.SetTabDigest(ctx, tab, 0)
}

// rowRange is one row's cells as a single range: from its first to its last
// written column, with nil (skipped by the API) between, so a cell this
// system does not write is never touched.
func rowRange(p *tabPlan, num int, cells store.Values) sheets.ValueRange {
	lo, hi := -1, -1
	for f := range cells {
		c := p.header.pos[f]
		if lo < 0 || c < lo {
			lo = c
		}
		hi = max(hi, c)
	}
	row := make([]any, hi-lo+1)
	for _, c := range p.tab.Columns {
		if v, ok := cells[c.Field]; ok {
			row[p.header.pos[c.Field]-lo] = Encode(c.Kind, v)
		}
	}
	return sheets.ValueRange{Range: sheets.Span(p.tab.Name, num, lo, num, hi), Values: [][]any{row}}
}

// located is where the guard read found a tab's rows.
type located struct {
	rows    map[string][]int     // key -> sheet rows carrying it
	digests map[int]store.Digest // sheet row -> digest of its cells (rows the push changes by position)
}

// find is the row to write key to: the one the pull chose if it still
// carries the key, else the only row carrying it.
func (l *located) find(key string, chosen int) (int, bool) {
	at := l.rows[key]
	if slices.Contains(at, chosen) {
		return chosen, true
	}
	if len(at) == 1 {
		return at[0], true
	}
	return 0, false
}

// locate reads, in one request, the header row and the key columns of each
// tab (and the whole rows the push means to change by position), and finds
// where each key is now. A tab whose header moved is left out: its column
// letters from the pull no longer hold.
func (e *Engine) locate(ctx context.Context, ps []*tabPlan) (map[*tabPlan]*located, error) {
	type part struct {
		p           *tabPlan
		first, last int // key column span
		header      int // index of the header range in ranges
		rows        map[int]int
	}
	var ranges []string
	var parts []part
	for _, p := range ps {
		pt := part{p: p, first: -1, rows: map[int]int{}}
		for _, k := range p.tab.Table.Key {
			c := p.header.pos[k]
			if pt.first < 0 || c < pt.first {
				pt.first = c
			}
			pt.last = max(pt.last, c)
		}
		pt.header = len(ranges)
		ranges = append(ranges, sheets.Span(p.tab.Name, 1, 0, 1, max(p.header.Width, 1)-1),
			sheets.Span(p.tab.Name, 2, pt.first, 0, pt.last))
		for _, c := range p.clears {
			pt.rows[c.num] = len(ranges)
			ranges = append(ranges, sheets.Span(p.tab.Name, c.num, 0, c.num, max(p.header.Width, 1)-1))
		}
		parts = append(parts, pt)
	}
	got, err := e.sh.GetRanges(ctx, ranges, false)
	if err != nil {
		return nil, fmt.Errorf("locate rows: %w", err)
	}
	out := map[*tabPlan]*located{}
	for _, pt := range parts {
		p := pt.p
		var header []any
		if h := got[pt.header]; len(h) > 0 {
			header = h[0]
		}
		if !sameColumns(p, header) {
			e.log.Warn("The tab's columns moved since the pull: writing next cycle", "tab", p.tab.Name)
			continue
		}
		loc := &located{rows: map[string][]int{}, digests: map[int]store.Digest{}}
		for i, cells := range got[pt.header+1] {
			row := make([]any, pt.last+1)
			copy(row[pt.first:], cells)
			if key, ok := p.tab.KeyOf(p.header, row); ok {
				loc.rows[key] = append(loc.rows[key], i+2)
			}
		}
		for num, at := range pt.rows {
			var cells []any
			if r := got[at]; len(r) > 0 {
				cells = r[0]
			}
			loc.digests[num] = RowDigest(cells)
		}
		out[p] = loc
	}
	return out, nil
}

// sameColumns reports whether a freshly read header puts the tab's columns
// where the pull found them.
func sameColumns(p *tabPlan, header []any) bool {
	h, err := p.tab.MapHeader(header)
	if err != nil {
		return false
	}
	for _, c := range p.tab.Columns {
		if h.pos[c.Field] != p.header.pos[c.Field] {
			return false
		}
	}
	return true
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
			ranges[i] = sheets.Span(t.Name, r.num, 0, r.num, max(p.header.Width, 1)-1)
		}
		got, err := e.sh.GetRanges(ctx, ranges, false)
		if err != nil {
			return fmt.Errorf("push %s: read duplicate copies: %w", t.Name, err)
		}
		var rows []int
		for i, r := range p.removals {
			var cells []any
			if len(got[i]) > 0 {
				cells = got[i][0]
			}
			if RowDigest(cells) == r.raw {
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
