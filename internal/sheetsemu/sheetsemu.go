// Package sheetsemu is an in-process emulator of the subset of the Google
// Sheets API v4 that the sync daemon uses. It owns the HTTP wire format (the
// real google.golang.org/api/sheets/v4 client talks to it over loopback), an
// in-memory model of spreadsheets, tabs and typed cells, test controls
// (fault injection, request counts, bearer-token checks, a fake OAuth2 token
// endpoint) and JSON-file persistence for cmd/sheetsemu.
//
// Supported: spreadsheets.get, spreadsheets.batchUpdate (addSheet, and
// deleteDimension and insertDimension of rows) and
// spreadsheets.values get, batchGet, update, batchUpdate, append, clear and
// batchClear.
//
// Simplifications versus the real API (tests must not depend on these
// behaving like Google):
//   - Cells hold only strings, numbers (float64), bools and numbers with a
//     percent or currency format: no formulas (a USER_ENTERED "=..." is
//     stored as text), no other number formats, no dates. Date-like strings
//     stay strings, so dateTimeRenderOption has no effect and FORMULA
//     renders like UNFORMATTED_VALUE. A format belongs to the value, not the
//     cell: writing over a cell replaces both.
//   - USER_ENTERED recognises plain numbers ("15", "-2.5", "1e3"), numbers
//     with thousands separators ("1,234.5"), percentages ("10%", "10 %":
//     0.1 shown as a percent), dollar amounts ("$1,234.50": 1234.5 shown as
//     currency), TRUE/FALSE (any case) and a leading apostrophe that forces
//     text; other text stays text.
//   - Test controls model the admin working in the sheet while a request is
//     in flight (Fault.Before, Type, InsertRows, DeleteRow, SortRows) and
//     Google applying a request after the client gave up (Fault.Hold).
//   - FORMATTED_VALUE approximates Sheets' General format: integers exactly,
//     other numbers with up to 10 significant digits.
//   - append's "table" is the rows from the first to the last one with data
//     in the range's columns, searched from the range's first row to the end
//     of the tab (gaps included); values go below it, from its first column.
//   - Writes grow the grid as needed; reads and clears of ranges outside the
//     grid fail with "exceeds grid limits" like the real API.
//   - majorDimension COLUMNS is rejected with 400. includeValuesInResponse,
//     fields (partial responses), R1C1 and named ranges are not supported;
//     unknown query parameters are ignored.
//   - Tab names in returned ranges are quoted unless they are plain ASCII
//     identifiers that cannot be read as a cell (Shifts, but 'My Tab',
//     'tab01', 'Смены'). Sheet ids count up from 0 in each spreadsheet.
package sheetsemu

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// The grid of a new tab, as in a new Google spreadsheet.
const defaultRows, defaultCols = 1000, 26

// Server is the emulator; it is an http.Handler and all methods are safe for
// concurrent use.
type Server struct {
	mu     sync.Mutex
	books  map[string]*book
	bearer string
	faults []Fault
	counts map[string]int
}

type book struct {
	title  string
	sheets []*sheet
	nextID int64
}

// sheet is one tab. rows only reaches as far as data has been written, while
// nRows x nCols is the grid size reported to clients.
type sheet struct {
	id           int64
	title        string
	rows         [][]any // cells: nil (empty), string, float64 or bool
	nRows, nCols int
}

// Fault makes the next Times requests whose operation matches Op misbehave.
// Ops: get, batchGet, update, batchUpdate, append, clear, batchClear,
// spreadsheets.get, spreadsheets.batchUpdate; "" matches any of these.
// "token" (the TokenHandler endpoint) is matched only by name.
type Fault struct {
	Op    string
	Times int // <= 0 counts as 1
	// Status answers with this HTTP status and a Google error envelope
	// without applying the request.
	Status int
	// Latency delays handling; the delay ends early if the client gives up.
	Latency time.Duration
	// DropResponse applies the request, then closes the connection without
	// answering, as when an append succeeded but its response was lost.
	// net/http silently retries a GET that fails this way on a reused
	// connection, so for reads use Times: 2 to make the client see an error.
	DropResponse bool
	// Before runs when the request has arrived, before it is applied: the
	// admin editing the sheet while the request is in flight. It may call
	// the Server's methods.
	Before func()
	// Hold keeps the request until the channel is closed, then applies it
	// whether or not the client is still waiting: Google processes a
	// request for up to 180 s and may apply it after the client gave up.
	Hold <-chan struct{}
}

// New returns an emulator without spreadsheets.
func New() *Server { return &Server{books: map[string]*book{}, counts: map[string]int{}} }

// AddSpreadsheet creates a spreadsheet without tabs, or retitles one.
func (s *Server) AddSpreadsheet(id, title string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.book(id).title = title
}

func (s *Server) book(id string) *book {
	if s.books[id] == nil {
		s.books[id] = &book{title: id}
	}
	return s.books[id]
}

// SetTab replaces a tab's contents, creating the tab (and the spreadsheet,
// titled id) if missing. Cells may be string, bool, nil, float64, int,
// int64 or float32; "" is an empty cell, as in the API.
func (s *Server) SetTab(id, tab string, rows [][]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.book(id)
	sh := b.sheet(tab)
	if sh == nil {
		sh = b.add(tab, defaultRows, defaultCols)
	}
	sh.rows = nil
	for r, row := range rows {
		for c, v := range row {
			sh.set(r, c, normalize(v))
		}
	}
}

// Tab copies a tab's typed values (empty cells are nil, formatted numbers
// plain numbers) without trailing empty cells and rows; nil if there is no
// such tab.
func (s *Server) Tab(id, tab string) [][]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.books[id]; b != nil && b.sheet(tab) != nil {
		rows := trim(b.sheet(tab).rows)
		for _, row := range rows {
			for i, v := range row {
				if f, ok := v.(Formatted); ok {
					row[i] = f.N
				}
			}
		}
		return rows
	}
	return nil
}

// TabStrings is Tab rendered as FORMATTED_VALUE, empty cells as "".
func (s *Server) TabStrings(id, tab string) [][]string {
	rows := s.Tab(id, tab)
	if rows == nil {
		return nil
	}
	out := make([][]string, len(rows))
	for r, row := range rows {
		out[r] = make([]string, len(row))
		for c, v := range row {
			out[r][c] = render(v, true).(string)
		}
	}
	return out
}

// DeleteTab removes a tab if present.
func (s *Server) DeleteTab(id, tab string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.books[id]; b != nil {
		b.sheets = slices.DeleteFunc(b.sheets, func(sh *sheet) bool { return strings.EqualFold(sh.title, tab) })
	}
}

// Tabs lists a spreadsheet's tab names in order.
func (s *Server) Tabs(id string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	if b := s.books[id]; b != nil {
		for _, sh := range b.sheets {
			names = append(names, sh.title)
		}
	}
	return names
}

// RequireBearer makes API requests without "Authorization: Bearer token"
// fail with 401 UNAUTHENTICATED; "" turns the check off.
func (s *Server) RequireBearer(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bearer = token
}

// InjectFault queues a fault; the first pending match applies.
func (s *Server) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f.Times = max(f.Times, 1)
	s.faults = append(s.faults, f)
}

// ClearFaults drops all pending faults.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Count reports requests received for op, faulted and rejected ones
// included. Count("") totals the API operations; token endpoint calls are
// only in Count("token").
func (s *Server) Count(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[op]
}

// ResetCounts zeroes all counters.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
}

// arrive counts a request for op and reports the bearer token required.
func (s *Server) arrive(op string) (bearer string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[op]++
	if op != "token" {
		s.counts[""]++
	}
	return s.bearer
}

// takeFault consumes one use of the first pending fault matching op.
func (s *Server) takeFault(op string) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Op == op || (f.Op == "" && op != "token") {
			if s.faults[i].Times--; s.faults[i].Times == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			return f
		}
	}
	return Fault{}
}

// sheet finds a tab; like Sheets, names are case-insensitive.
func (b *book) sheet(name string) *sheet {
	for _, sh := range b.sheets {
		if strings.EqualFold(sh.title, name) {
			return sh
		}
	}
	return nil
}

func (b *book) add(title string, rows, cols int) *sheet {
	sh := &sheet{id: b.nextID, title: title, nRows: rows, nCols: cols}
	b.nextID++
	b.sheets = append(b.sheets, sh)
	return sh
}

// set stores v and grows the grid to contain the cell.
func (sh *sheet) set(r, c int, v any) {
	sh.nRows, sh.nCols = max(sh.nRows, r+1), max(sh.nCols, c+1)
	for v != nil && len(sh.rows) <= r {
		sh.rows = append(sh.rows, nil)
	}
	for v != nil && len(sh.rows[r]) <= c {
		sh.rows[r] = append(sh.rows[r], nil)
	}
	if r < len(sh.rows) && c < len(sh.rows[r]) {
		sh.rows[r][c] = v
	}
}

// insertRows inserts n empty grid rows before row at.
func (sh *sheet) insertRows(at, n int) {
	sh.nRows += n
	if at < len(sh.rows) {
		sh.rows = append(sh.rows[:at], append(make([][]any, n), sh.rows[at:]...)...)
	}
}

// normalize converts a SetTab or Load value to a stored cell.
func normalize(v any) any {
	switch x := v.(type) {
	case nil, bool, float64:
		return x
	case string:
		if x == "" {
			return nil
		}
		return x
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case float32:
		return float64(x)
	case Formatted:
		return x
	case map[string]any: // a Formatted cell read back from a saved file
		if n, ok := x["n"].(float64); ok {
			if f, ok := x["format"].(string); ok {
				return Formatted{n, f}
			}
		}
	}
	return fmt.Sprint(v)
}

// trim copies rows without trailing empty cells and trailing empty rows.
func trim(rows [][]any) [][]any {
	out := [][]any{}
	for _, row := range rows {
		n := len(row)
		for n > 0 && row[n-1] == nil {
			n--
		}
		out = append(out, append(make([]any, 0, n), row[:n]...))
	}
	for len(out) > 0 && len(out[len(out)-1]) == 0 {
		out = out[:len(out)-1]
	}
	return out
}

// fileData is the persistence format; tabs keep their order.
type fileData struct {
	Spreadsheets map[string]fileBook `json:"spreadsheets"`
}

type fileBook struct {
	Title string    `json:"title"`
	Tabs  []fileTab `json:"tabs"`
}

type fileTab struct {
	Name string  `json:"name"`
	Rows [][]any `json:"rows"`
}

// Load builds a Server from a file in Save's format.
func Load(path string) (*Server, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var fd fileData
	if err := json.Unmarshal(data, &fd); err != nil {
		return nil, fmt.Errorf("sheetsemu: %s: %w", path, err)
	}
	s := New()
	for id, fb := range fd.Spreadsheets {
		s.AddSpreadsheet(id, fb.Title)
		for _, t := range fb.Tabs {
			if t.Name == "" || s.Tab(id, t.Name) != nil {
				return nil, fmt.Errorf("sheetsemu: %s: spreadsheet %q: empty or duplicate tab name %q", path, id, t.Name)
			}
			s.SetTab(id, t.Name, t.Rows)
		}
	}
	return s, nil
}

// Save writes all spreadsheets to path via a temp file (os.CreateTemp makes
// it 0600) and a rename, so readers and crashes never see a partial file.
func (s *Server) Save(path string) error {
	fd := fileData{Spreadsheets: map[string]fileBook{}}
	s.mu.Lock()
	for id, b := range s.books {
		fb := fileBook{Title: b.title, Tabs: []fileTab{}}
		for _, sh := range b.sheets {
			fb.Tabs = append(fb.Tabs, fileTab{sh.title, trim(sh.rows)})
		}
		fd.Spreadsheets[id] = fb
	}
	s.mu.Unlock()
	data, err := json.MarshalIndent(fd, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	_, err = tmp.Write(append(data, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	return err
}

// What an admin does to a tab in the Sheets UI, for tests: each call is one
// edit applied at once, between or during API requests (see Fault.Before).

// Type enters input into one cell (row 1-based, col 0-based) as the admin
// types it: USER_ENTERED, so "10%" becomes 0.1 shown as a percent.
func (s *Server) Type(id, tab string, row, col int, input string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sh := s.book(id).sheet(tab); sh != nil {
		sh.set(row-1, col, parseUserEntered(input))
	}
}

// InsertRows inserts n empty rows before row (1-based), as "Insert row
// above" does.
func (s *Server) InsertRows(id, tab string, row, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sh := s.book(id).sheet(tab); sh != nil {
		sh.insertRows(row-1, n)
	}
}

// DeleteRow deletes one row (1-based); the rows below move up.
func (s *Server) DeleteRow(id, tab string, row int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sh := s.book(id).sheet(tab); sh != nil {
		sh.deleteRows(row-1, row)
	}
}

// SortRows sorts the rows from firstRow (1-based) to the last row with data
// by the displayed value of column col (0-based), as "Sort range" does.
// Numbers sort before text, and by value.
func (s *Server) SortRows(id, tab string, firstRow, col int, descending bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.book(id).sheet(tab)
	if sh == nil || firstRow-1 >= len(sh.rows) {
		return
	}
	part := sh.rows[firstRow-1:]
	key := func(r []any) any {
		if col < len(r) {
			return render(r[col], false)
		}
		return nil
	}
	slices.SortStableFunc(part, func(a, b []any) int {
		ka, kb := key(a), key(b)
		c := compareCells(ka, kb)
		if descending && ka != nil && kb != nil {
			c = -c
		}
		return c
	})
}

// compareCells orders cells as a sort in Sheets does: numbers, then text,
// then booleans, then empty cells (which stay last either way).
func compareCells(a, b any) int {
	rank := func(v any) int {
		switch v.(type) {
		case float64:
			return 0
		case string:
			return 1
		case bool:
			return 2
		}
		return 3
	}
	if ra, rb := rank(a), rank(b); ra != rb {
		return ra - rb
	}
	switch x := a.(type) {
	case float64:
		y := b.(float64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
	case string:
		return strings.Compare(strings.ToLower(x), strings.ToLower(b.(string)))
	}
	return 0
}

// deleteRows removes grid rows [from, to) (0-based).
func (sh *sheet) deleteRows(from, to int) {
	if from >= to {
		return
	}
	sh.nRows = max(sh.nRows-(to-from), 1)
	if from < len(sh.rows) {
		sh.rows = append(sh.rows[:from], sh.rows[min(to, len(sh.rows)):]...)
	}
}
