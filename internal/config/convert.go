package config

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/joho/godotenv"
	"github.com/shopspring/decimal"
)

// DeployedKeyFile is where the units deploy/install.sh installs look for the
// service-account key (the env example's GOOGLE_SA_JSON): they hide /home, so
// a converted file points there.
const DeployedKeyFile = "/etc/alex12060/google_sheets_credentials.json"

// ConvertedMarker starts the first line of a file WriteEnvFile wrote, so
// that deploy/migrate-from-python.sh knows it may write it again.
const ConvertedMarker = "# Converted by syncworker --convert-env"

// Var is one variable of a converted .env file.
type Var struct{ Name, Value string }

// Conversion is the Python deployment's .env as the units' EnvironmentFile
// (SPEC §10): the same keys and values, as read by the parser the binaries
// use for a .env (so the two never disagree), with what must change for the
// new units changed and what would behave differently said in Notes.
type Conversion struct {
	Source  string
	Vars    []Var    // in the order of their first assignment; the last value wins
	KeyFile string   // the key file the .env named, resolved from its directory
	Notes   []string // for the operator, one line each
}

// spec7 are the variables the binaries read (SPEC §7).
var spec7 = []string{"BOT_TOKEN", "TELEGRAM_API_ENDPOINT", "SPREADSHEET_ID", "GOOGLE_SA_JSON",
	"SHEETS_ENDPOINT", "SHEET_NAME", "PRODUCTS", "COMMISSION_RATE", "USE_FIXED_UTC_MINUS_5"}

var assignment = regexp.MustCompile(`^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*[=:]`)

// ConvertDotEnv reads path, a python-dotenv .env file, and converts it. An
// error names the variable: a required one missing, or one the binaries
// would refuse.
func ConvertDotEnv(path string) (*Conversion, error) {
	values, err := godotenv.Read(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	// godotenv returns a map; the file's own order is kept for the operator
	// who compares the two files.
	order, err := firstAssignments(path)
	if err != nil {
		return nil, err
	}
	for k := range values {
		if !slices.Contains(order, k) {
			order = append(order, k)
		}
	}
	c := &Conversion{Source: path}
	keyFile := "google_sheets_credentials.json" // the Python version's default too
	for _, k := range order {
		v, ok := values[k]
		if !ok {
			continue
		}
		switch k {
		case "GOOGLE_SA_JSON":
			if strings.TrimSpace(v) != "" {
				keyFile = strings.TrimSpace(v)
			}
			v = DeployedKeyFile
		case "USE_FIXED_UTC_MINUS_5":
			// The Python version took exactly "true" (any case) as true and
			// anything else as false; the binaries refuse e.g. "yes".
			s := strings.ToLower(strings.TrimSpace(v))
			if s != "true" && s != "false" {
				c.Notes = append(c.Notes, fmt.Sprintf("USE_FIXED_UTC_MINUS_5=%s meant false to the Python version: written as false", v))
			}
			v = fmt.Sprint(s == "true")
		case "PAYOUT_RATE":
			c.Notes = append(c.Notes, "PAYOUT_RATE is kept but no longer used (the binaries log one INFO line about it)")
		case "COMMISSION_RATE":
			// v2.1.0 computed net sales as 80% of total sales whatever this
			// said; the binaries take total x (1 - COMMISSION_RATE).
			if d, err := decimal.NewFromString(strings.TrimSpace(v)); err != nil || !d.Equal(decimal.RequireFromString("0.2")) {
				c.Notes = append(c.Notes, fmt.Sprintf("COMMISSION_RATE=%s: the Python version took net sales as 80%% of total sales whatever this said; the new bot takes 1 - COMMISSION_RATE, so pay changes unless it is 0.20", v))
			}
		default:
			if !slices.Contains(spec7, k) {
				c.Notes = append(c.Notes, k+" is kept but not used by the new binaries")
			}
		}
		if strings.ContainsAny(v, "\r\n") {
			return nil, &Error{k, "a value on more than one line cannot be written for systemd's EnvironmentFile=; make it one line"}
		}
		c.Vars = append(c.Vars, Var{k, v})
	}
	if _, ok := values["GOOGLE_SA_JSON"]; !ok {
		c.Vars = append(c.Vars, Var{"GOOGLE_SA_JSON", DeployedKeyFile})
	}
	// The Python processes resolved a relative path from their working
	// directory, the .env's.
	if !filepath.IsAbs(keyFile) {
		keyFile = filepath.Join(filepath.Dir(path), keyFile)
	}
	c.KeyFile = keyFile
	for _, k := range []string{"BOT_TOKEN", "SPREADSHEET_ID", "PRODUCTS"} {
		if strings.TrimSpace(values[k]) == "" {
			return nil, &Error{k, fmt.Sprintf("%s has no %s: the new binaries need it", path, k)}
		}
	}
	// What the binaries would refuse, refused now, before any downtime.
	if _, err := FromEnv(c.get, Need{BotToken: true, SpreadsheetID: true}); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Conversion) get(k string) string {
	for _, v := range c.Vars {
		if v.Name == k {
			return v.Value
		}
	}
	return ""
}

// firstAssignments lists the variables of a .env in the order they are
// first assigned.
func firstAssignments(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var order []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := assignment.FindStringSubmatch(sc.Text()); m != nil && !slices.Contains(order, m[1]) {
			order = append(order, m[1])
		}
	}
	return order, sc.Err()
}

// WriteEnvFile writes the conversion in systemd's EnvironmentFile= format:
// one KEY='value' a line (double quotes, with \ " $ ` escaped, for a value
// holding a single quote), after a header saying where it came from.
func (c *Conversion) WriteEnvFile(w io.Writer, now time.Time) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "%s from %s\n", ConvertedMarker, c.Source)
	fmt.Fprintf(b, "# on %s. Every variable is documented in\n", now.Format("2006-01-02 15:04"))
	fmt.Fprintln(b, "# /usr/local/share/doc/alex12060/alex12060.env.example (SPEC §7).")
	fmt.Fprintln(b, "# systemd EnvironmentFile= format: one KEY='value' per line.")
	for _, v := range c.Vars {
		fmt.Fprintf(b, "%s=%s\n", v.Name, systemdQuote(v.Value))
	}
	return b.Flush()
}

func systemdQuote(v string) string {
	if !strings.Contains(v, "'") {
		return "'" + v + "'"
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "`", "\\`")
	return `"` + r.Replace(v) + `"`
}

// WriteKV writes what the conversion found, one key=value a line, for
// deploy/migrate-from-python.sh: format, source, key_file, then a var= line
// per variable as the operator should see it (the bot token masked) and a
// note= line per note.
func (c *Conversion) WriteKV(w io.Writer) {
	fmt.Fprintf(w, "format=1\nsource=%s\nkey_file=%s\n", c.Source, c.KeyFile)
	for _, v := range c.Vars {
		shown := v.Value
		if v.Name == "BOT_TOKEN" {
			shown = fmt.Sprintf("%s… (%d characters, masked)", string([]rune(v.Value)[:min(4, len([]rune(v.Value)))]), len(v.Value))
		}
		fmt.Fprintf(w, "var=%s=%s\n", v.Name, shown)
	}
	for _, n := range c.Notes {
		fmt.Fprintf(w, "note=%s\n", n)
	}
}
