package telegramfake

import (
	"context"
	"fmt"
	"strings"
	"sync"
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
		s.faults[m] = append(s.faults[m], faultRule{fault: f})
	}
}

// FailMatching makes the next call of method whose text parameter contains
// text fail with f, once; other calls pass.
func (s *Server) FailMatching(method, text string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := strings.ToLower(method)
	s.faults[m] = append(s.faults[m], faultRule{text: text, match: true, fault: f})
}

// ClearFaults forgets the faults not answered yet: Telegram is back.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.faults)
}

type faultRule struct {
	text  string
	match bool // only calls whose text contains text
	fault Fault
}

// Hold makes calls of method wait before being served, until release is
// called. A call whose client goes away while held (the bot was killed, or
// its request timed out) is never served: as if it had not reached Telegram.
// A call answered with a Fault is not held. Held counts the calls waiting.
func (s *Server) Hold(method string) (release func()) {
	return s.hold(method, holdRule{})
}

// HoldMatching is Hold for the calls of method whose text parameter
// contains text.
func (s *Server) HoldMatching(method, text string) (release func()) {
	return s.hold(method, holdRule{text: text, match: true})
}

type holdRule struct {
	text  string
	match bool
	ch    chan struct{} // closed by the release
}

func (s *Server) hold(method string, h holdRule) (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := strings.ToLower(method)
	h.ch = make(chan struct{})
	s.holds[m] = h
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			close(h.ch)
			if s.holds[m].ch == h.ch {
				delete(s.holds, m)
			}
			s.notifyLocked()
		})
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

// intercept runs before a call is served: it answers with a queued Fault
// if one applies, else waits in a Hold. served=false means the call must not
// be served (a fault was answered instead, or the client left while held).
func (s *Server) intercept(ctx context.Context, method string, p params) (fault *apiError, served bool) {
	s.mu.Lock()
	for i, r := range s.faults[method] {
		if r.match && !strings.Contains(p["text"], r.text) {
			continue
		}
		s.faults[method] = append(s.faults[method][:i:i], s.faults[method][i+1:]...)
		s.refused++
		s.mu.Unlock()
		return &apiError{code: r.fault.Code, desc: r.fault.Description, retryAfter: r.fault.RetryAfter}, false
	}
	h, ok := s.holds[method]
	if !ok || (h.match && !strings.Contains(p["text"], h.text)) {
		s.mu.Unlock()
		return nil, true
	}
	s.held[method]++
	s.notifyLocked()
	s.mu.Unlock()
	select {
	case <-h.ch:
	case <-ctx.Done():
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.held[method]--
	s.notifyLocked()
	return nil, ctx.Err() == nil
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
