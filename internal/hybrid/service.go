package hybrid

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"shiftbot/internal/payroll"
	"shiftbot/internal/store"
)

// DateTimeLayout is how date-times are stored and shown (SPEC §2).
const DateTimeLayout = "2006/01/02 15:04:05"

// Errors callers branch on.
var (
	// ErrNotReady: the worker has not finished its first pull, so settings,
	// rates and ranks may be missing; pay must not be computed (SPEC §4).
	ErrNotReady = errors.New("the data has not been loaded from the spreadsheet yet")
	// ErrNotFound: no such shift, or it is another employee's.
	ErrNotFound = errors.New("shift not found")
)

// Config is what the rules need besides the database.
type Config struct {
	Products       []string        // PRODUCTS, in the sheet's column order
	CommissionRate decimal.Decimal // COMMISSION_RATE
	Location       *time.Location  // server time (SPEC §5)
	// Rand draws the rank-up bonus; nil means math/rand/v2. Tests fix it.
	Rand interface{ IntN(n int) int }
}

// Service is the bot's data service. Its methods run inside the caller's
// write transaction (store.DB.Update), so a user action and the bot's own
// bookkeeping commit together.
type Service struct {
	cfg Config
}

type globalRand struct{}

func (globalRand) IntN(n int) int { return rand.IntN(n) } // safe for concurrent use

// New returns a service for cfg.
func New(cfg Config) *Service {
	if cfg.Rand == nil {
		cfg.Rand = globalRand{}
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	return &Service{cfg: cfg}
}

// Location is the server time zone.
func (s *Service) Location() *time.Location { return s.cfg.Location }

// Products are the configured products, in order.
func (s *Service) Products() []string { return s.cfg.Products }

// Shift is a stored shift as the bot shows it.
type Shift struct {
	ID                      int64
	EmployeeID              int64
	EmployeeName            string
	Date, ClockIn, ClockOut time.Time
	Products                []payroll.ProductSale // configured order, then any others by name
	WorkedHours             decimal.Decimal
	TotalSales, NetSales    decimal.Decimal
	CommissionPercent       decimal.Decimal
	TotalPerHour            decimal.Decimal
	Commissions, TotalMade  decimal.Decimal
}

// ShiftRef names a shift in the edit list.
type ShiftRef struct {
	ID   int64
	Date time.Time
}

// Money is the canonical text of money and percentages: two decimals.
func Money(d decimal.Decimal) string { return d.StringFixed(2) }

// FormatTime is the canonical text of a date-time.
func (s *Service) FormatTime(t time.Time) string { return t.In(s.cfg.Location).Format(DateTimeLayout) }

func (s *Service) parseTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	return time.ParseInLocation(DateTimeLayout, v, s.cfg.Location)
}

// dec parses stored canonical text; a blank cell is zero.
func dec(v string) (decimal.Decimal, error) {
	if strings.TrimSpace(v) == "" {
		return decimal.Zero, nil
	}
	return decimal.NewFromString(strings.TrimSpace(v))
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

// Ready reports whether the worker has completed its first pull.
func (s *Service) Ready(ctx context.Context, tx *store.Tx) (bool, error) {
	var n int
	if err := tx.QueryRow(ctx, sqlReady, store.StateLastPull).Scan(&n); err != nil {
		return false, fmt.Errorf("read sync state: %w", err)
	}
	return n > 0, nil
}

// settings returns the employee's settings; an employee without a row gets
// the defaults and a default row, pending for the sheet (SPEC §6).
func (s *Service) settings(ctx context.Context, tx *store.Tx, employee int64) (payroll.Settings, error) {
	row, ok, err := tx.GetRow(ctx, store.EmployeeSettings, id(employee))
	if err != nil {
		return payroll.Settings{}, err
	}
	if !ok {
		def := payroll.DefaultSettings()
		row = store.Row{Values: store.Values{
			store.EmployeeID:      id(employee),
			store.HourlyWage:      Money(def.HourlyWage),
			store.SalesCommission: Money(def.SalesCommission),
		}, Pending: true}
		if err := tx.PutRow(ctx, store.EmployeeSettings, row); err != nil {
			return payroll.Settings{}, err
		}
		return def, nil
	}
	wage, err1 := dec(row.Values[store.HourlyWage])
	pct, err2 := dec(row.Values[store.SalesCommission])
	if err := errors.Join(err1, err2); err != nil {
		return payroll.Settings{}, fmt.Errorf("employee %d settings: %w", employee, err)
	}
	return payroll.Settings{HourlyWage: wage, SalesCommission: pct}, nil
}

func (s *Service) rates(ctx context.Context, tx *store.Tx) ([]payroll.RateRow, error) {
	rows, err := tx.Query(ctx, sqlRates)
	if err != nil {
		return nil, fmt.Errorf("load dynamic rates: %w", err)
	}
	defer rows.Close()
	var out []payroll.RateRow
	for rows.Next() {
		var lo, hi, pct string
		if err := rows.Scan(&lo, &hi, &pct); err != nil {
			return nil, fmt.Errorf("load dynamic rates: %w", err)
		}
		var r payroll.RateRow
		var e1, e2, e3 error
		r.Min, e1 = dec(lo)
		r.Max, e2 = dec(hi)
		r.Percent, e3 = dec(pct)
		if err := errors.Join(e1, e2, e3); err != nil {
			return nil, fmt.Errorf("load dynamic rates: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load dynamic rates: %w", err)
	}
	return out, nil
}

// Ranks returns the Ranks table ordered by Min Amount.
func (s *Service) Ranks(ctx context.Context, tx *store.Tx) ([]payroll.Rank, error) {
	rows, err := tx.Query(ctx, sqlRanks)
	if err != nil {
		return nil, fmt.Errorf("load ranks: %w", err)
	}
	defer rows.Close()
	var out []payroll.Rank
	for rows.Next() {
		var r payroll.Rank
		var lo, hi string
		if err := rows.Scan(&r.Name, &lo, &hi, &r.Emoji, &r.Bonuses[0], &r.Bonuses[1], &r.Bonuses[2], &r.Text); err != nil {
			return nil, fmt.Errorf("load ranks: %w", err)
		}
		var e1, e2 error
		r.Min, e1 = dec(lo)
		r.Max, e2 = dec(hi)
		if err := errors.Join(e1, e2); err != nil {
			return nil, fmt.Errorf("load rank %q: %w", r.Name, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load ranks: %w", err)
	}
	slices.SortStableFunc(out, func(a, b payroll.Rank) int { return a.Min.Cmp(b.Min) })
	return out, nil
}

func (s *Service) bonuses(ctx context.Context, tx *store.Tx, query string, arg int64) ([]payroll.Bonus, error) {
	rows, err := tx.Query(ctx, query, arg)
	if err != nil {
		return nil, fmt.Errorf("load bonuses: %w", err)
	}
	defer rows.Close()
	var out []payroll.Bonus
	for rows.Next() {
		var b payroll.Bonus
		var v string
		if err := rows.Scan(&b.ID, &b.Type, &v); err != nil {
			return nil, fmt.Errorf("load bonuses: %w", err)
		}
		if b.Value, err = dec(v); err != nil {
			return nil, fmt.Errorf("bonus %d value %q: %w", b.ID, v, err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load bonuses: %w", err)
	}
	return out, nil
}

// otherShifts scans rows of (id, employee_id, clock_in, date, products).
func (s *Service) otherShifts(rows *sql.Rows) ([]payroll.OtherShift, error) {
	defer rows.Close()
	var out []payroll.OtherShift
	for rows.Next() {
		var o payroll.OtherShift
		var in, date, products string
		if err := rows.Scan(&o.ID, &o.EmployeeID, &in, &date, &products); err != nil {
			return nil, err
		}
		var err1, err2, err3 error
		o.ClockIn, err1 = s.parseTime(in)
		o.Date, err2 = s.parseTime(date)
		o.Products, err3 = s.parseProducts(products)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("shift %d: %w", o.ID, err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func (s *Service) parseProducts(js string) ([]payroll.ProductSale, error) {
	var m map[string]string
	if js != "" {
		if err := json.Unmarshal([]byte(js), &m); err != nil {
			return nil, fmt.Errorf("products: %w", err)
		}
	}
	vals := make(store.Values, len(m))
	for k, v := range m {
		vals[store.ProductField(k)] = v
	}
	return s.productsOf(vals)
}

// productsOf reads the product fields of a shift row.
func (s *Service) productsOf(v store.Values) ([]payroll.ProductSale, error) {
	var out []payroll.ProductSale
	for k, a := range v {
		name, ok := store.ProductOf(k)
		if !ok || a == "" {
			continue
		}
		d, err := dec(a)
		if err != nil {
			return nil, fmt.Errorf("product %q amount %q: %w", name, a, err)
		}
		out = append(out, payroll.ProductSale{Product: name, Amount: d})
	}
	return s.ordered(out), nil
}

// ordered sorts sales like the sheet's columns: configured products in
// their order, then any others by name.
func (s *Service) ordered(ps []payroll.ProductSale) []payroll.ProductSale {
	out := slices.Clone(ps)
	rank := func(n string) int {
		if i := slices.Index(s.cfg.Products, n); i >= 0 {
			return i
		}
		return len(s.cfg.Products)
	}
	slices.SortStableFunc(out, func(a, b payroll.ProductSale) int {
		if ra, rb := rank(a.Product), rank(b.Product); ra != rb {
			return ra - rb
		}
		return strings.Compare(a.Product, b.Product)
	})
	return out
}

// shiftOf decodes a stored shift row.
func (s *Service) shiftOf(v store.Values) (Shift, error) {
	var sh Shift
	var errs []error
	num := func(f store.Field) decimal.Decimal {
		d, err := dec(v[f])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", f, v[f], err))
		}
		return d
	}
	tm := func(f store.Field) time.Time {
		t, err := s.parseTime(v[f])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f, err))
		}
		return t
	}
	var err error
	if sh.ID, err = strconv.ParseInt(v[store.ID], 10, 64); err != nil {
		errs = append(errs, fmt.Errorf("id %q: %w", v[store.ID], err))
	}
	if sh.EmployeeID, err = strconv.ParseInt(v[store.EmployeeID], 10, 64); err != nil {
		errs = append(errs, fmt.Errorf("employee_id %q: %w", v[store.EmployeeID], err))
	}
	sh.EmployeeName = v[store.EmployeeName]
	sh.Date, sh.ClockIn, sh.ClockOut = tm(store.Date), tm(store.ClockIn), tm(store.ClockOut)
	sh.WorkedHours, sh.TotalSales, sh.NetSales = num(store.WorkedHours), num(store.TotalSales), num(store.NetSales)
	sh.CommissionPercent, sh.TotalPerHour = num(store.CommissionPct), num(store.TotalPerHour)
	sh.Commissions, sh.TotalMade = num(store.Commissions), num(store.TotalMade)
	if sh.Products, err = s.productsOf(v); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return Shift{}, fmt.Errorf("shift %s: %w", v[store.ID], err)
	}
	return sh, nil
}

// values is the row a shift is stored as.
func (s *Service) values(sh Shift) store.Values {
	v := store.Values{
		store.ID:            id(sh.ID),
		store.Date:          s.FormatTime(sh.Date),
		store.EmployeeID:    id(sh.EmployeeID),
		store.EmployeeName:  sh.EmployeeName,
		store.ClockIn:       s.FormatTime(sh.ClockIn),
		store.ClockOut:      s.FormatTime(sh.ClockOut),
		store.WorkedHours:   Money(sh.WorkedHours),
		store.TotalSales:    Money(sh.TotalSales),
		store.NetSales:      Money(sh.NetSales),
		store.CommissionPct: Money(sh.CommissionPercent),
		store.TotalPerHour:  Money(sh.TotalPerHour),
		store.Commissions:   Money(sh.Commissions),
		store.TotalMade:     Money(sh.TotalMade),
	}
	for _, p := range sh.Products {
		v[store.ProductField(p.Product)] = Money(p.Amount)
	}
	return v
}

// LastShifts returns the employee's newest n shifts by Date, newest first.
func (s *Service) LastShifts(ctx context.Context, tx *store.Tx, employee int64, n int) ([]ShiftRef, error) {
	rows, err := tx.Query(ctx, sqlLastShifts, employee, n)
	if err != nil {
		return nil, fmt.Errorf("load last shifts of %d: %w", employee, err)
	}
	defer rows.Close()
	var out []ShiftRef
	for rows.Next() {
		var r ShiftRef
		var date string
		if err := rows.Scan(&r.ID, &date); err != nil {
			return nil, fmt.Errorf("load last shifts of %d: %w", employee, err)
		}
		if r.Date, err = s.parseTime(date); err != nil {
			return nil, fmt.Errorf("shift %d date: %w", r.ID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load last shifts of %d: %w", employee, err)
	}
	return out, nil
}

// Owns reports whether shift id exists and belongs to employee. Callback
// data can be forged, so every shift id from a user goes through here.
func (s *Service) Owns(ctx context.Context, tx *store.Tx, employee, shiftID int64) (bool, error) {
	var owner sql.NullInt64
	err := tx.QueryRow(ctx, sqlOwner, shiftID).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up shift %d: %w", shiftID, err)
	}
	return owner.Valid && owner.Int64 == employee, nil
}

// Shift loads one of the employee's shifts; ErrNotFound when it does not
// exist or is someone else's.
func (s *Service) Shift(ctx context.Context, tx *store.Tx, employee, shiftID int64) (Shift, error) {
	sh, _, err := s.ownShift(ctx, tx, employee, shiftID)
	return sh, err
}

func (s *Service) ownShift(ctx context.Context, tx *store.Tx, employee, shiftID int64) (Shift, store.Row, error) {
	row, ok, err := tx.GetRow(ctx, store.Shifts, id(shiftID))
	if err != nil {
		return Shift{}, row, err
	}
	if !ok || row.Values[store.EmployeeID] != id(employee) {
		return Shift{}, row, fmt.Errorf("shift %d of employee %d: %w", shiftID, employee, ErrNotFound)
	}
	sh, err := s.shiftOf(row.Values)
	return sh, row, err
}
