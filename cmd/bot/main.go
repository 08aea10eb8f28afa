// Command bot is the Telegram bot employees log their shifts with (SPEC §4,
// §8). It reads and writes the local SQLite database only; the sync worker
// carries its writes to the spreadsheet.
package main

import (
	"context"
	"errors"
	"flag"
	"io"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shiftbot/internal/bot"
	"shiftbot/internal/cli"
	"shiftbot/internal/config"
	"shiftbot/internal/hybrid"
)

var version = "dev"

func main() { cli.Main("bot", run) }

func run(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("bot", flag.ContinueOnError)
	dbPath := fs.String("db-path", "data/reference_data.db", "SQLite database file")
	logFile := fs.String("log-file", "bot.log", `log file ("-" for stdout only)`)
	if done, err := cli.Parse(fs, args, stdout, version); done {
		return err
	}

	cfg, log, closeLog, err := cli.Start(getenv, config.Need{BotToken: true}, *logFile, stdout)
	if err != nil {
		return err
	}
	defer closeLog.Close()
	// The library's own logger is package-global; this process has one bot.
	if err := tgbotapi.SetLogger(bot.LibraryLogger(log, cfg.BotToken)); err != nil {
		return err
	}

	db, err := cli.OpenDB(ctx, *dbPath, log)
	if err != nil {
		return err
	}
	defer db.Close()

	svc := hybrid.New(hybrid.Config{Products: cfg.Products, CommissionRate: cfg.CommissionRate, Location: cfg.Location})
	b := bot.New(db, svc, bot.Config{Token: cfg.BotToken, Endpoint: cfg.TelegramEndpoint, Log: log, Checkpoint: db.Checkpoint,
		Admins: cfg.AdminIDs})
	log.Info("Bot starting", "version", version, "db", *dbPath, "products", len(cfg.Products), "timezone", cfg.Location.String(),
		"admins", len(cfg.AdminIDs))
	if err := b.Run(ctx); err != nil {
		log.Error("Bot exiting", "err", err)
		if errors.Is(err, bot.ErrTokenRejected) {
			return cli.Usage(bot.ErrTokenRejected)
		}
		return err
	}
	return nil
}
