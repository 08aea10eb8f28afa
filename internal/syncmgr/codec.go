package syncmgr

import (
	"fmt"
	"strings"

	"shiftbot/internal/sheets"
	"shiftbot/internal/store"
)

// Column maps one header of a tab to one field of its table.
type Column struct {
	Header   string
	Field    store.Field
	Kind     Kind
	Required bool // an empty cell rejects the row
	Optional bool // the tab may lack the column altogether
}

// Tab is the codec of one spreadsheet tab (SPEC §2).
type Tab struct {
	Name    string
	Table   store.Table
	Columns []Column
	// Keyed is false for DynamicRates, which is one table replaced as a whole.
	Keyed bool
	// Optional: the spreadsheet may lack the tab; that is no problem.
	Optional bool
}

// ProductsTab is the tab listing the products (SPEC §11).
const ProductsTab = "Products"

// Tabs returns the tabs; the Shifts tab is named shiftsName and has one
// column per product, in the order given.
func Tabs(shiftsName string, products []string) []Tab {
	shiftCols := []Column{
		{"ID", store.ID, Int, true, false},
		{"Date", store.Date, DateTime, true, false},
		{"EmployeeId", store.EmployeeID, Int, true, false},
		{"EmployeeName", store.EmployeeName, Text, false, false},
		{"Clock in", store.ClockIn, DateTime, true, false},
		{"Clock out", store.ClockOut, DateTime, true, false},
		{"Worked hours/shift", store.WorkedHours, Decimal, false, false},
	}
	for _, p := range products {
		shiftCols = append(shiftCols, Column{p, store.ProductField(p), Decimal, false, false})
	}
	shiftCols = append(shiftCols,
		Column{"Total sales", store.TotalSales, Decimal, false, false},
		Column{"Net sales", store.NetSales, Decimal, false, false},
		Column{"%", store.CommissionPct, Decimal, false, false},
		Column{"Total per hour", store.TotalPerHour, Decimal, false, false},
		Column{"Commissions", store.Commissions, Decimal, false, false},
		Column{"Total made", store.TotalMade, Decimal, false, false},
	)
	return []Tab{
		{Name: "EmployeeSettings", Table: store.EmployeeSettings, Keyed: true, Columns: []Column{
			{"EmployeeId", store.EmployeeID, Int, true, false},
			{"Hourly wage", store.HourlyWage, Decimal, true, false},
			{"Sales commission", store.SalesCommission, Percent, true, false},
		}},
		{Name: "DynamicRates", Table: store.DynamicRates, Columns: []Column{
			{"Min Amount", store.MinAmount, Decimal, true, false},
			{"Max Amount", store.MaxAmount, Decimal, true, false},
			{"Percentage", store.Percentage, Percent, true, false},
		}},
		{Name: "Ranks", Table: store.Ranks, Keyed: true, Columns: []Column{
			{"Rank Name", store.RankName, Text, true, false},
			{"Min Amount", store.MinAmount, Decimal, true, false},
			{"Max Amount", store.MaxAmount, Decimal, true, false},
			{"Emoji", store.Emoji, Text, false, false},
			{"Bonus 1", store.Bonus1, Text, false, false},
			{"Bonus 2", store.Bonus2, Text, false, false},
			{"Bonus 3", store.Bonus3, Text, false, false},
			{"TEXT", store.RankText, Text, false, false},
		}},
		{Name: shiftsName, Table: store.Shifts, Keyed: true, Columns: shiftCols},
		{Name: "EmployeeRanks", Table: store.EmployeeRanks, Keyed: true, Columns: []Column{
			{"EmployeeId", store.EmployeeID, Int, true, false},
			{"Current Rank", store.CurrentRank, Text, false, false},
			{"Previous Rank", store.PreviousRank, Text, false, false},
			{"Month", store.Month, Int, true, false},
			{"Year", store.Year, Int, true, false},
			{"Notified", store.Notified, Bool, false, false},
			{"Last Updated", store.LastUpdated, DateTime, false, false},
		}},
		{Name: ProductsTab, Table: store.ProductCatalog, Optional: true, Columns: []Column{
			{Header: "Product", Field: store.ProductName, Kind: Text, Required: true},
			{Header: "Active", Field: store.Active, Kind: Bool, Optional: true},
		}},
		{Name: "ActiveBonuses", Table: store.ActiveBonuses, Keyed: true, Columns: []Column{
			{"ID", store.ID, Int, true, false},
			{"EmployeeId", store.EmployeeID, Int, true, false},
			{"Bonus Type", store.BonusType, Text, true, false},
			{"Value", store.BonusValue, Decimal, false, false},
			{"Applied", store.Applied, Bool, false, false},
			{"Shift ID", store.ShiftID, Int, false, false},
			{"Created At", store.CreatedAt, DateTime, false, false},
		}},
	}
}

// Resolve maps a header row for t, leaving out the optional columns the
// tab does not have: the Tab returned is the codec for this header.
func (t Tab) Resolve(header []any) (Tab, Header, error) {
	present := map[string]bool{}
	for _, c := range header {
		present[strings.ToLower(strings.TrimSpace(text(c)))] = true
	}
	cols := t.Columns[:0:0]
	for _, c := range t.Columns {
		if !c.Optional || present[strings.ToLower(c.Header)] {
			cols = append(cols, c)
		}
	}
	t.Columns = cols
	h, err := t.MapHeader(header)
	return t, h, err
}

// products are the product names of a Shifts codec, in column order.
func (t Tab) products() []string {
	var out []string
	for _, c := range t.Columns {
		if p, ok := store.ProductOf(c.Field); ok {
			out = append(out, p)
		}
	}
	return out
}

// withProducts is the Shifts codec t with one column per product instead.
func (t Tab) withProducts(products []string) Tab {
	var cols []Column
	done := false
	for _, c := range t.Columns {
		if _, ok := store.ProductOf(c.Field); ok {
			if !done {
				for _, p := range products {
					cols = append(cols, Column{Header: p, Field: store.ProductField(p), Kind: Decimal})
				}
				done = true
			}
			continue
		}
		if c.Field == store.TotalSales && !done { // no product columns before: they go before the totals
			for _, p := range products {
				cols = append(cols, Column{Header: p, Field: store.ProductField(p), Kind: Decimal})
			}
			done = true
		}
		cols = append(cols, c)
	}
	t.Columns = cols
	return t
}

// Header is a tab's header row resolved to column positions.
type Header struct {
	pos   map[store.Field]int // field -> 0-based column
	Width int                 // cells in the header row
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
	var parts [3]string
	for i, k := range t.Table.Key {
		c, found := t.column(k)
		if !found || i >= len(parts) {
			return "", false
		}
		s, err := Canonical(c.Kind, cellAt(row, h.pos[k]))
		if err != nil || s == "" {
			return "", false
		}
		parts[i] = s
	}
	if len(t.Table.Key) == 1 {
		return parts[0], true
	}
	return strings.Join(parts[:len(t.Table.Key)], store.KeySep), true
}

// keyCells decodes only the key cells of a row (the rest stay nil): enough
// for KeyOf.
func (t Tab) keyCells(h Header, r sheets.Row) []any {
	width := 0
	for _, k := range t.Table.Key {
		width = max(width, h.pos[k]+1)
	}
	cells := make([]any, width)
	for _, k := range t.Table.Key {
		cells[h.pos[k]], _ = r.Cell(h.pos[k])
	}
	return cells
}

func (t Tab) column(f store.Field) (Column, bool) {
	for _, c := range t.Columns {
		if c.Field == f {
			return c, true
		}
	}
	return Column{}, false
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

// cellsOf decodes a row of the response. The API's JSON does not fail to
// decode; if it ever did, the row reads as empty, so nothing is taken from it.
func cellsOf(r sheets.Row) []any {
	cells, _ := r.Cells()
	return cells
}

// digestOf identifies a row of the response by its text.
func digestOf(r sheets.Row) store.Digest { return store.Digest(r.Digest()) }
