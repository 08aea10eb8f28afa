package hybrid

// The package's SQL, in one place. Synced rows are written only through
// store's Row API (PutRow), which keeps their sync state; these queries only
// read, and only the columns the rules need.
const (
	sqlReady = `SELECT count(*) FROM sync_state WHERE name = ?`

	sqlRates = `SELECT min_amount, max_amount, percentage FROM dynamic_rates ORDER BY pos`

	sqlRanks = `SELECT rank_name, min_amount, max_amount, emoji, bonus_1, bonus_2, bonus_3, text FROM ranks`

	// An admin may leave Applied blank: anything but "true" is unapplied.
	sqlUnappliedBonuses = `SELECT id, bonus_type, value FROM active_bonuses
		WHERE employee_id = ? AND applied != 'true' ORDER BY id`

	sqlShiftBonuses = `SELECT id, bonus_type, value FROM active_bonuses
		WHERE shift_id = ? AND applied = 'true' ORDER BY id`

	// Fixed-width "YYYY/MM/DD HH:MM:SS" text sorts like the time it names.
	sqlSalesBetween = `SELECT total_sales, total_made FROM shifts
		WHERE employee_id = ? AND date >= ? AND date < ?`

	sqlLastShifts = `SELECT id, date FROM shifts WHERE employee_id = ?
		ORDER BY date DESC, id DESC LIMIT ?`

	sqlOwner = `SELECT employee_id FROM shifts WHERE id = ?`

	// percent_prev: the latest earlier shift of another employee that sold
	// one of the given products (?3 is a JSON array of names). payroll makes
	// the final choice; this finds the one candidate it would pick, with
	// the same order (clock in, then Date, then ID).
	sqlPrevCandidate = `SELECT id, employee_id, clock_in, date, products FROM shifts s
		WHERE employee_id != ?1 AND clock_in < ?2 AND EXISTS (
			SELECT 1 FROM json_each(s.products) p
			WHERE p.key IN (SELECT value FROM json_each(?3)) AND CAST(p.value AS REAL) > 0)
		ORDER BY clock_in DESC, date DESC, id DESC LIMIT 1`

	// percent_all: other employees' shifts of the same Date day that started
	// before this one.
	sqlSameDayOthers = `SELECT id, employee_id, clock_in, date, products FROM shifts
		WHERE employee_id != ? AND date >= ? AND date < ? AND clock_in < ?`
)
