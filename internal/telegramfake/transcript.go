package telegramfake

import (
	"fmt"
	"strings"
)

// EventKind says what an Event records.
type EventKind string

const (
	UserTyped         EventKind = "user_typed"          // Text: what the user typed
	UserPressed       EventKind = "user_pressed"        // Text: the label ("" for PressData), Data: callback_data
	BotSent           EventKind = "bot_sent"            // sendMessage
	BotSentDocument   EventKind = "bot_sent_document"   // sendDocument; Text is the caption
	BotEdited         EventKind = "bot_edited"          // editMessageText; Buttons is the keyboard left on it
	BotEditedKeyboard EventKind = "bot_edited_keyboard" // editMessageReplyMarkup; no Buttons means removed
	BotDeleted        EventKind = "bot_deleted"         // deleteMessage
	CallbackAnswered  EventKind = "callback_answered"   // answerCallbackQuery; Text is the toast or alert
)

// Event is one step of a chat, in the order the fake saw it.
type Event struct {
	Kind           EventKind
	ChatID         int64
	User           string // the user's display name, on user events
	MessageID      int    // the message sent, edited, deleted or pressed on
	Text           string
	ParseMode      string
	Data           string
	Buttons        [][]Button
	ReplyKeyboard  [][]string
	RemoveKeyboard bool
	ShowAlert      bool
	Document       *Document // BotSentDocument
}

// FormatTranscript renders events as a user would read the chat, e.g.
//
//	👤 Anna: Create new shift
//	🤖 bot: Which day?
//	   [Yesterday] [Today]
//	   [⬅️ Back]
//	👤 Anna pressed [Today]
//	🤖 bot edited #2: Day: today
//	   💬 Saved
//
// HTML markup is stripped. Answers to button presses without text are left
// out: the user sees nothing but the button's spinner stop.
func FormatTranscript(events []Event) string {
	var b strings.Builder
	for _, e := range events {
		text := indent(visibleText(e.Text, e.ParseMode))
		switch e.Kind {
		case UserTyped:
			fmt.Fprintf(&b, "👤 %s: %s\n", e.User, text)
		case UserPressed:
			if e.Text != "" {
				fmt.Fprintf(&b, "👤 %s pressed [%s]\n", e.User, e.Text)
			} else {
				fmt.Fprintf(&b, "👤 %s sent callback data %q for #%d\n", e.User, e.Data, e.MessageID)
			}
		case BotSent:
			fmt.Fprintf(&b, "🤖 bot: %s\n", text)
			writeButtons(&b, e.Buttons)
			for _, row := range e.ReplyKeyboard {
				fmt.Fprintf(&b, "   ⌨️ [%s]\n", strings.Join(row, "] ["))
			}
			if e.RemoveKeyboard {
				b.WriteString("   (keyboard hidden)\n")
			}
		case BotSentDocument:
			fmt.Fprintf(&b, "🤖 bot sent 📎 %s (%d bytes)", e.Document.Name, len(e.Document.Data))
			if text != "" {
				b.WriteString(": " + text)
			}
			b.WriteString("\n")
			writeButtons(&b, e.Buttons)
		case BotEdited:
			fmt.Fprintf(&b, "🤖 bot edited #%d: %s\n", e.MessageID, text)
			writeButtons(&b, e.Buttons)
		case BotEditedKeyboard:
			if len(e.Buttons) == 0 {
				fmt.Fprintf(&b, "🤖 bot removed keyboard of #%d\n", e.MessageID)
			} else {
				fmt.Fprintf(&b, "🤖 bot changed keyboard of #%d:\n", e.MessageID)
				writeButtons(&b, e.Buttons)
			}
		case BotDeleted:
			fmt.Fprintf(&b, "🤖 bot deleted #%d\n", e.MessageID)
		case CallbackAnswered:
			switch {
			case e.Text == "":
			case e.ShowAlert:
				fmt.Fprintf(&b, "   ⚠️ %s\n", text)
			default:
				fmt.Fprintf(&b, "   💬 %s\n", text)
			}
		}
	}
	return b.String()
}

func writeButtons(b *strings.Builder, rows [][]Button) {
	for _, row := range rows {
		b.WriteString("  ")
		for _, btn := range row {
			b.WriteString(" [" + btn.Text + "]")
		}
		b.WriteString("\n")
	}
}

// indent keeps a multi-line text under its speaker.
func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n   ") }
