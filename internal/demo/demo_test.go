package demo

import (
	"bytes"
	"context"
	"shiftbot/internal/testutil"
	"strings"
	"testing"
)

// The demo is what a newcomer runs first: it must work on a fresh clone.
func TestDemoRunsOfflineAndShowsTheShiftInTheSheet(t *testing.T) {
	bin := t.TempDir()
	if err := testutil.Build(bin, "../../cmd/bot", "../../cmd/syncworker"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Run(context.Background(), Config{BinDir: bin, Spreadsheet: "../../examples/demo-spreadsheet.json", Out: &buf}); err != nil {
		t.Fatalf("demo: %v\n%s", err, buf.String())
	}
	got := buf.String()
	for _, want := range []string{"Shift created", "Updated", "Sync cycle #1 completed", "pushed=", "750.50", "900.00", "the demo employee"} {
		if !strings.Contains(got, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(got)
	}
}
