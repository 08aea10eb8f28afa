package bot

import (
	"context"
	"errors"
	"fmt"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/shopspring/decimal"

	"shiftbot/internal/hybrid"
	"shiftbot/internal/payroll"
	"shiftbot/internal/store"
)

// The steps that save: finishing a new shift and the three edits, with the
// summary and the rank message they announce (SPEC §4, §6).

// edited reports the outcome of an edit.
func (b *Bot) edited(c *conversation, out *reply, ed hybrid.Edited, err error) error {
	switch {
	case errors.Is(err, payroll.ErrClockOrder):
		extra := "⚠️ Clock out must stay after clock in. Choose the hour again.\n\n"
		out.moveOn(c, b.hourPrompt(*c, extra))
		return nil
	case err != nil:
		return b.editFailed(c, out, err)
	}
	b.log.Info("Shift edited", "user_id", c.user, "shift_id", ed.Shift.ID, "field", string(c.step))
	title := fmt.Sprintf("✅ Shift #%d Updated", ed.Shift.ID)
	c.step, c.draft = stepMenu, draft{}
	out.moveOn(c, screen{shiftDetails(title, ed.Shift, ed.Result, b.svc.Location()), mainMenuKeyboard()})
	b.announceRank(c, out, ed.Rank, ed.Shift)
	return nil
}

// announceRank follows a shift's summary with its rank message, if the
// shift changed the month's rank (SPEC §6); the record is marked notified
// when the message is delivered.
func (b *Bot) announceRank(c *conversation, out *reply, rank *hybrid.RankChange, sh hybrid.Shift) {
	if rank == nil {
		return
	}
	b.log.Info("Rank changed", "user_id", c.user, "shift_id", sh.ID, "kind", rank.Kind, "from", rank.From.Name, "to", rank.To.Name,
		"bonus", rank.BonusCode)
	out.rank, out.rankAt = rank, len(out.send)
	out.send = append(out.send, screen{rankMessage(rank, sh.ID, sh.TotalMade), claimKeyboard()})
}

// editFailed turns the expected failures of an edit into a message; other
// errors abort the update.
func (b *Bot) editFailed(c *conversation, out *reply, err error) error {
	switch {
	case errors.Is(err, hybrid.ErrNotFound):
		b.toMenu(c, out, textGone)
		return nil
	case errors.Is(err, hybrid.ErrNotReady):
		b.toMenu(c, out, textNotReady+"\n\nChoose an action:")
		return nil
	}
	return err
}

func mainMenuKeyboard() *tgbotapi.InlineKeyboardMarkup {
	return keyboard(row(button(labelMainMenu, cbMenu)))
}

func claimKeyboard() *tgbotapi.InlineKeyboardMarkup {
	return keyboard(row(button(labelClaim, cbClaim)))
}

// finish saves the shift (SPEC §4, §6) and announces it.
func (b *Bot) finish(ctx context.Context, tx *store.Tx, c *conversation, from *tgbotapi.User, out *reply) error {
	in, err1 := b.parseTime(c.draft.In)
	end, err2 := b.parseTime(c.draft.Out)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	ns := hybrid.NewShift{EmployeeID: c.user, EmployeeName: employeeName(from), ClockIn: in, ClockOut: end, Now: b.now()}
	for _, s := range c.draft.Sales {
		a, err := decimal.NewFromString(s.Amount)
		if err != nil {
			return fmt.Errorf("draft amount %q: %w", s.Amount, err)
		}
		ns.Products = append(ns.Products, payroll.ProductSale{Product: s.Product, Amount: a})
	}
	fin, err := b.svc.FinishShift(ctx, tx, ns)
	if errors.Is(err, hybrid.ErrNotReady) {
		b.log.Warn("Finish refused: the worker has not completed its first pull", "user_id", c.user)
		out.moveOn(c, b.morePrompt(*c, textNotReady+"\n\n"))
		return nil
	}
	if err != nil {
		return err
	}
	b.log.Info("Shift created", "user_id", c.user, "shift_id", fin.Shift.ID, "total_sales", hybrid.Money(fin.Shift.TotalSales),
		"total_made", hybrid.Money(fin.Shift.TotalMade))
	c.step, c.draft = stepMenu, draft{}
	out.moveOn(c, screen{shiftDetails("✅ Shift created", fin.Shift, fin.Result, b.svc.Location()), mainMenuKeyboard()})
	b.announceRank(c, out, fin.Rank, fin.Shift)
	return nil
}
