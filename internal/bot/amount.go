package bot

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/shopspring/decimal"
)

// maxAmount is the largest amount a user may type (SPEC §4).
var maxAmount = decimal.NewFromInt(1_000_000)

// amountPattern is a plain decimal number: no exponent, NaN or Inf.
var amountPattern = regexp.MustCompile(`^[-+]?(\d+(\.\d*)?|\.\d+)$`)

const textNotANumber = "That is not a number. Type just the amount, for example 1,250.50."

// parseAmount reads a typed amount (SPEC §4): spaces ignored; a comma
// followed by exactly three digits is a thousands separator ("1,000",
// "12,345.50"), any other comma the decimal point ("15,5"); finite, > 0, at
// most 2 decimals as typed ("1.000" is refused rather than read as $1.00),
// at most 1,000,000. problem is "" or the sentence shown to the user; it
// never quotes the input, which may be 10 kB long.
func parseAmount(text string) (amount decimal.Decimal, problem string) {
	s := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, text)
	if len(s) > 32 {
		return decimal.Zero, textNotANumber
	}
	s, ok := readCommas(s)
	if !ok || !amountPattern.MatchString(s) {
		return decimal.Zero, textNotANumber
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero, textNotANumber
	}
	_, frac, _ := strings.Cut(s, ".")
	switch {
	case !d.IsPositive():
		return decimal.Zero, "The amount must be greater than 0."
	case len(frac) > 2:
		return decimal.Zero, "Use at most 2 decimal places (cents)."
	case d.GreaterThan(maxAmount):
		return decimal.Zero, "The amount must be at most 1,000,000."
	}
	return d.Round(2), ""
}

// readCommas drops thousands separators and turns a decimal comma into a
// point. false for a comma after the decimal point ("1.5,000").
func readCommas(s string) (string, bool) {
	var b strings.Builder
	point := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			point = true
			b.WriteByte(c)
		case c != ',':
			b.WriteByte(c)
		case point:
			return "", false
		case threeDigits(s[i+1:]):
			// a thousands separator: dropped
		default:
			point = true
			b.WriteByte('.')
		}
	}
	return b.String(), true
}

// threeDigits: s starts with exactly three digits.
func threeDigits(s string) bool {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n == 3
}
