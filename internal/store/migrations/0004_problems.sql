-- What needs a person: problems the worker found (SPEC §3 "Records", §8, §11).
-- A problem is open while resolved_at is NULL. The worker opens one when it
-- starts (a row starts being rejected, a tab is skipped, appends are held) and
-- resolves it when it is gone, so each is reported once, not once per cycle.
-- Events that have no end (a conflict) are opened and resolved at once.
CREATE TABLE sync_problems (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,             -- reject, skipped_tab, held_appends, stale_pending, conflict
    tab         TEXT NOT NULL DEFAULT '',
    subject     TEXT NOT NULL DEFAULT '',  -- what identifies it within kind and tab (a row's digest, a key)
    message     TEXT NOT NULL DEFAULT '',  -- for people: tab, row, column, value, reason
    started_at  TEXT NOT NULL,
    resolved_at TEXT
);
CREATE UNIQUE INDEX sync_problems_open ON sync_problems (kind, tab, subject) WHERE resolved_at IS NULL;
CREATE INDEX sync_problems_resolved ON sync_problems (resolved_at);

-- Conflicts, deletions and renumberings are kept 90 days whatever else is
-- logged; pruning finds them by operation and age.
CREATE INDEX sync_log_op_at ON sync_log (op, at);
