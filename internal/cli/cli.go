// Package cli owns what the daemons share at their edge: exit statuses (2
// for usage and configuration errors, SPEC §8), the signal-aware main, and
// reading the configuration and opening the logs before anything else.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"shiftbot/internal/config"
	"shiftbot/internal/logging"
	"shiftbot/internal/store"
)

// ExitError carries an exit status up to Main.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// Usage marks err as a usage or configuration error: exit status 2.
func Usage(err error) error { return &ExitError{Code: 2, Err: err} }

// Exit makes run's error end the process with code.
func Exit(code int, err error) error { return &ExitError{Code: code, Err: err} }

// RunFunc is a command's body; Main calls it with a context that ends on
// SIGTERM or SIGINT.
type RunFunc func(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error

// Main runs run and exits: 0 on nil, the ExitError's code, or 1. It is the
// only place that calls os.Exit.
func Main(name string, run RunFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	OnAbort(name, os.Stderr, os.Getenv("STATE_DIRECTORY"), os.Exit)
	err := run(ctx, os.Args[1:], os.Stdout, os.Getenv)
	stop()
	if err == nil {
		return
	}
	code := 1
	var ee *ExitError
	if errors.As(err, &ee) {
		code = ee.Code
	}
	if code != 0 {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
	}
	os.Exit(code)
}

// AbortStacks is the file, in the unit's state directory, that holds the
// goroutine stacks of the last process stopped with SIGABRT.
const AbortStacks = "abort-stacks.txt"

// OnAbort makes SIGABRT end the process with one line on stderr and exit
// status 1. systemd's watchdog kills a hung unit with SIGABRT (the default
// WatchdogSignal=), and Go's runtime answers that signal by printing every
// goroutine's stack, some 250 lines of the worker's, into the journal, where
// they bury the one fact the operator needs. WatchdogSignal=SIGKILL would
// leave no line from the daemon at all, and GOTRACEBACK=none would also hide
// a panic's trace, which is worth having. The stacks still help whoever
// debugs the hang, so they go to stateDir/AbortStacks (systemd sets
// STATE_DIRECTORY for units with StateDirectory=; the unit's UMask keeps the
// file owner-only), replacing the previous one. A stopped process still gets
// the signal: systemd sends SIGCONT after it.
func OnAbort(name string, stderr io.Writer, stateDir string, exit func(int)) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGABRT)
	go func() {
		<-ch
		where := ""
		if dir, _, _ := strings.Cut(stateDir, ":"); dir != "" {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			path := filepath.Join(dir, AbortStacks)
			if err := os.WriteFile(path, buf, 0o600); err != nil {
				where = "; goroutine stacks not saved: " + err.Error()
			} else {
				where = "; goroutine stacks saved in " + path
			}
		}
		fmt.Fprintf(stderr, "%s: SIGABRT: stopped by systemd's watchdog (no progress reported within WatchdogSec) or by hand; exiting%s\n", name, where)
		exit(1)
	}()
}

// Parse parses a command line with a --version flag of its own; done is
// true when nothing more is to be done (-h, --version). A bad flag or a
// stray argument is a usage error.
func Parse(fs *flag.FlagSet, args []string, stdout io.Writer, version string) (done bool, err error) {
	fs.SetOutput(stdout)
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return true, Usage(err)
	}
	if fs.NArg() > 0 {
		return true, Usage(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if *showVersion {
		fmt.Fprintln(stdout, fs.Name(), version)
		return true, nil
	}
	return false, nil
}

// Start reads .env and the environment, then opens the logs; each failure is
// a configuration error naming its variable or file. The caller closes the
// returned Closer.
func Start(getenv func(string) string, need config.Need, logFile string, stdout io.Writer) (config.Config, *slog.Logger, io.Closer, error) {
	if err := config.LoadDotEnv(".env"); err != nil {
		return config.Config{}, nil, nil, Usage(err)
	}
	cfg, err := config.FromEnv(getenv, need)
	if err != nil {
		return cfg, nil, nil, Usage(fmt.Errorf("configuration error: %w", err))
	}
	log, closer, err := logging.Setup(logFile, stdout, slog.LevelInfo)
	if err != nil {
		return cfg, nil, nil, Usage(err)
	}
	for _, n := range cfg.Notes {
		log.Info(n)
	}
	return cfg, log, closer, nil
}

// OpenDB opens the shared database and logs what adopting a database of the
// Python version did (SPEC §10).
func OpenDB(ctx context.Context, path string, log *slog.Logger) (*store.DB, error) {
	db, err := store.Open(ctx, path)
	if err != nil {
		log.Error("Cannot open the database", "path", path, "err", err)
		return nil, err
	}
	if a := db.Adopted; a != nil {
		log.Warn("Found the Python version's database: its tables are kept as "+store.LegacyPrefix+"*; the sync worker's next pull rebuilds the data from Sheets",
			"backup", a.Backup, "renamed", strings.Join(a.Renamed, ","))
	}
	return db, nil
}
