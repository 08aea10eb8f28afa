package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func writeDotEnv(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestConvertDotEnvAsPythonReadIt: more of python-dotenv's syntax (export,
// spaces around =, quotes, inline comments, CRLF line ends, a repeated key)
// gives the values the Python version read, in the file's order, with what
// changes for the new units changed and said.
func TestConvertDotEnvAsPythonReadIt(t *testing.T) {
	path := writeDotEnv(t, strings.Join([]string{
		"# edited on a laptop",
		`export BOT_TOKEN = "777002:PYTHON-secret-token"   # from @BotFather`,
		"SPREADSHEET_ID='python-v2'",
		"GOOGLE_SA_JSON=./google_sheets_credentials.json",
		"SHEET_NAME=Sheet1",
		`PRODUCTS="Model A,Model B"`,
		"COMMISSION_RATE=0.25   # a comment",
		"USE_FIXED_UTC_MINUS_5=1",
		"DATABASE_URL=postgresql://bot@localhost/shifts",
		"PAYOUT_RATE=1.00",
		`QUOTED="it's \"here\" \\ too"`,
		"SHEET_NAME=Shifts",
		"",
	}, "\r\n"))
	c, err := ConvertDotEnv(path)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := c.WriteEnvFile(&b, time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if !strings.HasPrefix(lines[0], ConvertedMarker+" from "+path) {
		t.Errorf("header %q", lines[0])
	}
	var got []string
	for _, l := range lines {
		if !strings.HasPrefix(l, "#") {
			got = append(got, l)
		}
	}
	want := []string{
		"BOT_TOKEN='777002:PYTHON-secret-token'",
		"SPREADSHEET_ID='python-v2'",
		"GOOGLE_SA_JSON='" + DeployedKeyFile + "'",
		"SHEET_NAME='Shifts'",
		"PRODUCTS='Model A,Model B'",
		"COMMISSION_RATE='0.25'",
		"USE_FIXED_UTC_MINUS_5='false'",
		"DATABASE_URL='postgresql://bot@localhost/shifts'",
		"PAYOUT_RATE='1.00'",
		`QUOTED="it's \"here\" \\ too"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("converted:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if c.KeyFile != filepath.Join(filepath.Dir(path), "google_sheets_credentials.json") {
		t.Errorf("key file %q", c.KeyFile)
	}
	b.Reset()
	c.WriteKV(&b)
	for _, s := range []string{"format=1\n", "key_file=" + c.KeyFile + "\n", "var=BOT_TOKEN=7770… (26 characters, masked)\n",
		"note=COMMISSION_RATE=0.25: the Python version took net sales as 80% of total sales",
		"note=USE_FIXED_UTC_MINUS_5=1 meant false to the Python version: written as false\n",
		"note=DATABASE_URL is kept but not used", "note=PAYOUT_RATE is kept but no longer used"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("kv lacks %q:\n%s", s, b.String())
		}
	}
	if strings.Contains(b.String(), "secret") {
		t.Errorf("the token is in the kv output:\n%s", b.String())
	}
}

func TestSystemdQuote(t *testing.T) {
	for in, want := range map[string]string{"a b": "'a b'", `$x "y"`: `'$x "y"'`, "it's $x `y` \\": "\"it's \\$x \\`y\\` \\\\\""} {
		if got := systemdQuote(in); got != want {
			t.Errorf("systemdQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestConvertDotEnvRefusesWhatTheBinariesWould(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"SPREADSHEET_ID=x\nPRODUCTS=A\n", "BOT_TOKEN"},
		{"BOT_TOKEN=1:a\nPRODUCTS=A\n", "SPREADSHEET_ID"},
		{"BOT_TOKEN=1:a\nSPREADSHEET_ID=x\nPRODUCTS=\"  \"\n", "PRODUCTS"},
		{"BOT_TOKEN=1:a\nSPREADSHEET_ID=x\nPRODUCTS=A,a\n", "PRODUCTS"},
		{"BOT_TOKEN=1:a\nSPREADSHEET_ID=x\nPRODUCTS=A\nCOMMISSION_RATE=abc\n", "COMMISSION_RATE"},
		{"BOT_TOKEN=1:a\nSPREADSHEET_ID=x\nPRODUCTS=A\nSHEET_NAME=\"two\nlines\"\n", "SHEET_NAME"},
	} {
		_, err := ConvertDotEnv(writeDotEnv(t, tc.body))
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != tc.want {
			t.Errorf("%q: err %v, want one naming %s", tc.body, err, tc.want)
		}
	}
	// A key file given absolute stays absolute; no GOOGLE_SA_JSON at all
	// gets one.
	c, err := ConvertDotEnv(writeDotEnv(t, "BOT_TOKEN=1:a\nSPREADSHEET_ID=x\nPRODUCTS=A\n"))
	if err != nil || c.get("GOOGLE_SA_JSON") != DeployedKeyFile || filepath.Base(c.KeyFile) != "google_sheets_credentials.json" {
		t.Errorf("no GOOGLE_SA_JSON: %+v %v", c, err)
	}
	c, err = ConvertDotEnv(writeDotEnv(t, "BOT_TOKEN=1:a\nSPREADSHEET_ID=x\nPRODUCTS=A\nGOOGLE_SA_JSON=/srv/key.json\n"))
	if err != nil || c.KeyFile != "/srv/key.json" {
		t.Errorf("absolute key: %+v %v", c, err)
	}
}
