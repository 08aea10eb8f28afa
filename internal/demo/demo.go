// Package demo owns the offline demonstration behind `make demo`: the real
// bot and syncworker binaries against the Sheets emulator and the Telegram
// fake on loopback, one scripted employee, and what the admin then sees.
package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"shiftbot/internal/sheetsemu"
	"shiftbot/internal/telegramfake"
)

// Config says where the binaries and the example spreadsheet are.
type Config struct {
	BinDir      string // holds bot and syncworker
	Spreadsheet string // an emulator data file (examples/demo-spreadsheet.json)
	Out         io.Writer
}

const (
	token   = "123456:DEMO-not-a-real-token"
	sheetID = "demo"
)

var employee = telegramfake.User{ID: 1001, FirstName: "Anna", Username: "anna_sells"}

// Run runs the demonstration and leaves nothing running.
func Run(ctx context.Context, cfg Config) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	bin, err := filepath.Abs(cfg.BinDir)
	if err != nil {
		return err
	}
	cfg.BinDir = bin
	dir, err := os.MkdirTemp("", "shiftbot-demo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	d := &demo{cfg: cfg, dir: dir, out: cfg.Out}

	d.emu, err = sheetsemu.Load(cfg.Spreadsheet)
	if err != nil {
		return fmt.Errorf("load example spreadsheet: %w", err)
	}
	sheetsURL, stopSheets, err := serve(d.emu)
	if err != nil {
		return err
	}
	defer stopSheets()
	d.tg = telegramfake.New(token)
	defer d.tg.Close()
	tgURL, stopTG, err := serve(d.tg)
	if err != nil {
		return err
	}
	defer stopTG()
	d.env = append(os.Environ(),
		"SPREADSHEET_ID="+sheetID, "SHEETS_ENDPOINT="+sheetsURL+"/", "GOOGLE_SA_JSON="+filepath.Join(dir, "no-key.json"),
		"PRODUCTS=Model A,Model B,Model C", "BOT_TOKEN="+token, "TELEGRAM_API_ENDPOINT="+tgURL, "USE_FIXED_UTC_MINUS_5=false")

	d.say("1. The admin's spreadsheet (Sheets emulator at %s), before:", sheetsURL)
	d.tables("EmployeeSettings", "Shifts")
	d.say("2. syncworker --init-sheets: missing tabs, headers and default tables")
	if err := d.worker(ctx, "--init-sheets"); err != nil {
		return err
	}
	d.say("3. syncworker --once: the first pull fills the local database")
	if err := d.worker(ctx, "--once"); err != nil {
		return err
	}
	d.say("4. The bot (Telegram fake at %s) and an employee, Anna", tgURL)
	stopBot, err := d.startBot(ctx)
	if err != nil {
		return err
	}
	script := d.script(ctx)
	if err := stopBot(); err != nil && script == nil {
		script = err
	}
	fmt.Fprintln(d.out, indent(telegramfake.FormatTranscript(d.tg.Transcript(employee.ID))))
	if script != nil {
		return fmt.Errorf("scripted conversation: %w", script)
	}
	d.say("5. syncworker --once: the push carries what the bot wrote to the sheet")
	if err := d.worker(ctx, "--once"); err != nil {
		return err
	}
	d.say("6. The spreadsheet after (the admin's own column untouched):")
	d.tables("Shifts", "EmployeeSettings", "EmployeeRanks", "ActiveBonuses")
	d.say("Done: everything ran offline; nothing is left running.")
	return nil
}

type demo struct {
	cfg Config
	dir string
	out io.Writer
	emu *sheetsemu.Server
	tg  *telegramfake.Server
	env []string
}

func (d *demo) say(format string, args ...any) {
	fmt.Fprintf(d.out, "\n== "+format+"\n", args...)
}

// serve serves h on a free loopback port.
func serve(h http.Handler) (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	return "http://" + l.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}

func (d *demo) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, filepath.Join(d.cfg.BinDir, name), args...)
	c.Dir = d.dir
	c.Env = d.env
	return c
}

// worker runs syncworker to the end and shows the lines operators read.
func (d *demo) worker(ctx context.Context, args ...string) error {
	var out bytes.Buffer
	c := d.command(ctx, "syncworker", append(args, "--log-file", "-")...)
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "level=INFO") || strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			fmt.Fprintln(d.out, "   "+line[strings.Index(line, "level="):])
		}
	}
	if err != nil {
		return fmt.Errorf("syncworker %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	return nil
}

// startBot starts the bot binary and returns how to stop it.
func (d *demo) startBot(ctx context.Context) (stop func() error, err error) {
	var out bytes.Buffer
	c := d.command(ctx, "bot", "--log-file", filepath.Join(d.dir, "bot.log"))
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	stop = func() error {
		c.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("bot: %w\n%s", err, out.String())
			}
			return nil
		case <-time.After(10 * time.Second):
			c.Process.Kill()
			<-done
			return errors.New("bot did not stop within 10 s of SIGTERM")
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for d.tg.Calls("getUpdates") == 0 {
		select {
		case err := <-done:
			return nil, fmt.Errorf("bot exited at start: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("bot did not start polling\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return stop, nil
}

// script is the employee: create a shift with two products, then edit its
// total sales.
func (d *demo) script(ctx context.Context) error {
	u := employee
	// Each step waits for the bot's answer to it: a newer message that
	// mentions want (or, for the AM/PM switch, the same message edited).
	// The bot replies through its outbox after the update is committed, so
	// the fake being idle does not mean the reply is out yet.
	type step struct {
		press, text string
		want        string
		inPlace     bool
	}
	steps := []step{
		{text: "/start", want: "Create new shift"},
		{press: "Create new shift", want: "Today"},
		{press: "Today", want: "9 AM"},
		{press: "9 AM", want: "Choose the end hour"},
		{press: "→ PM", want: "5 PM", inPlace: true},
		{press: "5 PM", want: "Model A"},
		{press: "Model A", want: "Enter the sales amount"},
		{text: "500", want: "Add model"},
		{press: "Add model", want: "Model B"},
		{press: "Model B", want: "Enter the sales amount"},
		{text: "250,50", want: "Add model"},
		{press: "Finish shift", want: "Shift created"},
		{press: "🏠 Main menu", want: "Edit shift"},
		{press: "Edit shift", want: "Choose the shift to edit"},
	}
	run := func(s step) error {
		last := 0
		if msgs := d.tg.Messages(u.ID); len(msgs) > 0 {
			last = msgs[len(msgs)-1].ID
		}
		var err error
		if s.press != "" {
			err = d.tg.Press(u, s.press)
		} else {
			d.tg.SendText(u, s.text)
		}
		if err != nil {
			return fmt.Errorf("press %q: %w", s.press, err)
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_, err = d.tg.WaitFor(wctx, u.ID, func(m telegramfake.Message) bool {
			return (m.ID > last || s.inPlace && m.ID == last && m.Edited) && mentions(m, s.want)
		})
		if err != nil {
			return fmt.Errorf("after %q%q: no message with %q: %w", s.press, s.text, s.want, err)
		}
		return d.tg.WaitIdle(ctx)
	}
	for _, s := range steps {
		if err := run(s); err != nil {
			return err
		}
	}
	// The edit list shows the employee's shifts; take the newest.
	label, err := d.firstButton(u.ID)
	if err != nil {
		return err
	}
	for _, s := range []step{{press: label, want: "What do you want to change?"}, {press: "Total sales", want: "Enter the new Total sales"}, {text: "900", want: "Updated"}} {
		if err := run(s); err != nil {
			return err
		}
	}
	return nil
}

// mentions reports whether a message's text or one of its buttons has s.
func mentions(m telegramfake.Message, s string) bool {
	if strings.Contains(m.Text, s) {
		return true
	}
	for _, row := range m.Buttons {
		for _, b := range row {
			if b.Text == s {
				return true
			}
		}
	}
	return false
}

// firstButton is the first button of the newest message with a keyboard.
func (d *demo) firstButton(chat int64) (string, error) {
	msgs := d.tg.Messages(chat)
	for i := len(msgs) - 1; i >= 0; i-- {
		if len(msgs[i].Buttons) > 0 && len(msgs[i].Buttons[0]) > 0 {
			return msgs[i].Buttons[0][0].Text, nil
		}
	}
	return "", errors.New("no message with buttons")
}

// tables prints tabs as the admin sees them.
func (d *demo) tables(tabs ...string) {
	for _, t := range tabs {
		fmt.Fprintf(d.out, "\n   [%s]\n", t)
		fmt.Fprint(d.out, indent(table(d.emu.TabStrings(sheetID, t))))
	}
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "   " + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// table lays rows out in aligned columns.
func table(rows [][]string) string {
	if len(rows) == 0 {
		return "(empty)\n"
	}
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r {
			b.WriteString(c + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)))
			if i < len(r)-1 {
				b.WriteString(" | ")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
