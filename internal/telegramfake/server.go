// Package telegramfake is a fake Telegram Bot API server. The real client
// library (github.com/go-telegram-bot-api/telegram-bot-api/v5) talks to it over
// HTTP, so tests exercise the bot's real request encoding and error handling,
// not a mock of the library.
//
// Wiring:
//
//	fake := telegramfake.New(token)
//	ts := httptest.NewServer(fake)
//	t.Cleanup(func() { fake.Close(); ts.Close() }) // Close first: it releases long polls
//	bot, err := tgbotapi.NewBotAPIWithClient(token, ts.URL+"/bot%s/%s", ts.Client())
//
// Tests then act as users (SendText, Press, PressData) and read what the bot
// did (Messages, Transcript, WaitFor, WaitIdle). FormatTranscript renders a
// chat for humans, which the offline demo prints.
//
// What it owns, following https://core.telegram.org/bots/api:
//   - private chats only (chat id == user id), created when a user first
//     writes or presses, or by AddUser; sending to any other chat is
//     "Bad Request: chat not found";
//   - getMe, getUpdates (long poll, offset confirmation, negative offset,
//     limit, and 409 for an overlapping poll or after SetConflict),
//     sendMessage, editMessageText, editMessageReplyMarkup,
//     answerCallbackQuery, sendChatAction and deleteMessage; any other
//     method is 404 and a wrong token is 401, as on Telegram;
//   - the checks bots trip over in production: empty or over-long text,
//     callback_data outside 1-64 bytes, text-only inline buttons, malformed
//     parse_mode=HTML (unsupported or unbalanced tags), "message is not
//     modified", editing or deleting a missing message, answering an unknown
//     or already answered callback query;
//   - Telegram's keyboard semantics on edits: editMessageText without
//     reply_markup drops the inline keyboard; reply_markup that is absent, {}
//     or {"inline_keyboard":[]} removes it; {"inline_keyboard":null} (what a
//     zero tgbotapi.InlineKeyboardMarkup marshals to) leaves it unchanged.
//     The null case follows field reports rather than documentation; the
//     fake picks the reading under which a bot that passes here also works
//     on Telegram.
//
// Faults on demand (faults.go), in Telegram's error format: Fail and
// FailMatching answer calls of a method (all, or those whose text contains
// a string) with a 429 carrying parameters.retry_after, a 502 or any other
// error; Hold and HoldMatching keep calls waiting, and drop one unserved if
// its client goes away meanwhile (a bot killed mid-send); Block makes a user
// block the bot, so writing to them is 403.
//
// What it leaves out: groups, channels, topics, media and files, webhooks,
// inline mode and inline_message_id, reply_to_message_id, allowed_updates,
// rate limits Telegram would impose by itself (429 comes only from Fail),
// expiry of unanswered callback queries and of the 48-hour edit window. Markdown and MarkdownV2
// are accepted without checking, so escaping mistakes there go unnoticed
// (their markers do count toward the 4096 limit, which is stricter).
// HTML text is returned to the bot without its tags but also without
// entities. Error descriptions copy Telegram's where known; a few are best
// guesses.
package telegramfake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// BotUsername is the username getMe reports.
const BotUsername = "shiftbot_test_bot"

// User is a person talking to the bot. In a private chat the chat id is the
// user id, so ID also names the chat.
type User struct {
	ID        int64
	FirstName string
	LastName  string
	Username  string
}

// Button is one inline keyboard button. Data is its callback_data and URL its
// url; buttons of other kinds have both empty.
type Button struct {
	Text string
	Data string
	URL  string
}

// Message is the current state of a message the bot sent.
type Message struct {
	ID        int
	ChatID    int64
	Text      string // as the bot sent it, markup included
	ParseMode string
	Buttons   [][]Button // the inline keyboard now attached; nil when none
	// ReplyKeyboard holds the labels of a custom (reply) keyboard sent with
	// the message. Users "press" those by typing the label: SendText.
	ReplyKeyboard  [][]string
	RemoveKeyboard bool // sent with ReplyKeyboardRemove
	Edited         bool
	Deleted        bool
}

// Server is the fake. It is an http.Handler and all methods are safe for
// concurrent use.
type Server struct {
	token string
	bot   apiUser

	mu sync.Mutex
	// changed is closed and replaced on every state change, waking every
	// waiter (long polls, WaitFor, WaitIdle) to re-check its condition.
	changed      chan struct{}
	closed       bool
	nextUpdateID int
	queue        []queuedUpdate // unconfirmed updates, ascending update_id
	pollGen      int            // bumped by every getUpdates; older polls see 409
	waitingPolls int            // getUpdates calls blocked in a long poll
	conflicts    int            // getUpdates calls still to answer with 409
	chats        map[int64]*chat
	callbacks    map[string]*callbackState
	unanswered   int
	nextQueryID  int
	events       []Event
	calls        map[string]int
	inflight     int // requests other than getUpdates being served
	// Faults on demand (faults.go).
	faults  map[string][]faultRule // by lower-case method: answers queued by Fail
	holds   map[string]holdRule    // by method: the Hold in force
	held    map[string]int         // calls waiting in a hold
	blocked map[int64]bool         // users who blocked the bot
	refused int
}

type queuedUpdate struct {
	id   int
	body json.RawMessage
}

type chat struct {
	user     User
	messages []*message // user's and bot's, ascending id
	nextID   int
}

type message struct {
	id             int
	fromBot        bool
	date, editDate int64
	text           string
	parseMode      string
	entities       []apiEntity
	keyboard       [][]map[string]any // inline keyboard as sent; never mutated, only replaced
	replyKeyboard  [][]string
	removeKeyboard bool
	edited         bool
	deleted        bool
}

type callbackState struct {
	chatID    int64
	messageID int
	answered  bool
}

// New returns a fake serving the bot with the given token. A token of the
// usual "<bot id>:<secret>" form gives the bot that id.
func New(token string) *Server {
	id := int64(1)
	if head, _, ok := strings.Cut(token, ":"); ok {
		if n, err := strconv.ParseInt(head, 10, 64); err == nil {
			id = n
		}
	}
	return &Server{
		token:        token,
		bot:          apiUser{ID: id, IsBot: true, FirstName: "Shift Bot", Username: BotUsername},
		changed:      make(chan struct{}),
		nextUpdateID: 1,
		chats:        map[int64]*chat{},
		callbacks:    map[string]*callbackState{},
		calls:        map[string]int{},
		faults:       map[string][]faultRule{},
		holds:        map[string]holdRule{},
		held:         map[string]int{},
		blocked:      map[int64]bool{},
	}
}

// Close makes pending and future getUpdates return at once with no updates
// and fails pending waits. Call it before httptest.Server.Close, which
// otherwise blocks until every long poll times out: the library cannot
// cancel a request in flight.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.notifyLocked()
}

// AddUser opens a chat with u as if u had started the bot earlier, without
// queueing an update, so the bot may write first.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chatOfLocked(u)
}

// SendText queues a text message from u and returns its update_id. A leading
// /command gets a bot_command entity, as Telegram adds.
func (s *Server) SendText(u User, text string) (updateID int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatOfLocked(u)
	m := c.add(&message{date: now(), text: text, entities: commandEntities(text)})
	s.events = append(s.events, Event{Kind: UserTyped, ChatID: u.ID, User: displayName(u), MessageID: m.id, Text: text})
	return s.enqueueLocked(apiUpdate{Message: s.wireMessage(c, m)})
}

// Press presses the button labelled label on the latest message in u's chat
// that still has an inline keyboard, queueing a callback_query with the
// button's data. It fails if there is no such message or button, or the
// button is not a callback button.
func (s *Server) Press(u User, label string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[u.ID]
	if c == nil {
		return fmt.Errorf("telegramfake: no chat with user %d", u.ID)
	}
	for i := len(c.messages) - 1; i >= 0; i-- {
		if m := c.messages[i]; m.fromBot && !m.deleted && len(m.keyboard) > 0 {
			return s.pressLocked(u, c, m, label)
		}
	}
	return fmt.Errorf("telegramfake: no message with an inline keyboard in chat %d", u.ID)
}

// PressOn is Press on a given message, e.g. an older one whose keyboard a
// user can still reach by scrolling up.
func (s *Server) PressOn(u User, messageID int, label string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[u.ID]
	if c == nil {
		return fmt.Errorf("telegramfake: no chat with user %d", u.ID)
	}
	m := c.find(messageID)
	if m == nil || !m.fromBot || m.deleted || len(m.keyboard) == 0 {
		return fmt.Errorf("telegramfake: message #%d in chat %d has no inline keyboard", messageID, u.ID)
	}
	return s.pressLocked(u, c, m, label)
}

func (s *Server) pressLocked(u User, c *chat, m *message, label string) error {
	var labels []string
	for _, row := range m.keyboard {
		for _, b := range row {
			btn := publicButton(b)
			if btn.Text != label {
				labels = append(labels, "["+btn.Text+"]")
				continue
			}
			if btn.Data == "" {
				return fmt.Errorf("telegramfake: button %q on message #%d is not a callback button", label, m.id)
			}
			s.queueCallbackLocked(u, c, m.id, btn.Data, label)
			return nil
		}
	}
	return fmt.Errorf("telegramfake: no button %q on message #%d; it has %s", label, m.id, strings.Join(labels, " "))
}

// PressData queues a callback_query carrying arbitrary data for messageID,
// whatever buttons that message has or whether it exists: what a modified
// client could send. For security tests.
func (s *Server) PressData(u User, messageID int, data string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queueCallbackLocked(u, s.chatOfLocked(u), messageID, data, "")
}

func (s *Server) queueCallbackLocked(u User, c *chat, messageID int, data, label string) {
	s.nextQueryID++
	id := strconv.Itoa(s.nextQueryID)
	s.callbacks[id] = &callbackState{chatID: u.ID, messageID: messageID}
	s.unanswered++
	s.events = append(s.events, Event{Kind: UserPressed, ChatID: u.ID, User: displayName(u), MessageID: messageID, Text: label, Data: data})

	cq := &apiCallbackQuery{ID: id, From: wireUser(u), ChatInstance: "chat" + strconv.FormatInt(u.ID, 10), Data: data}
	if m := c.find(messageID); m != nil && !m.deleted {
		cq.Message = s.wireMessage(c, m)
	} else {
		// Telegram's InaccessibleMessage: just the chat, the id and date 0.
		cq.Message = &apiMessage{MessageID: messageID, Chat: wireChat(c.user)}
	}
	s.enqueueLocked(apiUpdate{CallbackQuery: cq})
}

// Messages returns the current state of every message the bot sent to
// chatID, oldest first, deleted ones included and marked.
func (s *Server) Messages(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messagesLocked(chatID)
}

func (s *Server) messagesLocked(chatID int64) []Message {
	c := s.chats[chatID]
	if c == nil {
		return nil
	}
	var out []Message
	for _, m := range c.messages {
		if m.fromBot {
			out = append(out, Message{
				ID: m.id, ChatID: chatID, Text: m.text, ParseMode: m.parseMode,
				Buttons: publicButtons(m.keyboard), ReplyKeyboard: cloneLabels(m.replyKeyboard),
				RemoveKeyboard: m.removeKeyboard, Edited: m.edited, Deleted: m.deleted,
			})
		}
	}
	return out
}

// Transcript returns what happened in chatID, in order.
func (s *Server) Transcript(chatID int64) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Event
	for _, e := range s.events {
		if e.ChatID == chatID {
			e.Buttons = cloneButtons(e.Buttons)
			e.ReplyKeyboard = cloneLabels(e.ReplyKeyboard)
			out = append(out, e)
		}
	}
	return out
}

// WaitFor blocks until a message the bot sent to chatID, in its current
// state and not deleted, satisfies pred, and returns the newest such
// message. Messages that already match count, so make pred specific enough
// not to match an earlier answer. pred runs without the fake's lock held.
func (s *Server) WaitFor(ctx context.Context, chatID int64, pred func(Message) bool) (Message, error) {
	for {
		s.mu.Lock()
		msgs, ch, closed := s.messagesLocked(chatID), s.changed, s.closed
		s.mu.Unlock()
		for i := len(msgs) - 1; i >= 0; i-- {
			if !msgs[i].Deleted && pred(msgs[i]) {
				return msgs[i], nil
			}
		}
		last := "none"
		if len(msgs) > 0 {
			last = fmt.Sprintf("#%d %q", msgs[len(msgs)-1].ID, msgs[len(msgs)-1].Text)
		}
		if closed {
			return Message{}, fmt.Errorf("telegramfake: closed while waiting for a message in chat %d (last: %s)", chatID, last)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return Message{}, fmt.Errorf("telegramfake: no matching message in chat %d (last: %s): %w", chatID, last, ctx.Err())
		}
	}
}

// WaitIdle blocks until every queued update has been confirmed (the bot
// called getUpdates with an offset past it), every callback query has been
// answered and no other request is being served. For a bot that handles
// each batch of updates before polling again this means it has finished
// reacting. A bot that hands updates to other goroutines (GetUpdatesChan
// does), or sends its replies from an outbox after committing them, may
// still be working when it returns; wait with WaitFor there, or on the
// bot's own outbox.
func (s *Server) WaitIdle(ctx context.Context) error {
	for {
		s.mu.Lock()
		pending, unanswered, inflight, ch, closed := len(s.queue), s.unanswered, s.inflight, s.changed, s.closed
		s.mu.Unlock()
		if pending == 0 && unanswered == 0 && inflight == 0 {
			return nil
		}
		state := fmt.Sprintf("%d update(s) unconfirmed, %d callback query(ies) unanswered, %d request(s) in flight", pending, unanswered, inflight)
		if closed {
			return errors.New("telegramfake: closed while not idle: " + state)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("telegramfake: not idle, %s: %w", state, ctx.Err())
		}
	}
}

// Pending is the number of queued updates not yet confirmed by an offset.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// Calls is how many requests with a valid token named method (compared
// case-insensitively, as Telegram does), whatever their outcome.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[strings.ToLower(method)]
}

// SetConflict makes the next n getUpdates calls fail with 409, as when a
// second instance of the bot polls with the same token.
func (s *Server) SetConflict(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conflicts = n
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) chatOfLocked(u User) *chat {
	c := s.chats[u.ID]
	if c == nil {
		c = &chat{}
		s.chats[u.ID] = c
	}
	c.user = u // the latest names win, as in a real client
	return c
}

func (s *Server) enqueueLocked(u apiUpdate) int {
	u.UpdateID = s.nextUpdateID
	s.nextUpdateID++
	body, err := json.Marshal(u)
	if err != nil {
		panic(err) // plain structs of strings and numbers always marshal
	}
	s.queue = append(s.queue, queuedUpdate{id: u.UpdateID, body: body})
	s.notifyLocked()
	return u.UpdateID
}

// add gives m the chat's next message id: in a private chat the user's and
// the bot's messages share one sequence.
func (c *chat) add(m *message) *message {
	c.nextID++
	m.id = c.nextID
	c.messages = append(c.messages, m)
	return m
}

func (c *chat) find(id int) *message {
	for _, m := range c.messages {
		if m.id == id {
			return m
		}
	}
	return nil
}

func displayName(u User) string {
	switch {
	case u.FirstName != "":
		return u.FirstName
	case u.Username != "":
		return "@" + u.Username
	}
	return "user " + strconv.FormatInt(u.ID, 10)
}

func now() int64 { return time.Now().Unix() }

func publicButton(b map[string]any) Button {
	text, _ := b["text"].(string)
	data, _ := b["callback_data"].(string)
	url, _ := b["url"].(string)
	return Button{Text: text, Data: data, URL: url}
}

func publicButtons(kb [][]map[string]any) [][]Button {
	if len(kb) == 0 {
		return nil
	}
	out := make([][]Button, len(kb))
	for i, row := range kb {
		for _, b := range row {
			out[i] = append(out[i], publicButton(b))
		}
	}
	return out
}

func cloneButtons(in [][]Button) [][]Button {
	if in == nil {
		return nil
	}
	out := make([][]Button, len(in))
	for i, row := range in {
		out[i] = append([]Button(nil), row...)
	}
	return out
}

func cloneLabels(in [][]string) [][]string {
	if in == nil {
		return nil
	}
	out := make([][]string, len(in))
	for i, row := range in {
		out[i] = append([]string(nil), row...)
	}
	return out
}
