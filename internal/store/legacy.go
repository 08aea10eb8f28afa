package store

import (
	"context"
	"fmt"
	"os"
	"strings"
)

// The Python version (v2.1.0) kept a cache of three tabs in the same file,
// with table names this schema reuses (SPEC §10). Its tables are moved aside,
// not dropped: the data is rebuilt from Sheets by the next pull.
var legacyTables = []string{"_schema_metadata", "employee_settings", "dynamic_rates", "ranks", "sync_log"}

// LegacyPrefix is put before the Python version's table names.
const LegacyPrefix = "legacy_v2_"

// adoptLegacy recognises a database file created by the Python version (its
// _schema_metadata table, and none of our migrations), copies the file beside
// itself, and renames the old tables. It reports what it did for the caller
// to log; on a file that is not the Python version's it does nothing.
func (db *DB) adoptLegacy(ctx context.Context) (backup string, renamed []string, err error) {
	var n int
	err = db.w.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_schema_metadata'
		AND NOT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')`).Scan(&n)
	if err != nil || n == 0 {
		return "", nil, err
	}
	backup = db.path + ".python-v2.bak"
	if _, err := os.Stat(backup); err == nil {
		return "", nil, fmt.Errorf("adopt Python database: backup %s already exists; move it away first", backup)
	}
	if _, err := db.w.ExecContext(ctx, "VACUUM INTO ?", backup); err != nil {
		return "", nil, fmt.Errorf("adopt Python database: back up to %s: %w", backup, err)
	}
	if err := os.Chmod(backup, 0o600); err != nil {
		return "", nil, fmt.Errorf("adopt Python database: %w", err)
	}
	err = db.Update(ctx, func(tx *Tx) error {
		for _, t := range legacyTables {
			var exists int
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", t).Scan(&exists); err != nil {
				return err
			}
			if exists == 0 {
				continue
			}
			if _, err := tx.Exec(ctx, fmt.Sprintf("ALTER TABLE %s RENAME TO %s%s", t, LegacyPrefix, t)); err != nil {
				return fmt.Errorf("rename %s: %w", t, err)
			}
			renamed = append(renamed, t)
		}
		// Their indexes would collide with nothing of ours, but their names
		// would mislead a person reading the schema.
		rows, err := tx.Query(ctx, "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name LIKE ?", LegacyPrefix+"%")
		if err != nil {
			return err
		}
		var drop []string
		for rows.Next() {
			var name, tbl string
			if err := rows.Scan(&name, &tbl); err != nil {
				rows.Close()
				return err
			}
			if !strings.HasPrefix(name, LegacyPrefix) {
				drop = append(drop, name)
			}
		}
		rows.Close()
		for _, name := range drop {
			if _, err := tx.Exec(ctx, "DROP INDEX "+name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", nil, fmt.Errorf("adopt Python database: %w", err)
	}
	return backup, renamed, nil
}
