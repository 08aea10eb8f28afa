package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"shiftbot/internal/hybrid"
	"shiftbot/internal/payroll"
)

// The texts that show data: shift details, rank messages, statistics and
// ranks, with money as people read it (SPEC §4, §6).

// money shows an amount as people read it (SPEC §4): "$12,345.00".
func money(d decimal.Decimal) string {
	whole, frac, _ := strings.Cut(hybrid.Money(d), ".")
	sign := ""
	if w, ok := strings.CutPrefix(whole, "-"); ok {
		sign, whole = "-", w
	}
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + "$" + b.String() + "." + frac
}

// amountText shows an amount kept in a draft as canonical text.
func amountText(canonical string) string {
	d, err := decimal.NewFromString(canonical)
	if err != nil {
		return "$" + canonical // only a hand-edited database gets here
	}
	return money(d)
}

// shiftDetails renders a shift with the fields of SPEC §4, in its order.
func shiftDetails(title string, sh hybrid.Shift, res payroll.Result, loc *time.Location) string {
	var b strings.Builder
	t := func(x time.Time) string { return x.In(loc).Format(hybrid.DateTimeLayout) }
	fmt.Fprintf(&b, "%s\n\n📋 ID: %d\n📅 Date: %s\n👤 Employee: %s\n\n", title, sh.ID, t(sh.Date), sh.EmployeeName)
	fmt.Fprintf(&b, "⏰ Time:\n   • Start: %s\n   • End: %s\n   • Worked hours: %s\n\n",
		t(sh.ClockIn), t(sh.ClockOut), hybrid.Money(sh.WorkedHours))
	b.WriteString("💰 Sales:\n")
	sum := decimal.Zero
	for _, p := range sh.Products {
		fmt.Fprintf(&b, "   • %s: %s\n", p.Product, money(p.Amount))
		sum = sum.Add(p.Amount)
	}
	if !sum.Equal(sh.TotalSales) {
		// A Total sales edit (or the admin) changed the total alone.
		fmt.Fprintf(&b, "   ✏️ Total sales was corrected to %s; the products above add up to %s.\n", money(sh.TotalSales), money(sum))
	}
	fmt.Fprintf(&b, "\n💵 Totals:\n   • Total sales: %s\n   • Net sales: %s\n   • Commission %%: %s\n",
		money(sh.TotalSales), money(sh.NetSales), payroll.CommissionBreakdown(res))
	fmt.Fprintf(&b, "   • Total per hour: %s\n   • Commissions: %s\n   • Earned: %s",
		money(sh.TotalPerHour), money(sh.Commissions), money(sh.TotalMade))
	for _, a := range res.Applied {
		b.WriteString("\n" + appliedBonus(a))
	}
	return b.String()
}

// appliedBonus names a bonus this shift used. DescribeBonus words a bonus as
// a promise ("on your next shift"); here it has been kept, so it says so.
func appliedBonus(a payroll.AppliedBonus) string {
	code := a.Bonus.Code()
	typ, v, _ := payroll.ParseBonusCode(code)
	pct := strings.TrimSuffix(strings.TrimRight(v.StringFixed(2), "0"), ".") + "%"
	var what string
	switch typ {
	case payroll.PercentNext:
		what = "📈 +" + pct + " commission"
	case payroll.DoubleCommission:
		what = "⚡ Double commission"
	case payroll.Flat:
		what = "💵 Flat bonus +" + money(v)
	case payroll.PercentPrev:
		what = "💰 +" + pct + " of the previous chatter's sales"
	case payroll.PercentAll:
		what = "🔥 +" + pct + " of the other chatters' sales on your model that day"
	case payroll.PaidDayOff:
		what = "🏖️ Paid day off (the admin arranges the date)"
	case payroll.TelegramPremium:
		what = "⭐ Telegram Premium for 3 months (the admin sends it)"
	default:
		what = payroll.DescribeBonus(code)
	}
	line := "🎁 Bonus applied to this shift: " + what
	if a.Product != "" && a.Money.IsPositive() {
		line += fmt.Sprintf(" → +%s from %s", money(a.Money), a.Product)
	}
	return line
}

func rankMessage(r *hybrid.RankChange, shiftID int64, earned decimal.Decimal) string {
	if r.Kind == payroll.RankDown {
		return fmt.Sprintf("📉 Rank update\n\nYour rank changed from %s %s to %s %s.\n\nKeep pushing to climb back up! 💪",
			r.From.Name, r.From.Emoji, r.To.Name, r.To.Emoji)
	}
	text := fmt.Sprintf("🎉 Congratulations!\n\nYou are now %s %s\n\n%s", r.To.Name, r.To.Emoji, r.To.DisplayText())
	if r.BonusCode != "" {
		text += "\n\n🎁 Your bonus:\n" + payroll.DescribeBonus(r.BonusCode)
	}
	if r.Immediate.IsPositive() {
		text += fmt.Sprintf("\n\nIt has been added to shift #%d: Earned is now %s.", shiftID, money(earned.Add(r.Immediate)))
	}
	return text
}

func statsMessage(st hybrid.Stats) string {
	return fmt.Sprintf("📊 Your statistics\n\n🏆 Rank: %s %s\n💰 Total sales this month: %s\n"+
		"💵 Total made since the last pay day: %s\n📅 Next pay day: %s",
		st.Rank.Name, st.Rank.Emoji, money(st.MonthSales), money(st.SincePayDay), st.NextPayDay.Format("January 2, 2006"))
}

func ranksMessage(ranks []payroll.Rank) string {
	if len(ranks) == 0 {
		return "🏆 Ranks\n\nThe ranks have not been loaded from the spreadsheet yet."
	}
	var b strings.Builder
	b.WriteString("🏆 Ranks\n")
	for i, r := range ranks { // ordered by Min: the first is the lowest
		fmt.Fprintf(&b, "\n%s %s (%s)\n", r.Name, r.Emoji, payroll.FormatRange(r))
		if i == 0 {
			b.WriteString("No bonuses: this is where everyone starts.\n")
			continue
		}
		n := 0
		for _, code := range r.Bonuses {
			if d := payroll.DescribeBonus(code); d != "" {
				n++
				fmt.Fprintf(&b, "%d. %s\n", n, d)
			}
		}
		if n == 0 {
			b.WriteString("No bonuses.\n")
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}
