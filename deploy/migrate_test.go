package deploy

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"shiftbot/internal/hybrid"
	"shiftbot/internal/payroll"
	"shiftbot/internal/sheetsemu"
	"shiftbot/internal/store"
	"shiftbot/internal/testutil"
)

// The Python deployment's data, shared with the other cutover tests.
const (
	pythonLayout  = "../internal/syncmgr/testdata/python_layout.json"
	pythonSchema  = "../internal/store/testdata/python_v2_reference_data.sql"
	pythonSheetID = "python-v2"
	pythonToken   = "777002:PYTHON-secret-token"
	pythonDir     = "home/lexun/Alex12060"
)

// pythonDotEnv is the Python deployment's .env (python-dotenv syntax).
const pythonDotEnv = `# Telegram Bot
BOT_TOKEN=` + pythonToken + `

# Google Sheets
GOOGLE_SA_JSON=google_sheets_credentials.json
SPREADSHEET_ID=` + pythonSheetID + `
SHEET_NAME=Shifts

# Products (comma-separated)
PRODUCTS=Model A,Model B,Model C,Model D

# Rates
COMMISSION_RATE=0.20   # 20% off before commission
PAYOUT_RATE=1.00

# Time (true = fixed UTC-5 without DST)
USE_FIXED_UTC_MINUS_5="false"
`

// The Python deployment's units, as its operator installed them: run as
// lexun in its working directory, where python-dotenv reads .env.
var pythonUnits = map[string]string{
	"alex12060-bot.service": `[Unit]
Description=Alex12060 shift bot (Python)
After=network.target

[Service]
Type=simple
User=lexun
WorkingDirectory=/home/lexun/Alex12060
ExecStart=/home/lexun/Alex12060/venv/bin/python3 /home/lexun/Alex12060/bot.py
Restart=always
RestartSec=10

[Install]
WantedBy=multi-user.target
`,
	"alex12060-sync-worker.service": `[Unit]
Description=Alex12060 sync worker (Python)
After=network.target
Wants=alex12060-bot.service

[Service]
Type=simple
User=lexun
WorkingDirectory=/home/lexun/Alex12060
ExecStart=/home/lexun/Alex12060/venv/bin/python3 /home/lexun/Alex12060/sync_worker.py --interval 300
Restart=always
RestartSec=30
MemoryMax=256M

[Install]
WantedBy=multi-user.target
`,
}

var (
	realOnce sync.Once
	realBins string
	realErr  error
)

// realBinaries builds the bot and the worker once, as make build does.
func realBinaries(t *testing.T) string {
	t.Helper()
	realOnce.Do(func() {
		realBins, realErr = os.MkdirTemp("", "deploy-migrate-bin")
		if realErr != nil {
			return
		}
		realErr = testutil.Build(realBins, "../cmd/bot", "../cmd/syncworker")
	})
	if realErr != nil {
		t.Fatal(realErr)
	}
	return realBins
}

func TestMain(m *testing.M) {
	code := m.Run()
	if realBins != "" {
		os.RemoveAll(realBins)
	}
	os.Exit(code)
}

// pi is a temporary root laid out like the Raspberry Pi running the Python
// deployment, the Sheets emulator serving the spreadsheet it left, and a
// stub systemctl that records its calls and reports every unit active.
type pi struct {
	t     *testing.T
	root  string
	bins  string
	emu   *sheetsemu.Server
	calls string
	env   []string
}

func newPi(t *testing.T) *pi {
	t.Helper()
	p := &pi{t: t, root: t.TempDir(), bins: realBinaries(t)}
	var err error
	if p.emu, err = sheetsemu.Load(pythonLayout); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p.emu)
	t.Cleanup(srv.Close)

	home := p.path(pythonDir)
	for rel, body := range map[string]string{
		".env": pythonDotEnv, "bot.py": "# the Python bot\n", "sync_worker.py": "# the Python worker\n",
		"venv/bin/python3": "#!/bin/sh\nexit 0\n", "bot.log": "python log\n",
	} {
		writeFile(t, filepath.Join(home, rel), body, 0o644)
	}
	testutil.RequireServiceAccount(t, p.emu, filepath.Join(home, "google_sheets_credentials.json"))
	makePythonDB(t, filepath.Join(home, "data", "reference_data.db"))
	for name, body := range pythonUnits {
		writeFile(t, p.path("etc/systemd/system/"+name), body, 0o644)
	}

	stub := t.TempDir()
	p.calls = filepath.Join(stub, "calls")
	writeExec(t, filepath.Join(stub, "systemctl"), `#!/bin/sh
echo "$*" >> '`+p.calls+`'
if [ "$1" = is-active ]; then
	[ "$2" = --quiet ] || echo active
fi
exit 0
`)
	p.env = []string{"PATH=" + stub + string(os.PathListSeparator) + os.Getenv("PATH"), "SHEETS_ENDPOINT=" + srv.URL + "/"}
	return p
}

func (p *pi) path(rel string) string { return filepath.Join(p.root, rel) }

func writeFile(t *testing.T, path, body string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
}

func makePythonDB(t *testing.T, path string) {
	t.Helper()
	ddl, err := os.ReadFile(pythonSchema)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(string(ddl)); err != nil {
		t.Fatal(err)
	}
}

// migrate runs deploy/migrate-from-python.sh on the tree and wants its exit
// status; it returns the output.
func (p *pi) migrate(wantCode int, args ...string) string {
	p.t.Helper()
	args = append([]string{"--root", p.root, "--bin-dir", p.bins}, args...)
	return p.script(wantCode, "./migrate-from-python.sh", args...)
}

// script runs a script of deploy/ with the stub systemctl and the emulator.
func (p *pi) script(wantCode int, script string, args ...string) string {
	p.t.Helper()
	cmd := exec.Command(script, args...)
	cmd.Env = append(os.Environ(), p.env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		p.t.Fatal(err)
	}
	if code != wantCode {
		p.t.Fatalf("%s %s: exit %d, want %d\n%s", script, strings.Join(args, " "), code, wantCode, out)
	}
	if strings.Contains(string(out), "secret") {
		p.t.Errorf("the bot token is in the output of %v:\n%s", args, out)
	}
	return string(out)
}

// systemctl returns the stub's calls since the last look.
func (p *pi) systemctl() []string {
	p.t.Helper()
	data, err := os.ReadFile(p.calls)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		p.t.Fatal(err)
	}
	os.Remove(p.calls)
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// tree is every file under dir (relative path -> mode and content hash).
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			out[rel+"/"] = fi.Mode().String()
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		out[rel] = fi.Mode().String() + " " + hex.EncodeToString(sum[:8])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (p *pi) sheet() string {
	var b strings.Builder
	for _, tab := range p.emu.Tabs(pythonSheetID) {
		fmt.Fprintln(&b, tab, p.emu.Tab(pythonSheetID, tab))
	}
	return b.String()
}

func wantLines(t *testing.T, what, out string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(out, l) {
			t.Errorf("%s: output lacks %q:\n%s", what, l, out)
		}
	}
}

// TestMigrateFromPythonStepByStep runs docs/MIGRATING.md on a tree laid out
// like the Pi: check, the cutover one step at a time, the health check; a
// shift saved by the new bot; the way back to the Python units; and a second
// cutover in one go. The Python deployment's own files never change.
func TestMigrateFromPythonStepByStep(t *testing.T) {
	need(t, "systemd-sysusers", "install.sh creates the user with it")
	p := newPi(t)
	pythonFiles := tree(t, p.path(pythonDir))
	sheet := p.sheet()
	units := "alex12060-bot.service alex12060-sync-worker.service"

	// --- check, while the Python units serve: nothing changes.
	before := tree(t, p.root)
	out := p.migrate(0, "check")
	wantLines(t, "check", out,
		"Python unit: "+p.path("etc/systemd/system/alex12060-bot.service")+" (User=lexun, WorkingDirectory=/home/lexun/Alex12060)",
		"BOT_TOKEN=7770… (26 characters, masked)",
		"PRODUCTS=Model A,Model B,Model C,Model D",
		"GOOGLE_SA_JSON=/etc/alex12060/google_sheets_credentials.json",
		"note: PAYOUT_RATE is kept but no longer used",
		"service account "+testutil.ServiceAccountEmail,
		"Stats: pulled=28 pushed=0 rejected=0 conflicts=0 renumbered=0 skipped_tabs=0 requests=1",
		"nothing rejected, no tab skipped", "Ready.")
	if after := tree(t, p.root); !reflect.DeepEqual(after, before) {
		t.Errorf("check changed the tree")
	}
	if p.sheet() != sheet || p.emu.Count("append")+p.emu.Count("batchUpdate") != 0 {
		t.Errorf("check wrote to the spreadsheet")
	}
	if calls := p.systemctl(); len(calls) != 0 {
		t.Errorf("check under --root ran systemctl %q", calls)
	}

	// check reports a cell the new worker would reject, before any downtime.
	shifts := p.emu.Tab(pythonSheetID, "Shifts")
	bad := slices.Clone(shifts)
	bad[2] = slices.Clone(bad[2])
	bad[2][11] = "a thousand"
	p.emu.SetTab(pythonSheetID, "Shifts", bad)
	out = p.migrate(1, "check")
	wantLines(t, "check with a bad cell", out, "rejected=1", `Rejected sheet row`, `column="Total sales" value="a thousand"`,
		"Fix those cells in the spreadsheet")
	p.emu.SetTab(pythonSheetID, "Shifts", shifts)

	// --- dry run: the whole cutover printed, nothing done.
	before = tree(t, p.root)
	out = p.migrate(0, "--dry-run", "cutover")
	wantLines(t, "dry run", out, "+ systemctl --root="+p.root+" disable "+units, "install.sh --bin-dir "+p.bins+" --root "+p.root,
		"+ (cd "+p.path("var/lib/alex12060")+" && env <the variables of", "--once --log-file -)", "+ systemctl --root="+p.root+" enable "+units)
	if after := tree(t, p.root); !reflect.DeepEqual(after, before) {
		t.Errorf("--dry-run changed the tree")
	}
	if calls := p.systemctl(); len(calls) != 0 {
		t.Errorf("--dry-run ran systemctl %q", calls)
	}

	// --- the cutover, step by step as the guide runs it.
	p.emu.ResetCounts()
	out = p.migrate(0, "stop-python")
	if calls := p.systemctl(); !slices.Equal(calls, []string{"--root=" + p.root + " disable " + units}) {
		t.Errorf("stop-python: systemctl %q\n%s", calls, out)
	}

	out = p.migrate(0, "backup")
	dirs, _ := filepath.Glob(p.path("var/backups/alex12060-python/*"))
	if len(dirs) != 1 {
		t.Fatalf("backup dirs %v\n%s", dirs, out)
	}
	backup := tree(t, dirs[0])
	for rel, src := range map[string]string{
		"env": ".env", "google_sheets_credentials.json": "google_sheets_credentials.json",
		"data/reference_data.db": "data/reference_data.db",
	} {
		if backup[rel] != pythonFiles[src] {
			t.Errorf("backup %s = %q, want a copy of %s (%q)", rel, backup[rel], src, pythonFiles[src])
		}
	}
	for _, u := range strings.Fields(units) {
		if got := readFile(t, filepath.Join(dirs[0], "units", u)); got != pythonUnits[u] {
			t.Errorf("backup of %s: %q", u, got)
		}
	}
	if _, ok := backup["SHA256SUMS"]; !ok {
		t.Error("no SHA256SUMS in the backup")
	}
	if fi, err := os.Stat(dirs[0]); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("backup dir: %v %v", fi, err)
	}

	p.migrate(0, "install")
	for _, u := range strings.Fields(units) {
		if !strings.Contains(readFile(t, p.path("etc/systemd/system/"+u)), "Installed by deploy/install.sh") {
			t.Errorf("install did not put the new %s in place", u)
		}
		if got := readFile(t, p.path("var/backups/alex12060/"+u)); got != pythonUnits[u] {
			t.Errorf("install.sh's backup of the Python %s: %q", u, got)
		}
	}

	p.migrate(0, "import")
	uid, gid := ids(t, p.root, "alex12060")
	env := readFile(t, p.path("etc/alex12060/alex12060.env"))
	wantEnv := []string{
		"BOT_TOKEN='" + pythonToken + "'",
		"GOOGLE_SA_JSON='/etc/alex12060/google_sheets_credentials.json'",
		"SPREADSHEET_ID='" + pythonSheetID + "'",
		"SHEET_NAME='Shifts'",
		"PRODUCTS='Model A,Model B,Model C,Model D'",
		"COMMISSION_RATE='0.20'",
		"PAYOUT_RATE='1.00'",
		"USE_FIXED_UTC_MINUS_5='false'",
	}
	var assignments []string
	for _, l := range strings.Split(strings.TrimSpace(env), "\n") {
		if !strings.HasPrefix(l, "#") {
			assignments = append(assignments, l)
		}
	}
	if !slices.Equal(assignments, wantEnv) {
		t.Errorf("alex12060.env assignments:\n%s\nwant:\n%s", strings.Join(assignments, "\n"), strings.Join(wantEnv, "\n"))
	}
	wantFile(t, p.path("etc/alex12060/alex12060.env"), false, 0o640, 0, gid)
	wantFile(t, p.path("etc/alex12060/google_sheets_credentials.json"), false, 0o640, 0, gid)
	wantFile(t, p.path("var/lib/alex12060/data"), true, 0o750, uid, gid)
	wantFile(t, p.path("var/lib/alex12060/data/reference_data.db"), false, 0o600, uid, gid)
	for dest, src := range map[string]string{
		"var/lib/alex12060/data/reference_data.db":     pythonDir + "/data/reference_data.db",
		"etc/alex12060/google_sheets_credentials.json": pythonDir + "/google_sheets_credentials.json",
	} {
		if readFile(t, p.path(dest)) != readFile(t, p.path(src)) {
			t.Errorf("%s is not a copy of %s", dest, src)
		}
	}
	// install.sh reads the converted file as filled in, key included.
	out = p.script(0, "./install.sh", "--root", p.root, "--bin-dir", p.bins)
	if strings.Contains(out, "Fill in") || strings.Contains(out, "Install the service-account key") {
		t.Errorf("install.sh does not see the converted env file as complete:\n%s", out)
	}

	out = p.migrate(0, "trial")
	wantLines(t, "trial", out,
		`msg="Found the Python version's database`,
		"Sync cycle #1 completed in",
		"Stats: pulled=28 pushed=0 rejected=0 conflicts=0 renumbered=0 skipped_tabs=0 requests=1",
		"the Python tables were kept as legacy_v2_*",
		"backup=data/reference_data.db.python-v2.bak",
		"nothing rejected, no tab skipped")
	if p.emu.Count("token") == 0 {
		t.Error("the trial did not authenticate with the moved key")
	}

	// import again (an operator re-running a step): the adopted database,
	// which may hold unpushed rows, is kept, not replaced by the Python one.
	adopted := readFile(t, p.path("var/lib/alex12060/data/reference_data.db"))
	wantLines(t, "import again", p.migrate(0, "import"), "kept /var/lib/alex12060/data/reference_data.db")
	if readFile(t, p.path("var/lib/alex12060/data/reference_data.db")) != adopted {
		t.Error("a second import replaced the adopted database")
	}

	p.migrate(0, "start")
	if calls := p.systemctl(); !slices.Equal(calls, []string{"--root=" + p.root + " enable " + units}) {
		t.Errorf("start: systemctl %q", calls)
	}

	out = p.migrate(0, "verify")
	wantLines(t, "verify", out, "OK: "+units+" active; last successful sync")
	p.systemctl()

	if p.sheet() != sheet || p.emu.Count("append")+p.emu.Count("batchUpdate") != 0 {
		t.Errorf("the cutover wrote to the spreadsheet")
	}
	if got := tree(t, p.path(pythonDir)); !reflect.DeepEqual(got, pythonFiles) {
		t.Errorf("the cutover changed the Python deployment's files")
	}

	// --- the new bot saves a shift; the worker has not pushed it yet.
	p.saveShift()

	// --- the way back.
	out = p.migrate(0, "rollback")
	wantLines(t, "rollback", out, "rows the new bot saved may not be in the spreadsheet yet: pushing them",
		"every row the new bot saved is in the spreadsheet", "restored the previous alex12060-bot.service",
		"The Python units run again from /home/lexun/Alex12060")
	calls := p.systemctl()
	for _, want := range []string{"--root=" + p.root + " disable " + units, "--root=" + p.root + " enable " + units} {
		if !slices.Contains(calls, want) {
			t.Errorf("rollback: systemctl %q lacks %q", calls, want)
		}
	}
	for _, u := range strings.Fields(units) {
		if got := readFile(t, p.path("etc/systemd/system/"+u)); got != pythonUnits[u] {
			t.Errorf("after rollback %s is %q", u, got)
		}
	}
	if _, err := os.Stat(p.path("usr/local/bin/alex12060-bot")); err == nil {
		t.Error("rollback left the new binaries")
	}
	if n := len(rowsWithID(p.emu.Tab(pythonSheetID, "Shifts"), 6)); n != 1 {
		t.Errorf("the shift the new bot saved is %d times in the sheet, want once", n)
	}
	aside, _ := filepath.Glob(p.path("var/lib/alex12060/rolled-back-*/reference_data.db"))
	if len(aside) != 1 {
		t.Errorf("the new database was not moved aside: %v", aside)
	}
	if got := tree(t, p.path(pythonDir)); !reflect.DeepEqual(got, pythonFiles) {
		t.Errorf("the Python deployment's files changed")
	}

	// --- a second cutover, in one go, after the way back.
	out = p.migrate(0, "cutover")
	wantLines(t, "cutover", out, "stop-python:", "backup:", "install:", "import:", "wrote /etc/alex12060/alex12060.env", "trial:",
		"Stats: pulled=29 pushed=0 rejected=0", "The bot was down for", "OK: "+units+" active")
}

// rowsWithID returns the rows whose first cell is id.
func rowsWithID(rows [][]any, id float64) [][]any {
	var out [][]any
	for _, r := range rows {
		if len(r) > 0 && r[0] == id {
			out = append(out, r)
		}
	}
	return out
}

// saveShift is the new bot finishing a shift: hybrid.FinishShift in one
// transaction on the installed database, left pending for the worker.
func (p *pi) saveShift() {
	p.t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, p.path("var/lib/alex12060/data/reference_data.db"))
	if err != nil {
		p.t.Fatal(err)
	}
	defer db.Close()
	ny, _ := time.LoadLocation("America/New_York")
	svc := hybrid.New(hybrid.Config{Products: []string{"Model A", "Model B", "Model C", "Model D"},
		CommissionRate: decimal.RequireFromString("0.20"), Location: ny})
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, ny)
	err = db.Update(ctx, func(tx *store.Tx) error {
		_, err := svc.FinishShift(ctx, tx, hybrid.NewShift{EmployeeID: 1001, EmployeeName: "anna",
			ClockIn: day.Add(9 * time.Hour), ClockOut: day.Add(17 * time.Hour), Now: day.Add(17*time.Hour + 5*time.Minute),
			Products: []payroll.ProductSale{{Product: "Model A", Amount: decimal.RequireFromString("300")}}})
		return err
	})
	if err != nil {
		p.t.Fatal(err)
	}
	if n, _, _ := db.PendingCount(ctx); n == 0 {
		p.t.Fatal("nothing pending after the shift")
	}
}

// TestMigratingGuideRunsTheScript keeps docs/MIGRATING.md and the script in
// step: every step the script has is in the guide as the command to run, in
// the cutover's order, and the commands a live dry run prints for the
// service manager are the ones the guide shows for doing it by hand.
func TestMigratingGuideRunsTheScript(t *testing.T) {
	p := newPi(t)
	guide := readFile(t, "../docs/MIGRATING.md")
	flat := regexp.MustCompile(`\\\n\s*`).ReplaceAllString(guide, "") // shell line continuations joined
	at := -1
	for _, s := range []string{"check", "stop-python", "backup", "install", "import", "trial", "start", "verify"} {
		cmd := "sudo deploy/migrate-from-python.sh " + s
		i := strings.Index(guide, cmd+"\n")
		if i < 0 {
			t.Errorf("the guide never runs %q", cmd)
			continue
		}
		if i < at {
			t.Errorf("the guide runs %q out of order", cmd)
		}
		at = i
	}
	for _, s := range []string{"sudo deploy/migrate-from-python.sh cutover", "sudo deploy/migrate-from-python.sh rollback",
		"sudo deploy/migrate-from-python.sh --dry-run cutover"} {
		if !strings.Contains(guide, s) {
			t.Errorf("the guide lacks %q", s)
		}
	}

	// A dry run on the live system (no --root) prints the live commands;
	// it runs nothing, so it is safe here.
	out := p.script(0, "./migrate-from-python.sh", "--dry-run", "--from", p.path(pythonDir), "--bin-dir", p.bins, "cutover")
	for _, c := range p.systemctl() {
		if !strings.HasPrefix(c, "is-active ") {
			t.Errorf("a dry run ran systemctl %s; it may only ask", c)
		}
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		if cmd, ok := strings.CutPrefix(l, "+ "); ok {
			lines[cmd] = true
		}
	}
	for _, cmd := range []string{
		`systemctl disable --now alex12060-bot.service alex12060-sync-worker.service`,
		`systemd-run --quiet --pipe --wait --collect --service-type=exec -p User=alex12060 -p Group=alex12060 -p UMask=0077 -p EnvironmentFile=/etc/alex12060/alex12060.env -p WorkingDirectory=/var/lib/alex12060 /usr/local/bin/alex12060-syncworker --once --log-file -`,
		`systemctl enable --now alex12060-bot.service alex12060-sync-worker.service`,
		`/usr/local/bin/alex12060-check-sync-health`,
	} {
		if !lines[cmd] {
			t.Errorf("the dry run does not print %q:\n%s", cmd, out)
		}
		if !strings.Contains(flat, cmd) {
			t.Errorf("the guide does not show %q", cmd)
		}
	}
	if !regexp.MustCompile(`\+ \S*install\.sh --bin-dir `).MatchString(out) {
		t.Errorf("the dry run does not run install.sh:\n%s", out)
	}
}

func TestMigrateShellcheck(t *testing.T) {
	need(t, "shellcheck", "apt-get install -y shellcheck")
	if out, err := exec.Command("shellcheck", "migrate-from-python.sh").CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}

// TestMigrateConvertsTheDotEnvAsPythonReadIt: a .env using more of
// python-dotenv's syntax (export, spaces around =, quotes, inline comments,
// CRLF line ends, a repeated key) becomes an env file with the values the
// Python version read, which the installed worker accepts; what would behave
// differently is said.
func TestMigrateConvertsTheDotEnvAsPythonReadIt(t *testing.T) {
	need(t, "systemd-sysusers", "install.sh creates the user with it")
	p := newPi(t)
	dotenv := strings.Join([]string{
		"# edited on a laptop",
		"export BOT_TOKEN = \"" + pythonToken + "\"   # from @BotFather",
		"SPREADSHEET_ID='" + pythonSheetID + "'",
		"GOOGLE_SA_JSON=./google_sheets_credentials.json",
		"SHEET_NAME=Sheet1",
		`PRODUCTS="Model A,Model B,Model C,Model D"`,
		"COMMISSION_RATE=0.25",
		"USE_FIXED_UTC_MINUS_5=1",
		"DATABASE_URL=postgresql://bot@localhost/shifts",
		"SHEET_NAME=Shifts",
		"",
	}, "\r\n")
	writeFile(t, p.path(pythonDir+"/.env"), dotenv, 0o600)

	p.migrate(0, "install")
	out := p.migrate(0, "import")
	wantLines(t, "import", out,
		"note: COMMISSION_RATE=0.25: the Python version took net sales as 80% of total sales",
		"note: USE_FIXED_UTC_MINUS_5=1 meant false to the Python version: written as false",
		"note: DATABASE_URL is kept but not used")
	var got []string
	for _, l := range strings.Split(readFile(t, p.path("etc/alex12060/alex12060.env")), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			got = append(got, l)
		}
	}
	want := []string{
		"BOT_TOKEN='" + pythonToken + "'",
		"SPREADSHEET_ID='" + pythonSheetID + "'",
		"GOOGLE_SA_JSON='/etc/alex12060/google_sheets_credentials.json'",
		"SHEET_NAME='Shifts'",
		"PRODUCTS='Model A,Model B,Model C,Model D'",
		"COMMISSION_RATE='0.25'",
		"USE_FIXED_UTC_MINUS_5='false'",
		"DATABASE_URL='postgresql://bot@localhost/shifts'",
	}
	if !slices.Equal(got, want) {
		t.Errorf("converted env file:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The installed worker takes it (exit 2 would name a variable).
	wantLines(t, "trial", p.migrate(0, "trial"), "rejected=0")
}
