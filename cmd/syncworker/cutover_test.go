package main

import (
	"crypto/sha256"
	"database/sql"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"shiftbot/internal/sheetsemu"
	"shiftbot/internal/telegramfake"
	"shiftbot/internal/testutil"
)

// The Python deployment's files (SPEC §10), shared with the deploy tests.
const (
	pythonLayout   = "../../internal/syncmgr/testdata/python_layout.json"
	pythonSchema   = "../../internal/store/testdata/python_v2_reference_data.sql"
	pythonSheetID  = "python-v2"
	pythonBotToken = "777001:PYTHON-secret-token"
)

// pythonEnv is the Python deployment's .env, in python-dotenv's syntax:
// comments, an unquoted value with spaces, a quoted one, a key the port no
// longer uses, and the key file as a path relative to the working directory.
const pythonEnv = `# Telegram Bot
BOT_TOKEN=` + pythonBotToken + `

# Google Sheets
GOOGLE_SA_JSON=google_sheets_credentials.json
SPREADSHEET_ID=` + pythonSheetID + `
SHEET_NAME=Shifts

# Products (comma-separated)
PRODUCTS=Model A,Model B,Model C,Model D

# Rates
COMMISSION_RATE="0.20"
PAYOUT_RATE=1.00

# Time (true = fixed UTC-5 without DST)
USE_FIXED_UTC_MINUS_5=true
`

// makePythonDB writes a database file with the Python version's schema and
// sample rows.
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

// pi is the Python deployment's working directory (/home/lexun/Alex12060)
// with the emulators standing in for Google and Telegram.
type pi struct {
	t   *testing.T
	dir string
	emu *sheetsemu.Server
	tg  *telegramfake.Server
	env []string // the process environment: no variable the .env sets
}

func newPi(t *testing.T) *pi {
	t.Helper()
	p := &pi{t: t, dir: filepath.Join(t.TempDir(), "home", "lexun", "Alex12060")}
	var err error
	if p.emu, err = sheetsemu.Load(pythonLayout); err != nil {
		t.Fatal(err)
	}
	sheetsSrv := httptest.NewServer(p.emu)
	t.Cleanup(sheetsSrv.Close)
	p.tg = telegramfake.New(pythonBotToken)
	tgSrv := httptest.NewServer(p.tg)
	t.Cleanup(func() { p.tg.Close(); tgSrv.Close() })

	makePythonDB(t, filepath.Join(p.dir, "data", "reference_data.db"))
	testutil.RequireServiceAccount(t, p.emu, filepath.Join(p.dir, "google_sheets_credentials.json"))
	for name, body := range map[string]string{
		".env": pythonEnv, "bot.py": "# the Python bot\n", "bot.log": "python bot log\n", "sync_worker.log": "python worker log\n",
	} {
		if err := os.WriteFile(filepath.Join(p.dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Only the two endpoints that stand in for Google and Telegram come
	// from outside the .env.
	p.env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"SHEETS_ENDPOINT=" + sheetsSrv.URL + "/", "TELEGRAM_API_ENDPOINT=" + tgSrv.URL}
	return p
}

// command runs a binary in the Python working directory without flags, so
// every path is the default relative one.
func (p *pi) command(bin string, args ...string) (*exec.Cmd, *testutil.Buffer) {
	c := exec.Command(bin, args...)
	c.Dir = p.dir
	c.Env = p.env
	out := &testutil.Buffer{}
	c.Stdout, c.Stderr = out, out
	return c, out
}

// runBot starts the bot, waits until it polls Telegram, and stops it as
// systemd would; it returns the bot's output.
func (p *pi) runBot() string {
	p.t.Helper()
	polls := p.tg.Calls("getUpdates")
	c, out := p.command(filepath.Join(binDir, "bot"))
	if err := c.Start(); err != nil {
		p.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for p.tg.Calls("getUpdates") == polls {
		select {
		case err := <-done:
			p.t.Fatalf("the bot exited at start: %v\n%s", err, out)
		default:
		}
		if time.Now().After(deadline) {
			c.Process.Kill()
			p.t.Fatalf("the bot did not start polling:\n%s", out)
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		if err != nil {
			p.t.Fatalf("bot: %v\n%s", err, out)
		}
	case <-time.After(10 * time.Second):
		c.Process.Kill()
		p.t.Fatalf("the bot did not stop on SIGTERM:\n%s", out)
	}
	return out.String()
}

func (p *pi) path(rel string) string { return filepath.Join(p.dir, rel) }

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(data)
}

// dbState is what a database holds: every table's columns and rows.
func dbState(t *testing.T, path string) map[string]string {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT name, sql FROM sqlite_master WHERE type IN ('table', 'index') AND sql IS NOT NULL ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	state := map[string]string{}
	var tables []string
	for rows.Next() {
		var name, ddl string
		if err := rows.Scan(&name, &ddl); err != nil {
			t.Fatal(err)
		}
		state["schema:"+name] = ddl
		if strings.HasPrefix(ddl, "CREATE TABLE") {
			tables = append(tables, name)
		}
	}
	rows.Close()
	for _, tbl := range tables {
		r, err := db.Query(fmt.Sprintf("SELECT * FROM %q ORDER BY 1", tbl))
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := r.Columns()
		var b strings.Builder
		for r.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := r.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if bs, ok := v.([]byte); ok {
					vals[i] = string(bs)
				}
			}
			fmt.Fprintln(&b, vals...)
		}
		r.Close()
		state["rows:"+tbl] = b.String()
	}
	return state
}

func count(t *testing.T, state map[string]string, table string) int {
	t.Helper()
	rows, ok := state["rows:"+table]
	if !ok {
		t.Fatalf("no table %s", table)
	}
	return strings.Count(rows, "\n")
}

// TestCutoverBothBinariesAdoptPythonFiles is the cutover of SPEC §10 run
// with both real binaries in the Python deployment's own working directory:
// its .env (Python syntax, relative key path, a key no longer used), its key
// file and its data/reference_data.db (the Python schema with rows).
//
//  1. The bot starts first: it recognises the Python database, backs it up
//     beside itself, keeps the old tables as legacy_v2_*, creates the new
//     schema (empty), and touches nothing in Sheets.
//  2. syncworker --once: no second adoption; the pull fills the new schema
//     from the spreadsheet the Python version left, with zero rejected rows
//     and zero writes to Sheets; the old tables stay as they were.
//  3. The bot again: nothing changes in the file.
func TestCutoverBothBinariesAdoptPythonFiles(t *testing.T) {
	p := newPi(t)
	sheetBefore := fmt.Sprint(allTabs(p.emu))
	envSum, keySum := fileSum(t, p.path(".env")), fileSum(t, p.path("google_sheets_credentials.json"))
	pythonState := dbState(t, p.path("data/reference_data.db"))

	// 1. The bot first.
	out := p.runBot()
	for _, want := range []string{
		`level=WARN msg="Found the Python version's database`,
		"backup=data/reference_data.db.python-v2.bak",
		"renamed=_schema_metadata,employee_settings,dynamic_rates,ranks,sync_log",
		`level=INFO msg="PAYOUT_RATE is set but no longer used`,
		"timezone=UTC-5", // USE_FIXED_UTC_MINUS_5=true from the .env
		"products=4",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("bot output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "PAYOUT_RATE") != 1 {
		t.Errorf("want exactly one line about PAYOUT_RATE:\n%s", out)
	}
	if strings.Contains(out, "secret") {
		t.Errorf("the bot token is in the output:\n%s", out)
	}
	backup := p.path("data/reference_data.db.python-v2.bak")
	if got := dbState(t, backup); !reflect.DeepEqual(got, pythonState) {
		t.Errorf("the backup is not the Python database as it was")
	}
	if fi, err := os.Stat(backup); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup: %v %v", fi, err)
	}
	adopted := dbState(t, p.path("data/reference_data.db"))
	for _, tbl := range []string{"_schema_metadata", "employee_settings", "dynamic_rates", "ranks", "sync_log"} {
		if adopted["rows:legacy_v2_"+tbl] != pythonState["rows:"+tbl] {
			t.Errorf("legacy_v2_%s differs from the Python %s:\n%s\nwant\n%s", tbl, tbl,
				adopted["rows:legacy_v2_"+tbl], pythonState["rows:"+tbl])
		}
	}
	if _, ok := adopted["rows:schema_migrations"]; !ok {
		t.Error("the new schema is not in place")
	}
	for _, tbl := range []string{"employee_settings", "dynamic_rates", "ranks", "shifts", "employee_ranks", "active_bonuses"} {
		if n := count(t, adopted, tbl); n != 0 {
			t.Errorf("new %s has %d rows before any pull", tbl, n)
		}
	}
	if p.emu.Count("") != 0 {
		t.Errorf("the bot made %d Sheets requests", p.emu.Count(""))
	}

	// 2. The worker's first cycle.
	c, wout := p.command(binary(), "--once")
	if err := c.Run(); err != nil {
		t.Fatalf("syncworker --once: %v\n%s", err, wout)
	}
	out = wout.String()
	for _, want := range []string{
		"Sync cycle #1 completed in",
		"Stats: pulled=28 pushed=0 rejected=0 conflicts=0 renumbered=0 skipped_tabs=0 requests=1",
		`level=INFO msg="PAYOUT_RATE is set but no longer used`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("worker output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Python version's database") {
		t.Errorf("the worker adopted the database a second time:\n%s", out)
	}
	if strings.Count(out, "PAYOUT_RATE") != 1 {
		t.Errorf("want exactly one line about PAYOUT_RATE:\n%s", out)
	}
	if p.emu.Count("token") == 0 {
		t.Error("the worker never used the key file the .env names relative to the working directory")
	}
	if n := p.emu.Count("batchUpdate") + p.emu.Count("append") + p.emu.Count("update"); n != 0 {
		t.Errorf("the cutover wrote to Sheets %d times", n)
	}
	if fmt.Sprint(allTabs(p.emu)) != sheetBefore {
		t.Error("the cutover changed the spreadsheet")
	}
	pulled := dbState(t, p.path("data/reference_data.db"))
	for tbl, n := range map[string]int{"employee_settings": 4, "dynamic_rates": 4, "ranks": 6, "shifts": 5, "employee_ranks": 5, "active_bonuses": 4} {
		if got := count(t, pulled, tbl); got != n {
			t.Errorf("after the pull %s has %d rows, want %d", tbl, got, n)
		}
	}
	for k, v := range adopted {
		if strings.HasPrefix(k, "rows:legacy_v2_") || strings.HasPrefix(k, "schema:") {
			if pulled[k] != v {
				t.Errorf("the pull changed %s", k)
			}
		}
	}

	// 3. The bot again: nothing more changes.
	if out := p.runBot(); strings.Contains(out, "Python version's database") {
		t.Errorf("the second bot start adopted again:\n%s", out)
	}
	if again := dbState(t, p.path("data/reference_data.db")); !reflect.DeepEqual(again, pulled) {
		t.Error("a later start changed the database")
	}
	if got := dbState(t, backup); !reflect.DeepEqual(got, pythonState) {
		t.Error("a later start changed the backup")
	}
	if fileSum(t, p.path(".env")) != envSum || fileSum(t, p.path("google_sheets_credentials.json")) != keySum {
		t.Error("the .env or the key file changed")
	}
	if c, out := p.command(binary(), "--status"); c.Run() != nil {
		t.Errorf("--status after the cutover:\n%s", out)
	}
}

func allTabs(emu *sheetsemu.Server) map[string][][]any {
	out := map[string][][]any{}
	for _, tab := range emu.Tabs(pythonSheetID) {
		out[tab] = emu.Tab(pythonSheetID, tab)
	}
	return out
}
