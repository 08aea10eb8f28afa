// Package payroll owns the pay, bonus and rank rules of SPEC §6 and the range
// lookup and defaults of SPEC §2. It is pure: no I/O, no clock, no global
// randomness. Callers load settings, rates, ranks, bonuses and other shifts,
// call these functions, and store what comes back.
//
// Money is exact (shopspring/decimal) until a Result is produced; then every
// money column is rounded to cents half away from zero (decimal.Round), as the
// sheet stores it. Sums shown together (Total made) are sums of the rounded
// parts, so the sheet's columns add up.
//
// Times are taken as the caller gives them: pass server-time values (SPEC §5).
// Worked hours use the real elapsed time between clock in and clock out.
package payroll
