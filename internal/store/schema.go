package store

import (
	"fmt"
	"strings"
)

// Field names a column of a synced table. The names below are the one
// schema contract: the store, the sheet codecs and the bot's data service
// all use these constants, and writing a field a table does not have is an
// error (SPEC §2).
type Field string

// Fields of the six synced tables, grouped by the table that introduces
// them; several tables share EmployeeID, ID, MinAmount and MaxAmount.
const (
	EmployeeID      Field = "employee_id"
	HourlyWage      Field = "hourly_wage"
	SalesCommission Field = "sales_commission"

	Pos        Field = "pos" // DynamicRates has no key: a row's position
	MinAmount  Field = "min_amount"
	MaxAmount  Field = "max_amount"
	Percentage Field = "percentage"

	RankName Field = "rank_name"
	Emoji    Field = "emoji"
	Bonus1   Field = "bonus_1"
	Bonus2   Field = "bonus_2"
	Bonus3   Field = "bonus_3"
	RankText Field = "text"

	ID            Field = "id"
	Date          Field = "date"
	EmployeeName  Field = "employee_name"
	ClockIn       Field = "clock_in"
	ClockOut      Field = "clock_out"
	WorkedHours   Field = "worked_hours"
	Products      Field = "products" // a JSON object: one ProductField per entry
	TotalSales    Field = "total_sales"
	NetSales      Field = "net_sales"
	CommissionPct Field = "commission_pct"
	TotalPerHour  Field = "total_per_hour"
	Commissions   Field = "commissions"
	TotalMade     Field = "total_made"

	Year         Field = "year"
	Month        Field = "month"
	CurrentRank  Field = "current_rank"
	PreviousRank Field = "previous_rank"
	Notified     Field = "notified"
	LastUpdated  Field = "last_updated"

	ProductName Field = "name"
	Active      Field = "active"

	BonusType  Field = "bonus_type"
	BonusValue Field = "value"
	Applied    Field = "applied"
	ShiftID    Field = "shift_id"
	CreatedAt  Field = "created_at"
)

const productPrefix = string(Products) + ":"

// ProductField is the field holding a shift's amount for product p: each
// product merges as a cell of its own.
func ProductField(p string) Field { return Field(productPrefix + p) }

// ProductOf is the product a ProductField names.
func ProductOf(f Field) (product string, ok bool) { return strings.CutPrefix(string(f), productPrefix) }

// Table describes one synced table in the terms the sync engine works in:
// rows are maps of canonical text keyed by field.
type Table struct {
	Name   string  // SQL table
	Key    []Field // key columns; DynamicRates uses its row position
	Fields []Field // domain columns, key columns included
	// MapField names a JSON-object column that rows expose as one field per
	// entry (ProductField), so each shift product merges as its own cell.
	MapField Field
	// Allocated is true where the key is an id this system allocates: new
	// ids come from a high-water mark and are never reused (SPEC §3).
	Allocated bool
}

// The six synced tables, one per tab of SPEC §2.
var (
	EmployeeSettings = Table{Name: "employee_settings", Key: []Field{EmployeeID},
		Fields: []Field{EmployeeID, HourlyWage, SalesCommission}}
	DynamicRates = Table{Name: "dynamic_rates", Key: []Field{Pos},
		Fields: []Field{Pos, MinAmount, MaxAmount, Percentage}}
	Ranks = Table{Name: "ranks", Key: []Field{RankName},
		Fields: []Field{RankName, MinAmount, MaxAmount, Emoji, Bonus1, Bonus2, Bonus3, RankText}}
	Shifts = Table{Name: "shifts", Key: []Field{ID}, Allocated: true,
		Fields: []Field{ID, Date, EmployeeID, EmployeeName, ClockIn, ClockOut, WorkedHours,
			Products, TotalSales, NetSales, CommissionPct, TotalPerHour, Commissions, TotalMade},
		MapField: Products}
	EmployeeRanks = Table{Name: "employee_ranks", Key: []Field{EmployeeID, Year, Month},
		Fields: []Field{EmployeeID, Year, Month, CurrentRank, PreviousRank, Notified, LastUpdated}}
	ActiveBonuses = Table{Name: "active_bonuses", Key: []Field{ID}, Allocated: true,
		Fields: []Field{ID, EmployeeID, BonusType, BonusValue, Applied, ShiftID, CreatedAt}}
	// ProductCatalog is the Products tab (SPEC §11), in the sheet's order.
	ProductCatalog = Table{Name: "product_catalog", Key: []Field{Pos}, Fields: []Field{Pos, ProductName, Active}}
)

// Synced lists the synced tables.
var Synced = []Table{EmployeeSettings, DynamicRates, Ranks, Shifts, EmployeeRanks, ActiveBonuses, ProductCatalog}

// Has reports whether f is a field of t (a product field of the map column
// included).
func (t Table) Has(f Field) bool {
	if t.MapField != "" {
		if _, ok := ProductOf(f); ok {
			return true
		}
	}
	for _, g := range t.Fields {
		if g == f && g != t.MapField {
			return true
		}
	}
	return false
}

// check reports the first field of v that t does not have.
func (t Table) check(v Values) error {
	for f := range v {
		if !t.Has(f) {
			return fmt.Errorf("table %s has no field %q", t.Name, f)
		}
	}
	return nil
}

func (t Table) columns() string {
	names := make([]string, len(t.Fields))
	for i, f := range t.Fields {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

func (t Table) keyColumns() string {
	names := make([]string, len(t.Key))
	for i, f := range t.Key {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}
