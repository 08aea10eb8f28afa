package hybrid

import (
	"context"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"shiftbot/internal/payroll"
	"shiftbot/internal/store"
)

// Stats is the Statistics screen (SPEC §4).
type Stats struct {
	Rank        payroll.Rank    // this month's rank (Name, Emoji)
	MonthSales  decimal.Decimal // Total sales of shifts dated this month
	SincePayDay decimal.Decimal // Total made of shifts dated from the last pay day on
	LastPayDay  time.Time
	NextPayDay  time.Time
}

// PayDays returns the pay day at or before now (00:00 of the 1st or the
// 15th, server time) and the next one after it (SPEC §4).
func PayDays(now time.Time) (last, next time.Time) {
	y, m, d := now.Date()
	loc := now.Location()
	if d >= 15 {
		return time.Date(y, m, 15, 0, 0, 0, 0, loc), time.Date(y, m+1, 1, 0, 0, 0, 0, loc)
	}
	return time.Date(y, m, 1, 0, 0, 0, 0, loc), time.Date(y, m, 15, 0, 0, 0, 0, loc)
}

// Statistics computes the employee's Statistics screen at now.
func (s *Service) Statistics(ctx context.Context, tx *store.Tx, employee int64, now time.Time) (Stats, error) {
	now = now.In(s.cfg.Location)
	var st Stats
	st.LastPayDay, st.NextPayDay = PayDays(now)
	from, to := monthBounds(now)
	var err error
	if st.MonthSales, _, err = s.salesBetween(ctx, tx, employee, from, to); err != nil {
		return st, err
	}
	// "From the last pay day on": no upper bound but the end of the calendar.
	end := time.Date(9999, 12, 31, 0, 0, 0, 0, s.cfg.Location)
	if _, st.SincePayDay, err = s.salesBetween(ctx, tx, employee, st.LastPayDay, end); err != nil {
		return st, err
	}
	ranks, err := s.Ranks(ctx, tx)
	if err != nil {
		return st, err
	}
	st.Rank = payroll.RankFor(ranks, st.MonthSales)
	row, ok, err := tx.GetRow(ctx, store.EmployeeRanks, rankKey(employee, now.Year(), int(now.Month())))
	if err != nil {
		return st, err
	}
	// The month's record wins when there is one: it is what the user was
	// told, and the admin may have set it by hand.
	if name := strings.TrimSpace(row.Values[store.CurrentRank]); ok && name != "" {
		st.Rank = payroll.Rank{Name: name}
		for _, r := range ranks {
			if strings.EqualFold(strings.TrimSpace(r.Name), name) {
				st.Rank = r
			}
		}
	}
	return st, nil
}
