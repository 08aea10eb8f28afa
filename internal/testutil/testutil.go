// Package testutil owns the few helpers the tests of several packages share:
// a goroutine-safe output buffer, polling for a condition, and building the
// real commands that tests run as processes. Only tests import it.
package testutil

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Buffer collects a process's or a logger's output while a test reads it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Reset forgets what was written.
func (l *Buffer) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Reset()
}

// WaitFor polls cond until it holds, failing the test after limit.
func WaitFor(t testing.TB, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Build builds the commands in pkgs (paths as `go build` takes them) into
// dir, with the build tags `make build` uses.
func Build(dir string, pkgs ...string) error {
	args := append([]string{"build", "-tags", "netgo", "-o", dir + "/"}, pkgs...)
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build %v: %w\n%s", pkgs, err, out)
	}
	return nil
}

// ProcStatusMB reads a "kB" line of /proc/PID/status (VmRSS:, VmHWM:) in MB.
func ProcStatusMB(pid int, field string) (float64, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field {
			kb, _ := strconv.Atoi(f[1])
			return float64(kb) / 1024, true
		}
	}
	return 0, false
}
