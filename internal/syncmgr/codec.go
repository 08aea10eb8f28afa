package syncmgr

import (
	"fmt"
	"math"
	"strings"

	"github.com/cespare/xxhash/v2"

	"shiftbot/internal/store"
)

// Column maps one header of a tab to one field of its table.
type Column struct {
	Header   string
	Field    store.Field
	Kind     Kind
	Required bool // an empty cell rejects the row
}

// Tab is the codec of one spreadsheet tab (SPEC §2).
type Tab struct {
	Name    string
	Table   store.Table
	Columns []Column
	// Keyed is false for DynamicRates, which is one table replaced as a whole.
	Keyed bool
}

// Tabs returns the six tabs; the Shifts tab is named shiftsName and has one
// column per product, in the order given.
func Tabs(shiftsName string, products []string) []Tab {
	shiftCols := []Column{
		{"ID", store.ID, Int, true},
		{"Date", store.Date, DateTime, true},
		{"EmployeeId", store.EmployeeID, Int, true},
		{"EmployeeName", store.EmployeeName, Text, false},
		{"Clock in", store.ClockIn, DateTime, true},
		{"Clock out", store.ClockOut, DateTime, true},
		{"Worked hours/shift", store.WorkedHours, Decimal, false},
	}
	for _, p := range products {
		shiftCols = append(shiftCols, Column{p, store.ProductField(p), Decimal, false})
	}
	shiftCols = append(shiftCols,
		Column{"Total sales", store.TotalSales, Decimal, false},
		Column{"Net sales", store.NetSales, Decimal, false},
		Column{"%", store.CommissionPct, Decimal, false},
		Column{"Total per hour", store.TotalPerHour, Decimal, false},
		Column{"Commissions", store.Commissions, Decimal, false},
		Column{"Total made", store.TotalMade, Decimal, false},
	)
	return []Tab{
		{Name: "EmployeeSettings", Table: store.EmployeeSettings, Keyed: true, Columns: []Column{
			{"EmployeeId", store.EmployeeID, Int, true},
			{"Hourly wage", store.HourlyWage, Decimal, true},
			{"Sales commission", store.SalesCommission, Percent, true},
		}},
		{Name: "DynamicRates", Table: store.DynamicRates, Columns: []Column{
			{"Min Amount", store.MinAmount, Decimal, true},
			{"Max Amount", store.MaxAmount, Decimal, true},
			{"Percentage", store.Percentage, Percent, true},
		}},
		{Name: "Ranks", Table: store.Ranks, Keyed: true, Columns: []Column{
			{"Rank Name", store.RankName, Text, true},
			{"Min Amount", store.MinAmount, Decimal, true},
			{"Max Amount", store.MaxAmount, Decimal, true},
			{"Emoji", store.Emoji, Text, false},
			{"Bonus 1", store.Bonus1, Text, false},
			{"Bonus 2", store.Bonus2, Text, false},
			{"Bonus 3", store.Bonus3, Text, false},
			{"TEXT", store.RankText, Text, false},
		}},
		{Name: shiftsName, Table: store.Shifts, Keyed: true, Columns: shiftCols},
		{Name: "EmployeeRanks", Table: store.EmployeeRanks, Keyed: true, Columns: []Column{
			{"EmployeeId", store.EmployeeID, Int, true},
			{"Current Rank", store.CurrentRank, Text, false},
			{"Previous Rank", store.PreviousRank, Text, false},
			{"Month", store.Month, Int, true},
			{"Year", store.Year, Int, true},
			{"Notified", store.Notified, Bool, false},
			{"Last Updated", store.LastUpdated, DateTime, false},
		}},
		{Name: "ActiveBonuses", Table: store.ActiveBonuses, Keyed: true, Columns: []Column{
			{"ID", store.ID, Int, true},
			{"EmployeeId", store.EmployeeID, Int, true},
			{"Bonus Type", store.BonusType, Text, true},
			{"Value", store.BonusValue, Decimal, false},
			{"Applied", store.Applied, Bool, false},
			{"Shift ID", store.ShiftID, Int, false},
			{"Created At", store.CreatedAt, DateTime, false},
		}},
	}
}

// Header is a tab's header row resolved to column positions.
type Header struct {
	pos   map[store.Field]int // field -> 0-based column
	Width int                 // cells in the header row
}

// Pos returns the 0-based column of field, and whether the tab has it.
func (h Header) Pos(field store.Field) (int, bool) {
	p, ok := h.pos[field]
	return p, ok
}

// MapHeader finds each column by its header text, trimmed and
// case-insensitive; position never matters and extra columns are ignored.
func (t Tab) MapHeader(row []any) (Header, error) {
	h := Header{pos: make(map[store.Field]int, len(t.Columns)), Width: len(row)}
	byName := make(map[string]int, len(row))
	for i, c := range row {
		name := strings.ToLower(strings.TrimSpace(text(c)))
		if _, dup := byName[name]; !dup && name != "" {
			byName[name] = i
		}
	}
	var missing []string
	for _, c := range t.Columns {
		i, ok := byName[strings.ToLower(c.Header)]
		if !ok {
			missing = append(missing, fmt.Sprintf("%q", c.Header))
			continue
		}
		h.pos[c.Field] = i
	}
	if len(missing) > 0 {
		return h, fmt.Errorf("tab %s: missing header %s", t.Name, strings.Join(missing, ", "))
	}
	return h, nil
}

// Reject says why a sheet row was not taken.
type Reject struct {
	Tab    string
	Row    int // 1-based sheet row number, as the admin sees it
	Column string
	Value  string
	Reason string
	Key    string // the row's key when it could be read, so its local copy is kept
}

func (r *Reject) Error() string {
	if r.Column == "" {
		return fmt.Sprintf("tab %s row %d: %s", r.Tab, r.Row, r.Reason)
	}
	return fmt.Sprintf("tab %s row %d column %q: %s (value %q)", r.Tab, r.Row, r.Column, r.Reason, r.Value)
}

func cellAt(row []any, i int) any {
	if i < len(row) {
		return row[i]
	}
	return nil
}

func blank(cell any) bool {
	if cell == nil {
		return true
	}
	s, isText := cell.(string)
	return isText && strings.TrimSpace(s) == ""
}

// Decode parses one data row. sheetRow is its 1-based row number. formatted
// is the same row as Sheets displays it, or nil: a percent column needs it
// to tell 10% (stored as 0.1 with a percent format) from 0.1.
func (t Tab) Decode(h Header, row, formatted []any, sheetRow int) (store.Values, *Reject) {
	v := make(store.Values, len(t.Columns))
	var bad *Reject
	for _, c := range t.Columns {
		i := h.pos[c.Field]
		cell := cellAt(row, i)
		var s string
		var err error
		if c.Kind == Percent {
			s, err = canonicalPercent(cell, cellAt(formatted, i))
		} else {
			s, err = Canonical(c.Kind, cell)
		}
		switch {
		case err != nil:
			if bad == nil {
				bad = &Reject{Tab: t.Name, Row: sheetRow, Column: c.Header, Value: text(cell), Reason: err.Error()}
			}
			continue
		case s == "" && c.Required:
			if bad == nil {
				bad = &Reject{Tab: t.Name, Row: sheetRow, Column: c.Header, Reason: "empty cell in a required column"}
			}
			continue
		}
		if s != "" {
			v[c.Field] = s
		}
	}
	if bad != nil && t.HasKey(v) {
		bad.Key = t.Table.KeyOf(v)
	}
	return v, bad
}

// IsTableRow reports whether a sheet row belongs to the table: some required
// column (the key, a date, an employee) is filled. A TOTAL line with sums, a
// note, or cells of spaces is not a row of the table: it is skipped, never
// rejected, and never blocks deletions (SPEC §2).
func (t Tab) IsTableRow(h Header, row []any) bool {
	for _, c := range t.Columns {
		if c.Required && !blank(cellAt(row, h.pos[c.Field])) {
			return true
		}
	}
	return false
}

// KeyOf reads only the key cells of a raw row: what the pull needs of a row
// it recognises as unchanged. ok is false if a key cell is unreadable.
func (t Tab) KeyOf(h Header, row []any) (key string, ok bool) {
	v := make(store.Values, len(t.Table.Key))
	for _, c := range t.Columns {
		if !isKey(t.Table, c.Field) {
			continue
		}
		s, err := Canonical(c.Kind, cellAt(row, h.pos[c.Field]))
		if err != nil || s == "" {
			return "", false
		}
		v[c.Field] = s
	}
	return t.Table.KeyOf(v), true
}

func isKey(t store.Table, f store.Field) bool {
	for _, k := range t.Key {
		if k == f {
			return true
		}
	}
	return false
}

// HasKey reports whether every key field of v is filled.
func (t Tab) HasKey(v store.Values) bool {
	if !t.Keyed {
		return false
	}
	for _, k := range t.Table.Key {
		if v[k] == "" {
			return false
		}
	}
	return true
}

// EncodeRow lays v out as a new sheet row under header h. Columns this
// system does not own stay empty.
func (t Tab) EncodeRow(h Header, v store.Values) []any {
	width := 0
	for _, c := range t.Columns {
		if p := h.pos[c.Field] + 1; p > width {
			width = p
		}
	}
	row := make([]any, width)
	for i := range row {
		row[i] = ""
	}
	for _, c := range t.Columns {
		row[h.pos[c.Field]] = Encode(c.Kind, v[c.Field])
	}
	return row
}

// RowDigest identifies a sheet row's raw cells as the API returned them: the
// same digest means the same cells, so the row needs no decoding. Cells are
// typed (a number 15 and a text "15" differ) and separated; trailing empty
// cells, which the API leaves out, do not count.
func RowDigest(row []any) store.Digest {
	n := len(row)
	for n > 0 && blank(row[n-1]) && !isSpaces(row[n-1]) {
		n--
	}
	d := xxhash.New()
	var buf [9]byte
	for _, c := range row[:n] {
		switch v := c.(type) {
		case nil:
			d.Write([]byte{0})
		case string:
			if v == "" {
				d.Write([]byte{0}) // an empty string is an empty cell
				continue
			}
			d.Write([]byte{1})
			d.WriteString(v)
			d.Write([]byte{0xff})
		case float64:
			buf[0] = 2
			b := math.Float64bits(v)
			for i := range 8 {
				buf[1+i] = byte(b >> (8 * i))
			}
			d.Write(buf[:])
		case bool:
			if v {
				d.Write([]byte{3})
			} else {
				d.Write([]byte{4})
			}
		default:
			d.Write([]byte{5})
			d.WriteString(fmt.Sprint(v))
			d.Write([]byte{0xff})
		}
	}
	return store.Digest(d.Sum64())
}

// isSpaces reports a text cell of white space: not empty to the API, so it
// counts in a row's digest.
func isSpaces(cell any) bool {
	s, ok := cell.(string)
	return ok && s != ""
}
