package telegramfake_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shiftbot/internal/telegramfake"
)

// The library uploads tgbotapi.FileBytes as multipart/form-data; the fake
// keeps the bytes for the test to read back, answers with a document
// message, and refuses what Telegram refuses.
func TestSendDocumentUploadsTheFile(t *testing.T) {
	fake, bot, _ := start(t)
	fake.AddUser(anna)
	csv := []byte("ID,Date\n1,2026/11/02 17:00:00\n")
	doc := tgbotapi.NewDocument(anna.ID, tgbotapi.FileBytes{Name: "payroll.csv", Bytes: csv})
	doc.Caption = "Shifts of November 1 – 14"
	sent, err := bot.Send(doc)
	if err != nil {
		t.Fatal(err)
	}
	if sent.Document == nil || sent.Document.FileName != "payroll.csv" || sent.Document.FileSize != len(csv) ||
		sent.Document.MimeType != "text/csv" || sent.Caption != doc.Caption || sent.Text != "" {
		t.Fatalf("the library got %+v (document %+v)", sent, sent.Document)
	}
	msgs := fake.Messages(anna.ID)
	if len(msgs) != 1 || msgs[0].Document == nil || !bytes.Equal(msgs[0].Document.Data, csv) || msgs[0].Text != doc.Caption {
		t.Fatalf("stored %+v", msgs)
	}
	msgs[0].Document.Data[0] = 'X' // a copy: the fake's own file is unchanged
	if d := fake.Messages(anna.ID)[0].Document; d.Data[0] != 'I' {
		t.Fatal("Messages handed out the fake's own bytes")
	}
	if tr := telegramfake.FormatTranscript(fake.Transcript(anna.ID)); !strings.Contains(tr, "🤖 bot sent 📎 payroll.csv (30 bytes): Shifts of November 1 – 14") {
		t.Fatalf("transcript:\n%s", tr)
	}
	if _, err := bot.Request(tgbotapi.NewEditMessageText(anna.ID, sent.MessageID, "x")); err == nil {
		t.Fatal("a document's message has no text to edit")
	} else {
		apiError(t, err, 400, "Bad Request: there is no text in the message to edit")
	}

	for _, tc := range []struct {
		doc  tgbotapi.DocumentConfig
		want string
	}{
		{tgbotapi.NewDocument(anna.ID, tgbotapi.FileBytes{Name: "empty.csv", Bytes: nil}), "Bad Request: file must be non-empty"},
		{tgbotapi.NewDocument(anna.ID, tgbotapi.FileID("AgAD-unknown")), "Bad Request: wrong file identifier"},
		{tgbotapi.NewDocument(999, tgbotapi.FileBytes{Name: "a.csv", Bytes: csv}), "Bad Request: chat not found"},
		{func() tgbotapi.DocumentConfig {
			d := tgbotapi.NewDocument(anna.ID, tgbotapi.FileBytes{Name: "a.csv", Bytes: csv})
			d.Caption = strings.Repeat("x", 1025)
			return d
		}(), "Bad Request: message caption is too long"},
	} {
		_, err := bot.Send(tc.doc)
		uploadError(t, err, tc.want)
	}
	if n := len(fake.Messages(anna.ID)); n != 1 {
		t.Fatalf("refused documents were stored: %d messages", n)
	}

	fake.Fail("sendDocument", 1, telegramfake.BadGateway)
	_, err = bot.Send(tgbotapi.NewDocument(anna.ID, tgbotapi.FileBytes{Name: "a.csv", Bytes: csv}))
	uploadError(t, err, "Bad Gateway")
}

// uploadError asserts the library's error for an upload. Its UploadFiles
// (v5.5.1) builds the *tgbotapi.Error without the error_code, so only the
// description tells what Telegram answered; a bot must read that.
func uploadError(t *testing.T, err error, prefix string) {
	t.Helper()
	var e *tgbotapi.Error
	if !errors.As(err, &e) || !strings.HasPrefix(e.Message, prefix) {
		t.Fatalf("want *tgbotapi.Error %q..., got %T %v", prefix, err, err)
	}
}
