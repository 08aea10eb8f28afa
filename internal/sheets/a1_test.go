package sheets

import (
	"encoding/json"
	"fmt"
	"testing"
)

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

func TestRowCellsAndCell(t *testing.T) {
	r := Row(`[12, "a \"quoted\", text", true, null, "x\\y", 2.5]`)
	cells, err := r.Cells()
	if err != nil || len(cells) != 6 || cells[1] != `a "quoted", text` || cells[5] != 2.5 {
		t.Fatalf("Cells = %#v, %v", cells, err)
	}
	for i, want := range cells {
		got, err := r.Cell(i)
		if err != nil || got != want {
			t.Errorf("Cell(%d) = %#v, %v; want %#v", i, got, err, want)
		}
	}
	if got, err := r.Cell(9); got != nil || err != nil {
		t.Errorf("Cell past the end = %#v, %v", got, err)
	}
	if got, _ := Row(`[]`).Cell(0); got != nil {
		t.Errorf("Cell of an empty row = %#v", got)
	}
}

func TestRowCellsAgreeWithEncodingJSON(t *testing.T) {
	for _, text := range []string{
		`["15.00", 15, -2.5e3, 1E-2, true, false, null, "\u00e9t\u00e9", "tab\there", "", "😀 \ud83d\ude00"]`,
		`[]`, `[ ]`, `["a"]`,
	} {
		r := Row(text)
		got, err := r.Cells()
		var want []any
		if jerr := json.Unmarshal(r, &want); jerr != nil || err != nil {
			t.Fatalf("%s: %v / %v", r, err, jerr)
		}
		if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("%s:\n got %#v\nwant %#v", r, got, want)
		}
	}
}
