package syncmgr

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"shiftbot/internal/store"
)

// scanKeyed looks at a keyed tab (SPEC §3 "Pull", "Row identity") without
// decoding its rows: every row's key and digest, duplicates, rows without a
// key, deletions and an emptied tab. Rows are decoded later, a window at a
// time (planChanges), and only where their cells changed since their base.
func (e *Engine) scanKeyed(ctx context.Context, p *tabPlan) error {
	t := p.tab
	var err error
	if p.sums, err = e.db.Summaries(ctx, t.Table); err != nil {
		return err
	}
	if p.writes, err = e.db.Writes(ctx, t.Name); err != nil {
		return err
	}
	p.rejected = map[string]bool{}
	p.keys = make([]string, len(p.rows))
	p.raws = make([]store.Digest, len(p.rows))
	// A row whose text is what it was when a local row's base was taken
	// from it is that row: known without decoding it.
	byDigest := make(map[store.Digest]string, len(p.sums))
	for key, s := range p.sums {
		if s.SheetDigest != 0 {
			byDigest[s.SheetDigest] = key
		}
	}
	byKey := make(map[string][]int, len(p.rows))
	var keyless []int
	for i, raw := range p.rows {
		d := digestOf(raw)
		p.raws[i] = d
		key, known := byDigest[d]
		if !known {
			cells := cellsOf(raw)
			if !t.IsTableRow(p.header, cells) {
				if len(p.writes) > 0 && !isEmptyRow(cells) {
					keyless = append(keyless, i)
				}
				continue
			}
			var ok bool
			if key, ok = t.KeyOf(p.header, cells); !ok {
				keyless = append(keyless, i)
				continue
			}
		}
		p.keys[i] = key
		byKey[key] = append(byKey[key], i)
		if t.Table.Allocated {
			p.maxID = max(p.maxID, atoi(key))
		}
	}

	// Rows without a readable key: the debris of a write of ours that
	// landed on a row the admin inserted is cleared; anything else is a
	// rejected row, and deletions wait until it is fixed.
	for _, i := range keyless {
		cells := p.cells(i)
		if w, fields, ok := debris(t, p.header, cells, p.writes); ok {
			p.clears = append(p.clears, sheetRowRef{key: w.Key, num: i + 2, raw: p.raws[i], fields: fields})
			e.log.Warn("A write for another row landed on a row the admin inserted; clearing it", "tab", t.Name,
				"row", i+2, "meant_for", w.Key)
			continue
		}
		if !t.IsTableRow(p.header, cells) {
			continue
		}
		_, rej := t.Decode(p.header, cells, p.fmtRow(i), i+2)
		if rej == nil {
			rej = &Reject{Tab: t.Name, Row: i + 2, Reason: "the key cannot be read"}
		}
		p.reject(rej, p.raws[i])
	}

	p.index = make(map[string]int, len(byKey))
	for key, at := range byKey {
		if len(at) > 1 {
			if at, err = e.resolveDuplicates(ctx, p, key, at, p.sums[key]); err != nil {
				return err
			}
		}
		p.index[key] = at[0]
	}
	p.keep = slices.Sorted(maps.Values(p.index))

	synced := 0
	for _, s := range p.sums {
		if s.HasBase() {
			synced++
		}
	}
	if len(p.index) == 0 && !p.unkeyed && synced > 0 && !p.accept {
		// Every row gone at once is an accident far more often than a
		// decision: keep the local rows, and append nothing into the empty
		// tab (the next pull would take the tab for the truth and delete the
		// rest) until the sheet is restored or the operator accepts it
		// (SPEC §3).
		p.held = true
		return nil
	}
	if p.unkeyed {
		e.log.Warn("Rows without a readable key: deletions in this tab wait until they are fixed", "tab", t.Name)
		return nil
	}
	for _, key := range slices.Sorted(maps.Keys(p.sums)) {
		if _, ok := p.index[key]; !ok && p.sums[key].HasBase() {
			p.deletes = append(p.deletes, key)
		}
	}
	return nil
}

// Costs of row operations in a pull transaction, in units of DefaultChunk:
// inserting a row no one has locally, or noting a digest, is a fraction of
// merging one (no read of the local row, no merge, one statement).
const (
	costInsert = 1
	costMerge  = 8
)

// planChanges decodes the next rows of keep whose cells changed since their
// base, until it has row operations worth limit for one transaction (or
// none are left); it leaves them in p.changes and p.digests.
func (e *Engine) planChanges(ctx context.Context, p *tabPlan, limit int) error {
	t := p.tab
	p.changes, p.digests = p.changes[:0], p.digests[:0]
	for cost := 0; p.cursor < len(p.keep) && cost < limit; {
		i := p.keep[p.cursor]
		p.cursor++
		key := p.keys[i]
		s, known := p.sums[key]
		if known && s.SheetDigest == p.raws[i] {
			p.release(i, s)
			continue // the sheet row is as it was when base was taken from it
		}
		v, rej := t.Decode(p.header, p.cells(i), p.fmtRow(i), i+2)
		if !known {
			p.release(i, s)
		}
		switch {
		case rej != nil:
			p.reject(rej, p.raws[i])
			p.rejected[key] = true
			if known && !s.HasBase() && !s.Sent && t.Table.Allocated {
				// An admin's unreadable row owns the id a new local row took.
				p.changes = append(p.changes, change{key: key, num: i + 2, renumberOnly: true})
				cost += costMerge
			}
		case known && s.HasBase() && s.BaseDigest == store.DigestOf(v):
			p.digests = append(p.digests, digestNote{key: key, base: s.BaseDigest, raw: p.raws[i]})
			cost += costInsert
		case !known:
			p.changes = append(p.changes, change{key: key, num: i + 2, sheet: v, actual: v, raw: p.raws[i], isNew: true})
			cost += costInsert
		default:
			p.changes = append(p.changes, change{key: key, num: i + 2, sheet: v, actual: v, raw: p.raws[i]})
			cost += costMerge
		}
	}
	return e.repairOwnWrites(ctx, p)
}

// release drops the raw cells of row i once the pull is done with them, if
// the push will not need them (no local change waits for that row): a large
// pull then never holds a whole tab of cells to its end. A row the bot
// changes meanwhile is pushed by the next cycle.
func (p *tabPlan) release(i int, s store.Summary) {
	if !s.Pending && !s.Sent {
		p.rows[i] = nil
	}
}

func isEmptyRow(row []any) bool {
	for _, c := range row {
		if !blank(c) {
			return false
		}
	}
	return true
}

// rejectNote is a sheet row that cannot be read.
type rejectNote struct {
	r   *Reject
	raw store.Digest
}

// problem is the reject as recorded: its subject is the digest of its cells,
// so it is reported when it starts being rejected and again only when its
// cells change.
func (n rejectNote) problem() store.Problem {
	return store.Problem{Subject: strconv.FormatUint(uint64(n.raw), 16), Message: n.r.Error()}
}

// reject notes a sheet row that cannot be read.
func (p *tabPlan) reject(r *Reject, raw store.Digest) {
	if r.Key == "" {
		p.unkeyed = true
	}
	p.rejects = append(p.rejects, rejectNote{r: r, raw: raw})
}

// resolveDuplicates handles a key that several sheet rows carry. A copy
// whose values are exactly what this worker sent or last synced is an extra
// copy of its own row (an append Google applied late, after it was sent
// again): it is removed from the sheet. The row kept is the first copy the
// admin changed, else the first copy. Other copies are rejected, for the
// admin to sort out. It returns the positions with the one kept first.
func (e *Engine) resolveDuplicates(ctx context.Context, p *tabPlan, key string, at []int, s store.Summary) ([]int, error) {
	t := p.tab
	var ours string
	if s.HasBase() || s.Sent {
		r, ok, err := e.db.GetRow(ctx, t.Table, key)
		if err != nil {
			return nil, err
		}
		if ok && r.Sent != nil {
			ours = store.Encode(r.Sent)
		} else if ok && r.Base != nil {
			ours = store.Encode(r.Base)
		}
	}
	keep := -1
	var copies []int
	for _, i := range at {
		v, rej := t.Decode(p.header, p.cells(i), p.fmtRow(i), i+2)
		if ours != "" && rej == nil && store.Encode(v) == ours {
			copies = append(copies, i)
			continue
		}
		if keep < 0 {
			keep = i
		} else {
			p.reject(&Reject{Tab: t.Name, Row: i + 2, Key: key,
				Reason: fmt.Sprintf("duplicate key %s (first at row %d); row ignored", key, keep+2)}, p.raws[i])
		}
	}
	if keep < 0 {
		keep, copies = copies[0], copies[1:]
	}
	for _, i := range copies {
		p.removals = append(p.removals, sheetRowRef{key: key, num: i + 2, raw: p.raws[i]})
	}
	return []int{keep}, nil
}

// planWhole decides about DynamicRates: one table, replaced as a whole when
// its content differs; kept while any row is unreadable or the tab is empty.
func (e *Engine) planWhole(ctx context.Context, p *tabPlan) error {
	t := p.tab
	var rows []store.Values
	for i, raw := range p.rows {
		cells := cellsOf(raw)
		if !t.IsTableRow(p.header, cells) {
			continue
		}
		v, rej := t.Decode(p.header, cells, p.fmtRow(i), i+2)
		if rej != nil {
			p.reject(rej, digestOf(raw))
			e.log.Warn("Tab not applied until its rejected rows are fixed; local copy kept", "tab", t.Name)
			return nil
		}
		v[t.Table.Key[0]] = strconv.Itoa(len(rows) + 1)
		rows = append(rows, v)
	}
	sums, err := e.db.Summaries(ctx, t.Table)
	if err != nil {
		return err
	}
	if len(rows) == 0 && len(sums) > 0 {
		e.log.Warn(fmt.Sprintf("tab is empty but had %d rows: probable accident, local rows kept", len(sums)), "tab", t.Name)
		return nil
	}
	same := len(rows) == len(sums)
	for _, v := range rows {
		if same && sums[t.Table.KeyOf(v)].BaseDigest != store.DigestOf(v) {
			same = false
		}
	}
	p.whole, p.wholeSet = rows, !same
	return nil
}
