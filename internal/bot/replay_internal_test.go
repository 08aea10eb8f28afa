package bot

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/shopspring/decimal"

	"shiftbot/internal/hybrid"
	"shiftbot/internal/store"
	"shiftbot/internal/telegramfake"
)

// After a crash between an update's transaction and the next stored offset,
// Telegram delivers the update again; it must not be applied twice.
func TestReplayedUpdateIsSkipped(t *testing.T) {
	const token = "42:replay"
	ctx := context.Background()
	fake := telegramfake.New(token)
	ts := httptest.NewServer(fake)
	defer func() { fake.Close(); ts.Close() }()
	api, err := tgbotapi.NewBotAPIWithClient(token, ts.URL+"/bot%s/%s", ts.Client())
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := hybrid.New(hybrid.Config{Products: []string{"Model A"}, CommissionRate: decimal.RequireFromString("0.2"), Location: time.UTC})
	b := New(db, svc, Config{Token: token})

	user := telegramfake.User{ID: 7, FirstName: "Ann"}
	fake.AddUser(user)
	err = db.Update(ctx, func(tx *store.Tx) error {
		return saveConversation(ctx, tx, conversation{user: 7, step: stepAmount, draft: draft{Product: "Model A",
			In: "2026/11/28 09:00:00", Out: "2026/11/28 17:00:00"}}, time.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	u := tgbotapi.Update{UpdateID: 5, Message: &tgbotapi.Message{MessageID: 1, Text: "500",
		From: &tgbotapi.User{ID: 7, FirstName: "Ann"}, Chat: &tgbotapi.Chat{ID: 7, Type: "private"}}}
	b.handle(ctx, u)
	b.handle(ctx, u) // the same update again
	if err := b.newCourier(api).deliverAll(ctx); err != nil {
		t.Fatal(err)
	}
	var c conversation
	err = db.Update(ctx, func(tx *store.Tx) error {
		c, err = loadConversation(ctx, tx, 7)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.step != stepMore || len(c.draft.Sales) != 1 {
		t.Fatalf("after a replay: step %s, sales %+v", c.step, c.draft.Sales)
	}
	if msgs := fake.Messages(7); len(msgs) != 1 || !strings.Contains(msgs[0].Text, "Added Model A") {
		t.Fatalf("replies %+v", msgs)
	}
	// Once the batch is done the offset moves on and the record is pruned.
	if next := b.handleBatch(ctx, []tgbotapi.Update{u}); next != 6 {
		t.Fatalf("next offset %d", next)
	}
	if off, _ := loadOffset(ctx, db); off != 6 {
		t.Fatalf("stored offset %d", off)
	}
	var n int
	if err := db.Read().QueryRow("SELECT count(*) FROM bot_updates").Scan(&n); err != nil || n != 0 {
		t.Fatalf("bot_updates left: %d %v", n, err)
	}
}
