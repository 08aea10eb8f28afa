package telegramfake

import (
	"context"
	"fmt"
	"strings"
)

// Faults: what goes wrong between a bot and Telegram in production, on
// demand. The error shape is Telegram's (https://core.telegram.org/bots/api,
// "Making requests" and ResponseParameters): the HTTP status equals
// error_code, and flood control adds parameters.retry_after, e.g.
//
//	{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 2","parameters":{"retry_after":2}}

// Fault is an error answer in place of serving a call.
type Fault struct {
	Code        int // HTTP status and error_code
	Description string
	RetryAfter  int // seconds, sent as parameters.retry_after when > 0
}

// TooManyRequests is Telegram's flood-control answer.
func TooManyRequests(retryAfter int) Fault {
	return Fault{Code: 429, Description: fmt.Sprintf("Too Many Requests: retry after %d", retryAfter), RetryAfter: retryAfter}
}

// BadGateway is the answer of Telegram's front end when the Bot API server
// behind it is restarting or overloaded.
var BadGateway = Fault{Code: 502, Description: "Bad Gateway"}

// errBlocked is what Telegram answers a bot writing to a user who blocked it.
var errBlocked = &apiError{code: 403, desc: "Forbidden: bot was blocked by the user"}

// Fail makes the next n calls of method (case-insensitive) fail with f
// instead of being served; they change nothing. Faults queue up: Fail twice
// and the first n calls get the first fault.
func (s *Server) Fail(method string, n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := strings.ToLower(method)
	for range n {
		s.faults[m] = append(s.faults[m], f)
	}
}

// Hold makes calls of method wait before being served, until release is
// called. A call whose client goes away while held (the bot was killed, or
// its request timed out) is never served: as if it had not reached Telegram.
// Held counts the calls waiting.
func (s *Server) Hold(method string) (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := strings.ToLower(method)
	ch := make(chan struct{})
	s.holds[m] = ch
	var once bool
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if once {
			return
		}
		once = true
		close(ch)
		if s.holds[m] == ch {
			delete(s.holds, m)
		}
		s.notifyLocked()
	}
}

// Held is the number of calls of method waiting in a Hold.
func (s *Server) Held(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held[strings.ToLower(method)]
}

// WaitHeld blocks until a call of method is waiting in a Hold.
func (s *Server) WaitHeld(ctx context.Context, method string) error {
	m := strings.ToLower(method)
	for {
		s.mu.Lock()
		n, ch := s.held[m], s.changed
		s.mu.Unlock()
		if n > 0 {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("telegramfake: no %s call held: %w", method, ctx.Err())
		}
	}
}

// Block makes u block the bot: from now on every message, edit, deletion or
// chat action for u's chat is refused with 403, as on Telegram.
func (s *Server) Block(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chatOfLocked(u)
	s.blocked[u.ID] = true
}

// Refused is the number of calls answered with a Fault or a 403 for a
// blocked user, whatever the method.
func (s *Server) Refused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// intercept runs before a call is served: it waits in a Hold, then answers
// with a queued Fault if there is one. served=false means the call must not
// be served (the client left while held, or a fault was answered instead).
func (s *Server) intercept(ctx context.Context, method string) (fault *apiError, served bool) {
	s.mu.Lock()
	hold := s.holds[method]
	if hold != nil {
		s.held[method]++
		s.notifyLocked()
		s.mu.Unlock()
		select {
		case <-hold:
		case <-ctx.Done():
		}
		s.mu.Lock()
		s.held[method]--
		s.notifyLocked()
		if ctx.Err() != nil {
			s.mu.Unlock()
			return nil, false
		}
	}
	defer s.mu.Unlock()
	if q := s.faults[method]; len(q) > 0 {
		f := q[0]
		s.faults[method] = q[1:]
		s.refused++
		return &apiError{code: f.Code, desc: f.Description, retryAfter: f.RetryAfter}, false
	}
	return nil, true
}

// blockedLocked refuses a call for the chat of a user who blocked the bot.
func (s *Server) blockedLocked(p params) *apiError {
	c, e := s.chatLocked(p)
	if e == nil && s.blocked[c.user.ID] {
		s.refused++
		return errBlocked
	}
	return nil
}
