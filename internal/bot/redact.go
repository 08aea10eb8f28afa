package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The Bot API puts the token in every request URL (/bot<token>/<method>), so
// the library's errors and debug lines carry it; SPEC §7: it must never reach
// a log. Both seams the library offers are wrapped here.

const redacted = "<BOT_TOKEN>"

func redact(s, token string) string {
	if token == "" {
		return s
	}
	return strings.ReplaceAll(s, token, redacted)
}

// requestTimeout bounds every request but the long poll, so one slow
// answer cannot hold a stop past systemd's 30 s.
const requestTimeout = 10 * time.Second

// apiClient is the HTTP client given to the library. Its errors are
// *url.Error values naming the URL; it returns them with the token removed.
// getMe and long polls are tied to the run's context so a stop signal ends
// them at once; other requests are left to finish within requestTimeout
// (SPEC §8: finish the update in hand).
type apiClient struct {
	http  *http.Client
	token string
	poll  context.Context
}

func (c *apiClient) Do(req *http.Request) (*http.Response, error) {
	var cancel context.CancelFunc
	if p := req.URL.Path; c.poll != nil && (strings.HasSuffix(p, "/getUpdates") || strings.HasSuffix(p, "/getMe")) {
		req = req.WithContext(c.poll)
	} else {
		var ctx context.Context
		ctx, cancel = context.WithTimeout(req.Context(), requestTimeout)
		req = req.WithContext(ctx)
	}
	resp, err := c.http.Do(req)
	if err == nil {
		if cancel != nil {
			// The library reads the body after Do returns; the deadline
			// ends when it closes it.
			resp.Body = cancelOnClose{resp.Body, cancel}
		}
		return resp, nil
	}
	if cancel != nil {
		cancel()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return nil, &url.Error{Op: ue.Op, URL: redact(ue.URL, c.token), Err: redactedError{ue.Err, c.token}}
	}
	return nil, redactedError{err, c.token}
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// redactedError hides the token in the text of an error it wraps, while
// errors.Is still sees the cause (e.g. context.Canceled).
type redactedError struct {
	err   error
	token string
}

func (e redactedError) Error() string { return redact(e.err.Error(), e.token) }
func (e redactedError) Unwrap() error { return e.err }

// LibraryLogger adapts log for tgbotapi.SetLogger, removing the token from
// every line. The library logs only in debug mode and from GetUpdatesChan,
// neither of which this bot uses; this is the second line of defence.
func LibraryLogger(log *slog.Logger, token string) interface {
	Println(v ...any)
	Printf(format string, v ...any)
} {
	return libLogger{log: log, token: token}
}

type libLogger struct {
	log   *slog.Logger
	token string
}

func (l libLogger) Println(v ...any) {
	l.log.Debug(redact(strings.TrimSuffix(fmt.Sprintln(v...), "\n"), l.token), "source", "tgbotapi")
}

func (l libLogger) Printf(format string, v ...any) {
	l.log.Debug(redact(strings.TrimSuffix(fmt.Sprintf(format, v...), "\n"), l.token), "source", "tgbotapi")
}
