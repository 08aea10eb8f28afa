package telegramfake

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Wire types: the subset of Bot API objects the fake produces, with the
// field names and omissions of the real API.

type apiUser struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name,omitempty"`
	Username  string `json:"username,omitempty"`
}

type apiBotUser struct {
	apiUser
	CanJoinGroups           bool `json:"can_join_groups"`
	CanReadAllGroupMessages bool `json:"can_read_all_group_messages"`
	SupportsInlineQueries   bool `json:"supports_inline_queries"`
}

type apiChat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Username  string `json:"username,omitempty"`
}

type apiEntity struct {
	Type   string `json:"type"`
	Offset int    `json:"offset"`
	Length int    `json:"length"`
}

type apiInlineMarkup struct {
	InlineKeyboard [][]map[string]any `json:"inline_keyboard"`
}

type apiMessage struct {
	MessageID   int              `json:"message_id"`
	From        *apiUser         `json:"from,omitempty"`
	Chat        apiChat          `json:"chat"`
	Date        int64            `json:"date"`
	EditDate    int64            `json:"edit_date,omitempty"`
	Text        string           `json:"text,omitempty"`
	Entities    []apiEntity      `json:"entities,omitempty"`
	ReplyMarkup *apiInlineMarkup `json:"reply_markup,omitempty"`
}

type apiCallbackQuery struct {
	ID           string      `json:"id"`
	From         apiUser     `json:"from"`
	Message      *apiMessage `json:"message,omitempty"`
	ChatInstance string      `json:"chat_instance"`
	Data         string      `json:"data,omitempty"`
}

type apiUpdate struct {
	UpdateID      int               `json:"update_id"`
	Message       *apiMessage       `json:"message,omitempty"`
	CallbackQuery *apiCallbackQuery `json:"callback_query,omitempty"`
}

// apiError is a failed call: HTTP status and error_code are the same number.
type apiError struct {
	code       int
	desc       string
	retryAfter int // parameters.retry_after, flood control only
}

func badRequest(desc string) *apiError { return &apiError{code: 400, desc: "Bad Request: " + desc} }

var (
	errNotFound     = &apiError{code: 404, desc: "Not Found"}
	errUnauthorized = &apiError{code: 401, desc: "Unauthorized"}
	errNotModified  = badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
	errQueryInvalid = badRequest("query is too old and response timeout expired or query ID is invalid")
	errConflict     = &apiError{code: 409, desc: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
)

func wireUser(u User) apiUser {
	return apiUser{ID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username}
}

func wireChat(u User) apiChat {
	return apiChat{ID: u.ID, Type: "private", FirstName: u.FirstName, LastName: u.LastName, Username: u.Username}
}

// wireMessage copies m's fields under the lock; the keyboard it shares is
// never mutated, so the result may be encoded after the lock is released.
func (s *Server) wireMessage(c *chat, m *message) *apiMessage {
	am := &apiMessage{MessageID: m.id, Chat: wireChat(c.user), Date: m.date, EditDate: m.editDate, Entities: m.entities}
	am.Text = visibleText(m.text, m.parseMode)
	if m.fromBot {
		bot := s.bot
		am.From = &bot
	} else {
		u := wireUser(c.user)
		am.From = &u
	}
	if len(m.keyboard) > 0 {
		am.ReplyMarkup = &apiInlineMarkup{InlineKeyboard: m.keyboard}
	}
	return am
}

// ServeHTTP answers /bot<token>/<method> like api.telegram.org.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || method == "" || strings.Contains(method, "/") {
		writeError(w, errNotFound)
		return
	}
	if token != s.token {
		writeError(w, errUnauthorized)
		return
	}
	method = strings.ToLower(method) // Telegram's method names are case-insensitive
	p, err := readParams(r)
	if err != nil {
		writeError(w, badRequest("can't parse request parameters: "+err.Error()))
		return
	}

	s.mu.Lock()
	s.calls[method]++
	if method != "getupdates" {
		s.inflight++
	}
	s.mu.Unlock()

	var result any
	apiErr, serve := s.intercept(r.Context(), method, p)
	if serve {
		result, apiErr = s.call(r.Context(), method, p)
	}
	if r.Context().Err() == nil { // nobody reads the answer to an abandoned poll
		if apiErr != nil {
			writeError(w, apiErr)
		} else {
			writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": result})
		}
	}

	if method != "getupdates" {
		s.mu.Lock()
		s.inflight--
		s.notifyLocked()
		s.mu.Unlock()
	}
}

func (s *Server) call(ctx context.Context, method string, p params) (any, *apiError) {
	switch method {
	case "getme":
		return apiBotUser{apiUser: s.bot}, nil
	case "getupdates":
		return s.getUpdates(ctx, p)
	case "sendmessage":
		return s.sendMessage(p)
	case "editmessagetext":
		return s.editMessageText(p)
	case "editmessagereplymarkup":
		return s.editMessageReplyMarkup(p)
	case "answercallbackquery":
		return s.answerCallbackQuery(p)
	case "sendchataction":
		return s.sendChatAction(p)
	case "deletemessage":
		return s.deleteMessage(p)
	}
	return nil, errNotFound
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client hung up; nothing to do
}

func writeError(w http.ResponseWriter, e *apiError) {
	body := map[string]any{"ok": false, "error_code": e.code, "description": e.desc}
	if e.retryAfter > 0 {
		body["parameters"] = map[string]any{"retry_after": e.retryAfter}
	}
	writeJSON(w, e.code, body)
}

// params are a request's parameters as strings. The library sends form
// values, with objects such as reply_markup as JSON text; Telegram also
// takes a query string, multipart forms and a JSON body, and so does this.
type params map[string]string

func readParams(r *http.Request) (params, error) {
	p := params{}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/json" {
		var raw map[string]json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&raw); err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		for k, v := range raw {
			var str string
			if json.Unmarshal(v, &str) == nil {
				p[k] = str
			} else {
				p[k] = string(v) // numbers, booleans and objects as their JSON text
			}
		}
		return p, nil
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return nil, err
	}
	for k, v := range r.Form {
		p[k] = v[0]
	}
	return p, nil
}

func (p params) int(key string) int {
	n, _ := strconv.Atoi(p[key]) // Telegram reads garbage as 0 too
	return n
}

func (s *Server) getUpdates(ctx context.Context, p params) (any, *apiError) {
	offset, limit, timeout := p.int("offset"), p.int("limit"), p.int("timeout")
	if limit <= 0 || limit > 100 {
		limit = 100
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conflicts > 0 {
		s.conflicts--
		return nil, errConflict
	}
	// A newer poll ends an older one still waiting, as on Telegram, which is
	// how two running instances of a bot show up.
	s.pollGen++
	gen := s.pollGen
	s.confirmLocked(offset)
	s.notifyLocked()

	var timer <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(time.Duration(timeout) * time.Second)
		defer t.Stop()
		timer = t.C
	}
	for {
		if gen != s.pollGen {
			return nil, errConflict
		}
		if s.closed || len(s.queue) > 0 || timer == nil {
			out := make([]json.RawMessage, 0, limit) // [] rather than null when empty
			for i := 0; i < len(s.queue) && i < limit && !s.closed; i++ {
				out = append(out, s.queue[i].body)
			}
			return out, nil
		}
		ch := s.changed
		s.waitingPolls++
		s.mu.Unlock()
		select {
		case <-ch:
		case <-timer:
			timer = nil // answer with whatever is there, likely nothing
		case <-ctx.Done():
		}
		s.mu.Lock()
		s.waitingPolls--
		if ctx.Err() != nil {
			return nil, nil
		}
	}
}

// confirmLocked forgets updates below offset. A negative offset keeps only
// the last -offset updates, as documented for getUpdates.
func (s *Server) confirmLocked(offset int) {
	drop := 0
	switch {
	case offset > 0:
		for drop < len(s.queue) && s.queue[drop].id < offset {
			drop++
		}
	case offset < 0:
		drop = max(0, len(s.queue)+offset)
	}
	s.queue = s.queue[drop:]
}

// chatLocked resolves chat_id to a chat a user has opened.
func (s *Server) chatLocked(p params) (*chat, *apiError) {
	if p["chat_id"] == "" {
		return nil, badRequest("chat_id is empty")
	}
	id, err := strconv.ParseInt(p["chat_id"], 10, 64)
	if err != nil || s.chats[id] == nil {
		return nil, badRequest("chat not found")
	}
	return s.chats[id], nil
}

// messageLocked resolves chat_id + message_id; verb is "edit" or "delete"
// for Telegram's "message to <verb> not found".
func (s *Server) messageLocked(p params, verb string) (*chat, *message, *apiError) {
	if p["inline_message_id"] != "" {
		return nil, nil, badRequest("MESSAGE_ID_INVALID") // inline mode is not modelled
	}
	c, e := s.chatLocked(p)
	if e != nil {
		return nil, nil, e
	}
	if e := s.blockedLocked(p); e != nil {
		return nil, nil, e
	}
	if p["message_id"] == "" {
		return nil, nil, badRequest("message identifier is not specified")
	}
	m := c.find(p.int("message_id"))
	if m == nil || m.deleted {
		return nil, nil, badRequest("message to " + verb + " not found")
	}
	return c, m, nil
}

func (s *Server) sendMessage(p params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.chatLocked(p)
	if e != nil {
		return nil, e
	}
	if e := s.blockedLocked(p); e != nil {
		return nil, e
	}
	if e := checkText(p["text"], p["parse_mode"]); e != nil {
		return nil, e
	}
	mk, e := parseMarkup(p["reply_markup"])
	if e != nil {
		return nil, e
	}
	m := c.add(&message{
		fromBot: true, date: now(), text: p["text"], parseMode: p["parse_mode"],
		keyboard: mk.inline, replyKeyboard: mk.reply, removeKeyboard: mk.remove,
	})
	s.events = append(s.events, Event{
		Kind: BotSent, ChatID: c.user.ID, MessageID: m.id, Text: m.text, ParseMode: m.parseMode,
		Buttons: publicButtons(m.keyboard), ReplyKeyboard: cloneLabels(m.replyKeyboard), RemoveKeyboard: m.removeKeyboard,
	})
	s.notifyLocked()
	return s.wireMessage(c, m), nil
}

// editMarkup is the inline keyboard an edit leaves on m: none when the
// parameter is absent, m's own for {"inline_keyboard":null}.
func editMarkup(p params, m *message) ([][]map[string]any, *apiError) {
	mk, e := parseMarkup(p["reply_markup"])
	switch {
	case e != nil:
		return nil, e
	case mk.nonInline:
		return nil, badRequest("inline keyboard expected")
	case mk.keep:
		return m.keyboard, nil
	}
	return mk.inline, nil
}

func (s *Server) editMessageText(p params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, e := s.messageLocked(p, "edit")
	if e != nil {
		return nil, e
	}
	if !m.fromBot {
		return nil, badRequest("message can't be edited")
	}
	if e := checkText(p["text"], p["parse_mode"]); e != nil {
		return nil, e
	}
	kb, e := editMarkup(p, m)
	if e != nil {
		return nil, e
	}
	if p["text"] == m.text && p["parse_mode"] == m.parseMode && sameKeyboard(kb, m.keyboard) {
		return nil, errNotModified
	}
	m.text, m.parseMode, m.keyboard = p["text"], p["parse_mode"], kb
	m.edited, m.editDate = true, now()
	s.events = append(s.events, Event{
		Kind: BotEdited, ChatID: c.user.ID, MessageID: m.id, Text: m.text, ParseMode: m.parseMode, Buttons: publicButtons(kb),
	})
	s.notifyLocked()
	return s.wireMessage(c, m), nil
}

func (s *Server) editMessageReplyMarkup(p params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, e := s.messageLocked(p, "edit")
	if e != nil {
		return nil, e
	}
	if !m.fromBot {
		return nil, badRequest("message can't be edited")
	}
	kb, e := editMarkup(p, m)
	if e != nil {
		return nil, e
	}
	if sameKeyboard(kb, m.keyboard) {
		return nil, errNotModified
	}
	m.keyboard = kb
	m.edited, m.editDate = true, now()
	s.events = append(s.events, Event{Kind: BotEditedKeyboard, ChatID: c.user.ID, MessageID: m.id, Buttons: publicButtons(kb)})
	s.notifyLocked()
	return s.wireMessage(c, m), nil
}

func (s *Server) answerCallbackQuery(p params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cb := s.callbacks[p["callback_query_id"]]
	if cb == nil || cb.answered { // Telegram takes one answer per query
		return nil, errQueryInvalid
	}
	cb.answered = true
	s.unanswered--
	alert, _ := strconv.ParseBool(p["show_alert"])
	s.events = append(s.events, Event{Kind: CallbackAnswered, ChatID: cb.chatID, MessageID: cb.messageID, Text: p["text"], ShowAlert: alert})
	s.notifyLocked()
	return true, nil
}

var chatActions = map[string]bool{
	"typing": true, "upload_photo": true, "record_video": true, "upload_video": true,
	"record_voice": true, "upload_voice": true, "upload_document": true, "choose_sticker": true,
	"find_location": true, "record_video_note": true, "upload_video_note": true,
}

func (s *Server) sendChatAction(p params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, e := s.chatLocked(p); e != nil {
		return nil, e
	}
	if e := s.blockedLocked(p); e != nil {
		return nil, e
	}
	if !chatActions[p["action"]] {
		return nil, badRequest("wrong parameter action in request")
	}
	return true, nil // not in the transcript: it changes nothing a user keeps
}

func (s *Server) deleteMessage(p params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, e := s.messageLocked(p, "delete")
	if e != nil {
		return nil, e
	}
	m.deleted = true
	s.events = append(s.events, Event{Kind: BotDeleted, ChatID: c.user.ID, MessageID: m.id})
	s.notifyLocked()
	return true, nil
}
