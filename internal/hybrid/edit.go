package hybrid

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"shiftbot/internal/payroll"
	"shiftbot/internal/store"
)

// Edited is a shift after an edit, as the confirmation shows it.
type Edited struct {
	Shift  Shift
	Result payroll.Result // for the Commission % breakdown
	// Rank is the rank change a Total sales edit caused, to announce as
	// after a new shift; nil when there is none (and after clock edits).
	Rank *RankChange
}

// EditClockIn sets a shift's Clock in and reprices it (SPEC §4, §6).
func (s *Service) EditClockIn(ctx context.Context, tx *store.Tx, employee, shiftID int64, in time.Time) (Edited, error) {
	return s.editClock(ctx, tx, employee, shiftID, &in, nil)
}

// EditClockOut sets a shift's Clock out and reprices it.
func (s *Service) EditClockOut(ctx context.Context, tx *store.Tx, employee, shiftID int64, out time.Time) (Edited, error) {
	return s.editClock(ctx, tx, employee, shiftID, nil, &out)
}

// stored loads what the Recompute rules need of a shift.
func (s *Service) stored(ctx context.Context, tx *store.Tx, employee, shiftID int64) (Shift, payroll.StoredShift, payroll.Settings, error) {
	ready, err := s.Ready(ctx, tx)
	if err != nil {
		return Shift{}, payroll.StoredShift{}, payroll.Settings{}, err
	}
	if !ready {
		return Shift{}, payroll.StoredShift{}, payroll.Settings{}, ErrNotReady
	}
	sh, _, err := s.ownShift(ctx, tx, employee, shiftID)
	if err != nil {
		return Shift{}, payroll.StoredShift{}, payroll.Settings{}, err
	}
	applied, err := s.bonuses(ctx, tx, sqlShiftBonuses, shiftID)
	if err != nil {
		return Shift{}, payroll.StoredShift{}, payroll.Settings{}, err
	}
	set, err := s.settings(ctx, tx, employee)
	if err != nil {
		return Shift{}, payroll.StoredShift{}, payroll.Settings{}, err
	}
	st := payroll.StoredShift{
		ClockIn: sh.ClockIn, ClockOut: sh.ClockOut, WorkedHours: sh.WorkedHours,
		TotalSales: sh.TotalSales, NetSales: sh.NetSales, CommissionPercent: sh.CommissionPercent,
		TotalPerHour: sh.TotalPerHour, Commissions: sh.Commissions, TotalMade: sh.TotalMade,
		Applied: applied,
	}
	return sh, st, set, nil
}

// editClock writes only the cells a clock edit changes, so an admin's edit
// of another cell merges cleanly (SPEC §3).
func (s *Service) editClock(ctx context.Context, tx *store.Tx, employee, shiftID int64, in, out *time.Time) (Edited, error) {
	sh, st, set, err := s.stored(ctx, tx, employee, shiftID)
	if err != nil {
		return Edited{}, err
	}
	if in != nil {
		sh.ClockIn = *in
	}
	if out != nil {
		sh.ClockOut = *out
	}
	res, err := payroll.RecomputeClock(st, sh.ClockIn, sh.ClockOut, set)
	if err != nil {
		return Edited{}, fmt.Errorf("edit shift %d: %w", shiftID, err)
	}
	sh.WorkedHours, sh.TotalPerHour, sh.TotalMade = res.WorkedHours, res.TotalPerHour, res.TotalMade
	err = s.updateRow(ctx, tx, store.Shifts, id(shiftID), store.Values{
		store.ClockIn: s.FormatTime(sh.ClockIn), store.ClockOut: s.FormatTime(sh.ClockOut),
		store.WorkedHours: Money(sh.WorkedHours), store.TotalPerHour: Money(sh.TotalPerHour),
		store.TotalMade: Money(sh.TotalMade),
	})
	if err != nil {
		return Edited{}, err
	}
	return Edited{Shift: sh, Result: res}, nil
}

// EditTotalSales sets a shift's Total sales and reprices it, keeping the
// bonuses already applied to it, then checks the month's rank again as
// after a new shift (SPEC §4, §6).
func (s *Service) EditTotalSales(ctx context.Context, tx *store.Tx, employee, shiftID int64, total decimal.Decimal) (Edited, error) {
	sh, st, set, err := s.stored(ctx, tx, employee, shiftID)
	if err != nil {
		return Edited{}, err
	}
	rates, err := s.rates(ctx, tx)
	if err != nil {
		return Edited{}, err
	}
	res, err := payroll.RecomputeSales(st, total, set, rates, s.cfg.CommissionRate)
	if err != nil {
		return Edited{}, fmt.Errorf("edit shift %d: %w", shiftID, err)
	}
	sh.TotalSales, sh.NetSales, sh.CommissionPercent = res.TotalSales, res.NetSales, res.CommissionPercent
	sh.Commissions, sh.TotalMade = res.Commissions, res.TotalMade
	err = s.updateRow(ctx, tx, store.Shifts, id(shiftID), store.Values{
		store.TotalSales: Money(sh.TotalSales), store.NetSales: Money(sh.NetSales),
		store.CommissionPct: Money(sh.CommissionPercent), store.Commissions: Money(sh.Commissions),
		store.TotalMade: Money(sh.TotalMade),
	})
	if err != nil {
		return Edited{}, err
	}
	rank, err := s.evaluateRank(ctx, tx, sh)
	if err != nil {
		return Edited{}, err
	}
	return Edited{Shift: sh, Result: res, Rank: rank}, nil
}
