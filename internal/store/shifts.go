package store

import "context"

// ShiftsDated returns the shifts whose Date is in [from, to), in ID order
// (the order they were appended to the sheet). from and to are canonical
// date-times: fixed-width text, which sorts like the time it names. The
// bot's payroll reads a pay period with it (SPEC §11).
func (tx *Tx) ShiftsDated(ctx context.Context, from, to string) ([]Row, error) {
	return Shifts.query(ctx, tx.tx, Shifts.selectSQL()+" WHERE date >= ? AND date < ? ORDER BY id", from, to)
}
