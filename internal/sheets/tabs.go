package sheets

import (
	"fmt"
	"strings"

	"shiftbot/internal/store"
)

// Column maps one header of a tab to one field of its table.
type Column struct {
	Header   string
	Field    string
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
	// Renumber is true where the key is an id this system allocates, so a
	// local row that collides with someone else's id takes the next free one.
	Renumber bool
	// Identity are the fields that recognise a row this system appended when
	// the append's response was lost: what a later admin edit will not change.
	Identity []string
}

// ProductField is the field holding a shift's amount for product p.
func ProductField(p string) string { return store.Shifts.MapField + ":" + p }

// Tabs returns the six tabs; the Shifts tab is named shiftsName and has one
// column per product, in the order given.
func Tabs(shiftsName string, products []string) []Tab {
	shiftCols := []Column{
		{"ID", "id", Int, true},
		{"Date", "date", DateTime, true},
		{"EmployeeId", "employee_id", Int, true},
		{"EmployeeName", "employee_name", Text, false},
		{"Clock in", "clock_in", DateTime, true},
		{"Clock out", "clock_out", DateTime, true},
		{"Worked hours/shift", "worked_hours", Decimal, false},
	}
	for _, p := range products {
		shiftCols = append(shiftCols, Column{p, ProductField(p), Decimal, false})
	}
	shiftCols = append(shiftCols,
		Column{"Total sales", "total_sales", Decimal, false},
		Column{"Net sales", "net_sales", Decimal, false},
		Column{"%", "commission_pct", Decimal, false},
		Column{"Total per hour", "total_per_hour", Decimal, false},
		Column{"Commissions", "commissions", Decimal, false},
		Column{"Total made", "total_made", Decimal, false},
	)
	return []Tab{
		{Name: "EmployeeSettings", Table: store.EmployeeSettings, Keyed: true, Columns: []Column{
			{"EmployeeId", "employee_id", Int, true},
			{"Hourly wage", "hourly_wage", Decimal, true},
			{"Sales commission", "sales_commission", Decimal, true},
		}},
		{Name: "DynamicRates", Table: store.DynamicRates, Columns: []Column{
			{"Min Amount", "min_amount", Decimal, true},
			{"Max Amount", "max_amount", Decimal, true},
			{"Percentage", "percentage", Decimal, true},
		}},
		{Name: "Ranks", Table: store.Ranks, Keyed: true, Columns: []Column{
			{"Rank Name", "rank_name", Text, true},
			{"Min Amount", "min_amount", Decimal, true},
			{"Max Amount", "max_amount", Decimal, true},
			{"Emoji", "emoji", Text, false},
			{"Bonus 1", "bonus_1", Text, false},
			{"Bonus 2", "bonus_2", Text, false},
			{"Bonus 3", "bonus_3", Text, false},
			{"TEXT", "text", Text, false},
		}},
		{Name: shiftsName, Table: store.Shifts, Keyed: true, Renumber: true, Columns: shiftCols,
			Identity: []string{"employee_id", "clock_in"}},
		{Name: "EmployeeRanks", Table: store.EmployeeRanks, Keyed: true, Columns: []Column{
			{"EmployeeId", "employee_id", Int, true},
			{"Current Rank", "current_rank", Text, false},
			{"Previous Rank", "previous_rank", Text, false},
			{"Month", "month", Int, true},
			{"Year", "year", Int, true},
			{"Notified", "notified", Bool, false},
			{"Last Updated", "last_updated", DateTime, false},
		}},
		{Name: "ActiveBonuses", Table: store.ActiveBonuses, Keyed: true, Renumber: true, Columns: []Column{
			{"ID", "id", Int, true},
			{"EmployeeId", "employee_id", Int, true},
			{"Bonus Type", "bonus_type", Text, true},
			{"Value", "value", Decimal, false},
			{"Applied", "applied", Bool, false},
			{"Shift ID", "shift_id", Int, false},
			{"Created At", "created_at", DateTime, false},
		}, Identity: []string{"employee_id", "bonus_type", "created_at"}},
	}
}

// Header is a tab's header row resolved to column positions.
type Header struct {
	pos   map[string]int // field -> 0-based column
	Width int            // cells in the header row
}

// Pos returns the 0-based column of field, and whether the tab has it.
func (h Header) Pos(field string) (int, bool) {
	p, ok := h.pos[field]
	return p, ok
}

// MapHeader finds each column by its header text, trimmed and
// case-insensitive; position never matters and extra columns are ignored.
func (t Tab) MapHeader(row []any) (Header, error) {
	h := Header{pos: make(map[string]int, len(t.Columns)), Width: len(row)}
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

// Decode parses one data row. sheetRow is its 1-based row number.
func (t Tab) Decode(h Header, row []any, sheetRow int) (store.Values, *Reject) {
	v := make(store.Values, len(t.Columns))
	var bad *Reject
	for _, c := range t.Columns {
		var cell any
		if i := h.pos[c.Field]; i < len(row) {
			cell = row[i]
		}
		s, err := Canonical(c.Kind, cell)
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
