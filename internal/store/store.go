// Package store owns the SQLite database both daemons share: its schema and
// numbered migrations, the connection settings that let two processes write to
// one file without "database is locked", and the per-row sync state (pending,
// base, sent) that the sync engine and the bot agree on (SPEC §1, §3).
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3" // the SQLite driver (cgo)
)

// BusyTimeout is how long a writer waits for another process's write
// transaction before failing. Write transactions here last milliseconds
// (a pull writes 200 new rows or 25 merged ones at a time).
const BusyTimeout = 15 * time.Second

// busyPoll is how often a writer that found the lock taken tries again.
// SQLite's own busy handler backs off to 100 ms between tries, so a writer
// could wait through many short transactions of the other process, each
// starting just as it slept; a writer here tries every millisecond and gets
// in at the first gap.
const busyPoll = time.Millisecond

// DB is the shared database: one pool for writes, whose transactions take the
// write lock at BEGIN, and one read-only pool that never blocks on writers.
type DB struct {
	w    *sql.DB
	r    *sql.DB
	path string
	// Adopted is set when this Open found the Python version's database and
	// moved its tables aside (SPEC §10); callers log it.
	Adopted *Adoption
}

// Adoption says what was done to a database file of the Python version.
type Adoption struct {
	Backup  string   // a copy of the file as it was
	Renamed []string // old tables, now named LegacyPrefix+name
}

// Open opens (creating if needed) the database at path, applies pending
// migrations and confirms WAL mode. The file is created readable by its owner
// only; SQLite gives the -wal and -shm files the same permissions.
func Open(ctx context.Context, path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("open database: create directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	f.Close()

	// Per-connection settings go in the DSN so every connection of the pool
	// gets them (STYLE habit 8).
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "1") // BEGIN retries in Go: see busyPoll
	q.Set("_foreign_keys", "on")
	// FULL: in WAL mode NORMAL lets a power cut roll back the last commits,
	// and the bot has told the user "Shift created" by then, while Telegram
	// will not resend the update. A Pi on an SD card is where power cuts
	// happen; the cost is an fsync per commit (docs/BENCHMARKS.md).
	q.Set("_synchronous", "FULL")
	q.Set("_txlock", "immediate")
	w, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	// One writer connection: SQLite has one write lock per file anyway, and a
	// single connection makes writers in this process queue in Go instead of
	// spinning on the busy handler.
	w.SetMaxOpenConns(1)

	db := &DB{w: w, path: path}
	backup, renamed, err := db.adoptLegacy(ctx)
	if err != nil {
		w.Close()
		return nil, err
	}
	if backup != "" {
		db.Adopted = &Adoption{Backup: backup, Renamed: renamed}
	}
	if err := db.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	var mode string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		w.Close()
		return nil, fmt.Errorf("open database: read journal mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		w.Close()
		return nil, fmt.Errorf("open database %s: journal mode is %q, want wal", path, mode)
	}
	var sync int
	if err := w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil || sync != 2 {
		w.Close()
		return nil, fmt.Errorf("open database %s: synchronous is %d, want FULL (2): %v", path, sync, err)
	}

	rq := url.Values{}
	rq.Set("mode", "ro")
	rq.Set("_busy_timeout", fmt.Sprint(BusyTimeout.Milliseconds()))
	r, err := sql.Open("sqlite3", "file:"+path+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s read-only: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	db.r = r
	return db, nil
}

// OpenReadOnly opens an existing database for reading only: no file is
// created and no migration runs, so a health check can never create or
// change the database it inspects.
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("_busy_timeout", fmt.Sprint(BusyTimeout.Milliseconds()))
	r, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database %s read-only: %w", path, err)
	}
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		return nil, fmt.Errorf("open database %s read-only: %w", path, err)
	}
	// Writes through w fail: SQLite refuses them on a read-only connection.
	return &DB{w: r, r: r, path: path}, nil
}

// Checkpoint copies the WAL into the database file (PRAGMA
// wal_checkpoint(PASSIVE)), for a caller to run when no user is waiting;
// otherwise SQLite's automatic checkpoint runs inside whichever commit
// crosses 1,000 pages, adding a copy and an fsync to that user's wait.
func (db *DB) Checkpoint(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
		return fmt.Errorf("wal checkpoint: %w", err)
	}
	return nil
}

// Path is the database file's path.
func (db *DB) Path() string { return db.path }

// Close closes both pools.
func (db *DB) Close() error {
	if db.r == db.w {
		return db.r.Close()
	}
	return errors.Join(db.r.Close(), db.w.Close())
}

// Tx is a write transaction. It holds SQLite's write lock from BEGIN to
// commit, so it must never wait on the network.
type Tx struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

// stmt prepares query once per transaction: a pull writes thousands of rows
// with the same statement, and preparing dominates otherwise. The statements
// close with the transaction.
func (tx *Tx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := tx.stmts[query]; ok {
		return st, nil
	}
	st, err := tx.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if tx.stmts == nil {
		tx.stmts = map[string]*sql.Stmt{}
	}
	tx.stmts[query] = st
	return st, nil
}

// Update runs fn in one write transaction, committing when fn returns nil.
// The commit is durable (synchronous=FULL) before Update returns.
func (db *DB) Update(ctx context.Context, fn func(*Tx) error) error {
	return run(ctx, db.w, fn)
}

// UpdateFromSheet is Update for writes that are copies of what the
// spreadsheet holds (the pull's): committed without waiting for the disk, as
// a power cut can only lose them to the next pull, which writes them again.
// It saves an fsync per chunk of a large pull. The WAL is appended in order,
// so any later durable commit (the bot's, the push's) makes these durable
// too: nothing else ever depends on a lost one.
func (db *DB) UpdateFromSheet(ctx context.Context, fn func(*Tx) error) error {
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin write transaction: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
		return fmt.Errorf("begin write transaction: %w", err)
	}
	defer func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous = FULL"); err != nil {
			// Never hand a non-durable connection to the next Update.
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	return run(ctx, conn, fn)
}

type beginner interface {
	BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
}

func run(ctx context.Context, b beginner, fn func(*Tx) error) error {
	tx, err := begin(ctx, b)
	if err != nil {
		return fmt.Errorf("begin write transaction: %w", err)
	}
	if err := fn(&Tx{tx: tx}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// begin starts a write transaction, taking the write lock at BEGIN, and
// waits up to BusyTimeout for it, trying every busyPoll.
func begin(ctx context.Context, b beginner) (*sql.Tx, error) {
	deadline := time.Now().Add(BusyTimeout)
	for {
		tx, err := b.BeginTx(ctx, nil)
		var se sqlite3.Error
		if err == nil || !errors.As(err, &se) || se.Code != sqlite3.ErrBusy || time.Now().After(deadline) {
			return tx, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(busyPoll):
		}
	}
}

// Exec runs a statement inside the transaction. Packages that own tables of
// their own (the bot's conversation state) use it with their own SQL.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(ctx, query, args...)
}

// QueryRow runs a single-row query inside the transaction.
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(ctx, query, args...)
}

// Query runs a query inside the transaction.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(ctx, query, args...)
}

// Read is the read-only pool, for queries that need no write lock.
func (db *DB) Read() *sql.DB { return db.r }
