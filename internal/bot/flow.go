package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shiftbot/internal/hybrid"
	"shiftbot/internal/store"
)

// step is the answer the bot waits for.
type step string

// The steps of SPEC §4. Each has a prompt (a message with a keyboard) and a
// previous step, where Back leads.
const (
	stepMenu      step = "menu"
	stepDay       step = "day"        // create 1: Yesterday / Today
	stepStartHour step = "start_hour" // create 2
	stepEndHour   step = "end_hour"   // create 3
	stepProduct   step = "product"    // create 4
	stepAmount    step = "amount"     // create 5: typed
	stepMore      step = "more"       // create 6: Add model / Finish shift
	stepPick      step = "pick"       // edit: which shift
	stepField     step = "field"      // edit: which field
	stepEditDay   step = "edit_day"   // edit clock in: day before / same day
	stepEditIn    step = "edit_in"    // edit clock in: hour
	stepEditOut   step = "edit_out"   // edit clock out: hour on the record's date
	stepEditSales step = "edit_sales" // edit total sales: typed
)

// react decides what update u does to conversation c, writing any data
// through tx, and fills out with the replies.
func (b *Bot) react(ctx context.Context, tx *store.Tx, c *conversation, u tgbotapi.Update, out *reply) error {
	switch {
	case u.CallbackQuery != nil:
		return b.onPress(ctx, tx, c, u.CallbackQuery, out)
	case u.Message != nil:
		return b.onMessage(ctx, tx, c, u.Message, out)
	}
	return nil
}

// toMenu ends whatever the user was doing and shows the main menu.
func (b *Bot) toMenu(c *conversation, out *reply, text string) {
	c.step, c.draft = stepMenu, draft{}
	out.moveOn(c, screen{text, menuKeyboard()})
}

// enter moves to step s and shows its prompt.
func (b *Bot) enter(ctx context.Context, tx *store.Tx, c *conversation, out *reply, s step) error {
	c.step = s
	scr, err := b.prompt(ctx, tx, c)
	if errors.Is(err, hybrid.ErrNotFound) {
		b.toMenu(c, out, textGone) // the admin deleted it meanwhile
		return nil
	}
	if err != nil {
		return err
	}
	out.moveOn(c, scr)
	return nil
}

func (b *Bot) onMessage(ctx context.Context, tx *store.Tx, c *conversation, m *tgbotapi.Message, out *reply) error {
	if m.IsCommand() && (m.Command() == "start" || m.Command() == "menu") {
		b.toMenu(c, out, welcome(displayName(m.From)))
		return nil
	}
	switch {
	case c.step == stepAmount && m.Text != "":
		amount, problem := parseAmount(m.Text)
		if problem != "" {
			out.moveOn(c, amountPrompt(c.draft.Product, "❌ "+problem+"\n\n"))
			return nil
		}
		c.draft.Sales = append(c.draft.Sales, sale{Product: c.draft.Product, Amount: hybrid.Money(amount)})
		c.draft.Product = ""
		return b.enter(ctx, tx, c, out, stepMore)
	case c.step == stepEditSales && m.Text != "":
		amount, problem := parseAmount(m.Text)
		if problem != "" {
			scr, err := b.prompt(ctx, tx, c)
			if err != nil {
				return b.editFailed(c, out, err)
			}
			scr.text = "❌ " + problem + "\n\n" + scr.text
			out.moveOn(c, scr)
			return nil
		}
		ed, err := b.svc.EditTotalSales(ctx, tx, c.user, c.draft.Shift, amount)
		return b.edited(c, out, ed, err)
	}
	if c.step != stepMenu {
		// Mid-way through a shift or an edit, a stray message must not cost
		// the user what they entered: the step is asked again.
		if scr, err := b.prompt(ctx, tx, c); err == nil {
			scr.text = textUseStepButtons + "\n\n" + scr.text
			out.moveOn(c, scr)
			return nil
		}
	}
	b.toMenu(c, out, textUseButtons)
	return nil
}

func (b *Bot) onPress(ctx context.Context, tx *store.Tx, c *conversation, q *tgbotapi.CallbackQuery, out *reply) error {
	out.callback = q.ID
	msgID := 0
	if q.Message != nil {
		msgID = q.Message.MessageID
	}
	if q.Data == cbMenu || q.Data == cbClaim {
		out.clear = append(out.clear, msgID)
		b.toMenu(c, out, textMenu)
		return nil
	}
	// Only the buttons of the messages the bot last sent are live; anything
	// else is an old message, or data no button of ours carries.
	if msgID == 0 || !slices.Contains(c.keyboards, msgID) {
		return b.stale(c, out, msgID, q.Data)
	}
	ok, err := b.press(ctx, tx, c, q, msgID, out)
	if err != nil || ok {
		return err
	}
	return b.stale(c, out, msgID, q.Data)
}

// stale answers a press that does not fit the user's step: never act on it
// (SPEC §4), show the menu.
func (b *Bot) stale(c *conversation, out *reply, msgID int, data string) error {
	b.log.Info("Old or unknown button pressed; showing the menu", "user_id", c.user, "step", string(c.step),
		"message_id", msgID, "data", truncate(data, 64))
	out.toast = textStale
	out.clear = append(out.clear, msgID)
	b.toMenu(c, out, textMenu)
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// press handles a press on a live keyboard; false when the data does not
// belong to the user's step.
func (b *Bot) press(ctx context.Context, tx *store.Tx, c *conversation, q *tgbotapi.CallbackQuery, msgID int, out *reply) (bool, error) {
	data := q.Data
	if data == cbBack && c.step != stepMenu {
		return true, b.back(ctx, tx, c, out)
	}
	if (data == cbAM || data == cbPM) && isHourStep(c.step) {
		c.draft.PM = data == cbPM
		out.editMsg, out.editKB = msgID, hourKeyboard(c.draft.PM)
		return true, nil
	}
	switch c.step {
	case stepMenu:
		switch data {
		case cbCreate:
			c.draft = draft{}
			return true, b.enter(ctx, tx, c, out, stepDay)
		case cbEdit:
			refs, err := b.svc.LastShifts(ctx, tx, c.user, 3)
			if err != nil || len(refs) == 0 {
				b.toMenu(c, out, textNoShifts)
				return true, err
			}
			c.draft = draft{}
			return true, b.enter(ctx, tx, c, out, stepPick)
		case cbStats:
			st, err := b.svc.Statistics(ctx, tx, c.user, b.now())
			if err != nil {
				return true, err
			}
			out.moveOn(c, screen{statsMessage(st), menuKeyboard()})
			return true, nil
		case cbRanks:
			ranks, err := b.svc.Ranks(ctx, tx)
			if err != nil {
				return true, err
			}
			out.moveOn(c, screen{ranksMessage(ranks), menuKeyboard()})
			return true, nil
		}
	case stepDay:
		day := b.now()
		switch data {
		case cbYesterday:
			day = day.AddDate(0, 0, -1)
		case cbToday:
		default:
			return false, nil
		}
		c.draft.Day, c.draft.PM = day.Format(dayLayout), false
		return true, b.enter(ctx, tx, c, out, stepStartHour)
	case stepStartHour, stepEndHour, stepEditIn, stepEditOut:
		h, ok := hourOf(data)
		if !ok {
			return false, nil
		}
		return true, b.hour(ctx, tx, c, out, h)
	case stepProduct:
		i, err := strconv.Atoi(strings.TrimPrefix(data, cbProduct))
		if !strings.HasPrefix(data, cbProduct) || err != nil || i < 0 || i >= len(b.products) {
			return false, nil
		}
		if hasSale(c.draft.Sales, b.products[i]) {
			// Only forged data gets here: the keyboard leaves entered products out.
			out.toast, out.alert = "⚠️ "+b.products[i]+" is already entered. Choose another product.", true
			return true, nil
		}
		c.draft.Product = b.products[i]
		return true, b.enter(ctx, tx, c, out, stepAmount)
	case stepMore:
		switch {
		case data == cbAdd && len(c.draft.Sales) < len(b.products):
			return true, b.enter(ctx, tx, c, out, stepProduct)
		case data == cbFinish:
			return true, b.finish(ctx, tx, c, q.From, out)
		}
	case stepPick:
		id, err := strconv.ParseInt(strings.TrimPrefix(data, cbShift), 10, 64)
		if !strings.HasPrefix(data, cbShift) || err != nil {
			return false, nil
		}
		own, err := b.svc.Owns(ctx, tx, c.user, id)
		if err != nil {
			return true, err
		}
		if !own {
			b.log.Warn("Refused a shift that is not the user's", "user_id", c.user, "shift_id", id)
			out.toast, out.alert = "❌ Shift not found.", true
			out.clear = append(out.clear, msgID)
			b.toMenu(c, out, textMenu)
			return true, nil
		}
		c.draft.Shift = id
		return true, b.enter(ctx, tx, c, out, stepField)
	case stepField:
		switch data {
		case cbFieldIn:
			return true, b.enter(ctx, tx, c, out, stepEditDay)
		case cbFieldOut:
			sh, err := b.svc.Shift(ctx, tx, c.user, c.draft.Shift)
			if err != nil {
				return true, b.editFailed(c, out, err)
			}
			c.draft.Day, c.draft.PM = sh.Date.Format(dayLayout), false
			return true, b.enter(ctx, tx, c, out, stepEditOut)
		case cbFieldSale:
			return true, b.enter(ctx, tx, c, out, stepEditSales)
		}
	case stepEditDay:
		offset := 0
		switch data {
		case cbDayBefore:
			offset = -1
		case cbSameDay:
		default:
			return false, nil
		}
		sh, err := b.svc.Shift(ctx, tx, c.user, c.draft.Shift)
		if err != nil {
			return true, b.editFailed(c, out, err)
		}
		c.draft.Day, c.draft.PM = sh.Date.AddDate(0, 0, offset).Format(dayLayout), false
		return true, b.enter(ctx, tx, c, out, stepEditIn)
	}
	return false, nil
}

func isHourStep(s step) bool {
	return s == stepStartHour || s == stepEndHour || s == stepEditIn || s == stepEditOut
}

func hourOf(data string) (int, bool) {
	s, ok := strings.CutPrefix(data, cbHour)
	if !ok {
		return 0, false
	}
	h, err := strconv.Atoi(s)
	return h, err == nil && h >= 0 && h < 24
}

// at is hour h of the day named by day ("2006/01/02"), server time.
func (b *Bot) at(day string, h int) (time.Time, error) {
	d, err := time.ParseInLocation(dayLayout, day, b.svc.Location())
	if err != nil {
		return time.Time{}, fmt.Errorf("draft day %q: %w", day, err)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), h, 0, 0, 0, b.svc.Location()), nil
}

func (b *Bot) parseTime(s string) (time.Time, error) {
	t, err := time.ParseInLocation(hybrid.DateTimeLayout, s, b.svc.Location())
	if err != nil {
		return t, fmt.Errorf("draft time %q: %w", s, err)
	}
	return t, nil
}

// hour handles an hour pressed on one of the four hour steps.
func (b *Bot) hour(ctx context.Context, tx *store.Tx, c *conversation, out *reply, h int) error {
	day := c.draft.Day
	if c.step == stepEndHour {
		day = b.now().Format(dayLayout) // the end is on today's server date (SPEC §4)
	}
	t, err := b.at(day, h)
	if err != nil {
		return err
	}
	switch c.step {
	case stepStartHour:
		c.draft.In, c.draft.PM = t.Format(hybrid.DateTimeLayout), false
		return b.enter(ctx, tx, c, out, stepEndHour)
	case stepEndHour:
		in, err := b.parseTime(c.draft.In)
		if err != nil {
			return err
		}
		if !t.After(in) {
			out.moveOn(c, b.hourPrompt(*c, "⚠️ The end must be after the start. Choose the end hour again.\n\n"))
			return nil
		}
		c.draft.Out = t.Format(hybrid.DateTimeLayout)
		return b.enter(ctx, tx, c, out, stepProduct)
	case stepEditIn:
		ed, err := b.svc.EditClockIn(ctx, tx, c.user, c.draft.Shift, t)
		return b.edited(c, out, ed, err)
	default: // stepEditOut
		ed, err := b.svc.EditClockOut(ctx, tx, c.user, c.draft.Shift, t)
		return b.edited(c, out, ed, err)
	}
}

// back goes to the previous step (SPEC §4), undoing what the step chose.
func (b *Bot) back(ctx context.Context, tx *store.Tx, c *conversation, out *reply) error {
	d := &c.draft
	d.PM = false
	switch c.step {
	case stepDay, stepPick:
		b.toMenu(c, out, textMenu)
		return nil
	case stepStartHour:
		d.Day = ""
		return b.enter(ctx, tx, c, out, stepDay)
	case stepEndHour:
		d.In = ""
		return b.enter(ctx, tx, c, out, stepStartHour)
	case stepProduct:
		if len(d.Sales) > 0 {
			return b.enter(ctx, tx, c, out, stepMore)
		}
		d.Out = ""
		return b.enter(ctx, tx, c, out, stepEndHour)
	case stepAmount:
		d.Product = ""
		return b.enter(ctx, tx, c, out, stepProduct)
	case stepMore: // back to the last amount, which is entered again: say so
		last := d.Sales[len(d.Sales)-1]
		d.Product, d.Sales = last.Product, d.Sales[:len(d.Sales)-1]
		c.step = stepAmount
		out.moveOn(c, amountPrompt(last.Product, fmt.Sprintf(textAmountRemoved+"\n\n", last.Product, amountText(last.Amount))))
		return nil
	case stepField:
		d.Shift = 0
		return b.enter(ctx, tx, c, out, stepPick)
	case stepEditDay, stepEditOut, stepEditSales:
		d.Day = ""
		return b.enter(ctx, tx, c, out, stepField)
	case stepEditIn:
		return b.enter(ctx, tx, c, out, stepEditDay)
	}
	b.toMenu(c, out, textMenu)
	return nil
}

func employeeName(u *tgbotapi.User) string {
	if u == nil {
		return ""
	}
	if u.UserName != "" {
		return u.UserName
	}
	if n := strings.TrimSpace(u.FirstName + " " + u.LastName); n != "" {
		return n
	}
	return "user_" + strconv.FormatInt(u.ID, 10)
}

func displayName(u *tgbotapi.User) string {
	if u != nil && u.FirstName != "" {
		return u.FirstName
	}
	return employeeName(u)
}
