// Package scripts holds the tests of the operator scripts. The health check
// runs against real databases made with the store package and the real
// syncworker --status, with a stub systemctl on PATH (SPEC §8, §9).
package scripts

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"shiftbot/internal/store"
	"shiftbot/internal/testutil"
)

var binDir string

func TestMain(m *testing.M) { testutil.MainWithBuild(m, &binDir, "../cmd/syncworker") }

// makeDB makes a database at path whose runs ended at the given times: ok
// runs for okEnded, then one failed run when failedToo.
func makeDB(t *testing.T, path string, failedToo bool, okEnded ...time.Time) {
	t.Helper()
	withDB(t, path, func(ctx context.Context, db *store.DB) {
		cycle := 0
		finish := func(ended time.Time, ok bool) {
			cycle++
			id, err := db.StartRun(ctx, cycle, ended.Add(-2*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			run := store.Run{ID: id, Cycle: cycle, Ended: ended, OK: ok, Pulled: 3}
			if !ok {
				run.Err = "pull: values.batchGet: 503"
			}
			if err := db.FinishRun(ctx, run); err != nil {
				t.Fatal(err)
			}
		}
		for _, e := range okEnded {
			finish(e, true)
		}
		if failedToo {
			finish(time.Now().Add(-time.Minute), false)
		}
	})
}

func withDB(t *testing.T, path string, fn func(context.Context, *store.DB)) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fn(ctx, db)
}

// addPending leaves a row pending since age ago, as a bot's shift the
// worker could not push. The row's changed_at is moved back in the store's
// own time format, whatever it is (RFC 3339 with some digits of fraction).
func addPending(t *testing.T, path string, age time.Duration) {
	t.Helper()
	withDB(t, path, func(ctx context.Context, db *store.DB) {
		err := db.Update(ctx, func(tx *store.Tx) error {
			err := tx.PutRow(ctx, store.EmployeeSettings, store.Row{Pending: true,
				Values: store.Values{"employee_id": "7", "hourly_wage": "15.00", "sales_commission": "8.00"}})
			if err != nil {
				return err
			}
			var at string
			if err := tx.QueryRow(ctx, "SELECT changed_at FROM employee_settings WHERE pending = 1").Scan(&at); err != nil {
				return err
			}
			when, err := time.Parse(time.RFC3339Nano, at)
			if err != nil {
				return err
			}
			layout := "2006-01-02T15:04:05Z07:00"
			if i, j := strings.Index(at, "."), strings.Index(at, "Z"); i > 0 && j > i {
				layout = "2006-01-02T15:04:05." + strings.Repeat("0", j-i-1) + "Z07:00"
			}
			_, err = tx.Exec(ctx, "UPDATE employee_settings SET changed_at = ? WHERE pending = 1", when.Add(-age).UTC().Format(layout))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// addProblem opens a problem of kind (store.ProblemSkippedTab,
// store.ProblemHeldAppends) for tab, as a cycle records it.
func addProblem(t *testing.T, path, kind, tab string) {
	t.Helper()
	withDB(t, path, func(ctx context.Context, db *store.DB) {
		err := db.Update(ctx, func(tx *store.Tx) error {
			_, _, err := tx.SetProblems(ctx, kind, tab, []store.Problem{{Message: "made by the test"}}, time.Now())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// check runs check_sync_health.sh with a stub systemctl that reports the
// units in down as failed and every other unit active.
type check struct {
	db    string
	down  []string
	env   []string
	args  []string
	calls []string // systemctl arguments seen, filled by run
}

func (c *check) run(t *testing.T) (code int, first string, out string) {
	t.Helper()
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	stub := `#!/bin/sh
echo "$*" >> '` + calls + `'
[ "$1" = is-active ] || { echo "stub systemctl: unexpected call: $*" >&2; exit 99; }
for u in ` + strings.Join(c.down, " ") + `; do
	for a in "$@"; do
		if [ "$a" = "$u" ]; then
			[ "$2" = --quiet ] || echo failed
			exit 3
		fi
	done
done
[ "$2" = --quiet ] || echo active
exit 0
`
	if err := os.WriteFile(filepath.Join(dir, "systemctl"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("./check_sync_health.sh", c.args...)
	cmd.Env = append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"SYNCWORKER_BIN="+filepath.Join(binDir, "syncworker"), "DB_PATH="+c.db)
	cmd.Env = append(cmd.Env, c.env...)
	outb, err := cmd.CombinedOutput()
	out = string(outb)
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatal(err)
		}
		code = ee.ExitCode()
	}
	if data, err := os.ReadFile(calls); err == nil {
		c.calls = strings.Split(strings.TrimSpace(string(data)), "\n")
	}
	first, _, _ = strings.Cut(out, "\n")
	return code, first, out
}

func TestCheckSyncHealth(t *testing.T) {
	now := time.Now()
	dir := t.TempDir()
	healthy := filepath.Join(dir, "healthy", "reference_data.db")
	makeDB(t, healthy, false, now.Add(-20*time.Minute), now.Add(-2*time.Minute))
	stale := filepath.Join(dir, "stale", "reference_data.db")
	makeDB(t, stale, true, now.Add(-20*time.Minute)) // and failures since
	never := filepath.Join(dir, "never", "reference_data.db")
	makeDB(t, never, true)
	empty := filepath.Join(dir, "empty", "reference_data.db")
	makeDB(t, empty, false)
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte("this is not a database, just text long enough to look like one"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing", "reference_data.db")
	db := func(name string, setup func(path string)) string {
		path := filepath.Join(dir, name, "reference_data.db")
		makeDB(t, path, false, now.Add(-20*time.Minute), now.Add(-2*time.Minute))
		setup(path)
		return path
	}
	skipped := db("skipped", func(p string) { addProblem(t, p, store.ProblemSkippedTab, "Shifts") })
	held := db("held", func(p string) {
		addProblem(t, p, store.ProblemHeldAppends, "ActiveBonuses")
		addProblem(t, p, store.ProblemHeldAppends, "Ranks")
	})
	pendingNew := db("pending-new", func(p string) { addPending(t, p, time.Minute) })
	pendingHour := db("pending-hour", func(p string) { addPending(t, p, time.Hour+5*time.Minute) })
	pendingDays := db("pending-days", func(p string) { addPending(t, p, 49*time.Hour) })
	// A worker whose status format this check does not know.
	future := filepath.Join(dir, "syncworker-format-2")
	if err := os.WriteFile(future, []byte("#!/bin/sh\necho format=2\necho state=ok\n"), 0o755); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		c    check
		code int
		// prefix of the first line, then words it must contain
		want []string
	}{
		{"healthy", check{db: healthy}, 0,
			[]string{"OK: ", "alex12060-bot.service", "alex12060-sync-worker.service", "active", "ago", "0 pending rows"}},
		{"stale", check{db: stale}, 2, []string{"CRITICAL: ", "last successful sync 20m", "ago, over 900s (3 x the 300s interval)",
			"last cycle failed: pull: values.batchGet: 503"}},
		{"stale within a longer interval", check{db: stale, env: []string{"INTERVAL=600"}}, 0, []string{"OK: "}},
		{"interval flag wins", check{db: stale, env: []string{"INTERVAL=600"}, args: []string{"--interval", "300"}}, 2,
			[]string{"CRITICAL: ", "over 900s"}},
		{"skipped tab", check{db: skipped}, 1, []string{"WARNING: ", "tab Shifts skipped"}},
		{"appends held", check{db: held}, 1, []string{"WARNING: ", "appends to tab ActiveBonuses, Ranks held", "--accept-empty"}},
		{"row pending a minute", check{db: pendingNew}, 0, []string{"OK: ", "1 pending rows"}},
		{"row pending an hour", check{db: pendingHour}, 1, []string{"WARNING: ", "1 rows pending, the oldest for 1h 5m", "over 900s"}},
		{"row pending two days", check{db: pendingDays}, 2, []string{"CRITICAL: ", "the oldest for 2d 1h (over a day)"}},
		{"status format unknown", check{db: healthy, env: []string{"SYNCWORKER_BIN=" + future}}, 2,
			[]string{"CRITICAL: ", "cannot read the sync status", "format 2"}},
		{"db-path flag", check{db: missing, args: []string{"--db-path", healthy}}, 0, []string{"OK: "}},
		{"never synced, failures only", check{db: never}, 2, []string{"CRITICAL: ", "no sync has ever succeeded"}},
		{"never synced, no runs", check{db: empty}, 2, []string{"CRITICAL: ", "no sync has ever succeeded"}},
		{"worker down", check{db: healthy, down: []string{"alex12060-sync-worker.service"}}, 2,
			[]string{"CRITICAL: ", "alex12060-sync-worker.service is failed"}},
		{"bot down, sync stale", check{db: stale, down: []string{"alex12060-bot.service"}}, 2,
			[]string{"CRITICAL: ", "alex12060-bot.service is failed", "last successful sync 20m"}},
		{"unit names from the environment", check{db: healthy, down: []string{"other.service"},
			env: []string{"WORKER_UNIT=other.service"}}, 2, []string{"CRITICAL: ", "other.service is failed"}},
		{"database missing", check{db: missing}, 2, []string{"CRITICAL: ", "database " + missing + " not found"}},
		{"status unreadable", check{db: garbage}, 2, []string{"CRITICAL: ", "cannot read the sync status (exit 1)"}},
		{"syncworker missing", check{db: healthy, env: []string{"SYNCWORKER_BIN=" + filepath.Join(dir, "nope")}}, 2,
			[]string{"CRITICAL: ", "not found or not executable"}},
		{"bad interval", check{db: healthy, env: []string{"INTERVAL=5m"}}, 2, []string{"CRITICAL: ", "INTERVAL"}},
		{"zero interval", check{db: healthy, env: []string{"INTERVAL=0"}}, 2, []string{"CRITICAL: ", "INTERVAL"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, first, out := tc.c.run(t)
			t.Logf("exit %d:\n%s", code, out)
			if code != tc.code || !strings.HasPrefix(first, tc.want[0]) {
				t.Errorf("exit %d, first line %q; want exit %d and %q…\n%s", code, first, tc.code, tc.want[0], out)
			}
			for _, w := range tc.want[1:] {
				if !strings.Contains(first, w) {
					t.Errorf("first line %q lacks %q", first, w)
				}
			}
			// Exactly one status line: no other line starts like one.
			for _, line := range strings.Split(out, "\n")[1:] {
				for _, p := range []string{"OK:", "WARNING:", "CRITICAL:"} {
					if strings.HasPrefix(line, p) {
						t.Errorf("a second status line: %q", line)
					}
				}
			}
			for _, call := range tc.c.calls {
				if !strings.HasPrefix(call, "is-active") {
					t.Errorf("systemctl %s: the check only asks", call)
				}
			}
		})
	}

	// The check must not create the database it looks for (syncworker
	// --status would, empty, owned by whoever runs the check).
	if _, err := os.Stat(missing); err == nil {
		t.Error("the check created the missing database")
	}
}

func TestShellcheck(t *testing.T) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Skip("shellcheck not installed; apt-get install -y shellcheck to run this test")
	}
	out, err := exec.Command("shellcheck", "check_sync_health.sh").CombinedOutput()
	if err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}
