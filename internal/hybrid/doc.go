// Package hybrid owns the bot's view of the data: the shifts, settings,
// rates, ranks and bonuses the bot reads and writes. It reads SQLite only and
// never talks to Google (SPEC §1). Every write is a synced row left pending
// for the sync worker to push, made inside the caller's write transaction, so
// one user action (finishing or editing a shift, with its default settings
// row, rank record and bonus rows) is one transaction; shift and bonus IDs are
// allocated there.
//
// The pay rules themselves live in package payroll; this package loads their
// inputs, calls them, and stores what comes back as canonical text (money
// "123.45", booleans "true"/"false", date-times "2006/01/02 15:04:05" in server
// time), the same text the worker compares with the sheet.
package hybrid
