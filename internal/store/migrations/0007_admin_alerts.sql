-- The admins' problem alerts (SPEC §11): what each admin has been told, so
-- each problem reaches them once when it starts and once when it is fixed,
-- never once per sync cycle, in at most one digest a minute. Like the tables
-- of 0002 and 0003 they belong to the bot alone; the worker never reads them.

-- One row per admin who has started the bot.
CREATE TABLE bot_admin_alerts (
    admin_id    INTEGER PRIMARY KEY,
    -- The newest sync_problems.id already looked at for this admin: problems
    -- above it are news. Set to the newest at the admin's first digest, so
    -- history from before then is not replayed (problems still open are).
    seen_up_to  INTEGER NOT NULL,
    last_digest TEXT -- when the last digest was queued (UTC, RFC 3339); NULL before the first
);

-- Problems an admin was told have started and not yet that they are fixed.
CREATE TABLE bot_admin_open (
    admin_id INTEGER NOT NULL,
    problem  TEXT    NOT NULL, -- "p<sync_problems.id>", or "worker": the worker's last success is too old
    summary  TEXT    NOT NULL, -- the line that announced it, recalled by its "fixed" line
    PRIMARY KEY (admin_id, problem)
);
