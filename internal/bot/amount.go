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

// parseAmount reads a typed amount (SPEC §4): spaces ignored, a comma taken
// as the decimal point; finite, > 0, at most 2 decimals, at most 1,000,000.
// problem is "" or the sentence shown to the user; it never quotes the
// input, which may be 10 kB long.
func parseAmount(text string) (amount decimal.Decimal, problem string) {
	s := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, text)
	if !strings.Contains(s, ".") {
		s = strings.Replace(s, ",", ".", 1)
	}
	if len(s) > 32 || !amountPattern.MatchString(s) {
		return decimal.Zero, "That is not a number. Type just the amount, for example 99.90."
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero, "That is not a number. Type just the amount, for example 99.90."
	}
	switch {
	case !d.IsPositive():
		return decimal.Zero, "The amount must be greater than 0."
	case !d.Equal(d.Round(2)):
		return decimal.Zero, "Use at most 2 decimal places (cents)."
	case d.GreaterThan(maxAmount):
		return decimal.Zero, "The amount must be at most 1,000,000."
	}
	return d.Round(2), ""
}
