package hybrid

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"shiftbot/internal/payroll"
	"shiftbot/internal/store"
)

// NewShift is what the user entered.
type NewShift struct {
	EmployeeID        int64
	EmployeeName      string
	ClockIn, ClockOut time.Time
	Products          []payroll.ProductSale // in the order entered
	Now               time.Time             // becomes the shift's Date (SPEC §5)
}

// Finished is a saved shift, as the summary shows it.
type Finished struct {
	// Shift is the shift as computed: a rank-up flat bonus is announced in
	// the rank message and added to the stored Total made afterwards
	// (SPEC §6), so it is not in here.
	Shift  Shift
	Result payroll.Result // breakdown and applied bonuses
	// Rank is the rank change to announce; nil when there is none.
	Rank *RankChange
}

// RankChange is a rank-up or rank-down to announce with ✅ Claim.
type RankChange struct {
	Kind        string // payroll.RankUp or payroll.RankDown
	From, To    payroll.Rank
	Year, Month int
	// BonusCode is the bonus drawn at rank-up ("" when the rank has none);
	// Immediate is the flat amount added to the new shift's Total made.
	BonusCode string
	Immediate decimal.Decimal
}

// FinishShift prices and saves a new shift in one transaction: allocates its
// ID, computes pay (writing a default settings row for a new employee),
// consumes the employee's unapplied bonuses, stores the shift, then
// evaluates the month's rank (SPEC §6). Everything written is pending for
// the worker. ErrNotReady before the worker's first pull.
func (s *Service) FinishShift(ctx context.Context, tx *store.Tx, in NewShift) (Finished, error) {
	ready, err := s.Ready(ctx, tx)
	if err != nil {
		return Finished{}, err
	}
	if !ready {
		return Finished{}, ErrNotReady
	}
	set, err := s.settings(ctx, tx, in.EmployeeID)
	if err != nil {
		return Finished{}, err
	}
	rates, err := s.rates(ctx, tx)
	if err != nil {
		return Finished{}, err
	}
	bonuses, err := s.bonuses(ctx, tx, sqlUnappliedBonuses, in.EmployeeID)
	if err != nil {
		return Finished{}, err
	}
	now := in.Now.In(s.cfg.Location)
	others, err := s.candidates(ctx, tx, in, now, bonuses)
	if err != nil {
		return Finished{}, err
	}
	res, err := payroll.Compute(payroll.ShiftInput{
		EmployeeID: in.EmployeeID, Date: now, ClockIn: in.ClockIn, ClockOut: in.ClockOut,
		Products: in.Products, Settings: set, Rates: rates, CommissionRate: s.cfg.CommissionRate,
		Bonuses: bonuses, Others: others,
	})
	if err != nil {
		return Finished{}, fmt.Errorf("compute shift of employee %d: %w", in.EmployeeID, err)
	}

	// Above every id ever seen, deleted and rejected rows included: a
	// reused id would inherit the old shift's bonuses (SPEC §3).
	shiftID, err := tx.NextID(ctx, store.Shifts)
	if err != nil {
		return Finished{}, err
	}
	sh := Shift{
		ID: shiftID, EmployeeID: in.EmployeeID, EmployeeName: in.EmployeeName,
		Date: now, ClockIn: in.ClockIn, ClockOut: in.ClockOut,
		WorkedHours: res.WorkedHours, TotalSales: res.TotalSales, NetSales: res.NetSales,
		CommissionPercent: res.CommissionPercent, TotalPerHour: res.TotalPerHour,
		Commissions: res.Commissions, TotalMade: res.TotalMade,
	}
	// The summary lists products as the user entered them (the stored row
	// is a map: the sheet's column order decides there).
	sh.Products = slices.Clone(in.Products)
	if err := tx.PutRow(ctx, store.Shifts, store.Row{Values: s.values(sh), Pending: true}); err != nil {
		return Finished{}, err
	}
	for _, a := range res.Applied {
		err := s.updateRow(ctx, tx, store.ActiveBonuses, id(a.Bonus.ID), store.Values{
			store.Applied: "true", store.ShiftID: id(shiftID),
		})
		if err != nil {
			return Finished{}, err
		}
	}

	fin := Finished{Shift: sh, Result: res}
	if fin.Rank, err = s.evaluateRank(ctx, tx, sh); err != nil {
		return Finished{}, err
	}
	return fin, nil
}

// candidates loads the stored shifts percent_prev and percent_all may draw
// on, only when such a bonus is waiting: with 20,000 shifts in the table the
// common case must not read them.
func (s *Service) candidates(ctx context.Context, tx *store.Tx, in NewShift, now time.Time, bonuses []payroll.Bonus) ([]payroll.OtherShift, error) {
	var prev, all bool
	for _, b := range bonuses {
		switch strings.ToLower(strings.TrimSpace(b.Type)) {
		case payroll.PercentPrev:
			prev = true
		case payroll.PercentAll:
			all = true
		}
	}
	var out []payroll.OtherShift
	clockIn := s.FormatTime(in.ClockIn)
	if prev {
		var sold []string
		for _, p := range in.Products {
			if p.Amount.IsPositive() {
				sold = append(sold, p.Product)
			}
		}
		names, _ := json.Marshal(sold) // a slice of strings always marshals
		rows, err := tx.Query(ctx, sqlPrevCandidate, in.EmployeeID, clockIn, string(names))
		if err == nil {
			var got []payroll.OtherShift
			got, err = s.otherShifts(rows)
			out = append(out, got...)
		}
		if err != nil {
			return nil, fmt.Errorf("load percent_prev candidate: %w", err)
		}
	}
	if all {
		day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, s.cfg.Location)
		rows, err := tx.Query(ctx, sqlSameDayOthers, in.EmployeeID, s.FormatTime(day),
			s.FormatTime(day.AddDate(0, 0, 1)), clockIn)
		if err == nil {
			var got []payroll.OtherShift
			got, err = s.otherShifts(rows)
			for _, o := range got {
				// The percent_prev candidate may be among them; once is enough.
				if !slices.ContainsFunc(out, func(p payroll.OtherShift) bool { return p.ID == o.ID }) {
					out = append(out, o)
				}
			}
		}
		if err != nil {
			return nil, fmt.Errorf("load percent_all candidates: %w", err)
		}
	}
	return out, nil
}

// updateRow changes some values of an existing synced row and leaves it
// pending, keeping its sync state (base, sent) for the worker's merge.
func (s *Service) updateRow(ctx context.Context, tx *store.Tx, t store.Table, key string, change store.Values) error {
	row, ok, err := tx.GetRow(ctx, t, key)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("update %s row %s: row not found", t.Name, key)
	}
	for k, v := range change {
		row.Values[k] = v
	}
	row.Pending = true
	return tx.PutRow(ctx, t, row)
}

// salesBetween sums the employee's Total sales and Total made over shifts
// dated in [from, to).
func (s *Service) salesBetween(ctx context.Context, tx *store.Tx, employee int64, from, to time.Time) (sales, made decimal.Decimal, err error) {
	rows, err := tx.Query(ctx, sqlSalesBetween, employee, s.FormatTime(from), s.FormatTime(to))
	if err != nil {
		return sales, made, fmt.Errorf("sum shifts of %d: %w", employee, err)
	}
	defer rows.Close()
	for rows.Next() {
		var ts, tm string
		if err := rows.Scan(&ts, &tm); err != nil {
			return sales, made, fmt.Errorf("sum shifts of %d: %w", employee, err)
		}
		a, err1 := dec(ts)
		b, err2 := dec(tm)
		if err1 != nil || err2 != nil {
			continue // a cell the worker would have rejected; not worth failing a screen
		}
		sales, made = sales.Add(a), made.Add(b)
	}
	if err := rows.Err(); err != nil {
		return sales, made, fmt.Errorf("sum shifts of %d: %w", employee, err)
	}
	return sales, made, nil
}

func monthBounds(t time.Time) (from, to time.Time) {
	from = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, t.Location())
	return from, from.AddDate(0, 1, 0)
}

func rankKey(employee int64, year, month int) string {
	return id(employee) + store.KeySep + fmt.Sprint(year) + store.KeySep + fmt.Sprint(month)
}

// evaluateRank applies SPEC §6 after a shift is created or its Total sales
// edited: the month of the shift's Date decides; the EmployeeRanks record is
// created or updated, and a rank-up draws a bonus (a flat one is added to
// that shift at once).
func (s *Service) evaluateRank(ctx context.Context, tx *store.Tx, sh Shift) (*RankChange, error) {
	ranks, err := s.Ranks(ctx, tx)
	if err != nil || len(ranks) == 0 {
		return nil, err // no Ranks table yet: nothing to decide
	}
	from, to := monthBounds(sh.Date)
	sales, _, err := s.salesBetween(ctx, tx, sh.EmployeeID, from, to)
	if err != nil {
		return nil, err
	}
	key := rankKey(sh.EmployeeID, sh.Date.Year(), int(sh.Date.Month()))
	row, exists, err := tx.GetRow(ctx, store.EmployeeRanks, key)
	if err != nil {
		return nil, err
	}
	var existing *payroll.RankRecord
	if exists {
		existing = &payroll.RankRecord{Current: row.Values[store.CurrentRank], Previous: row.Values[store.PreviousRank],
			Notified: row.Values[store.Notified] == "true"}
	}
	ch := payroll.EvaluateRank(ranks, sales, existing)
	if ch.Kind == payroll.RankNone {
		return nil, nil
	}
	if !exists {
		row = store.Row{Values: store.Values{}}
	}
	row.Values[store.EmployeeID] = id(sh.EmployeeID)
	row.Values[store.Year] = fmt.Sprint(sh.Date.Year())
	row.Values[store.Month] = fmt.Sprint(int(sh.Date.Month()))
	row.Values[store.CurrentRank] = ch.Record.Current
	row.Values[store.PreviousRank] = ch.Record.Previous
	// A silent first record has nothing left to announce.
	row.Values[store.Notified] = fmt.Sprint(ch.Kind == payroll.RankFirst)
	row.Values[store.LastUpdated] = s.FormatTime(sh.Date)
	row.Pending = true
	if err := tx.PutRow(ctx, store.EmployeeRanks, row); err != nil {
		return nil, err
	}
	if ch.Kind == payroll.RankFirst {
		return nil, nil
	}
	rc := &RankChange{Kind: ch.Kind, From: ch.From, To: ch.To, Year: sh.Date.Year(), Month: int(sh.Date.Month())}
	if ch.Kind != payroll.RankUp {
		return rc, nil
	}
	code, ok := payroll.DrawBonus(s.cfg.Rand, ch.To)
	if !ok {
		return rc, nil
	}
	rc.BonusCode = code
	grant, immediate, ok := payroll.RankUpGrant(code)
	if !ok {
		return rc, nil // announced as a special bonus for the admin to honour
	}
	bonusID, err := tx.NextID(ctx, store.ActiveBonuses)
	if err != nil {
		return nil, err
	}
	v := store.Values{
		store.ID: id(bonusID), store.EmployeeID: id(sh.EmployeeID), store.BonusType: grant.Type,
		store.Applied: "false", store.CreatedAt: s.FormatTime(sh.Date),
	}
	if !grant.Value.IsZero() {
		v[store.BonusValue] = Money(grant.Value)
	}
	if immediate {
		v[store.Applied], v[store.ShiftID] = "true", id(sh.ID)
		rc.Immediate = grant.Value.Round(2)
		err := s.updateRow(ctx, tx, store.Shifts, id(sh.ID), store.Values{store.TotalMade: Money(sh.TotalMade.Add(rc.Immediate))})
		if err != nil {
			return nil, err
		}
	}
	if err := tx.PutRow(ctx, store.ActiveBonuses, store.Row{Values: v, Pending: true}); err != nil {
		return nil, err
	}
	return rc, nil
}

// MarkNotified records that the rank message for the month was delivered;
// the bot calls it once Telegram confirmed the message, not when it is
// queued (SPEC §6).
func (s *Service) MarkNotified(ctx context.Context, tx *store.Tx, employee int64, year, month int) error {
	return s.updateRow(ctx, tx, store.EmployeeRanks, rankKey(employee, year, month), store.Values{store.Notified: "true"})
}
