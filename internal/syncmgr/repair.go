package syncmgr

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"shiftbot/internal/store"
)

// Sheets has no conditional write: a values.batchUpdate addresses cells by
// row number, and the admin may insert, delete or sort rows after the worker
// looked where a row is and before Google applies the write (Google may even
// apply it after the client gave up on it). The push records every write
// before sending it (sync_writes); the pulls that follow compare what they
// see with those records and undo what a write of ours did to the wrong row
// (SPEC §3 "Row identity"). Repairs work on the sheet's values as the merge
// sees them: a cell put back is one the admin did not change, so the merge
// keeps the local value and the push writes it to where the row is now.

// repairOwnWrites looks at the changed rows of a tab for the marks of the
// recorded writes:
//   - a row carrying another key whose cells hold exactly what a write for
//     key K wrote, where its base held something else: K's write landed on
//     it. Those cells are put back to the row's base.
//   - K's own row showing what the pull saw before K's confirmed write
//     (prior) instead of what it wrote: the write missed the row (it landed
//     on another, which may since have been changed or deleted), and it is
//     written again. An admin who put back exactly the old values within
//     the few minutes a write is remembered is overruled by this too; the
//     repair is logged, with both values.
//   - K's own row holding what a superseded write wrote: a request Google
//     applied late, over a newer one. The newer values are written again.
//
// A row's base is what this worker last knew of it: its base, or what its
// unconfirmed append carried.
func (e *Engine) repairOwnWrites(ctx context.Context, p *tabPlan) error {
	if len(p.writes) == 0 || len(p.changes) == 0 {
		return nil
	}
	for i := range p.changes {
		c := &p.changes[i]
		if c.renumberOnly {
			continue
		}
		base, err := e.baseOf(ctx, p, c.key)
		if err != nil {
			return err
		}
		if base == nil {
			continue // a row new to us: nothing of ours can be on it
		}
		for _, w := range p.writes {
			if w.Key != c.key {
				if holds(c.actual, w.Cells) {
					if fields := putBack(c, base, w.Cells); len(fields) > 0 {
						c.note(fmt.Sprintf("cells %s held what a write for row %s put there (rows moved under it): put back", fieldList(fields), w.Key))
					}
				}
				continue
			}
			switch {
			case w.State == store.WriteSuperseded && holds(c.actual, w.Cells):
				if fields := putBack(c, base, w.Cells); len(fields) > 0 {
					c.note(fmt.Sprintf("cells %s hold an older write of ours that Google applied late: writing the newest values again", fieldList(fields)))
				}
			case w.State == store.WriteOK && holds(c.actual, w.Prior):
				if fields := putBack(c, base, w.Cells); len(fields) > 0 {
					c.note(fmt.Sprintf("our write of cells %s landed elsewhere: writing it again", fieldList(fields)))
				}
			}
		}
	}
	return nil
}

func (e *Engine) baseOf(ctx context.Context, p *tabPlan, key string) (store.Values, error) {
	r, ok, err := e.db.GetRow(ctx, p.tab.Table, key)
	switch {
	case err != nil || !ok:
		return nil, err
	case r.Base != nil:
		return r.Base, nil
	}
	return r.Sent, nil
}

// holds reports whether row v has exactly the given cells.
func holds(v, cells store.Values) bool {
	if len(cells) == 0 {
		return false
	}
	for f, want := range cells {
		if v[f] != want {
			return false
		}
	}
	return true
}

// putBack restores, in the merge's view of the sheet, the cells written by
// a write of ours where they differ from base: the sheet shows them only
// because of that write. It returns the fields it restored.
func putBack(c *change, base, cells store.Values) []store.Field {
	var fields []store.Field
	for f := range cells {
		if c.actual[f] != base[f] && c.sheet[f] == c.actual[f] {
			fields = append(fields, f)
		}
	}
	if len(fields) == 0 {
		return nil
	}
	sheet := maps.Clone(c.sheet)
	for _, f := range fields {
		if base[f] == "" {
			delete(sheet, f)
		} else {
			sheet[f] = base[f]
		}
	}
	c.sheet = sheet
	slices.Sort(fields)
	return fields
}

func (c *change) note(msg string) {
	if c.repair != "" {
		c.repair += "; "
	}
	c.repair += msg
}

func fieldList(fs []store.Field) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// debris reports whether a row without a key holds nothing but cells a
// recorded write put there: the write addressed a row number where the
// admin had just inserted a blank row. Such a row is cleared.
func debris(t Tab, h Header, raw []any, writes []store.Write) (store.Write, []store.Field, bool) {
	owned := make(map[int]Column, len(t.Columns))
	for _, c := range t.Columns {
		owned[h.pos[c.Field]] = c
	}
	for _, w := range writes {
		var fields []store.Field
		ok := true
		for i, cell := range raw {
			if blank(cell) {
				continue
			}
			c, mine := owned[i]
			want, written := w.Cells[c.Field]
			got, err := Canonical(c.Kind, cell)
			if !mine || !written || err != nil || got != want {
				ok = false
				break
			}
			fields = append(fields, c.Field)
		}
		if ok && len(fields) > 0 {
			return w, fields, true
		}
	}
	return store.Write{}, nil, false
}
