// Command syncworker keeps the local SQLite database and the admin's Google
// Spreadsheet in step: every --interval seconds it pulls all tabs, then pushes
// the rows the bot left pending (SPEC §3, §8).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"

	"shiftbot/internal/cli"
	"shiftbot/internal/config"
	"shiftbot/internal/sheets"
	"shiftbot/internal/store"
	"shiftbot/internal/syncmgr"
)

var version = "dev"

// memoryLimit is the Go heap's soft limit unless GOMEMLIMIT is set.
const memoryLimit = 64 << 20

func main() { cli.Main("syncworker", run) }

func run(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("syncworker", flag.ContinueOnError)
	once := fs.Bool("once", false, "run one cycle and exit: 0 on success, 1 on failure")
	interval := fs.Int("interval", int(syncmgr.DefaultInterval/time.Second), "seconds between cycles")
	pushDelay := fs.Int("push-delay", int(syncmgr.DefaultPushDelay/time.Second), "seconds from new pending rows to a prompt cycle (0 disables prompt push)")
	minGap := fs.Int("min-gap", int(syncmgr.DefaultMinGap/time.Second), "least seconds between a cycle and a prompt one")
	dbPath := fs.String("db-path", "data/reference_data.db", "SQLite database file")
	logFile := fs.String("log-file", "sync_worker.log", `log file ("-" for stdout only)`)
	maxFailures := fs.Int("max-failures", syncmgr.DefaultMaxFailures, "exit 1 after this many consecutive failed cycles")
	initSheets := fs.Bool("init-sheets", false, "create missing tabs, headers and default tables, then exit")
	status := fs.Bool("status", false, "print the health and the last cycles; exit 0 if all is well, 1 if not")
	format := fs.String("format", "text", `with --status: "text" for people, "kv" for scripts (one key=value a line)`)
	acceptEmpty := fs.String("accept-empty", "", "accept that the admin emptied this tab: the next cycle deletes its local rows and appends pending ones")
	convertEnv := fs.String("convert-env", "", "print `FILE`, the Python deployment's .env, as the units' EnvironmentFile and exit; with --format=kv, what the conversion found")
	if done, err := cli.Parse(fs, args, stdout, version); done {
		return err
	}
	if *interval < 1 {
		return cli.Usage(fmt.Errorf("--interval must be at least 1 second, got %d", *interval))
	}
	if *pushDelay < 0 {
		return cli.Usage(fmt.Errorf("--push-delay must be 0 or more seconds, got %d", *pushDelay))
	}
	if *minGap < 1 {
		return cli.Usage(fmt.Errorf("--min-gap must be at least 1 second, got %d", *minGap))
	}
	if *maxFailures < 1 {
		return cli.Usage(fmt.Errorf("--max-failures must be at least 1, got %d", *maxFailures))
	}
	if *format != "text" && *format != "kv" {
		return cli.Usage(fmt.Errorf(`--format must be "text" or "kv", got %q`, *format))
	}
	every := time.Duration(*interval) * time.Second
	if os.Getenv("GOMEMLIMIT") == "" {
		// A pull holds a whole tab decoded at once; without a soft limit the
		// garbage collector lets the heap reach twice that before collecting,
		// which on a 50,000-row sheet is most of the unit's MemoryMax=256M.
		debug.SetMemoryLimit(memoryLimit)
	}

	if *status {
		return printStatus(ctx, stdout, *dbPath, every, *format)
	}
	if *convertEnv != "" {
		return convertEnvFile(stdout, *convertEnv, *format)
	}

	cfg, log, closeLog, err := cli.Start(getenv, config.Need{SpreadsheetID: true}, *logFile, stdout)
	if err != nil {
		return err
	}
	defer closeLog.Close()

	client, err := sheets.New(ctx, sheets.Config{SpreadsheetID: cfg.SpreadsheetID, Endpoint: cfg.SheetsEndpoint,
		KeyFile: cfg.KeyFile, Logger: log})
	if err != nil {
		return cli.Usage(fmt.Errorf("configuration error: %w", err))
	}
	tabs := syncmgr.Tabs(cfg.SheetName, cfg.Products)
	if *initSheets {
		if err := syncmgr.InitSheets(ctx, client, tabs, log); err != nil {
			log.Error(err.Error())
			return cli.Exit(1, err)
		}
		log.Info("Spreadsheet initialised")
		return nil
	}

	if *acceptEmpty != "" {
		db, err := cli.OpenDB(ctx, *dbPath, log)
		if err != nil {
			return err
		}
		defer db.Close()
		if err := syncmgr.AcceptEmpty(ctx, db, tabs, *acceptEmpty); err != nil {
			return cli.Usage(err)
		}
		log.Info("Recorded: the next cycle that still finds the tab empty deletes its local rows (each kept in sync_log) and appends the pending ones",
			"tab", *acceptEmpty)
		return nil
	}

	// One worker per database: two would push the same pending rows twice.
	if err := os.MkdirAll(filepath.Dir(*dbPath), 0o750); err != nil {
		return fmt.Errorf("create database directory: %w", err)
	}
	lock, err := store.LockWorker(*dbPath)
	if errors.Is(err, store.ErrLocked) {
		log.Error(err.Error())
		return cli.Usage(err)
	}
	if err != nil {
		return err
	}
	defer lock.Release()

	db, err := cli.OpenDB(ctx, *dbPath, log)
	if err != nil {
		return err
	}
	defer db.Close()

	runner := &syncmgr.Runner{
		Engine:      syncmgr.NewEngine(db, client, tabs, log),
		DB:          db,
		Interval:    every,
		MaxFailures: *maxFailures,
		Log:         log,
		Notify:      func(state string) { daemon.SdNotify(false, state) },
		PushDelay:   time.Duration(*pushDelay) * time.Second,
		MinGap:      time.Duration(*minGap) * time.Second,
	}
	if *pushDelay == 0 {
		runner.PushDelay = -1 // off: only the regular cycles
	}
	if wd, err := daemon.SdWatchdogEnabled(false); err == nil {
		runner.Watchdog = wd
	}
	log.Info("Sync worker starting", "version", version, "db", *dbPath, "interval", every.String(),
		"spreadsheet", cfg.SpreadsheetID, "once", *once)
	if *once {
		if err := runner.Once(ctx); err != nil {
			return cli.Exit(1, err)
		}
		return nil
	}
	daemon.SdNotify(false, daemon.SdNotifyReady)
	defer daemon.SdNotify(false, daemon.SdNotifyStopping)
	if err := runner.Run(ctx); err != nil {
		log.Error("Sync worker exiting", "err", err)
		return cli.Exit(1, err)
	}
	return nil
}

// printStatus is --status: read-only, so a health check never creates or
// changes the database it inspects.
func printStatus(ctx context.Context, stdout io.Writer, dbPath string, every time.Duration, format string) error {
	db, err := store.OpenReadOnly(ctx, dbPath)
	if errors.Is(err, os.ErrNotExist) {
		if format == "kv" {
			fmt.Fprintf(stdout, "format=%d\nstate=%s\nhealthy=false\nreasons=no database at %s\n", syncmgr.KVFormatVersion, syncmgr.StateCritical, dbPath)
		} else {
			fmt.Fprintf(stdout, "Last successful sync: never (no database at %s)\n", dbPath)
		}
		return cli.Exit(1, errors.New("no database: the worker has never run here"))
	}
	if err != nil {
		return err
	}
	defer db.Close()
	h, err := syncmgr.ReadHealth(ctx, db, every, time.Now())
	if err != nil {
		return err
	}
	if format == "kv" {
		h.WriteKV(stdout)
	} else {
		h.WriteText(stdout)
	}
	if !h.Healthy() {
		return cli.Exit(1, fmt.Errorf("sync is not healthy: %s", strings.Join(h.Reasons, "; ")))
	}
	return nil
}

// convertEnvFile is --convert-env (SPEC §10): the Python deployment's .env,
// read by the same parser the binaries use for a .env, written for systemd.
// deploy/migrate-from-python.sh uses it instead of a parser of its own.
func convertEnvFile(stdout io.Writer, path, format string) error {
	c, err := config.ConvertDotEnv(path)
	if err != nil {
		return cli.Usage(fmt.Errorf("--convert-env: %w", err))
	}
	if format == "kv" {
		c.WriteKV(stdout)
		return nil
	}
	return c.WriteEnvFile(stdout, time.Now())
}
