package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"shiftbot/internal/sheetsemu"
	"shiftbot/internal/testutil"
)

func TestRunServesAndSavesOnExit(t *testing.T) {
	data := filepath.Join(t.TempDir(), "sheet.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &testutil.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--data", data, "--save-on-exit", "--token", "T", "--debug"}, out)
	}()

	var endpoint string
	for deadline := time.Now().Add(5 * time.Second); endpoint == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := regexp.MustCompile(`SHEETS_ENDPOINT=(\S+)`).FindStringSubmatch(out.String()); m != nil {
			endpoint = m[1]
		}
	}
	if endpoint == "" {
		t.Fatalf("no endpoint printed:\n%s", out)
	}
	put := func(auth string) int {
		req, _ := http.NewRequest("PUT", endpoint+"v4/spreadsheets/demo/values/Sheet1%21A1?valueInputOption=RAW",
			strings.NewReader(`{"values":[["hello",1]]}`))
		req.Header.Set("Authorization", auth)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	if code := put(""); code != 401 {
		t.Errorf("without token: %d", code)
	}
	if code := put("Bearer T"); code != 200 {
		t.Errorf("with token: %d", code)
	}
	res, err := http.PostForm(endpoint+"token", map[string][]string{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {"a.b.c"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("token endpoint: %d", res.StatusCode)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	emu, err := sheetsemu.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := emu.TabStrings("demo", "Sheet1"); len(got) != 1 || strings.Join(got[0], ",") != "hello,1" {
		t.Errorf("saved %v", got)
	}
	if !strings.Contains(out.String(), "level=DEBUG msg=request method=PUT") {
		t.Errorf("no request log:\n%s", out)
	}
}

func TestRunUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"--bogus"}, {"extra"}, {"--save-on-exit"}} {
		var usage usageError
		if err := run(context.Background(), args, io.Discard); !errors.As(err, &usage) {
			t.Errorf("%v: want usage error, got %v", args, err)
		}
	}
}
