// Package logging owns where the daemons' logs go: a size-bounded file (SPEC
// §8: sync_worker.log, bot.log) and stdout for journald, never world-readable.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"gopkg.in/natefinch/lumberjack.v2"
)

// Bounds of the log file: the Pi's card must not fill up.
const (
	MaxSizeMB  = 10
	MaxBackups = 3
)

// Setup returns a logger writing to stdout and, unless path is "-", to a
// rotating file at path. Under journald (JOURNAL_STREAM set) stdout lines
// carry no timestamp, since the journal adds its own.
func Setup(path string, stdout io.Writer, level slog.Leveler) (*slog.Logger, io.Closer, error) {
	opts := &slog.HandlerOptions{Level: level}
	out := &slog.HandlerOptions{Level: level}
	if os.Getenv("JOURNAL_STREAM") != "" {
		out.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		}
	}
	handlers := []slog.Handler{slog.NewTextHandler(stdout, out)}
	var closer io.Closer = io.NopCloser(nil)
	if path != "-" && path != "" {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, nil, fmt.Errorf("log file %s: %w", path, err)
		}
		// lumberjack creates the file 0600 when it is new; an existing one
		// from an older install is tightened here.
		f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("log file %s: %w", path, err)
		}
		f.Close()
		if err := os.Chmod(path, 0o600); err != nil {
			return nil, nil, fmt.Errorf("log file %s: %w", path, err)
		}
		lj := &lumberjack.Logger{Filename: path, MaxSize: MaxSizeMB, MaxBackups: MaxBackups}
		handlers = append(handlers, slog.NewTextHandler(lj, opts))
		closer = lj
	}
	return slog.New(slog.NewMultiHandler(handlers...)), closer, nil
}

// Discard is a logger that drops everything, for tests.
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
