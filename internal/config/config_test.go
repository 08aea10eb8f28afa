package config

import (
	"errors"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestFromEnvDefaultsAndValues(t *testing.T) {
	c, err := FromEnv(env(map[string]string{"SPREADSHEET_ID": "abc", "PRODUCTS": " Model A , Model B,", "PAYOUT_RATE": "1.00",
		"USE_FIXED_UTC_MINUS_5": "TRUE", "SHEETS_ENDPOINT": "http://127.0.0.1:9090"}), Need{SpreadsheetID: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Products) != 2 || c.Products[1] != "Model B" || c.SheetName != "Shifts" || c.KeyFile != "google_sheets_credentials.json" ||
		c.CommissionRate.String() != "0.2" || c.SheetsEndpoint != "http://127.0.0.1:9090/" || c.Location.String() != "UTC-5" {
		t.Errorf("config = %+v", c)
	}
	if len(c.Notes) != 1 {
		t.Errorf("PAYOUT_RATE should give one note, got %v", c.Notes)
	}
	c, err = FromEnv(env(map[string]string{"PRODUCTS": "A"}), Need{})
	if err != nil || c.Location.String() != "America/New_York" || c.AdminIDs != nil {
		t.Errorf("defaults: zone %v, admins %v, %v", c.Location, c.AdminIDs, err)
	}
}

func TestAdminIDs(t *testing.T) {
	c, err := FromEnv(env(map[string]string{"PRODUCTS": "A", "ADMIN_IDS": " 123456789, 987654321 ,,123456789"}), Need{})
	if err != nil || len(c.AdminIDs) != 2 || c.AdminIDs[0] != 123456789 || c.AdminIDs[1] != 987654321 {
		t.Errorf("ADMIN_IDS: %v, %v", c.AdminIDs, err)
	}
}

func TestFromEnvErrorsNameTheVariable(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		need Need
		want string
	}{
		{map[string]string{"PRODUCTS": "A"}, Need{BotToken: true}, "BOT_TOKEN"},
		{map[string]string{"PRODUCTS": "A"}, Need{SpreadsheetID: true}, "SPREADSHEET_ID"},
		{map[string]string{"PRODUCTS": " , "}, Need{}, "PRODUCTS"},
		{map[string]string{"PRODUCTS": "A,a"}, Need{}, "PRODUCTS"},
		{map[string]string{"PRODUCTS": "A", "COMMISSION_RATE": "1.5"}, Need{}, "COMMISSION_RATE"},
		{map[string]string{"PRODUCTS": "A", "COMMISSION_RATE": "abc"}, Need{}, "COMMISSION_RATE"},
		{map[string]string{"PRODUCTS": "A", "USE_FIXED_UTC_MINUS_5": "1"}, Need{}, "USE_FIXED_UTC_MINUS_5"},
		{map[string]string{"PRODUCTS": "A", "SHEETS_ENDPOINT": "127.0.0.1:9090"}, Need{}, "SHEETS_ENDPOINT"},
		{map[string]string{"PRODUCTS": "A", "ADMIN_IDS": "123,abc"}, Need{}, "ADMIN_IDS"},
		{map[string]string{"PRODUCTS": "A", "ADMIN_IDS": "@alice"}, Need{}, "ADMIN_IDS"},
		{map[string]string{"PRODUCTS": "A", "ADMIN_IDS": "123;456"}, Need{}, "ADMIN_IDS"},
		{map[string]string{"PRODUCTS": "A", "ADMIN_IDS": "-5"}, Need{}, "ADMIN_IDS"},
	} {
		_, err := FromEnv(env(tc.env), tc.need)
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != tc.want {
			t.Errorf("%v: err = %v, want one naming %s", tc.env, err, tc.want)
		}
	}
}
