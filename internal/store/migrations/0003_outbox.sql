-- The bot's outbox (SPEC §4): everything an update makes the bot say or
-- change in Telegram is written here in the update's own transaction, and
-- a delivery loop sends it afterwards, at least once, in order per chat. Like
-- the tables of 0002 it belongs to the bot alone; the worker never reads it.
CREATE TABLE bot_outbox (
    -- The position: a chat's items are delivered in id order. AUTOINCREMENT
    -- so an id is never reused, even after the newest row is deleted.
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id      INTEGER NOT NULL,
    kind         TEXT    NOT NULL, -- the Bot API method: sendMessage, editMessageReplyMarkup, answerCallbackQuery, …
    payload      TEXT    NOT NULL, -- JSON: what the method sends (text, keyboard, message id, …)
    -- JSON: what to record, in the transaction that deletes the row, once
    -- Telegram confirmed the call (a live keyboard, a rank's Notified); NULL
    -- for nothing. A row given up on never runs it.
    on_delivered TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL DEFAULT 0, -- unix milliseconds; not before then (back-off, retry_after)
    last_error   TEXT,
    created_at   TEXT    NOT NULL
);

CREATE INDEX bot_outbox_chat ON bot_outbox (chat_id, id);

-- Bumped each time the user moves on to a new step. A message sent for an
-- older generation is out of date on delivery (the user moved on while it
-- waited, e.g. for a 429), so its keyboard is removed instead of becoming live.
ALTER TABLE bot_conversations ADD COLUMN keyboard_gen INTEGER NOT NULL DEFAULT 0;
