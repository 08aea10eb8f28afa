package payroll

import (
	"strings"

	"github.com/shopspring/decimal"
)

// Bonus types as stored in ActiveBonuses.Bonus Type (SPEC §6).
const (
	PercentNext      = "percent_next"      // Value points added to commission %
	DoubleCommission = "double_commission" // commission % ×2
	Flat             = "flat"              // Value dollars added to total made
	FlatImmediate    = "flat_immediate"    // a rank-up flat bonus, recorded already applied
	PercentPrev      = "percent_prev"      // Value % of the previous chatter's product net sales
	PercentAll       = "percent_all"       // Value % of other chatters' same-day net sales
	PaidDayOff       = "paid_day_off"      // recorded for the admin, no money
	TelegramPremium  = "telegram_premium"  // recorded for the admin, no money
)

// Bonus is one ActiveBonuses row.
type Bonus struct {
	ID    int64
	Type  string
	Value decimal.Decimal
}

// normType makes a type typed by the admin comparable with the constants.
func normType(t string) string { return strings.ToLower(strings.TrimSpace(t)) }

// Code is the bonus code that describes b (flat_immediate reads as flat_N),
// for DescribeBonus.
func (b Bonus) Code() string {
	switch t := normType(b.Type); t {
	case Flat, FlatImmediate:
		return Flat + "_" + plain(b.Value)
	case PercentNext, PercentPrev, PercentAll:
		return t + "_" + plain(b.Value)
	default:
		return t
	}
}

// ParseBonusCode splits a Ranks bonus code ("flat_10", "percent_next_1",
// "double_commission") into type and value. "none", blank, malformed or
// unknown codes give ok=false. The number must be plain and non-negative
// (digits with an optional fraction): an admin's typo must not become a
// deduction.
func ParseBonusCode(code string) (typ string, value decimal.Decimal, ok bool) {
	c := normType(code)
	switch c {
	case DoubleCommission, PaidDayOff, TelegramPremium:
		return c, decimal.Zero, true
	}
	for _, t := range []string{Flat, PercentNext, PercentPrev, PercentAll} {
		num, found := strings.CutPrefix(c, t+"_")
		if !found || !isPlainNumber(num) {
			continue
		}
		v, err := decimal.NewFromString(num)
		if err != nil {
			return "", decimal.Zero, false
		}
		return t, v, true
	}
	return "", decimal.Zero, false
}

func isPlainNumber(s string) bool {
	digits, dots := 0, 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

// DescribeBonus is the text a user sees for a bonus code (SPEC §6); ""
// for "none" or blank, "🎁 Special bonus" for anything unknown.
func DescribeBonus(code string) string {
	if isNone(code) {
		return ""
	}
	typ, v, ok := ParseBonusCode(code)
	if !ok {
		return "🎁 Special bonus"
	}
	n := plain(v)
	switch typ {
	case Flat:
		return "💵 Flat bonus +$" + n
	case PercentNext:
		return "📈 +" + n + "% Commission on your next shift"
	case PercentPrev:
		return "💰 +" + n + "% Commission from the chatter from previous shift"
	case PercentAll:
		return "🔥 +" + n + "% from sales of ALL other chatters on your model that day(next shift)"
	case DoubleCommission:
		return "⚡ Double commission on your next shift"
	case PaidDayOff:
		return "🏖️ Pick a Date for Paid Day Off"
	default: // TelegramPremium
		return "⭐ Telegram Premium for 3 months"
	}
}

// plain prints a value without trailing zeros ("10", "2.5"), whatever the
// decimal package's global string settings are.
func plain(d decimal.Decimal) string {
	s := d.String()
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func isNone(code string) bool {
	c := normType(code)
	return c == "" || c == "none"
}

// DrawBonus picks one of the rank's Bonus 1..3 that is not "none" or blank,
// uniformly, from r (math/rand/v2's *rand.Rand fits; tests pass a fixed
// source). ok=false when the rank has no bonus. Unknown codes can be drawn:
// they are announced as "🎁 Special bonus" for the admin to honour.
func DrawBonus(r interface{ IntN(n int) int }, rank Rank) (code string, ok bool) {
	var codes []string
	for _, c := range rank.Bonuses {
		if !isNone(c) {
			codes = append(codes, strings.TrimSpace(c))
		}
	}
	if len(codes) == 0 {
		return "", false
	}
	return codes[r.IntN(len(codes))], true
}

// RankUpGrant says how a bonus drawn at rank-up is recorded (SPEC §6): a flat
// bonus becomes a flat_immediate row, already applied, whose Value the caller
// adds to the new shift's Total made (immediate = true); every other kind is
// an unapplied row for the next shift. ok=false for codes that are not
// recognised: nothing is recorded.
func RankUpGrant(code string) (b Bonus, immediate, ok bool) {
	typ, v, ok := ParseBonusCode(code)
	if !ok {
		return Bonus{}, false, false
	}
	if typ == Flat {
		return Bonus{Type: FlatImmediate, Value: v}, true, true
	}
	return Bonus{Type: typ, Value: v}, false, true
}
