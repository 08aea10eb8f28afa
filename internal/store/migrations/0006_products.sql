-- The Products tab (SPEC §11): the list of products the bot offers, in the
-- sheet's order, replaced as a whole like DynamicRates. Empty while the tab
-- is missing: PRODUCTS from the environment is the fallback.
CREATE TABLE product_catalog (
    pos        INTEGER PRIMARY KEY,
    name       TEXT NOT NULL DEFAULT '',
    active     TEXT NOT NULL DEFAULT '',  -- "false" hides the product; anything else shows it
    pending    INTEGER NOT NULL DEFAULT 0,
    base       TEXT,
    sent       TEXT,
    changed_at TEXT,
    base_digest  INTEGER,
    sheet_digest INTEGER,
    sent_at      TEXT,
    edited_at    TEXT
);
