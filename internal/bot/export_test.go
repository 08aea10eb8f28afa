package bot

import "context"

// Undelivered lets the black-box tests wait until every reply is out.
var Undelivered = undelivered

// ProductRef is the callback data's name for a product, for tests that
// forge a press.
var ProductRef = productRef

// CheckAlerts runs one pass of the admins' problem watcher now, whatever
// it saw last, so a test knows every digest due is in the outbox.
func (b *Bot) CheckAlerts(ctx context.Context) error { return b.checkAlerts(ctx, true) }
