-- Row identity and the cost of a pull (SPEC §3 "Row identity", "Cost").
-- Every synced table gains:
--   base_digest   digest of base, so the pull compares without reading base
--   sheet_digest  digest of the sheet row's raw cells when base was last taken
--                 from it: an unchanged sheet row is recognised without decoding
--   sent_at       when the unconfirmed append recorded in sent went out: it is
--                 never sent again while Google may still apply it
--   edited_at     when the row last changed while pending: an edit made during
--                 a push still gets a prompt cycle
ALTER TABLE employee_settings ADD COLUMN base_digest INTEGER;
ALTER TABLE employee_settings ADD COLUMN sheet_digest INTEGER;
ALTER TABLE employee_settings ADD COLUMN sent_at TEXT;
ALTER TABLE employee_settings ADD COLUMN edited_at TEXT;
ALTER TABLE dynamic_rates ADD COLUMN base_digest INTEGER;
ALTER TABLE dynamic_rates ADD COLUMN sheet_digest INTEGER;
ALTER TABLE dynamic_rates ADD COLUMN sent_at TEXT;
ALTER TABLE dynamic_rates ADD COLUMN edited_at TEXT;
ALTER TABLE ranks ADD COLUMN base_digest INTEGER;
ALTER TABLE ranks ADD COLUMN sheet_digest INTEGER;
ALTER TABLE ranks ADD COLUMN sent_at TEXT;
ALTER TABLE ranks ADD COLUMN edited_at TEXT;
ALTER TABLE shifts ADD COLUMN base_digest INTEGER;
ALTER TABLE shifts ADD COLUMN sheet_digest INTEGER;
ALTER TABLE shifts ADD COLUMN sent_at TEXT;
ALTER TABLE shifts ADD COLUMN edited_at TEXT;
ALTER TABLE employee_ranks ADD COLUMN base_digest INTEGER;
ALTER TABLE employee_ranks ADD COLUMN sheet_digest INTEGER;
ALTER TABLE employee_ranks ADD COLUMN sent_at TEXT;
ALTER TABLE employee_ranks ADD COLUMN edited_at TEXT;
ALTER TABLE active_bonuses ADD COLUMN base_digest INTEGER;
ALTER TABLE active_bonuses ADD COLUMN sheet_digest INTEGER;
ALTER TABLE active_bonuses ADD COLUMN sent_at TEXT;
ALTER TABLE active_bonuses ADD COLUMN edited_at TEXT;

-- Per tab: the digest of the whole tab as the last completed pull saw it, so
-- an unchanged tab costs one pass of hashing and no database work. NULL when
-- the push wrote to the tab since (the next pull must look again).
CREATE TABLE sync_tabs (
    tab    TEXT PRIMARY KEY,
    digest INTEGER
);

-- Writes to Sheets, recorded before they are sent. Sheets has no conditional
-- write and may apply a request after the client gave up on it, so the next
-- pulls compare what they see with these: a write that landed on another row
-- (rows moved under it) or landed late over a newer one is recognised as the
-- worker's own and repaired. Kept for a few minutes past the longest time
-- Google may take to apply a request.
CREATE TABLE sync_writes (
    id      INTEGER PRIMARY KEY,
    tab     TEXT NOT NULL,
    key     TEXT NOT NULL,            -- the row the write was meant for
    row_num INTEGER NOT NULL,         -- the sheet row it addressed
    cells   TEXT NOT NULL,            -- JSON: field -> value written
    prior   TEXT NOT NULL,            -- JSON: field -> value the pull saw there
    sent_at TEXT NOT NULL,
    state   TEXT NOT NULL DEFAULT 'sent' -- sent (outcome unknown), ok, superseded (a newer write of the row was confirmed)
);
CREATE INDEX sync_writes_tab ON sync_writes (tab, key);
