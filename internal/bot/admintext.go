package bot

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"shiftbot/internal/hybrid"
	"shiftbot/internal/store"
)

// The texts of the admin's side (SPEC §11): problem digests, the payroll and
// its CSV, the ranks recalculation.

// describe says what a problem is, for its alert and its "fixed" line. The
// worker's message names tab, row, column, value and reason for a reject,
// and the cell, both values and which one was kept for a conflict.
func describe(p store.Problem) string {
	switch p.Kind {
	case store.ProblemReject:
		return "rejected sheet row: " + p.Message
	case store.ProblemSkippedTab:
		return "tab " + p.Tab + " skipped: " + p.Message
	case store.ProblemHeldAppends, store.ProblemStalePending:
		return p.Message
	case store.ProblemConflict:
		return "tab " + p.Tab + ", key " + p.Subject + ": " + p.Message
	}
	if p.Tab != "" {
		return p.Kind + " in tab " + p.Tab + ": " + p.Message
	}
	return p.Kind + ": " + p.Message
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// problemLine is the alert for a problem that started.
func problemLine(p store.Problem) string {
	switch p.Kind {
	case store.ProblemReject:
		return "⚠️ Rejected sheet row: " + p.Message + "\n   The bot keeps the row's last good copy; fix the cell in the sheet."
	case store.ProblemSkippedTab:
		return "⚠️ Tab " + p.Tab + " skipped: " + p.Message
	case store.ProblemHeldAppends:
		return "⚠️ " + p.Message
	case store.ProblemStalePending:
		return "⏳ " + p.Message
	case store.ProblemConflict:
		return "↔️ Changed on both sides, " + describe(p)
	}
	return "⚠️ " + describe(p)
}

func workerDownLine(w workerHealth, since time.Time, loc *time.Location) string {
	last := "since the bot started at " + since.In(loc).Format(hybrid.DateTimeLayout)
	if !w.last.IsZero() {
		last = "since " + w.last.In(loc).Format(hybrid.DateTimeLayout)
	}
	return fmt.Sprintf("🔴 The sync worker has not completed a cycle %s (over 3 × its %s interval): new shifts are not "+
		"reaching the sheet, nor the sheet's changes the bot. Check it on the server: systemctl status alex12060-sync-worker",
		last, interval(w.interval))
}

func interval(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.Itoa(int(d/time.Minute)) + "-minute"
	}
	return strconv.Itoa(int(d/time.Second)) + "-second"
}

// digestText is one digest: every line that accumulated, up to
// maxDigestLines; the rest are counted.
func digestText(lines []string) string {
	if len(lines) > maxDigestLines {
		more := len(lines) - (maxDigestLines - 1)
		lines = append(lines[:maxDigestLines-1:maxDigestLines-1],
			fmt.Sprintf("… and %d more. `syncworker --status` on the server lists what is still open.", more))
	}
	return "🛠 Sync problems\n\n" + strings.Join(lines, "\n\n")
}

// periodName is "November 1 – 14, 2026": a pay period never spans two months.
func periodName(p hybrid.Period) string {
	last := p.To.AddDate(0, 0, -1)
	return fmt.Sprintf("%s %d – %d, %d", p.From.Month(), p.From.Day(), last.Day(), p.From.Year())
}

func payLines(b *strings.Builder, icon, who string, p hybrid.Pay) {
	shifts := "shifts"
	if p.Shifts == 1 {
		shifts = "shift"
	}
	fmt.Fprintf(b, "%s %s: %d %s, %s h\n   Total sales %s · Commissions %s · Bonuses %s · Earned %s\n",
		icon, who, p.Shifts, shifts, hybrid.Money(p.Hours), money(p.TotalSales), money(p.Commissions), money(p.Bonuses), money(p.Earned))
}

func periodText(b *strings.Builder, title string, pp hybrid.PeriodPay) {
	fmt.Fprintf(b, "\n📅 %s: %s\n", title, periodName(pp.Period))
	if len(pp.Employees) == 0 {
		b.WriteString("No shifts.\n")
		return
	}
	for _, e := range pp.Employees {
		payLines(b, "👤", fmt.Sprintf("%s (%d)", e.Name, e.EmployeeID), e)
	}
	payLines(b, "👥", "Team", pp.Team)
}

// payrollMessage is /payroll's answer (SPEC §11).
func payrollMessage(rep hybrid.PayrollReport) string {
	var b strings.Builder
	b.WriteString("💼 Payroll (pay days the 1st and the 15th; Bonuses are what Earned holds beyond commissions and hourly pay)\n")
	periodText(&b, "Current period, so far", rep.Current)
	periodText(&b, "Previous period", rep.Previous)
	if len(rep.Previous.Shifts) > 0 {
		b.WriteString("\n📎 The previous period's shifts follow as a CSV file, with the Shifts tab's columns.")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// payrollCSV is the previous period's shifts, one line each, with the
// columns of the Shifts tab and the text the sheet holds in its cells.
func payrollCSV(rep hybrid.PayrollReport) document {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(hybrid.ShiftColumns(rep.Products)) // a bytes.Buffer does not fail
	for _, v := range rep.Previous.Rows {
		_ = w.Write(hybrid.ShiftRecord(v, rep.Products))
	}
	w.Flush()
	p := rep.Previous.Period
	return document{
		name:    fmt.Sprintf("shifts_%s_%s.csv", p.From.Format("2006-01-02"), p.To.AddDate(0, 0, -1).Format("2006-01-02")),
		data:    buf.Bytes(),
		caption: fmt.Sprintf("📎 Shifts of %s (the previous pay period): %d", periodName(p), len(rep.Previous.Rows)),
	}
}

// recalcMessage is /recalc_ranks's answer: one line per change.
func recalcMessage(month time.Time, changes []hybrid.RankUpdate) string {
	head := fmt.Sprintf("🏆 Ranks of %s recalculated from the shifts as they are now", month.Format("January 2006"))
	if len(changes) == 0 {
		return head + ": no changes."
	}
	var b strings.Builder
	b.WriteString(head + ":\n")
	for _, c := range changes {
		from := c.From
		if from == "" {
			from = "(no record)"
		}
		fmt.Fprintf(&b, "\n%s: %s → %s", c.Name, from, c.To)
	}
	b.WriteString("\n\nEmployeeRanks is updated (the worker pushes it to the sheet). Nothing was granted and no employee was messaged.")
	return b.String()
}
