package syncmgr

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
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
	absent bool   // an optional tab the spreadsheet does not have: not a problem
	header Header
	rows   []sheets.Row // data rows as text: rows[i] is sheet row i+2
	fmtd   []sheets.Row // the same rows as displayed, for percent columns; nil if not read
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
		return cellsOf(p.fmtd[i])
	}
	return nil
}

// cells decodes data row i; nil once released.
func (p *tabPlan) cells(i int) []any { return cellsOf(p.rows[i]) }

// buildIndex finds each key's row in an unchanged tab (the pull skipped it,
// the push needs positions). A key on several rows maps to the first, as the
// pull decided when it last looked.
func (p *tabPlan) buildIndex() {
	if p.index != nil {
		return
	}
	p.index = make(map[string]int, len(p.rows))
	for i, raw := range p.rows {
		cells := p.tab.keyCells(p.header, raw)
		if key, ok := p.tab.KeyOf(p.header, cells); ok {
			if _, seen := p.index[key]; !seen {
				p.index[key] = i
			}
		}
	}
}

// tabDigest identifies a whole tab: its header and every row's cells.
func tabDigest(rows []sheets.Row) store.Digest {
	d := xxhash.New()
	var b [8]byte
	for _, r := range rows {
		binary.LittleEndian.PutUint64(b[:], r.Digest())
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
	e.progressed()
	if values == nil {
		// The same response as the last pull, with nothing local to push.
		st.Rejected, err = e.db.CountOpenProblems(ctx, store.ProblemReject)
		return nil, err
	}
	now := e.now()
	plans := make(map[string]*tabPlan, len(e.tabs))
	var needFormat []*tabPlan
	products := e.products(values[ProductsTab])
	for _, t := range e.tabs {
		if t.Table.Name == store.Shifts.Name {
			t = t.withProducts(products)
		}
		p := &tabPlan{tab: t}
		plans[t.Name] = p
		rows := values[t.Name]
		switch {
		case slices.Contains(missing, t.Name) && t.Optional:
			p.skip, p.absent = "tab missing from the spreadsheet", true
			continue
		case slices.Contains(missing, t.Name):
			p.skip = "tab missing from the spreadsheet; local data kept"
			continue
		case len(rows) == 0:
			p.skip = "tab has no header row; local data kept"
			continue
		}
		header := cellsOf(rows[0])
		if t.Table.Name == store.Shifts.Name {
			if header, err = e.addProductColumns(ctx, t, header); err != nil {
				return nil, fmt.Errorf("pull: %w", err)
			}
		}
		if p.tab, p.header, err = t.Resolve(header); err != nil {
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
	for _, name := range names {
		p := plans[name]
		t := p.tab
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

func (e *Engine) acceptRequested(ctx context.Context, tab string) (bool, error) {
	_, ok, err := e.db.State(ctx, acceptEmptyName(tab))
	return ok, err
}

func acceptEmptyName(tab string) string { return "accept_empty:" + tab }

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
