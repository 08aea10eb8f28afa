// Command sheetsemu serves the Google Sheets API emulator
// (internal/sheetsemu) from a JSON file, so the system can be tried without
// a Google account: point the sync worker at the printed SHEETS_ENDPOINT.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"shiftbot/internal/sheetsemu"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout)
	var usage usageError
	switch {
	case errors.Is(err, flag.ErrHelp):
	case errors.As(err, &usage):
		fmt.Fprintln(os.Stderr, "sheetsemu:", err)
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "sheetsemu:", err)
		os.Exit(1)
	}
}

type usageError struct{ error }

// run serves until ctx is cancelled, then saves if asked to.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("sheetsemu", flag.ContinueOnError)
	fl.SetOutput(stdout)
	addr := fl.String("addr", "127.0.0.1:9090", "listen address")
	data := fl.String("data", "", "JSON data file (created on save if missing)")
	saveOnExit := fl.Bool("save-on-exit", false, "write the data file back on SIGINT/SIGTERM")
	token := fl.String("token", "", "require this bearer token and serve an OAuth2 token endpoint at /token")
	spreadsheetID := fl.String("spreadsheet-id", "demo", "spreadsheet to create when the data file does not exist")
	debug := fl.Bool("debug", false, "log every request")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fl.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments: %v", fl.Args())}
	}
	if *saveOnExit && *data == "" {
		return usageError{errors.New("--save-on-exit needs --data")}
	}
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stdout, &slog.HandlerOptions{Level: level}))

	emu, err := sheetsemu.Load(*data)
	if *data == "" || errors.Is(err, fs.ErrNotExist) {
		emu = sheetsemu.New()
		emu.AddSpreadsheet(*spreadsheetID, "Demo")
		emu.SetTab(*spreadsheetID, "Sheet1", nil) // real spreadsheets always have a tab
	} else if err != nil {
		return err
	}
	var tokens http.Handler
	if *token != "" {
		emu.RequireBearer(*token)
		tokens = emu.TokenHandler(*token)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := &statusRecorder{ResponseWriter: w, status: 200}
			// Routed by hand: a ServeMux would clean or redirect the
			// percent-encoded ranges.
			if tokens != nil && r.URL.Path == "/token" {
				tokens.ServeHTTP(rec, r)
			} else {
				emu.ServeHTTP(rec, r)
			}
			log.Debug("request", "method", r.Method, "path", r.URL.EscapedPath(), "status", rec.status, "dur", time.Since(start))
		}),
	}
	url := "http://" + ln.Addr().String() + "/"
	log.Info("sheetsemu listening", "url", url, "data", *data, "token_endpoint", *token != "")
	fmt.Fprintf(stdout, "SHEETS_ENDPOINT=%s\n", url)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shutCtx)
	if *saveOnExit {
		if err := emu.Save(*data); err != nil {
			return err
		}
		log.Info("saved", "data", *data)
	}
	return nil
}

// statusRecorder notes the status for the request log; Unwrap keeps
// Hijack (used by DropResponse faults) reachable.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
