// Package syncmgr owns the merge rules between the spreadsheet and the local
// database and the codecs that turn human-typed cells into canonical values
// and back. One cycle is a pull (all tabs in one request, decided outside any
// write transaction, applied in short ones, three-way merged per cell) and
// then a push of pending rows that follows rows by key, not row number
// (SPEC §3). It also owns the loop that runs cycles and the health the
// operator reads.
package syncmgr

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"shiftbot/internal/sheets"
	"shiftbot/internal/store"
)

// Spreadsheet is the remote side of a cycle; *sheets.Client implements it.
type Spreadsheet interface {
	BatchGet(ctx context.Context, tabs []string, unless uint64) (values map[string][]sheets.Row, missing []string, digest uint64, err error)
	GetRanges(ctx context.Context, ranges []string, formatted bool) ([][]sheets.Row, error)
	BatchUpdate(ctx context.Context, prepare func(context.Context) ([]sheets.ValueRange, error)) error
	Append(ctx context.Context, tab string, rows [][]any) (string, error)
	DeleteRows(ctx context.Context, tab string, rows []int) error
	Requests() int64
}

// Stats are the numbers of one cycle.
type Stats struct {
	Pulled     int // local rows inserted, changed or deleted by the pull
	Pushed     int // rows written to Sheets
	Rejected   int // sheet rows not taken (currently rejected)
	Conflicts  int // cells changed on both sides
	Renumbered int
	Repaired   int // rows whose cells a write of ours changed by mistake
	Removed    int // duplicate copies of our own rows removed from the sheet
	Skipped    int // tabs skipped: missing, or missing a header
	Requests   int
}

func (s Stats) String() string {
	// New figures go at the end: scripts match the line's start.
	return fmt.Sprintf("pulled=%d pushed=%d rejected=%d conflicts=%d renumbered=%d skipped_tabs=%d requests=%d repaired=%d removed=%d",
		s.Pulled, s.Pushed, s.Rejected, s.Conflicts, s.Renumbered, s.Skipped, s.Requests, s.Repaired, s.Removed)
}

func (s *Stats) add(o Stats) {
	s.Pulled += o.Pulled
	s.Pushed += o.Pushed
	s.Rejected = o.Rejected // a state, not a count of events
	s.Conflicts += o.Conflicts
	s.Renumbered += o.Renumbered
	s.Repaired += o.Repaired
	s.Removed += o.Removed
	s.Requests += o.Requests
}

// Defaults for Engine.
const (
	// DefaultHold is how long a write whose outcome is unknown may still be
	// applied by Google, which processes a request for up to 180 s after the
	// client gave up on it: an unconfirmed append is not sent again for this
	// long, and writes are remembered this long to recognise late ones.
	DefaultHold = 4 * time.Minute
	// DefaultChunk bounds the work of one pull transaction (costInsert per
	// new row, costMerge per merged one: 200 new rows or 25 merges), so the
	// bot never waits long for the write lock even on a throttled Pi core: a
	// transaction holds it for the CPU time of its rows, stretched about
	// thirty-fold by the unit's CPUQuota (docs/BENCHMARKS.md).
	DefaultChunk = 200
)

// Engine runs sync cycles between one spreadsheet and one database.
type Engine struct {
	db   *store.DB
	sh   Spreadsheet
	tabs []Tab
	// fallback are the configured products (PRODUCTS): the Shifts columns
	// while the Products tab is missing, and never dropped (engine.products).
	fallback []string
	log      *slog.Logger
	now      func() time.Time
	hold     time.Duration
	chunk    int
	// progress is called after each committed transaction and answered
	// request of a cycle (the Runner feeds the watchdog with it).
	progress func()
}

// NewEngine builds an engine for the given tabs (Tabs).
func NewEngine(db *store.DB, sh Spreadsheet, tabs []Tab, log *slog.Logger) *Engine {
	if log == nil {
		log = slog.Default()
	}
	e := &Engine{db: db, sh: sh, tabs: tabs, log: log, now: time.Now, hold: DefaultHold, chunk: DefaultChunk}
	for _, t := range tabs {
		if t.Table.Name == store.Shifts.Name {
			e.fallback = t.products()
		}
	}
	return e
}

// SetProgress sets what is called when a cycle makes progress.
func (e *Engine) SetProgress(f func()) { e.progress = f }

func (e *Engine) progressed() {
	if e.progress != nil {
		e.progress()
	}
}

// SetClock replaces the clock the engine judges write ages by (tests).
func (e *Engine) SetClock(now func() time.Time) { e.now = now }

// SyncOnce runs one cycle: pull, then push.
func (e *Engine) SyncOnce(ctx context.Context) (Stats, error) {
	start := e.sh.Requests()
	ctx = sheets.WithBudget(ctx, sheets.NewBudget())
	var st Stats
	plans, err := e.pull(ctx, &st)
	if err == nil {
		err = e.push(ctx, plans, &st)
	}
	st.Requests = int(e.sh.Requests() - start)
	return st, err
}
