package syncmgr

import (
	"testing"
)

func TestCanonicalAcceptsHumanTypedCells(t *testing.T) {
	tests := []struct {
		kind Kind
		in   any
		want string
	}{
		{Decimal, " 15 ", "15.00"},
		{Decimal, 15.0, "15.00"},
		{Decimal, "15.00", "15.00"},
		{Decimal, "$1,234.50", "1234.50"},
		{Decimal, "15,5", "15.50"},
		{Decimal, "2.125", "2.125"},
		{Decimal, 8.0, "8.00"},
		{Decimal, "10%", "10.00"},
		{Decimal, "", ""},
		{Decimal, nil, ""},
		{Int, "12", "12"},
		{Int, 12.0, "12"},
		{Int, " 12.0 ", "12"},
		{Bool, "TRUE", "true"},
		{Bool, false, "false"},
		{Bool, "False", "false"},
		{DateTime, "2026/11/28 09:00:00", "2026/11/28 09:00:00"},
		{DateTime, "2026-11-28 09:00", "2026/11/28 09:00:00"},
		{DateTime, "11/28/2026 9:00:00", "2026/11/28 09:00:00"},
		{DateTime, "28.11.2026 9:00:00", "2026/11/28 09:00:00"},
		{Text, "  Model A ", "Model A"},
		{Text, 42.0, "42"},
	}
	for _, tc := range tests {
		got, err := Canonical(tc.kind, tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Canonical(%v, %#v) = %q, %v; want %q", tc.kind, tc.in, got, err, tc.want)
		}
	}
}

func TestCanonicalRejectsGarbage(t *testing.T) {
	tests := []struct {
		kind Kind
		in   any
	}{
		{Decimal, "abc"},
		{Decimal, "NaN"},
		{Decimal, "1e400"},
		{Decimal, "12..5"},
		{Int, "12.5"},
		{Int, "x1"},
		{Int, 3.5},
		{Bool, "maybe"},
		{DateTime, "yesterday"},
		{DateTime, 45000.0},
	}
	for _, tc := range tests {
		if got, err := Canonical(tc.kind, tc.in); err == nil {
			t.Errorf("Canonical(%v, %#v) = %q, want an error", tc.kind, tc.in, got)
		}
	}
}

func TestHeaderByNameIgnoresOrderCaseAndExtras(t *testing.T) {
	tab := Tabs("Shifts", []string{"Model A"})[0] // EmployeeSettings
	h, err := tab.MapHeader([]any{"Notes", " sales COMMISSION ", "EmployeeId", "hourly wage"})
	if err != nil {
		t.Fatal(err)
	}
	v, rej := tab.Decode(h, []any{"keep me", "8", 5.0, "$15"}, nil, 2)
	if rej != nil {
		t.Fatal(rej)
	}
	if v["employee_id"] != "5" || v["hourly_wage"] != "15.00" || v["sales_commission"] != "8.00" {
		t.Errorf("decoded %v", v)
	}
	row := tab.EncodeRow(h, v)
	if row[0] != "" || row[1] != "8.00" || row[2] != int64(5) || row[3] != "15.00" {
		t.Errorf("encoded %#v: the admin's column must stay empty, ours by header", row)
	}
	if _, err := tab.MapHeader([]any{"EmployeeId", "Hourly wage"}); err == nil {
		t.Error("a missing header must be an error")
	}
}

func TestDecodeRejectNamesRowColumnAndKeepsKey(t *testing.T) {
	tab := Tabs("Shifts", nil)[0]
	h, _ := tab.MapHeader([]any{"EmployeeId", "Hourly wage", "Sales commission"})
	_, rej := tab.Decode(h, []any{7.0, "fifteen", "8"}, nil, 9)
	if rej == nil {
		t.Fatal("want a reject")
	}
	if rej.Row != 9 || rej.Column != "Hourly wage" || rej.Value != "fifteen" || rej.Key != "7" {
		t.Errorf("reject = %+v", rej)
	}
}

func TestCanonicalMoneyFastPathAgreesWithTheSlowPath(t *testing.T) {
	for _, s := range []string{"0.00", "0.50", "15.00", "1234.50", "007.00", "15.0", "1.005", "-5.00", "1,00", "10.5x"} {
		got, err := Canonical(Decimal, s)
		d, derr := ParseDecimal(s)
		if (err == nil) != (derr == nil) || (err == nil && got != CanonDecimal(d)) {
			t.Errorf("Canonical(%q) = %q, %v; slow path %v, %v", s, got, err, d, derr)
		}
	}
}
