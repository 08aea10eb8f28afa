// Command bot is the Telegram bot employees log their shifts with (SPEC §4,
// §8). It reads and writes the local SQLite database only; the sync worker
// carries its writes to the spreadsheet.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shiftbot/internal/bot"
	"shiftbot/internal/config"
	"shiftbot/internal/hybrid"
	"shiftbot/internal/logging"
	"shiftbot/internal/store"
)

var version = "dev"

// exitError carries an exit status up to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	err := run(ctx, os.Args[1:], os.Stdout, os.Getenv)
	stop()
	if err != nil {
		code := 1
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		fmt.Fprintln(os.Stderr, "bot:", err)
		os.Exit(code)
	}
}

func usage(err error) error { return &exitError{code: 2, err: err} }

func run(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("bot", flag.ContinueOnError)
	fs.SetOutput(stdout)
	dbPath := fs.String("db-path", "data/reference_data.db", "SQLite database file")
	logFile := fs.String("log-file", "bot.log", `log file ("-" for stdout only)`)
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usage(err)
	}
	if fs.NArg() > 0 {
		return usage(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if *showVersion {
		fmt.Fprintln(stdout, "bot", version)
		return nil
	}

	if err := config.LoadDotEnv(".env"); err != nil {
		return usage(err)
	}
	cfg, err := config.FromEnv(getenv, config.Need{BotToken: true})
	if err != nil {
		return usage(fmt.Errorf("configuration error: %w", err))
	}
	log, closeLog, err := logging.Setup(*logFile, stdout, slog.LevelInfo)
	if err != nil {
		return usage(err)
	}
	defer closeLog.Close()
	// The library's own logger is package-global; this process has one bot.
	if err := tgbotapi.SetLogger(bot.LibraryLogger(log, cfg.BotToken)); err != nil {
		return err
	}
	for _, n := range cfg.Notes {
		log.Info(n)
	}

	db, err := store.Open(ctx, *dbPath)
	if err != nil {
		log.Error("Cannot open the database", "path", *dbPath, "err", err)
		return err
	}
	defer db.Close()
	if a := db.Adopted; a != nil {
		log.Warn("Found the Python version's database: its tables are kept as "+store.LegacyPrefix+"*; the sync worker's next pull rebuilds the data from Sheets",
			"backup", a.Backup, "renamed", strings.Join(a.Renamed, ","))
	}

	svc := hybrid.New(hybrid.Config{Products: cfg.Products, CommissionRate: cfg.CommissionRate, Location: cfg.Location})
	b := bot.New(db, svc, bot.Config{Token: cfg.BotToken, Endpoint: cfg.TelegramEndpoint, Log: log, Checkpoint: db.Checkpoint})
	log.Info("Bot starting", "version", version, "db", *dbPath, "products", len(cfg.Products), "timezone", cfg.Location.String())
	if err := b.Run(ctx); err != nil {
		log.Error("Bot exiting", "err", err)
		if errors.Is(err, bot.ErrTokenRejected) {
			return usage(bot.ErrTokenRejected)
		}
		return err
	}
	return nil
}
