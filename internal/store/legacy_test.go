package store_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"shiftbot/internal/store"
)

// pythonSchema is the Python version's cache schema (v2.1.0), reduced to
// what recognising it depends on, with rows as that version left them.
const pythonSchema = `
CREATE TABLE _schema_metadata (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
INSERT INTO _schema_metadata (key, value) VALUES ('schema_version', '1');
CREATE TABLE employee_settings (employee_id INTEGER PRIMARY KEY, hourly_wage REAL NOT NULL DEFAULT 15.0,
  sales_commission REAL NOT NULL DEFAULT 8.0, last_synced_at TIMESTAMP, last_modified_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  source TEXT DEFAULT 'sheets', sync_status TEXT DEFAULT 'synced', version INTEGER DEFAULT 1);
CREATE INDEX idx_employee_settings_sync ON employee_settings(sync_status, last_modified_at);
INSERT INTO employee_settings (employee_id, hourly_wage, sales_commission) VALUES (101, 15.0, 8.0), (102, 17.5, 10.0);
CREATE TABLE dynamic_rates (id INTEGER PRIMARY KEY AUTOINCREMENT, min_amount REAL NOT NULL, max_amount REAL NOT NULL,
  percentage REAL NOT NULL, last_synced_at TIMESTAMP, last_modified_at TIMESTAMP, source TEXT, sync_status TEXT, version INTEGER);
INSERT INTO dynamic_rates (min_amount, max_amount, percentage) VALUES (0, 499.99, 0), (500, 999.99, 2);
CREATE TABLE ranks (id INTEGER PRIMARY KEY AUTOINCREMENT, rank_name TEXT NOT NULL UNIQUE, min_amount REAL NOT NULL,
  max_amount REAL NOT NULL, bonus_1 TEXT, bonus_2 TEXT, bonus_3 TEXT, text TEXT, last_synced_at TIMESTAMP,
  last_modified_at TIMESTAMP, source TEXT, sync_status TEXT, version INTEGER);
CREATE INDEX idx_ranks_name ON ranks(rank_name);
INSERT INTO ranks (rank_name, min_amount, max_amount) VALUES ('Rookie', 0, 1999.99);
CREATE TABLE sync_log (id INTEGER PRIMARY KEY AUTOINCREMENT, table_name TEXT NOT NULL, operation TEXT NOT NULL,
  record_id TEXT NOT NULL, status TEXT NOT NULL, error_message TEXT, timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
INSERT INTO sync_log (table_name, operation, record_id, status) VALUES ('ranks', 'pull', 'Rookie', 'success');
`

// MakePythonDB writes a database file as the Python version left it.
func makePythonDB(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(pythonSchema); err != nil {
		t.Fatal(err)
	}
}

func TestOpenAdoptsPythonDatabaseKeepingItsTables(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "data", "reference_data.db")
	makePythonDB(t, path)

	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if db.Adopted == nil || len(db.Adopted.Renamed) != 5 {
		t.Fatalf("Adopted = %+v, want the five Python tables moved aside", db.Adopted)
	}
	if fi, err := os.Stat(db.Adopted.Backup); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("backup %s: %v", db.Adopted.Backup, err)
	}
	var wage float64
	if err := db.Read().QueryRow("SELECT hourly_wage FROM legacy_v2_employee_settings WHERE employee_id = 102").Scan(&wage); err != nil || wage != 17.5 {
		t.Errorf("old data: %v, %v", wage, err)
	}
	// The new schema is in place and empty until the first pull.
	var n int
	if err := db.Read().QueryRow("SELECT count(*) FROM employee_settings").Scan(&n); err != nil || n != 0 {
		t.Errorf("new employee_settings: %d rows, %v", n, err)
	}
	db.Close()

	// A second start changes nothing more.
	db, err = store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Adopted != nil {
		t.Errorf("second open adopted again: %+v", db.Adopted)
	}
	if err := db.Read().QueryRow("SELECT count(*) FROM legacy_v2_sync_log").Scan(&n); err != nil || n != 1 {
		t.Errorf("legacy sync_log: %d rows, %v", n, err)
	}
}
