package syncmgr

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"shiftbot/internal/sheets"
	"shiftbot/internal/store"
)

// TabAdmin is what --init-sheets needs beyond a cycle's calls.
type TabAdmin interface {
	Spreadsheet
	TabNames(ctx context.Context) ([]string, error)
	AddTabs(ctx context.Context, names []string) error
}

// Default tables written by --init-sheets into empty tabs (SPEC §2).
var defaultRows = map[string][][]any{
	"DynamicRates": {
		{"0", "499.99", "0"}, {"500", "999.99", "2"}, {"1000", "1999.99", "4"}, {"2000", "999999", "6"},
	},
	"Ranks": {
		{"Rookie", "0", "1999.99", "🧑‍🚀", "none", "none", "none", "Keep pushing!"},
		{"Hustler", "2000", "3999.99", "💪", "flat_10", "percent_next_1", "percent_prev_1", killingIt},
		{"Closer", "4000", "6999.99", "💼", "flat_25", "percent_next_2", "flat_15", killingIt},
		{"Shark", "7000", "9999.99", "🦈", "flat_50", "paid_day_off", "percent_next_3", killingIt},
		{"King of Greed", "10000", "14999.99", "💀", "flat_100", "percent_all_2", "telegram_premium", killingIt},
		{"Chatting God", "15000", "999999", "🔥", "flat_200", "double_commission", "flat_125", killingIt},
	},
}

const killingIt = "You're really killing it!"

// InitSheets creates missing tabs, writes missing header cells after the
// existing ones, and fills DynamicRates and Ranks with the defaults when they
// have no data. It never changes a cell that holds something.
func InitSheets(ctx context.Context, sh TabAdmin, tabs []Tab, log *slog.Logger) error {
	ctx = sheets.WithBudget(ctx, sheets.NewBudget())
	existing, err := sh.TabNames(ctx)
	if err != nil {
		return fmt.Errorf("init sheets: %w", err)
	}
	have := map[string]bool{}
	for _, n := range existing {
		have[n] = true
	}
	var add, names []string
	for _, t := range tabs {
		names = append(names, t.Name)
		if !have[t.Name] {
			add = append(add, t.Name)
		}
	}
	if err := sh.AddTabs(ctx, add); err != nil {
		return fmt.Errorf("init sheets: add tabs %s: %w", strings.Join(add, ", "), err)
	}
	for _, n := range add {
		log.Info("Created tab", "tab", n)
	}
	values, _, _, err := sh.BatchGet(ctx, names, 0)
	if err != nil {
		return fmt.Errorf("init sheets: read tabs: %w", err)
	}
	var data []sheets.ValueRange
	for _, t := range tabs {
		rows := values[t.Name]
		var header []any
		if len(rows) > 0 {
			header = cellsOf(rows[0])
		}
		present := map[string]bool{}
		for _, c := range header {
			present[strings.ToLower(strings.TrimSpace(fmt.Sprint(c)))] = true
		}
		var extra []any
		for _, c := range t.Columns {
			if !present[strings.ToLower(c.Header)] {
				extra = append(extra, c.Header)
			}
		}
		if len(extra) > 0 {
			data = append(data, sheets.ValueRange{Range: sheets.A1(t.Name, 1, len(header)), Values: [][]any{extra}})
			log.Info("Writing missing headers", "tab", t.Name, "headers", extra)
		}
		def, ok := defaultRows[t.Name]
		if t.Name == ProductsTab {
			def, ok = nil, true
			for _, tb := range tabs {
				if tb.Table.Name == store.Shifts.Name {
					for _, p := range tb.products() {
						def = append(def, []any{p, "true"})
					}
				}
			}
		}
		if ok && len(rows) <= 1 && len(def) > 0 {
			h, err := t.MapHeader(append(append([]any{}, header...), extra...))
			if err != nil {
				return fmt.Errorf("init sheets: %w", err)
			}
			laid := make([][]any, len(def))
			for i, d := range def {
				v := store.Values{}
				for j, c := range t.Columns {
					v[c.Field] = fmt.Sprint(d[j])
				}
				laid[i] = t.EncodeRow(h, v)
			}
			data = append(data, sheets.ValueRange{Range: sheets.A1(t.Name, 2, 0), Values: laid})
			log.Info("Writing default rows", "tab", t.Name, "rows", len(def))
		}
	}
	if len(data) == 0 {
		return nil
	}
	err = sh.BatchUpdate(ctx, func(context.Context) ([]sheets.ValueRange, error) { return data, nil })
	if err != nil {
		return fmt.Errorf("init sheets: write headers and defaults: %w", err)
	}
	return nil
}

// AcceptEmpty records the operator's decision that the admin emptied tab on
// purpose (`syncworker --accept-empty TAB`). The worker's next pull that
// still finds the tab empty deletes the local copies of its rows (each
// recorded in sync_log) and lets pending rows be appended; a pull that finds
// the tab restored drops the request. A running worker takes it up at its
// next cycle, so the service need not stop.
func AcceptEmpty(ctx context.Context, db *store.DB, tabs []Tab, name string) error {
	for _, t := range tabs {
		if strings.EqualFold(t.Name, name) && t.Keyed {
			return db.Update(ctx, func(tx *store.Tx) error {
				return tx.SetState(ctx, acceptEmptyName(t.Name), time.Now().UTC().Format(time.RFC3339))
			})
		}
	}
	var names []string
	for _, t := range tabs {
		if t.Keyed {
			names = append(names, t.Name)
		}
	}
	return fmt.Errorf("--accept-empty %q: not a tab the worker appends to (one of %s)", name, strings.Join(names, ", "))
}
