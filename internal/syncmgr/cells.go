package syncmgr

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Kind is how a column's cells are parsed and written.
type Kind int

// The cell kinds of SPEC §2.
const (
	Text Kind = iota
	Int
	Decimal
	Percent // points: 10 means 10 %, however the admin typed or formatted it
	Bool
	DateTime
)

// DateTimeLayout is how date-times are written (SPEC §2) and stored.
const DateTimeLayout = "2006/01/02 15:04:05"

// Layouts a human or a locale may have left in a date cell.
var dateLayouts = []string{
	DateTimeLayout,
	"2006/01/02 15:04",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02T15:04:05",
	"1/2/2006 15:04:05",
	"1/2/2006 15:04",
	"2006/01/02",
	"2006-01-02",
	"1/2/2006",
	// Day first with dots, as a European locale shows a typed date.
	"2.1.2006 15:04:05",
	"2.1.2006 15:04",
	"2.1.2006",
}

var thousands = regexp.MustCompile(`^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$`)

// Canonical parses a cell as kind k and returns its canonical text: the form
// stored locally and compared with what Sheets holds, so that "15", 15 and
// " 15.00 " are the same value and an unchanged row is never rewritten.
// An empty cell is "".
func Canonical(k Kind, cell any) (string, error) {
	if cell == nil {
		return "", nil
	}
	if s, ok := cell.(string); ok && strings.TrimSpace(s) == "" {
		return "", nil
	}
	switch k {
	case Int:
		return parseInt(cell)
	case Decimal, Percent:
		if s, ok := cell.(string); ok && isCanonicalMoney(s) {
			return s, nil // what this system writes: most cells of a large pull
		}
		d, err := ParseDecimal(cell)
		if err != nil {
			return "", err
		}
		return CanonDecimal(d), nil
	case Bool:
		return parseBool(cell)
	case DateTime:
		return parseDateTime(cell)
	default:
		return strings.TrimSpace(text(cell)), nil
	}
}

func text(cell any) string {
	switch v := cell.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	default:
		return fmt.Sprint(v)
	}
}

// CanonDecimal formats money and percentages: two decimals, or more when the
// value has them (a human may type a rate of 2.125; it must not be rounded away).
func CanonDecimal(d decimal.Decimal) string {
	if d.Exponent() >= -2 || d.Equal(d.Round(2)) {
		return d.StringFixed(2)
	}
	return d.String()
}

// ParseDecimal accepts what a person types into a money cell: " 15 ",
// "$1,234.50", "15,5" (decimal comma), "10%"; and numbers Sheets returns.
func ParseDecimal(cell any) (decimal.Decimal, error) {
	switch v := cell.(type) {
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return decimal.Decimal{}, errors.New("not a finite number")
		}
		return decimal.NewFromString(strconv.FormatFloat(v, 'f', -1, 64))
	case string:
		if plainNumber(v) { // what this system writes: most cells, so no regexp
			return decimal.NewFromString(v)
		}
		s := strings.TrimSpace(v)
		s = strings.TrimSuffix(strings.TrimPrefix(s, "$"), "%")
		s = strings.ReplaceAll(strings.ReplaceAll(s, " ", ""), "\u00a0", "")
		s = strings.TrimPrefix(s, "$")
		switch {
		case thousands.MatchString(s):
			s = strings.ReplaceAll(s, ",", "")
		case strings.Count(s, ",") == 1 && !strings.Contains(s, "."):
			s = strings.Replace(s, ",", ".", 1)
		}
		if s == "" || strings.ContainsAny(s, "eEnN") { // no exponents, NaN or Inf in a money cell
			return decimal.Decimal{}, fmt.Errorf("not a number: %q", v)
		}
		d, err := decimal.NewFromString(s)
		if err != nil {
			return decimal.Decimal{}, fmt.Errorf("not a number: %q", v)
		}
		return d, nil
	default:
		return decimal.Decimal{}, fmt.Errorf("not a number: %v", v)
	}
}

// isCanonicalMoney reports whether s is already CanonDecimal's output for a
// value with two decimals: digits without a leading zero, a point, two digits.
func isCanonicalMoney(s string) bool {
	n := len(s)
	if n < 4 || s[n-3] != '.' || (s[0] == '0' && n > 4) {
		return false
	}
	for i := 0; i < n; i++ {
		if i != n-3 && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

// plainNumber reports whether s is digits with at most one point inside.
func plainNumber(s string) bool {
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
		case c == '.' && !dot && i > 0 && i < len(s)-1:
			dot = true
		default:
			return false
		}
	}
	return s != ""
}

// maxInt is the largest id or number this system reads: a number cell holds
// integers exactly only up to 2^53, and SQLite's INTEGER is 64-bit.
const maxInt = 1 << 53

func parseInt(cell any) (string, error) {
	switch v := cell.(type) {
	case float64:
		if v != math.Trunc(v) {
			return "", fmt.Errorf("not a whole number: %v", v)
		}
		if math.Abs(v) > maxInt {
			return "", fmt.Errorf("number out of range: %v", v)
		}
		return strconv.FormatInt(int64(v), 10), nil
	case string:
		s := strings.TrimSpace(v)
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			// "12.0": an id a spreadsheet once turned into a float.
			d, derr := decimal.NewFromString(s)
			if derr != nil || !d.IsInteger() || strings.ContainsAny(s, "eE") {
				return "", fmt.Errorf("not a whole number: %q", v)
			}
			if !d.Abs().LessThanOrEqual(decimal.NewFromInt(maxInt)) {
				return "", fmt.Errorf("number out of range: %q", v)
			}
			return d.String(), nil
		}
		if n > maxInt || n < -maxInt {
			return "", fmt.Errorf("number out of range: %q", v)
		}
		return strconv.FormatInt(n, 10), nil
	default:
		return "", fmt.Errorf("not a whole number: %v", v)
	}
}

func parseBool(cell any) (string, error) {
	switch v := cell.(type) {
	case bool:
		return strconv.FormatBool(v), nil
	case float64:
		if v == 0 || v == 1 {
			return strconv.FormatBool(v == 1), nil
		}
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "yes", "1":
			return "true", nil
		case "false", "no", "0":
			return "false", nil
		}
	}
	return "", fmt.Errorf("not true or false: %v", cell)
}

func parseDateTime(cell any) (string, error) {
	s, ok := cell.(string)
	if !ok {
		return "", fmt.Errorf("not a date: %v", cell)
	}
	s = strings.TrimSpace(s)
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.Format(DateTimeLayout), nil
		}
	}
	return "", fmt.Errorf("not a date (want YYYY/MM/DD HH:MM:SS): %q", s)
}

// canonicalPercent reads a percentage in points. Sheets stores a typed
// "10%" as the number 0.1 with a percent number format, and a number typed
// into a percent-formatted cell likewise; an unformatted read returns 0.1
// either way, and only the displayed value (FORMATTED_VALUE, "10%") tells
// it apart from a plain 0.1. So a number whose displayed form ends in "%" is
// a fraction, scaled to points; any other cell is points as it stands ("10",
// "10 %", "10.0").
func canonicalPercent(cell, formatted any) (string, error) {
	if f, ok := cell.(float64); ok {
		if shown, ok := formatted.(string); ok && strings.HasSuffix(strings.TrimSpace(shown), "%") {
			d, err := ParseDecimal(f)
			if err != nil {
				return "", err
			}
			return CanonDecimal(d.Shift(2)), nil
		}
	}
	return Canonical(Decimal, cell)
}

// Encode is the value written for canonical text v of kind k: ids as numbers,
// everything else as text (written RAW, so Sheets keeps "15.00" and dates as
// typed; SPEC §2).
func Encode(k Kind, v string) any {
	if k == Int && v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	}
	return v
}
