package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrate applies, in order and each in its own transaction, every numbered
// migration not yet recorded in schema_migrations. Either binary may be first
// to open a new file; the write lock taken at BEGIN makes the race harmless.
// An up-to-date database is only read: opening it takes no write lock, which
// a throttled process could otherwise hold while it is descheduled.
func (db *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: list: %w", err)
	}
	sort.Strings(names)
	applied, err := db.appliedMigrations(ctx)
	if err != nil {
		return err
	}
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migrate: %s: name must start with a number: %w", base, err)
		}
		if applied[version] {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("migrate: read %s: %w", base, err)
		}
		err = db.Update(ctx, func(tx *Tx) error {
			if _, err := tx.Exec(ctx, sqlMigrationsTable); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM schema_migrations WHERE version = ?", version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil // the other process was first
			}
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version) VALUES (?)", version)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate: apply %s: %w", base, err)
		}
	}
	return nil
}

const sqlMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (datetime('now')))`

// appliedMigrations reads the versions already applied, without a write
// lock; none on a new file.
func (db *DB) appliedMigrations(ctx context.Context) (map[int]bool, error) {
	out := map[int]bool{}
	var exists int
	if err := db.w.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").Scan(&exists); err != nil {
		return nil, fmt.Errorf("migrate: read schema: %w", err)
	}
	if exists == 0 {
		return out, nil
	}
	rows, err := db.w.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("migrate: read applied versions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("migrate: read applied versions: %w", err)
		}
		out[v] = true
	}
	return out, rows.Err()
}
