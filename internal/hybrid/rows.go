package hybrid

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"shiftbot/internal/payroll"
	"shiftbot/internal/store"
)

// A stored shift row and the Shift the bot shows, both ways.

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
