// Package config owns the environment both binaries are configured by
// (SPEC §7): it reads an optional .env file, validates every variable before
// any network call, and names the variable in each error.
package config

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the binary carries its own zone data (SPEC §5)

	"github.com/joho/godotenv"
	"github.com/shopspring/decimal"
)

// Config is the validated environment.
type Config struct {
	BotToken         string
	TelegramEndpoint string
	SpreadsheetID    string
	KeyFile          string
	SheetsEndpoint   string
	SheetName        string
	Products         []string
	CommissionRate   decimal.Decimal
	Location         *time.Location // server time
	// AdminIDs are the Telegram user ids of ADMIN_IDS (SPEC §11), in the
	// order given, without repeats; none when unset.
	AdminIDs []int64
	// Notes are things worth one INFO line at start (e.g. keys no longer used).
	Notes []string
}

// Error is a missing or malformed variable.
type Error struct {
	Var string
	Msg string
}

func (e *Error) Error() string { return e.Var + ": " + e.Msg }

// Need says which required variables the caller uses.
type Need struct {
	BotToken      bool
	SpreadsheetID bool
}

// LoadDotEnv reads path (normally ".env" in the working directory) into the
// process environment when it exists. Variables already set win, so a
// systemd EnvironmentFile or the shell can override the file.
func LoadDotEnv(path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := godotenv.Load(path); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

// FromEnv validates the environment read through getenv.
func FromEnv(getenv func(string) string, need Need) (Config, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	c := Config{
		BotToken:         get("BOT_TOKEN"),
		TelegramEndpoint: strings.TrimRight(get("TELEGRAM_API_ENDPOINT"), "/"),
		SpreadsheetID:    get("SPREADSHEET_ID"),
		KeyFile:          get("GOOGLE_SA_JSON"),
		SheetsEndpoint:   get("SHEETS_ENDPOINT"),
		SheetName:        get("SHEET_NAME"),
	}
	if need.BotToken && c.BotToken == "" {
		return c, &Error{"BOT_TOKEN", "required (the token @BotFather gave)"}
	}
	if need.SpreadsheetID && c.SpreadsheetID == "" {
		return c, &Error{"SPREADSHEET_ID", "required (the id in the spreadsheet's URL)"}
	}
	if c.KeyFile == "" {
		c.KeyFile = "google_sheets_credentials.json"
	}
	if c.SheetName == "" {
		c.SheetName = "Shifts"
	}
	if c.SheetsEndpoint != "" && !strings.HasSuffix(c.SheetsEndpoint, "/") {
		c.SheetsEndpoint += "/"
	}
	for _, v := range []struct{ name, url string }{{"SHEETS_ENDPOINT", c.SheetsEndpoint}, {"TELEGRAM_API_ENDPOINT", c.TelegramEndpoint}} {
		if v.url != "" && !strings.HasPrefix(v.url, "http://") && !strings.HasPrefix(v.url, "https://") {
			return c, &Error{v.name, fmt.Sprintf("must be an http:// or https:// URL, got %q", v.url)}
		}
	}

	seen := map[string]bool{}
	for _, p := range strings.Split(get("PRODUCTS"), ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if seen[strings.ToLower(p)] {
			return c, &Error{"PRODUCTS", fmt.Sprintf("product %q is listed twice", p)}
		}
		seen[strings.ToLower(p)] = true
		c.Products = append(c.Products, p)
	}
	if len(c.Products) == 0 {
		return c, &Error{"PRODUCTS", "required: a comma-separated list of product names"}
	}

	c.CommissionRate = decimal.RequireFromString("0.20")
	if s := get("COMMISSION_RATE"); s != "" {
		d, err := decimal.NewFromString(s)
		if err != nil || d.IsNegative() || d.GreaterThanOrEqual(decimal.NewFromInt(1)) {
			return c, &Error{"COMMISSION_RATE", fmt.Sprintf("must be a number from 0 to below 1 (e.g. 0.20), got %q", s)}
		}
		c.CommissionRate = d
	}

	fixed := false
	if s := get("USE_FIXED_UTC_MINUS_5"); s != "" {
		// Only the words: the Python version read anything but "true" as
		// false, so a "1" there meant false; refusing it beats flipping it.
		switch strings.ToLower(s) {
		case "true":
			fixed = true
		case "false":
		default:
			return c, &Error{"USE_FIXED_UTC_MINUS_5", fmt.Sprintf("must be true or false, got %q", s)}
		}
	}
	if fixed {
		c.Location = time.FixedZone("UTC-5", -5*3600)
	} else {
		loc, err := time.LoadLocation("America/New_York")
		if err != nil {
			return c, &Error{"USE_FIXED_UTC_MINUS_5", "time zone America/New_York unavailable: " + err.Error()}
		}
		c.Location = loc
	}
	admins, err := adminIDs(get("ADMIN_IDS"))
	if err != nil {
		return c, err
	}
	c.AdminIDs = admins
	if get("PAYOUT_RATE") != "" {
		c.Notes = append(c.Notes, "PAYOUT_RATE is set but no longer used: pay follows COMMISSION_RATE and the spreadsheet's rates")
	}
	return c, nil
}

// adminIDs parses ADMIN_IDS: Telegram user ids separated by commas (spaces
// around them ignored, as in PRODUCTS). A value that is not a positive
// integer stops the start rather than leave an admin without their alerts.
func adminIDs(s string) ([]int64, error) {
	var out []int64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil || n <= 0 {
			return nil, &Error{"ADMIN_IDS", fmt.Sprintf("must be Telegram user ids separated by commas (e.g. 123456789,987654321), got %q", f)}
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}
