package syncmgr

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"shiftbot/internal/sheets"
	"shiftbot/internal/store"
)

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
	e.progressed()
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
			ranges = append(ranges, sheets.WholeRow(p.tab.Name, c.num))
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
			header = cellsOf(h[0])
		}
		if !sameColumns(p, header) {
			e.log.Warn("The tab's columns moved since the pull: writing next cycle", "tab", p.tab.Name)
			continue
		}
		loc := &located{rows: map[string][]int{}, digests: map[int]store.Digest{}}
		for i, r := range got[pt.header+1] {
			row := make([]any, pt.last+1)
			copy(row[pt.first:], cellsOf(r))
			if key, ok := p.tab.KeyOf(p.header, row); ok {
				loc.rows[key] = append(loc.rows[key], i+2)
			}
		}
		for num, at := range pt.rows {
			if r := got[at]; len(r) > 0 {
				loc.digests[num] = digestOf(r[0])
			}
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
