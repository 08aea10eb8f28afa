package bot

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"shiftbot/internal/hybrid"
	"shiftbot/internal/store"
)

func TestSplitTextFitsTelegramAndKeepsEveryWord(t *testing.T) {
	para := strings.Repeat("Level 42 Grandmaster 🏅 ($176,000 – $176,999)\n1. 💵 Flat bonus +$10\n", 20) // ~1,400 units
	for name, text := range map[string]string{
		"short":            "🏠 Main menu",
		"paragraphs":       strings.Repeat(para+"\n", 12),
		"one long line":    strings.Repeat("keep going ", 1000),
		"no spaces":        strings.Repeat("x", 9000),
		"emoji only":       strings.Repeat("🔥", 5000),                 // 10,000 UTF-16 units
		"joined emoji run": strings.Repeat("🧑\u200d🚀", 3000),          // astronauts: never cut between the parts
		"exactly 4096":     strings.Repeat("a", 4096),                 // one part
		"4096 units emoji": strings.Repeat("a", 4094) + "🔥",           // 4,096 units, one part
		"4097 units, hard": strings.Repeat("a", 4095) + "🔥" + " tail", // over by one unit, inside a word
	} {
		hard := strings.Contains(name, "no spaces") || strings.Contains(name, "emoji") || strings.Contains(name, "hard")
		parts := splitText(text)
		var words []string
		for i, p := range parts {
			if n := utf16Len(p); n > maxText || strings.TrimSpace(p) == "" {
				t.Errorf("%s: part %d has %d units", name, i+1, n)
			}
			if strings.HasPrefix(p, "\u200d") || strings.HasSuffix(p, "\u200d") {
				t.Errorf("%s: part %d cut inside an emoji sequence", name, i+1)
			}
			words = append(words, strings.Fields(p)...)
		}
		switch {
		case !hard && strings.Join(words, " ") != strings.Join(strings.Fields(text), " "):
			t.Errorf("%s: words lost or changed in %d parts", name, len(parts))
		case hard && strings.Join(words, "") != strings.Join(strings.Fields(text), ""):
			t.Errorf("%s: characters lost in %d parts", name, len(parts))
		}
		if utf16Len(text) <= maxText && len(parts) != 1 {
			t.Errorf("%s: %d parts for a text that fits", name, len(parts))
		}
	}
	// 12 paragraphs of ~1,340 units: three to a part, cut where they end.
	parts := splitText(strings.Repeat(para+"\n", 12))
	if len(parts) != 4 || !strings.HasSuffix(parts[0], "+$10") || !strings.HasPrefix(parts[1], "Level 42") {
		t.Errorf("paragraphs split in %d parts", len(parts))
	}
}

func TestCutShortensToTelegramsLimit(t *testing.T) {
	if got := cut("⚠️ short", maxToast); got != "⚠️ short" {
		t.Errorf("cut changed a short text: %q", got)
	}
	if got := cut(strings.Repeat("🔥", 150), maxToast); utf16Len(got) > maxToast || !strings.HasSuffix(got, "…") {
		t.Errorf("cut: %d units %q", utf16Len(got), got)
	}
}

// Burst calls go at once, then one per interval; an idle bucket fills up.
func TestBucketPacesAfterABurst(t *testing.T) {
	b := &bucket{interval: time.Second, burst: 3}
	t0 := time.Unix(1000, 0)
	var waits []time.Duration
	for range 5 {
		waits = append(waits, b.reserve(t0))
	}
	want := []time.Duration{0, 0, 0, time.Second, 2 * time.Second}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits %v, want %v", waits, want)
		}
	}
	if b.idle(t0.Add(4*time.Second)) || !b.idle(t0.Add(5*time.Second)) {
		t.Error("idle: the bucket is full again once the booked calls are past")
	}
	if w := b.reserve(t0.Add(10 * time.Second)); w != 0 {
		t.Errorf("after a pause: wait %v", w)
	}
}

// A message delivered after the user moved on to another step must not make
// its buttons live: they are removed instead.
func TestLateDeliveryOfAnOldStepRemovesItsKeyboard(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := hybrid.New(hybrid.Config{Products: []string{"Model A"}, CommissionRate: decimal.RequireFromString("0.2"), Location: time.UTC})
	b := New(db, svc, Config{Token: "1:x"})
	now := time.Now()
	err = db.Update(ctx, func(tx *store.Tx) error {
		if err := saveConversation(ctx, tx, conversation{user: 7, step: stepMore, keyboards: []int{3}, keyboardGen: 5}, now); err != nil {
			return err
		}
		for _, gen := range []int64{4, 5} { // sent for the step before, and for the current one
			if err := enqueueItem(ctx, tx, 7, kindSend, payload{Text: "x"}, &effect{Live: &liveRef{User: 7, Gen: gen}}, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, msgID := range []int{10, 11} {
		it, ok, err := headOf(ctx, db, 7)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		if err := b.delivered(ctx, it, msgID); err != nil {
			t.Fatal(err)
		}
	}
	var c conversation
	if err := db.Update(ctx, func(tx *store.Tx) error { c, err = loadConversation(ctx, tx, 7); return err }); err != nil {
		t.Fatal(err)
	}
	if len(c.keyboards) != 2 || c.keyboards[0] != 3 || c.keyboards[1] != 11 {
		t.Fatalf("live keyboards %v, want [3 11]", c.keyboards)
	}
	it, ok, err := headOf(ctx, db, 7)
	if err != nil || !ok || it.kind != kindKeyboard || it.payload.MessageID != 10 || it.payload.Keyboard != nil {
		t.Fatalf("want the removal of #10's keyboard queued, got %+v %v %v", it, ok, err)
	}
}
