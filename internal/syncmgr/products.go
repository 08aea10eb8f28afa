package syncmgr

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"shiftbot/internal/sheets"
	"shiftbot/internal/store"
)

// products are the Shifts tab's product columns this cycle: every product
// of the Products tab, active or not (an inactive one keeps its column),
// then those configured (PRODUCTS) that it lacks, so a product never loses
// its column because the tab is missing or a row was removed.
func (e *Engine) products(rows []sheets.Row) []string {
	out := slices.Clone(e.fallback)
	if len(rows) == 0 {
		return out
	}
	var cat Tab
	for _, t := range e.tabs {
		if t.Name == ProductsTab {
			cat = t
		}
	}
	cat, h, err := cat.Resolve(cellsOf(rows[0]))
	if err != nil {
		return out
	}
	var listed []string
	for i, raw := range rows[1:] {
		if v, rej := cat.Decode(h, cellsOf(raw), nil, i+2); rej == nil && !slices.Contains(listed, v[store.ProductName]) {
			listed = append(listed, v[store.ProductName])
		}
	}
	for _, p := range out {
		if !slices.Contains(listed, p) {
			listed = append(listed, p)
		}
	}
	return listed
}

// addProductColumns writes, at the end of the Shifts header, a column for
// each product the header lacks (a product the admin just added), and
// returns the header as it is now. It checks first that the header is still
// the one the pull read, so it never writes over a column the admin added
// meanwhile.
func (e *Engine) addProductColumns(ctx context.Context, t Tab, header []any) ([]any, error) {
	present := map[string]bool{}
	for _, c := range header {
		present[strings.ToLower(strings.TrimSpace(text(c)))] = true
	}
	var add []any
	for _, p := range t.products() {
		if !present[strings.ToLower(p)] {
			add = append(add, p)
		}
	}
	if len(add) == 0 {
		return header, nil
	}
	width := len(header)
	err := e.sh.BatchUpdate(ctx, func(ctx context.Context) ([]sheets.ValueRange, error) {
		got, err := e.sh.GetRanges(ctx, []string{sheets.Span(t.Name, 1, 0, 1, max(width, 1)-1)}, false)
		if err != nil {
			return nil, err
		}
		if len(got[0]) == 0 || fmt.Sprint(cellsOf(got[0][0])) != fmt.Sprint(header) {
			return nil, fmt.Errorf("the %s header changed while it was read; adding product columns next cycle", t.Name)
		}
		return []sheets.ValueRange{{Range: sheets.Span(t.Name, 1, width, 1, width+len(add)-1), Values: [][]any{add}}}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("add product columns to %s: %w", t.Name, err)
	}
	e.log.Info("Added a column for each new product at the end of the header", "tab", t.Name, "products", add)
	return append(slices.Clone(header), add...), nil
}
