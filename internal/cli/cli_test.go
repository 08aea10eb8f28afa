package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A process that only waits, as a worker stuck in a cycle would; run by
// TestAbortLogsOneLine as a child.
func TestMain(m *testing.M) {
	if os.Getenv("CLI_TEST_HANG") == "1" {
		OnAbort("hung", os.Stderr, os.Getenv("STATE_DIRECTORY"), os.Exit)
		os.Stdout.WriteString("ready\n")
		time.Sleep(time.Minute)
		os.Exit(3)
	}
	os.Exit(m.Run())
}

// TestAbortLogsOneLine: SIGABRT, as systemd's watchdog sends it, gives one
// line and exit status 1 instead of the Go runtime's stack dump (exit 2);
// the stacks land in the state directory, owner-only.
func TestAbortLogsOneLine(t *testing.T) {
	state := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CLI_TEST_HANG=1", "STATE_DIRECTORY="+state)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if _, err := stdout.Read(buf); err != nil || string(buf) != "ready\n" {
		t.Fatalf("child did not start: %q %v", buf, err)
	}
	if err := cmd.Process.Signal(syscall.SIGABRT); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 {
		t.Errorf("exit: %v, want status 1", err)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "hung: SIGABRT: stopped by systemd's watchdog") ||
		!strings.Contains(lines[0], filepath.Join(state, AbortStacks)) {
		t.Errorf("stderr, want one line naming the stacks file:\n%s", stderr.String())
	}
	fi, err := os.Stat(filepath.Join(state, AbortStacks))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("stacks file: %v %v", fi, err)
	}
	if data, _ := os.ReadFile(filepath.Join(state, AbortStacks)); !strings.Contains(string(data), "goroutine ") {
		t.Errorf("stacks file holds no goroutine:\n%s", data)
	}
}
