package hybrid

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"shiftbot/internal/store"
)

// Pay periods and the admin's payroll (SPEC §4, §11): pay days are the 1st
// and the 15th, server time; a period runs from 00:00 of one pay day to
// 00:00 of the next, and a shift belongs to the period of its Date.

// Period is a pay period: shifts dated in [From, To).
type Period struct{ From, To time.Time }

// PayPeriods returns the pay period now falls in and the one before it.
func PayPeriods(now time.Time) (current, previous Period) {
	last, next := PayDays(now)
	before, _ := PayDays(last.Add(-time.Nanosecond))
	return Period{last, next}, Period{before, last}
}

// PeriodStart is the start of the pay period now falls in, server time:
// shifts dated before it are closed to employees (SPEC §11).
func (s *Service) PeriodStart(now time.Time) time.Time {
	last, _ := PayDays(now.In(s.cfg.Location))
	return last
}

// Pay sums one employee's shifts, or the team's, over a period. Every figure
// is a sum of the cents stored in the Shifts tab, so it matches the sheet's
// own sums exactly.
type Pay struct {
	EmployeeID  int64 // 0 for the team
	Name        string
	Shifts      int
	Hours       decimal.Decimal // Worked hours/shift
	TotalSales  decimal.Decimal
	Commissions decimal.Decimal
	// Bonuses is what Total made holds beyond Commissions and Total per
	// hour: flat, percent_prev and percent_all money, a rank-up's flat bonus,
	// and anything the admin added to Total made in the sheet.
	Bonuses decimal.Decimal
	Earned  decimal.Decimal // Total made
}

func (p *Pay) add(sh Shift) {
	p.Shifts++
	p.Hours = p.Hours.Add(sh.WorkedHours)
	p.TotalSales = p.TotalSales.Add(sh.TotalSales)
	p.Commissions = p.Commissions.Add(sh.Commissions)
	p.Bonuses = p.Bonuses.Add(sh.TotalMade.Sub(sh.Commissions).Sub(sh.TotalPerHour))
	p.Earned = p.Earned.Add(sh.TotalMade)
}

// PeriodPay is one period of the payroll.
type PeriodPay struct {
	Period
	Employees []Pay   // by name (any case), then id
	Team      Pay     // all of them together
	Shifts    []Shift // the period's shifts, in ID order (the sheet's)
	// Rows are the same shifts as stored: the cells the worker pushed to
	// the sheet, for a CSV that matches it to the character.
	Rows []store.Values
}

// PayrollReport is what /payroll shows: the current period so far and the
// previous one, whose shifts also go out as a CSV.
type PayrollReport struct {
	Current, Previous PeriodPay
	// Products are the product columns of the Shifts tab, in its order, for
	// the CSV of the previous period.
	Products []string
}

// Payroll computes the report at now. Rows the worker would have rejected
// are not in the database; a stored row that does not decode fails the
// report rather than leave a shift out of someone's pay.
func (s *Service) Payroll(ctx context.Context, tx *store.Tx, now time.Time) (PayrollReport, error) {
	cur, prev := PayPeriods(now.In(s.cfg.Location))
	rows, err := tx.ShiftsDated(ctx, s.FormatTime(prev.From), s.FormatTime(cur.To))
	if err != nil {
		return PayrollReport{}, fmt.Errorf("payroll: %w", err)
	}
	rep := PayrollReport{Current: PeriodPay{Period: cur}, Previous: PeriodPay{Period: prev}}
	for _, r := range rows {
		sh, err := s.shiftOf(r.Values)
		if err != nil {
			return PayrollReport{}, fmt.Errorf("payroll: %w", err)
		}
		p := &rep.Previous
		if !sh.Date.Before(cur.From) {
			p = &rep.Current
		}
		p.Shifts, p.Rows = append(p.Shifts, sh), append(p.Rows, r.Values)
	}
	for _, p := range []*PeriodPay{&rep.Current, &rep.Previous} {
		p.total()
	}
	if rep.Products, err = s.productColumns(ctx, tx, rep.Previous.Shifts); err != nil {
		return PayrollReport{}, fmt.Errorf("payroll: %w", err)
	}
	return rep, nil
}

// total fills Employees and Team from Shifts. An employee's name is the one
// on their newest shift of the period (usernames change).
func (p *PeriodPay) total() {
	by := map[int64]*Pay{}
	newest := map[int64]time.Time{}
	for _, sh := range p.Shifts {
		e := by[sh.EmployeeID]
		if e == nil {
			e = &Pay{EmployeeID: sh.EmployeeID}
			by[sh.EmployeeID] = e
		}
		if sh.EmployeeName != "" && !sh.Date.Before(newest[sh.EmployeeID]) {
			e.Name, newest[sh.EmployeeID] = sh.EmployeeName, sh.Date
		}
		e.add(sh)
		p.Team.add(sh)
	}
	for _, e := range by {
		if e.Name == "" {
			e.Name = strconv.FormatInt(e.EmployeeID, 10)
		}
		p.Employees = append(p.Employees, *e)
	}
	slices.SortFunc(p.Employees, func(a, b Pay) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.EmployeeID, b.EmployeeID))
	})
}

// ShiftRecord is a stored shift as the Shifts tab holds it, one cell per
// column of ShiftColumns, in canonical text: what the worker pushed there.
func ShiftRecord(v store.Values, products []string) []string {
	out := []string{v[store.ID], v[store.Date], v[store.EmployeeID], v[store.EmployeeName], v[store.ClockIn], v[store.ClockOut], v[store.WorkedHours]}
	for _, p := range products {
		out = append(out, v[store.ProductField(p)])
	}
	return append(out, v[store.TotalSales], v[store.NetSales], v[store.CommissionPct], v[store.TotalPerHour], v[store.Commissions], v[store.TotalMade])
}

// ShiftColumns are the Shifts tab's headers (SPEC §2) with the given
// product columns, in the order ShiftRecord fills them.
func ShiftColumns(products []string) []string {
	out := []string{"ID", "Date", "EmployeeId", "EmployeeName", "Clock in", "Clock out", "Worked hours/shift"}
	out = append(out, products...)
	return append(out, "Total sales", "Net sales", "%", "Total per hour", "Commissions", "Total made")
}
