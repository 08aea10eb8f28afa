// Package testutil owns the few helpers the tests of several packages share:
// a goroutine-safe output buffer, polling for a condition, building the real
// commands that tests run as processes, a service-account key for the offline
// auth path, and one employee creating a shift through the Telegram fake.
// Only tests import it.
package testutil

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"shiftbot/internal/sheetsemu"
	"shiftbot/internal/telegramfake"
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

// MainWithBuild builds pkgs into a temporary directory, sets *dir to it, runs
// the package's tests and exits: for a TestMain whose tests run binaries.
func MainWithBuild(m *testing.M, dir *string, pkgs ...string) {
	d, err := os.MkdirTemp("", "shiftbot-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*dir = d
	if err := Build(d, pkgs...); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(d)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

// ServiceAccountEmail is the client_email of RequireServiceAccount's key.
const ServiceAccountEmail = "worker@offline-test.iam.gserviceaccount.com"

// RequireServiceAccount makes the emulator require a bearer token, serves
// that token from a local OAuth2 token endpoint, and writes at path a
// service-account key made here (a fresh RSA key) whose token_uri points
// there: the real golang.org/x/oauth2/google path runs offline, and a
// request succeeds only with that key.
func RequireServiceAccount(t testing.TB, emu *sheetsemu.Server, path string) {
	t.Helper()
	const token = "token-from-the-local-endpoint"
	tokens := httptest.NewServer(emu.TokenHandler(token))
	t.Cleanup(tokens.Close)
	emu.RequireBearer(token)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(map[string]string{
		"type":           "service_account",
		"project_id":     "offline-test",
		"private_key_id": "k1",
		"private_key":    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":   ServiceAccountEmail,
		"client_id":      "1",
		"token_uri":      tokens.URL + "/token",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
}

// CreateShift is one employee creating a shift (yesterday 9 to 11 AM, Model B
// for amount), waiting in their own chat for each answer, so many employees
// can act at once (the fake's WaitIdle would wait for everyone).
func CreateShift(fake *telegramfake.Server, u telegramfake.User, amount string) error {
	say := func(text string) func() error { return func() error { fake.SendText(u, text); return nil } }
	press := func(label string) func() error { return func() error { return fake.Press(u, label) } }
	for _, s := range []struct {
		act  func() error
		want string
	}{
		{say("/start"), "Choose an action"},
		{press("Create new shift"), "When did the shift start?"},
		{press("Yesterday"), "Choose the start hour"},
		{press("9 AM"), "Choose the end hour"},
		{press("11 AM"), "Choose a product"},
		{press("Model B"), "Enter the sales amount"},
		{say(amount), "Add another model"},
		{press("Finish shift"), "✅ Shift created"},
	} {
		last := 0
		if msgs := fake.Messages(u.ID); len(msgs) > 0 {
			last = msgs[len(msgs)-1].ID
		}
		if err := s.act(); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := fake.WaitFor(ctx, u.ID, func(m telegramfake.Message) bool { return m.ID > last && strings.Contains(m.Text, s.want) })
		cancel()
		if err != nil {
			return fmt.Errorf("waiting for %q: %w", s.want, err)
		}
	}
	return nil
}
