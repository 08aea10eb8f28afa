-- The bot's own tables (SPEC §4). They are not synced: the worker never reads
-- or writes them, and they live here only because migrations run in one place.

-- Named values of the bot, e.g. the next getUpdates offset ("offset").
CREATE TABLE bot_state (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Updates of the batch in hand that were already applied. The offset moves
-- past a batch only once all of it is handled; after a crash mid-batch
-- Telegram returns the batch again and these ids are skipped, so no update is
-- applied twice. Rows below the stored offset are deleted with it.
CREATE TABLE bot_updates (
    update_id INTEGER PRIMARY KEY
);

-- Where each user is in the conversation, so a restart carries on.
CREATE TABLE bot_conversations (
    user_id    INTEGER PRIMARY KEY,
    step       TEXT NOT NULL,
    draft      TEXT NOT NULL DEFAULT '{}', -- JSON: what the user chose so far
    keyboards  TEXT NOT NULL DEFAULT '[]', -- JSON: ids of messages whose inline keyboard is live
    updated_at TEXT NOT NULL
);

-- percent_prev looks for the latest earlier shift by clock in (SPEC §6).
CREATE INDEX shifts_clock_in ON shifts (clock_in);
