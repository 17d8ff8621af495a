// Command azpeer peers Azure virtual networks with Aiven project VPCs.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/azpeer/azpeer/cmd"
)

func main() {
	// Ctrl-C and SIGTERM cancel the command's context: a create stops
	// between API calls, saves its run record and can be resumed.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cmd.NewRootCommand().ExecuteContext(ctx)
	stop()
	if err == nil {
		return
	}
	code := 1
	var ee *cmd.ExitError
	if errors.As(err, &ee) {
		code = ee.Code
		if ee.Msg == "" {
			os.Exit(code)
		}
	}
	fmt.Fprintln(os.Stderr, "azpeer:", err)
	os.Exit(code)
}
