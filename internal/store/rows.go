package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Table describes one synced table in the terms the sync engine works in:
// rows are maps of canonical text keyed by column name.
type Table struct {
	Name   string   // SQL table
	Key    []string // key columns; DynamicRates uses its row position
	Fields []string // domain columns, key columns included
	// MapField names a JSON-object column that rows expose as one field per
	// entry, "<MapField>:<name>", so each shift product merges as its own cell.
	MapField string
}

// The six synced tables, one per tab of SPEC §2.
var (
	EmployeeSettings = Table{Name: "employee_settings", Key: []string{"employee_id"},
		Fields: []string{"employee_id", "hourly_wage", "sales_commission"}}
	DynamicRates = Table{Name: "dynamic_rates", Key: []string{"pos"},
		Fields: []string{"pos", "min_amount", "max_amount", "percentage"}}
	Ranks = Table{Name: "ranks", Key: []string{"rank_name"},
		Fields: []string{"rank_name", "min_amount", "max_amount", "emoji", "bonus_1", "bonus_2", "bonus_3", "text"}}
	Shifts = Table{Name: "shifts", Key: []string{"id"},
		Fields: []string{"id", "date", "employee_id", "employee_name", "clock_in", "clock_out", "worked_hours",
			"products", "total_sales", "net_sales", "commission_pct", "total_per_hour", "commissions", "total_made"},
		MapField: "products"}
	EmployeeRanks = Table{Name: "employee_ranks", Key: []string{"employee_id", "year", "month"},
		Fields: []string{"employee_id", "year", "month", "current_rank", "previous_rank", "notified", "last_updated"}}
	ActiveBonuses = Table{Name: "active_bonuses", Key: []string{"id"},
		Fields: []string{"id", "employee_id", "bonus_type", "value", "applied", "shift_id", "created_at"}}
)

// Synced lists the six tables.
var Synced = []Table{EmployeeSettings, DynamicRates, Ranks, Shifts, EmployeeRanks, ActiveBonuses}

// Values is one row's canonical cell text by field name. A missing field and
// an empty one mean the same: an empty cell.
type Values map[string]string

// Encode is the canonical serialisation of v, a JSON object: empty fields
// dropped, keys sorted. Two rows are equal exactly when their encodings are.
// The pull compares every sheet row's encoding with the stored base, so this
// is written out by hand rather than through reflection.
func Encode(v Values) string {
	keys := make([]string, 0, len(v))
	for k, s := range v {
		if s != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	b := make([]byte, 0, 32*len(keys)+2)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, v[k])
	}
	return string(append(b, '}'))
}

func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	s = strings.ToValidUTF8(s, "\ufffd")
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// Decode parses an Encode'd row.
func Decode(s string) (Values, error) {
	var v Values
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, err
	}
	return v, nil
}

// KeySep joins the parts of a compound key.
const KeySep = "|"

// KeyOf is the row key of v in table t.
func (t Table) KeyOf(v Values) string {
	if len(t.Key) == 1 {
		return v[t.Key[0]]
	}
	parts := make([]string, len(t.Key))
	for i, k := range t.Key {
		parts[i] = v[k]
	}
	return strings.Join(parts, KeySep)
}

func (t Table) keyArgs(key string) []any {
	parts := []string{key}
	if len(t.Key) > 1 {
		parts = strings.SplitN(key, KeySep, len(t.Key))
	}
	args := make([]any, len(t.Key))
	for i := range t.Key {
		if i < len(parts) {
			args[i] = parts[i]
		}
	}
	return args
}

func (t Table) keyWhere() string {
	conds := make([]string, len(t.Key))
	for i, k := range t.Key {
		conds[i] = k + " = ?"
	}
	return strings.Join(conds, " AND ")
}

// Row is a synced row with its sync state.
type Row struct {
	Values  Values
	Base    Values // what Sheets last confirmed; nil if the row never reached it
	Sent    Values // what an unconfirmed append carried; nil if none
	Pending bool
}

// Summary is the little the pull needs to skip an unchanged row. The base is
// kept as a digest: a pull of 50,000 rows holds every summary at once, and
// the Pi's memory budget is small.
type Summary struct {
	Base    Digest // of Encode(base); zero if HasBase is false
	HasBase bool   // the row was in Sheets when last synced
	Pending bool
	Sent    bool
}

// Digest identifies an encoded row.
type Digest [16]byte

// DigestOf is the digest of an encoded row.
func DigestOf(enc string) Digest {
	sum := sha256.Sum256([]byte(enc))
	return Digest(sum[:16])
}

// Summaries returns every row's key and sync summary.
func (tx *Tx) Summaries(ctx context.Context, t Table) (map[string]Summary, error) {
	rows, err := tx.tx.QueryContext(ctx, fmt.Sprintf("SELECT %s, base, pending, sent IS NOT NULL FROM %s",
		strings.Join(t.Key, ", "), t.Name))
	if err != nil {
		return nil, fmt.Errorf("load %s summaries: %w", t.Name, err)
	}
	defer rows.Close()
	out := make(map[string]Summary)
	keys := make([]sql.NullString, len(t.Key))
	dest := make([]any, 0, len(t.Key)+3)
	for i := range keys {
		dest = append(dest, &keys[i])
	}
	var (
		s    Summary
		base sql.RawBytes
	)
	dest = append(dest, &base, &s.Pending, &s.Sent)
	parts := make([]string, len(t.Key))
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("load %s summaries: %w", t.Name, err)
		}
		for i := range keys {
			parts[i] = keys[i].String
		}
		s.HasBase = base != nil
		s.Base = Digest{}
		if s.HasBase {
			sum := sha256.Sum256(base)
			s.Base = Digest(sum[:16])
		}
		out[strings.Join(parts, KeySep)] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load %s summaries: %w", t.Name, err)
	}
	return out, nil
}

func (t Table) selectSQL() string {
	return fmt.Sprintf("SELECT %s, base, sent, pending FROM %s", strings.Join(t.Fields, ", "), t.Name)
}

type scanner interface{ Scan(...any) error }

func (t Table) scan(s scanner) (Row, error) {
	cols := make([]sql.NullString, len(t.Fields))
	var base, sent sql.NullString
	var r Row
	dest := make([]any, 0, len(cols)+3)
	for i := range cols {
		dest = append(dest, &cols[i])
	}
	dest = append(dest, &base, &sent, &r.Pending)
	if err := s.Scan(dest...); err != nil {
		return Row{}, err
	}
	r.Values = make(Values, len(cols))
	for i, f := range t.Fields {
		if f == t.MapField {
			var m map[string]string
			if cols[i].String != "" {
				if err := json.Unmarshal([]byte(cols[i].String), &m); err != nil {
					return Row{}, fmt.Errorf("column %s: %w", f, err)
				}
			}
			for k, v := range m {
				r.Values[f+":"+k] = v
			}
			continue
		}
		if cols[i].String != "" {
			r.Values[f] = cols[i].String
		}
	}
	var err error
	if base.Valid {
		if r.Base, err = Decode(base.String); err != nil {
			return Row{}, fmt.Errorf("column base: %w", err)
		}
	}
	if sent.Valid {
		if r.Sent, err = Decode(sent.String); err != nil {
			return Row{}, fmt.Errorf("column sent: %w", err)
		}
	}
	return r, nil
}

// GetRow loads the row with the given key.
func (tx *Tx) GetRow(ctx context.Context, t Table, key string) (Row, bool, error) {
	st, err := tx.stmt(ctx, t.selectSQL()+" WHERE "+t.keyWhere())
	if err != nil {
		return Row{}, false, fmt.Errorf("load %s row %s: %w", t.Name, key, err)
	}
	r, err := t.scan(st.QueryRowContext(ctx, t.keyArgs(key)...))
	if err == sql.ErrNoRows {
		return Row{}, false, nil
	}
	if err != nil {
		return Row{}, false, fmt.Errorf("load %s row %s: %w", t.Name, key, err)
	}
	return r, true, nil
}

// PendingRows returns the rows waiting to be pushed, in key order (so new
// rows are appended to the sheet in ID order).
func (db *DB) PendingRows(ctx context.Context, t Table) ([]Row, error) {
	return t.query(ctx, db.r, t.selectSQL()+" WHERE pending = 1 ORDER BY "+strings.Join(t.Key, ", "))
}

// AllRows returns every row of t in key order.
func (db *DB) AllRows(ctx context.Context, t Table) ([]Row, error) {
	return t.query(ctx, db.r, t.selectSQL()+" ORDER BY "+strings.Join(t.Key, ", "))
}

type querier interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

func (t Table) query(ctx context.Context, q querier, query string, args ...any) ([]Row, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", t.Name, err)
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		r, err := t.scan(rows)
		if err != nil {
			return nil, fmt.Errorf("query %s: %w", t.Name, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query %s: %w", t.Name, err)
	}
	return out, nil
}

// PutRow inserts or replaces the row with r's key. A row that stays pending
// keeps the time it first became pending, so the oldest pending age is true.
func (tx *Tx) PutRow(ctx context.Context, t Table, r Row) error {
	args := make([]any, 0, len(t.Fields)+4)
	for _, f := range t.Fields {
		if f == t.MapField {
			m := map[string]string{}
			prefix := f + ":"
			for k, v := range r.Values {
				if strings.HasPrefix(k, prefix) && v != "" {
					m[strings.TrimPrefix(k, prefix)] = v
				}
			}
			b, _ := json.Marshal(m)
			args = append(args, string(b))
			continue
		}
		args = append(args, r.Values[f])
	}
	args = append(args, nullable(r.Base), nullable(r.Sent), r.Pending, time.Now().UTC().Format(time.RFC3339))

	cols := append(append([]string{}, t.Fields...), "base", "sent", "pending", "changed_at")
	sets := make([]string, 0, len(cols))
	for _, c := range cols {
		switch c {
		case "changed_at":
			sets = append(sets, fmt.Sprintf("changed_at = CASE WHEN excluded.pending = 0 THEN NULL ELSE coalesce(%s.changed_at, excluded.changed_at) END", t.Name))
		default:
			sets = append(sets, c+" = excluded."+c)
		}
	}
	query := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO UPDATE SET %s",
		t.Name, strings.Join(cols, ", "), strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", "),
		strings.Join(t.Key, ", "), strings.Join(sets, ", "))
	if !r.Pending {
		args[len(args)-1] = nil
	}
	st, err := tx.stmt(ctx, query)
	if err == nil {
		_, err = st.ExecContext(ctx, args...)
	}
	if err != nil {
		return fmt.Errorf("write %s row %s: %w", t.Name, t.KeyOf(r.Values), err)
	}
	return nil
}

func nullable(v Values) any {
	if v == nil {
		return nil
	}
	return Encode(v)
}

// DeleteRow deletes the row with the given key.
func (tx *Tx) DeleteRow(ctx context.Context, t Table, key string) error {
	if _, err := tx.tx.ExecContext(ctx, "DELETE FROM "+t.Name+" WHERE "+t.keyWhere(), t.keyArgs(key)...); err != nil {
		return fmt.Errorf("delete %s row %s: %w", t.Name, key, err)
	}
	return nil
}

// PendingCount counts pending rows in all synced tables and returns the time
// the oldest became pending (zero when none).
func (db *DB) PendingCount(ctx context.Context) (int, time.Time, error) {
	var n int
	var oldest time.Time
	for _, t := range Synced {
		var c int
		var at sql.NullString
		err := db.r.QueryRowContext(ctx, "SELECT count(*), min(changed_at) FROM "+t.Name+" WHERE pending = 1").Scan(&c, &at)
		if err != nil {
			return 0, time.Time{}, fmt.Errorf("count pending %s: %w", t.Name, err)
		}
		n += c
		if at.Valid {
			if ts, err := time.Parse(time.RFC3339, at.String); err == nil && (oldest.IsZero() || ts.Before(oldest)) {
				oldest = ts
			}
		}
	}
	return n, oldest, nil
}

// RenumberShiftRefs points bonus rows that named shift oldID at newID, and
// marks them pending so Sheets follows.
func (tx *Tx) RenumberShiftRefs(ctx context.Context, oldID, newID string) error {
	_, err := tx.tx.ExecContext(ctx, `UPDATE active_bonuses SET shift_id = ?, pending = 1,
		changed_at = coalesce(changed_at, ?) WHERE shift_id = ?`, newID, time.Now().UTC().Format(time.RFC3339), oldID)
	if err != nil {
		return fmt.Errorf("renumber bonus references of shift %s: %w", oldID, err)
	}
	return nil
}

// PendingSince counts rows that became pending at or after t: new work for
// the worker since its last cycle started. It costs no Google request and,
// through the partial indexes on pending rows, almost nothing locally.
func (db *DB) PendingSince(ctx context.Context, t time.Time) (int, error) {
	since := t.UTC().Truncate(time.Second).Format(time.RFC3339)
	n := 0
	for _, tb := range Synced {
		var c int
		if err := db.r.QueryRowContext(ctx, "SELECT count(*) FROM "+tb.Name+" WHERE pending = 1 AND changed_at >= ?", since).Scan(&c); err != nil {
			return 0, fmt.Errorf("count new pending %s: %w", tb.Name, err)
		}
		n += c
	}
	return n, nil
}

// DataVersion reads SQLite's data_version on conn: it changes whenever
// another connection commits, so polling it notices the bot's writes.
func DataVersion(ctx context.Context, conn *sql.Conn) (int64, error) {
	var v int64
	if err := conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("read data_version: %w", err)
	}
	return v, nil
}
