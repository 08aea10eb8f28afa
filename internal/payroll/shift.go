package payroll

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Errors of Compute and the Recompute functions.
var (
	ErrClockOrder     = errors.New("clock out must be after clock in")
	ErrNegativeAmount = errors.New("negative amount")
	ErrDuplicate      = errors.New("product listed twice")
)

// Settings is one EmployeeSettings row.
type Settings struct {
	HourlyWage      decimal.Decimal // dollars per hour
	SalesCommission decimal.Decimal // base commission, percentage points
}

// DefaultSettings are used, and written, for an employee without settings
// (SPEC §2, §6).
func DefaultSettings() Settings {
	return Settings{HourlyWage: decimal.NewFromInt(15), SalesCommission: decimal.NewFromInt(8)}
}

// ProductSale is one product's amount in a shift.
type ProductSale struct {
	Product string
	Amount  decimal.Decimal
}

// OtherShift is a stored shift that percent_prev and percent_all may draw
// from. Callers may pass every stored shift: the rules pick their own.
type OtherShift struct {
	ID         int64
	EmployeeID int64
	ClockIn    time.Time
	Date       time.Time // when it was finished (SPEC §5)
	Products   []ProductSale
}

// ShiftInput is everything Compute needs to price a new shift.
type ShiftInput struct {
	EmployeeID        int64
	Date              time.Time // now, server time: the shift's Date (SPEC §5)
	ClockIn, ClockOut time.Time
	Products          []ProductSale
	Settings          Settings
	Rates             []RateRow
	CommissionRate    decimal.Decimal // COMMISSION_RATE, e.g. 0.20; required
	Bonuses           []Bonus         // the employee's ActiveBonuses rows with Applied = false
	Others            []OtherShift    // stored shifts (any employee) for percent_prev / percent_all
}

// AppliedBonus is a bonus this shift consumed: the caller marks it Applied
// with this Shift ID.
type AppliedBonus struct {
	Bonus   Bonus
	Money   decimal.Decimal // dollars added to total made, rounded to cents
	Product string          // percent_prev / percent_all: the product the money came from
	Shifts  []int64         // percent_prev / percent_all: IDs of the shifts used
}

// Result holds a shift's computed columns, rounded to cents (percentages to
// two places, as the "%" column), plus the parts CommissionBreakdown shows.
type Result struct {
	WorkedHours, TotalPerHour decimal.Decimal
	TotalSales, NetSales      decimal.Decimal
	BaseCommission            decimal.Decimal // Sales commission used
	DynamicRate               decimal.Decimal // DynamicRates points
	BonusPercent              decimal.Decimal // sum of percent_next points
	Doubled                   int             // double_commission bonuses applied: % ×2 each
	CommissionPercent         decimal.Decimal
	Commissions               decimal.Decimal
	BonusMoney                decimal.Decimal // flat, percent_prev, percent_all (and flat_immediate)
	TotalMade                 decimal.Decimal
	Applied                   []AppliedBonus // nil from the Recompute functions
}

var hundred = decimal.NewFromInt(100)

func cents(d decimal.Decimal) decimal.Decimal { return d.Round(2) }

// hours returns exact elapsed hours and wage × hours; the wage is multiplied
// before dividing so that e.g. 20 minutes at $15 is exactly $5.00.
func hours(in, out time.Time, wage decimal.Decimal) (h, pay decimal.Decimal, err error) {
	if !out.After(in) {
		return h, pay, fmt.Errorf("clock in %s, clock out %s: %w",
			in.Format(time.DateTime), out.Format(time.DateTime), ErrClockOrder)
	}
	ns := decimal.NewFromInt(int64(out.Sub(in)))
	perHour := decimal.NewFromInt(int64(time.Hour))
	return ns.Div(perHour), wage.Mul(ns).Div(perHour), nil
}

// commissionPercent is SPEC §6: base + dynamic + percent_next points, then ×2
// per double_commission. Points are added before doubling whatever order the
// rows come in (the original applied them in row order).
func commissionPercent(base, dynamic decimal.Decimal, applied []Bonus) (pct, bonusPct decimal.Decimal, doubled int) {
	for _, b := range applied {
		switch normType(b.Type) {
		case PercentNext:
			bonusPct = bonusPct.Add(b.Value)
		case DoubleCommission:
			doubled++
		}
	}
	pct = base.Add(dynamic).Add(bonusPct)
	for range doubled {
		pct = pct.Add(pct)
	}
	return pct, bonusPct, doubled
}

// amounts maps product → amount; products with no positive amount were not sold.
func amounts(ps []ProductSale) map[string]decimal.Decimal {
	m := make(map[string]decimal.Decimal, len(ps))
	for _, p := range ps {
		m[p.Product] = m[p.Product].Add(p.Amount)
	}
	return m
}

// largest is the sold product with the largest amount among those accepted by
// keep; ties go to the smaller name so the choice is stable.
func largest(m map[string]decimal.Decimal, keep func(string) bool) (string, decimal.Decimal) {
	best, amt := "", decimal.Zero
	for p, a := range m {
		if !a.IsPositive() || !keep(p) {
			continue
		}
		if best == "" || a.GreaterThan(amt) || (a.Equal(amt) && p < best) {
			best, amt = p, a
		}
	}
	return best, amt
}

// Compute prices a new shift (SPEC §6) and says which unapplied bonuses it
// consumed. Every known bonus type is consumed, including paid_day_off and
// telegram_premium (no money; the row stays for the admin with its Shift ID);
// a row of unknown type is left unapplied for the admin to fix. percent_prev
// and percent_all are consumed even when no matching shift exists (money 0),
// as in the original.
func Compute(in ShiftInput) (Result, error) {
	var r Result
	h, pay, err := hours(in.ClockIn, in.ClockOut, in.Settings.HourlyWage)
	if err != nil {
		return r, err
	}
	seen := map[string]bool{}
	total := decimal.Zero
	for _, p := range in.Products {
		if p.Amount.IsNegative() {
			return r, fmt.Errorf("product %q amount %s: %w", p.Product, p.Amount, ErrNegativeAmount)
		}
		if seen[p.Product] {
			return r, fmt.Errorf("product %q: %w", p.Product, ErrDuplicate)
		}
		seen[p.Product] = true
		total = total.Add(p.Amount)
	}
	keep := decimal.NewFromInt(1).Sub(in.CommissionRate)
	mine := amounts(in.Products)

	var pctBonuses []Bonus
	money := decimal.Zero
	for _, b := range in.Bonuses {
		a := AppliedBonus{Bonus: b, Money: decimal.Zero}
		switch normType(b.Type) {
		case PercentNext, DoubleCommission:
			pctBonuses = append(pctBonuses, b)
		case Flat, FlatImmediate:
			a.Money = cents(b.Value)
		case PercentPrev:
			a.Product, a.Shifts, a.Money = percentPrev(in, mine, b.Value, keep)
		case PercentAll:
			a.Product, a.Shifts, a.Money = percentAll(in, mine, b.Value, keep)
		case PaidDayOff, TelegramPremium:
		default:
			continue
		}
		money = money.Add(a.Money)
		r.Applied = append(r.Applied, a)
	}

	net := total.Mul(keep)
	r.WorkedHours, r.TotalPerHour = cents(h), cents(pay)
	r.TotalSales, r.NetSales = cents(total), cents(net)
	r.BaseCommission = in.Settings.SalesCommission
	r.DynamicRate = DynamicRate(in.Rates, total)
	pct, bonusPct, doubled := commissionPercent(r.BaseCommission, r.DynamicRate, pctBonuses)
	r.BonusPercent, r.Doubled = bonusPct, doubled
	r.CommissionPercent = cents(pct)
	r.Commissions = cents(net.Mul(pct).Div(hundred))
	r.BonusMoney = money
	r.TotalMade = r.Commissions.Add(r.TotalPerHour).Add(r.BonusMoney)
	return r, nil
}

// percentPrev: the latest earlier shift of another employee that sold a
// product this shift also sold; of the common products the one with the
// largest amount in that shift; money = amount × (1 − COMMISSION_RATE) ×
// value / 100 (SPEC §6). "Earlier" and "latest" go by clock in, like
// percent_all's "started before"; ties by later Date, then higher ID.
func percentPrev(in ShiftInput, mine map[string]decimal.Decimal, value, keep decimal.Decimal) (string, []int64, decimal.Decimal) {
	soldByMe := func(p string) bool { return mine[p].IsPositive() }
	var prev *OtherShift
	for i := range in.Others {
		o := &in.Others[i]
		if o.EmployeeID == in.EmployeeID || !o.ClockIn.Before(in.ClockIn) {
			continue
		}
		if p, _ := largest(amounts(o.Products), soldByMe); p == "" {
			continue
		}
		if prev == nil || laterShift(o, prev) {
			prev = o
		}
	}
	if prev == nil {
		return "", nil, decimal.Zero
	}
	p, amt := largest(amounts(prev.Products), soldByMe)
	return p, []int64{prev.ID}, cents(amt.Mul(keep).Mul(value).Div(hundred))
}

func laterShift(a, b *OtherShift) bool {
	switch {
	case !a.ClockIn.Equal(b.ClockIn):
		return a.ClockIn.After(b.ClockIn)
	case !a.Date.Equal(b.Date):
		return a.Date.After(b.Date)
	default:
		return a.ID > b.ID
	}
}

// percentAll: the product with the largest amount in this shift; money = its
// net sales over other employees' shifts with the same Date day that started
// before this one × value / 100 (SPEC §6).
func percentAll(in ShiftInput, mine map[string]decimal.Decimal, value, keep decimal.Decimal) (string, []int64, decimal.Decimal) {
	p, _ := largest(mine, func(string) bool { return true })
	if p == "" {
		return "", nil, decimal.Zero
	}
	y, m, d := in.Date.Date()
	sum := decimal.Zero
	var ids []int64
	for _, o := range in.Others {
		oy, om, od := o.Date.Date()
		if o.EmployeeID == in.EmployeeID || oy != y || om != m || od != d || !o.ClockIn.Before(in.ClockIn) {
			continue
		}
		if a := amounts(o.Products)[p]; a.IsPositive() {
			sum = sum.Add(a)
			ids = append(ids, o.ID)
		}
	}
	return p, ids, cents(sum.Mul(keep).Mul(value).Div(hundred))
}

// StoredShift is a saved shift as the Shifts tab holds it, plus the bonuses
// applied to it (ActiveBonuses rows with Applied = true and its Shift ID).
type StoredShift struct {
	ClockIn, ClockOut time.Time
	WorkedHours       decimal.Decimal
	TotalSales        decimal.Decimal
	NetSales          decimal.Decimal
	CommissionPercent decimal.Decimal
	TotalPerHour      decimal.Decimal
	Commissions       decimal.Decimal
	TotalMade         decimal.Decimal
	Applied           []Bonus
}

// keptMoney is the bonus money already in the stored shift: whatever Total
// made holds beyond commissions and pay. It cannot be recomputed from the
// bonus rows (percent_prev/percent_all store a percent, not dollars), and it
// also keeps a rank-up flat_immediate and any amount the admin typed in.
func (s StoredShift) keptMoney() decimal.Decimal {
	return s.TotalMade.Sub(s.Commissions).Sub(s.TotalPerHour)
}

// RecomputeClock reprices a stored shift after a clock in or clock out edit
// (SPEC §4, §6): worked hours, total per hour (with the current wage) and
// total made change; sales, commission % and commissions stay as stored, and
// so does the bonus money. DynamicRate is what the stored % implies beyond
// base and bonus points, so the breakdown adds up.
func RecomputeClock(s StoredShift, clockIn, clockOut time.Time, set Settings) (Result, error) {
	h, pay, err := hours(clockIn, clockOut, set.HourlyWage)
	if err != nil {
		return Result{}, err
	}
	r := Result{
		WorkedHours: cents(h), TotalPerHour: cents(pay),
		TotalSales: s.TotalSales, NetSales: s.NetSales,
		BaseCommission:    set.SalesCommission,
		CommissionPercent: s.CommissionPercent, Commissions: s.Commissions,
		BonusMoney: s.keptMoney(),
	}
	_, r.BonusPercent, r.Doubled = commissionPercent(decimal.Zero, decimal.Zero, s.Applied)
	undoubled := s.CommissionPercent
	for range r.Doubled {
		undoubled = undoubled.Div(decimal.NewFromInt(2))
	}
	r.DynamicRate = undoubled.Sub(r.BaseCommission).Sub(r.BonusPercent)
	r.TotalMade = r.Commissions.Add(r.TotalPerHour).Add(r.BonusMoney)
	return r, nil
}

// RecomputeSales reprices a stored shift after its Total sales was edited
// (SPEC §4, §6): net sales, dynamic rate, commission % (current base, plus the
// percent_next and double_commission bonuses applied to this shift),
// commissions and total made change; hours, pay and bonus money stay as stored.
func RecomputeSales(s StoredShift, totalSales decimal.Decimal, set Settings, rates []RateRow, commissionRate decimal.Decimal) (Result, error) {
	if totalSales.IsNegative() {
		return Result{}, fmt.Errorf("total sales %s: %w", totalSales, ErrNegativeAmount)
	}
	net := totalSales.Mul(decimal.NewFromInt(1).Sub(commissionRate))
	r := Result{
		WorkedHours: s.WorkedHours, TotalPerHour: s.TotalPerHour,
		TotalSales: cents(totalSales), NetSales: cents(net),
		BaseCommission: set.SalesCommission,
		DynamicRate:    DynamicRate(rates, totalSales),
		BonusMoney:     s.keptMoney(),
	}
	pct, bonusPct, doubled := commissionPercent(r.BaseCommission, r.DynamicRate, s.Applied)
	r.BonusPercent, r.Doubled = bonusPct, doubled
	r.CommissionPercent = cents(pct)
	r.Commissions = cents(net.Mul(pct).Div(hundred))
	r.TotalMade = r.Commissions.Add(r.TotalPerHour).Add(r.BonusMoney)
	return r, nil
}

// CommissionBreakdown renders the Commission % line of the shift summary
// (SPEC §4): "10.00% (8.0% base + 2.0% dynamic)", "+ N% bonus" when
// percent_next points applied, ", ×2" when doubled. A zero dynamic part is
// left out, as in the original.
func CommissionBreakdown(r Result) string {
	var b strings.Builder
	b.WriteString(r.CommissionPercent.StringFixed(2) + "% (" + points(r.BaseCommission) + "% base")
	switch {
	case r.DynamicRate.IsPositive():
		b.WriteString(" + " + points(r.DynamicRate) + "% dynamic")
	case r.DynamicRate.IsNegative():
		b.WriteString(" - " + points(r.DynamicRate.Neg()) + "% dynamic")
	}
	if !r.BonusPercent.IsZero() {
		b.WriteString(" + " + points(r.BonusPercent) + "% bonus")
	}
	if r.Doubled > 0 {
		fmt.Fprintf(&b, ", ×%d", 1<<r.Doubled)
	}
	b.WriteString(")")
	return b.String()
}

// points prints percentage points with one decimal like the original
// ("8.0"), or two when one would hide a digit ("8.25").
func points(d decimal.Decimal) string {
	d = d.Round(2)
	if d.Equal(d.Round(1)) {
		return d.StringFixed(1)
	}
	return d.StringFixed(2)
}
