-- data/reference_data.db as the Python version (v2.1.0) leaves it: its
-- cache of three tabs plus a sync log, schema version 1, with sample rows.
-- Tests build a database file from this to show the Go binaries adopting it
-- (SPEC §10). Table and column names are the Python version's; the layout
-- of this file is ours.
CREATE TABLE _schema_metadata (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE employee_settings (
  employee_id INTEGER PRIMARY KEY,
  hourly_wage REAL NOT NULL DEFAULT 15.0,
  sales_commission REAL NOT NULL DEFAULT 8.0,
  last_synced_at TIMESTAMP,
  last_modified_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  source TEXT DEFAULT 'sheets',
  sync_status TEXT DEFAULT 'synced',
  version INTEGER DEFAULT 1
);
CREATE INDEX idx_employee_settings_sync ON employee_settings (sync_status, last_modified_at);
CREATE TABLE dynamic_rates (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  min_amount REAL NOT NULL,
  max_amount REAL NOT NULL,
  percentage REAL NOT NULL,
  last_synced_at TIMESTAMP,
  last_modified_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  source TEXT DEFAULT 'sheets',
  sync_status TEXT DEFAULT 'synced',
  version INTEGER DEFAULT 1,
  CHECK (min_amount <= max_amount),
  CHECK (percentage >= 0 AND percentage <= 100)
);
CREATE INDEX idx_dynamic_rates_range ON dynamic_rates (min_amount, max_amount);
CREATE INDEX idx_dynamic_rates_sync ON dynamic_rates (sync_status, last_modified_at);
CREATE TABLE ranks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  rank_name TEXT NOT NULL UNIQUE,
  min_amount REAL NOT NULL,
  max_amount REAL NOT NULL,
  bonus_1 TEXT,
  bonus_2 TEXT,
  bonus_3 TEXT,
  text TEXT,
  last_synced_at TIMESTAMP,
  last_modified_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  source TEXT DEFAULT 'sheets',
  sync_status TEXT DEFAULT 'synced',
  version INTEGER DEFAULT 1,
  CHECK (min_amount <= max_amount)
);
CREATE INDEX idx_ranks_name ON ranks (rank_name);
CREATE INDEX idx_ranks_range ON ranks (min_amount, max_amount);
CREATE INDEX idx_ranks_sync ON ranks (sync_status, last_modified_at);
CREATE TABLE sync_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  table_name TEXT NOT NULL,
  operation TEXT NOT NULL,
  record_id TEXT NOT NULL,
  status TEXT NOT NULL,
  error_message TEXT,
  timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_sync_log_table_time ON sync_log (table_name, timestamp DESC);

INSERT INTO _schema_metadata (key, value, updated_at) VALUES ('schema_version', '1', '2026-10-01 08:00:00');
INSERT INTO employee_settings (employee_id, hourly_wage, sales_commission, last_synced_at, last_modified_at) VALUES
  (1001, 15.0, 8.0, '2026-11-28T16:55:00', '2026-11-02 22:03:11'),
  (120962578, 17.5, 10.0, '2026-11-28T16:55:00', '2026-10-01 08:00:00'),
  (1003, 18.0, 9.5, '2026-11-28T16:55:00', '2026-10-01 08:00:00');
INSERT INTO dynamic_rates (min_amount, max_amount, percentage, last_synced_at) VALUES
  (0, 499.99, 0, '2026-11-28T16:55:00'),
  (500, 999.99, 2, '2026-11-28T16:55:00'),
  (1000, 1999.99, 4, '2026-11-28T16:55:00'),
  (2000, 999999, 6, '2026-11-28T16:55:00');
INSERT INTO ranks (rank_name, min_amount, max_amount, bonus_1, bonus_2, bonus_3, text, last_synced_at) VALUES
  ('Rookie', 0, 1999.99, 'none', 'none', 'none', 'Keep pushing!', '2026-11-28T16:55:00'),
  ('Hustler', 2000, 3999.99, 'flat_10', 'percent_next_1', 'percent_prev_1', '', '2026-11-28T16:55:00'),
  ('Closer', 4000, 6999.99, 'flat_25', 'percent_next_2', 'flat_15', 'You''re really killing it!', '2026-11-28T16:55:00');
INSERT INTO sync_log (table_name, operation, record_id, status, error_message, timestamp) VALUES
  ('employee_settings', 'pull', 'all', 'success', NULL, '2026-11-28 16:55:00'),
  ('dynamic_rates', 'pull', 'all', 'success', NULL, '2026-11-28 16:55:00'),
  ('ranks', 'pull', 'all', 'failed', 'APIError: [429]: Quota exceeded', '2026-11-28 16:50:00');
