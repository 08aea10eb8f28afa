-- Reference and transactional data mirrored from the spreadsheet (SPEC §2).
-- Domain columns hold canonical text (decimals "123.45", booleans "true"/"false",
-- date-times "YYYY/MM/DD HH:MM:SS"); integer ids use INTEGER affinity.
-- Every synced table carries the same sync state:
--   pending  1 while local values differ from what Sheets confirmed
--   base     JSON of the values last seen in / written to Sheets; NULL = never there
--   sent     JSON of the values handed to an append whose outcome is not yet known
--   changed_at  when the row last became pending (for the age of the oldest)

CREATE TABLE employee_settings (
    employee_id      INTEGER PRIMARY KEY,
    hourly_wage      TEXT NOT NULL DEFAULT '',
    sales_commission TEXT NOT NULL DEFAULT '',
    pending    INTEGER NOT NULL DEFAULT 0,
    base       TEXT,
    sent       TEXT,
    changed_at TEXT
);

CREATE TABLE dynamic_rates (
    pos        INTEGER PRIMARY KEY,
    min_amount TEXT NOT NULL DEFAULT '',
    max_amount TEXT NOT NULL DEFAULT '',
    percentage TEXT NOT NULL DEFAULT '',
    pending    INTEGER NOT NULL DEFAULT 0,
    base       TEXT,
    sent       TEXT,
    changed_at TEXT
);

CREATE TABLE ranks (
    rank_name  TEXT PRIMARY KEY,
    min_amount TEXT NOT NULL DEFAULT '',
    max_amount TEXT NOT NULL DEFAULT '',
    emoji      TEXT NOT NULL DEFAULT '',
    bonus_1    TEXT NOT NULL DEFAULT '',
    bonus_2    TEXT NOT NULL DEFAULT '',
    bonus_3    TEXT NOT NULL DEFAULT '',
    text       TEXT NOT NULL DEFAULT '',
    pending    INTEGER NOT NULL DEFAULT 0,
    base       TEXT,
    sent       TEXT,
    changed_at TEXT
);

CREATE TABLE shifts (
    id             INTEGER PRIMARY KEY,
    date           TEXT NOT NULL DEFAULT '',
    employee_id    INTEGER,
    employee_name  TEXT NOT NULL DEFAULT '',
    clock_in       TEXT NOT NULL DEFAULT '',
    clock_out      TEXT NOT NULL DEFAULT '',
    worked_hours   TEXT NOT NULL DEFAULT '',
    products       TEXT NOT NULL DEFAULT '{}', -- JSON object: product name -> amount
    total_sales    TEXT NOT NULL DEFAULT '',
    net_sales      TEXT NOT NULL DEFAULT '',
    commission_pct TEXT NOT NULL DEFAULT '',
    total_per_hour TEXT NOT NULL DEFAULT '',
    commissions    TEXT NOT NULL DEFAULT '',
    total_made     TEXT NOT NULL DEFAULT '',
    pending    INTEGER NOT NULL DEFAULT 0,
    base       TEXT,
    sent       TEXT,
    changed_at TEXT
);
CREATE INDEX shifts_employee_date ON shifts (employee_id, date);
CREATE INDEX shifts_date ON shifts (date);

CREATE TABLE employee_ranks (
    employee_id   INTEGER NOT NULL,
    year          INTEGER NOT NULL,
    month         INTEGER NOT NULL,
    current_rank  TEXT NOT NULL DEFAULT '',
    previous_rank TEXT NOT NULL DEFAULT '',
    notified      TEXT NOT NULL DEFAULT '',
    last_updated  TEXT NOT NULL DEFAULT '',
    pending    INTEGER NOT NULL DEFAULT 0,
    base       TEXT,
    sent       TEXT,
    changed_at TEXT,
    PRIMARY KEY (employee_id, year, month)
);

CREATE TABLE active_bonuses (
    id          INTEGER PRIMARY KEY,
    employee_id INTEGER,
    bonus_type  TEXT NOT NULL DEFAULT '',
    value       TEXT NOT NULL DEFAULT '',
    applied     TEXT NOT NULL DEFAULT '',
    shift_id    INTEGER,
    created_at  TEXT NOT NULL DEFAULT '',
    pending    INTEGER NOT NULL DEFAULT 0,
    base       TEXT,
    sent       TEXT,
    changed_at TEXT
);
CREATE INDEX active_bonuses_employee ON active_bonuses (employee_id, applied);

CREATE INDEX employee_settings_pending ON employee_settings (pending) WHERE pending = 1;
CREATE INDEX ranks_pending ON ranks (pending) WHERE pending = 1;
CREATE INDEX shifts_pending ON shifts (pending) WHERE pending = 1;
CREATE INDEX employee_ranks_pending ON employee_ranks (pending) WHERE pending = 1;
CREATE INDEX active_bonuses_pending ON active_bonuses (pending) WHERE pending = 1;

-- What the worker did, for people: pulls that rejected rows, conflicts, deletions.
CREATE TABLE sync_log (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    tab     TEXT NOT NULL,
    op      TEXT NOT NULL,  -- pull, push, conflict, reject, delete, renumber
    key     TEXT NOT NULL DEFAULT '',
    status  TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT ''
);

-- One row per sync cycle; read by `syncworker --status` and the health check.
CREATE TABLE sync_runs (
    id         INTEGER PRIMARY KEY,
    cycle      INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    ended_at   TEXT,
    ok         INTEGER NOT NULL DEFAULT 0,
    error      TEXT NOT NULL DEFAULT '',
    pulled     INTEGER NOT NULL DEFAULT 0,
    pushed     INTEGER NOT NULL DEFAULT 0,
    rejected   INTEGER NOT NULL DEFAULT 0,
    requests   INTEGER NOT NULL DEFAULT 0
);

-- Small named values shared by both processes (e.g. when the first pull finished).
CREATE TABLE sync_state (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
