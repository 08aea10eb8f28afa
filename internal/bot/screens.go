package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shiftbot/internal/hybrid"
	"shiftbot/internal/store"
)

// Button labels are the product's UI (SPEC §4); message wording is ours but
// carries the fields the spec lists, in its order, with its labels.
const (
	labelCreate    = "Create new shift"
	labelEdit      = "Edit shift"
	labelStats     = "📊 Statistics"
	labelRanks     = "🏆 Ranks"
	labelBack      = "⬅️ Back"
	labelYesterday = "Yesterday"
	labelToday     = "Today"
	labelToPM      = "→ PM"
	labelToAM      = "→ AM"
	labelAddModel  = "Add model"
	labelFinish    = "Finish shift"
	labelMainMenu  = "🏠 Main menu"
	labelClaim     = "✅ Claim"
	labelClockIn   = "Clock in"
	labelClockOut  = "Clock out"
	labelSales     = "Total sales"
	labelDayBefore = "The day BEFORE the record"
	labelSameDay   = "The SAME day as the record"
)

// Callback data: short, versioned codes, far under Telegram's 64 bytes.
// Products are referred to by their index in PRODUCTS and shifts by ID (and
// checked to be the presser's). A press whose data does not parse, or does
// not fit the user's step, is an old or forged button.
const (
	cbPrefix    = "v1:"
	cbMenu      = "v1:menu"
	cbClaim     = "v1:claim"
	cbBack      = "v1:back"
	cbCreate    = "v1:new"
	cbEdit      = "v1:edit"
	cbStats     = "v1:stats"
	cbRanks     = "v1:ranks"
	cbYesterday = "v1:day:y"
	cbToday     = "v1:day:t"
	cbPM        = "v1:pm"
	cbAM        = "v1:am"
	cbHour      = "v1:h:"  // + 0..23
	cbProduct   = "v1:p:"  // + index into PRODUCTS
	cbAdd       = "v1:add" // Add model
	cbFinish    = "v1:finish"
	cbShift     = "v1:s:" // + shift ID
	cbFieldIn   = "v1:f:in"
	cbFieldOut  = "v1:f:out"
	cbFieldSale = "v1:f:sales"
	cbDayBefore = "v1:eday:b"
	cbSameDay   = "v1:eday:s"
)

// screen is one message the bot sends: text and an optional keyboard.
type screen struct {
	text string
	kb   *tgbotapi.InlineKeyboardMarkup
}

func button(label, data string) tgbotapi.InlineKeyboardButton {
	return tgbotapi.NewInlineKeyboardButtonData(label, data)
}

func keyboard(rows ...[]tgbotapi.InlineKeyboardButton) *tgbotapi.InlineKeyboardMarkup {
	kb := tgbotapi.NewInlineKeyboardMarkup(rows...)
	return &kb
}

func row(b ...tgbotapi.InlineKeyboardButton) []tgbotapi.InlineKeyboardButton { return b }

var backRow = row(button(labelBack, cbBack))

func menuKeyboard() *tgbotapi.InlineKeyboardMarkup {
	return keyboard(row(button(labelCreate, cbCreate)), row(button(labelEdit, cbEdit)),
		row(button(labelStats, cbStats)), row(button(labelRanks, cbRanks)))
}

func backKeyboard() *tgbotapi.InlineKeyboardMarkup { return keyboard(backRow) }

// hourLabel is "12 AM" … "11 PM".
func hourLabel(h int) string {
	suffix := "AM"
	if h >= 12 {
		suffix = "PM"
	}
	if h%12 == 0 {
		return "12 " + suffix
	}
	return strconv.Itoa(h%12) + " " + suffix
}

// hourKeyboard is 12 hours of one half of the day, 3 rows × 4, the switch
// to the other half and Back (SPEC §4).
func hourKeyboard(pm bool) *tgbotapi.InlineKeyboardMarkup {
	base, sw := 0, button(labelToPM, cbPM)
	if pm {
		base, sw = 12, button(labelToAM, cbAM)
	}
	var rows [][]tgbotapi.InlineKeyboardButton
	for r := 0; r < 3; r++ {
		var btns []tgbotapi.InlineKeyboardButton
		for c := 0; c < 4; c++ {
			h := base + r*4 + c
			btns = append(btns, button(hourLabel(h), cbHour+strconv.Itoa(h)))
		}
		rows = append(rows, btns)
	}
	return keyboard(append(rows, row(sw), backRow)...)
}

// productKeyboard offers the products not yet entered, 3 per row.
func productKeyboard(products []string, entered []sale) *tgbotapi.InlineKeyboardMarkup {
	var rows [][]tgbotapi.InlineKeyboardButton
	var cur []tgbotapi.InlineKeyboardButton
	for i, p := range products {
		if hasSale(entered, p) {
			continue
		}
		cur = append(cur, button(p, cbProduct+strconv.Itoa(i)))
		if len(cur) == 3 {
			rows, cur = append(rows, cur), nil
		}
	}
	if len(cur) > 0 {
		rows = append(rows, cur)
	}
	return keyboard(append(rows, backRow)...)
}

func hasSale(sales []sale, product string) bool {
	for _, s := range sales {
		if s.Product == product {
			return true
		}
	}
	return false
}

func moreKeyboard(canAdd bool) *tgbotapi.InlineKeyboardMarkup {
	first := row(button(labelFinish, cbFinish))
	if canAdd {
		first = row(button(labelAddModel, cbAdd), button(labelFinish, cbFinish))
	}
	return keyboard(first, backRow)
}

const (
	textMenu           = "🏠 Main menu\n\nChoose an action:"
	textUseButtons     = "🤖 I only understand the buttons. Please choose an action from the menu:"
	textUseStepButtons = "🤖 Please answer with the buttons below; what you entered so far is kept. ⬅️ Back goes one step back."
	textAmountRemoved  = "↩️ Back: the %s amount (%s) is removed. Enter it again, or press ⬅️ Back to choose another product."
	textStale          = "This button is no longer active."
	textFailed         = "❌ Something went wrong on our side. Please try again in a moment."
	textNotReady       = "⏳ The bot is still loading the settings from the spreadsheet, so your pay cannot be computed yet. Please try again in a minute."
	textNoShifts       = "You have no shifts to edit yet.\n\nChoose an action:"
	textGone           = "❌ That shift no longer exists.\n\nChoose an action:"
)

func welcome(name string) string {
	return "👋 Welcome, " + name + "! I keep track of your shifts and your pay.\n\nChoose an action:"
}

const dayLayout = "2006/01/02"

func (b *Bot) hourPrompt(c conversation, extra string) screen {
	var text string
	switch c.step {
	case stepStartHour:
		text = "🕘 Start date: " + c.draft.Day + "\nChoose the start hour:"
	case stepEndHour:
		text = "🕘 Start: " + c.draft.In + "\n🕔 Choose the end hour (today, " + b.now().Format(dayLayout) + "):"
	case stepEditIn:
		text = "🕘 New clock in date: " + c.draft.Day + "\nChoose the clock in hour:"
	default: // stepEditOut
		text = "🕔 Clock out date: " + c.draft.Day + "\nChoose the clock out hour:"
	}
	return screen{extra + text, hourKeyboard(c.draft.PM)}
}

func amountPrompt(product, extra string) screen {
	return screen{extra + "💵 Enter the sales amount for " + product + " (for example 99.90):", backKeyboard()}
}

func salesList(sales []sale) string {
	var b strings.Builder
	for _, s := range sales {
		b.WriteString("\n• " + s.Product + ": " + amountText(s.Amount))
	}
	return b.String()
}

func (b *Bot) productPrompt(c conversation) screen {
	text := "🛍 Choose a product:"
	if len(c.draft.Sales) > 0 {
		text = "Already entered:" + salesList(c.draft.Sales) + "\n\n🛍 Choose the next product:"
	}
	return screen{text, productKeyboard(b.products, c.draft.Sales)}
}

func (b *Bot) morePrompt(c conversation, extra string) screen {
	last := c.draft.Sales[len(c.draft.Sales)-1]
	text := extra + "✔️ Added " + last.Product + ": " + amountText(last.Amount) + "\n\nProducts so far:" + salesList(c.draft.Sales) +
		"\n\nAdd another model or finish the shift?"
	return screen{text, moreKeyboard(len(c.draft.Sales) < len(b.products))}
}

// prompt is the message that asks for c.step.
func (b *Bot) prompt(ctx context.Context, tx *store.Tx, c *conversation) (screen, error) {
	switch c.step {
	case stepDay:
		return screen{"📅 When did the shift start?", keyboard(
			row(button(labelYesterday, cbYesterday), button(labelToday, cbToday)), backRow)}, nil
	case stepStartHour, stepEndHour, stepEditIn, stepEditOut:
		return b.hourPrompt(*c, ""), nil
	case stepProduct:
		return b.productPrompt(*c), nil
	case stepAmount:
		return amountPrompt(c.draft.Product, ""), nil
	case stepMore:
		return b.morePrompt(*c, ""), nil
	case stepPick:
		refs, err := b.svc.LastShifts(ctx, tx, c.user, 3)
		if err != nil {
			return screen{}, err
		}
		var rows [][]tgbotapi.InlineKeyboardButton
		for _, r := range refs {
			label := fmt.Sprintf("ID %d • %s", r.ID, r.Date.Format(hybrid.DateTimeLayout))
			rows = append(rows, row(button(label, cbShift+strconv.FormatInt(r.ID, 10))))
		}
		return screen{"✏️ Choose the shift to edit (your last shifts, newest first):", keyboard(append(rows, backRow)...)}, nil
	case stepField, stepEditDay, stepEditSales:
		sh, err := b.svc.Shift(ctx, tx, c.user, c.draft.Shift)
		if err != nil {
			return screen{}, err
		}
		switch c.step {
		case stepField:
			return screen{fmt.Sprintf("✏️ Shift #%d of %s\nWhat do you want to change?", sh.ID, sh.Date.Format(hybrid.DateTimeLayout)),
				keyboard(row(button(labelClockIn, cbFieldIn), button(labelClockOut, cbFieldOut), button(labelSales, cbFieldSale)), backRow)}, nil
		case stepEditDay:
			return screen{fmt.Sprintf("📅 The record's date is %s.\nOn which day did the shift start?", sh.Date.Format(dayLayout)),
				keyboard(row(button(labelDayBefore, cbDayBefore)), row(button(labelSameDay, cbSameDay)), backRow)}, nil
		default:
			return screen{fmt.Sprintf("💰 Current Total sales: %s\n\nEnter the new Total sales:", money(sh.TotalSales)), backKeyboard()}, nil
		}
	}
	return screen{textMenu, menuKeyboard()}, nil
}
