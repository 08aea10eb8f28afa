package deploy

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"shiftbot/internal/sheetsemu"
	"shiftbot/internal/telegramfake"
	"shiftbot/internal/testutil"
)

// TestSystemd is make systemd-test: the deployment under a real systemd, in
// a booted Debian bookworm container (SPEC §9, issue 13). It is compiled
// with every other test, so vet and staticcheck read it, but runs only when
// make systemd-test sets SYSTEMD_TEST=1: it needs root, systemd-nspawn and
// debootstrap, and takes minutes (deploy/README.md, "Tests").
//
// The make target sets SYSTEMD_TEST_BIN and SYSTEMD_TEST_BIN2 to two builds
// of the binaries (the second one for the upgrade) and SYSTEMD_TEST_CACHE to
// where the tree is kept. SYSTEMD_TEST_UNITS, when set, is a directory of
// unit files used instead of deploy/systemd: the test of the test runs a
// deliberately broken unit that way and wants this test to fail.
func TestSystemd(t *testing.T) {
	if os.Getenv("SYSTEMD_TEST") != "1" {
		t.Skip("run by make systemd-test (needs root, systemd-nspawn, debootstrap and a few minutes)")
	}
	if os.Geteuid() != 0 {
		t.Fatal("make systemd-test runs as root: systemd-nspawn boots the container")
	}
	for _, tool := range []string{"systemd-nspawn", "debootstrap", "nsenter"} {
		need(t, tool, "make systemd-test installs systemd-container and debootstrap")
	}
	bin, bin2 := os.Getenv("SYSTEMD_TEST_BIN"), os.Getenv("SYSTEMD_TEST_BIN2")
	if bin == "" || bin2 == "" {
		t.Fatal("SYSTEMD_TEST_BIN and SYSTEMD_TEST_BIN2 name the two builds (make systemd-test sets them)")
	}
	cache := os.Getenv("SYSTEMD_TEST_CACHE")
	if cache == "" {
		cache = filepath.Join("..", ".cache", "systemd-test")
	}
	began := time.Now()
	tree := rootfs(t, cache)
	st := &sysTest{t: t, stage: stage(t, bin, bin2, os.Getenv("SYSTEMD_TEST_UNITS"))}
	st.emulators()
	st.c = boot(t, tree, st.stage)
	t.Logf("container booted %s after start", time.Since(began).Round(time.Second))

	for _, step := range []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"install as documented", st.install},
		{"units start after the clock is set", st.startAfterClock},
		{"both active, READY, STATUS line", st.active},
		{"a shift reaches the sheet", st.shiftReachesSheet},
		{"files the services write are not world-readable", st.fileModes},
		{"health check OK, WARNING, CRITICAL", st.health},
		{"six manual restarts leave the worker active", st.sixRestarts},
		{"kill -9 restarts each after its RestartSec", st.killNine},
		{"a stuck worker is restarted by the watchdog, with one log line", st.watchdog},
		{"a crash loop still stops", st.crashLoop},
		{"install.sh twice changes nothing", st.installTwice},
		{"an upgrade keeps the database and pending rows", st.upgrade},
		{"uninstall.sh restores what it says", st.uninstall},
	} {
		at := time.Now()
		t.Run(step.name, step.fn)
		t.Logf("%-70s %5.1fs", step.name, time.Since(at).Seconds())
	}
	t.Logf("make systemd-test: %s in all", time.Since(began).Round(time.Second))
}

const (
	stSheet  = "systemd-test"
	stToken  = "424242:SYSTEMD-test-secret-token"
	worker   = "alex12060-sync-worker.service"
	bot      = "alex12060-bot.service"
	health   = "/usr/local/bin/alex12060-check-sync-health"
	dbPath   = "/var/lib/alex12060/data/reference_data.db"
	envPath  = "/etc/alex12060/alex12060.env"
	keyPath  = "/etc/alex12060/google_sheets_credentials.json"
	waitSync = "systemd-time-wait-sync.service"
)

type sysTest struct {
	t       *testing.T
	c       *container
	stage   string
	emu     *sheetsemu.Server
	tg      *telegramfake.Server
	sheets  string // emulator URLs on the host's loopback
	tgURL   string
	keyJSON string
	enabled string // enabled unit files before the install
	cycle   int    // the worker's last cycle number seen
}

// stage lays out what an operator unpacks from make dist-arm64: bin/,
// deploy/, scripts/, docs/; plus bin-v2/ for the upgrade.
func stage(t *testing.T, bin, bin2, units string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	copyTree := func(src, dest string, keep func(string) bool) {
		t.Helper()
		if err := os.CopyFS(dest, os.DirFS(src)); err != nil {
			t.Fatal(err)
		}
		filepath.Walk(dest, func(p string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() && !keep(fi.Name()) {
				os.Remove(p)
			}
			return nil
		})
	}
	all := func(string) bool { return true }
	noTests := func(n string) bool { return !strings.HasSuffix(n, "_test.go") }
	copyTree(".", filepath.Join(dir, "deploy"), noTests)
	os.RemoveAll(filepath.Join(dir, "deploy", "testdata"))
	copyTree("../scripts", filepath.Join(dir, "scripts"), noTests)
	copyTree("../docs", filepath.Join(dir, "docs"), all)
	if units != "" {
		os.RemoveAll(filepath.Join(dir, "deploy", "systemd"))
		copyTree(units, filepath.Join(dir, "deploy", "systemd"), func(n string) bool { return strings.HasSuffix(n, ".service") })
		t.Logf("units from %s instead of deploy/systemd", units)
	}
	for sub, src := range map[string]string{"bin": bin, "bin-v2": bin2} {
		for _, b := range []string{"bot", "syncworker"} {
			data, err := os.ReadFile(filepath.Join(src, b))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(dir, sub, b), string(data), 0o755)
		}
	}
	return dir
}

// emulators serves the Sheets emulator (with a token endpoint and a
// service-account key for it, so the real OAuth2 path runs) and the Telegram
// fake on 127.0.0.1, which the container shares.
func (s *sysTest) emulators() {
	t := s.t
	s.emu = sheetsemu.New()
	s.emu.AddSpreadsheet(stSheet, "systemd-test")
	key := filepath.Join(t.TempDir(), "key.json")
	testutil.RequireServiceAccount(t, s.emu, key)
	s.keyJSON = readFile(t, key)
	srv := httptest.NewServer(s.emu)
	t.Cleanup(srv.Close)
	s.sheets = srv.URL + "/"
	s.tg = telegramfake.New(stToken)
	t.Cleanup(s.tg.Close)
	tsrv := httptest.NewServer(s.tg)
	t.Cleanup(tsrv.Close)
	s.tgURL = tsrv.URL
}

// --- helpers ----------------------------------------------------------------------

// kv is syncworker --status --format=kv, as the health check reads it.
func (s *sysTest) kv() map[string]string {
	out, _ := s.c.try("alex12060-syncworker --status --format=kv --db-path " + dbPath)
	m := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			m[k] = v
		}
	}
	return m
}

// waitUntil polls cond every half second up to limit.
func waitUntil(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(500 * time.Millisecond)
	}
	return true
}

var (
	statusRE  = regexp.MustCompile(`^Cycle #(\d+) (ok|failed) at \d\d:\d\d:\d\d: `)
	pendingRE = regexp.MustCompile(`; pending (\d+)`)
)

// status is the worker's STATUS= line, as systemctl status shows it, split
// into cycle number, outcome and pending rows (-1 when the line lacks them).
func (s *sysTest) status() (line string, cycle int, outcome string, pending int) {
	line = s.c.show(worker, "StatusText")["StatusText"]
	pending = -1
	if m := statusRE.FindStringSubmatch(line); m != nil {
		cycle, _ = strconv.Atoi(m[1])
		outcome = m[2]
	}
	if m := pendingRE.FindStringSubmatch(line); m != nil {
		pending, _ = strconv.Atoi(m[1])
	}
	return line, cycle, outcome, pending
}

// waitCycle waits for a STATUS line of a cycle after the last one seen, and
// wants its number to be exactly the next (numbers go on across restarts).
func (s *sysTest) waitCycle(t *testing.T, limit time.Duration) (outcome string, pending int) {
	t.Helper()
	var line string
	var n int
	if !waitUntil(limit, func() bool { line, n, outcome, pending = s.status(); return n > s.cycle }) {
		t.Fatalf("no STATUS line of a cycle after #%d within %s; STATUS=%q", s.cycle, limit, line)
	}
	if n != s.cycle+1 {
		t.Errorf("STATUS=%q: cycle #%d after #%d; cycle numbers must go on across restarts", line, n, s.cycle)
	}
	s.cycle = n
	return outcome, pending
}

// employeeRows counts the Shifts rows of an employee in the emulator.
func (s *sysTest) employeeRows(id int64) int {
	rows := s.emu.Tab(stSheet, "Shifts")
	if len(rows) == 0 {
		return 0
	}
	col := slices.IndexFunc(rows[0], func(v any) bool { return fmt.Sprint(v) == "EmployeeId" })
	n := 0
	for _, r := range rows[1:] {
		if col >= 0 && col < len(r) && fmt.Sprint(r[col]) == strconv.FormatInt(id, 10) {
			n++
		}
	}
	return n
}

// ensureActive starts each step from both units running, so that a failed
// step does not fail the ones after it too.
func (s *sysTest) ensureActive(t *testing.T) {
	t.Helper()
	for _, u := range []string{bot, worker} {
		if p := s.c.show(u, "ActiveState", "MainPID"); p["ActiveState"] != "active" || p["MainPID"] == "0" {
			t.Logf("%s was %v after the step before: starting it", u, p)
			s.c.try("systemctl reset-failed " + u + "; systemctl start " + u)
			if u == worker {
				_, s.cycle, _, _ = s.status()
			}
		}
	}
}

func (s *sysTest) healthCheck(args string) (int, string) {
	out, code := s.c.try(health + " " + args)
	first, _, _ := strings.Cut(out, "\n")
	return code, first
}

// --- the steps --------------------------------------------------------------------

// install follows deploy/README.md "Install": install.sh, the env file, the
// key, --init-sheets and --once as the service user.
func (s *sysTest) install(t *testing.T) {
	c := s.c
	s.enabled = c.sh("systemctl list-unit-files --state=enabled --no-legend --plain | sort")
	out := c.sh("cd /opt/alex12060 && deploy/install.sh --bin-dir bin")
	t.Logf("install.sh:\n%s", out)
	if !strings.Contains(out, "--init-sheets") || strings.Contains(out, "reference_data.db") || strings.Contains(out, "Upgrade") {
		t.Errorf("a fresh install's next steps must lead to --init-sheets and speak of no database to copy:\n%s", out)
	}
	if got := strings.TrimSpace(c.sh("systemctl is-enabled " + waitSync + " || true")); got != "enabled" {
		t.Errorf("%s is %q after install.sh, with systemd-timesyncd enabled: the units' After=time-sync.target waits for nothing at boot", waitSync, got)
	}
	// The operator fills in the env file (its required lines are empty) and
	// points both at the emulators.
	c.sh(fmt.Sprintf(`sed -i -e 's|^BOT_TOKEN=$|BOT_TOKEN=%s|' -e 's|^SPREADSHEET_ID=$|SPREADSHEET_ID=%s|' -e 's|^PRODUCTS=$|PRODUCTS="Model A,Model B"|' %s
printf 'SHEETS_ENDPOINT=%s\nTELEGRAM_API_ENDPOINT=%s\n' >> %s`, stToken, stSheet, envPath, s.sheets, s.tgURL, envPath))
	c.write("/root/KEY.json", "0600", "root:root", s.keyJSON)
	c.sh("install -m 0640 -o root -g alex12060 /root/KEY.json " + keyPath)
	run := "systemd-run --pipe --wait --collect -p User=alex12060 -p EnvironmentFile=" + envPath +
		" -p WorkingDirectory=/var/lib/alex12060 /usr/local/bin/alex12060-syncworker --log-file - "
	if out := c.sh(run + "--init-sheets 2>&1"); !strings.Contains(out, "Spreadsheet initialised") {
		t.Fatalf("--init-sheets:\n%s", out)
	}
	out = c.sh(run + "--once 2>&1")
	if !strings.Contains(out, "Sync cycle #1 completed") || !strings.Contains(out, "rejected=0") {
		t.Fatalf("--once:\n%s", out)
	}
	s.cycle = 1
	if s.emu.Count("token") == 0 {
		t.Error("the worker did not authenticate with the installed key")
	}
}

// startAfterClock: at boot the clock is set late (no real-time clock). A unit
// ordered before time-sync.target that takes 5 s stands in for NTP; the
// documented enable --now must wait for it.
func (s *sysTest) startAfterClock(t *testing.T) {
	c := s.c
	c.write("/etc/systemd/system/slow-clock.service", "0644", "root:root", `[Unit]
Description=stands in for an NTP client setting the clock 5 s after boot
DefaultDependencies=no
Before=time-sync.target
Wants=time-sync.target
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sleep 5
`)
	c.sh("systemctl daemon-reload && systemctl stop time-sync.target && systemctl start --no-block slow-clock.service")
	c.sh("systemctl enable --now " + bot + " " + worker)
	clock, _ := strconv.ParseInt(c.show("slow-clock.service", "ActiveEnterTimestampMonotonic")["ActiveEnterTimestampMonotonic"], 10, 64)
	for _, u := range []string{bot, worker} {
		started, _ := strconv.ParseInt(c.show(u, "ExecMainStartTimestampMonotonic")["ExecMainStartTimestampMonotonic"], 10, 64)
		switch {
		case clock == 0:
			t.Errorf("%s started before the clock was set (still not set when it was running): it must be After=time-sync.target", u)
		case started < clock:
			t.Errorf("%s started %.1fs before the clock was set: it must be After=time-sync.target", u, float64(clock-started)/1e6)
		}
	}
}

func (s *sysTest) active(t *testing.T) {
	for _, u := range []string{bot, worker} {
		p := s.c.show(u, "ActiveState", "SubState", "Type")
		if p["ActiveState"] != "active" || p["SubState"] != "running" {
			t.Errorf("%s: %v", u, p)
		}
	}
	// Type=notify: "active" means systemd got READY=1; then the STATUS line
	// of the first cycle this process ran, numbered after --once's #1.
	if p := s.c.show(worker, "Type"); p["Type"] != "notify" {
		t.Errorf("worker Type=%s", p["Type"])
	}
	if outcome, pending := s.waitCycle(t, 30*time.Second); outcome != "ok" || pending != 0 {
		t.Errorf("first STATUS: %s, pending %d", outcome, pending)
	}
	if !waitUntil(20*time.Second, func() bool { return s.tg.Calls("getUpdates") > 0 }) {
		t.Error("the bot never polled the Telegram fake")
	}
}

func (s *sysTest) shiftReachesSheet(t *testing.T) {
	u := telegramfake.User{ID: 1001, FirstName: "Anna", Username: "anna_sells"}
	if err := testutil.CreateShift(s.tg, u, "500"); err != nil {
		t.Fatal(err)
	}
	if !waitUntil(30*time.Second, func() bool { return s.employeeRows(u.ID) == 1 }) {
		t.Fatalf("the shift did not reach the sheet: %v", s.emu.Tab(stSheet, "Shifts"))
	}
	// The prompt cycle that pushed it.
	if outcome, pending := s.waitCycle(t, 10*time.Second); outcome != "ok" || pending != 0 {
		t.Errorf("STATUS after the push: %s, pending %d", outcome, pending)
	}
}

var modeLine = regexp.MustCompile(`^(\d+) (\S+) ([fd]) (.+)$`)

func (s *sysTest) fileModes(t *testing.T) {
	out := s.c.sh(`find /var/lib/alex12060 /var/log/alex12060 -printf '%m %u:%g %y %p\n'`)
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		m := modeLine.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("unexpected entry: %q", l)
			continue
		}
		ok := m[2] == "alex12060:alex12060" && (m[3] == "f" && m[1] == "600" || m[3] == "d" && (m[1] == "750" || m[1] == "700"))
		if !ok {
			t.Errorf("%s: mode %s owner %s; want alex12060 and 0600 files, 0750 (or 0700) directories", m[4], m[1], m[2])
		}
	}
	if out, _ := s.c.try("{ grep -rl " + stToken + " /var/log/alex12060 /var/lib/alex12060; journalctl --no-pager | grep -F " + stToken + "; } 2>&1 | head -5"); strings.TrimSpace(out) != "" {
		t.Errorf("the bot token is in a log:\n%s", out)
	}
}

func (s *sysTest) health(t *testing.T) {
	c := s.c
	if code, first := s.healthCheck(""); code != 0 || !strings.HasPrefix(first, "OK: ") {
		t.Errorf("healthy: exit %d %q", code, first)
	}
	// The admin renames a Shifts header: the tab is skipped, named.
	rows := s.emu.Tab(stSheet, "Shifts")
	renamed := slices.Clone(rows)
	renamed[0] = slices.Clone(rows[0])
	for i, v := range renamed[0] {
		if v == "Clock in" {
			renamed[0][i] = "Clock-in time"
		}
	}
	s.emu.SetTab(stSheet, "Shifts", renamed)
	c.sh("systemctl restart " + worker)
	s.waitCycle(t, 30*time.Second)
	if code, first := s.healthCheck(""); code != 1 || !strings.HasPrefix(first, "WARNING: ") || !strings.Contains(first, "Shifts") {
		t.Errorf("a skipped Shifts tab: exit %d %q, want WARNING naming Shifts", code, first)
	}
	s.emu.SetTab(stSheet, "Shifts", rows)
	c.sh("systemctl restart " + worker)
	s.waitCycle(t, 30*time.Second)
	if code, first := s.healthCheck(""); code != 0 {
		t.Errorf("header restored: exit %d %q", code, first)
	}
	// Judged against a 1 s interval, the last success (seconds ago) is
	// older than 3 intervals.
	time.Sleep(4 * time.Second)
	if code, first := s.healthCheck("--interval 1"); code != 2 || !strings.Contains(first, "CRITICAL: last successful sync") {
		t.Errorf("stale: exit %d %q", code, first)
	}
	c.sh("systemctl stop " + bot)
	if code, first := s.healthCheck(""); code != 2 || !strings.Contains(first, bot+" is inactive") {
		t.Errorf("bot stopped: exit %d %q", code, first)
	}
	c.sh("systemctl start " + bot)
}

// sixRestarts: an operator editing the env file restarts the worker, as its
// header says, six times in a row. The start counter is reset first, as on a
// unit that has been running for a while.
func (s *sysTest) sixRestarts(t *testing.T) {
	s.c.sh("systemctl reset-failed " + worker)
	for i := 1; i <= 6; i++ {
		if out, code := s.c.try("systemctl restart " + worker); code != 0 {
			t.Fatalf("restart %d: exit %d %s\n%s", i, code, out, s.c.sh("systemctl status --no-pager "+worker+" | tail -5"))
		}
		s.waitCycle(t, 30*time.Second)
	}
	if p := s.c.show(worker, "ActiveState"); p["ActiveState"] != "active" {
		t.Errorf("after six restarts: %v", p)
	}
	if got := s.kv()["last_cycle"]; got != strconv.Itoa(s.cycle) {
		t.Errorf("--status last_cycle=%s, want %d", got, s.cycle)
	}
}

func (s *sysTest) killNine(t *testing.T) {
	s.ensureActive(t)
	c := s.c
	type victim struct {
		unit     string
		after    time.Duration
		pid, nr  string
		restored time.Duration
	}
	vs := []*victim{{unit: bot, after: 10 * time.Second}, {unit: worker, after: 30 * time.Second}}
	for _, v := range vs {
		p := c.show(v.unit, "MainPID", "NRestarts")
		v.pid, v.nr = p["MainPID"], p["NRestarts"]
		if v.pid == "0" {
			t.Fatalf("%s is not running", v.unit)
		}
	}
	at := time.Now()
	c.sh("kill -9 " + vs[0].pid + " " + vs[1].pid)
	waitUntil(90*time.Second, func() bool {
		done := true
		for _, v := range vs {
			if v.restored != 0 {
				continue
			}
			p := c.show(v.unit, "MainPID", "ActiveState")
			if p["MainPID"] != "0" && p["MainPID"] != v.pid && p["ActiveState"] == "active" {
				v.restored = time.Since(at)
			} else {
				done = false
			}
		}
		return done
	})
	for _, v := range vs {
		t.Logf("%s: back %.1fs after kill -9 (RestartSec %s)", v.unit, v.restored.Seconds(), v.after)
		if v.restored < v.after || v.restored > v.after+15*time.Second {
			t.Errorf("%s: back after %s, want RestartSec=%s (+ start)", v.unit, v.restored.Round(100*time.Millisecond), v.after)
		}
		nr, _ := strconv.Atoi(v.nr)
		if got := c.show(v.unit, "NRestarts")["NRestarts"]; got != strconv.Itoa(nr+1) {
			t.Errorf("%s: NRestarts %s, want %d", v.unit, got, nr+1)
		}
	}
	s.waitCycle(t, 30*time.Second)
}

// watchdog: a stuck worker (SIGSTOP) stops feeding the watchdog; systemd
// kills it with SIGABRT and restarts it. While it is stuck, the documented
// cron line runs from /etc/cron.d (the unit is still active and the last
// sync recent, so the check is OK).
func (s *sysTest) watchdog(t *testing.T) {
	s.ensureActive(t)
	c := s.c
	pid := c.show(worker, "MainPID")["MainPID"]
	wd := c.show(worker, "WatchdogUSec")["WatchdogUSec"]
	if pid == "0" {
		t.Fatal("the worker is not running")
	}
	c.sh("kill -STOP " + pid)
	at := time.Now()
	t.Run("the documented cron line works from /etc/cron.d", s.cron)

	var back time.Duration
	if !waitUntil(5*time.Minute, func() bool {
		p := c.show(worker, "MainPID", "ActiveState")
		return p["MainPID"] != pid && p["MainPID"] != "0" && p["ActiveState"] == "active"
	}) {
		c.sh("kill -CONT " + pid)
		t.Fatalf("the stuck worker (WatchdogSec=%s) was not restarted within 5 minutes", wd)
	}
	back = time.Since(at)
	t.Logf("stuck worker back %.0fs after SIGSTOP (WatchdogSec=%s, RestartSec=30s)", back.Seconds(), wd)
	journal := c.sh("journalctl --no-pager -o cat -u " + worker)
	if !strings.Contains(journal, "Watchdog timeout") {
		t.Errorf("no watchdog timeout in the journal")
	}
	own := c.sh("journalctl --no-pager -o cat _PID=" + pid)
	var abort, stacks int
	for _, l := range strings.Split(own, "\n") {
		if strings.Contains(l, "SIGABRT") {
			abort++
		}
		if strings.HasPrefix(l, "goroutine ") || strings.Contains(l, ".go:") {
			stacks++
		}
	}
	if abort != 1 || stacks > 0 {
		t.Errorf("the killed worker logged %d SIGABRT lines and %d stack lines; want one line and no stacks:\n%s", abort, stacks, tail(own, 20))
	}
	if out := c.sh("stat -c '%a %U' /var/lib/alex12060/abort-stacks.txt 2>&1 || true"); strings.TrimSpace(out) != "600 alex12060" {
		t.Errorf("abort-stacks.txt: %q, want 600 alex12060", out)
	}
	s.waitCycle(t, 30*time.Second)
}

func (s *sysTest) cron(t *testing.T) {
	c := s.c
	line := cronLine.FindString(readFile(t, filepath.Join(s.stage, "deploy", "README.md")))
	if line == "" {
		t.Fatal("deploy/README.md documents no cron line")
	}
	// Every minute instead of its schedule, to see it run now. A control
	// line with the bare command name shows what cron's PATH does to it,
	// and that logger's lines are seen.
	fields := strings.Fields(line)
	cmd := strings.Join(fields[6:], " ")
	control := "* * * * * root alex12060-check-sync-health >/dev/null || logger -t alex12060-control 'bare name failed'"
	c.write("/etc/cron.d/alex12060-health", "0644", "root:root", "* * * * * root "+cmd+"\n"+control+"\n")
	since := c.sh("date '+%Y-%m-%d %H:%M:%S'")
	since = strings.TrimSpace(since)
	ran := func() bool {
		out, _ := c.try("journalctl --no-pager -o cat --since '" + since + "' -t alex12060-control")
		return strings.Contains(out, "bare name failed")
	}
	if !waitUntil(150*time.Second, ran) {
		t.Fatalf("cron did not run the control line within 150 s:\n%s", c.sh("journalctl --no-pager -o cat -u cron | tail -20"))
	}
	time.Sleep(3 * time.Second)
	out, _ := c.try("journalctl --no-pager -o cat --since '" + since + "' -t alex12060")
	cronLog, _ := c.try("journalctl --no-pager -o cat --since '" + since + "' -u cron")
	if strings.Contains(out, "sync unhealthy") || !strings.Contains(cronLog, "alex12060-check-sync-health") {
		t.Errorf("the documented line %q from /etc/cron.d:\nlogged: %s\ncron: %s", line, out, cronLog)
	}
	c.sh("rm /etc/cron.d/alex12060-health")
}

// crashLoop: a configuration error makes the worker exit at every start;
// systemd gives up. RestartSec is shortened by a drop-in so that the loop
// reaches the limit in seconds instead of minutes.
func (s *sysTest) crashLoop(t *testing.T) {
	s.ensureActive(t)
	c := s.c
	c.write("/etc/systemd/system/"+worker+".d/crash.conf", "0644", "root:root",
		"[Service]\nRestartSec=1\nEnvironment=COMMISSION_RATE=5\n")
	c.sh("systemctl daemon-reload && systemctl reset-failed " + worker)
	c.try("systemctl restart " + worker)
	// systemd says "Start request repeated too quickly" and leaves the unit
	// failed for good: no restart is scheduled any more.
	if !waitUntil(90*time.Second, func() bool {
		out, _ := c.try("journalctl --no-pager -o cat -n 5 -u " + worker)
		return strings.Contains(out, "Start request repeated too quickly") && c.show(worker, "ActiveState")["ActiveState"] == "failed"
	}) {
		t.Errorf("crash loop not stopped: %v", c.show(worker, "ActiveState", "Result", "NRestarts"))
	}
	n := c.show(worker, "NRestarts")["NRestarts"]
	time.Sleep(3 * time.Second)
	if p := c.show(worker, "ActiveState", "NRestarts"); p["ActiveState"] != "failed" || p["NRestarts"] != n {
		t.Errorf("still restarting after the limit: %v (NRestarts was %s)", p, n)
	}
	if out := c.sh("journalctl --no-pager -o cat -n 40 -u " + worker); !strings.Contains(out, "COMMISSION_RATE") {
		t.Errorf("the journal does not name the variable:\n%s", out)
	}
	if code, first := s.healthCheck(""); code != 2 || !strings.Contains(first, worker+" is failed") {
		t.Errorf("crash loop: exit %d %q", code, first)
	}
	// The documented way out, once the cause is fixed.
	c.sh("rm -r /etc/systemd/system/" + worker + ".d && systemctl daemon-reload")
	c.sh("systemctl reset-failed " + worker + " && systemctl start " + worker)
	s.waitCycle(t, 30*time.Second)
}

// installed is what install.sh owns, with modes, owners, sizes, times and
// content hashes.
func (s *sysTest) installed() string {
	// The state and log directories themselves only: the services write in
	// them all the time.
	return s.c.sh(`find /usr/local/bin/alex12060-* /etc/systemd/system/alex12060-* /etc/systemd/system/*/alex12060-* \
  /etc/systemd/system/*/` + waitSync + ` /etc/alex12060 /usr/local/share/doc/alex12060 /var/backups/alex12060 \
  -maxdepth 1 -printf '%p %m %u:%g %s %T@ %l\n' 2>/dev/null | sort
stat -c '%n %a %U:%G' /var/lib/alex12060 /var/log/alex12060
sha256sum /usr/local/bin/alex12060-* /etc/systemd/system/alex12060-*.service ` + envPath + " " + keyPath)
}

func (s *sysTest) installTwice(t *testing.T) {
	s.ensureActive(t)
	c := s.c
	before := s.installed()
	pids := c.show(worker, "MainPID")["MainPID"] + c.show(bot, "MainPID")["MainPID"]
	out := c.sh("cd /opt/alex12060 && deploy/install.sh --bin-dir bin")
	if after := s.installed(); after != before {
		t.Errorf("install.sh again changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if got := c.show(worker, "MainPID")["MainPID"] + c.show(bot, "MainPID")["MainPID"]; got != pids {
		t.Error("install.sh without --start restarted a unit")
	}
	if strings.Contains(out, "installed ") || !strings.Contains(out, "Upgrade:") || strings.Contains(out, "reference_data.db") {
		t.Errorf("install.sh again:\n%s", out)
	}
}

// upgrade: Google refuses appends, a shift waits in the database; the new
// build is installed and started as deploy/README.md says; the row is still
// pending, then reaches the sheet once Google answers again.
func (s *sysTest) upgrade(t *testing.T) {
	s.ensureActive(t)
	c := s.c
	s.emu.InjectFault(sheetsemu.Fault{Op: "append", Times: 1 << 20, Status: 503})
	defer s.emu.ClearFaults()
	c.sh("systemctl reset-failed " + bot + " " + worker)
	u := telegramfake.User{ID: 1002, FirstName: "Boris", Username: "boris"}
	if err := testutil.CreateShift(s.tg, u, "700"); err != nil {
		t.Fatal(err)
	}
	// The prompt cycle fails; the STATUS line still says what is pending.
	// (The shift, and the employee's default settings and rank rows.)
	outcome, pending := s.waitCycle(t, 60*time.Second)
	if line, _, _, _ := s.status(); outcome != "failed" || pending < 1 {
		t.Errorf("STATUS after a failed push: %q, want a failed cycle with the pending rows", line)
	}
	inode := c.sh("stat -c %i " + dbPath)
	out := c.sh("cd /opt/alex12060 && deploy/install.sh --bin-dir bin-v2 --start")
	if !strings.Contains(out, "installed /usr/local/bin/alex12060-syncworker") || !strings.Contains(out, "Upgrade:") ||
		strings.Contains(out, "reference_data.db") {
		t.Errorf("upgrade:\n%s", out)
	}
	v1, _ := c.try("/opt/alex12060/bin/syncworker --version")
	v2 := c.sh("alex12060-syncworker --version")
	if v1 == v2 {
		t.Errorf("the installed worker is still %s", v1)
	}
	for _, u := range []string{bot, worker} {
		if p := c.show(u, "ActiveState"); p["ActiveState"] != "active" {
			t.Errorf("%s after the upgrade: %v", u, p)
		}
	}
	if got := c.sh("stat -c %i " + dbPath); got != inode {
		t.Error("the upgrade replaced the database file")
	}
	if kv := s.kv(); kv["pending_rows"] != strconv.Itoa(pending) {
		t.Errorf("after the upgrade pending_rows=%s, want %d", kv["pending_rows"], pending)
	}
	s.emu.ClearFaults()
	c.sh("systemctl restart " + worker)
	if !waitUntil(60*time.Second, func() bool { return s.employeeRows(u.ID) == 1 && s.kv()["pending_rows"] == "0" }) {
		t.Errorf("the pending shift did not reach the sheet after the upgrade: rows %d, pending %s", s.employeeRows(u.ID), s.kv()["pending_rows"])
	}
	time.Sleep(2 * time.Second)
	if n := s.employeeRows(u.ID); n != 1 {
		t.Errorf("the shift is %d times in the sheet", n)
	}
}

func (s *sysTest) uninstall(t *testing.T) {
	c := s.c
	out := c.sh("cd /opt/alex12060 && deploy/uninstall.sh")
	t.Logf("uninstall.sh:\n%s", out)
	if got := c.sh("systemctl list-unit-files 'alex12060*' --no-legend --plain || true"); strings.TrimSpace(got) != "" {
		t.Errorf("units left: %s", got)
	}
	for _, u := range []string{bot, worker} {
		if got, _ := c.try("systemctl is-active " + u); strings.TrimSpace(got) == "active" {
			t.Errorf("%s still active", u)
		}
	}
	if got, _ := c.try("ls /usr/local/bin/alex12060-* 2>/dev/null"); strings.TrimSpace(got) != "" {
		t.Errorf("binaries left: %s", got)
	}
	c.sh("test -f " + envPath + " && test -f " + keyPath + " && test -f " + dbPath + " && test -d /var/log/alex12060")
	if got := c.sh("systemctl list-unit-files --state=enabled --no-legend --plain | sort"); got != s.enabled {
		t.Errorf("enabled units after uninstall differ from before install:\nbefore:\n%s\nafter:\n%s", s.enabled, got)
	}
	c.sh("cd /opt/alex12060 && deploy/uninstall.sh --purge --yes")
	if got, _ := c.try("ls -d /etc/alex12060 /var/lib/alex12060 /var/log/alex12060 2>/dev/null"); strings.TrimSpace(got) != "" {
		t.Errorf("--purge left: %s", got)
	}
}

func TestDebianMirror(t *testing.T) {
	deb822 := "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\nComponents: main\n\n" +
		"Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n"
	oneLine := "# comment\ndeb [signed-by=/k.gpg arch=amd64] http://other.example/debian bookworm main\n"
	for _, tc := range []struct {
		sources []string
		want    string
	}{
		{[]string{deb822}, "http://mirror.example/debian"},
		{[]string{oneLine}, "http://other.example/debian"},
		{[]string{"deb http://x.example/debian trixie main\n", oneLine}, "http://other.example/debian"},
	} {
		if got, err := debianMirror(tc.sources); err != nil || got != tc.want {
			t.Errorf("debianMirror(%q) = %q, %v; want %q", tc.sources, got, err, tc.want)
		}
	}
	if _, err := debianMirror([]string{"deb http://x.example/debian trixie main\n"}); err == nil {
		t.Error("no bookworm source: want an error")
	}
}
