package syncmgr

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"shiftbot/internal/store"
)

// Health states, as the health check prints them (SPEC §8, §9).
const (
	StateOK       = "ok"
	StateWarning  = "warning"
	StateCritical = "critical"
)

// StalePendingCritical is the age of the oldest pending row past which rows
// are taken for lost to the sheet, whatever the interval.
const StalePendingCritical = 24 * time.Hour

// Health is what the database says of the worker: the facts behind
// `syncworker --status` and the health check.
type Health struct {
	Now         time.Time
	Interval    time.Duration
	LastSuccess time.Time // zero if no cycle ever succeeded
	Pending     int
	Oldest      time.Time // when the oldest pending row became pending
	SkippedTabs []string
	HeldTabs    []string
	Rejected    int // sheet rows currently rejected
	LastRun     *store.Run
	Runs        []store.Run // newest first
	State       string
	Reasons     []string // why the state is not ok, for people
}

// ReadHealth gathers the facts and judges them: critical when no cycle ever
// succeeded, the last success is older than 3 intervals or a row has been
// pending for a day; warning when a tab is skipped, appends are held, or a
// row has been pending longer than 3 intervals.
func ReadHealth(ctx context.Context, db *store.DB, interval time.Duration, now time.Time) (Health, error) {
	h := Health{Now: now, Interval: interval, State: StateOK}
	last, ok, err := db.LastSuccess(ctx)
	if err != nil {
		return h, err
	}
	if ok {
		h.LastSuccess = last
	}
	if h.Pending, h.Oldest, err = db.PendingCount(ctx); err != nil {
		return h, err
	}
	problems, err := db.OpenProblems(ctx)
	if err != nil {
		return h, err
	}
	for _, p := range problems {
		switch p.Kind {
		case store.ProblemSkippedTab:
			h.SkippedTabs = append(h.SkippedTabs, p.Tab)
		case store.ProblemHeldAppends:
			h.HeldTabs = append(h.HeldTabs, p.Tab)
		case store.ProblemReject:
			h.Rejected++
		}
	}
	slices.Sort(h.SkippedTabs)
	h.SkippedTabs = slices.Compact(h.SkippedTabs)
	slices.Sort(h.HeldTabs)
	h.HeldTabs = slices.Compact(h.HeldTabs)
	if h.Runs, err = db.LastRuns(ctx, 10); err != nil {
		return h, err
	}
	if len(h.Runs) > 0 {
		h.LastRun = &h.Runs[0]
	}
	h.judge()
	return h, nil
}

func (h *Health) judge() {
	limit := 3 * h.Interval
	critical := func(why string) { h.State, h.Reasons = StateCritical, append(h.Reasons, why) }
	warning := func(why string) {
		if h.State == StateOK {
			h.State = StateWarning
		}
		h.Reasons = append(h.Reasons, why)
	}
	switch {
	case h.LastSuccess.IsZero():
		critical("no sync has ever succeeded")
	case h.Now.Sub(h.LastSuccess) > limit:
		critical(fmt.Sprintf("last successful sync %s ago, over %s (3 x the %s interval)",
			age(h.Now.Sub(h.LastSuccess)), age(limit), age(h.Interval)))
	}
	if h.Pending > 0 {
		pending := h.Now.Sub(h.Oldest)
		switch {
		case pending > StalePendingCritical:
			critical(fmt.Sprintf("%d rows pending, the oldest for %s (over a day): they are not reaching the sheet", h.Pending, age(pending)))
		case pending > limit:
			warning(fmt.Sprintf("%d rows pending, the oldest for %s (over %s)", h.Pending, age(pending), age(limit)))
		}
	}
	for _, t := range h.SkippedTabs {
		warning("tab " + t + " is skipped (missing, or missing a header): its rows are not synced")
	}
	for _, t := range h.HeldTabs {
		warning("tab " + t + " looks emptied by accident: appends to it are held (restore it, or run syncworker --accept-empty " + t + ")")
	}
}

// Healthy is the exit status of --status: 0 only when all is well.
func (h Health) Healthy() bool { return h.State == StateOK }

func age(d time.Duration) string { return d.Round(time.Second).String() }

// WriteText prints the health for people.
func (h Health) WriteText(w io.Writer) {
	if h.LastSuccess.IsZero() {
		fmt.Fprintln(w, "Last successful sync: never")
	} else {
		fmt.Fprintf(w, "Last successful sync: %s (%s ago)\n", h.LastSuccess.Local().Format(time.DateTime), age(h.Now.Sub(h.LastSuccess)))
	}
	if h.Pending > 0 {
		fmt.Fprintf(w, "Pending rows: %d (oldest %s)\n", h.Pending, age(h.Now.Sub(h.Oldest)))
	} else {
		fmt.Fprintln(w, "Pending rows: 0")
	}
	if len(h.SkippedTabs) > 0 {
		fmt.Fprintf(w, "Skipped tabs: %s\n", strings.Join(h.SkippedTabs, ", "))
	}
	if len(h.HeldTabs) > 0 {
		fmt.Fprintf(w, "Appends held for tabs: %s\n", strings.Join(h.HeldTabs, ", "))
	}
	if h.Rejected > 0 {
		fmt.Fprintf(w, "Rejected sheet rows: %d\n", h.Rejected)
	}
	fmt.Fprintln(w, "Recent cycles (newest first):")
	for _, r := range h.Runs {
		dur := ""
		if !r.Ended.IsZero() {
			dur = fmt.Sprintf("%.2fs", r.Ended.Sub(r.Started).Seconds())
		}
		state := runState(r)
		if !r.Ended.IsZero() && !r.OK {
			state = "FAILED: " + r.Err
		}
		fmt.Fprintf(w, "  #%-5d %s %7s pulled=%d pushed=%d rejected=%d requests=%d %s\n", r.Cycle,
			r.Started.Local().Format(time.DateTime), dur, r.Pulled, r.Pushed, r.Rejected, r.Requests, state)
	}
	fmt.Fprintf(w, "Health: %s", strings.ToUpper(h.State))
	if len(h.Reasons) > 0 {
		fmt.Fprintf(w, ": %s", strings.Join(h.Reasons, "; "))
	}
	fmt.Fprintf(w, " (threshold %s)\n", age(3*h.Interval))
}

func runState(r store.Run) string {
	switch {
	case r.Ended.IsZero():
		return "unfinished"
	case !r.OK:
		return "failed"
	}
	return "ok"
}

// KVFormatVersion is the version of WriteKV's format; it changes only when
// a key changes meaning or goes away (new keys may be added).
const KVFormatVersion = 1

// WriteKV prints the health as one key=value a line: the stable interface
// for scripts (`syncworker --status --format=kv`). Values never hold a
// newline; times are RFC 3339 in UTC; ages are whole seconds; lists are
// comma-separated; an unknown or absent value is empty.
func (h Health) WriteKV(w io.Writer) {
	kv := func(k, v string) {
		fmt.Fprintf(w, "%s=%s\n", k, strings.Join(strings.Fields(v), " "))
	}
	secs := func(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	kv("format", strconv.Itoa(KVFormatVersion))
	kv("state", h.State)
	kv("healthy", strconv.FormatBool(h.Healthy()))
	kv("reasons", strings.Join(h.Reasons, "; "))
	kv("interval_seconds", secs(h.Interval))
	kv("last_success_at", stamp(h.LastSuccess))
	if h.LastSuccess.IsZero() {
		kv("last_success_age_seconds", "")
	} else {
		kv("last_success_age_seconds", secs(h.Now.Sub(h.LastSuccess)))
	}
	kv("pending_rows", strconv.Itoa(h.Pending))
	oldest := time.Duration(0)
	if h.Pending > 0 {
		oldest = h.Now.Sub(h.Oldest)
	}
	kv("oldest_pending_age_seconds", secs(oldest))
	kv("skipped_tabs", strings.Join(h.SkippedTabs, ","))
	kv("held_tabs", strings.Join(h.HeldTabs, ","))
	kv("rejected_rows", strconv.Itoa(h.Rejected))
	if r := h.LastRun; r != nil {
		kv("last_cycle", strconv.Itoa(r.Cycle))
		kv("last_cycle_state", runState(*r))
		kv("last_cycle_started_at", stamp(r.Started))
		kv("last_cycle_error", r.Err)
	} else {
		kv("last_cycle", "0")
		kv("last_cycle_state", "none")
		kv("last_cycle_started_at", "")
		kv("last_cycle_error", "")
	}
}
