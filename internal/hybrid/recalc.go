package hybrid

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"shiftbot/internal/payroll"
	"shiftbot/internal/store"
)

// RankUpdate is one employee's rank changed by RecalcRanks.
type RankUpdate struct {
	EmployeeID int64
	Name       string // the name on their newest shift, else the id
	From, To   string // rank names; From is "" when the month had no record
}

// RecalcRanks recomputes every employee's rank for the month of now from
// the shifts as they are now (after the admin corrected or deleted some in
// the sheet) and updates the month's EmployeeRanks records, pending for the
// worker (SPEC §11). It grants nothing: no bonus is drawn, no shift changes,
// and the records it changes stay Notified = false, since no rank message
// went out. An employee with shifts but no record gets one, as their next
// shift would have made; only real changes are returned, by name.
func (s *Service) RecalcRanks(ctx context.Context, tx *store.Tx, now time.Time) ([]RankUpdate, error) {
	ready, err := s.Ready(ctx, tx)
	if err != nil {
		return nil, err
	}
	if !ready {
		return nil, ErrNotReady
	}
	ranks, err := s.Ranks(ctx, tx)
	if err != nil || len(ranks) == 0 {
		return nil, err
	}
	now = now.In(s.cfg.Location)
	year, month := now.Year(), int(now.Month())
	sales, err := s.monthSalesByEmployee(ctx, tx, now)
	if err != nil {
		return nil, err
	}
	recorded, err := s.rankRecords(ctx, tx, year, month)
	if err != nil {
		return nil, err
	}
	// Everyone who sold this month, and everyone with a record: an employee
	// whose every shift was deleted falls back to the lowest rank.
	employees := slices.Collect(maps.Keys(sales))
	for _, e := range recorded {
		if _, dup := sales[e]; !dup {
			employees = append(employees, e)
		}
	}
	slices.Sort(employees)
	low := payroll.LowestRank(ranks)
	var out []RankUpdate
	for _, e := range employees {
		to := payroll.RankFor(ranks, sales[e])
		row, exists, err := tx.GetRow(ctx, store.EmployeeRanks, rankKey(e, year, month))
		if err != nil {
			return nil, err
		}
		from := strings.TrimSpace(row.Values[store.CurrentRank])
		if exists && strings.EqualFold(from, to.Name) {
			continue
		}
		if !exists {
			from = ""
			row = store.Row{Values: store.Values{store.EmployeeID: id(e), store.Year: strconv.Itoa(year), store.Month: strconv.Itoa(month)}}
		}
		row.Values[store.CurrentRank] = to.Name
		row.Values[store.PreviousRank] = cmp.Or(from, low.Name)
		row.Values[store.Notified] = "false"
		row.Values[store.LastUpdated] = s.FormatTime(now)
		row.Pending = true
		if err := tx.PutRow(ctx, store.EmployeeRanks, row); err != nil {
			return nil, err
		}
		if !exists && strings.EqualFold(to.Name, low.Name) {
			continue // a first record at the lowest rank changes no one's rank
		}
		name, err := s.employeeName(ctx, tx, e)
		if err != nil {
			return nil, err
		}
		out = append(out, RankUpdate{EmployeeID: e, Name: name, From: from, To: to.Name})
	}
	slices.SortFunc(out, func(a, b RankUpdate) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.EmployeeID, b.EmployeeID))
	})
	return out, nil
}

// monthSalesByEmployee sums Total sales per employee over shifts dated in
// the month of now.
func (s *Service) monthSalesByEmployee(ctx context.Context, tx *store.Tx, now time.Time) (map[int64]decimal.Decimal, error) {
	from, to := monthBounds(now)
	rows, err := tx.Query(ctx, sqlSalesByEmployee, s.FormatTime(from), s.FormatTime(to))
	if err != nil {
		return nil, fmt.Errorf("sum the month's sales: %w", err)
	}
	defer rows.Close()
	out := map[int64]decimal.Decimal{}
	for rows.Next() {
		var e int64
		var v string
		if err := rows.Scan(&e, &v); err != nil {
			return nil, fmt.Errorf("sum the month's sales: %w", err)
		}
		d, err := dec(v)
		if err != nil {
			return nil, fmt.Errorf("sum the month's sales: employee %d total sales %q: %w", e, v, err)
		}
		out[e] = out[e].Add(d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sum the month's sales: %w", err)
	}
	return out, nil
}

func (s *Service) rankRecords(ctx context.Context, tx *store.Tx, year, month int) ([]int64, error) {
	rows, err := tx.Query(ctx, sqlRankRecords, year, month)
	if err != nil {
		return nil, fmt.Errorf("load the month's rank records: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var e int64
		if err := rows.Scan(&e); err != nil {
			return nil, fmt.Errorf("load the month's rank records: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load the month's rank records: %w", err)
	}
	return out, nil
}

// employeeName is the name on the employee's newest shift, else their id.
func (s *Service) employeeName(ctx context.Context, tx *store.Tx, employee int64) (string, error) {
	var name string
	err := tx.QueryRow(ctx, sqlLatestName, employee).Scan(&name)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("look up the name of %d: %w", employee, err)
	}
	return cmp.Or(name, id(employee)), nil
}
