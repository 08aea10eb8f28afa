package sheets

import "testing"

func TestColumnNameAndA1(t *testing.T) {
	for col, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 27: "AB", 51: "AZ", 52: "BA", 701: "ZZ", 702: "AAA"} {
		if got := ColumnName(col); got != want {
			t.Errorf("ColumnName(%d) = %q, want %q", col, got, want)
		}
	}
	if got := A1("It's", 5, 2); got != "'It''s'!C5" {
		t.Errorf("A1 = %q", got)
	}
	if got := Span("Shifts", 2, 0, 0, 0); got != "'Shifts'!A2:A" {
		t.Errorf("open Span = %q", got)
	}
	if got := Span("Shifts", 7, 1, 7, 27); got != "'Shifts'!B7:AB7" {
		t.Errorf("row Span = %q", got)
	}
}
