// Package syncmgr owns the merge rules between the spreadsheet and the local
// database: one cycle is a pull (all tabs in one request, applied in one
// transaction, three-way merged per cell) and then a push of pending rows
// (SPEC §3). It also owns the loop that runs cycles.
package syncmgr

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"shiftbot/internal/sheets"
	"shiftbot/internal/store"
)

// Spreadsheet is the remote side of a cycle; *sheets.Client implements it.
type Spreadsheet interface {
	BatchGet(ctx context.Context, tabs []string) (values map[string][][]any, missing []string, err error)
	BatchUpdate(ctx context.Context, data []sheets.ValueRange) error
	Append(ctx context.Context, tab string, rows [][]any) (string, error)
	Requests() int64
}

// Stats are the numbers of one cycle.
type Stats struct {
	Pulled     int // local rows inserted, changed or deleted by the pull
	Pushed     int // rows written to Sheets
	Rejected   int // sheet rows not taken
	Conflicts  int // cells changed on both sides
	Renumbered int
	Skipped    int // tabs skipped: missing, or missing a header
	Requests   int
}

func (s Stats) String() string {
	return fmt.Sprintf("pulled=%d pushed=%d rejected=%d conflicts=%d renumbered=%d skipped_tabs=%d requests=%d",
		s.Pulled, s.Pushed, s.Rejected, s.Conflicts, s.Renumbered, s.Skipped, s.Requests)
}

// Engine runs sync cycles between one spreadsheet and one database.
type Engine struct {
	db   *store.DB
	sh   Spreadsheet
	tabs []sheets.Tab
	log  *slog.Logger
	now  func() time.Time
}

// NewEngine builds an engine for the given tabs (sheets.Tabs).
func NewEngine(db *store.DB, sh Spreadsheet, tabs []sheets.Tab, log *slog.Logger) *Engine {
	if log == nil {
		log = slog.Default()
	}
	return &Engine{db: db, sh: sh, tabs: tabs, log: log, now: time.Now}
}

// sheetRow is what the push needs of one row of the snapshot: where it is,
// and (only for rows the push may write) its canonical values encoded.
type sheetRow struct {
	num int // 1-based sheet row
	enc string
}

// snapshot is what the pull saw of one tab; the push writes against it.
type snapshot struct {
	header sheets.Header
	rows   map[string]sheetRow
}

// SyncOnce runs one cycle: pull, then push.
func (e *Engine) SyncOnce(ctx context.Context) (Stats, error) {
	start := e.sh.Requests()
	ctx = sheets.WithBudget(ctx, sheets.NewBudget())
	var st Stats
	snaps, err := e.pull(ctx, &st)
	if err == nil {
		err = e.push(ctx, snaps, &st)
	}
	st.Requests = int(e.sh.Requests() - start)
	return st, err
}

func (e *Engine) pull(ctx context.Context, st *Stats) (map[string]*snapshot, error) {
	names := make([]string, len(e.tabs))
	for i, t := range e.tabs {
		names[i] = t.Name
	}
	values, missing, err := e.sh.BatchGet(ctx, names)
	if err != nil {
		return nil, fmt.Errorf("pull: %w", err)
	}
	isMissing := make(map[string]bool, len(missing))
	for _, m := range missing {
		isMissing[m] = true
	}
	snaps := make(map[string]*snapshot, len(e.tabs))
	now := e.now()
	err = e.db.Update(ctx, func(tx *store.Tx) error {
		for _, t := range e.tabs {
			p := pullTab{tx: tx, tab: t, log: e.log, now: now, st: st}
			rows := values[t.Name]
			var h sheets.Header
			var skip string
			switch {
			case isMissing[t.Name]:
				skip = "tab missing from the spreadsheet; local data kept"
			case len(rows) == 0:
				skip = "tab has no header row; local data kept"
			default:
				if h, err = t.MapHeader(rows[0]); err != nil {
					skip = err.Error() + "; local data kept"
				}
			}
			var problems []store.Problem
			if skip != "" {
				problems = []store.Problem{{Message: skip}}
			}
			if _, _, err := tx.SetProblems(ctx, store.ProblemSkippedTab, t.Name, problems, now); err != nil {
				return err
			}
			if skip != "" {
				st.Skipped++
				p.logEntry(ctx, slog.LevelError, "pull", "", "skipped", skip)
				continue
			}
			snap := &snapshot{header: h}
			if t.Keyed {
				snap.rows, err = p.applyKeyed(ctx, h, rows[1:])
			} else {
				err = p.applyWhole(ctx, h, rows[1:])
			}
			if err != nil {
				return fmt.Errorf("pull tab %s: %w", t.Name, err)
			}
			snaps[t.Name] = snap
		}
		return tx.SetState(ctx, store.StateLastPull, now.UTC().Format(time.RFC3339))
	})
	if err != nil {
		return nil, fmt.Errorf("pull: %w", err)
	}
	return snaps, nil
}

// pullTab applies one tab of the snapshot inside the pull's transaction.
type pullTab struct {
	tx  *store.Tx
	tab sheets.Tab
	log *slog.Logger
	now time.Time
	st  *Stats
}

func (p *pullTab) logEntry(ctx context.Context, level slog.Level, op, key, status, msg string) {
	p.log.Log(ctx, level, msg, "tab", p.tab.Name, "op", op, "key", key)
	// The sync log is advisory: a failure to write it must not fail the pull.
	if err := p.tx.Log(ctx, store.LogEntry{At: p.now, Tab: p.tab.Name, Op: op, Key: key, Status: status, Message: msg}); err != nil {
		p.log.Error("write sync log", "err", err)
	}
}

func (p *pullTab) reject(ctx context.Context, r *sheets.Reject) {
	p.st.Rejected++
	p.log.Warn("Rejected sheet row; keeping the local copy", "tab", r.Tab, "row", r.Row, "column", r.Column, "value", r.Value, "reason", r.Reason)
	if err := p.tx.Log(ctx, store.LogEntry{At: p.now, Tab: r.Tab, Op: "reject", Key: r.Key, Status: "rejected", Message: r.Error()}); err != nil {
		p.log.Error("write sync log", "err", err)
	}
}

// emptyRow reports whether a sheet row is blank in every column the tab
// reads. A row holding only an admin's note in a column of their own (or
// cells of spaces) is not a row of the table: it is skipped, not rejected.
func emptyRow(t sheets.Tab, h sheets.Header, row []any) bool {
	for _, c := range t.Columns {
		i, ok := h.Pos(c.Field)
		if !ok || i >= len(row) || row[i] == nil {
			continue
		}
		if s, isText := row[i].(string); isText && strings.TrimSpace(s) == "" {
			continue
		}
		return false
	}
	return true
}

// applyKeyed merges a keyed tab into its table (SPEC §3 "Pull"). Rows are
// decoded and applied one at a time, and each raw row is released once read,
// so a large tab never exists twice in memory.
func (p *pullTab) applyKeyed(ctx context.Context, h sheets.Header, data [][]any) (map[string]sheetRow, error) {
	t := p.tab
	sums, err := p.tx.Summaries(ctx, t.Table)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]sheetRow, len(data))
	protected := map[string]bool{}
	unkeyedRejects := false
	var collisions []string // rows needing a free id, applied once all ids are known
	for i, raw := range data {
		data[i] = nil
		num := i + 2
		if emptyRow(t, h, raw) {
			continue
		}
		v, rej := t.Decode(h, raw, num)
		if rej != nil {
			p.reject(ctx, rej)
			if rej.Key != "" {
				protected[rej.Key] = true
			} else {
				unkeyedRejects = true
			}
			continue
		}
		key := t.Table.KeyOf(v)
		if first, dup := seen[key]; dup {
			p.reject(ctx, &sheets.Reject{Tab: t.Name, Row: num, Key: key,
				Reason: fmt.Sprintf("duplicate key %s (first at row %d); row ignored", key, first.num)})
			continue
		}
		enc := store.Encode(v)
		sum, known := sums[key]
		if known && sum.HasBase && sum.Base == store.DigestOf(enc) {
			// Sheets unchanged since base: local stays as it is.
			seen[key] = sheetRow{num: num}
			if sum.Pending {
				seen[key] = sheetRow{num: num, enc: enc}
			}
			continue
		}
		seen[key] = sheetRow{num: num, enc: enc}
		if known && !sum.HasBase && t.Renumber {
			collisions = append(collisions, key)
			continue
		}
		if err := p.apply(ctx, key, num, v, enc, known, 0); err != nil {
			return nil, err
		}
	}

	if len(collisions) > 0 {
		nextID := int64(0)
		for k := range seen {
			nextID = max(nextID, atoi(k))
		}
		for k := range sums {
			nextID = max(nextID, atoi(k))
		}
		for _, key := range collisions {
			v, err := store.Decode(seen[key].enc)
			if err != nil {
				return nil, err
			}
			nextID++
			if err := p.apply(ctx, key, seen[key].num, v, seen[key].enc, true, nextID); err != nil {
				return nil, err
			}
		}
	}
	return seen, p.deleteGone(ctx, sums, seen, protected, unkeyedRejects)
}

// apply takes one sheet row whose content differs from the local base.
// freeID is where a colliding local row moves (renumbering tabs only; every
// such row comes with one).
func (p *pullTab) apply(ctx context.Context, key string, num int, v store.Values, enc string, known bool, freeID int64) error {
	t := p.tab
	p.st.Pulled++
	if !known {
		return p.tx.PutRow(ctx, t.Table, store.Row{Values: v, Base: v})
	}
	r, _, err := p.tx.GetRow(ctx, t.Table, key)
	if err != nil {
		return err
	}
	if r.Base == nil {
		// Sheets has the key of a row that never reached it.
		switch {
		case r.Sent != nil && sameIdentity(t, r.Sent, v):
			// Our append landed but its response was lost.
			r.Base, r.Sent = r.Sent, nil
		case t.Renumber:
			if err := p.renumber(ctx, key, r, freeID); err != nil {
				return err
			}
			return p.tx.PutRow(ctx, t.Table, store.Row{Values: v, Base: v})
		default:
			r.Base = store.Values{} // nothing in common: Sheets wins each differing cell
		}
	}
	merged := v
	if r.Pending {
		var conflicts []conflict
		merged, conflicts = merge3(r.Base, r.Values, v)
		for _, c := range conflicts {
			p.st.Conflicts++
			p.logEntry(ctx, slog.LevelWarn, "conflict", key, "sheets_won",
				fmt.Sprintf("row %d column %s changed on both sides: kept Sheets %q, local was %q", num, c.field, c.sheet, c.local))
		}
	}
	return p.tx.PutRow(ctx, t.Table, store.Row{Values: merged, Base: v, Sent: r.Sent, Pending: store.Encode(merged) != enc})
}

// deleteGone deletes local rows the admin deleted in Sheets, unless the tab
// looks emptied by accident or rows could not be identified.
func (p *pullTab) deleteGone(ctx context.Context, sums map[string]store.Summary, seen map[string]sheetRow, protected map[string]bool, unkeyedRejects bool) error {
	t := p.tab
	if len(seen) == 0 && !unkeyedRejects && len(protected) == 0 {
		synced := 0
		for _, s := range sums {
			if s.HasBase {
				synced++
			}
		}
		if synced > 0 {
			p.logEntry(ctx, slog.LevelWarn, "pull", "", "kept",
				fmt.Sprintf("tab is empty but %d rows were synced before: probable accident, local rows kept", synced))
			return nil
		}
	}
	if unkeyedRejects {
		p.log.Warn("Rows without a readable key: deletions in this tab wait until they are fixed", "tab", t.Name)
		return nil
	}
	for _, key := range slices.Sorted(maps.Keys(sums)) {
		s := sums[key]
		if _, ok := seen[key]; ok || protected[key] || !s.HasBase {
			continue
		}
		msg := "deleted in Sheets: deleted locally"
		if s.Pending {
			r, _, err := p.tx.GetRow(ctx, t.Table, key)
			if err != nil {
				return err
			}
			msg = fmt.Sprintf("deleted in Sheets while changed locally: deleted locally; local values were %s", store.Encode(r.Values))
		}
		p.st.Pulled++
		p.logEntry(ctx, slog.LevelInfo, "delete", key, "deleted", msg)
		if err := p.tx.DeleteRow(ctx, t.Table, key); err != nil {
			return err
		}
	}
	return nil
}

// renumber moves a local row that never reached Sheets to a free id because
// someone typed its id into Sheets for another row (SPEC §3).
func (p *pullTab) renumber(ctx context.Context, oldKey string, r store.Row, id int64) error {
	newKey := strconv.FormatInt(id, 10)
	r.Values[p.tab.Table.Key[0]] = newKey
	r.Sent = nil
	r.Pending = true
	if err := p.tx.DeleteRow(ctx, p.tab.Table, oldKey); err != nil {
		return err
	}
	if err := p.tx.PutRow(ctx, p.tab.Table, r); err != nil {
		return err
	}
	if p.tab.Table.Name == store.Shifts.Name {
		if err := p.tx.RenumberShiftRefs(ctx, oldKey, newKey); err != nil {
			return err
		}
	}
	p.st.Renumbered++
	p.logEntry(ctx, slog.LevelWarn, "renumber", oldKey, "renumbered",
		fmt.Sprintf("id %s is taken in Sheets by another row: local row renumbered to %s", oldKey, newKey))
	return nil
}

// applyWhole replaces a key-less tab (DynamicRates) when its content differs.
func (p *pullTab) applyWhole(ctx context.Context, h sheets.Header, data [][]any) error {
	t := p.tab
	var rows []store.Values
	for i, raw := range data {
		if emptyRow(t, h, raw) {
			continue
		}
		v, rej := t.Decode(h, raw, i+2)
		if rej != nil {
			p.reject(ctx, rej)
			p.log.Warn("Tab not applied until its rejected rows are fixed; local copy kept", "tab", t.Name)
			return nil
		}
		v[t.Table.Key[0]] = strconv.Itoa(len(rows) + 1)
		rows = append(rows, v)
	}
	sums, err := p.tx.Summaries(ctx, t.Table)
	if err != nil {
		return err
	}
	if len(rows) == 0 && len(sums) > 0 {
		p.logEntry(ctx, slog.LevelWarn, "pull", "", "kept", fmt.Sprintf("tab is empty but had %d rows: probable accident, local rows kept", len(sums)))
		return nil
	}
	same := len(rows) == len(sums)
	for _, v := range rows {
		if same && sums[t.Table.KeyOf(v)].Base != store.DigestOf(store.Encode(v)) {
			same = false
		}
	}
	if same {
		return nil
	}
	for key := range sums {
		if err := p.tx.DeleteRow(ctx, t.Table, key); err != nil {
			return err
		}
	}
	for _, v := range rows {
		if err := p.tx.PutRow(ctx, t.Table, store.Row{Values: v, Base: v}); err != nil {
			return err
		}
	}
	p.st.Pulled += len(rows)
	return nil
}

type conflict struct{ field, local, sheet string }

// merge3 merges per cell: a cell changed on one side takes that side; a cell
// changed on both to different values takes Sheets and is reported.
func merge3(base, local, sheet store.Values) (store.Values, []conflict) {
	out := make(store.Values, len(sheet))
	var cs []conflict
	fields := make(map[string]bool, len(sheet))
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
			cs = append(cs, conflict{field: f, local: l, sheet: s})
		}
		if v != "" {
			out[f] = v
		}
	}
	return out, cs
}

func sameIdentity(t sheets.Tab, sent, sheet store.Values) bool {
	fields := t.Identity
	if len(fields) == 0 {
		return store.Encode(sent) == store.Encode(sheet)
	}
	for _, f := range fields {
		if sent[f] != sheet[f] {
			return false
		}
	}
	return true
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// push writes pending rows: edits of rows Sheets has in one batchUpdate, new
// rows with one append per tab (SPEC §3 "Push").
func (e *Engine) push(ctx context.Context, snaps map[string]*snapshot, st *Stats) error {
	type update struct {
		tab  sheets.Tab
		key  string
		vals store.Values
	}
	var (
		data    []sheets.ValueRange
		updated []update
		appends = map[string][]store.Row{}
	)
	for _, t := range e.tabs {
		if !t.Keyed {
			continue
		}
		pending, err := e.db.PendingRows(ctx, t.Table)
		if err != nil {
			return fmt.Errorf("push: %w", err)
		}
		snap := snaps[t.Name]
		if snap == nil {
			if len(pending) > 0 {
				e.log.Error("Pending rows wait until the tab can be read", "tab", t.Name, "rows", len(pending))
			}
			continue
		}
		for _, r := range pending {
			key := t.Table.KeyOf(r.Values)
			sr, inSheet := snap.rows[key]
			if r.Base == nil {
				// A new row whose id appeared in Sheets after the pull is
				// renumbered by the next pull, not appended as a duplicate.
				if !inSheet {
					appends[t.Name] = append(appends[t.Name], r)
				}
				continue
			}
			if !inSheet {
				continue // deleted in Sheets; the pull removed it locally
			}
			have, err := store.Decode(sr.enc)
			if err != nil {
				// A row edited after the pull has no values kept: the next
				// cycle pushes it.
				continue
			}
			for _, c := range t.Columns {
				if want := r.Values[c.Field]; want != have[c.Field] {
					col, _ := snap.header.Pos(c.Field)
					data = append(data, sheets.ValueRange{Range: sheets.A1(t.Name, sr.num, col),
						Values: [][]any{{sheets.Encode(c.Kind, want)}}})
				}
			}
			updated = append(updated, update{tab: t, key: key, vals: r.Values})
		}
	}

	if len(data) > 0 {
		if err := e.sh.BatchUpdate(ctx, data); err != nil {
			return fmt.Errorf("push updates: %w", err)
		}
	}
	if len(updated) > 0 {
		err := e.db.Update(ctx, func(tx *store.Tx) error {
			for _, u := range updated {
				if err := markSynced(ctx, tx, u.tab.Table, u.key, u.vals); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("push: mark updated rows synced: %w", err)
		}
		st.Pushed += len(updated)
	}

	for _, t := range e.tabs {
		rows := appends[t.Name]
		for len(rows) > 0 {
			n := min(len(rows), MaxAppendRows)
			if err := e.appendRows(ctx, t, snaps[t.Name].header, rows[:n]); err != nil {
				return err
			}
			st.Pushed += n
			rows = rows[n:]
		}
	}
	return nil
}

// MaxAppendRows bounds one append request, so a backlog (a worker that was
// down for days) goes out in requests that finish well inside their timeout.
const MaxAppendRows = 500

// appendRows records what it sends, appends, and marks the rows synced once
// Sheets confirmed. If the response is lost the record lets the next pull
// recognise the rows as ours.
func (e *Engine) appendRows(ctx context.Context, t sheets.Tab, h sheets.Header, rows []store.Row) error {
	err := e.db.Update(ctx, func(tx *store.Tx) error {
		for _, r := range rows {
			cur, ok, err := tx.GetRow(ctx, t.Table, t.Table.KeyOf(r.Values))
			if err != nil || !ok {
				return err
			}
			cur.Sent = r.Values
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
	if _, err := e.sh.Append(ctx, t.Name, out); err != nil {
		return fmt.Errorf("push %s: append %d rows (outcome settled by the next pull): %w", t.Name, len(rows), err)
	}
	err = e.db.Update(ctx, func(tx *store.Tx) error {
		for _, r := range rows {
			if err := markSynced(ctx, tx, t.Table, t.Table.KeyOf(r.Values), r.Values); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("push %s: mark appended rows synced: %w", t.Name, err)
	}
	return nil
}

// markSynced records that Sheets now holds vals for the row. An edit the bot
// made meanwhile keeps the row pending.
func markSynced(ctx context.Context, tx *store.Tx, t store.Table, key string, vals store.Values) error {
	cur, ok, err := tx.GetRow(ctx, t, key)
	if err != nil || !ok {
		return err
	}
	cur.Base, cur.Sent = vals, nil
	cur.Pending = store.Encode(cur.Values) != store.Encode(vals)
	return tx.PutRow(ctx, t, cur)
}
