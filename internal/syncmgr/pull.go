package syncmgr

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"

	"shiftbot/internal/sheets"
	"shiftbot/internal/store"
)

// tabPlan is what the pull saw of one tab and decided to do about it. It is
// built outside any write transaction; apply carries it out in short ones,
// and the push writes against it.
type tabPlan struct {
	tab    Tab
	skip   string // why the tab is not synced this cycle; "" if it is
	header Header
	rows   [][]any // raw data rows: rows[i] is sheet row i+2
	fmtd   [][]any // the same rows as displayed, for percent columns; nil if not read
	digest store.Digest
	// unchanged: the tab is exactly as the last completed pull left it, so
	// the pull has nothing to do; index is then built only if the push needs it.
	unchanged bool

	index    map[string]int // key -> position in rows of the row taken for it
	keep     []int          // those positions, in sheet order
	keys     []string       // key of each row ("" if none)
	raws     []store.Digest // digest of each row's cells
	cursor   int            // how far planChanges has gone through keep
	sums     map[string]store.Summary
	writes   []store.Write   // recent writes to the tab, for repair.go
	missed   map[int64]bool  // of those, writes found on another row
	rejected map[string]bool // keys whose sheet row cannot be read: their local copy stays
	unkeyed  bool            // a row whose key cannot be read: deletions wait
	maxID    int64           // largest id in the tab (allocated tables)
	changes  []change        // rows to merge (the window being applied)
	digests  []digestNote    // rows equal to their base in a new raw form (likewise)
	deletes  []string        // keys deleted in Sheets
	rejects  []rejectNote    // the tab's rejected rows
	held     bool            // the tab looks emptied by accident: appends wait
	accept   bool            // the operator accepted that the tab was emptied
	removals []sheetRowRef   // duplicate copies of our own rows, to delete from the sheet
	clears   []sheetRowRef   // debris of a write that landed on an inserted blank row
	whole    []store.Values
	wholeSet bool // DynamicRates: replace the table with whole
}

// change is one sheet row whose content differs from its local base.
type change struct {
	key    string
	num    int          // 1-based sheet row
	sheet  store.Values // the sheet's values, with cells a misdirected write of ours changed put back
	actual store.Values // the sheet's values as they are
	raw    store.Digest
	// renumber: the row is an admin's that cannot be read, while a local row
	// that never reached Sheets has its id; only the local row moves.
	renumberOnly bool
	repair       string // what was put back, for the log; "" if nothing
	isNew        bool   // no local row had its key when the pull looked
}

// digestNote records the raw form of a sheet row that matches its base.
type digestNote struct {
	key       string
	base, raw store.Digest
}

// sheetRowRef is a sheet row the push will change by position, verified
// first by the digest of its cells.
type sheetRowRef struct {
	key    string
	num    int
	raw    store.Digest
	fields []store.Field // the cells to clear (clears only)
}

func (p *tabPlan) fmtRow(i int) []any {
	if i < len(p.fmtd) {
		return p.fmtd[i]
	}
	return nil
}

// buildIndex finds each key's row in an unchanged tab (the pull skipped it,
// the push needs positions). A key on several rows maps to the first, as the
// pull decided when it last looked.
func (p *tabPlan) buildIndex() {
	if p.index != nil {
		return
	}
	p.index = make(map[string]int, len(p.rows))
	for i, raw := range p.rows {
		if !p.tab.IsTableRow(p.header, raw) {
			continue
		}
		if key, ok := p.tab.KeyOf(p.header, raw); ok {
			if _, seen := p.index[key]; !seen {
				p.index[key] = i
			}
		}
	}
}

// tabDigest identifies a whole tab: its header and every row's cells.
func tabDigest(rows [][]any) store.Digest {
	d := xxhash.New()
	var b [8]byte
	for _, r := range rows {
		binary.LittleEndian.PutUint64(b[:], uint64(RowDigest(r)))
		d.Write(b[:])
	}
	return store.Digest(d.Sum64())
}

func (e *Engine) pull(ctx context.Context, st *Stats) (map[string]*tabPlan, error) {
	names := make([]string, len(e.tabs))
	for i, t := range e.tabs {
		names[i] = t.Name
	}
	unless, err := e.unchangedDigest(ctx)
	if err != nil {
		return nil, fmt.Errorf("pull: %w", err)
	}
	values, missing, digest, err := e.sh.BatchGet(ctx, names, unless)
	if err != nil {
		return nil, fmt.Errorf("pull: %w", err)
	}
	if values == nil {
		// The same response as the last pull, with nothing local to push.
		st.Rejected, err = e.db.CountOpenProblems(ctx, store.ProblemReject)
		return nil, err
	}
	now := e.now()
	plans := make(map[string]*tabPlan, len(e.tabs))
	var needFormat []*tabPlan
	for _, t := range e.tabs {
		p := &tabPlan{tab: t}
		plans[t.Name] = p
		rows := values[t.Name]
		switch {
		case slices.Contains(missing, t.Name):
			p.skip = "tab missing from the spreadsheet; local data kept"
			continue
		case len(rows) == 0:
			p.skip = "tab has no header row; local data kept"
			continue
		}
		if p.header, err = t.MapHeader(rows[0]); err != nil {
			p.skip = err.Error() + "; local data kept"
			continue
		}
		p.rows, p.digest = rows[1:], tabDigest(rows)
		stored, err := e.db.TabDigest(ctx, t.Name)
		if err != nil {
			return nil, fmt.Errorf("pull: %w", err)
		}
		accept, err := e.acceptRequested(ctx, t.Name)
		if err != nil {
			return nil, fmt.Errorf("pull: %w", err)
		}
		p.accept = accept
		if stored == p.digest && !accept {
			p.unchanged = true
			continue
		}
		if p.ambiguousPercent() {
			needFormat = append(needFormat, p)
		}
	}
	if err := e.readFormatted(ctx, needFormat); err != nil {
		return nil, fmt.Errorf("pull: %w", err)
	}
	for _, t := range e.tabs {
		p := plans[t.Name]
		if p.skip != "" || p.unchanged {
			continue
		}
		switch {
		case !t.Keyed:
			err = e.planWhole(ctx, p)
		case isReference(t.Table):
			// Small: decided whole, applied in one transaction.
			if err = e.scanKeyed(ctx, p); err == nil {
				err = e.planChanges(ctx, p, math.MaxInt)
			}
		default:
			// Decided a window at a time, between the transactions that
			// apply them (apply.go): a first import of 50,000 rows never
			// holds them all decoded at once.
			err = e.scanKeyed(ctx, p)
		}
		if err != nil {
			return nil, fmt.Errorf("pull tab %s: %w", t.Name, err)
		}
	}
	if err := e.apply(ctx, plans, now, st, digest); err != nil {
		return nil, fmt.Errorf("pull: %w", err)
	}
	return plans, nil
}

// statePullDigest names the digest of the last pull's whole response, kept
// only while that pull was complete and nothing was written to the sheet
// since.
const statePullDigest = "pull_digest"

// unchangedDigest is the digest of a response the pull may skip, or 0:
// only when nothing waits to be pushed (the push works from the rows of
// the response), no write of ours may still land, and no tab is waiting for
// the operator's decision.
func (e *Engine) unchangedDigest(ctx context.Context) (uint64, error) {
	v, ok, err := e.db.State(ctx, statePullDigest)
	if err != nil || !ok {
		return 0, err
	}
	if n, _, err := e.db.PendingCount(ctx); err != nil || n > 0 {
		return 0, err
	}
	if busy, err := e.db.HasWrites(ctx); err != nil || busy {
		return 0, err
	}
	if asked, err := e.db.HasStatePrefix(ctx, acceptEmptyName("")); err != nil || asked {
		return 0, err
	}
	d, _ := strconv.ParseUint(v, 16, 64)
	return d, nil
}

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
		for _, raw := range p.rows {
			if n, ok := cellAt(raw, p.header.pos[c.Field]).(float64); ok && n != 0 && n > -1 && n < 1 {
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
	for i, raw := range p.rows {
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

func (e *Engine) acceptRequested(ctx context.Context, tab string) (bool, error) {
	_, ok, err := e.db.State(ctx, acceptEmptyName(tab))
	return ok, err
}

func acceptEmptyName(tab string) string { return "accept_empty:" + tab }

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
	byKey := make(map[string][]int, len(p.rows))
	var keyless []int
	for i, raw := range p.rows {
		if !t.IsTableRow(p.header, raw) {
			if len(p.writes) > 0 && !isEmptyRow(raw) {
				keyless = append(keyless, i)
			}
			continue
		}
		p.raws[i] = RowDigest(raw)
		key, ok := t.KeyOf(p.header, raw)
		if !ok {
			keyless = append(keyless, i)
			continue
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
		raw := p.rows[i]
		if w, fields, ok := debris(t, p.header, raw, p.writes); ok {
			p.clears = append(p.clears, sheetRowRef{key: w.Key, num: i + 2, raw: RowDigest(raw), fields: fields})
			e.log.Warn("A write for another row landed on a row the admin inserted; clearing it", "tab", t.Name,
				"row", i+2, "meant_for", w.Key)
			continue
		}
		if !t.IsTableRow(p.header, raw) {
			continue
		}
		_, rej := t.Decode(p.header, raw, p.fmtRow(i), i+2)
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
	if len(p.writes) > 0 {
		if err := e.findMissedWrites(ctx, p); err != nil {
			return err
		}
	}

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
	costMerge  = 4
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
			continue // the sheet row is as it was when base was taken from it
		}
		v, rej := t.Decode(p.header, p.rows[i], p.fmtRow(i), i+2)
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
		v, rej := t.Decode(p.header, p.rows[i], p.fmtRow(i), i+2)
		if ours != "" && rej == nil && store.Encode(v) == ours {
			copies = append(copies, i)
			continue
		}
		if keep < 0 {
			keep = i
		} else {
			p.reject(&Reject{Tab: t.Name, Row: i + 2, Key: key,
				Reason: fmt.Sprintf("duplicate key %s (first at row %d); row ignored", key, keep+2)}, RowDigest(p.rows[i]))
		}
	}
	if keep < 0 {
		keep, copies = copies[0], copies[1:]
	}
	for _, i := range copies {
		p.removals = append(p.removals, sheetRowRef{key: key, num: i + 2, raw: RowDigest(p.rows[i])})
	}
	return []int{keep}, nil
}

// planWhole decides about DynamicRates: one table, replaced as a whole when
// its content differs; kept while any row is unreadable or the tab is empty.
func (e *Engine) planWhole(ctx context.Context, p *tabPlan) error {
	t := p.tab
	var rows []store.Values
	for i, raw := range p.rows {
		if !t.IsTableRow(p.header, raw) {
			continue
		}
		v, rej := t.Decode(p.header, raw, p.fmtRow(i), i+2)
		if rej != nil {
			p.reject(rej, RowDigest(raw))
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

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func (e *Engine) logEntry(ctx context.Context, tx *store.Tx, level slog.Level, tab, op, key, status, msg string, at time.Time) {
	e.log.Log(ctx, level, msg, "tab", tab, "op", op, "key", key)
	// The sync log is advisory: a failure to write it must not fail the pull.
	if err := tx.Log(ctx, store.LogEntry{At: at, Tab: tab, Op: op, Key: key, Status: status, Message: msg}); err != nil {
		e.log.Error("write sync log", "err", err)
	}
}
