package sheetsemu

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Number formats. Sheets stores what an admin types as a number with a
// number format where the input says so: "10%" is 0.1 shown as a percent,
// "$1,234.50" is 1234.5 shown as currency. An unformatted read returns the
// number (0.1, 1234.5); a formatted read returns what the admin sees
// (https://developers.google.com/sheets/api/reference/rest/v4/ValueRenderOption).
const (
	FormatPercent  = "PERCENT"
	FormatCurrency = "CURRENCY"
)

// Formatted is a number cell with a number format, as a USER_ENTERED write
// (or Type) of "10%" or "$1,234.50" leaves it. Tab returns the number alone,
// TabStrings the text shown; a saved file keeps the format.
type Formatted struct {
	N      float64 `json:"n"`
	Format string  `json:"format"`
}

// text renders the cell as Sheets shows it in an en_US spreadsheet: a
// percent with the decimals it needs (up to two), currency as $#,##0.00.
func (f Formatted) text() string {
	switch f.Format {
	case FormatPercent:
		s := strconv.FormatFloat(math.Round(f.N*1e4)/1e2, 'f', -1, 64)
		return s + "%"
	case FormatCurrency:
		neg := f.N < 0
		s := strconv.FormatFloat(math.Abs(f.N), 'f', 2, 64)
		whole, frac, _ := strings.Cut(s, ".")
		var b strings.Builder
		for i, d := range whole {
			if i > 0 && (len(whole)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(d)
		}
		out := "$" + b.String() + "." + frac
		if neg {
			out = "-" + out
		}
		return out
	}
	return formatNumber(f.N)
}

var (
	percentRe  = regexp.MustCompile(`^([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))\s*%$`)
	currencyRe = regexp.MustCompile(`^([+-]?)\$\s*([0-9]{1,3}(?:,[0-9]{3})*|[0-9]+)(\.[0-9]+)?$`)
	groupedRe  = regexp.MustCompile(`^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$`)
)

// parseFormatted recognises the typed inputs that Sheets turns into a
// formatted number (USER_ENTERED): "10%", "10 %", "$1,234.50"; and
// "1,234.50", a plain number with thousands separators.
func parseFormatted(t string) (any, bool) {
	if m := percentRe.FindStringSubmatch(t); m != nil {
		if f, err := strconv.ParseFloat(m[1], 64); err == nil {
			return Formatted{f / 100, FormatPercent}, true
		}
	}
	if m := currencyRe.FindStringSubmatch(t); m != nil {
		if f, err := strconv.ParseFloat(m[1]+strings.ReplaceAll(m[2], ",", "")+m[3], 64); err == nil {
			return Formatted{f, FormatCurrency}, true
		}
	}
	if groupedRe.MatchString(t) {
		if f, err := strconv.ParseFloat(strings.ReplaceAll(t, ",", ""), 64); err == nil {
			return f, true
		}
	}
	return nil, false
}
