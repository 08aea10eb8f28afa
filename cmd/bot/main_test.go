package main

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"shiftbot/internal/telegramfake"
	"shiftbot/internal/testutil"
)

// The tests run the real binary, so signals and exit statuses are real.
var binDir string

func TestMain(m *testing.M) { testutil.MainWithBuild(m, &binDir, ".") }

const token = "777000:BIN-secret-token"

var anna = telegramfake.User{ID: 1001, FirstName: "Anna", Username: "anna"}

// command is the binary in a fresh working directory (no stray .env) with
// only the given environment.
func command(_ testing.TB, dir string, env []string, args ...string) (*exec.Cmd, *testutil.Buffer) {
	c := exec.Command(filepath.Join(binDir, "bot"), args...)
	c.Dir = dir
	c.Env = env
	out := &testutil.Buffer{}
	c.Stdout, c.Stderr = out, out
	return c, out
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

func TestConfigurationErrorsExit2NamingTheVariable(t *testing.T) {
	base := []string{"BOT_TOKEN=" + token, "PRODUCTS=Model A"}
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{[]string{"PRODUCTS=Model A"}, "BOT_TOKEN"},
		{[]string{"BOT_TOKEN=" + token}, "PRODUCTS"},
		{append(base, "TELEGRAM_API_ENDPOINT=localhost:8081"), "TELEGRAM_API_ENDPOINT"},
		{append(base, "COMMISSION_RATE=1.5"), "COMMISSION_RATE"},
		{append(base, "USE_FIXED_UTC_MINUS_5=perhaps"), "USE_FIXED_UTC_MINUS_5"},
		{append(base, "ADMIN_IDS=123456789,@boss"), "ADMIN_IDS"},
	} {
		c, out := command(t, t.TempDir(), tc.env)
		code := exitCode(t, c.Run())
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if code != 2 || len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
			t.Errorf("%v: exit %d, output %q; want exit 2 and one line naming %s", tc.env, code, out, tc.want)
		}
		if strings.Contains(out.String(), "secret") {
			t.Errorf("the token is printed: %q", out)
		}
	}
	c, out := command(t, t.TempDir(), base, "--no-such-flag")
	if code := exitCode(t, c.Run()); code != 2 {
		t.Errorf("unknown flag: exit %d %q", code, out)
	}
}

func TestVersion(t *testing.T) {
	c, out := command(t, t.TempDir(), nil, "--version")
	if err := c.Run(); err != nil || !strings.HasPrefix(out.String(), "bot ") {
		t.Fatalf("--version: %v %q", err, out)
	}
}

// The binary answers through TELEGRAM_API_ENDPOINT, logs to bot.log and
// stdout without the token, and stops with status 0 on SIGTERM.
func TestRunsAgainstTheEndpointAndStopsOnSIGTERM(t *testing.T) {
	fake := telegramfake.New(token)
	ts := httptest.NewServer(fake)
	defer func() { fake.Close(); ts.Close() }()
	dir := t.TempDir()
	env := []string{"BOT_TOKEN=" + token, "PRODUCTS=Model A,Model B", "TELEGRAM_API_ENDPOINT=" + ts.URL + "/"}
	c, out := command(t, dir, env, "--db-path", filepath.Join(dir, "state", "bot.db"), "--log-file", filepath.Join(dir, "bot.log"))
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()

	fake.SendText(anna, "/start")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := fake.WaitFor(ctx, anna.ID, func(m telegramfake.Message) bool { return strings.Contains(m.Text, "Welcome") }); err != nil {
		t.Fatalf("%v\noutput:\n%s", err, out)
	}
	if err := fake.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if code := exitCode(t, err); code != 0 {
			t.Fatalf("exit %d after SIGTERM:\n%s", code, out)
		}
	case <-time.After(10 * time.Second):
		c.Process.Kill()
		t.Fatalf("no exit within 10 s of SIGTERM:\n%s", out)
	}
	logFile, err := os.ReadFile(filepath.Join(dir, "bot.log"))
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"bot.log": string(logFile), "stdout": out.String()} {
		if !strings.Contains(text, "Bot started") || !strings.Contains(text, "Bot stopped") {
			t.Errorf("%s lacks the start and stop lines:\n%s", name, text)
		}
		if strings.Contains(text, "secret") {
			t.Errorf("%s contains the token:\n%s", name, text)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "state", "bot.db")); err != nil {
		t.Errorf("--db-path not used: %v", err)
	}
}

func TestTokenRejectedByTelegramExits2(t *testing.T) {
	fake := telegramfake.New("999:another-token")
	ts := httptest.NewServer(fake)
	defer func() { fake.Close(); ts.Close() }()
	dir := t.TempDir()
	c, out := command(t, dir, []string{"BOT_TOKEN=" + token, "PRODUCTS=Model A", "TELEGRAM_API_ENDPOINT=" + ts.URL},
		"--db-path", filepath.Join(dir, "bot.db"), "--log-file", "-")
	code := exitCode(t, c.Run())
	if code != 2 || !strings.Contains(out.String(), "bot: BOT_TOKEN: rejected by Telegram") || strings.Contains(out.String(), "secret") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// The bot never talks to Google (SPEC §1): its binary must not even link the
// Sheets client.
func TestBotDoesNotLinkTheSheetsClient(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "google.golang.org/api") {
		t.Error("cmd/bot depends on google.golang.org/api")
	}
}
