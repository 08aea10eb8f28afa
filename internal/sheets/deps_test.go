package sheets

import (
	"os/exec"
	"strings"
	"testing"
)

// The package owns the Google API and nothing else: it must not link the
// database (the sheet's meaning lives in syncmgr).
func TestSheetsDoesNotLinkSQLite(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range []string{"github.com/mattn/go-sqlite3", "shiftbot/internal/store"} {
		if strings.Contains(string(out), pkg) {
			t.Errorf("internal/sheets depends on %s", pkg)
		}
	}
}
