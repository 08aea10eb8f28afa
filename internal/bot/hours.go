package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"shiftbot/internal/hybrid"
	"shiftbot/internal/store"
)

// The four hour steps: start and end of a new shift, clock in and clock out
// of an edit (SPEC §4).

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
		ed, err := b.svc.EditClockIn(ctx, tx, c.user, c.draft.Shift, t, b.now())
		return b.edited(c, out, ed, err)
	default: // stepEditOut
		ed, err := b.svc.EditClockOut(ctx, tx, c.user, c.draft.Shift, t, b.now())
		return b.edited(c, out, ed, err)
	}
}
