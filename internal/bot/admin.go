package bot

import (
	"context"
	"errors"

	"shiftbot/internal/hybrid"
	"shiftbot/internal/store"
)

// The admins' commands (SPEC §11). An admin is an employee too, with
// everything an employee has; these come on top. Anyone else sending them
// gets exactly what any other unknown text gets, so nothing tells them the
// commands exist.
const (
	cmdPayroll = "payroll"
	cmdRecalc  = "recalc_ranks"
)

func (b *Bot) isAdmin(user int64) bool { return b.admins[user] }

func isAdminCommand(cmd string) bool { return cmd == cmdPayroll || cmd == cmdRecalc }

// adminCommand answers an admin's command and leaves them at the menu, as
// /start does.
func (b *Bot) adminCommand(ctx context.Context, tx *store.Tx, c *conversation, cmd string, out *reply) error {
	now := b.now()
	switch cmd {
	case cmdPayroll:
		rep, err := b.svc.Payroll(ctx, tx, now)
		if err != nil {
			return err
		}
		b.log.Info("Payroll sent to an admin", "user_id", c.user, "current_shifts", len(rep.Current.Shifts),
			"previous_shifts", len(rep.Previous.Shifts))
		b.toMenu(c, out, payrollMessage(rep))
		if len(rep.Previous.Rows) > 0 {
			out.docs = append(out.docs, payrollCSV(rep))
		}
	case cmdRecalc:
		changes, err := b.svc.RecalcRanks(ctx, tx, now)
		if errors.Is(err, hybrid.ErrNotReady) {
			b.toMenu(c, out, textNotReady+"\n\nChoose an action:")
			return nil
		}
		if err != nil {
			return err
		}
		for _, ch := range changes {
			b.log.Info("Rank recalculated", "admin_id", c.user, "employee_id", ch.EmployeeID, "from", ch.From, "to", ch.To)
		}
		b.toMenu(c, out, recalcMessage(now, changes))
	}
	return nil
}
