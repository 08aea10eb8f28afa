package telegramfake

import (
	"strconv"
	"strings"
)

// Documents (https://core.telegram.org/bots/api#senddocument): the fake
// takes a file uploaded as multipart/form-data in the "document" field, as
// the library sends tgbotapi.FileBytes, keeps its bytes so tests can read
// the file back, and answers with a Message carrying a document object. A
// file_id or URL in place of an upload is refused: this fake stores no
// files to refer to.

// maxCaption is Telegram's limit for a caption, in UTF-16 code units.
const maxCaption = 1024

// Document is a file the bot sent, as the user would download it.
type Document struct {
	Name     string // file_name
	MIMEType string
	Data     []byte
}

type document struct {
	Document
	fileID string
}

// public is a copy a test may keep: the fake never hands out its own bytes.
func (d *document) public() *Document {
	if d == nil {
		return nil
	}
	c := d.Document
	c.Data = append([]byte(nil), d.Data...)
	return &c
}

type apiDocument struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	FileName     string `json:"file_name,omitempty"`
	MimeType     string `json:"mime_type,omitempty"`
	FileSize     int    `json:"file_size,omitempty"`
}

func (s *Server) sendDocument(p params, files map[string]upload) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.chatLocked(p)
	if e != nil {
		return nil, e
	}
	if e := s.blockedLocked(p); e != nil {
		return nil, e
	}
	f, ok := files["document"]
	switch {
	case !ok && p["document"] != "":
		return nil, badRequest("wrong file identifier/HTTP URL specified")
	case !ok:
		return nil, badRequest("there is no document in the request")
	case len(f.data) == 0:
		return nil, badRequest("file must be non-empty")
	}
	caption := p["caption"]
	if caption != "" { // optional, unlike a message's text
		if utf16Len(visibleText(caption, p["parse_mode"])) > maxCaption {
			return nil, badRequest("message caption is too long")
		}
		if e := checkText(caption, p["parse_mode"]); e != nil {
			return nil, e
		}
	}
	mk, e := parseMarkup(p["reply_markup"])
	if e != nil {
		return nil, e
	}
	s.nextFileID++
	d := &document{Document: Document{Name: f.name, MIMEType: mimeOf(f.name), Data: append([]byte(nil), f.data...)},
		fileID: "doc" + strconv.Itoa(s.nextFileID)}
	m := c.add(&message{fromBot: true, date: now(), text: caption, parseMode: p["parse_mode"], keyboard: mk.inline, document: d})
	s.events = append(s.events, Event{
		Kind: BotSentDocument, ChatID: c.user.ID, MessageID: m.id, Text: caption, ParseMode: m.parseMode,
		Buttons: publicButtons(m.keyboard), Document: d.public(),
	})
	s.notifyLocked()
	return s.wireMessage(c, m), nil
}

// mimeOf guesses a MIME type from the file name, as Telegram does.
func mimeOf(name string) string {
	switch strings.ToLower(name[strings.LastIndexByte(name, '.')+1:]) {
	case "csv":
		return "text/csv"
	case "txt":
		return "text/plain"
	case "pdf":
		return "application/pdf"
	}
	return "application/octet-stream"
}
