package payroll

import (
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Rank is one row of the Ranks tab (SPEC §2).
type Rank struct {
	Name     string
	Min, Max decimal.Decimal
	Emoji    string
	Bonuses  [3]string // bonus codes of Bonus 1..3; "none" or blank = no bonus
	Text     string    // TEXT column; see DisplayText
}

// DefaultRankText is shown when a rank's TEXT cell is blank (SPEC §2).
const DefaultRankText = "You're really killing it!"

// DisplayText is the rank's TEXT, or DefaultRankText when blank.
func (r Rank) DisplayText() string {
	if t := strings.TrimSpace(r.Text); t != "" {
		return t
	}
	return DefaultRankText
}

// openEnded is the Max from which a rank is shown as "$N+" (SPEC §4).
var openEnded = decimal.NewFromInt(999999)

// RankFor is the rank for an employee's sales in a month (SPEC §2 lookup);
// when no row covers the amount, the lowest rank.
func RankFor(ranks []Rank, monthSales decimal.Decimal) Rank {
	i := lookup(len(ranks),
		func(i int) decimal.Decimal { return ranks[i].Min },
		func(i int) decimal.Decimal { return ranks[i].Max },
		monthSales)
	if i < 0 {
		return LowestRank(ranks)
	}
	return ranks[i]
}

// LowestRank is the rank with the smallest Min (the first of equals), the
// default rank of SPEC §2; the zero Rank when there are none.
func LowestRank(ranks []Rank) Rank {
	if len(ranks) == 0 {
		return Rank{}
	}
	low := ranks[0]
	for _, r := range ranks[1:] {
		if r.Min.LessThan(low.Min) {
			low = r
		}
	}
	return low
}

// FormatRange renders a rank's range for the Ranks screen (SPEC §4): whole
// dollars truncated, thousands separators, en dash, "$N+" when open-ended.
func FormatRange(r Rank) string {
	if r.Max.GreaterThanOrEqual(openEnded) {
		return "$" + groupThousands(r.Min.IntPart()) + "+"
	}
	return "$" + groupThousands(r.Min.IntPart()) + " – $" + groupThousands(r.Max.IntPart())
}

func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + b.String()
}

// DefaultRanks is the Ranks table written by --init-sheets (SPEC §2).
func DefaultRanks() []Rank {
	rank := func(name, min, max, emoji, b1, b2, b3, text string) Rank {
		return Rank{
			Name: name, Min: decimal.RequireFromString(min), Max: decimal.RequireFromString(max),
			Emoji: emoji, Bonuses: [3]string{b1, b2, b3}, Text: text,
		}
	}
	return []Rank{
		rank("Rookie", "0", "1999.99", "🧑\u200d🚀", "none", "none", "none", "Keep pushing!"),
		rank("Hustler", "2000", "3999.99", "💪", "flat_10", "percent_next_1", "percent_prev_1", DefaultRankText),
		rank("Closer", "4000", "6999.99", "💼", "flat_25", "percent_next_2", "flat_15", DefaultRankText),
		rank("Shark", "7000", "9999.99", "🦈", "flat_50", "paid_day_off", "percent_next_3", DefaultRankText),
		rank("King of Greed", "10000", "14999.99", "💀", "flat_100", "percent_all_2", "telegram_premium", DefaultRankText),
		rank("Chatting God", "15000", "999999", "🔥", "flat_200", "double_commission", "flat_125", DefaultRankText),
	}
}

// SaleRecord is what MonthSales needs of a stored shift.
type SaleRecord struct {
	EmployeeID int64
	Date       time.Time // the shift's Date (server time, SPEC §5)
	TotalSales decimal.Decimal
}

// MonthSales sums the employee's Total sales over shifts whose Date falls in
// the same calendar month as shiftDate. SPEC §6: the month that decides a rank
// is the shift's month, not the month the bot runs in (a shift finished just
// after midnight on the 1st for "Yesterday" still belongs to its own Date).
// Total sales, not product amounts, because a sales edit changes only the
// total (SPEC §4).
func MonthSales(employeeID int64, shiftDate time.Time, shifts []SaleRecord) decimal.Decimal {
	y, m, _ := shiftDate.Date()
	sum := decimal.Zero
	for _, s := range shifts {
		if sy, sm, _ := s.Date.Date(); s.EmployeeID == employeeID && sy == y && sm == m {
			sum = sum.Add(s.TotalSales)
		}
	}
	return sum
}

// RankRecord is the EmployeeRanks row of one employee and month.
type RankRecord struct {
	Current, Previous string
	Notified          bool
}

// Kinds of RankChange.
const (
	RankNone  = "none"  // same rank: write nothing, say nothing
	RankFirst = "first" // no record yet, lowest rank: create it silently
	RankUp    = "up"    // rank-up message with a drawn bonus
	RankDown  = "down"  // rank-down message
)

// RankChange is what EvaluateRank decided. Record is the row to store (create
// when there was none, else update) unless Kind is RankNone.
type RankChange struct {
	Kind     string
	From, To Rank
	Record   RankRecord
}

// EvaluateRank compares the rank earned by monthSales with the month's
// EmployeeRanks record (SPEC §6). Without a record one is created with
// Previous = the lowest rank's name, so reaching a higher rank with the first
// shift of the month counts as a rank-up. Up or down is decided by Min; a
// recorded rank no longer in the table is treated like the lowest rank.
// Notified is false in every record written; the caller sets it once the
// message is sent.
func EvaluateRank(ranks []Rank, monthSales decimal.Decimal, existing *RankRecord) RankChange {
	to := RankFor(ranks, monthSales)
	low := LowestRank(ranks)
	if existing == nil {
		rec := RankRecord{Current: to.Name, Previous: low.Name}
		if sameName(to.Name, low.Name) {
			return RankChange{Kind: RankFirst, From: low, To: to, Record: rec}
		}
		return RankChange{Kind: RankUp, From: low, To: to, Record: rec}
	}
	if sameName(existing.Current, to.Name) {
		return RankChange{Kind: RankNone, From: to, To: to, Record: *existing}
	}
	from, known := findRank(ranks, existing.Current)
	if !known {
		from = Rank{Name: existing.Current, Min: low.Min}
	}
	kind := RankDown
	if to.Min.GreaterThan(from.Min) {
		kind = RankUp
	}
	return RankChange{Kind: kind, From: from, To: to,
		Record: RankRecord{Current: to.Name, Previous: existing.Current}}
}

func findRank(ranks []Rank, name string) (Rank, bool) {
	for _, r := range ranks {
		if sameName(r.Name, name) {
			return r, true
		}
	}
	return Rank{}, false
}

// sameName compares rank names as an admin types them: trimmed, any case.
func sameName(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}
