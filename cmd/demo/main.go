// Command demo shows the whole system working offline (`make demo`): the real
// syncworker and bot binaries against the Sheets emulator and the Telegram
// fake, with a scripted employee.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"shiftbot/internal/demo"
)

func main() {
	bin := flag.String("bin", "bin", "directory with the bot and syncworker binaries")
	sheet := flag.String("spreadsheet", "examples/demo-spreadsheet.json", "example spreadsheet (emulator data file)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	err := demo.Run(ctx, demo.Config{BinDir: *bin, Spreadsheet: *sheet, Out: os.Stdout})
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}
