// Package deploy holds the tests of the systemd units, install.sh,
// uninstall.sh and the env example (SPEC §7, §9). The tests run the scripts
// into a temporary root with a stub systemctl on PATH: nothing touches the
// running system, and no systemd needs to be running.
package deploy

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

var units = []string{"alex12060-bot.service", "alex12060-sync-worker.service"}

// maxExposure is the highest "Overall exposure level" systemd-analyze
// security may give a unit (the Python units rated 8.8).
const maxExposure = 2.0

func need(t *testing.T, tool, why string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		t.Skipf("%s not installed (%s); install it to run this test", tool, why)
	}
	return p
}

// --- unit files -------------------------------------------------------------

// unit is a parsed unit file: section -> key -> values in order.
type unit map[string]map[string][]string

func parseUnit(t *testing.T, path string) unit {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: not a key=value line in a section: %q", path, n, line)
			}
			u[section][k] = append(u[section][k], v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// one is the single value of key, failing when it is absent or repeated.
func (u unit) one(t *testing.T, section, key string) string {
	t.Helper()
	vs := u[section][key]
	if len(vs) != 1 {
		t.Errorf("[%s] %s: want exactly one value, got %q", section, key, vs)
		return ""
	}
	return vs[0]
}

func TestUnitSettings(t *testing.T) {
	// SPEC §9 and issue #4: what each unit must say, key by key.
	common := map[string]string{
		"Restart":                 "always",
		"TimeoutStopSec":          "30",
		"EnvironmentFile":         "/etc/alex12060/alex12060.env",
		"WorkingDirectory":        "/var/lib/alex12060",
		"User":                    "alex12060",
		"Group":                   "alex12060",
		"StateDirectory":          "alex12060",
		"StateDirectoryMode":      "0750",
		"LogsDirectory":           "alex12060",
		"UMask":                   "0077",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
		"NoNewPrivileges":         "yes",
		"ProtectSystem":           "strict",
	}
	want := map[string]map[string]string{
		"alex12060-bot.service": {
			"RestartSec": "10",
			"ExecStart":  "/usr/local/bin/alex12060-bot --log-file /var/log/alex12060/bot.log",
		},
		"alex12060-sync-worker.service": {
			"Type":       "notify",
			"RestartSec": "30",
			"MemoryMax":  "256M",
			"CPUQuota":   "10%",
			"ExecStart":  "/usr/local/bin/alex12060-syncworker --interval 300 --log-file /var/log/alex12060/sync_worker.log",
		},
	}
	for _, name := range units {
		t.Run(name, func(t *testing.T) {
			u := parseUnit(t, filepath.Join("systemd", name))
			for k, v := range common {
				if got := u.one(t, "Service", k); got != v {
					t.Errorf("%s=%q, want %q", k, got, v)
				}
			}
			for k, v := range want[name] {
				if got := u.one(t, "Service", k); got != v {
					t.Errorf("%s=%q, want %q", k, got, v)
				}
			}
			if v, ok := u["Service"]["DynamicUser"]; ok {
				t.Errorf("DynamicUser=%q: both units share one database, so one static user (SPEC §9)", v)
			}
			for _, k := range []string{"After", "Wants"} {
				if !slices.Contains(strings.Fields(strings.Join(u["Unit"][k], " ")), "network-online.target") {
					t.Errorf("[Unit] %s lacks network-online.target", k)
				}
			}
			// A Pi 4 has no real-time clock (SPEC §9).
			if !slices.Contains(strings.Fields(strings.Join(u["Unit"]["After"], " ")), "time-sync.target") {
				t.Errorf("[Unit] After=%q lacks time-sync.target", u["Unit"]["After"])
			}
			// Operator restarts never exhaust the start limit; a crash loop
			// still stops (SPEC §9): six restarts after the first start fit,
			// and a loop restarting every RestartSec reaches the burst within
			// the interval.
			burst, err := strconv.Atoi(u.one(t, "Unit", "StartLimitBurst"))
			if err != nil {
				t.Fatal(err)
			}
			interval := parseSeconds(t, u.one(t, "Unit", "StartLimitIntervalSec"))
			restart := parseSeconds(t, u.one(t, "Service", "RestartSec"))
			if burst < 7 || (burst-1)*restart >= interval {
				t.Errorf("StartLimitBurst=%d in %ds with RestartSec=%ds: want at least 7 starts, and (burst-1) x RestartSec under the interval",
					burst, interval, restart)
			}
			if got := u.one(t, "Install", "WantedBy"); got != "multi-user.target" {
				t.Errorf("WantedBy=%q", got)
			}
		})
	}

	w := parseUnit(t, filepath.Join("systemd", "alex12060-sync-worker.service"))
	if !slices.Contains(w["Unit"]["Wants"], "alex12060-bot.service") {
		t.Errorf("worker: Wants=%q lacks alex12060-bot.service", w["Unit"]["Wants"])
	}
	// The worker feeds the watchdog after each cycle and every WatchdogSec/2
	// while idle; a cycle can take about 60 s, so anything under 120 s would
	// kill healthy cycles.
	wd := strings.TrimSuffix(w.one(t, "Service", "WatchdogSec"), "s")
	if n, err := strconv.Atoi(wd); err != nil || n < 120 || n > 300 {
		t.Errorf("worker: WatchdogSec=%q, want 120s to 300s", wd)
	}
}

// parseSeconds reads a systemd time span of the forms these units use: 30,
// 30s, 10min.
func parseSeconds(t *testing.T, v string) int {
	t.Helper()
	mult := 1
	switch {
	case strings.HasSuffix(v, "min"):
		v, mult = strings.TrimSuffix(v, "min"), 60
	case strings.HasSuffix(v, "s"):
		v = strings.TrimSuffix(v, "s")
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("time span %q: %v", v, err)
	}
	return n * mult
}

// TestUnitHardeningCommented: every [Service] setting follows a comment
// saying why, directly or within a short run of related settings.
func TestUnitHardeningCommented(t *testing.T) {
	const maxRun = 6 // ProtectKernelTunables= ... ProtectControlGroups=
	for _, name := range units {
		data, err := os.ReadFile(filepath.Join("systemd", name))
		if err != nil {
			t.Fatal(err)
		}
		inService, commented, run := false, false, 0
		for n, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			switch {
			case line == "":
				commented = false
			case strings.HasPrefix(line, "#"):
				commented, run = true, 0
			case strings.HasPrefix(line, "["):
				inService, commented = line == "[Service]", false
			case inService:
				run++
				if !commented || run > maxRun {
					t.Errorf("%s:%d: %q has no comment saying why", name, n+1, line)
				}
			}
		}
	}
}

var exposureRE = regexp.MustCompile(`Overall exposure level for (\S+): (\d+\.\d+)`)

// exposure runs systemd-analyze security --offline on path and returns the
// overall exposure level and whether --threshold=20 (2.0) passed.
func exposure(t *testing.T, path string) (float64, bool) {
	t.Helper()
	cmd := exec.Command("systemd-analyze", "security", "--offline=yes", "--no-pager",
		fmt.Sprintf("--threshold=%d", int(maxExposure*10)), path)
	out, err := cmd.CombinedOutput()
	m := exposureRE.FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security %s: no exposure level in its output (err %v):\n%s", path, err, out)
	}
	level, perr := strconv.ParseFloat(string(m[2]), 64)
	if perr != nil {
		t.Fatal(perr)
	}
	return level, err == nil
}

func TestUnitSecurityExposure(t *testing.T) {
	need(t, "systemd-analyze", "the systemd package rates the units")
	for _, name := range units {
		level, ok := exposure(t, filepath.Join("systemd", name))
		t.Logf("%s: overall exposure %.1f", name, level)
		if level > maxExposure || !ok {
			out, _ := exec.Command("systemd-analyze", "security", "--offline=yes", "--no-pager",
				filepath.Join("systemd", name)).CombinedOutput()
			t.Errorf("%s: exposure %.1f, want <= %.1f (threshold passed: %t):\n%s", name, level, maxExposure, ok, out)
		}
	}
	// The check itself must be able to fail: a unit like the Python ones rates
	// high and fails the threshold.
	weak := filepath.Join(t.TempDir(), "weak.service")
	if err := os.WriteFile(weak, []byte("[Service]\nExecStart=/bin/true\nNoNewPrivileges=yes\nPrivateTmp=yes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if level, ok := exposure(t, weak); level <= maxExposure || ok {
		t.Errorf("an unhardened unit rated %.1f (threshold passed: %t); the check cannot tell", level, ok)
	}
}

// TestUnitsVerifyInstalledTree installs into a temporary root (so that the
// ExecStart binaries exist where the units say) with the host's own unit
// directory alongside for sysinit.target and friends, then runs
// systemd-analyze verify on it: no complaint may name our units.
func TestUnitsVerifyInstalledTree(t *testing.T) {
	need(t, "systemd-analyze", "the systemd package verifies the units")
	need(t, "systemd-sysusers", "install.sh creates the user with it")
	hostUnits := "/usr/lib/systemd/system"
	if _, err := os.Stat(filepath.Join(hostUnits, "sysinit.target")); err != nil {
		t.Skipf("no %s/sysinit.target on this host for the units' default dependencies", hostUnits)
	}
	root := t.TempDir()
	env := newEnv(t)
	env.run(t, 0, "deploy/install.sh", "--root", root, "--bin-dir", env.bins)
	if err := os.CopyFS(filepath.Join(root, hostUnits), os.DirFS(hostUnits)); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command("systemd-analyze", append([]string{"verify", "--root=" + root, "--man=no"}, units...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze verify --root: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.Contains(line, "alex12060") {
			t.Errorf("systemd-analyze verify: %s", line)
		} else if line != "" {
			t.Logf("about a host unit, ignored: %s", line)
		}
	}

	// The check itself must be able to fail: an unknown key is reported.
	bad := filepath.Join(root, "etc/systemd/system", units[0])
	data, _ := os.ReadFile(bad)
	if err := os.WriteFile(bad, bytes.Replace(data, []byte("[Service]\n"), []byte("[Service]\nNoSuchSetting=1\n"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ = exec.Command("systemd-analyze", "verify", "--root="+root, "--man=no", units[0]).CombinedOutput()
	if !strings.Contains(string(out), "NoSuchSetting") {
		t.Errorf("verify did not report an unknown key:\n%s", out)
	}
}

// --- install.sh and uninstall.sh -------------------------------------------

// testEnv is a bin dir of fake binaries and a PATH whose systemctl records
// its arguments instead of acting.
type testEnv struct {
	bins  string
	path  string
	calls string
}

func newEnv(t *testing.T) *testEnv {
	t.Helper()
	dir := t.TempDir()
	e := &testEnv{bins: filepath.Join(dir, "bin"), calls: filepath.Join(dir, "systemctl.calls")}
	stub := filepath.Join(dir, "stub")
	for _, d := range []string{e.bins, stub} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range []string{"bot", "syncworker"} {
		writeExec(t, filepath.Join(e.bins, b), "#!/bin/sh\necho "+b+" v1\n")
	}
	writeExec(t, filepath.Join(stub, "systemctl"), "#!/bin/sh\necho \"$*\" >> '"+e.calls+"'\n")
	e.path = stub + string(os.PathListSeparator) + os.Getenv("PATH")
	return e
}

func writeExec(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// run runs a script of the repository with the stub PATH and wants its exit
// status; it returns the combined output.
func (e *testEnv) run(t *testing.T, wantCode int, script string, args ...string) string {
	t.Helper()
	return e.runEnv(t, nil, wantCode, script, args...)
}

func (e *testEnv) runEnv(t *testing.T, extra []string, wantCode int, script string, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join("..", script), args...)
	cmd.Env = append(append(os.Environ(), "PATH="+e.path), extra...)
	cmd.Stdin = nil // not a terminal
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("%s: %v", script, err)
		}
		code = ee.ExitCode()
	}
	if code != wantCode {
		t.Fatalf("%s %s: exit %d, want %d\n%s", script, strings.Join(args, " "), code, wantCode, out)
	}
	return string(out)
}

func (e *testEnv) systemctlCalls(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(e.calls)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(e.calls)
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// ids reads name's uid from root/etc/passwd and gid from root/etc/group.
func ids(t *testing.T, root, name string) (uid, gid int) {
	t.Helper()
	field := func(file string) (int, []string) {
		data, err := os.ReadFile(filepath.Join(root, "etc", file))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			f := strings.Split(line, ":")
			if f[0] == name && len(f) > 2 {
				n, err := strconv.Atoi(f[2])
				if err != nil {
					t.Fatal(err)
				}
				return n, f
			}
		}
		t.Fatalf("%s not in %s/etc/%s", name, root, file)
		return 0, nil
	}
	uid, pw := field("passwd")
	gid, _ = field("group")
	if pw[len(pw)-1] != "/usr/sbin/nologin" || pw[5] != "/var/lib/alex12060" {
		t.Errorf("passwd entry %q: want home /var/lib/alex12060, shell /usr/sbin/nologin", strings.Join(pw, ":"))
	}
	return uid, gid
}

// wantFile checks a path's type, mode and (as root) owner; uid or gid -1
// means "not checked".
func wantFile(t *testing.T, path string, dir bool, mode fs.FileMode, uid, gid int) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Error(err)
		return
	}
	if fi.IsDir() != dir || fi.Mode().Perm() != mode {
		t.Errorf("%s: mode %v (dir %t), want %v (dir %t)", path, fi.Mode(), fi.IsDir(), mode, dir)
	}
	if os.Geteuid() != 0 {
		return
	}
	st := fi.Sys().(*syscall.Stat_t)
	if (uid >= 0 && int(st.Uid) != uid) || (gid >= 0 && int(st.Gid) != gid) {
		t.Errorf("%s: owner %d:%d, want %d:%d", path, st.Uid, st.Gid, uid, gid)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestInstallIntoRoot(t *testing.T) {
	need(t, "systemd-sysusers", "install.sh creates the user with it")
	e := newEnv(t)
	root := t.TempDir()
	out := e.run(t, 0, "deploy/install.sh", "--root", root, "--bin-dir", e.bins)
	if calls := e.systemctlCalls(t); len(calls) > 0 {
		t.Errorf("install --root without --enable ran systemctl: %q", calls)
	}
	for _, s := range []string{"Next steps", "BOT_TOKEN SPREADSHEET_ID PRODUCTS", "google_sheets_credentials.json",
		"alex12060-syncworker --log-file - --init-sheets", "alex12060-syncworker --log-file - --once", "systemctl enable --now"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, "reference_data.db") || strings.Contains(out, "Upgrade") || strings.Contains(out, "Python") {
		t.Errorf("a fresh install speaks of a database to copy, an upgrade or Python:\n%s", out)
	}

	uid, gid := ids(t, root, "alex12060")
	p := func(s string) string { return filepath.Join(root, s) }
	wantFile(t, p("usr/local/bin/alex12060-bot"), false, 0o755, 0, 0)
	wantFile(t, p("usr/local/bin/alex12060-syncworker"), false, 0o755, 0, 0)
	wantFile(t, p("usr/local/bin/alex12060-check-sync-health"), false, 0o755, 0, 0)
	for _, u := range units {
		wantFile(t, p("etc/systemd/system/"+u), false, 0o644, 0, 0)
		if readFile(t, p("etc/systemd/system/"+u)) != readFile(t, filepath.Join("systemd", u)) {
			t.Errorf("installed %s differs from deploy/systemd/%s", u, u)
		}
	}
	wantFile(t, p("etc/alex12060"), true, 0o750, 0, gid)
	wantFile(t, p("etc/alex12060/alex12060.env"), false, 0o640, 0, gid)
	wantFile(t, p("var/lib/alex12060"), true, 0o750, uid, gid)
	wantFile(t, p("var/log/alex12060"), true, 0o750, uid, gid)
	if readFile(t, p("etc/alex12060/alex12060.env")) != readFile(t, "alex12060.env.example") {
		t.Error("a new env file must be the example")
	}
	if got := readFile(t, p("usr/local/bin/alex12060-bot")); got != "#!/bin/sh\necho bot v1\n" {
		t.Errorf("installed bot is %q", got)
	}
	// The paths the units name exist in the tree.
	for _, u := range units {
		pu := parseUnit(t, p("etc/systemd/system/"+u))
		exe := strings.Fields(pu.one(t, "Service", "ExecStart"))[0]
		wantFile(t, p(exe), false, 0o755, 0, 0)
		wantFile(t, p(pu.one(t, "Service", "EnvironmentFile")), false, 0o640, 0, gid)
	}

	// The operator fills in the env file, installs the key, the services make
	// a database and logs; a new build comes.
	keep := map[string]string{
		"etc/alex12060/alex12060.env":                       "BOT_TOKEN=123:secret\nSPREADSHEET_ID=x\nPRODUCTS=\"A,B\"\nGOOGLE_SA_JSON=\"/etc/alex12060/google_sheets_credentials.json\"\n",
		"etc/alex12060/google_sheets_credentials.json":      `{"type":"service_account"}`,
		"var/lib/alex12060/data/reference_data.db":          "SQLite format 3\x00",
		"var/log/alex12060/sync_worker.log":                 "Sync cycle #1 completed in 1.00s\n",
		"var/lib/alex12060/data/reference_data.db-wal":      "wal",
		"etc/systemd/system/alex12060-bot.service.d/x.conf": "[Service]\nEnvironment=X=1\n",
	}
	for f, body := range keep {
		if err := os.MkdirAll(filepath.Dir(p(f)), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p(f), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	before := map[string]os.FileInfo{}
	for f := range keep {
		before[f], _ = os.Stat(p(f))
	}
	writeExec(t, filepath.Join(e.bins, "syncworker"), "#!/bin/sh\necho syncworker v2\n")

	out = e.run(t, 0, "deploy/install.sh", "--root", root, "--bin-dir", e.bins, "--enable")
	for f, body := range keep {
		fi, err := os.Stat(p(f))
		if err != nil || readFile(t, p(f)) != body || !fi.ModTime().Equal(before[f].ModTime()) || fi.Mode() != before[f].Mode() {
			t.Errorf("second install touched %s", f)
		}
	}
	if !strings.Contains(out, "kept existing") || !strings.Contains(out, "unchanged "+p("usr/local/bin/alex12060-bot")) {
		t.Errorf("second install output:\n%s", out)
	}
	if strings.Contains(out, "Fill in") || strings.Contains(out, "Install the service-account key") {
		t.Errorf("next steps ask for what is done already:\n%s", out)
	}
	// An upgrade: the database holds rows not pushed yet, so nothing may
	// suggest copying one over it, or preparing the spreadsheet again.
	if !strings.Contains(out, "Upgrade: the database, env file and key were kept") || !strings.Contains(out, "systemctl restart") ||
		strings.Contains(out, "reference_data.db") || strings.Contains(out, "--init-sheets") || strings.Contains(out, "enable --now") {
		t.Errorf("upgrade's next steps:\n%s", out)
	}
	if got := readFile(t, p("usr/local/bin/alex12060-syncworker")); !strings.Contains(got, "v2") {
		t.Errorf("upgrade did not replace the worker: %q", got)
	}
	wantCalls := []string{"--root=" + root + " enable " + strings.Join(units, " ")}
	if calls := e.systemctlCalls(t); !slices.Equal(calls, wantCalls) {
		t.Errorf("systemctl calls %q, want %q", calls, wantCalls)
	}
	if _, err := os.Stat(p("var/backups/alex12060")); err == nil {
		t.Error("backed up units install.sh wrote itself")
	}
	if out := e.run(t, 1, "deploy/install.sh", "--root", root, "--bin-dir", e.bins, "--start"); !strings.Contains(out, "--start") {
		t.Errorf("--start with --root: %s", out)
	}
	if calls := e.systemctlCalls(t); len(calls) > 0 {
		t.Errorf("refused --start still ran systemctl: %q", calls)
	}
}

func TestInstallDestdirAndMissingBinaries(t *testing.T) {
	need(t, "systemd-sysusers", "install.sh creates the user with it")
	e := newEnv(t)
	root := t.TempDir()
	e.runEnv(t, []string{"DESTDIR=" + root}, 0, "deploy/install.sh", "--bin-dir", e.bins)
	if _, err := os.Stat(filepath.Join(root, "etc/systemd/system", units[1])); err != nil {
		t.Errorf("DESTDIR install: %v", err)
	}

	empty := t.TempDir()
	out := e.run(t, 1, "deploy/install.sh", "--root", t.TempDir(), "--bin-dir", empty)
	if !strings.Contains(out, "make build") {
		t.Errorf("missing binaries: %s", out)
	}
}

// TestUninstallRollsBack replaces a "Python" unit, uninstalls (its unit comes
// back, data stays), then purges.
func TestUninstallRollsBack(t *testing.T) {
	need(t, "systemd-sysusers", "install.sh creates the user with it")
	e := newEnv(t)
	root := t.TempDir()
	p := func(s string) string { return filepath.Join(root, s) }
	python := "[Service]\nExecStart=/home/lexun/Alex12060/venv/bin/python3 bot.py\n"
	if err := os.MkdirAll(p("etc/systemd/system"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p("etc/systemd/system/alex12060-bot.service"), []byte(python), 0o644); err != nil {
		t.Fatal(err)
	}
	out := e.run(t, 0, "deploy/install.sh", "--root", root, "--bin-dir", e.bins, "--enable")
	if !strings.Contains(out, "The Python deployment's units were here") || !strings.Contains(out, "migrate-from-python.sh import") ||
		strings.Contains(out, "reference_data.db") || strings.Contains(out, "--init-sheets") {
		t.Errorf("next steps with the Python deployment present:\n%s", out)
	}
	if got := readFile(t, p("var/backups/alex12060/alex12060-bot.service")); got != python {
		t.Fatalf("backup of the Python unit: %q", got)
	}
	e.run(t, 0, "deploy/install.sh", "--root", root, "--bin-dir", e.bins) // the backup survives a reinstall
	if got := readFile(t, p("var/backups/alex12060/alex12060-bot.service")); got != python {
		t.Fatalf("backup after a second install: %q", got)
	}
	db := p("var/lib/alex12060/data/reference_data.db")
	if err := os.MkdirAll(filepath.Dir(db), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(db, []byte("db"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.systemctlCalls(t)

	out = e.run(t, 0, "deploy/uninstall.sh", "--root", root)
	wantCalls := []string{"--root=" + root + " disable " + strings.Join(units, " ")}
	if calls := e.systemctlCalls(t); !slices.Equal(calls, wantCalls) {
		t.Errorf("systemctl calls %q, want %q", calls, wantCalls)
	}
	if got := readFile(t, p("etc/systemd/system/alex12060-bot.service")); got != python {
		t.Errorf("Python unit not restored: %q\n%s", got, out)
	}
	gone := []string{"etc/systemd/system/alex12060-sync-worker.service", "usr/local/bin/alex12060-bot",
		"usr/local/bin/alex12060-syncworker", "usr/local/bin/alex12060-check-sync-health",
		"usr/local/share/doc/alex12060", "var/backups/alex12060"}
	for _, f := range gone {
		if _, err := os.Stat(p(f)); err == nil {
			t.Errorf("uninstall left %s", f)
		}
	}
	kept := []string{"etc/alex12060/alex12060.env", "var/lib/alex12060/data/reference_data.db", "var/log/alex12060"}
	for _, f := range kept {
		if _, err := os.Stat(p(f)); err != nil {
			t.Errorf("uninstall without --purge removed %s", f)
		}
	}
	// The restored foreign unit is not ours to remove on a second run.
	e.run(t, 0, "deploy/uninstall.sh", "--root", root)
	if _, err := os.Stat(p("etc/systemd/system/alex12060-bot.service")); err != nil {
		t.Error("a second uninstall removed the restored Python unit")
	}

	// --purge wants confirmation; without a terminal, --yes.
	if out := e.run(t, 1, "deploy/uninstall.sh", "--root", root, "--purge"); !strings.Contains(out, "--yes") {
		t.Errorf("--purge without --yes: %s", out)
	}
	if _, err := os.Stat(db); err != nil {
		t.Fatal("--purge without --yes removed the database")
	}
	e.run(t, 0, "deploy/uninstall.sh", "--root", root, "--purge", "--yes")
	for _, f := range kept {
		if _, err := os.Stat(p(f)); err == nil {
			t.Errorf("--purge left %s", f)
		}
	}
	ids(t, root, "alex12060") // the user stays
}

// --- env example --------------------------------------------------------------

func TestEnvExampleDocumentsSpecVariables(t *testing.T) {
	data := readFile(t, "alex12060.env.example")
	set := map[string]string{} // uncommented assignments
	for _, line := range strings.Split(data, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			set[k] = v
		}
	}
	// SPEC §7, in its order.
	for _, v := range []string{"BOT_TOKEN", "TELEGRAM_API_ENDPOINT", "SPREADSHEET_ID", "GOOGLE_SA_JSON",
		"SHEETS_ENDPOINT", "SHEET_NAME", "PRODUCTS", "COMMISSION_RATE", "USE_FIXED_UTC_MINUS_5"} {
		if !regexp.MustCompile(`(?m)^#?` + v + `=`).MatchString(data) {
			t.Errorf("%s is not in the example", v)
		}
	}
	// Required values are present but empty: the binaries then stop with a
	// line naming them instead of using a placeholder that looks real.
	for _, v := range []string{"BOT_TOKEN", "SPREADSHEET_ID", "PRODUCTS"} {
		if val, ok := set[v]; !ok || val != "" {
			t.Errorf("%s=%q: want present and empty", v, val)
		}
	}
	if got := set["GOOGLE_SA_JSON"]; got != "/etc/alex12060/google_sheets_credentials.json" {
		t.Errorf("GOOGLE_SA_JSON=%q: the units run in /var/lib/alex12060, so it must be this absolute path", got)
	}
	// Emulator endpoints stay off in production.
	for _, v := range []string{"SHEETS_ENDPOINT", "TELEGRAM_API_ENDPOINT"} {
		if _, ok := set[v]; ok {
			t.Errorf("%s is set in the example", v)
		}
	}
}

// --- documents ------------------------------------------------------------------

// cronLine is the health-check line deploy/README.md documents for
// /etc/cron.d.
var cronLine = regexp.MustCompile("([-*/0-9,]+ ){5}root [^`\n]+")

// TestDocsOperations: what the operator's documents must say (SPEC §9).
func TestDocsOperations(t *testing.T) {
	guide := readFile(t, "README.md")
	// cron's PATH is /usr/bin:/bin: every command of a cron line by its
	// full path.
	lines := cronLine.FindAllString(guide, -1)
	if len(lines) == 0 {
		t.Error("deploy/README.md documents no /etc/cron.d line")
	}
	for _, l := range lines {
		command := strings.Join(strings.Fields(l)[6:], " ")
		for _, cmd := range regexp.MustCompile(`(?:^|\|\||&&|;)\s*(\S+)`).FindAllStringSubmatch(command, -1) {
			if !strings.HasPrefix(cmd[1], "/") {
				t.Errorf("cron line %q runs %q without its full path", l, cmd[1])
			}
		}
	}
	for _, s := range []string{"cgroup_enable=memory", "systemd-time-wait-sync", "time-sync.target"} {
		if !strings.Contains(guide, s) {
			t.Errorf("deploy/README.md does not mention %s", s)
		}
	}
}

// --- shellcheck -----------------------------------------------------------------

func TestShellcheck(t *testing.T) {
	need(t, "shellcheck", "apt-get install -y shellcheck")
	out, err := exec.Command("shellcheck", "install.sh", "uninstall.sh").CombinedOutput()
	if err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}
