package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"
)

// Values is one row's canonical cell text by field. A missing field and an
// empty one mean the same: an empty cell.
type Values map[Field]string

// Encode is the canonical serialisation of v, a JSON object: empty fields
// dropped, keys sorted. Two rows are equal exactly when their encodings are.
// The pull compares sheet rows with stored bases through it, so it is
// written out by hand rather than through reflection.
func Encode(v Values) string {
	keys := make([]Field, 0, len(v))
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
		b = appendJSONString(b, string(k))
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

// Digest identifies an encoded row or a sheet row's raw cells. Stored as
// SQLite's signed INTEGER; 0 means none.
type Digest uint64

// DigestOf is the digest of a row's values: equal exactly when their
// encodings are, computed without building the encoding.
func DigestOf(v Values) Digest { return digestSorted(v, sortedFields(v, nil)) }

// sortedFields appends v's non-empty fields to buf, sorted.
func sortedFields(v Values, buf []Field) []Field {
	for k, s := range v {
		if s != "" {
			buf = append(buf, k)
		}
	}
	slices.Sort(buf)
	return buf
}

func digestSorted(v Values, keys []Field) Digest {
	var d xxhash.Digest
	d.Reset()
	for _, k := range keys {
		d.WriteString(string(k))
		d.Write(sep[:1])
		d.WriteString(v[k])
		d.Write(sep[1:])
	}
	return Digest(d.Sum64())
}

// sep separates fields and values in DigestOf: bytes no UTF-8 text holds.
var sep = [2]byte{0xfe, 0xff}

// sameBase marks a base equal to the row's values, which is most rows: the
// pull takes them from the sheet as they are. It saves storing every row
// twice.
const sameBase = "="

func (d Digest) arg() any {
	if d == 0 {
		return nil
	}
	return int64(d)
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
		conds[i] = string(k) + " = ?"
	}
	return strings.Join(conds, " AND ")
}

// Row is a synced row with its sync state.
type Row struct {
	Values  Values
	Base    Values    // what Sheets last confirmed; nil if the row never reached it
	Sent    Values    // what an unconfirmed append carried; nil if none
	SentAt  time.Time // when that append went out
	Pending bool
	// SheetDigest is the digest of the sheet row's raw cells when Base was
	// last taken from the sheet; 0 when Base came from a push.
	SheetDigest Digest
}

// Summary is the little the pull needs of every local row to decide which
// sheet rows need a closer look.
type Summary struct {
	BaseDigest  Digest // of Encode(Base); 0 if the row never reached Sheets
	SheetDigest Digest
	Pending     bool
	Sent        bool
}

// HasBase reports whether the row was in Sheets when last synced.
func (s Summary) HasBase() bool { return s.BaseDigest != 0 }

const rowState = "base, sent, sent_at, pending, sheet_digest"

func (t Table) selectSQL() string {
	return fmt.Sprintf("SELECT %s, %s FROM %s", t.columns(), rowState, t.Name)
}

type scanner interface{ Scan(...any) error }

func (t Table) scan(s scanner) (Row, error) {
	cols := make([]sql.NullString, len(t.Fields))
	var base, sent, sentAt sql.NullString
	var sheet sql.NullInt64
	var r Row
	dest := make([]any, 0, len(cols)+6)
	for i := range cols {
		dest = append(dest, &cols[i])
	}
	dest = append(dest, &base, &sent, &sentAt, &r.Pending, &sheet)
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
				r.Values[ProductField(k)] = v
			}
			continue
		}
		if cols[i].String != "" {
			r.Values[f] = cols[i].String
		}
	}
	var err error
	switch {
	case base.String == sameBase:
		r.Base = maps.Clone(r.Values)
	case base.Valid:
		if r.Base, err = Decode(base.String); err != nil {
			return Row{}, fmt.Errorf("column base: %w", err)
		}
	}
	if sent.Valid {
		if r.Sent, err = Decode(sent.String); err != nil {
			return Row{}, fmt.Errorf("column sent: %w", err)
		}
		r.SentAt, _ = time.Parse(timeLayout, sentAt.String)
	}
	r.SheetDigest = Digest(uint64(sheet.Int64))
	return r, nil
}

// Summaries returns every row's key and sync summary, through the read pool:
// the pull reads them without taking the write lock.
func (db *DB) Summaries(ctx context.Context, t Table) (map[string]Summary, error) {
	rows, err := db.r.QueryContext(ctx, fmt.Sprintf(
		"SELECT %s, coalesce(base_digest, CASE WHEN base IS NULL THEN 0 ELSE -1 END), coalesce(sheet_digest, 0), pending, sent IS NOT NULL FROM %s",
		t.keyColumns(), t.Name))
	if err != nil {
		return nil, fmt.Errorf("load %s summaries: %w", t.Name, err)
	}
	defer rows.Close()
	out := make(map[string]Summary)
	keys := make([]sql.NullString, len(t.Key))
	dest := make([]any, 0, len(t.Key)+5)
	for i := range keys {
		dest = append(dest, &keys[i])
	}
	var s Summary
	var base, sheet int64
	dest = append(dest, &base, &sheet, &s.Pending, &s.Sent)
	parts := make([]string, len(t.Key))
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("load %s summaries: %w", t.Name, err)
		}
		for i := range keys {
			parts[i] = keys[i].String
		}
		// A base written before digests were kept (-1) compares unequal to
		// every sheet row, so the pull loads and compares it once.
		s.BaseDigest, s.SheetDigest = Digest(uint64(base)), Digest(uint64(sheet))
		out[strings.Join(parts, KeySep)] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load %s summaries: %w", t.Name, err)
	}
	return out, nil
}

// GetRow loads the row with the given key inside the transaction.
func (tx *Tx) GetRow(ctx context.Context, t Table, key string) (Row, bool, error) {
	st, err := tx.stmt(ctx, t.selectSQL()+" WHERE "+t.keyWhere())
	if err != nil {
		return Row{}, false, fmt.Errorf("load %s row %s: %w", t.Name, key, err)
	}
	return t.one(st.QueryRowContext(ctx, t.keyArgs(key)...), key)
}

// GetRow loads the row with the given key through the read pool.
func (db *DB) GetRow(ctx context.Context, t Table, key string) (Row, bool, error) {
	return t.one(db.r.QueryRowContext(ctx, t.selectSQL()+" WHERE "+t.keyWhere(), t.keyArgs(key)...), key)
}

func (t Table) one(row *sql.Row, key string) (Row, bool, error) {
	r, err := t.scan(row)
	if errors.Is(err, sql.ErrNoRows) {
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
	return t.query(ctx, db.r, t.selectSQL()+" WHERE pending = 1 ORDER BY "+t.keyColumns())
}

// AllRows returns every row of t in key order.
func (db *DB) AllRows(ctx context.Context, t Table) ([]Row, error) {
	return t.query(ctx, db.r, t.selectSQL()+" ORDER BY "+t.keyColumns())
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

// PutRow inserts or replaces the row with r's key. A row
// that stays pending keeps the time it first became pending (changed_at), so
// the oldest pending age is true; edited_at is the time of this write.
// Writing a field the table does not have is an error.
func (tx *Tx) PutRow(ctx context.Context, t Table, r Row) error {
	args, err := t.rowArgs(r)
	if err == nil {
		var st *sql.Stmt
		if st, err = tx.stmt(ctx, putSQL(t)); err == nil {
			_, err = st.ExecContext(ctx, args...)
		}
	}
	if err != nil {
		return fmt.Errorf("write %s row %s: %w", t.Name, t.KeyOf(r.Values), err)
	}
	return nil
}

// InsertNew inserts r only if no row has its key, and reports whether it
// did: the pull's cheap path for rows it saw nowhere locally, which the bot
// may still have written since.
func (tx *Tx) InsertNew(ctx context.Context, t Table, r Row) (bool, error) {
	args, err := t.rowArgs(r)
	var res sql.Result
	if err == nil {
		var st *sql.Stmt
		if st, err = tx.stmt(ctx, insertSQL(t)); err == nil {
			res, err = st.ExecContext(ctx, args...)
		}
	}
	if err != nil {
		return false, fmt.Errorf("insert %s row %s: %w", t.Name, t.KeyOf(r.Values), err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// rowArgs are the arguments of putSQL and insertSQL for r.
func (t Table) rowArgs(r Row) ([]any, error) {
	var buf [32]Field
	keys := sortedFields(r.Values, buf[:0])
	set := fieldSets[t.Name]
	for _, f := range keys {
		if !set[f] && !t.Has(f) {
			return nil, fmt.Errorf("table %s has no field %q", t.Name, f)
		}
	}
	// Most rows the pull writes have a base equal to their values (the
	// same map): no second check, digest from the same keys, no copy.
	same := r.Base != nil && (sameMap(r.Base, r.Values) || maps.Equal(r.Base, r.Values))
	if !same {
		if err := t.check(r.Base); err != nil {
			return nil, err
		}
	}
	if err := t.check(r.Sent); err != nil {
		return nil, err
	}
	args := make([]any, 0, len(t.Fields)+8)
	for _, f := range t.Fields {
		if f == t.MapField {
			args = append(args, productsJSON(r.Values, keys))
			continue
		}
		args = append(args, r.Values[f])
	}
	var base, baseDigest, sentAt, pendingAt any
	switch {
	case same:
		base, baseDigest = sameBase, digestSorted(r.Values, keys).arg()
	case r.Base != nil:
		base, baseDigest = Encode(r.Base), DigestOf(r.Base).arg()
	}
	if r.Sent != nil {
		sentAt = stamp(r.SentAt)
	}
	if r.Pending {
		pendingAt = stamp(time.Now())
	}
	return append(args, base, baseDigest, nullable(r.Sent), sentAt, r.Pending, r.SheetDigest.arg(), pendingAt, pendingAt), nil
}

// sameMap reports whether a and b are one map.
func sameMap(a, b Values) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// productsJSON is the JSON object of a row's product fields, keys sorted
// (keys are v's non-empty fields, sorted), written by hand like Encode: a
// pull writes it for every shift.
func productsJSON(v Values, keys []Field) string {
	b := make([]byte, 0, 64)
	b = append(b, '{')
	for _, k := range keys {
		p, ok := ProductOf(k)
		if !ok {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = appendJSONString(b, p)
		b = append(b, ':')
		b = appendJSONString(b, v[k])
	}
	return string(append(b, '}'))
}

// putSQLs and insertSQLs hold the statements of each synced table, built
// once: a pull writes thousands of rows through them.
var putSQLs, insertSQLs = func() (map[string]string, map[string]string) {
	put, ins := map[string]string{}, map[string]string{}
	for _, t := range Synced {
		put[t.Name], ins[t.Name] = t.putSQL(), t.insertSQL()
	}
	return put, ins
}()

func putSQL(t Table) string {
	if q, ok := putSQLs[t.Name]; ok {
		return q
	}
	return t.putSQL()
}

func insertSQL(t Table) string {
	if q, ok := insertSQLs[t.Name]; ok {
		return q
	}
	return t.insertSQL()
}

const rowStateColumns = ", base, base_digest, sent, sent_at, pending, sheet_digest, changed_at, edited_at"

func (t Table) insertSQL() string {
	n := len(t.Fields) + 8
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT DO NOTHING",
		t.Name, t.columns()+rowStateColumns, strings.TrimSuffix(strings.Repeat("?, ", n), ", "))
}

func (t Table) putSQL() string {
	cols := t.columns() + rowStateColumns
	n := len(t.Fields) + 8
	sets := make([]string, 0, n)
	for _, f := range t.Fields {
		sets = append(sets, string(f)+" = excluded."+string(f))
	}
	sets = append(sets, "base = excluded.base", "base_digest = excluded.base_digest", "sent = excluded.sent",
		"sent_at = excluded.sent_at", "pending = excluded.pending", "sheet_digest = excluded.sheet_digest",
		fmt.Sprintf("changed_at = CASE WHEN excluded.pending = 0 THEN NULL ELSE coalesce(%s.changed_at, excluded.changed_at) END", t.Name),
		// edited_at moves only when the values do: recording what an append
		// carried, or marking a row synced, is not an edit that needs a
		// prompt cycle.
		fmt.Sprintf("edited_at = CASE WHEN excluded.pending = 0 THEN NULL WHEN %s THEN coalesce(%s.edited_at, excluded.edited_at) ELSE excluded.edited_at END",
			t.sameValues("excluded"), t.Name))
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO UPDATE SET %s",
		t.Name, cols, strings.TrimSuffix(strings.Repeat("?, ", n), ", "), t.keyColumns(), strings.Join(sets, ", "))
}

// sameValues is an SQL condition: the stored row's domain columns equal
// those of other.
func (t Table) sameValues(other string) string {
	conds := make([]string, len(t.Fields))
	for i, f := range t.Fields {
		conds[i] = fmt.Sprintf("%s.%s IS %s.%s", t.Name, f, other, f)
	}
	return "(" + strings.Join(conds, " AND ") + ")"
}

// DeleteAll deletes every row of t.
func (tx *Tx) DeleteAll(ctx context.Context, t Table) error {
	if _, err := tx.Exec(ctx, "DELETE FROM "+t.Name); err != nil {
		return fmt.Errorf("delete all %s rows: %w", t.Name, err)
	}
	return nil
}

func nullable(v Values) any {
	if v == nil {
		return nil
	}
	return Encode(v)
}

// SetSheetDigest records the raw digest of the sheet row that matches the
// row's base as it is (base_digest unchanged), so the next pull recognises
// the sheet row without decoding it.
func (tx *Tx) SetSheetDigest(ctx context.Context, t Table, key string, base, sheet Digest) error {
	st, err := tx.stmt(ctx, "UPDATE "+t.Name+" SET sheet_digest = ? WHERE "+t.keyWhere()+" AND base_digest = ?")
	if err == nil {
		_, err = st.ExecContext(ctx, append([]any{sheet.arg()}, append(t.keyArgs(key), base.arg())...)...)
	}
	if err != nil {
		return fmt.Errorf("record sheet digest of %s row %s: %w", t.Name, key, err)
	}
	return nil
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
			if ts, err := time.Parse(timeLayout, at.String); err == nil && (oldest.IsZero() || ts.Before(oldest)) {
				oldest = ts
			}
		}
	}
	return n, oldest, nil
}

// RenumberShiftRefs points bonus rows that named shift oldID at newID, and
// marks them pending so Sheets follows.
func (tx *Tx) RenumberShiftRefs(ctx context.Context, oldID, newID string) error {
	now := stamp(time.Now())
	_, err := tx.tx.ExecContext(ctx, `UPDATE active_bonuses SET shift_id = ?, pending = 1,
		changed_at = coalesce(changed_at, ?), edited_at = ? WHERE shift_id = ?`, newID, now, now, oldID)
	if err != nil {
		return fmt.Errorf("renumber bonus references of shift %s: %w", oldID, err)
	}
	return nil
}

// EditedSince counts pending rows written at or after t: new work for the
// worker since its last cycle started, including an edit of a row while that
// row was being pushed. It costs no Google request and, through the partial
// indexes on pending rows, almost nothing locally.
func (db *DB) EditedSince(ctx context.Context, t time.Time) (int, error) {
	since := stamp(t)
	n := 0
	for _, tb := range Synced {
		var c int
		if err := db.r.QueryRowContext(ctx, "SELECT count(*) FROM "+tb.Name+" WHERE pending = 1 AND edited_at >= ?", since).Scan(&c); err != nil {
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

// The id high-water marks (SPEC §3): a new id is above every id ever seen in
// the sheet or locally, rejected and deleted rows included.
func idFloorName(t Table) string { return "id_floor:" + t.Name }

// NextID allocates a new id for t: one above both the largest local id and
// the high-water mark, which it raises, so an id is never handed out twice
// even after its row was deleted.
func (tx *Tx) NextID(ctx context.Context, t Table) (int64, error) {
	var local, floor int64
	err := tx.QueryRow(ctx, fmt.Sprintf(`SELECT coalesce((SELECT max(%s) FROM %s), 0),
		coalesce((SELECT CAST(value AS INTEGER) FROM sync_state WHERE name = ?), 0)`, t.Key[0], t.Name), idFloorName(t)).Scan(&local, &floor)
	if err != nil {
		return 0, fmt.Errorf("allocate %s id: %w", t.Name, err)
	}
	id := max(local, floor) + 1
	if err := tx.SetState(ctx, idFloorName(t), strconv.FormatInt(id, 10)); err != nil {
		return 0, fmt.Errorf("allocate %s id: %w", t.Name, err)
	}
	return id, nil
}

// RaiseIDFloor records that id is taken (seen in the sheet), so NextID never
// hands it out.
func (tx *Tx) RaiseIDFloor(ctx context.Context, t Table, id int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO sync_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE
		SET value = excluded.value WHERE CAST(sync_state.value AS INTEGER) < CAST(excluded.value AS INTEGER)`,
		idFloorName(t), strconv.FormatInt(id, 10))
	if err != nil {
		return fmt.Errorf("raise %s id floor to %d: %w", t.Name, id, err)
	}
	return nil
}
