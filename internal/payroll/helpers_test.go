package payroll

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// est is a fixed UTC−5 zone (SPEC §5 USE_FIXED_UTC_MINUS_5) so tests do not
// depend on the machine's zone data.
var est = time.FixedZone("UTC-5", -5*3600)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// at parses the sheet's date-time format in server time.
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006/01/02 15:04:05", s, est)
	if err != nil {
		panic(err)
	}
	return t
}

func sales(kv ...string) []ProductSale {
	var ps []ProductSale
	for i := 0; i+1 < len(kv); i += 2 {
		ps = append(ps, ProductSale{Product: kv[i], Amount: d(kv[i+1])})
	}
	return ps
}

func eq(t *testing.T, field string, got, want decimal.Decimal) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %s, want %s", field, got, want)
	}
}
