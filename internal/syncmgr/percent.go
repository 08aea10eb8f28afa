package syncmgr

import (
	"context"
	"strings"

	"shiftbot/internal/sheets"
)

// ambiguousPercent reports whether a percent cell holds a number between 0
// and 1 (exclusive), whose meaning depends on its number format: 0.1 is 0.1
// points, or 10 % typed as "10%". A number of 1 or more is points whatever
// its format (no commission or rate is 100 % or more), and text is read as
// typed, so most changes of a percent tab need no second request.
func (p *tabPlan) ambiguousPercent() bool {
	for _, c := range p.tab.Columns {
		if c.Kind != Percent {
			continue
		}
		for i := range p.rows {
			if n, ok := cellAt(p.cells(i), p.header.pos[c.Field]).(float64); ok && n != 0 && n > -1 && n < 1 {
				return true
			}
		}
	}
	return false
}

// readFormatted reads the displayed values of tabs with percent columns,
// only when such a tab changed: the second request of a cycle is the
// exception, not the rule. The two reads are not atomic, so each percent
// cell is checked to show the number the first read returned; a tab changed
// in between is skipped this cycle.
func (e *Engine) readFormatted(ctx context.Context, ps []*tabPlan) error {
	if len(ps) == 0 {
		return nil
	}
	ranges := make([]string, len(ps))
	for i, p := range ps {
		ranges[i] = sheets.Whole(p.tab.Name)
	}
	got, err := e.sh.GetRanges(ctx, ranges, true)
	if err != nil {
		return err
	}
	for i, p := range ps {
		if len(got[i]) > 0 {
			p.fmtd = got[i][1:]
		}
		if row, ok := p.formatMismatch(); !ok {
			e.log.Warn("Tab changed while it was read; trying again next cycle", "tab", p.tab.Name, "row", row)
			p.skip = "tab changed while it was read"
		}
	}
	return nil
}

// formatMismatch checks that every percent cell's displayed form is the
// number read unformatted (as a fraction when it ends in "%").
func (p *tabPlan) formatMismatch() (row int, ok bool) {
	for i := range p.rows {
		raw := p.cells(i)
		for _, c := range p.tab.Columns {
			if c.Kind != Percent {
				continue
			}
			pos := p.header.pos[c.Field]
			n, isNum := cellAt(raw, pos).(float64)
			if !isNum {
				continue
			}
			shown, _ := cellAt(p.fmtRow(i), pos).(string)
			if !shows(shown, n) {
				return i + 2, false
			}
		}
	}
	return 0, true
}

// shows reports whether text displayed for number n could be n: rounded to
// the decimals shown, and scaled by 100 when it ends in "%".
func shows(text string, n float64) bool {
	s := strings.TrimSpace(text)
	if strings.HasSuffix(s, "%") {
		n *= 100
	}
	d, err := ParseDecimal(s)
	if err != nil {
		return false
	}
	decimals := 0
	if i := strings.LastIndexAny(strings.TrimSuffix(s, "%"), ".,"); i >= 0 {
		decimals = len(strings.TrimSpace(strings.TrimSuffix(s, "%"))) - i - 1
	}
	f, _ := d.Float64()
	tolerance := 0.5000001
	for range decimals {
		tolerance /= 10
	}
	return f-n <= tolerance && n-f <= tolerance
}
