package bot

import (
	"context"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shiftbot/internal/store"
)

// Choosing what to act on: a product for a new shift, from the catalog as
// it is when the keyboard is built (SPEC §11), and a shift to edit, within
// the open pay period.

// productRef is the callback data's name for a product: a hash of its name,
// not its position, so a press still means the product its button showed
// after the admin added, removed or reordered products in the sheet
// mid-conversation. 16 hex digits keep the data at 21 bytes, far under
// Telegram's 64, whatever the name's length.
func productRef(name string) string {
	h := fnv.New64a()
	h.Write([]byte(name))
	return hex.EncodeToString(h.Sum(nil))
}

// remaining are the products not entered yet, in the catalog's order.
func remaining(products []string, entered []sale) []string {
	var out []string
	for _, p := range products {
		if !hasSale(entered, p) {
			out = append(out, p)
		}
	}
	return out
}

// productKeyboard offers the products not yet entered, 3 per row.
func productKeyboard(products []string, entered []sale) *tgbotapi.InlineKeyboardMarkup {
	var rows [][]tgbotapi.InlineKeyboardButton
	var cur []tgbotapi.InlineKeyboardButton
	for _, p := range remaining(products, entered) {
		cur = append(cur, button(p, cbProduct+productRef(p)))
		if len(cur) == 3 {
			rows, cur = append(rows, cur), nil
		}
	}
	if len(cur) > 0 {
		rows = append(rows, cur)
	}
	return keyboard(append(rows, backRow)...)
}

// product handles a press on a product button. A product no longer offered
// (hidden or removed in the sheet since the keyboard was sent) or forged
// data is refused with the current list.
func (b *Bot) product(ctx context.Context, tx *store.Tx, c *conversation, out *reply, ref string) error {
	products, err := b.svc.OfferedProducts(ctx, tx)
	if err != nil {
		return err
	}
	name := ""
	for _, p := range products {
		if productRef(p) == ref {
			name = p
		}
	}
	switch {
	case name == "":
		b.log.Info("Product button no longer offered; asking again", "user_id", c.user, "ref", truncate(ref, 32))
		out.toast, out.alert = "⚠️ That product is no longer offered. Choose from the list below.", true
		return b.enter(ctx, tx, c, out, stepProduct)
	case hasSale(c.draft.Sales, name):
		// Only forged data gets here: the keyboard leaves entered products out.
		out.toast, out.alert = "⚠️ "+name+" is already entered. Choose another product.", true
		return nil
	}
	c.draft.Product = name
	return b.enter(ctx, tx, c, out, stepAmount)
}

// editList shows the user's last shifts of the open pay period (SPEC §4,
// §11), or says why there is nothing to edit.
func (b *Bot) editList(ctx context.Context, tx *store.Tx, c *conversation, out *reply) error {
	start := b.svc.PeriodStart(b.now())
	refs, err := b.svc.LastShifts(ctx, tx, c.user, 3, start)
	if err != nil {
		return err
	}
	if len(refs) == 0 {
		older, err := b.svc.LastShifts(ctx, tx, c.user, 1, time.Time{})
		if err != nil {
			return err
		}
		text := textNoShifts
		if len(older) > 0 {
			text = fmt.Sprintf("You have no shifts since the pay day of %s to edit. %s\n\nChoose an action:",
				start.Format(payDayLayout), textClosed)
		}
		b.toMenu(c, out, text)
		return nil
	}
	c.draft = draft{}
	return b.enter(ctx, tx, c, out, stepPick)
}

// closedText refuses an edit of shift id, dated before the open period.
func (b *Bot) closedText(id int64) string {
	return fmt.Sprintf("🔒 Shift #%d is in a closed pay period (before %s). %s", id,
		b.svc.PeriodStart(b.now()).Format(payDayLayout), textClosed)
}
