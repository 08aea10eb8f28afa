package telegramfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"strings"
)

// markup is a parsed reply_markup parameter.
type markup struct {
	inline    [][]map[string]any // inline keyboard; nil when empty or absent
	keep      bool               // {"inline_keyboard":null}: edits leave the keyboard alone
	nonInline bool               // reply keyboard, remove_keyboard or force_reply
	reply     [][]string         // labels of a reply keyboard
	remove    bool               // remove_keyboard
}

// inlineActions are the fields of which an inline button needs exactly one;
// a button with text alone is rejected.
var inlineActions = []string{
	"callback_data", "url", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
	"switch_inline_query_chosen_chat", "callback_game", "pay", "web_app", "copy_text",
}

func parseMarkup(raw string) (markup, *apiError) {
	var mk markup
	if raw == "" {
		return mk, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &obj); err != nil {
		return mk, badRequest("can't parse reply keyboard markup JSON object")
	}
	switch {
	case obj["inline_keyboard"] != nil:
		if string(obj["inline_keyboard"]) == "null" {
			mk.keep = true
			return mk, nil
		}
		var rows [][]map[string]any
		if err := json.Unmarshal(obj["inline_keyboard"], &rows); err != nil {
			return mk, badRequest("can't parse reply keyboard markup JSON object")
		}
		for _, row := range rows {
			for _, b := range row {
				if e := checkButton(b); e != nil {
					return mk, e
				}
			}
		}
		if len(rows) > 0 {
			mk.inline = rows
		}
	case obj["keyboard"] != nil:
		mk.nonInline = true
		var rows [][]json.RawMessage
		if err := json.Unmarshal(obj["keyboard"], &rows); err != nil {
			return mk, badRequest("can't parse reply keyboard markup JSON object")
		}
		for _, row := range rows {
			var labels []string
			for _, b := range row {
				// A reply button is a string or an object with "text".
				var label string
				if json.Unmarshal(b, &label) != nil {
					var obj struct{ Text string }
					_ = json.Unmarshal(b, &obj)
					label = obj.Text
				}
				labels = append(labels, label)
			}
			mk.reply = append(mk.reply, labels)
		}
	case obj["remove_keyboard"] != nil:
		mk.nonInline, mk.remove = true, true
	case obj["force_reply"] != nil:
		mk.nonInline = true
	}
	return mk, nil
}

func checkButton(b map[string]any) *apiError {
	if _, ok := b["text"].(string); !ok {
		return badRequest(`can't parse inline keyboard button: Field "text" must be of type String`)
	}
	found := false
	for _, f := range inlineActions {
		_, has := b[f]
		found = found || has
	}
	if !found {
		return badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
	}
	if v, has := b["callback_data"]; has {
		// 1-64 bytes, not characters: Cyrillic or emoji data runs out early.
		if data, ok := v.(string); !ok || len(data) == 0 || len(data) > 64 {
			return badRequest("BUTTON_DATA_INVALID")
		}
	}
	return nil
}

func sameKeyboard(a, b [][]map[string]any) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	// Maps marshal with sorted keys, so equal keyboards give equal bytes.
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

// checkText applies Telegram's rules for a message text: 1-4096 characters
// after entity parsing, counted in UTF-16 code units as Telegram does.
func checkText(text, parseMode string) *apiError {
	switch strings.ToLower(parseMode) {
	case "", "markdown", "markdownv2":
	case "html":
		if desc := checkHTML(text); desc != "" {
			return badRequest("can't parse entities: " + desc)
		}
	default:
		return badRequest("unsupported parse_mode")
	}
	visible := visibleText(text, parseMode)
	if strings.TrimSpace(visible) == "" {
		return badRequest("message text is empty")
	}
	if utf16Len(visible) > 4096 {
		return badRequest("message is too long")
	}
	return nil
}

// htmlTags are the tags Telegram's HTML parse mode supports.
var htmlTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true, "s": true,
	"strike": true, "del": true, "span": true, "tg-spoiler": true, "a": true, "tg-emoji": true,
	"code": true, "pre": true, "blockquote": true,
}

// checkHTML returns why Telegram would refuse text as HTML, or "". It checks
// what goes wrong in practice: unescaped "<" from user input ("<3", "a<b"),
// unsupported tags such as <br>, and unbalanced tags. It does not check "&".
func checkHTML(text string) string {
	var open []string
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '<')
		if j < 0 {
			break
		}
		i += j
		k := i + 1
		closing := strings.HasPrefix(text[k:], "/")
		if closing {
			k++
		}
		n := k
		for n < len(text) && (isLetterOrDigit(text[n]) || text[n] == '-') {
			n++
		}
		name := strings.ToLower(text[k:n])
		if !closing && !htmlTags[name] {
			return fmt.Sprintf("Unsupported start tag %q at byte offset %d", name, i)
		}
		end := strings.IndexByte(text[i:], '>')
		if end < 0 {
			return fmt.Sprintf("Unclosed start tag at byte offset %d", i)
		}
		switch {
		case !closing:
			open = append(open, name)
		case len(open) == 0:
			return fmt.Sprintf("Unexpected end tag at byte offset %d", i)
		case open[len(open)-1] != name:
			return fmt.Sprintf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", i, open[len(open)-1], name)
		default:
			open = open[:len(open)-1]
		}
		i += end + 1
	}
	if len(open) > 0 {
		return fmt.Sprintf("Can't find end tag corresponding to start tag %q", open[len(open)-1])
	}
	return ""
}

// visibleText is text as the user sees it: for HTML, without tags and with
// entities decoded. Markdown is left as is, so its length counts markers.
func visibleText(text, parseMode string) string {
	if !strings.EqualFold(parseMode, "html") {
		return text
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(text, '<')
		end := strings.IndexByte(text[max(i, 0):], '>')
		if i < 0 || end < 0 {
			b.WriteString(text)
			break
		}
		b.WriteString(text[:i])
		text = text[i+end+1:]
	}
	return html.UnescapeString(b.String())
}

func isLetterOrDigit(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 { // outside the BMP: a surrogate pair
			n++
		}
	}
	return n
}

// commandEntities marks a leading /command the way Telegram does, which is
// what tgbotapi.Message.IsCommand and Command rely on.
func commandEntities(text string) []apiEntity {
	if !strings.HasPrefix(text, "/") {
		return nil
	}
	cmd := strings.Fields(text)[0]
	if len(cmd) < 2 {
		return nil
	}
	return []apiEntity{{Type: "bot_command", Offset: 0, Length: utf16Len(cmd)}}
}
