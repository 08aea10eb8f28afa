package telegramfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shiftbot/internal/telegramfake"
)

const token = "123456:TEST-secret"

var anna = telegramfake.User{ID: 1001, FirstName: "Anna", Username: "anna"}

// start serves a fake on loopback and connects the real library to it.
func start(t *testing.T) (*telegramfake.Server, *tgbotapi.BotAPI, *httptest.Server) {
	t.Helper()
	fake := telegramfake.New(token)
	ts := httptest.NewServer(fake)
	t.Cleanup(func() { fake.Close(); ts.Close() })
	bot, err := tgbotapi.NewBotAPIWithClient(token, ts.URL+"/bot%s/%s", ts.Client())
	if err != nil {
		t.Fatalf("NewBotAPIWithClient: %v", err)
	}
	return fake, bot, ts
}

func timeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// apiError asserts err is the library's *tgbotapi.Error with the given code
// and a description starting with prefix.
func apiError(t *testing.T, err error, code int, prefix string) {
	t.Helper()
	var e *tgbotapi.Error
	if !errors.As(err, &e) {
		t.Fatalf("want *tgbotapi.Error %d %q, got %T %v", code, prefix, err, err)
	}
	if e.Code != code || !strings.HasPrefix(e.Message, prefix) {
		t.Fatalf("want %d %q..., got %d %q", code, prefix, e.Code, e.Message)
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
	}
}

func dayKeyboard() tgbotapi.InlineKeyboardMarkup {
	return tgbotapi.NewInlineKeyboardMarkup(
		tgbotapi.NewInlineKeyboardRow(
			tgbotapi.NewInlineKeyboardButtonData("Yesterday", "day:-1"),
			tgbotapi.NewInlineKeyboardButtonData("Today", "day:0"),
		),
		tgbotapi.NewInlineKeyboardRow(
			tgbotapi.NewInlineKeyboardButtonData("⬅️ Back", "back"),
			tgbotapi.NewInlineKeyboardButtonURL("Help", "https://example.com/help"),
		),
	)
}

func sendDayPrompt(t *testing.T, bot *tgbotapi.BotAPI) tgbotapi.Message {
	t.Helper()
	msg := tgbotapi.NewMessage(anna.ID, "Which day?")
	msg.ReplyMarkup = dayKeyboard()
	sent, err := bot.Send(msg)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	return sent
}

func TestGetMe(t *testing.T) {
	fake, bot, _ := start(t)
	if bot.Self.UserName != telegramfake.BotUsername || !bot.Self.IsBot || bot.Self.ID != 123456 {
		t.Fatalf("Self = %+v", bot.Self)
	}
	if n := fake.Calls("getMe"); n != 1 {
		t.Fatalf("getMe calls = %d", n)
	}
}

func TestWrongTokenIs401AndUnknownMethodIs404(t *testing.T) {
	fake, bot, ts := start(t)
	_, err := tgbotapi.NewBotAPIWithClient("999:wrong", ts.URL+"/bot%s/%s", ts.Client())
	apiError(t, err, 401, "Unauthorized")

	_, err = bot.MakeRequest("sendPigeon", nil)
	apiError(t, err, 404, "Not Found")
	if fake.Calls("sendpigeon") != 1 {
		t.Fatal("unknown method not counted")
	}
}

func TestLongPollReturnsUpdateTypedAfterPollStarted(t *testing.T) {
	fake, bot, _ := start(t)
	type result struct {
		updates []tgbotapi.Update
		err     error
	}
	got := make(chan result, 1)
	go func() {
		cfg := tgbotapi.NewUpdate(0)
		cfg.Timeout = 10
		ups, err := bot.GetUpdates(cfg)
		got <- result{ups, err}
	}()
	waitUntil(t, func() bool { return fake.WaitingPolls() == 1 })

	id := fake.SendText(anna, "/start")
	var r result
	select {
	case r = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("poll did not return the update")
	}
	if r.err != nil || len(r.updates) != 1 {
		t.Fatalf("got %+v", r)
	}
	u := r.updates[0]
	if u.UpdateID != id || u.Message == nil || u.Message.Text != "/start" || u.Message.Command() != "start" {
		t.Fatalf("update = %+v", u)
	}
	if m := u.Message; m.Chat.ID != anna.ID || m.Chat.Type != "private" || m.From.FirstName != "Anna" || m.From.IsBot || m.Date == 0 {
		t.Fatalf("message = %+v chat %+v from %+v", m, m.Chat, m.From)
	}

	// With nothing queued the poll ends empty after its timeout.
	cfg := tgbotapi.NewUpdate(id + 1)
	cfg.Timeout = 1
	began := time.Now()
	ups, err := bot.GetUpdates(cfg)
	if err != nil || len(ups) != 0 || time.Since(began) < 900*time.Millisecond {
		t.Fatalf("empty poll: %v %v after %v", ups, err, time.Since(began))
	}
}

func TestOffsetConfirmsUpdates(t *testing.T) {
	fake, bot, _ := start(t)
	id1 := fake.SendText(anna, "one")
	id2 := fake.SendText(anna, "two")

	for range 2 { // unconfirmed updates come again
		ups, err := bot.GetUpdates(tgbotapi.NewUpdate(0))
		if err != nil || len(ups) != 2 || ups[0].UpdateID != id1 || ups[1].Message.Text != "two" {
			t.Fatalf("got %+v %v", ups, err)
		}
	}
	ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{Offset: id1 + 1, Limit: 1})
	if err != nil || len(ups) != 1 || ups[0].UpdateID != id2 || fake.Pending() != 1 {
		t.Fatalf("after confirming one: %+v %v pending %d", ups, err, fake.Pending())
	}
	ups, err = bot.GetUpdates(tgbotapi.NewUpdate(id2 + 1))
	if err != nil || len(ups) != 0 || fake.Pending() != 0 {
		t.Fatalf("after confirming all: %+v %v pending %d", ups, err, fake.Pending())
	}
}

func TestPressYieldsCallbackQueryAndAnswerIsRecorded(t *testing.T) {
	fake, bot, _ := start(t)
	fake.AddUser(anna)
	sent := sendDayPrompt(t, bot)
	if sent.Chat.ID != anna.ID || sent.ReplyMarkup == nil || sent.ReplyMarkup.InlineKeyboard[0][1].Text != "Today" {
		t.Fatalf("sent = %+v", sent)
	}

	if err := fake.Press(anna, "Tomorrow"); err == nil || !strings.Contains(err.Error(), "[Today]") {
		t.Fatalf("pressing a missing label: %v", err)
	}
	if err := fake.Press(anna, "Help"); err == nil {
		t.Fatal("pressing a URL button queued a callback")
	}
	if err := fake.Press(anna, "Today"); err != nil {
		t.Fatal(err)
	}
	ups, err := bot.GetUpdates(tgbotapi.NewUpdate(0))
	if err != nil || len(ups) != 1 || ups[0].CallbackQuery == nil {
		t.Fatalf("got %+v %v", ups, err)
	}
	cq := ups[0].CallbackQuery
	if cq.Data != "day:0" || cq.From.ID != anna.ID || cq.Message.MessageID != sent.MessageID ||
		cq.Message.Text != "Which day?" || len(cq.Message.ReplyMarkup.InlineKeyboard) != 2 || cq.ChatInstance == "" {
		t.Fatalf("callback = %+v message %+v", cq, cq.Message)
	}

	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := fake.WaitIdle(short); err == nil || !strings.Contains(err.Error(), "1 callback query(ies) unanswered") {
		t.Fatalf("WaitIdle with an unanswered query: %v", err)
	}

	resp, err := bot.Request(tgbotapi.NewCallback(cq.ID, "Saved"))
	if err != nil || !resp.Ok || string(resp.Result) != "true" {
		t.Fatalf("answer: %+v %v", resp, err)
	}
	_, err = bot.Request(tgbotapi.NewCallback(cq.ID, ""))
	apiError(t, err, 400, "Bad Request: query is too old and response timeout expired or query ID is invalid")

	if _, err := bot.GetUpdates(tgbotapi.NewUpdate(ups[0].UpdateID + 1)); err != nil {
		t.Fatal(err)
	}
	if err := fake.WaitIdle(timeout(t)); err != nil {
		t.Fatal(err)
	}
	tr := fake.Transcript(anna.ID)
	if last := tr[len(tr)-1]; last.Kind != telegramfake.CallbackAnswered || last.Text != "Saved" || last.MessageID != sent.MessageID {
		t.Fatalf("last event = %+v", last)
	}
}

// bot.Send on a method whose result is true fails to decode it as a Message,
// although Telegram did the work: bots must use bot.Request for those.
func TestSendOnBooleanResultFailsAfterSuccess(t *testing.T) {
	fake, bot, _ := start(t)
	fake.AddUser(anna)
	sendDayPrompt(t, bot)
	if err := fake.Press(anna, "Today"); err != nil {
		t.Fatal(err)
	}
	ups, _ := bot.GetUpdates(tgbotapi.NewUpdate(0))
	_, err := bot.Send(tgbotapi.NewCallback(ups[0].CallbackQuery.ID, ""))
	var apiErr *tgbotapi.Error
	if err == nil || errors.As(err, &apiErr) {
		t.Fatalf("want a JSON decoding error, got %v", err)
	}
	if tr := fake.Transcript(anna.ID); tr[len(tr)-1].Kind != telegramfake.CallbackAnswered {
		t.Fatal("the answer was not recorded")
	}
}

func TestEditMessageReplyMarkupRemovesKeyboard(t *testing.T) {
	fake, bot, _ := start(t)
	fake.AddUser(anna)
	sent := sendDayPrompt(t, bot)

	// NewInlineKeyboardMarkup() has nil rows, sent as "inline_keyboard":null,
	// which Telegram takes as "no change".
	_, err := bot.Send(tgbotapi.NewEditMessageReplyMarkup(anna.ID, sent.MessageID, tgbotapi.NewInlineKeyboardMarkup()))
	apiError(t, err, 400, "Bad Request: message is not modified")

	empty := tgbotapi.InlineKeyboardMarkup{InlineKeyboard: [][]tgbotapi.InlineKeyboardButton{}}
	edited, err := bot.Send(tgbotapi.NewEditMessageReplyMarkup(anna.ID, sent.MessageID, empty))
	if err != nil || edited.ReplyMarkup != nil || edited.EditDate == 0 {
		t.Fatalf("remove keyboard: %+v %v", edited, err)
	}
	msgs := fake.Messages(anna.ID)
	if len(msgs) != 1 || msgs[0].Buttons != nil || !msgs[0].Edited || msgs[0].Text != "Which day?" {
		t.Fatalf("messages = %+v", msgs)
	}
	if err := fake.Press(anna, "Today"); err == nil {
		t.Fatal("pressed a removed button")
	}
	if err := fake.PressOn(anna, sent.MessageID, "Today"); err == nil {
		t.Fatal("pressed a removed button with PressOn")
	}
	_, err = bot.Send(tgbotapi.NewEditMessageReplyMarkup(anna.ID, sent.MessageID, empty))
	apiError(t, err, 400, "Bad Request: message is not modified")
}

func TestEditMessageText(t *testing.T) {
	fake, bot, _ := start(t)
	fake.AddUser(anna)
	sent := sendDayPrompt(t, bot)

	edited, err := bot.Send(tgbotapi.NewEditMessageTextAndMarkup(anna.ID, sent.MessageID, "Day?", dayKeyboard()))
	if err != nil || edited.Text != "Day?" || edited.EditDate == 0 || edited.ReplyMarkup == nil {
		t.Fatalf("edit: %+v %v", edited, err)
	}
	_, err = bot.Send(tgbotapi.NewEditMessageTextAndMarkup(anna.ID, sent.MessageID, "Day?", dayKeyboard()))
	apiError(t, err, 400, "Bad Request: message is not modified: ")

	// Without reply_markup, Telegram drops the keyboard along with the edit.
	if _, err := bot.Send(tgbotapi.NewEditMessageText(anna.ID, sent.MessageID, "Day?")); err != nil {
		t.Fatalf("edit dropping the keyboard: %v", err)
	}
	if m := fake.Messages(anna.ID)[0]; m.Buttons != nil || !m.Edited {
		t.Fatalf("message = %+v", m)
	}

	_, err = bot.Send(tgbotapi.NewEditMessageText(anna.ID, 999, "x"))
	apiError(t, err, 400, "Bad Request: message to edit not found")
}

func TestValidation(t *testing.T) {
	fake, bot, _ := start(t)
	fake.AddUser(anna)
	withData := func(data string) tgbotapi.MessageConfig {
		m := tgbotapi.NewMessage(anna.ID, "pick")
		m.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("x", data)))
		return m
	}
	html := func(text string) tgbotapi.MessageConfig {
		m := tgbotapi.NewMessage(anna.ID, text)
		m.ParseMode = tgbotapi.ModeHTML
		return m
	}
	textOnly := tgbotapi.NewMessage(anna.ID, "pick")
	textOnly.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup([]tgbotapi.InlineKeyboardButton{{Text: "x"}})

	for _, tc := range []struct {
		name string
		msg  tgbotapi.MessageConfig
		want string // "" for success
	}{
		{"64-byte data", withData(strings.Repeat("d", 64)), ""},
		{"65-byte data", withData(strings.Repeat("d", 65)), "Bad Request: BUTTON_DATA_INVALID"},
		{"64 bytes of Cyrillic is 32 letters", withData(strings.Repeat("д", 33)), "Bad Request: BUTTON_DATA_INVALID"},
		{"text-only inline button", textOnly, "Bad Request: can't parse inline keyboard button: Text buttons are unallowed"},
		{"empty text", tgbotapi.NewMessage(anna.ID, ""), "Bad Request: message text is empty"},
		{"4096 characters", tgbotapi.NewMessage(anna.ID, strings.Repeat("я", 4096)), ""},
		{"4097 characters", tgbotapi.NewMessage(anna.ID, strings.Repeat("a", 4097)), "Bad Request: message is too long"},
		{"emoji count twice", tgbotapi.NewMessage(anna.ID, strings.Repeat("🙂", 2049)), "Bad Request: message is too long"},
		{"HTML tags do not count", html("<b>" + strings.Repeat("a", 4096) + "</b>"), ""},
		{"unescaped < in HTML", html("Anna <3 shifts"), "Bad Request: can't parse entities: Unsupported start tag \"3\""},
		{"<br> in HTML", html("a<br>b"), "Bad Request: can't parse entities: Unsupported start tag \"br\""},
		{"unclosed tag", html("<b>bold"), "Bad Request: can't parse entities: Can't find end tag"},
		{"escaped HTML", html("Anna &lt;3 <i>shifts</i>"), ""},
		{"unknown chat", tgbotapi.NewMessage(4242, "hi"), "Bad Request: chat not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := bot.Send(tc.msg)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			apiError(t, err, 400, tc.want)
		})
	}

	if _, err := bot.Request(tgbotapi.NewChatAction(anna.ID, tgbotapi.ChatTyping)); err != nil {
		t.Fatal(err)
	}
	_, err := bot.Request(tgbotapi.NewChatAction(anna.ID, "dancing"))
	apiError(t, err, 400, "Bad Request: wrong parameter action in request")
}

func TestConflict(t *testing.T) {
	fake, bot, _ := start(t)
	fake.SetConflict(1)
	_, err := bot.GetUpdates(tgbotapi.NewUpdate(0))
	apiError(t, err, 409, "Conflict: terminated by other getUpdates request")
	if _, err := bot.GetUpdates(tgbotapi.NewUpdate(0)); err != nil {
		t.Fatalf("after the conflict: %v", err)
	}

	// A second poller ends the first one's long poll, as on Telegram.
	first := make(chan error, 1)
	go func() {
		cfg := tgbotapi.NewUpdate(0)
		cfg.Timeout = 10
		_, err := bot.GetUpdates(cfg)
		first <- err
	}()
	waitUntil(t, func() bool { return fake.WaitingPolls() == 1 })
	if _, err := bot.GetUpdates(tgbotapi.NewUpdate(0)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-first:
		apiError(t, err, 409, "Conflict: terminated by other getUpdates request")
	case <-time.After(5 * time.Second):
		t.Fatal("first poll not terminated")
	}
}

func TestDeleteAndForgedCallback(t *testing.T) {
	fake, bot, _ := start(t)
	fake.AddUser(anna)
	sent := sendDayPrompt(t, bot)
	if _, err := bot.Request(tgbotapi.NewDeleteMessage(anna.ID, sent.MessageID)); err != nil {
		t.Fatal(err)
	}
	_, err := bot.Request(tgbotapi.NewDeleteMessage(anna.ID, sent.MessageID))
	apiError(t, err, 400, "Bad Request: message to delete not found")
	if err := fake.Press(anna, "Today"); err == nil {
		t.Fatal("pressed a button on a deleted message")
	}
	if m := fake.Messages(anna.ID); !m[0].Deleted {
		t.Fatalf("messages = %+v", m)
	}

	fake.PressData(anna, sent.MessageID, "admin:wipe")
	ups, err := bot.GetUpdates(tgbotapi.NewUpdate(0))
	if err != nil || len(ups) != 1 {
		t.Fatalf("got %+v %v", ups, err)
	}
	// The deleted message comes as Telegram's InaccessibleMessage: date 0.
	if cq := ups[0].CallbackQuery; cq.Data != "admin:wipe" || cq.Message.MessageID != sent.MessageID || cq.Message.Date != 0 {
		t.Fatalf("callback = %+v message %+v", cq, cq.Message)
	}
}

// TestWireFormat checks JSON the library would decode leniently anyway.
func TestWireFormat(t *testing.T) {
	fake, _, ts := start(t)
	fake.SendText(anna, "/start now")
	resp, err := http.PostForm(ts.URL+"/bot"+token+"/getUpdates", url.Values{"timeout": {"0"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	msg := got["result"].([]any)[0].(map[string]any)["message"].(map[string]any)
	want := map[string]any{
		"chat":     map[string]any{"id": 1001.0, "type": "private", "first_name": "Anna", "username": "anna"},
		"from":     map[string]any{"id": 1001.0, "is_bot": false, "first_name": "Anna", "username": "anna"},
		"entities": []any{map[string]any{"type": "bot_command", "offset": 0.0, "length": 6.0}},
		"text":     "/start now",
	}
	for k, v := range want {
		if a, b := mustJSON(msg[k]), mustJSON(v); a != b {
			t.Errorf("%s = %s, want %s", k, a, b)
		}
	}

	resp2, err := http.Get(ts.URL + "/nope")
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	body, _ = io.ReadAll(resp2.Body)
	if resp2.StatusCode != 404 || strings.TrimSpace(string(body)) != `{"description":"Not Found","error_code":404,"ok":false}` {
		t.Fatalf("404 = %d %s", resp2.StatusCode, body)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// runBot is a small bot in the recommended shape: it handles each batch of
// updates before polling again, so WaitIdle means it has finished.
func runBot(t *testing.T, fake *telegramfake.Server, bot *tgbotapi.BotAPI) {
	stop, done := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(stop); fake.Close(); <-done })
	go func() {
		defer close(done)
		cfg := tgbotapi.NewUpdate(0)
		cfg.Timeout = 30
		for {
			select {
			case <-stop:
				return
			default:
			}
			ups, err := bot.GetUpdates(cfg)
			if err != nil {
				t.Errorf("getUpdates: %v", err)
				return
			}
			for _, u := range ups {
				cfg.Offset = u.UpdateID + 1
				handle(t, bot, u)
			}
		}
	}()
}

func handle(t *testing.T, bot *tgbotapi.BotAPI, u tgbotapi.Update) {
	switch {
	case u.Message != nil && u.Message.Command() == "start":
		if _, err := bot.Request(tgbotapi.NewChatAction(u.Message.Chat.ID, tgbotapi.ChatTyping)); err != nil {
			t.Errorf("chat action: %v", err)
		}
		msg := tgbotapi.NewMessage(u.Message.Chat.ID, "Hi Anna!\nWhich day?")
		msg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(
			tgbotapi.NewInlineKeyboardRow(
				tgbotapi.NewInlineKeyboardButtonData("Yesterday", "day:-1"),
				tgbotapi.NewInlineKeyboardButtonData("Today", "day:0"),
			),
			tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("⬅️ Back", "back")),
		)
		if _, err := bot.Send(msg); err != nil {
			t.Errorf("send: %v", err)
		}
	case u.CallbackQuery != nil:
		cq := u.CallbackQuery
		if _, err := bot.Request(tgbotapi.NewCallback(cq.ID, "Saved")); err != nil {
			t.Errorf("answer: %v", err)
		}
		edit := tgbotapi.NewEditMessageText(cq.Message.Chat.ID, cq.Message.MessageID, "Day: <b>today</b>")
		edit.ParseMode = tgbotapi.ModeHTML
		if _, err := bot.Send(edit); err != nil {
			t.Errorf("edit: %v", err)
		}
	}
}

func TestTranscriptWithRunningBot(t *testing.T) {
	fake, bot, _ := start(t)
	runBot(t, fake, bot)

	fake.SendText(anna, "/start")
	if err := fake.WaitIdle(timeout(t)); err != nil {
		t.Fatal(err)
	}
	if msgs := fake.Messages(anna.ID); len(msgs) != 1 || msgs[0].Buttons[1][0].Text != "⬅️ Back" {
		t.Fatalf("after /start: %+v", msgs)
	}
	if err := fake.Press(anna, "Today"); err != nil {
		t.Fatal(err)
	}
	m, err := fake.WaitFor(timeout(t), anna.ID, func(m telegramfake.Message) bool { return m.Edited })
	if err != nil || m.Text != "Day: <b>today</b>" || m.Buttons != nil {
		t.Fatalf("WaitFor: %+v %v", m, err)
	}
	if err := fake.WaitIdle(timeout(t)); err != nil {
		t.Fatal(err)
	}

	want := `👤 Anna: /start
🤖 bot: Hi Anna!
   Which day?
   [Yesterday] [Today]
   [⬅️ Back]
👤 Anna pressed [Today]
   💬 Saved
🤖 bot edited #2: Day: today
`
	if got := telegramfake.FormatTranscript(fake.Transcript(anna.ID)); got != want {
		t.Fatalf("transcript:\n%s\nwant:\n%s", got, want)
	}
	if fake.Calls("sendChatAction") != 1 {
		t.Fatal("chat action not counted")
	}
}

// The library's own polling loop works against the fake, and stops cleanly
// when StopReceivingUpdates comes before Close.
func TestGetUpdatesChan(t *testing.T) {
	fake, bot, _ := start(t)
	cfg := tgbotapi.NewUpdate(0)
	cfg.Timeout = 30
	ch := bot.GetUpdatesChan(cfg)
	fake.SendText(anna, "hello")
	select {
	case u := <-ch:
		if u.Message == nil || u.Message.Text != "hello" {
			t.Fatalf("update = %+v", u)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no update")
	}
	bot.StopReceivingUpdates()
	fake.Close()
	for range ch { // closed once the released poll returns
	}
}

// Faults come in Telegram's wire format, so the library decodes them into
// *tgbotapi.Error with ResponseParameters, and change nothing.
func TestFailAnswersInTelegramsErrorFormat(t *testing.T) {
	fake, bot, ts := start(t)
	fake.AddUser(anna)
	fake.Fail("sendMessage", 1, telegramfake.TooManyRequests(2))
	fake.Fail("SENDMESSAGE", 1, telegramfake.BadGateway)

	_, err := bot.Send(tgbotapi.NewMessage(anna.ID, "one"))
	apiError(t, err, 429, "Too Many Requests: retry after 2")
	var te *tgbotapi.Error
	if errors.As(err, &te); te.RetryAfter != 2 {
		t.Fatalf("retry_after = %d, want 2", te.RetryAfter)
	}
	_, err = bot.Send(tgbotapi.NewMessage(anna.ID, "two"))
	apiError(t, err, 502, "Bad Gateway")
	if msgs := fake.Messages(anna.ID); len(msgs) != 0 {
		t.Fatalf("a refused call was served: %+v", msgs)
	}
	if _, err := bot.Send(tgbotapi.NewMessage(anna.ID, "three")); err != nil {
		t.Fatalf("after the faults: %v", err)
	}
	if n := fake.Refused(); n != 2 || fake.Calls("sendMessage") != 3 {
		t.Fatalf("refused %d, calls %d", n, fake.Calls("sendMessage"))
	}

	// The raw answer, as https://core.telegram.org/bots/api documents it.
	fake.Fail("sendMessage", 1, telegramfake.TooManyRequests(2))
	resp, err := http.PostForm(ts.URL+"/bot"+token+"/sendMessage", url.Values{"chat_id": {"1001"}, "text": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	want := `{"description":"Too Many Requests: retry after 2","error_code":429,"ok":false,"parameters":{"retry_after":2}}`
	if resp.StatusCode != 429 || strings.TrimSpace(string(body)) != want {
		t.Fatalf("429 = %d %s", resp.StatusCode, body)
	}
}

func TestBlockedUserIs403(t *testing.T) {
	fake, bot, _ := start(t)
	fake.AddUser(anna)
	sent := sendDayPrompt(t, bot)
	fake.Block(anna)
	_, err := bot.Send(tgbotapi.NewMessage(anna.ID, "hello?"))
	apiError(t, err, 403, "Forbidden: bot was blocked by the user")
	_, err = bot.Request(tgbotapi.NewEditMessageReplyMarkup(anna.ID, sent.MessageID, tgbotapi.InlineKeyboardMarkup{InlineKeyboard: [][]tgbotapi.InlineKeyboardButton{}}))
	apiError(t, err, 403, "Forbidden: bot was blocked by the user")
	if msgs := fake.Messages(anna.ID); len(msgs) != 1 || msgs[0].Buttons == nil {
		t.Fatalf("a blocked chat changed: %+v", msgs)
	}
}

// A held call is served on release; one whose client gives up meanwhile is
// never served, as a request that did not reach Telegram.
func TestHoldServesOnReleaseOrDropsAbandonedCalls(t *testing.T) {
	fake, _, ts := start(t)
	fake.AddUser(anna)
	impatient, err := tgbotapi.NewBotAPIWithClient(token, ts.URL+"/bot%s/%s", &http.Client{Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	release := fake.Hold("sendMessage")
	_, err = impatient.Send(tgbotapi.NewMessage(anna.ID, "lost"))
	if err == nil {
		t.Fatal("a held call answered before its release")
	}
	if err := fake.WaitIdle(timeout(t)); err != nil {
		t.Fatal(err)
	}
	if msgs := fake.Messages(anna.ID); len(msgs) != 0 {
		t.Fatalf("an abandoned call was served: %+v", msgs)
	}

	patient, err := tgbotapi.NewBotAPIWithClient(token, ts.URL+"/bot%s/%s", ts.Client())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := patient.Send(tgbotapi.NewMessage(anna.ID, "kept"))
		done <- err
	}()
	if err := fake.WaitHeld(timeout(t), "sendMessage"); err != nil {
		t.Fatal(err)
	}
	if fake.Held("sendMessage") != 1 || len(fake.Messages(anna.ID)) != 0 {
		t.Fatal("the call was served while held")
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if msgs := fake.Messages(anna.ID); len(msgs) != 1 || msgs[0].Text != "kept" {
		t.Fatalf("after release: %+v", msgs)
	}
}

// FailMatching and HoldMatching pick calls by their text: the second of two
// messages fails, then its retry is held, while the first goes through.
func TestFaultsAndHoldsMatchingAText(t *testing.T) {
	fake, bot, _ := start(t)
	fake.AddUser(anna)
	fake.FailMatching("sendMessage", "Congratulations", telegramfake.BadGateway)
	if _, err := bot.Send(tgbotapi.NewMessage(anna.ID, "Shift created")); err != nil {
		t.Fatal(err)
	}
	_, err := bot.Send(tgbotapi.NewMessage(anna.ID, "🎉 Congratulations!"))
	apiError(t, err, 502, "Bad Gateway")

	release := fake.HoldMatching("sendMessage", "Congratulations")
	if _, err := bot.Send(tgbotapi.NewMessage(anna.ID, "another")); err != nil {
		t.Fatalf("a call the hold does not match: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := bot.Send(tgbotapi.NewMessage(anna.ID, "🎉 Congratulations!"))
		done <- err
	}()
	if err := fake.WaitHeld(timeout(t), "sendMessage"); err != nil {
		t.Fatal(err)
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range fake.Messages(anna.ID) {
		texts = append(texts, m.Text)
	}
	if got := strings.Join(texts, " | "); got != "Shift created | another | 🎉 Congratulations!" {
		t.Fatalf("messages: %s", got)
	}
}
